"""The state cell: one frozen ``SessionState``, replaced only on a real change, and its subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from ._account import Account
from ._listeners import Listeners

Status = Literal["disconnected", "connecting", "connected", "reconnecting"]


@dataclass(frozen=True, slots=True)
class SessionState:
    """What the store knows now: one immutable snapshot per change."""

    status: Status = "disconnected"
    account: Account | None = None
    accounts: tuple[Account, ...] = ()
    network_id: str | None = None
    last_error: Exception | None = None


class StateCell:
    """``get()`` is the same object until ``set`` changes a field; then each subscriber is told."""

    def __init__(self) -> None:
        self._state = SessionState()
        self._subscribers: Listeners[Callable[[], object]] = Listeners()
        self._streams: set[asyncio.Queue[SessionState | None]] = set()
        self._closed = False

    def get(self) -> SessionState:
        return self._state

    def set(self, **changes: Any) -> None:
        state = self._state
        if all(getattr(state, name) is value or getattr(state, name) == value for name, value in changes.items()):
            return
        self._state = replace(state, **changes)
        self._subscribers.notify()

    def subscribe(self, listener: Callable[[], object]) -> Callable[[], None]:
        return self._subscribers.add(listener)

    async def changes(self) -> AsyncIterator[SessionState]:
        """Each new snapshot, as it happens, until ``close()``."""
        if self._closed:
            return
        queue: asyncio.Queue[SessionState | None] = asyncio.Queue()
        self._streams.add(queue)
        unsubscribe = self.subscribe(lambda: queue.put_nowait(self._state))
        try:
            while (state := await queue.get()) is not None:
                yield state
        finally:
            unsubscribe()
            self._streams.discard(queue)

    def close(self) -> None:
        self._closed = True
        self._subscribers.clear()
        for queue in self._streams:
            queue.put_nowait(None)
