"""The store as an app sees it: the state machine, snapshots, listeners, persistence per connect, teardown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

import pysession
from pysession.browser import BroadcastOptions
from pysession.testing import MockWallet

from .support import (
    KEY,
    AsyncStorage,
    RecordingStorage,
    ScriptedWallet,
    advance,
    hang,
    loop,
    make_store,
    methods,
    returns,
    settle,
    statuses,
)


async def test_connect_goes_connecting_then_connected_with_the_wallets_account():
    """The happy path: connect() walks the diagram of docs/lifecycle.md and lands with the primary account and network."""
    store = make_store(MockWallet(party_id="alice::1220", network_id="canton:mainnet"))
    seen = statuses(store)
    state = await store.connect()
    assert seen == ["connecting", "connected"]
    assert state is store.get_snapshot()
    assert state.status == "connected"
    assert state.account is not None and state.account.party_id == "alice::1220"
    assert [a.party_id for a in state.accounts] == ["alice::1220"]
    assert state.network_id == "canton:mainnet"
    assert state.last_error is None


async def test_connect_failure_lands_disconnected_with_the_cause_and_never_raises():
    """A wallet rejection is a state, not an exception: the app reads last_error."""
    rejection = RuntimeError("user rejected the request")
    store = make_store(MockWallet(connect_error=rejection))
    seen = statuses(store)
    state = await store.connect()
    assert seen == ["connecting", "disconnected"]
    assert state.status == "disconnected" and state.account is None
    assert isinstance(state.last_error, pysession.SessionError)
    assert "user rejected the request" in str(state.last_error)
    assert state.last_error.__cause__ is rejection


async def test_connect_ends_connected_once_the_request_resolves_whatever_its_answer():
    """The original's rule: connect() is connected once the connect request resolves, whatever its answer's shape."""
    wallet = ScriptedWallet()
    wallet.script["connect"] = returns({"connection": {"isConnected": False}})
    store = make_store(wallet)
    state = await store.connect()
    assert state.status == "connected" and state.last_error is None


async def test_connect_reads_accounts_and_network_from_a_wallet_that_emits_no_events():
    """Without events the store asks listAccounts and getActiveNetwork, so the state is still complete."""
    wallet = ScriptedWallet(connected=True, party_id="bob::1", network_id="canton:testnet")
    wallet.script["connect"] = returns(None)
    state = await make_store(wallet).connect()
    assert state.status == "connected"
    assert state.account is not None and state.account.party_id == "bob::1"
    assert state.network_id == "canton:testnet"
    assert methods(wallet) == ["connect", "listAccounts", "getActiveNetwork"]


async def test_active_account_is_the_primary_else_the_first():
    """The active account is the primary one (or the first)."""
    wallet = MockWallet(connected=True)
    store = make_store(wallet)
    await store.connect()
    accounts = [
        {"primary": False, "partyId": "a::1"},
        {"primary": True, "partyId": "b::1"},
    ]
    wallet.emit("accountsChanged", accounts)
    assert store.get_snapshot().account.party_id == "b::1"
    wallet.emit("accountsChanged", [{"partyId": "c::1"}, {"partyId": "d::1"}])
    assert store.get_snapshot().account.party_id == "c::1"


async def test_disconnect_ends_the_session_and_removes_what_was_persisted():
    """disconnect() clears the state, tells the wallet, and forgets the persisted session."""
    wallet = MockWallet()
    storage = pysession.MemoryStorage()
    store = make_store(wallet, storage=storage)
    await store.connect()
    assert storage.get_item(KEY) is not None
    assert await store.disconnect() is None
    assert store.get_snapshot() == pysession.SessionState()
    assert storage.get_item(KEY) is None
    assert methods(wallet)[-1] == "disconnect"
    assert wallet.connected is False


async def test_get_snapshot_is_the_same_object_until_a_field_really_changes():
    """useSyncExternalStore-style consumers re-render only on a new object; equal updates must not make one."""
    wallet = MockWallet()
    store = make_store(wallet)
    calls = []
    store.subscribe(lambda: calls.append(store.get_snapshot()))
    await store.connect()
    before, count = store.get_snapshot(), len(calls)
    assert store.get_snapshot() is before
    wallet.emit("accountsChanged", wallet.accounts())
    wallet.emit("statusChanged", wallet.status())
    wallet.emit("chainChanged", {"networkId": wallet.network_id})
    assert store.get_snapshot() is before
    assert len(calls) == count
    wallet.set_party("party::other")
    after = store.get_snapshot()
    assert after is not before and after.account.party_id == "party::other"
    assert calls[-1] is after


async def test_unsubscribe_stops_calls_and_is_idempotent():
    """subscribe() and on() return their own undo, safe to call twice."""
    wallet = MockWallet()
    store = make_store(wallet)
    calls, events = [], []
    unsubscribe = store.subscribe(lambda: calls.append(1))
    off = store.on("party:changed", events.append)
    await store.connect()
    wallet.set_party("party::two")
    assert calls and len(events) == 1
    unsubscribe()
    unsubscribe()
    off()
    off()
    calls.clear()
    wallet.set_party("party::three")
    assert calls == [] and len(events) == 1


def test_on_refuses_an_unknown_event_type():
    """A typo in an event name fails loudly at registration instead of never firing."""
    store = make_store()
    with pytest.raises(ValueError, match="reconnect:sheduled"):
        store.on("reconnect:sheduled", print)


async def test_a_raising_listener_or_handler_does_not_stop_the_others_nor_the_store():
    """One broken subscriber must not hide changes from the rest of the app."""
    wallet = MockWallet()
    store = make_store(wallet)

    def broken(*_):
        raise RuntimeError("listener bug")

    calls, events = [], []
    store.subscribe(broken)
    store.subscribe(lambda: calls.append(store.get_snapshot().status))
    store.on("party:changed", broken)
    store.on("party:changed", events.append)
    state = await store.connect()
    assert state.status == "connected" and state.last_error is None
    assert calls[-1] == "connected"
    wallet.set_party("party::two")
    assert [e.current for e in events] == ["party::two"]
    assert store.get_snapshot().account.party_id == "party::two"


async def test_init_works_when_taken_off_the_object():
    """Frameworks pass store.init around as a bare callable (an effect, a hook)."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, "1")
    store = make_store(MockWallet(connected=True), storage=storage)
    init = store.init
    assert (await init()).status == "connected"


