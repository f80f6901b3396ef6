"""Persist and restore over MemoryStorage and async storage (SCENARIO-1, SCENARIO-3, restore safety, latest-wins)."""

from __future__ import annotations

import asyncio
import json

import pytest

import pysession
from pysession.testing import MockWallet, mock_account

from .support import (
    EPOCH_MS,
    KEY,
    AsyncStorage,
    RecordingStorage,
    ScriptedWallet,
    advance,
    make_store,
    methods,
    raises,
    statuses,
)

ACCOUNT = pysession.Account.from_wire(mock_account("party::mock-1", "canton:da-devnet"))


def envelope(**overrides) -> str:
    """A valid persisted session of MockWallet's default account, with some fields replaced."""
    obj = {
        "version": 1,
        "account": ACCOUNT.to_wire(),
        "accounts": [ACCOUNT.to_wire()],
        "networkId": "canton:da-devnet",
        "connectedAt": EPOCH_MS,
    }
    obj.update(overrides)
    return json.dumps(obj)


async def test_persist_then_restore_in_a_new_store():
    """SCENARIO-1: a reload (a new store on the same storage) restores the session the old one persisted."""
    storage = pysession.MemoryStorage()
    wallet = MockWallet(party_id="alice::1", network_id="canton:testnet")
    first = make_store(wallet, storage=storage)
    await first.connect()
    persisted = storage.get_item(KEY)
    first.destroy()

    second = make_store(wallet, storage=storage)
    seen = statuses(second)
    state = await second.restore()
    assert seen == ["reconnecting", "connected"]
    assert state.status == "connected" and state.last_error is None
    assert state.account == first.get_snapshot().account
    assert state.network_id == "canton:testnet"
    assert storage.get_item(KEY) == persisted
    assert json.loads(persisted)["connectedAt"] == EPOCH_MS


async def test_the_marker_is_restored_too():
    """persist_snapshot=False sessions come back after a reload as well, from the live wallet."""
    storage = pysession.MemoryStorage()
    wallet = MockWallet()
    await make_store(wallet, storage=storage, persist_snapshot=False).connect()
    state = await make_store(wallet, storage=storage, persist_snapshot=False).restore()
    assert state.status == "connected" and state.account.party_id == "party::mock-1"
    assert storage.get_item(KEY) == "1"


async def first_visit(wallet):
    """restore() with nothing stored: the storage, the statuses the store walked, and the state it ended in."""
    storage = RecordingStorage()
    store = make_store(wallet, storage=storage)
    seen = statuses(store)
    return storage, seen, await store.restore()


async def test_restore_always_asks_the_wallet_and_a_first_visit_to_a_trusting_wallet_restores():
    """The original's rule: nothing stored, the wallet already trusts the site: connected, and persisted once."""
    wallet = MockWallet(connected=True)
    storage, seen, state = await first_visit(wallet)
    assert seen == ["reconnecting", "connected"]
    assert state.account.party_id == "party::mock-1" and state.network_id == "canton:da-devnet"
    assert methods(wallet) == ["status", "listAccounts"]
    assert [key for key, _ in storage.writes] == [KEY]
    assert pysession.decode_session_envelope(storage.items[KEY]).account == state.account


async def test_restore_with_nothing_stored_and_a_disconnected_wallet_asks_and_writes_nothing():
    wallet = MockWallet(connected=False)
    storage, seen, state = await first_visit(wallet)
    assert seen == ["reconnecting", "disconnected"]
    assert state == pysession.SessionState()
    assert methods(wallet) == ["status"]
    assert storage.writes == []


