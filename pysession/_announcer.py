"""What the store tells the world: structured events to handlers, switches to the app and to other tabs.

Nothing it calls can raise into the store: a handler's error is logged, an
``on_invalidate`` or channel failure is reported into ``last_error``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from ._errors import reported
from ._listeners import Listeners
from ._sync import SyncChannel, SyncMessage
from ._timers import Tasks
from ._writer import Report
from .events import EVENT_TYPES, InvalidationEvent, NetworkChanged, PartyChanged, SessionEvent

Handler = Callable[[Any], object]


class Announcer:
    def __init__(
        self,
        channel: SyncChannel,
        on_invalidate: Callable[[InvalidationEvent], Any] | None,
        tasks: Tasks,
        report: Report,
    ) -> None:
        self._channel = channel
        self._on_invalidate = on_invalidate
        self._tasks = tasks
        self._report = report
        self._handlers: dict[str, Listeners[Handler]] = {kind: Listeners() for kind in EVENT_TYPES}
        self._stop_hearing: Callable[[], None] = lambda: None

    def hear_tabs(self, handler: Callable[[Any], None]) -> None:
        """Pass each message from other tabs to ``handler`` until closed."""
        self._stop_hearing = self._channel.on_message(handler)

    def on(self, event_type: str, handler: Handler) -> Callable[[], None]:
        if event_type not in self._handlers:
            raise ValueError(f"unknown event type {event_type!r}; expected one of {list(EVENT_TYPES)}")
        return self._handlers[event_type].add(handler)

    def emit(self, event: SessionEvent) -> None:
        self._handlers[event.type].notify(event)

    def switched(self, event: PartyChanged | NetworkChanged, *, local: bool) -> None:
        """A party or network switch: other tabs (when it happened here), handlers, then the app."""
        if local:
            kind: Literal["party", "network"] = "party" if isinstance(event, PartyChanged) else "network"
            self.tell_tabs(SyncMessage(kind, event.current))
        self.emit(event)
        if self._on_invalidate is None:
            return
        with reported(self._report, "on_invalidate raised"):
            result = self._on_invalidate(InvalidationEvent(event.type, event.previous, event.current))
            if inspect.isawaitable(result):
                self._tasks.spawn(self._settle_invalidation(result))

    def tell_tabs(self, message: SyncMessage) -> None:
        with reported(self._report, "telling other tabs failed"):
            self._channel.post(message.to_wire())

    def close(self) -> None:
        for handlers in self._handlers.values():
            handlers.clear()
        with reported(self._report, "leaving the tab channel failed"):
            self._stop_hearing()
        with reported(self._report, "closing the tab channel failed"):
            self._channel.close()

    async def _settle_invalidation(self, result: Awaitable[Any]) -> None:
        with reported(self._report, "on_invalidate raised"):
            await result