def test_get_provider_returns_the_provider_as_given():
    wallet = MockWallet()
    assert make_store(wallet).get_provider() is wallet


async def test_connect_persists_exactly_once():
    """One connect is one write, whatever events the wallet emits on the way."""
    storage = RecordingStorage()
    store = make_store(MockWallet(), storage=storage)
    await store.connect()
    assert len(storage.writes) == 1
    key, value = storage.writes[0]
    assert key == KEY and json.loads(value)["account"]["partyId"] == "party::mock-1"
    await store.disconnect()
    await store.connect()
    assert [value is not None for _, value in storage.writes] == [True, False, True]


async def test_connect_persists_once_under_async_storage_and_returns_after_the_write():
    """With async storage connect() returns only once the session is on disk, so a reload right after keeps it."""
    storage = AsyncStorage(delay_ms=5)
    store = make_store(MockWallet(), storage=storage)
    await store.connect()
    assert len(storage.writes) == 1
    assert storage.items[KEY] == storage.writes[0][1]


async def test_persist_snapshot_false_writes_the_bare_marker():
    """The opt-out keeps only the reconnect marker "1", no session data."""
    storage = RecordingStorage()
    store = make_store(MockWallet(), storage=storage, persist_snapshot=False)
    await store.connect()
    assert storage.writes == [(KEY, "1")]


async def test_a_custom_storage_key_is_used():
    storage = pysession.MemoryStorage()
    await make_store(MockWallet(), storage=storage, storage_key="my.app").connect()
    assert storage.get_item("my.app") is not None and storage.get_item(KEY) is None


