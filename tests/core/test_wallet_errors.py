"""A failed wallet request keeps the wallet's words: WalletError's method, code, data and cause; the mock's scenarios."""

from __future__ import annotations

import asyncio

import pytest

import pysession
from pysession.testing import SCENARIOS, MockWallet, ProviderRpcError

from .support import advance, make_store, methods

EXPECTED = [
    ("userRejected", 4001, "User rejected the request"),
    ("insufficientTraffic", -32002, "Insufficient traffic credits to submit the transaction"),
    ("synchronizerError", 4901, "Synchronizer error"),
    ("transactionTimeout", -32003, "Transaction timed out"),
    ("genericError", -32603, "RPC handler error"),
]


def test_the_named_scenarios_are_the_originals():
    assert SCENARIOS == {name: (code, message) for name, code, message in EXPECTED}


@pytest.mark.parametrize(("scenario", "code", "message"), EXPECTED)
def test_each_scenario_reaches_last_error_with_its_class_code_and_message(run, scenario, code, message):
    async def main():
        store = make_store(MockWallet(scenarios={"connect": scenario}))
        state = await store.connect()
        error = state.last_error
        assert state.status == "disconnected"
        assert type(error) is (pysession.UserRejectedError if code == 4001 else pysession.WalletError)
        assert (error.method, error.code, error.data, str(error)) == ("connect", code, None, message)
        assert isinstance(error.__cause__, ProviderRpcError) and error.__cause__.code == code

    run(main)


def test_a_dapp_tells_a_rejection_from_a_broken_wallet(run):
    """The branching docs/api.md shows: isinstance, not parsing English."""

    async def main():
        said = []
        for scenario in ("userRejected", "synchronizerError"):
            state = await make_store(MockWallet(scenarios={"connect": scenario})).connect()
            if isinstance(state.last_error, pysession.UserRejectedError):
                said.append("you cancelled")
            elif isinstance(state.last_error, pysession.WalletError):
                said.append(f"wallet error {state.last_error.code}")
        assert said == ["you cancelled", "wallet error 4901"]

    run(main)


def test_a_code_and_message_scenario_keeps_its_data(run):
    async def main():
        scenario = {"code": 4100, "message": "Unauthorized", "data": {"reason": "locked"}}
        state = await make_store(MockWallet(scenarios={"connect": scenario})).connect()
        error = state.last_error
        assert type(error) is pysession.WalletError
        assert (error.code, str(error), error.data) == (4100, "Unauthorized", {"reason": "locked"})

    run(main)


class LedgerError(Exception):
    """A Python wallet's own error type, with the EIP-1193 fields as attributes."""

    def __init__(self, message: str, code: object, data: object) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


def test_a_python_wallet_raising_with_a_code(run):
    async def main():
        raised = LedgerError("User denied account access", 4001, ["prompt"])
        state = await make_store(MockWallet(connect_error=raised)).connect()
        error = state.last_error
        assert isinstance(error, pysession.UserRejectedError)
        assert (error.method, error.code, error.data, str(error)) == ("connect", 4001, ["prompt"], "User denied account access")
        assert error.__cause__ is raised

    run(main)


def test_a_python_wallet_raising_without_a_code(run):
    async def main():
        raised = ConnectionResetError("the wallet's node went away")
        state = await make_store(MockWallet(connect_error=raised)).connect()
        error = state.last_error
        assert type(error) is pysession.WalletError
        assert (error.method, error.code, error.data, str(error)) == ("connect", None, None, "the wallet's node went away")
        assert error.__cause__ is raised

    run(main)


def test_a_failing_status_request_on_init_names_its_method(run):
    """The wallet could not say whether it is connected: the error says which request failed."""

    async def main():
        storage = pysession.MemoryStorage()
        storage.set_item("partylayer.session.connected", "1")
        wallet = MockWallet(connected=True, scenarios={"status": "synchronizerError"})
        state = await make_store(wallet, storage=storage).init()
        assert state.status == "disconnected"
        assert (state.last_error.method, state.last_error.code) == ("status", 4901)
        assert "connect" not in methods(wallet)

    run(main)


def test_a_wallet_side_disconnect_failure_is_a_wallet_error(run):
    async def main():
        wallet = MockWallet()
        store = make_store(wallet)
        await store.connect()
        wallet.scenarios["disconnect"] = "synchronizerError"
        await store.disconnect()
        state = store.get_snapshot()
        assert state.status == "disconnected"
        assert (state.last_error.method, state.last_error.code, str(state.last_error)) == (
            "disconnect",
            4901,
            "Synchronizer error",
        )
        wallet.scenarios["disconnect"] = None  # as the JS mock wallet's null: no scenario
        await store.connect()
        await store.disconnect()
        assert store.get_snapshot().last_error is None

    run(main)


def test_delays_hold_a_method_for_its_milliseconds(run):
    async def main():
        store = make_store(MockWallet(delays_ms={"connect": 200}))
        connecting = asyncio.ensure_future(store.connect())
        await advance(199)
        assert store.get_snapshot().status == "connecting"
        await advance(1)
        assert connecting.done() and store.get_snapshot().status == "connected"

    run(main)


@pytest.mark.parametrize("scenario", ["userCancelled", {"code": "4001", "message": "no"}, {"code": 4001}, 4001])
def test_an_unknown_scenario_is_refused_when_the_wallet_is_made(scenario):
    with pytest.raises(ValueError, match="scenario"):
        MockWallet(scenarios={"connect": scenario})


def test_a_dropped_wallet_says_not_connected_until_it_comes_back(run):
    async def main():
        wallet = MockWallet(connected=True)
        heard = []
        wallet.on("statusChanged", lambda status: heard.append(["statusChanged", status["connection"]["isConnected"]]))
        wallet.on("accountsChanged", lambda accounts: heard.append(["accountsChanged", len(accounts)]))
        wallet.drop()
        for _ in range(3):
            assert (await wallet.request({"method": "status"}))["connection"] == {"isConnected": False}
            assert await wallet.request({"method": "listAccounts"}) == []
        wallet.set_connected(True)
        assert (await wallet.request({"method": "status"}))["connection"] == {"isConnected": True}
        assert heard == [["statusChanged", False], ["statusChanged", True], ["accountsChanged", 1]]

    run(main)


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no words")


class CodeThatRaises(Exception):
    @property
    def code(self) -> int:
        raise RuntimeError("no code")


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (LedgerError("rejected", 4001.0, None), 4001, "rejected"),  # a JS number that crossed as a float
        (LedgerError("odd", True, None), None, "odd"),
        (LedgerError("named", "ACTION_REJECTED", None), None, "named"),
        (LedgerError("huge", float("inf"), None), None, "huge"),
        (TimeoutError(), None, "TimeoutError"),
        (Unprintable(), None, "Unprintable"),
        (CodeThatRaises("still read"), None, "still read"),
    ],
)
def test_from_failure_reads_whatever_was_raised_without_raising(error, code, message):
    wrapped = pysession.WalletError.from_failure("status", error)
    assert (wrapped.method, wrapped.code, str(wrapped)) == ("status", code, message)
    assert isinstance(wrapped, pysession.UserRejectedError) == (code == 4001)
    assert wrapped.__cause__ is error


def test_from_failure_keeps_a_wallet_error_as_it_is():
    error = pysession.UserRejectedError("connect", "User rejected the request", code=4001)
    assert pysession.WalletError.from_failure("status", error) is error
    assert repr(error) == "UserRejectedError(method='connect', code=4001, message='User rejected the request')"
