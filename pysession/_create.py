"""``create_session_store``: checks the arguments, picks the defaults, wires the store.

The only place where the core meets ``pysession.browser``, and the one place that
picks a default: the encrypted IndexedDB storage, the real BroadcastChannel and
browser timers where the runtime has them, in-memory stand-ins otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from . import browser  # JsProvider and the channel are imported on first use, through the package
from ._expiry import ExpiryOptions
from ._retry import DEFAULT_RETRY_POLICY, RetryPolicy
from ._storage import STORAGE_METHODS, MemoryStorage, SessionStorage
from ._store import SessionStore
from ._sync import BroadcastOptions, InactiveChannel, SyncChannel
from ._timers import LoopTimers, Timers
from .browser._ffi import is_js_proxy, js_global
from .browser.encrypted import create_encrypted_indexeddb_storage, has_encrypted_storage
from .browser.timers import BrowserTimers
from .events import InvalidationEvent

DEFAULT_STORAGE_KEY = "partylayer.session.connected"
logger = logging.getLogger("pysession")


def default_storage() -> SessionStorage:
    """Encrypted IndexedDB where IndexedDB and WebCrypto exist; memory elsewhere."""
    return create_encrypted_indexeddb_storage() if has_encrypted_storage() else MemoryStorage()


def default_timers() -> Timers:
    """``setTimeout`` timers in a browser (their proxies die when cancelled); the event loop's elsewhere."""
    return BrowserTimers() if js_global("setTimeout") is not None else LoopTimers()


def _check_provider(provider: Any) -> tuple[Any, tuple[Callable[[], None], ...]]:
    """The object the store talks to, and its cleanups: a JS provider gets an adapter the store destroys."""
    if is_js_proxy(provider):
        adapter = browser.JsProvider(provider)
        return adapter, (adapter.destroy,)
    missing = [name for name in ("request", "on", "remove_listener") if not callable(getattr(provider, name, None))]
    if missing:
        raise TypeError(
            f"provider must be a CIP-0103 provider (a JS one, or a Python object with request, on and"
            f" remove_listener); got {type(provider).__name__}, which has no callable {', '.join(missing)}"
        )
    return provider, ()


def _check_storage(storage: Any) -> None:
    missing = [name for name in STORAGE_METHODS if not callable(getattr(storage, name, None))]
    if missing:
        raise TypeError(f"storage must be a SessionStorage; it has no callable {', '.join(missing)}")


def _retry_policy(reconnect: Any) -> RetryPolicy | None:
    if reconnect is None or reconnect is False:
        return None
    if reconnect is True:
        return DEFAULT_RETRY_POLICY
    if isinstance(reconnect, RetryPolicy):
        return reconnect
    raise TypeError("reconnect must be None, False, True or a RetryPolicy")


def _open_channel(broadcast: Any, storage_key: str) -> SyncChannel:
    if broadcast is False or broadcast is None:
        return InactiveChannel()
    if broadcast is not True and not isinstance(broadcast, BroadcastOptions):
        raise TypeError("broadcast must be False, True or BroadcastOptions")
    options = broadcast if isinstance(broadcast, BroadcastOptions) else None
    try:
        return browser.open_sync_channel(storage_key, options)
    except TypeError:
        raise  # the factory returned something that is no channel: the app's mistake, said at once
    except Exception:
        logger.debug("pysession: no tab sync channel; this tab runs on its own", exc_info=True)
        return InactiveChannel()


def create_session_store(
    provider: Any,
    *,
    storage: SessionStorage | None = None,
    storage_key: str = DEFAULT_STORAGE_KEY,
    reconnect: RetryPolicy | bool | None = None,
    expiry: ExpiryOptions | None = None,
    broadcast: bool | BroadcastOptions = False,
    persist_snapshot: bool = True,
    on_invalidate: Callable[[InvalidationEvent], Any] | None = None,
) -> SessionStore:
    """A session store over ``provider``; ``storage=None`` is the encrypted default where the browser has one."""
    adapter, owned = _check_provider(provider)
    if storage is not None:
        _check_storage(storage)
    if not isinstance(storage_key, str) or not storage_key:
        raise TypeError("storage_key must be a non-empty string")
    if expiry is not None and not isinstance(expiry, ExpiryOptions):
        raise TypeError("expiry must be None or ExpiryOptions")
    if on_invalidate is not None and not callable(on_invalidate):
        raise TypeError("on_invalidate must be callable or None")
    policy = _retry_policy(reconnect)
    if storage is None:
        storage = default_storage()
        owned = (*owned, getattr(storage, "destroy", lambda: None))
    channel = _open_channel(broadcast, storage_key)
    return SessionStore(
        provider,
        adapter=adapter,
        storage=storage,
        storage_key=storage_key,
        reconnect=policy,
        expiry=expiry,
        channel=channel,
        persist_snapshot=bool(persist_snapshot),
        on_invalidate=on_invalidate,
        timers=default_timers(),
        owned=owned,
    )
