"""API.md "Canton's own wallet stack": the reference wallet gateway's answers, read stricter than the original does.

Each rule over the mock's splice flavour (the gateway's shapes) and, where the rule is about a
shape, over scripted answers too.
"""

from __future__ import annotations

import pytest

import pysession
from pysession.events import NetworkChanged
from pysession.testing import SIGN_IN_URL, MockWallet

from .support import (
    KEY,
    Recorder,
    RecordingStorage,
    ScriptedWallet,
    make_store,
    methods,
    raises,
    returns,
    settle,
    statuses,
)

SIGNED_OUT = {
    "isConnected": False,
    "isNetworkConnected": False,
    "networkReason": "Unauthenticated",
    "userUrl": SIGN_IN_URL,
}


def splice(**knobs):
    return MockWallet(flavor="splice", party_id="alice::1", network_id="canton:x", **knobs)


# -- connect answered "not connected" -------------------------------------------------


async def test_a_signed_out_connect_ends_disconnected_with_where_to_sign_in():
    wallet, storage = splice(signed_in=False), RecordingStorage()
    store = make_store(wallet, storage=storage)
    seen = statuses(store)
    state = await store.connect()
    error = state.last_error
    assert (state.status, state.account, state.network_id) == ("disconnected", None, None)
    assert seen == ["connecting", "disconnected"]
    assert type(error) is pysession.NotConnectedError and isinstance(error, pysession.WalletError)
    assert (error.method, error.code, error.data) == ("connect", None, SIGNED_OUT)
    assert (error.user_url, error.reason) == (SIGN_IN_URL, "Unauthenticated")
    assert str(error) == f"the wallet is not connected (Unauthenticated); sign in at {SIGN_IN_URL}"
    assert methods(wallet) == ["connect"]
    assert storage.writes == []


async def test_signing_in_then_connects_the_store_with_one_list_accounts():
    wallet, storage = splice(signed_in=False), RecordingStorage()
    store = make_store(wallet, storage=storage)
    await store.connect()
    seen = statuses(store)
    wallet.sign_in()
    await settle()
    state = store.get_snapshot()
    assert (state.status, state.account.party_id, state.network_id, state.last_error) == (
        "connected",
        "alice::1",
        "canton:x",
        None,
    )
    assert seen == ["connected"]
    assert methods(wallet) == ["connect", "listAccounts"]
    assert len(storage.writes) == 1 and pysession.decode_session_envelope(storage.items[KEY]).account.party_id == "alice::1"


@pytest.mark.parametrize(
    ("answer", "reason", "user_url", "text"),
    [
        ({"isConnected": False}, None, None, "the wallet is not connected"),
        ({"isConnected": False, "reason": "locked", "networkReason": "x"}, "locked", None, "(locked)"),
        ({"isConnected": False, "reason": "", "networkReason": "offline"}, "offline", None, "(offline)"),
        ({"isConnected": False, "userUrl": 5, "reason": ["no"]}, None, None, "the wallet is not connected"),
        ({"isConnected": False, "userUrl": "https://w.example/"}, None, "https://w.example/", "https://w.example/"),
    ],
)
async def test_what_a_not_connected_answer_says_is_read_defensively(answer, reason, user_url, text):
    wallet = ScriptedWallet()
    wallet.script["connect"] = returns(answer)
    error = (await make_store(wallet).connect()).last_error
    assert (type(error), error.reason, error.user_url, error.data) == (pysession.NotConnectedError, reason, user_url, answer)
    assert text in str(error)


@pytest.mark.parametrize(
    "answer",
    [None, {}, {"isConnected": True}, {"isConnected": 0}, {"isConnected": None}, {"isConnected": "false"}, "no", [False]],
)
async def test_any_other_connect_answer_keeps_the_originals_rule(answer):
    wallet = ScriptedWallet(party_id="alice::1")
    wallet.script["connect"] = returns(answer)
    state = await make_store(wallet).connect()
    assert (state.status, state.last_error) == ("connected", None)


async def test_a_not_connected_answer_while_connected_ends_the_session_and_removes_the_entry():
    wallet, storage = ScriptedWallet(party_id="alice::1"), RecordingStorage()
    store = make_store(wallet, storage=storage)
    await store.connect()
    assert KEY in storage.items
    wallet.script["connect"] = returns(SIGNED_OUT)
    state = await store.connect()
    assert (state.status, state.account, type(state.last_error)) == ("disconnected", None, pysession.NotConnectedError)
    assert KEY not in storage.items


async def test_a_dapp_branches_on_the_error_classes():
    said = []
    for wallet in (splice(signed_in=False), splice(scenarios={"connect": "userRejected"}), splice()):
        state = await make_store(wallet).connect()
        match state.last_error:
            case pysession.NotConnectedError(user_url=url):
                said.append(f"sign in at {url}")
            case pysession.UserRejectedError():
                said.append("you cancelled")
            case None:
                said.append(state.account.party_id)
    assert said == [f"sign in at {SIGN_IN_URL}", "you cancelled", "alice::1"]


# -- where a wallet error's code is read from -----------------------------------------


