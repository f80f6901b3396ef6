"""``window.localStorage`` as plain calls; JS null is None, a throwing access is a missing API."""

from __future__ import annotations

from ._ffi import JsValue, is_js_null, js_api


def local_storage() -> JsValue:
    """The page's localStorage; raises ``BrowserUnavailableError`` where access is refused."""
    return js_api("localStorage")


def get_item(key: str) -> str | None:
    value = local_storage().getItem(key)
    return None if is_js_null(value) else value


def set_item(key: str, value: str) -> None:
    local_storage().setItem(key, value)


def remove_item(key: str) -> None:
    local_storage().removeItem(key)
