"""The browser edges: IndexedDB, WebCrypto, BroadcastChannel, localStorage, cookies, timers.

Importable anywhere; a factory called outside a browser raises
``BrowserUnavailableError`` naming what is missing. Each edge is imported on
first use (PEP 562 ``__getattr__``): a page that never touches cookies or a
channel does not compile them at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .._sync import BroadcastOptions

if TYPE_CHECKING:
    from .broadcast import open_sync_channel
    from .cookies import create_cookie_storage
    from .encrypted import create_encrypted_indexeddb_storage, create_encrypted_local_storage
    from .provider import JsProvider

__all__ = [
    "BroadcastOptions",
    "JsProvider",
    "create_cookie_storage",
    "create_encrypted_indexeddb_storage",
    "create_encrypted_local_storage",
    "open_sync_channel",
]

_HOMES = {
    "JsProvider": "provider",
    "create_cookie_storage": "cookies",
    "create_encrypted_indexeddb_storage": "encrypted",
    "create_encrypted_local_storage": "encrypted",
    "open_sync_channel": "broadcast",
}

BroadcastOptions.__module__ = __name__


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
