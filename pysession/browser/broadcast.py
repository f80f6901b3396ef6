"""The tab-sync channel: a BroadcastChannel, or whatever ``channel_factory`` returns, as a ``SyncChannel``.

A factory may return None (single tab), a BroadcastChannel-like object, JS or
Python (``postMessage``, ``close``, and ``addEventListener`` or an ``onmessage``
the store assigns), or a ready ``SyncChannel`` (``post``, ``on_message``,
``close``); anything else is refused by name. A factory that raises gives a
single tab, and closing never raises: the app's channel may fail as it likes.

A received ``event.data`` (or ``event["data"]``) is read field by field (never
``to_py`` on an object another tab controls) into a small dict;
``parse_sync_message`` then decides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .._sync import BroadcastOptions, InactiveChannel, MessageHandler, SyncChannel, channel_name
from ._ffi import create_proxy, current_origin, error_text, is_js_proxy, js_api
from .jsvalues import read_message_fields, to_js_object

logger = logging.getLogger("pysession")


def _has(value: object, *methods: str) -> bool:
    return all(callable(getattr(value, method, None)) for method in methods)


def _message_data(event: object) -> Any:
    """``event.data``, else ``event["data"]``, else None."""
    data = getattr(event, "data", None)
    if data is None and not is_js_proxy(event):
        try:
            data = event["data"]  # type: ignore[index]
        except Exception:
            return None
    return data


class BroadcastSyncChannel:
    """One BroadcastChannel-like object, JS or Python; owns its one message listener (a proxy for JS)."""

    active = True

    def __init__(self, channel: Any) -> None:
        self._channel = channel
        self._handlers: list[MessageHandler] = []
        self._to_js = is_js_proxy(channel)
        self._events = _has(channel, "addEventListener")
        self._listener: Any = create_proxy(self._dispatch) if self._to_js else self._dispatch
        try:
            if self._events:
                channel.addEventListener("message", self._listener)
            else:
                channel.onmessage = self._listener
        except Exception:
            self._drop_listener()
            raise

    def post(self, message: dict[str, Any]) -> None:
        try:
            self._channel.postMessage(to_js_object(message) if self._to_js else message)
        except Exception as exc:
            # Said in the browser's words (Pyodide 314 hides a thrown DOMException's name).
            raise RuntimeError(f"BroadcastChannel.postMessage failed: {error_text(exc)}") from exc

    def on_message(self, handler: MessageHandler) -> Callable[[], None]:
        self._handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return unsubscribe

    def close(self) -> None:
        """Stop listening and close the channel; never raises."""
        if self._listener is None:
            return
        self._handlers.clear()
        try:
            if not self._events:
                self._channel.onmessage = None
            elif _has(self._channel, "removeEventListener"):
                self._channel.removeEventListener("message", self._listener)
        except Exception:
            logger.debug("pysession: removing the channel's message listener failed", exc_info=True)
        try:
            self._channel.close()
        except Exception:
            logger.debug("pysession: closing the tab sync channel failed", exc_info=True)
        self._drop_listener()

    def _drop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if self._to_js:
            listener.destroy()

    def _dispatch(self, event: Any) -> None:
        try:
            data = read_message_fields(_message_data(event))
        except Exception:
            return  # an event no tab of ours sent
        for handler in list(self._handlers):
            handler(data)


class AppSyncChannel:
    """A ``SyncChannel`` the app made, used as it is, except that closing it never raises."""

    def __init__(self, channel: SyncChannel) -> None:
        self._channel = channel

    @property
    def active(self) -> bool:
        return bool(getattr(self._channel, "active", True))

    def post(self, message: dict[str, Any]) -> None:
        self._channel.post(message)

    def on_message(self, handler: MessageHandler) -> Callable[[], None]:
        undo = self._channel.on_message(handler)

        def unsubscribe() -> None:
            try:
                undo()
            except Exception:
                logger.debug("pysession: unsubscribing from the tab sync channel failed", exc_info=True)

        return unsubscribe

    def close(self) -> None:
        try:
            self._channel.close()
        except Exception:
            logger.debug("pysession: closing the tab sync channel failed", exc_info=True)


def adopt_channel(channel: object) -> SyncChannel:
    """A factory's answer as a ``SyncChannel``; ``TypeError`` naming ``channel_factory`` for anything else."""
    if channel is None:
        return InactiveChannel()
    if not is_js_proxy(channel) and _has(channel, "post", "on_message", "close"):
        return AppSyncChannel(channel)  # type: ignore[arg-type]
    if _has(channel, "postMessage", "close"):
        try:
            return BroadcastSyncChannel(channel)
        except Exception as exc:
            if not is_js_proxy(channel):
                raise TypeError(f"channel_factory returned a channel that takes no message listener: {exc!r}") from exc
            logger.debug("pysession: the factory's channel takes no listener; this tab runs on its own", exc_info=True)
            return InactiveChannel()
    raise TypeError(
        "channel_factory must return None, a BroadcastChannel-like object (postMessage, close, and onmessage "
        f"or addEventListener) or a SyncChannel (post, on_message, close); it returned {type(channel).__name__}"
    )


def open_sync_channel(
    storage_key: str, options: BroadcastOptions | None = None, origin: str | None = None
) -> SyncChannel:
    """The tab-sync channel ``partylayer.session.sync::<origin>::<storage key>``.

    A ``channel_factory`` that raises gives a single tab (``InactiveChannel``), as in
    the original; one that returns none of the shapes above is a ``TypeError``.
    """
    name = channel_name(current_origin(origin), storage_key)
    if options is None or options.channel_factory is None:
        return BroadcastSyncChannel(js_api("BroadcastChannel").new(name))
    try:
        channel = options.channel_factory(name)
    except Exception:
        logger.debug("pysession: the channel factory failed; this tab runs on its own", exc_info=True)
        return InactiveChannel()
    return adopt_channel(channel)
