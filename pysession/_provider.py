"""The CIP-0103 provider contract and the readers of its answers and events.

Provider data is untrusted: each reader returns clean Python values or raises
``ValueError`` saying what was wrong, and the store turns that into ``last_error``.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

from ._account import check_id
from ._errors import NotConnectedError


@runtime_checkable
class Provider(Protocol):
    """A Python CIP-0103 provider (``JsProvider`` adapts a JS one)."""

    async def request(self, payload: dict[str, Any]) -> Any: ...

    def on(self, event: str, listener: Any) -> Any: ...

    def remove_listener(self, event: str, listener: Any) -> Any: ...

    def emit(self, event: str, *args: Any) -> bool: ...


class ProviderStatus(NamedTuple):
    """The wallet's ``status``, as read at the edge."""

    connected: bool
    network_id: str | None


def read_status(payload: Any) -> ProviderStatus:
    """A ``status`` answer or ``statusChanged`` payload: ``{connection: {isConnected}, network?: {networkId}}``."""
    if not isinstance(payload, dict):
        raise ValueError(f"status must be an object, not {type(payload).__name__}")
    connection = payload.get("connection", payload)
    connected = connection.get("isConnected") if isinstance(connection, dict) else None
    if not isinstance(connected, bool):
        raise ValueError("status.connection.isConnected must be a boolean")
    network = payload.get("network")
    network_id = read_network(network) if network is not None else None
    return ProviderStatus(connected, network_id)


def read_network(payload: Any) -> str:
    """A ``getActiveNetwork`` answer or ``chainChanged`` argument: ``{networkId}`` or the id itself."""
    if isinstance(payload, dict):
        payload = payload.get("networkId", payload.get("chainId"))
    return check_id(payload, "networkId")


def connect_refused(answer: Any) -> NotConnectedError | None:
    """A ``connect`` answer saying, rather than raising, that the wallet stayed disconnected: its error.

    Only a top-level ``isConnected`` that is the boolean ``false`` says so (the
    reference wallet gateway's answer for a user who has not signed in); any other
    answer keeps the original's rule, connected once the request resolves.
    """
    if isinstance(answer, dict) and answer.get("isConnected") is False:
        return NotConnectedError(answer)
    return None
