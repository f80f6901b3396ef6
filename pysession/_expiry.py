"""Expiry: its options, the timer of the session's deadline, and the re-auth gate with its bounded queue."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from ._errors import QueueFullError, ReauthFailedError
from ._retry import require_count, require_number
from ._storage import settle
from ._timers import Cancel, Timers

Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class ReauthContext:
    """What ``on_reauth_required`` is told: why, and when the session expired (epoch ms)."""

    reason: Literal["expired"] = "expired"
    expired_at: int = 0


@dataclass(frozen=True, slots=True)
class ExpiryOptions:
    """The session's lifetime, the hook that re-authenticates it, and how many operations wait meanwhile."""

    ttl_ms: float | None = None
    on_reauth_required: Callable[[ReauthContext], Any] | None = None
    pending_queue_size: int = 32

    def __post_init__(self) -> None:
        if self.ttl_ms is not None:
            require_number(self.ttl_ms, "ttl_ms")
            if not self.ttl_ms > 0:
                raise ValueError("ttl_ms must be a finite number > 0, or None")
        if self.on_reauth_required is not None and not callable(self.on_reauth_required):
            raise TypeError("on_reauth_required must be callable")
        require_count(self.pending_queue_size, "pending_queue_size")


Operation = Callable[[], Awaitable[Any]]


class PendingQueue:
    """Operations waiting for a re-auth; resumed in order or failed together."""

    def __init__(self, max_size: int) -> None:
        self._max_size = max_size
        self._waiting: deque[asyncio.Future[None]] = deque()

    def __len__(self) -> int:
        return len(self._waiting)

    async def wait_turn(self) -> None:
        """Wait until the re-auth ends; raise if it failed or the queue is full."""
        if len(self._waiting) >= self._max_size:
            raise QueueFullError(self._max_size)
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn
        finally:
            if turn in self._waiting:
                self._waiting.remove(turn)

    def resume(self) -> None:
        """Let every waiter go, in the order they came."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)

    def fail(self, cause: BaseException | None) -> None:
        """Fail every waiter with ``ReauthFailedError``, the hook's error as its cause."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_exception(ReauthFailedError(cause))


class ExpiryTimer:
    """Fires ``on_expired(expires_at)`` at the session's deadline (epoch ms); re-arming replaces it."""

    def __init__(self, timers: Timers, on_expired: Callable[[int], None]) -> None:
        self._timers = timers
        self._on_expired = on_expired
        self._timer: Cancel | None = None

    def arm(self, expires_at: int | None) -> None:
        self.cancel()
        if expires_at is None:
            return

        def fire() -> None:
            self._timer = None
            self._on_expired(expires_at)

        self._timer = self._timers.call_later(max(expires_at - self._timers.now_ms(), 0), fire)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None


class ReauthGate:
    """While ``on_reauth_required`` runs, ``enqueue`` waits here; the hook's outcome lets all go or fails all."""

    def __init__(self, queue_size: int) -> None:
        self.active = False
        self._queue = PendingQueue(queue_size)

    async def run(self, hook: Callable[[ReauthContext], Any], context: ReauthContext) -> Exception | None:
        """Run the hook with the gate closed, then let the waiting operations go, or fail them with its failure."""
        self.active = True
        try:
            await settle(hook(context))
        except Exception as exc:
            self.fail(exc)
            return exc
        self.open()
        return None

    async def enqueue(self, op: Callable[[], Awaitable[Result]]) -> Result:
        """Run ``op()``, first waiting in the bounded queue while a re-auth runs."""
        if not callable(op):
            raise TypeError("op must be a zero-argument async callable")
        if self.active:
            await self._queue.wait_turn()
        result: Result = await settle(op())
        return result

    def open(self) -> None:
        self.active = False
        self._queue.resume()

    def fail(self, cause: BaseException | None) -> None:
        self.active = False
        self._queue.fail(cause)
