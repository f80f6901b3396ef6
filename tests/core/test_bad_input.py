"""Bad input from the wallet, the storage and other tabs: never raised into app code, never costs a good session."""

from __future__ import annotations

import asyncio
import json

import pytest

import pysession
from pysession.testing import MockWallet, mock_account

from .support import (
    ALL_EVENTS,
    KEY,
    AsyncStorage,
    Recorder,
    RecordingStorage,
    ScriptedWallet,
    advance,
    hang,
    make_store,
    raises,
    returns,
    settle,
)


async def good_session(wallet=None, **options):
    wallet = wallet or MockWallet()
    store = make_store(wallet, **options)
    await store.connect()
    assert store.get_snapshot().status == "connected"
    return wallet, store


def assert_kept_with_error(store, before):
    """The session the user had is intact, and last_error says something was wrong."""
    state = store.get_snapshot()
    assert (state.status, state.account, state.accounts, state.network_id) == (
        before.status,
        before.account,
        before.accounts,
        before.network_id,
    )
    assert isinstance(state.last_error, pysession.SessionError)


BAD_EVENTS = [
    ("accountsChanged", ({"partyId": "party::x"},)),
    ("accountsChanged", ("party::x",)),
    ("accountsChanged", (None,)),
    ("accountsChanged", ()),
    ("accountsChanged", ([{"primary": True}],)),
    ("accountsChanged", ([mock_account("party::ok", "canton:x"), {"partyId": 7}],)),
    ("statusChanged", (None,)),
    ("statusChanged", ()),
    ("statusChanged", ("connected",)),
    ("statusChanged", ({"connection": "yes"},)),
    ("statusChanged", ({"connection": {"isConnected": "false"}},)),
    ("statusChanged", ({"connection": {"isConnected": True}, "network": 5},)),
    ("connected", (None,)),
    ("connected", (True,)),
    ("connected", ({"connection": {"isConnected": "true"}},)),
    ("chainChanged", (5,)),
    ("chainChanged", ({"networkId": None},)),
    ("chainChanged", ("",)),
    ("chainChanged", ()),
]


@pytest.mark.parametrize(("event", "args"), BAD_EVENTS, ids=[f"{e}{a!r}"[:60] for e, a in BAD_EVENTS])
async def test_malformed_provider_events_keep_the_session_and_set_last_error(event, args):
    """A wallet emitting the wrong shape must not disconnect the user nor raise into the wallet's emit."""
    wallet, store = await good_session(reconnect=pysession.RetryPolicy())
    before = store.get_snapshot()
    events = Recorder(store, *ALL_EVENTS)
    wallet.emit(event, *args)
    await settle()
    assert_kept_with_error(store, before)
    assert events.events == []


async def test_the_next_good_event_still_applies_after_a_bad_one():
    wallet, store = await good_session()
    wallet.emit("accountsChanged", "garbage")
    wallet.set_party("party::two")
    assert store.get_snapshot().account.party_id == "party::two"


@pytest.mark.parametrize("answer", [returns({"partyId": "x"}), returns("alice"), returns([{"partyId": None}])])
async def test_connect_ends_connected_once_connect_resolves_whatever_listaccounts_answers(answer):
    """The original's rule: a follow-up request that answers garbage never fails the connect; no account is made up."""
    wallet = ScriptedWallet(connected=True)
    wallet.script["connect"] = returns(None)
    wallet.script["listAccounts"] = answer
    state = await make_store(wallet).connect()
    assert state.status == "connected" and state.account is None and state.accounts == ()
    assert state.last_error is None


async def test_a_request_that_raises_something_odd_is_still_contained():
    """Wallet SDKs throw anything; the store wraps it as a SessionError with the original as cause."""
    odd = LookupError("internal wallet state")
    wallet = ScriptedWallet()
    wallet.script["connect"] = raises(odd)
    state = await make_store(wallet).connect()
    assert state.status == "disconnected"
    assert isinstance(state.last_error, pysession.SessionError)
    cause = state.last_error
    while cause is not None and cause is not odd:
        cause = cause.__cause__
    assert cause is odd


async def test_connect_cancelled_by_the_callers_timeout_does_not_leave_the_store_connecting():
    """A connect that never answers, bounded by the app's own wait_for: back to disconnected, and usable again."""
    wallet = ScriptedWallet()
    wallet.script["connect"] = hang
    store = make_store(wallet)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(store.connect(), 30)
    assert store.get_snapshot().status == "disconnected"
    del wallet.script["connect"]
    assert (await store.connect()).status == "connected"


