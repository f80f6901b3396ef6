"""Structured events of ``SessionStore.on``: frozen dataclasses, equal by value.

Each class carries its wire-style ``type`` string, so a handler registered for
several types can still tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args


@dataclass(frozen=True, slots=True)
class ReconnectScheduled:
    """An outage: attempt ``attempt`` will ask the wallet in ``delay_ms``."""

    attempt: int
    delay_ms: int
    type: Literal["reconnect:scheduled"] = field(default="reconnect:scheduled", init=False)


@dataclass(frozen=True, slots=True)
class ReconnectAttempt:
    """Attempt ``attempt`` is asking the wallet now."""

    attempt: int
    type: Literal["reconnect:attempt"] = field(default="reconnect:attempt", init=False)


@dataclass(frozen=True, slots=True)
class ReconnectSucceeded:
    """Attempt ``attempt`` found the wallet connected: the session is back."""

    attempt: int
    type: Literal["reconnect:succeeded"] = field(default="reconnect:succeeded", init=False)


@dataclass(frozen=True, slots=True)
class ReconnectGaveUp:
    """Every attempt failed; ``last_error`` is why the last one did."""

    attempts: int
    last_error: BaseException | None
    type: Literal["reconnect:gaveup"] = field(default="reconnect:gaveup", init=False)


@dataclass(frozen=True, slots=True)
class SessionExpired:
    """The session reached its expiry at ``expired_at`` (ms since the epoch)."""

    expired_at: int
    type: Literal["session:expired"] = field(default="session:expired", init=False)


@dataclass(frozen=True, slots=True)
class PartyChanged:
    """The active party switched, here or in another tab."""

    previous: str | None
    current: str | None
    type: Literal["party:changed"] = field(default="party:changed", init=False)


@dataclass(frozen=True, slots=True)
class NetworkChanged:
    """The active network switched, here or in another tab."""

    previous: str | None
    current: str | None
    type: Literal["network:changed"] = field(default="network:changed", init=False)


@dataclass(frozen=True, slots=True)
class InvalidationEvent:
    """What ``on_invalidate`` receives when the party or the network switched."""

    type: Literal["party:changed", "network:changed"]
    previous: str | None
    current: str | None


SessionEvent = (
    ReconnectScheduled
    | ReconnectAttempt
    | ReconnectSucceeded
    | ReconnectGaveUp
    | SessionExpired
    | PartyChanged
    | NetworkChanged
)

EVENT_TYPES: tuple[str, ...] = tuple(cls.__dataclass_fields__["type"].default for cls in get_args(SessionEvent))
"""Every type ``SessionStore.on`` accepts, in the order of the lifecycle."""
