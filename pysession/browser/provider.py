"""``JsProvider``: a JS CIP-0103 provider (say, one a wallet put on ``window``) as a Python provider.

Requests cross as plain JS objects and come back as plain Python values; each
listener gets one proxy, destroyed when the listener is removed or on ``destroy()``.

A provider of another realm (the main thread's wallet, given to Python in a
PyScript worker) is driven with that realm's own built-ins: its promise must get
its handler in the task that made it, on its own thread, or the page reports an
unhandled rejection; and its answers and event payloads are read there as JSON
text, one crossing each, instead of one synchronous crossing per field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import numeric_code
from ._ffi import JsValue, create_proxy, is_js_null, is_js_proxy, js, js_global
from .jsvalues import to_js_object, to_py

_MESSAGE_LIMIT = 1000


class WalletRejection(Exception):
    """What a JS wallet rejected a request with, read at the edge: its message, ``code`` and ``data``.

    The fields of a JS ``Error``, a plain ``{code, message, data}`` object or a
    JSON-RPC body ``{error: {code, message, data}}``; None where there are none (a
    wallet that rejects with a string or a number). ``WalletError.from_failure``
    reads a code from the SDK's ``RPC error: <code> - <message>`` text.
    """

    def __init__(self, message: str, code: Any = None, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


def read_rejection(reason: Any) -> WalletRejection:
    """The ``WalletRejection`` for whatever a wallet rejected (or threw) with, never raising."""
    reason = None if is_js_null(reason) else reason
    if not is_js_proxy(reason):
        if isinstance(reason, str) and reason:
            return WalletRejection(reason[:_MESSAGE_LIMIT])
        what = "without a reason" if reason is None else f"with {reason!r}"
        return WalletRejection(f"the wallet rejected the request {what}"[:_MESSAGE_LIMIT])
    try:
        name, message, code = (getattr(reason, field, None) for field in ("name", "message", "code"))
        code, data = to_py(code), to_py(getattr(reason, "data", None))
        body = getattr(reason, "error", None)
        body_code = to_py(getattr(body, "code", None)) if is_js_proxy(body) else None
        if numeric_code(code) is None and numeric_code(body_code) is not None:
            # A JSON-RPC error body, {error: {code, message, data}}: the code and words are the inner ones.
            code, data = body_code, to_py(getattr(body, "data", None))
            inner = getattr(body, "message", None)
            message = inner if isinstance(inner, str) and inner else message
        if not (isinstance(message, str) and message):
            message = f"the wallet rejected the request with {to_py(reason)!r}"
        elif isinstance(name, str) and name not in ("", "Error") and code is None:
            message = f"{name}: {message}"  # a TypeError from a broken wallet says so
        return WalletRejection(message[:_MESSAGE_LIMIT], code, data)
    except Exception:
        return WalletRejection("the wallet rejected the request with an unreadable value")


def provider_realm(js_provider: JsValue) -> Any | None:
    """The global object of the realm ``js_provider`` was made in, when that is not ours; else None.

    In a PyScript worker ``document`` is the main thread's, and its
    ``defaultView`` that thread's ``window``; the provider belongs to it when its
    prototype chain leads there. A realm without ``Promise.try`` or iterator
    helpers counts as none (the requests are then made from here, as before).
    """
    if js.Object.prototype.isPrototypeOf(js_provider):
        return None
    realm = getattr(js_global("document"), "defaultView", None)
    try:
        if realm is None or not realm.Object.prototype.isPrototypeOf(js_provider):
            return None
        if getattr(realm.Promise, "try", None) is None or getattr(realm.Iterator.prototype, "map", None) is None:
            return None
    except Exception:
        return None
    return realm


class RealmRequests:
    """Requests made and settled in the provider's own realm: the wallet's promise is handled in the task that made it.

    ``allSettled`` there drives a lazy iterator (``[payload].values().map(call)``)
    whose ``call`` is the request through ``Promise.try``, so the request is made
    inside ``allSettled`` and gets its handler before that realm's task ends; the
    settled outcome, which never rejects, is read as JSON text in one crossing.
    """

    def __init__(self, realm: Any, js_provider: JsValue) -> None:
        promise = realm.Promise
        self.json = realm.JSON
        self._settle = promise.allSettled.bind(promise)
        self._call = getattr(promise, "try").bind(promise, js_provider.request.bind(js_provider))

    async def request(self, payload: dict[str, Any]) -> Any:
        calls = to_js_object([payload], self.json).values().map(self._call)
        settled = await self._settle(calls)
        outcome = to_py(settled, self.json)
        if not (isinstance(outcome, list) and outcome and isinstance(outcome[0], dict)):
            raise WalletRejection("the wallet answered with a value that cannot be read")
        if outcome[0].get("status") == "rejected":
            raise read_rejection(settled[0].reason)
        return outcome[0].get("value")


class JsProvider:
    def __init__(self, js_provider: JsValue) -> None:
        if not callable(getattr(js_provider, "request", None)):
            raise TypeError("provider must be a CIP-0103 provider; it has no callable request")
        self._js = js_provider
        self._proxies: dict[tuple[str, Callable[..., Any]], JsValue] = {}
        realm = provider_realm(js_provider)
        self._realm = RealmRequests(realm, js_provider) if realm is not None else None
        self._json = self._realm.json if self._realm is not None else None

    async def request(self, payload: dict[str, Any]) -> Any:
        if self._realm is not None:
            return await self._realm.request(payload)
        # The wallet's promise never reaches Python: Pyodide 314 never wakes an await
        # on a promise rejected with a non-Error, and wallets reject (or throw) plain
        # {code, message} objects (EIP-1193 style). Array.from calls request() in JS,
        # through Promise.try so that a throw is a rejection too, and allSettled turns
        # either outcome into a fulfilled {status, value|reason}.
        promise = js.Promise
        call = self._js.request.bind(self._js)
        if getattr(promise, "try", None) is not None:
            call = getattr(promise, "try").bind(promise, call)
        calls = getattr(js.Array, "from")(to_js_object([payload]), call)
        outcome = (await promise.allSettled(calls))[0]
        if outcome.status == "rejected":
            raise read_rejection(outcome.reason)
        return to_py(outcome.value)

    def on(self, event: str, listener: Callable[..., Any]) -> JsProvider:
        self.remove_listener(event, listener)
        realm_json = self._json
        proxy = create_proxy(lambda *args: listener(*(to_py(arg, realm_json) for arg in args)))
        self._proxies[(event, listener)] = proxy
        self._js.on(event, proxy)
        return self

    def remove_listener(self, event: str, listener: Callable[..., Any]) -> JsProvider:
        proxy = self._proxies.pop((event, listener), None)
        if proxy is not None:
            remove = getattr(self._js, "removeListener", None) or getattr(self._js, "off", None)
            try:
                if remove is not None:
                    remove(event, proxy)
            finally:
                proxy.destroy()
        return self

    def emit(self, event: str, *args: Any) -> bool:
        return bool(self._js.emit(event, *(to_js_object(arg, self._json) for arg in args)))

    def destroy(self) -> None:
        for event, listener in list(self._proxies):
            self.remove_listener(event, listener)