async def test_restore_cancelled_by_the_callers_timeout_does_not_leave_the_store_reconnecting():
    """A status probe that never answers: the caller's timeout leaves the store disconnected and the entry kept."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, "1")
    wallet = ScriptedWallet(connected=True)
    wallet.script["status"] = hang
    store = make_store(wallet, storage=storage)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(store.init(), 30)
    assert store.get_snapshot().status == "disconnected"
    assert storage.get_item(KEY) == "1"
    del wallet.script["status"]
    assert (await asyncio.wait_for(store.init(), 30)).status == "connected"


async def test_a_hung_reconnect_attempt_gives_way_to_disconnect():
    """A reconnect attempt stuck in the wallet cannot keep the store reconnecting once the user disconnects."""
    wallet, store = await good_session(ScriptedWallet(), reconnect=pysession.RetryPolicy(base_delay_ms=100))
    wallet.script["connect"] = hang
    wallet.drop()
    await advance(1000)
    assert store.get_snapshot().status == "reconnecting"
    wallet.script["disconnect"] = returns(None)
    await store.disconnect()
    await advance(60_000)
    assert store.get_snapshot() == pysession.SessionState()


async def test_a_wallet_whose_disconnect_hangs_still_ends_the_session_at_once():
    wallet, store = await good_session(ScriptedWallet())
    wallet.script["disconnect"] = hang
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(store.disconnect(), 5)
    assert store.get_snapshot() == pysession.SessionState()


async def test_a_wallet_whose_disconnect_fails_still_ends_the_session():
    wallet, store = await good_session(ScriptedWallet())
    wallet.script["disconnect"] = raises(RuntimeError("wallet crashed"))
    assert await store.disconnect() is None
    state = store.get_snapshot()
    assert state.status == "disconnected" and state.account is None
    assert isinstance(state.last_error, pysession.SessionError)


@pytest.mark.parametrize("answer", ["yes", None, {"connection": {}}, {"isConnected": "true"}])
async def test_a_garbage_status_answer_on_restore_keeps_the_entry(answer):
    """A status answer the store cannot read is not a "disconnected": the persisted session is kept."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, "1")
    wallet = ScriptedWallet(connected=True)
    wallet.script["status"] = returns(answer)
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "disconnected"
    assert isinstance(state.last_error, pysession.SessionError)
    assert storage.get_item(KEY) == "1"


async def test_garbage_accounts_on_restore_mean_no_accounts_and_the_stored_party_is_never_shown():
    """The original's rule: a listAccounts error on restore means no accounts; the live values replace the stored."""
    storage = pysession.MemoryStorage()
    first = make_store(MockWallet(), storage=storage)
    await first.connect()
    before = first.get_snapshot()
    first.destroy()
    wallet = ScriptedWallet(connected=True)
    wallet.script["listAccounts"] = returns("garbage")
    assert before.account is not None
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "connected"
    assert state.account is None and state.accounts == ()


@pytest.mark.parametrize("raw", [42, b"1", {"version": 1, "accounts": []}, ["1"], 1.0])
async def test_storage_returning_garbage_types_is_removed_and_the_wallet_is_still_asked(raw):
    """A storage adapter that hands back non-strings is treated like a corrupt entry: cleared, no raise;
    the original's rule: the wallet is asked anyway, and a connected one restores a fresh session."""
    storage = RecordingStorage()
    storage.items[KEY] = raw
    assert await pysession.restore_session(storage, KEY) is None
    assert KEY not in storage.items
    storage.items[KEY] = raw
    state = await make_store(MockWallet(connected=True), storage=storage).restore()
    assert state.status == "connected"
    assert storage.writes[0] == (KEY, None)
    assert pysession.decode_session_envelope(storage.items[KEY]).account == state.account


class BrokenStorage(AsyncStorage):
    """Async storage whose chosen methods fail (IndexedDB blocked, quota exceeded)."""

    def __init__(self, *failing: str) -> None:
        super().__init__()
        self.failing = failing

    async def get_item(self, key):
        if "get_item" in self.failing:
            raise OSError("blocked")
        return await super().get_item(key)

    async def set_item(self, key, value):
        if "set_item" in self.failing:
            raise OSError("quota exceeded")
        await super().set_item(key, value)

    async def remove_item(self, key):
        if "remove_item" in self.failing:
            raise OSError("blocked")
        await super().remove_item(key)


async def test_async_storage_that_fails_to_write_keeps_the_session_and_reports():
    state = await make_store(MockWallet(), storage=BrokenStorage("set_item")).connect()
    assert state.status == "connected" and state.account is not None
    assert isinstance(state.last_error, pysession.SessionError)
    assert isinstance(state.last_error.__cause__, OSError)