@pytest.mark.parametrize("persisted", ["1", envelope()])
async def test_restore_removes_the_entry_when_the_wallet_says_disconnected(persisted):
    """Persisted data is only a hint: a wallet that is no longer connected wins, and the hint is removed."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, persisted)
    wallet = MockWallet(connected=False)
    state = await make_store(wallet, storage=storage).restore()
    assert state == pysession.SessionState()
    assert storage.get_item(KEY) is None
    assert methods(wallet) == ["status"]


async def test_restore_prefers_the_live_account_and_rewrites_the_snapshot():
    """The user switched party in the wallet while away: the live party wins and is persisted."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, envelope())
    wallet = MockWallet(connected=True, party_id="party::switched")
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "connected" and state.account.party_id == "party::switched"
    assert json.loads(storage.get_item(KEY))["account"]["partyId"] == "party::switched"


BAD_ENTRIES = {
    "corrupt": "{not json",
    "empty": "",
    "unknown version": envelope(version=2),
    "version as string": envelope(version="1"),
    "version as true": envelope(version=True),
    "no version": json.dumps({"accounts": []}),
    "expired": envelope(expiresAt=EPOCH_MS - 1),
    "expired right now": envelope(expiresAt=EPOCH_MS),
    "accounts not a list": envelope(accounts={"partyId": "x"}),
    "account without partyId": envelope(account={"primary": True}),
    "partyId not a string": envelope(accounts=[{"partyId": 42}]),
    "networkId not a string": envelope(networkId=["canton:x"]),
    "not an object": json.dumps([1, "accounts"]),
    "a bare number": "2",
}


@pytest.mark.parametrize("raw", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
async def test_restore_session_answers_none_and_removes_a_bad_entry(raw):
    """SCENARIO-3 over MemoryStorage: never raises, answers None, clears what cannot be trusted."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, raw)
    assert await pysession.restore_session(storage, KEY, now=EPOCH_MS) is None
    assert storage.get_item(KEY) is None


@pytest.mark.parametrize("raw", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
async def test_the_store_removes_a_bad_entry_and_still_asks_the_wallet(raw):
    """SCENARIO-3 through the store, by the original's rule: the entry is removed, the wallet still asked."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, raw)
    wallet = MockWallet(connected=False)
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "disconnected" and state.account is None
    assert storage.get_item(KEY) is None
    assert methods(wallet) == ["status"]


@pytest.mark.parametrize("raw", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
async def test_a_bad_entry_is_replaced_by_the_live_session_when_the_wallet_is_connected(raw):
    storage = RecordingStorage()
    storage.items[KEY] = raw
    wallet = MockWallet(connected=True)
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "connected" and state.account.party_id == "party::mock-1"
    assert storage.writes[0] == (KEY, None) and len(storage.writes) == 2
    assert pysession.decode_session_envelope(storage.items[KEY]).account == state.account


async def test_restore_session_returns_a_good_snapshot_and_keeps_it():
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, envelope(expiresAt=EPOCH_MS + 1))
    snapshot = await pysession.restore_session(storage, KEY, now=EPOCH_MS)
    assert snapshot == pysession.PersistedSessionSnapshot(
        ACCOUNT, (ACCOUNT,), "canton:da-devnet", EPOCH_MS, EPOCH_MS + 1
    )
    assert storage.get_item(KEY) is not None
    assert await pysession.restore_session(storage, "absent", now=EPOCH_MS) is None


async def test_restore_session_uses_the_wall_clock_by_default():
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, envelope(expiresAt=EPOCH_MS - 1))
    assert await pysession.restore_session(storage, KEY) is None
    assert storage.get_item(KEY) is None


