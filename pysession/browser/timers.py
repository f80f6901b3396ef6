"""setTimeout timers whose callback proxies die when they fire or are cancelled.

(A cancelled asyncio timer on Pyodide's loop keeps its proxy until the delay
passes; a 30 s backoff would keep it alive long after ``destroy()``.)
"""

from __future__ import annotations

from collections.abc import Callable

from .._timers import Cancel
from ._ffi import create_once_callable, js

MAX_DELAY_MS = 2**31 - 1


class BrowserTimers:
    def __init__(self) -> None:
        self._pending: dict[int, Callable[[], None]] = {}

    def now_ms(self) -> int:
        return int(js.Date.now())

    def call_later(self, delay_ms: float, callback: Callable[[], None]) -> Cancel:
        delay_ms = max(delay_ms, 0)
        if delay_ms > MAX_DELAY_MS:
            # setTimeout fires at once past 2**31 - 1 ms; wait in steps instead.
            return self._call_later_in_steps(delay_ms, callback)

        def fire() -> None:
            self._pending.pop(timer_id, None)
            callback()

        proxy = create_once_callable(fire)
        timer_id = int(js.setTimeout(proxy, delay_ms))

        def cancel() -> None:
            if self._pending.pop(timer_id, None) is not None:
                js.clearTimeout(timer_id)
                proxy.destroy()

        self._pending[timer_id] = cancel
        return cancel

    def _call_later_in_steps(self, delay_ms: float, callback: Callable[[], None]) -> Cancel:
        cancel_step: list[Cancel] = []

        def step() -> None:
            cancel_step[0] = self.call_later(delay_ms - MAX_DELAY_MS, callback)

        cancel_step.append(self.call_later(MAX_DELAY_MS, step))
        return lambda: cancel_step[0]()

    def close(self) -> None:
        for cancel in list(self._pending.values()):
            cancel()
