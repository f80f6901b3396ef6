"""What this runtime has: the one place that asks whether a browser API exists."""

from __future__ import annotations

import sys
from typing import Any

from .._errors import BrowserUnavailableError
from .._storage import MemoryStorage, SessionStorage
from .._timers import LoopTimers, Timers

IN_BROWSER = sys.platform == "emscripten"
NO_ORIGIN = "no-origin"


def js_global(name: str) -> Any | None:
    """``globalThis[name]``, or None where it is missing, throws on access, or outside a browser."""
    if not IN_BROWSER:
        return None
    import js

    try:
        value = getattr(js, name, None)
    except Exception:
        return None
    return None if value is None or is_js_null(value) else value


def require(name: str, what: str | None = None) -> Any:
    value = js_global(name)
    if value is None:
        raise BrowserUnavailableError(what or name)
    return value


def is_js_proxy(value: Any) -> bool:
    if not IN_BROWSER:
        return False
    from pyodide.ffi import JsProxy

    return isinstance(value, JsProxy)


def is_js_null(value: Any) -> bool:
    if not IN_BROWSER:
        return False
    from pyodide.ffi import jsnull

    return value is jsnull


def current_origin(origin: str | None = None) -> str:
    """The explicit origin, else ``location.origin``, else the literal ``no-origin``."""
    if origin is not None:
        return origin
    location = js_global("location")
    return str(location.origin) if location is not None else NO_ORIGIN


def default_storage() -> SessionStorage:
    """Encrypted IndexedDB where IndexedDB and WebCrypto exist; memory elsewhere."""
    from .encrypted import create_encrypted_indexeddb_storage, has_encrypted_storage

    return create_encrypted_indexeddb_storage() if has_encrypted_storage() else MemoryStorage()


def default_timers() -> Timers:
    if js_global("setTimeout") is None:
        return LoopTimers()
    from .timers import BrowserTimers

    return BrowserTimers()
