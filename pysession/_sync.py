"""Multi-tab sync messages and the channel contract.

Messages are WIRE.md's ``{v: 1, kind, ...}`` objects. ``parse_sync_message`` is the
one gate for what other tabs send: anything it does not recognise is ignored.
A store without a real channel gets ``InactiveChannel`` and never asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

from ._account import check_id

SYNC_VERSION = 1

MessageHandler = Callable[[Any], None]


def channel_name(origin: str, storage_key: str) -> str:
    return f"partylayer.session.sync::{origin}::{storage_key}"


class SyncMessage(NamedTuple):
    """What one tab tells the others: a disconnect, or the party or network it switched to."""

    kind: Literal["disconnect", "party", "network"]
    value: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"v": SYNC_VERSION, "kind": self.kind}
        if self.kind == "party":
            wire["partyId"] = self.value
        elif self.kind == "network":
            wire["networkId"] = self.value
        return wire


_VALUE_KEYS = {"party": "partyId", "network": "networkId"}


def parse_sync_message(data: Any) -> SyncMessage | None:
    """A valid message, or None for anything another tab should not have sent."""
    if not isinstance(data, dict):
        return None
    version = data.get("v")
    if type(version) is not int or version != SYNC_VERSION:
        return None
    kind: object = data.get("kind")
    if kind == "disconnect":
        return SyncMessage("disconnect")
    if kind not in ("party", "network"):
        return None
    value_key = _VALUE_KEYS[kind]
    if value_key not in data:
        return None
    try:
        return SyncMessage(kind, check_id(data[value_key], value_key, optional=True))
    except ValueError:
        return None


class SyncChannel(Protocol):
    """A tab-to-tab channel: posts plain dicts, hands received data to handlers."""

    @property
    def active(self) -> bool: ...

    def post(self, message: dict[str, Any]) -> None: ...

    def on_message(self, handler: MessageHandler) -> Callable[[], None]: ...

    def close(self) -> None: ...


class InactiveChannel:
    """The channel of a single tab: posts go nowhere, nothing ever arrives."""

    active = False

    def post(self, message: dict[str, Any]) -> None:
        pass

    def on_message(self, handler: MessageHandler) -> Callable[[], None]:
        return lambda: None

    def close(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class BroadcastOptions:
    """``channel_factory(name)`` returns a channel (or a BroadcastChannel-like JS object), or None."""

    channel_factory: Callable[[str], Any] | None = None

    def __post_init__(self) -> None:
        if self.channel_factory is not None and not callable(self.channel_factory):
            raise TypeError("channel_factory must be callable or None")
