"""Latest-wins persistence of one storage key.

While a write is in flight, newer values replace the one queued behind it, so a
burst of changes costs two writes, not one per change, and the last value asked
for is the one that stays stored.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from ._storage import SessionStorage
from ._timers import current_loop

Report = Callable[[str, Exception], None]


class LatestWinsWriter:
    """Serialised writes of one key; ``None`` removes the entry.

    A synchronous storage is written at once; an async one drains in a task of
    its own, so a caller that is cancelled never cancels a write under way.
    """

    def __init__(self, storage: SessionStorage, key: str, report: Report) -> None:
        self._storage = storage
        self._key = key
        self._report = report
        self._queued: tuple[str | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._closed = False
        self._on_idle: Callable[[], None] | None = None

    def put(self, value: str | None) -> None:
        """Persist ``value`` after any write already running."""
        if self._closed:
            return
        self._queued = (value,)
        if self._task is None and (pending := self._write_queued()) is not None:
            self._task = current_loop().create_task(self._drain(pending))

    @property
    def busy(self) -> bool:
        """A write of this writer is under way (or queued behind one)."""
        return self._task is not None

    async def flush(self) -> None:
        """Wait for the writes asked for so far.

        Each caller waits on a future of its own, so a cancelled one cancels no
        write and no other caller, and the drain's end wakes it in one step.
        """
        while self._task is not None:
            waiter = current_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def close(self, then: Callable[[], None]) -> None:
        """Accept nothing new; let what is asked for land, then call ``then`` (at once when idle)."""
        self._closed = True
        if self._task is None:
            then()
        else:
            self._on_idle = then

    def _write_queued(self) -> Awaitable[Any] | None:
        """Write queued values while the storage answers synchronously; return the first awaitable."""
        while self._queued is not None:
            (value,), self._queued = self._queued, None
            try:
                if value is None:
                    pending = self._storage.remove_item(self._key)
                else:
                    pending = self._storage.set_item(self._key, value)
            except Exception as exc:
                self._report("persisting the session failed", exc)
                continue
            if inspect.isawaitable(pending):
                return pending
        return None

    async def _drain(self, pending: Awaitable[Any] | None) -> None:
        try:
            while pending is not None:
                try:
                    await pending
                except Exception as exc:
                    self._report("persisting the session failed", exc)
                pending = self._write_queued()
        finally:
            waiters, self._waiters, self._task = self._waiters, [], None
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            if self._on_idle is not None:
                on_idle, self._on_idle = self._on_idle, None
                on_idle()
