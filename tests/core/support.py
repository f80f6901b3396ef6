"""Virtual time, an in-memory BroadcastChannel hub and small builders for the CPython suite.

Every test runs its coroutine on ``VirtualTimeLoop``: the clock stands still while
anything is ready and jumps to the next timer when nothing is, so backoff and expiry
run instantly and land at exact offsets. An error that asyncio would only log (a
failing callback or a task whose exception nobody retrieved) fails the test, so
"never raises into app code" covers the store's background work too.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import gc
import selectors
from collections.abc import Awaitable, Callable
from typing import Any
from unittest import mock

import pysession
from pysession.browser import BroadcastOptions
from pysession.testing import MockWallet


class _IdleSelector(selectors.DefaultSelector):
    """The loop's selector: where the loop would block, it moves the virtual clock instead."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise RuntimeError("deadlock: nothing is ready and no timer is scheduled")
        self._loop.advance(timeout)
        return super().select(0)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on a virtual clock that starts at 0 s."""

    # The base loop's own queues, which typeshed leaves out: timers, and callbacks ready to run.
    _scheduled: list[asyncio.TimerHandle]
    _ready: collections.deque[asyncio.Handle]

    def __init__(self) -> None:
        self._now = 0.0
        self.errors: list[dict[str, Any]] = []
        super().__init__(selector=_IdleSelector(self))
        self.set_exception_handler(lambda _loop, context: self.errors.append(context))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(seconds, 0.0)

    def now_ms(self) -> int:
        """Virtual milliseconds since the loop started."""
        return round(self._now * 1000)

    def pending_timers(self) -> int:
        """Scheduled callbacks that are not cancelled: what would still fire."""
        return sum(1 for handle in self._scheduled if not handle.cancelled())

    def is_idle(self) -> bool:
        return not self._ready


EPOCH_MS = 1_700_000_000_000
"""The wall clock (``time.time()``) reads this at virtual time 0 and moves with the loop."""


def run_virtual(main: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``main()`` on a fresh virtual-time loop; fail on any error asyncio would only log.

    While it runs, ``time.time()`` is the virtual clock too, so epoch-ms values the
    store writes (``connectedAt``, ``expiresAt``, ``expired_at``) are exact.
    """
    loop = VirtualTimeLoop()
    with mock.patch("time.time", lambda: EPOCH_MS / 1000 + loop.time()):
        try:
            result = loop.run_until_complete(main())
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.wait(leftovers))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            gc.collect()
    if loop.errors:
        raise AssertionError(f"asyncio reported unhandled errors: {loop.errors}")
    return result


def loop() -> VirtualTimeLoop:
    """The running virtual-time loop."""
    running = asyncio.get_running_loop()
    assert isinstance(running, VirtualTimeLoop)
    return running


async def settle() -> None:
    """Let every ready callback and task run, without moving the clock."""
    await asyncio.sleep(0)
    while not loop().is_idle():
        await asyncio.sleep(0)


async def advance(ms: float) -> None:
    """Let ``ms`` virtual milliseconds pass, firing every timer due on the way."""
    await asyncio.sleep(ms / 1000)
    await settle()


class MemoryChannel:
    """A BroadcastChannel stand-in: delivers a copy to every other open channel of its name, later."""

    active = True

    def __init__(self, hub: ChannelHub, name: str) -> None:
        self.hub = hub
        self.name = name
        self.closed = False
        self._handlers: list[Callable[[Any], None]] = []

    def post(self, message: Any) -> None:
        self.hub.posted.append((self, copy.deepcopy(message)))
        loop = asyncio.get_running_loop()
        for other in self.hub.channels:
            if other is not self and other.name == self.name:
                loop.call_soon(other._deliver, copy.deepcopy(message))

    def on_message(self, handler: Callable[[Any], None]) -> Callable[[], None]:
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler) if handler in self._handlers else None

    def close(self) -> None:
        self.closed = True
        if self in self.hub.channels:
            self.hub.channels.remove(self)

    def _deliver(self, data: Any) -> None:
        if not self.closed:
            for handler in list(self._handlers):
                handler(data)


