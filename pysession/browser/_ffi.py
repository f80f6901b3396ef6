"""The one FFI gate: the ``js`` module and the ``pyodide.ffi`` names, imported here only.

Outside Pyodide (CPython, a test) no value is a JS value and every JS global is
missing, so the edges import anywhere and fail on call with
``BrowserUnavailableError`` naming what is missing. Type checkers read the
stand-ins: Pyodide publishes no stubs for ``js`` and ``pyodide.ffi``, so a JS
value is a ``JsValue`` (``Any``), named once here rather than ignored at each use.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, TypeAlias

from .._errors import BrowserUnavailableError

JsValue: TypeAlias = Any
"""A value that lives in JavaScript (a ``JsProxy``, a JS global, what a JS call returns): unchecked by types."""

IN_BROWSER = sys.platform == "emscripten"
NO_ORIGIN = "no-origin"

if sys.platform == "emscripten":
    import js
    from pyodide.ffi import JsProxy, create_once_callable, create_proxy, jsnull, to_js
else:
    js: JsValue = None

    class JsProxy:
        """Nothing is one outside a browser."""

    jsnull: JsValue = object()

    def _unavailable(*_args: Any, **_kwargs: Any) -> JsValue:
        raise BrowserUnavailableError("Pyodide's JS bridge")

    create_once_callable: Callable[..., JsValue] = _unavailable
    create_proxy: Callable[..., JsValue] = _unavailable
    to_js: Callable[..., JsValue] = _unavailable


def js_global(name: str) -> JsValue | None:
    """``globalThis[name]``, or None where it is missing, throws on access, or outside a browser."""
    if js is None:
        return None
    try:
        value = getattr(js, name, None)
    except Exception:
        return None
    return None if value is None or value is jsnull else value


def js_api(name: str, what: str | None = None) -> JsValue:
    """``globalThis[name]``, or ``BrowserUnavailableError`` naming ``what`` (by default ``name``)."""
    value = js_global(name)
    if value is None:
        raise BrowserUnavailableError(what or name)
    return value


_PROXY_TYPES: dict[type, bool] = {}


def is_js_proxy(value: object) -> bool:
    """Whether value is a JS value, by its type: Pyodide's ``isinstance(value, JsProxy)``
    runs a Python ``__instancecheck__`` (tens of µs), and each event crosses here."""
    kind = type(value)
    known = _PROXY_TYPES.get(kind)
    if known is None:
        known = _PROXY_TYPES[kind] = isinstance(value, JsProxy)
    return known


def is_js_null(value: object) -> bool:
    return value is jsnull


def current_origin(origin: str | None = None) -> str:
    """The explicit origin, else ``location.origin``, else the literal ``no-origin``."""
    if origin is not None:
        return origin
    location = js_global("location")
    return str(location.origin) if location is not None else NO_ORIGIN


class DOMExceptionError(Exception):
    """A browser API failed with a DOMException (IndexedDB hands it over in an event): its name and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


_WRAPPED = re.compile(r'toString method returns """(.*)"""', re.S)


def error_text(exc: BaseException) -> str:
    """``"<name>: <message>"`` of a failure from JS (a DOMException, an error event) or Python.

    Pyodide 314 turns a DOMException thrown by a JS call into a generic ``Error``
    whose message quotes the original's ``toString()``: the name and message are
    taken back from that quote.
    """
    cause = getattr(exc, "js_error", None)
    if cause is None:
        return str(exc) if isinstance(exc, DOMExceptionError) else f"{type(exc).__name__}: {exc}"
    target_error = getattr(getattr(cause, "target", None), "error", None)
    if target_error is not None:
        cause = target_error
    name, message = getattr(cause, "name", None), getattr(cause, "message", None)
    text = f"{name}: {message}" if isinstance(name, str) and isinstance(message, str) else str(exc)
    wrapped = _WRAPPED.search(text)
    return wrapped.group(1) if wrapped else text
