"""``JsProvider``: a JS CIP-0103 provider (say, one a wallet put on ``window``) as a Python provider.

Requests cross as plain JS objects and come back as plain Python values; each
listener gets one proxy, destroyed when the listener is removed or on ``destroy()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._storage import settle
from .jsvalues import to_js_object, to_py


class JsProvider:
    def __init__(self, js_provider: Any) -> None:
        if not callable(getattr(js_provider, "request", None)):
            raise TypeError("provider must be a CIP-0103 provider; it has no callable request")
        self._js = js_provider
        self._proxies: dict[tuple[str, Callable[..., Any]], Any] = {}

    async def request(self, payload: dict[str, Any]) -> Any:
        return to_py(await settle(self._js.request(to_js_object(payload))))

    def on(self, event: str, listener: Callable[..., Any]) -> JsProvider:
        from pyodide.ffi import create_proxy

        self.remove_listener(event, listener)
        proxy = create_proxy(lambda *args: listener(*map(to_py, args)))
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
        return bool(self._js.emit(event, *map(to_js_object, args)))

    def destroy(self) -> None:
        for event, listener in list(self._proxies):
            self.remove_listener(event, listener)