async def test_concurrent_inits_share_one_restore():
    """Two components calling init() at mount, the first still under way, ask the wallet once and agree."""
    storage = AsyncStorage()
    storage.items[KEY] = "1"
    wallet = MockWallet(connected=True)
    store = make_store(wallet, storage=storage)
    first, second = await asyncio.gather(store.init(), store.init())
    assert first.status == second.status == "connected"
    assert methods(wallet).count("status") == 1


async def test_connect_during_a_slow_restore_wins():
    """A restore superseded by the user's connect must not overwrite the fresh session when it finishes."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, "1")
    wallet = ScriptedWallet(party_id="fresh::1")

    async def slow_status():
        await asyncio.sleep(5)
        return {"connection": {"isConnected": False}}

    wallet.script["status"] = slow_status
    store = make_store(wallet, storage=storage)
    restoring = asyncio.ensure_future(store.restore())
    await settle()
    assert store.get_snapshot().status == "reconnecting"
    await store.connect()
    await restoring
    await advance(10_000)
    state = store.get_snapshot()
    assert state.status == "connected" and state.account.party_id == "fresh::1"
    assert storage.get_item(KEY) is not None


async def test_changes_yields_each_new_snapshot_until_destroy():
    """``async for state in store.changes()`` sees every transition and ends when the store is destroyed."""
    store = make_store(MockWallet())
    seen = []

    async def consume():
        async for state in store.changes():
            seen.append(state)

    consumer = asyncio.ensure_future(consume())
    await settle()
    await store.connect()
    await store.disconnect()
    await settle()
    store.destroy()
    await asyncio.wait_for(consumer, 1)
    distinct = [s.status for i, s in enumerate(seen) if i == 0 or seen[i - 1].status != s.status]
    assert distinct == ["connecting", "connected", "disconnected"]
    assert seen[-1] == pysession.SessionState()


async def test_async_with_runs_init_on_entry_and_destroy_on_exit():
    """``async with create_session_store(...) as store`` restores on entry and leaves no listener behind."""
    storage = pysession.MemoryStorage()
    storage.set_item(KEY, "1")
    wallet = MockWallet(connected=True)
    async with pysession.create_session_store(wallet, storage=storage) as store:
        assert isinstance(store, pysession.SessionStore)
        assert store.get_snapshot().status == "connected"
        assert wallet.listener_count() == 4
    assert wallet.listener_count() == 0


async def test_destroy_removes_every_provider_listener_and_timer():
    """After destroy() nothing of the store is left on the wallet or the loop, and nothing fires later."""
    reauths = []
    wallet = MockWallet()
    store = make_store(
        wallet,
        reconnect=pysession.RetryPolicy(base_delay_ms=1000),
        expiry=pysession.ExpiryOptions(ttl_ms=60_000, on_reauth_required=reauths.append),
    )
    calls = []
    store.subscribe(lambda: calls.append(1))
    await store.connect()
    assert wallet.listener_count() == 4
    assert loop().pending_timers() == 1  # the expiry timer
    wallet.drop()
    assert loop().pending_timers() == 1  # the backoff timer: the drop ended the session and its expiry
    store.destroy()
    store.destroy()
    assert wallet.listener_count() == 0
    assert loop().pending_timers() == 0
    requests, calls[:] = len(wallet.requests), []
    wallet.connect_error = None
    wallet.set_connected(True)
    await advance(3_600_000)
    assert len(wallet.requests) == requests and calls == [] and reauths == []


async def test_actions_after_destroy_do_nothing():
    """A destroyed store (an unmounted component) ignores late calls instead of touching the wallet."""
    wallet = MockWallet()
    store = make_store(wallet)
    store.destroy()
    assert (await store.connect()).status == "disconnected"
    assert (await store.restore()).status == "disconnected"
    await store.disconnect()
    assert wallet.requests == []


async def test_enqueue_runs_the_operation_at_once_outside_reauth():
    store = make_store(MockWallet())
    await store.connect()

    async def submit():
        return "receipt"

    assert await store.enqueue(submit) == "receipt"


async def test_a_request_that_never_answers_does_not_stop_disconnect():
    """A wallet hung on connect cannot keep the user from leaving; the superseded connect never writes state."""
    wallet = ScriptedWallet()
    wallet.script["connect"] = hang
    wallet.script["disconnect"] = returns(None)
    store = make_store(wallet)
    connecting = asyncio.ensure_future(store.connect())
    await settle()
    assert store.get_snapshot().status == "connecting"
    await store.disconnect()
    assert store.get_snapshot().status == "disconnected"
    connecting.cancel()
    await settle()
    assert connecting.cancelled()
    assert store.get_snapshot() == pysession.SessionState()


async def test_destroy_while_connect_awaits_the_write_does_not_raise_into_connect():
    """A component unmounting mid-connect must not turn the app's pending connect() into an exception."""
    store = make_store(MockWallet(), storage=AsyncStorage(delay_ms=5))
    connecting = asyncio.ensure_future(store.connect())
    await advance(1)
    assert store.get_snapshot().status == "connected"
    store.destroy()
    await asyncio.wait([connecting])
    assert not connecting.cancelled()
    assert connecting.exception() is None


