"""Time for the store: a clock in epoch ms and cancellable one-shot timers.

The default rides the running asyncio loop, so tests drive backoff and expiry in
virtual time; the browser edge swaps in setTimeout-based timers it can destroy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

Cancel = Callable[[], None]


class Timers(Protocol):
    def now_ms(self) -> int: ...

    def call_later(self, delay_ms: float, callback: Callable[[], None]) -> Cancel: ...

    def close(self) -> None: ...


def current_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop()


class LoopTimers:
    """Timers on the asyncio loop; the clock is the loop's, anchored to the wall clock once."""

    def __init__(self) -> None:
        self._anchor: tuple[asyncio.AbstractEventLoop, float] | None = None
        self._handles: set[asyncio.TimerHandle] = set()

    def now_ms(self) -> int:
        loop = current_loop()
        if self._anchor is None or self._anchor[0] is not loop:
            self._anchor = (loop, time.time() - loop.time())
        return int((self._anchor[1] + loop.time()) * 1000)

    def call_later(self, delay_ms: float, callback: Callable[[], None]) -> Cancel:
        def fire() -> None:
            self._handles.discard(handle)
            callback()

        handle = current_loop().call_later(max(delay_ms, 0) / 1000, fire)
        self._handles.add(handle)

        def cancel() -> None:
            handle.cancel()
            self._handles.discard(handle)

        return cancel

    def close(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()


class Tasks:
    """Background work of one owner: kept referenced while it runs, cancelled together."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = current_loop().create_task(coroutine)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def cancel(self) -> None:
        for task in list(self._running):
            task.cancel()