@pytest.mark.parametrize(
    ("message", "code", "text"),
    [
        ("RPC error: 4001 - User rejected the request", 4001, "User rejected the request"),
        ("Error: RPC error: 4100 - Unauthorized", 4100, "Unauthorized"),
        ("RPC error: -32603 - Internal error\nat gateway", -32603, "Internal error\nat gateway"),
        ("RPC error: four - nope", None, "RPC error: four - nope"),
        ("RPC error: 4001", None, "RPC error: 4001"),
        ("RPC error: 12345678901234567890 - too long", None, "RPC error: 12345678901234567890 - too long"),
        ("RPC error: 4001 - ", 4001, "RPC error: 4001 - "),
    ],
)
async def test_the_sdks_rpc_error_text_gives_the_code(message, code, text):
    wallet = ScriptedWallet()
    wallet.script["connect"] = raises(Exception(message))
    error = (await make_store(wallet).connect()).last_error
    assert (type(error), error.code, str(error)) == (
        pysession.UserRejectedError if code == 4001 else pysession.WalletError,
        code,
        text,
    )


class CodedError(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CodedError("RPC error: 4001 - User rejected the request", 4100), 4100),
        (CodedError("RPC error: 4001 - User rejected the request", "4100"), 4001),
        (CodedError("RPC error: 4001 - User rejected the request", True), 4001),
    ],
)
async def test_a_code_attribute_wins_over_the_text_and_one_of_another_type_is_ignored(error, code):
    wallet = ScriptedWallet()
    wallet.script["connect"] = raises(error)
    assert (await make_store(wallet).connect()).last_error.code == code


async def test_the_splice_mock_rejects_as_the_sdk_does():
    state = await make_store(splice(scenarios={"connect": "userRejected"})).connect()
    error = state.last_error
    assert (type(error), error.code, str(error)) == (pysession.UserRejectedError, 4001, "User rejected the request")
    assert not hasattr(error.__cause__, "code")
    assert str(error.__cause__) == "RPC error: 4001 - User rejected the request"


# -- connected heard as statusChanged -------------------------------------------------


@pytest.mark.parametrize("order", [("statusChanged", "connected"), ("connected", "statusChanged")])
async def test_statuschanged_and_connected_for_one_change_count_once(order):
    wallet, storage = MockWallet(party_id="alice::1", network_id="canton:x"), RecordingStorage()
    store = make_store(wallet, storage=storage)
    notified = []
    store.subscribe(lambda: notified.append(store.get_snapshot()))
    wallet.connected = True
    wallet.emit(order[0], wallet.status())
    await settle()
    once = list(notified)
    wallet.emit(order[1], wallet.status())
    await settle()
    assert notified == once
    assert store.get_snapshot().status == "connected" and store.get_snapshot().account.party_id == "alice::1"
    assert methods(wallet) == ["listAccounts"]
    assert len(storage.writes) == 1


async def test_statuschanged_and_connected_at_once_ask_list_accounts_once():
    wallet = splice()
    store = make_store(wallet)
    wallet.sign_in()
    await settle()
    assert methods(wallet) == ["listAccounts"]
    assert store.get_snapshot().account.party_id == "alice::1"


async def test_connected_false_ends_the_session_as_statuschanged_false():
    wallet, storage = splice(), RecordingStorage()
    store = make_store(wallet, storage=storage)
    await store.connect()
    wallet.connected = False
    wallet.emit("connected", wallet.status())
    await settle()
    assert store.get_snapshot().status == "disconnected"
    assert KEY not in storage.items


async def test_a_drop_heard_twice_starts_one_backoff():
    wallet = splice()
    store = make_store(wallet, reconnect=pysession.RetryPolicy(base_delay_ms=1000, max_attempts=3))
    recorder = Recorder(store, "reconnect:scheduled")
    await store.connect()
    wallet.connected = False
    wallet.emit("statusChanged", wallet.status())
    wallet.emit("connected", wallet.status())
    await settle()
    assert store.get_snapshot().status == "reconnecting"
    assert len(recorder.of("reconnect:scheduled")) == 1


# -- statusChanged(true) with no account known; network switches as statusChanged ------


async def test_statuschanged_true_without_a_network_asks_the_network_too():
    wallet = splice()
    store = make_store(wallet)
    wallet.connected = True
    wallet.emit("statusChanged", {"connection": {"isConnected": True}})
    await settle()
    assert sorted(methods(wallet)) == ["getActiveNetwork", "listAccounts"]
    assert store.get_snapshot().network_id == "canton:x"


async def test_a_network_switch_as_statuschanged_only_is_a_switch():
    wallet, storage = splice(), RecordingStorage()
    store = make_store(wallet, storage=storage)
    recorder = Recorder(store, "network:changed")
    await store.connect()
    writes = len(storage.writes)
    wallet.set_network("canton:y")
    await settle()
    assert recorder.events == [NetworkChanged("canton:x", "canton:y")]
    assert len(storage.writes) == writes + 1
    assert pysession.decode_session_envelope(storage.items[KEY]).network_id == "canton:y"


# -- accounts ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["initialized", "allocated", "removed", "something-new"])
async def test_any_account_status_is_accepted_and_splice_keys_are_kept(status):
    account = {
        "primary": True,
        "partyId": "alice::1",
        "status": status,
        "hint": "alice",
        "publicKey": "",
        "namespace": "1",
        "networkId": "canton:x",
        "signingProviderId": "participant",
        "disabled": True,
        "reason": "no signing provider matched",
        "externalTxId": "tx-1",
        "topologyTransactions": "abc",
    }
    wallet, storage = ScriptedWallet(), RecordingStorage()
    wallet.script["connect"] = returns(None)
    wallet.script["listAccounts"] = returns([account])
    state = await make_store(wallet, storage=storage).connect()
    assert state.account.status == status
    assert state.account.to_wire() == account
    assert pysession.decode_session_envelope(storage.items[KEY]).account.to_wire() == account
