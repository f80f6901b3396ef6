"""A Python CIP-0103 wallet for tests: knobs like wagmi's mock connector."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

SCENARIOS: dict[str, tuple[int, str]] = {
    "userRejected": (4001, "User rejected the request"),
    "insufficientTraffic": (-32002, "Insufficient traffic credits to submit the transaction"),
    "synchronizerError": (4901, "Synchronizer error"),
    "transactionTimeout": (-32003, "Transaction timed out"),
    "genericError": (-32603, "RPC handler error"),
}
"""The named failures of a wallet request: name -> (EIP-1193/JSON-RPC code, message)."""

Scenario = str | Mapping[str, Any]
"""A name of ``SCENARIOS``, or ``{"code": int, "message": str}`` (and optionally ``"data"``)."""


class ProviderRpcError(Exception):
    """What a CIP-0103 wallet fails a request with: its message, ``code`` and ``data``."""

    def __init__(self, message: str, code: int, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


def scenario_error(scenario: Scenario) -> ProviderRpcError:
    """The error a scenario makes the wallet raise; ValueError for one it does not know."""
    if isinstance(scenario, str):
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown wallet scenario {scenario!r}; the named ones are {', '.join(SCENARIOS)}")
        return ProviderRpcError(SCENARIOS[scenario][1], SCENARIOS[scenario][0])
    if isinstance(scenario, Mapping):
        code, message = scenario.get("code"), scenario.get("message")
        if isinstance(code, int) and not isinstance(code, bool) and isinstance(message, str):
            return ProviderRpcError(message, code, scenario.get("data"))
    raise ValueError(f"a wallet scenario is a name or {{'code': int, 'message': str}}, not {scenario!r}")


def mock_account(party_id: str, network_id: str, *, primary: bool = True) -> dict[str, Any]:
    """A CIP-0103 account in its wire shape."""
    return {
        "primary": primary,
        "partyId": party_id,
        "status": "allocated",
        "hint": party_id.split("::", 1)[0],
        "publicKey": "",
        "namespace": party_id.split("::", 1)[-1],
        "networkId": network_id,
        "signingProviderId": "mock-wallet",
    }


class MockWallet:
    """A provider whose answers and events are the CIP-0103 wire shapes, as Python dicts.

    ``connect`` emits ``statusChanged`` then ``accountsChanged``; ``disconnect`` and
    ``drop()`` emit ``statusChanged(false)``, and ``status`` says not connected until
    ``connect`` or ``set_connected(True)`` brings the wallet back. ``connect_error``
    makes connect raise (an exception instance, or a callable returning one per
    attempt). ``scenarios`` makes a method fail the way a wallet does
    (``{"connect": "userRejected"}``, see ``SCENARIOS``; None for none); ``delays_ms``
    makes a method answer late (``{"connect": 200}``). Both stay editable as attributes.
    """

    def __init__(
        self,
        connected: bool = False,
        party_id: str = "party::mock-1",
        network_id: str = "canton:da-devnet",
        connect_delay_ms: float = 0,
        connect_error: BaseException | Callable[[], BaseException | None] | None = None,
        scenarios: Mapping[str, Scenario] | None = None,
        delays_ms: Mapping[str, float] | None = None,
    ) -> None:
        self.connected = connected
        self.party_id = party_id
        self.network_id = network_id
        self.connect_error = connect_error
        self.scenarios = dict(scenarios or {})
        for scenario in self.scenarios.values():
            if scenario is not None:
                scenario_error(scenario)
        self.delays_ms = {"connect": connect_delay_ms, **(delays_ms or {})}
        self.requests: list[dict[str, Any]] = []
        self._listeners: dict[str, list[Callable[..., Any]]] = {}

    # -- CIP-0103 -------------------------------------------------------------

    async def request(self, payload: dict[str, Any]) -> Any:
        self.requests.append(payload)
        method = payload.get("method")
        delay_ms = self.delays_ms.get(method, 0)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if self.scenarios.get(method) is not None:
            raise scenario_error(self.scenarios[method])
        if method == "connect":
            return await self._connect()
        if method == "disconnect":
            self.set_connected(False)
            return None
        if method == "status":
            return self.status()
        if method == "listAccounts":
            return self.accounts()
        if method == "getActiveNetwork":
            return {"networkId": self.network_id}
        raise ValueError(f"MockWallet does not support {method!r}")

    def on(self, event: str, listener: Callable[..., Any]) -> MockWallet:
        self._listeners.setdefault(event, []).append(listener)
        return self

    def remove_listener(self, event: str, listener: Callable[..., Any]) -> MockWallet:
        listeners = self._listeners.get(event, [])
        if listener in listeners:
            listeners.remove(listener)
        return self

    def emit(self, event: str, *args: Any) -> bool:
        listeners = list(self._listeners.get(event, ()))
        for listener in listeners:
            listener(*args)
        return bool(listeners)

    # -- knobs ----------------------------------------------------------------

    def listener_count(self, event: str | None = None) -> int:
        if event is None:
            return sum(len(listeners) for listeners in self._listeners.values())
        return len(self._listeners.get(event, ()))

    def status(self) -> dict[str, Any]:
        return {"connection": {"isConnected": self.connected}, "network": {"networkId": self.network_id}}

    def accounts(self) -> list[dict[str, Any]]:
        return [mock_account(self.party_id, self.network_id)] if self.connected else []

    def set_connected(self, connected: bool) -> None:
        """The wallet's own connection changed (its UI, another tab): tell listeners."""
        if connected == self.connected:
            return
        self.connected = connected
        self.emit("statusChanged", self.status())
        if connected:
            self.emit("accountsChanged", self.accounts())

    def drop(self) -> None:
        """A provider-side disconnect: the kind that starts the store's backoff; ``set_connected(True)`` ends it."""
        self.set_connected(False)

    def set_party(self, party_id: str) -> None:
        self.party_id = party_id
        if self.connected:
            self.emit("accountsChanged", self.accounts())

    def set_network(self, network_id: str) -> None:
        self.network_id = network_id
        if self.connected:
            self.emit("statusChanged", self.status())

    async def _connect(self) -> dict[str, Any]:
        error = self.connect_error() if callable(self.connect_error) else self.connect_error
        if error is not None:
            raise error
        self.set_connected(True)
        return self.status()