class ChannelHub:
    """All the tabs of one origin: ``BroadcastOptions(channel_factory=hub.factory)``."""

    def __init__(self) -> None:
        self.channels: list[MemoryChannel] = []
        self.names: list[str] = []
        self.posted: list[tuple[MemoryChannel, Any]] = []

    def factory(self, name: str) -> MemoryChannel:
        channel = MemoryChannel(self, name)
        self.names.append(name)
        self.channels.append(channel)
        return channel

    @property
    def options(self) -> BroadcastOptions:
        return BroadcastOptions(channel_factory=self.factory)

    def messages_from(self, channel: MemoryChannel) -> list[Any]:
        return [message for sender, message in self.posted if sender is channel]


class Recorder:
    """Collects ``store.on`` events with the virtual time (ms) at which each arrived."""

    def __init__(self, store: pysession.SessionStore, *types: str) -> None:
        self.events: list[Any] = []
        self.times: list[int] = []
        for event_type in types:
            store.on(event_type, self._record)

    def _record(self, event: Any) -> None:
        self.events.append(event)
        self.times.append(loop().now_ms())

    def of(self, event_type: str) -> list[Any]:
        return [e for e in self.events if e.type == event_type]

    def times_of(self, event_type: str) -> list[int]:
        return [t for e, t in zip(self.events, self.times) if e.type == event_type]


ALL_EVENTS = (
    "reconnect:scheduled",
    "reconnect:attempt",
    "reconnect:succeeded",
    "reconnect:gaveup",
    "session:expired",
    "party:changed",
    "network:changed",
)


def make_store(wallet: Any = None, **options: Any) -> pysession.SessionStore:
    """A store over ``wallet`` (a fresh MockWallet by default) with MemoryStorage unless given."""
    options.setdefault("storage", pysession.MemoryStorage())
    return pysession.create_session_store(wallet if wallet is not None else MockWallet(), **options)


def methods(wallet: MockWallet) -> list[str]:
    """The methods the store has asked the wallet for, in order."""
    return [payload["method"] for payload in wallet.requests]


Answer = Callable[[], Awaitable[Any]]


class ScriptedWallet(MockWallet):
    """A MockWallet whose answer to a method can be replaced by an async function (see ``hang``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.script: dict[str, Answer] = {}

    async def request(self, payload: dict[str, Any]) -> Any:
        answer = self.script.get(payload["method"])
        if answer is None:
            return await super().request(payload)
        self.requests.append(payload)
        return await answer()


def returns(value: Any) -> Answer:
    async def answer() -> Any:
        return value

    return answer


def raises(error: BaseException) -> Answer:
    async def answer() -> Any:
        raise error

    return answer


async def hang() -> Any:
    """A request that never answers."""
    await asyncio.get_running_loop().create_future()


class RecordingStorage:
    """A dict behind the storage contract that remembers every write and removal, in order."""

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}
        self.writes: list[tuple[str, str | None]] = []

    def get_item(self, key: str) -> Any:
        return self.items.get(key)

    def set_item(self, key: str, value: str) -> None:
        self.writes.append((key, value))
        self.items[key] = value

    def remove_item(self, key: str) -> None:
        self.writes.append((key, None))
        self.items.pop(key, None)


class AsyncStorage(RecordingStorage):
    """The same storage with coroutine methods that each take ``delay_ms`` of virtual time."""

    def __init__(self, delay_ms: float = 1) -> None:
        super().__init__()
        self.delay_ms = delay_ms

    async def get_item(self, key: str) -> Any:  # type: ignore[override]
        await asyncio.sleep(self.delay_ms / 1000)
        return super().get_item(key)

    async def set_item(self, key: str, value: str) -> None:  # type: ignore[override]
        await asyncio.sleep(self.delay_ms / 1000)
        super().set_item(key, value)

    async def remove_item(self, key: str) -> None:  # type: ignore[override]
        await asyncio.sleep(self.delay_ms / 1000)
        super().remove_item(key)


KEY = "partylayer.session.connected"


def statuses(store: pysession.SessionStore) -> list[str]:
    """Subscribe and return the list of distinct consecutive statuses the store goes through."""
    seen: list[str] = []

    def listener() -> None:
        status = store.get_snapshot().status
        if not seen or seen[-1] != status:
            seen.append(status)

    store.subscribe(listener)
    return seen
