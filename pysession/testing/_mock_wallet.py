"""A Python CIP-0103 wallet for tests: knobs like wagmi's mock connector."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Literal

Flavor = Literal["original", "splice"]
"""Whose answers the mock gives: the original's testing kit, or the reference wallet gateway's (splice)."""

SIGN_IN_URL = "https://wallet.example/sign-in"
"""Where the splice flavour's signed-out answers send the user."""

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


def mock_account(
    party_id: str, network_id: str, *, primary: bool = True, flavor: Flavor = "original"
) -> dict[str, Any]:
    """A CIP-0103 account in its wire shape; the gateway's has its own status and keys."""
    splice = flavor == "splice"
    account = {
        "primary": primary,
        "partyId": party_id,
        "status": "initialized" if splice else "allocated",
        "hint": party_id.split("::", 1)[0],
        "publicKey": "",
        "namespace": party_id.split("::", 1)[-1],
        "networkId": network_id,
        "signingProviderId": "mock-wallet",
    }
    return account | {"disabled": False} if splice else account


class MockWallet:
    """A provider whose answers and events are the CIP-0103 wire shapes, as Python dicts.

    ``connect`` emits ``statusChanged`` then ``accountsChanged``; ``disconnect`` and
    ``drop()`` emit ``statusChanged(false)``, and ``status`` says not connected until
    ``connect`` or ``set_connected(True)`` brings the wallet back. ``connect_error``
    makes connect raise (an exception instance, or a callable returning one per
    attempt). ``scenarios`` makes a method fail the way a wallet does
    (``{"connect": "userRejected"}``, see ``SCENARIOS``; None for none); ``delays_ms``
    makes a method answer late (``{"connect": 200}``). Both stay editable as attributes.

    ``flavor="splice"`` answers as the reference wallet gateway does: its status and
    account shapes, errors with no ``code`` (the dApp SDK's ``RPC error: <code> -
    <message>`` text), ``statusChanged`` then ``connected`` where the original emits
    ``statusChanged`` then ``accountsChanged``. ``signed_in=False`` makes ``connect``
    answer "not connected, sign in at ``SIGN_IN_URL``" until ``sign_in()``.
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
        flavor: Flavor = "original",
        signed_in: bool = True,
    ) -> None:
        if flavor not in ("original", "splice"):
            raise ValueError(f"flavor must be 'original' or 'splice', not {flavor!r}")
        self.flavor = flavor
        self.signed_in = signed_in
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
        method: str = payload["method"]
        delay_ms = self.delays_ms.get(method, 0)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if self.scenarios.get(method) is not None:
            error = scenario_error(self.scenarios[method])
            if self.flavor == "splice":
                raise Exception(f"RPC error: {error.code} - {error}")
            raise error
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
        if self.flavor == "original":
            return {"connection": {"isConnected": self.connected}, "network": {"networkId": self.network_id}}
        status: dict[str, Any] = {
            "provider": {"id": "mock-wallet-gateway", "providerType": "remote", "userUrl": SIGN_IN_URL},
            "connection": self._connection(),
            "network": {"networkId": self.network_id, "ledgerApi": "https://ledger.wallet.example"},
        }
        if self.connected:
            status["session"] = {"accessToken": "mock-access-token", "userId": "mock-user"}
        return status

    def accounts(self) -> list[dict[str, Any]]:
        return [mock_account(self.party_id, self.network_id, flavor=self.flavor)] if self.connected else []

    def set_connected(self, connected: bool) -> None:
        """The wallet's own connection changed (its UI, another tab): tell listeners."""
        if connected == self.connected:
            return
        self.connected = connected
        self.emit("statusChanged", self.status())
        if connected and self.flavor == "splice":
            self.emit("connected", self.status())
        elif connected:
            self.emit("accountsChanged", self.accounts())

    def sign_in(self) -> None:
        """The user signed in at the wallet: it connects and says so, as the gateway does (no ``accountsChanged``)."""
        self.signed_in = True
        self.set_connected(True)

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
        if not self.signed_in:
            return self._connection()
        self.set_connected(True)
        return self.status() if self.flavor == "original" else self._connection()

    def _connection(self) -> dict[str, Any]:
        """The gateway's ``ConnectResult``: signed out, it says why and where to sign in."""
        if not self.signed_in:
            return {
                "isConnected": False,
                "isNetworkConnected": False,
                "networkReason": "Unauthenticated",
                "userUrl": SIGN_IN_URL,
            }
        return {"isConnected": self.connected, "isNetworkConnected": self.connected}
