"""Awaiting browser work at the cost of one Python ``await`` per operation.

Measured in Chromium with Pyodide 314: resuming Python after a pending JS promise
costs 0.25-0.35 ms, making and destroying a callback proxy about 40 us, a plain
call between Python and JS a few microseconds. So an operation is one promise
that JS settles by itself: the promise's own ``resolve``/``reject`` (JS functions,
no proxies) go straight onto request and transaction handlers, and a step that
needs Python is a long-lived proxy ``bind``-ed to the operation's values.

A Python callback never returns a JS object to JS: in Pyodide 314 one returned
from a callback that JS invoked from a task of its own arrives as 0. Results
travel as arguments of ``resolve`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._runtime import require


def deferred() -> Any:
    """``Promise.withResolvers()``: ``.promise``, ``.resolve``, ``.reject``."""
    return require("Promise").withResolvers()


def js_error(exc: BaseException) -> Any:
    """A JS ``Error`` describing a Python exception (no proxy of the exception crosses)."""
    return require("Error").new(f"{type(exc).__name__}: {exc}")


def settle_on(target: Any, resolve: Any, reject: Any, success: str = "success") -> None:
    """Point an IndexedDB request's or transaction's handlers at a deferred's functions."""
    setattr(target, "on" + success, resolve)
    target.onerror = reject
    if success == "complete":
        target.onabort = reject


class Callbacks:
    """Long-lived proxies of one owner, made on first use and destroyed together."""

    def __init__(self) -> None:
        self._proxies: dict[Callable[..., Any], Any] = {}

    def bind(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A JS function calling ``fn(*args, *js_args)``; the proxy behind it is made once."""
        proxy = self._proxies.get(fn)
        if proxy is None:
            from pyodide.ffi import create_proxy

            proxy = self._proxies[fn] = create_proxy(fn)
        return proxy.bind(None, *args)

    def destroy(self) -> None:
        for proxy in self._proxies.values():
            proxy.destroy()
        self._proxies.clear()