class FlakyStorage(RecordingStorage):
    """A storage whose reads fail a given number of times (a locked database, a quota hiccup)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def get_item(self, key):
        if self.failures:
            self.failures -= 1
            raise OSError("storage is busy")
        return super().get_item(key)


async def test_a_failed_read_does_not_remove_the_entry():
    """A transient storage fault is not a bad entry: the session survives to the next restore."""
    storage = FlakyStorage(failures=2)
    storage.set_item(KEY, envelope())
    assert await pysession.restore_session(storage, KEY, now=EPOCH_MS) is None
    assert storage.items[KEY] == envelope()

    store = make_store(MockWallet(connected=False), storage=storage)
    state = await store.restore()
    assert state.status == "disconnected"
    assert storage.items[KEY] == envelope()

    connected = make_store(MockWallet(connected=True), storage=FlakyStorage(failures=1))
    assert (await connected.restore()).status == "connected"


async def test_a_failed_status_probe_keeps_the_entry():
    """The wallet not answering status is not the wallet saying disconnected: keep the session for later."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, envelope())
    wallet = ScriptedWallet(connected=True)
    wallet.script["status"] = raises(ConnectionError("extension asleep"))
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "disconnected"
    assert isinstance(state.last_error, pysession.SessionError)
    assert storage.get_item(KEY) == envelope()


async def test_async_storage_works_for_persist_restore_and_remove():
    """Storage methods that return coroutines (IndexedDB-like) are awaited everywhere."""
    storage = AsyncStorage(delay_ms=3)
    wallet = MockWallet()
    first = make_store(wallet, storage=storage)
    await first.connect()
    assert json.loads(storage.items[KEY])["account"]["partyId"] == "party::mock-1"
    first.destroy()

    second = make_store(wallet, storage=storage)
    assert (await second.restore()).status == "connected"
    await second.disconnect()
    assert KEY not in storage.items
    assert await pysession.restore_session(storage, KEY) is None


async def test_restore_session_clears_a_bad_entry_in_async_storage():
    storage = AsyncStorage()
    await storage.set_item(KEY, "{broken")
    assert await pysession.restore_session(storage, KEY) is None
    assert KEY not in storage.items


async def test_a_burst_of_party_switches_is_written_latest_wins():
    """1000 switches under slow async storage cost two writes, and the last party is what persists."""
    storage = AsyncStorage(delay_ms=2)
    wallet = MockWallet()
    store = make_store(wallet, storage=storage)
    await store.connect()
    storage.writes.clear()
    for n in range(1000):
        wallet.set_party(f"party::{n}")
    assert store.get_snapshot().account.party_id == "party::999"
    await advance(1000)
    assert 1 <= len(storage.writes) <= 2
    assert json.loads(storage.writes[-1][1])["account"]["partyId"] == "party::999"
    assert json.loads(storage.items[KEY])["account"]["partyId"] == "party::999"


async def test_a_caller_cancelled_while_the_session_is_written_cancels_neither_the_write_nor_another_caller():
    """A connect() timed out by its caller mid-write: the session still lands, and a second connect() still returns."""
    storage = AsyncStorage(delay_ms=50)
    store = make_store(MockWallet(), storage=storage)
    first = asyncio.ensure_future(store.connect())
    await advance(10)
    second = asyncio.ensure_future(store.connect())
    await advance(1)
    first.cancel()
    await advance(200)
    assert first.cancelled()
    assert second.done() and second.result().status == "connected"
    assert json.loads(storage.items[KEY])["account"]["partyId"] == "party::mock-1"


def test_memory_storage_and_its_typescript_name():
    storage = pysession.create_memory_storage()
    assert isinstance(storage, pysession.MemoryStorage)
    assert isinstance(storage, pysession.SessionStorage)
    assert storage.get_item("k") is None
    storage.set_item("k", "v")
    assert storage.get_item("k") == "v"
    storage.remove_item("k")
    storage.remove_item("k")
    assert storage.get_item("k") is None


async def test_a_storage_write_failure_keeps_the_session_and_reports_it():
    """Failing to persist costs the reload, not the live session; last_error tells the app."""
    class ReadOnlyStorage(RecordingStorage):
        def set_item(self, key, value):
            raise PermissionError("quota exceeded")

    state = await make_store(MockWallet(), storage=ReadOnlyStorage()).connect()
    assert state.status == "connected" and state.account is not None
    assert isinstance(state.last_error, pysession.SessionError)
    assert isinstance(state.last_error.__cause__, PermissionError)