async def test_async_storage_that_fails_to_read_counts_as_nothing_stored_and_the_wallet_is_asked():
    """The original's rule: a failed read is no reason to skip the wallet; a connected one restores."""
    storage = BrokenStorage("get_item")
    storage.items[KEY] = "1"
    wallet = MockWallet(connected=True)
    state = await make_store(wallet, storage=storage).restore()
    assert [p["method"] for p in wallet.requests][0] == "status"
    assert state.status == "connected" and state.account is not None


async def test_async_storage_that_fails_to_read_keeps_the_entry_when_the_wallet_cannot_answer():
    storage = BrokenStorage("get_item")
    storage.items[KEY] = "1"
    wallet = ScriptedWallet(connected=True)
    wallet.script["status"] = raises(RuntimeError("wallet locked"))
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "disconnected"
    assert isinstance(state.last_error, pysession.SessionError)
    assert storage.items[KEY] == "1"


async def test_storage_that_fails_to_remove_does_not_stop_disconnect():
    storage = BrokenStorage("remove_item")
    _, store = await good_session(storage=storage)
    await store.disconnect()
    state = store.get_snapshot()
    assert state.status == "disconnected" and state.account is None


async def test_a_failing_remove_of_a_bad_entry_does_not_raise():
    storage = BrokenStorage("remove_item")
    storage.items[KEY] = "{corrupt"
    assert await pysession.restore_session(storage, KEY) is None
    state = await make_store(MockWallet(connected=False), storage=storage).restore()
    assert state.status == "disconnected"


def test_a_channel_that_fails_to_post_does_not_stop_the_store(run):
    """A broken BroadcastChannel costs the other tabs their update, never this tab its action."""

    class DeadChannel:
        active = True

        def post(self, message):
            raise RuntimeError("DataCloneError")

        def on_message(self, handler):
            return lambda: None

        def close(self):
            pass

    async def main():
        broadcast = pysession.browser.BroadcastOptions(channel_factory=lambda name: DeadChannel())
        wallet, store = await good_session(broadcast=broadcast)
        wallet.set_party("party::two")
        assert store.get_snapshot().account.party_id == "party::two"
        assert isinstance(store.get_snapshot().last_error, pysession.SessionError)
        await store.disconnect()
        assert store.get_snapshot().status == "disconnected" and store.get_snapshot().account is None

    run(main)


def test_destroy_survives_a_provider_that_fails_to_remove_listeners(run):
    class StickyWallet(MockWallet):
        def remove_listener(self, event, listener):
            raise RuntimeError("not supported")

    async def main():
        wallet, store = await good_session(StickyWallet())
        store.destroy()
        before = store.get_snapshot()
        wallet.set_party("party::two")
        assert store.get_snapshot() is before

    run(main)


@pytest.mark.parametrize(
    ("provider", "missing"),
    [(object(), "request"), (type("OnlyRequest", (), {"request": lambda self, p: None})(), "on")],
)
def test_a_provider_without_the_cip0103_methods_is_refused(provider, missing):
    with pytest.raises(TypeError, match=missing):
        pysession.create_session_store(provider, storage=pysession.MemoryStorage())


@pytest.mark.parametrize("missing", ["get_item", "set_item", "remove_item"])
def test_a_storage_missing_a_method_is_refused_naming_it(missing):
    methods = {name: (lambda self, *a: None) for name in ("get_item", "set_item", "remove_item") if name != missing}
    storage = type("PartialStorage", (), methods)()
    with pytest.raises(TypeError, match=missing):
        pysession.create_session_store(MockWallet(), storage=storage)


@pytest.mark.parametrize("key", ["", None, 7])
def test_a_bad_storage_key_is_refused(key):
    with pytest.raises(TypeError, match="storage_key"):
        pysession.create_session_store(MockWallet(), storage=pysession.MemoryStorage(), storage_key=key)


async def test_enqueue_refuses_a_non_callable():
    _, store = await good_session()
    with pytest.raises(TypeError):
        await store.enqueue("submit")


async def test_persisted_envelope_with_garbage_account_fields_is_cleared_and_the_wallet_still_asked():
    """Tampered storage: an envelope whose account has wrong types is removed; the original's rule: the wallet is
    still asked, and a wallet that is not connected leaves nothing stored."""
    storage = pysession.MemoryStorage()
    bad = mock_account("party::x", "canton:x") | {"hasPreapproval": "yes"}
    storage.set_item(KEY, json.dumps({"version": 1, "account": bad, "accounts": [bad], "connectedAt": 1}))
    wallet = MockWallet(connected=False)
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "disconnected" and storage.get_item(KEY) is None
    assert [p["method"] for p in wallet.requests] == ["status"]
