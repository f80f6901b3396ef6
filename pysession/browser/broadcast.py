"""BroadcastChannel as a ``SyncChannel``: dicts out as plain JS objects, plain values in.

A received ``event.data`` is read field by field (never ``to_py`` on an object
another tab controls) into a small dict; ``parse_sync_message`` then decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._sync import BroadcastOptions, InactiveChannel, MessageHandler, SyncChannel, channel_name
from ._ffi import JsProxy, create_proxy, current_origin, error_text, is_js_proxy, js_api
from .jsvalues import read_message_fields, to_js_object


class BroadcastSyncChannel:
    """One JS BroadcastChannel-like object; owns its one message listener proxy."""

    active = True

    def __init__(self, channel: JsProxy) -> None:
        self._channel = channel
        self._handlers: list[MessageHandler] = []
        self._listener = create_proxy(self._dispatch)
        channel.addEventListener("message", self._listener)

    def post(self, message: dict[str, Any]) -> None:
        try:
            self._channel.postMessage(to_js_object(message))
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
        if self._listener is None:
            return
        self._channel.removeEventListener("message", self._listener)
        self._listener.destroy()
        self._listener = None
        self._handlers.clear()
        self._channel.close()

    def _dispatch(self, event: JsProxy) -> None:
        data = read_message_fields(getattr(event, "data", None))
        for handler in list(self._handlers):
            handler(data)


def _adopt(channel: Any) -> SyncChannel:
    """A factory's answer: None is no channel, a JS object is wrapped, a Python channel kept."""
    if channel is None:
        return InactiveChannel()
    if is_js_proxy(channel):
        return BroadcastSyncChannel(channel)
    return channel


def open_sync_channel(storage_key: str, options: BroadcastOptions | None = None, origin: str | None = None) -> SyncChannel:
    """The tab-sync channel ``partylayer.session.sync::<origin>::<storage key>``."""
    name = channel_name(current_origin(origin), storage_key)
    if options is not None and options.channel_factory is not None:
        return _adopt(options.channel_factory(name))
    return BroadcastSyncChannel(js_api("BroadcastChannel").new(name))
