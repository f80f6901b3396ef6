"""JS promises chained with Python callbacks, so a whole operation costs one Python ``await``.

Resuming Python after a JS promise costs a macrotask (0.15-0.3 ms after an
IndexedDB request); a Python callback invoked by a settling promise or an event
costs microseconds. Browser edges therefore build one promise per operation and
await it once. Every callback proxy made here is destroyed by the first outcome.

Callbacks hand their results to JS as arguments of ``resolve``/``reject``, never as
return values: a JS object returned from a Python callback that JS invoked from
a task of its own does not survive the trip in Pyodide 314 (it arrives as 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._runtime import require


def _js_error(exc: BaseException) -> Any:
    return require("Error").new(f"{type(exc).__name__}: {exc}")


def _settle(pending: Any, compute: Callable[[], Any]) -> None:
    """Resolve ``pending`` with ``compute()`` (a promise is adopted), or reject with what it raised."""
    try:
        value = compute()
    except Exception as exc:
        pending.reject(_js_error(exc))
        return
    pending.resolve(value)


def then(promise: Any, on_fulfilled: Callable[[Any], Any], on_rejected: Callable[[Any], Any] | None = None) -> Any:
    """A promise of ``on_fulfilled(value)`` (or ``on_rejected(error)``); both proxies go once either runs."""
    from pyodide.ffi import create_proxy

    pending = require("Promise").withResolvers()

    def release() -> None:
        fulfilled.destroy()
        rejected.destroy()

    def on_ok(value: Any) -> None:
        release()
        _settle(pending, lambda: on_fulfilled(value))

    def on_error(error: Any) -> None:
        release()
        if on_rejected is None:
            pending.reject(error)
        else:
            _settle(pending, lambda: on_rejected(error))

    fulfilled, rejected = create_proxy(on_ok), create_proxy(on_error)
    promise.then(fulfilled, rejected)
    return pending.promise


def settle_on_events(
    target: Any,
    resolve_on: dict[str, Callable[[Any], Any]],
    reject_on: dict[str, Callable[[Any], Any]],
    also: dict[str, Callable[[Any], None]] | None = None,
) -> Any:
    """A promise settled by the first of ``target``'s events named in ``resolve_on``/``reject_on``.

    ``also`` are listeners that run until then (IndexedDB's ``upgradeneeded``). Every
    listener is removed and its proxy destroyed when the promise settles.
    """
    from pyodide.ffi import create_proxy

    pending = require("Promise").withResolvers()
    listeners: list[tuple[str, Any]] = []

    def release() -> None:
        for event_type, proxy in listeners:
            target.removeEventListener(event_type, proxy)
            proxy.destroy()
        listeners.clear()

    def outcome(settle: Any, value_of: Callable[[Any], Any]) -> Callable[[Any], None]:
        def listener(event: Any) -> None:
            release()
            try:
                value = value_of(event)
            except Exception as exc:
                pending.reject(_js_error(exc))
                return
            settle(value)

        return listener

    handlers = {name: outcome(pending.resolve, fn) for name, fn in resolve_on.items()}
    handlers |= {name: outcome(pending.reject, fn) for name, fn in reject_on.items()}
    handlers |= also or {}
    for event_type, handler in handlers.items():
        proxy = create_proxy(handler)
        listeners.append((event_type, proxy))
        target.addEventListener(event_type, proxy)
    return pending.promise