async def test_changes_on_a_destroyed_store_ends_at_once():
    """An iterator started after teardown (a late re-render) must end, not hang the consumer forever."""
    store = make_store(MockWallet())
    store.destroy()

    async def collect():
        return [state async for state in store.changes()]

    assert await asyncio.wait_for(collect(), 1) == []


async def test_connect_shows_connected_on_the_wallets_status_then_its_party():
    """The original's rule: statusChanged(true) during connect shows connected at once; accountsChanged brings the party."""
    store = make_store(MockWallet(party_id="alice::1220"))
    seen = []
    store.subscribe(lambda: seen.append((store.get_snapshot().status, _party(store.get_snapshot().account))))
    await store.connect()
    assert seen == [("connecting", None), ("connected", None), ("connected", "alice::1220")]


def _party(account):
    return account.party_id if account else None


@pytest.mark.parametrize("late", ["statusChanged(false)", "another tab's disconnect"])
async def test_connect_returns_the_state_it_reached_when_an_older_event_lands_first(late):
    """A worker hears its wallet a hop late: a drop heard while the connect request is out is older than the
    wallet's answer, so connect() returns connected, and that is what the store shows."""
    storage = pysession.MemoryStorage()
    wallet = ScriptedWallet(party_id="alice::1220")
    answered = loop().create_future()

    async def connect_after_the_late_event():
        await answered
        wallet.set_connected(True)
        return {"isConnected": True}

    wallet.script["connect"] = connect_after_the_late_event
    hub_message = {"v": 1, "kind": "disconnect"}
    channel = FakeChannel()
    store = make_store(
        wallet, storage=storage, broadcast=BroadcastOptions(channel_factory=lambda name: channel)
    )
    connecting = loop().create_task(store.connect())
    await settle()
    if late == "statusChanged(false)":
        wallet.emit("statusChanged", {"connection": {"isConnected": False}})
    else:
        channel.deliver(hub_message)
    assert store.get_snapshot().status == "disconnected"
    answered.set_result(None)
    state = await connecting
    assert state.status == "connected" and state.account.party_id == "alice::1220" and state.last_error is None
    await advance(1_000)
    assert store.get_snapshot() == state
    assert storage.get_item(KEY) is not None


class FakeChannel:
    """A BroadcastChannel-like object whose messages the test delivers."""

    def __init__(self) -> None:
        self.onmessage: Callable[[Any], None] | None = None

    def postMessage(self, data):  # noqa: N802 (the BroadcastChannel API)
        pass

    def close(self) -> None:
        pass

    def deliver(self, data) -> None:
        assert self.onmessage is not None, "the store listens on the channel"
        self.onmessage(type("Message", (), {"data": data})())
