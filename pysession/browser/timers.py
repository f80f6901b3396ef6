"""setTimeout timers whose callback proxies die when they fire or are cancelled.

(A cancelled asyncio timer on Pyodide's loop keeps its proxy until the delay
passes; a 30 s backoff would keep it alive long after ``destroy()``.)
"""

from __future__ import annotations

from collections.abc import Callable

from .._timers import Cancel
from ._runtime import require


class BrowserTimers:
    def __init__(self) -> None:
        self._pending: dict[int, Callable[[], None]] = {}

    def now_ms(self) -> int:
        return int(require("Date").now())

    def call_later(self, delay_ms: float, callback: Callable[[], None]) -> Cancel:
        from pyodide.ffi import create_once_callable

        def fire() -> None:
            self._pending.pop(timer_id, None)
            callback()

        proxy = create_once_callable(fire)
        timer_id = int(require("setTimeout")(proxy, max(delay_ms, 0)))

        def cancel() -> None:
            if self._pending.pop(timer_id, None) is not None:
                require("clearTimeout")(timer_id)
                proxy.destroy()

        self._pending[timer_id] = cancel
        return cancel

    def close(self) -> None:
        for cancel in list(self._pending.values()):
            cancel()
