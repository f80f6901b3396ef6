"""The harness itself: virtual time is exact, and it fails a test on errors asyncio would only log."""

from __future__ import annotations

import asyncio
import time

import pytest

from .support import EPOCH_MS, advance, loop, run_virtual


def test_timers_fire_in_order_at_exact_virtual_times():
    async def main():
        fired = []
        for delay in (7, 1, 3):
            loop().call_later(delay, lambda d=delay: fired.append((d, loop().now_ms())))
        await advance(10_000)
        return fired, time.time()

    fired, wall = run_virtual(main)
    assert fired == [(1, 1000), (3, 3000), (7, 7000)]
    assert wall == (EPOCH_MS + 10_000) / 1000


def test_an_unretrieved_task_error_fails_the_run():
    """So a store task that crashes in the background cannot pass unnoticed."""

    async def crash():
        raise RuntimeError("background bug")

    async def main():
        asyncio.get_running_loop().create_task(crash())
        await advance(1)

    with pytest.raises(AssertionError, match="background bug"):
        run_virtual(main)


def test_a_failing_timer_callback_fails_the_run():
    async def main():
        loop().call_later(1, lambda: 1 / 0)
        await advance(2_000)

    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        run_virtual(main)


def test_waiting_for_something_that_never_comes_is_a_deadlock_not_a_hang():
    async def main():
        await asyncio.get_running_loop().create_future()

    with pytest.raises(RuntimeError, match="deadlock"):
        run_virtual(main)
