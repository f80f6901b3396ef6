"""The original's lifecycle rules (API.md "Lifecycle rules" and "More of the original's rules"), one test each.

Every test runs over a synchronous and an asynchronous storage: the rules do not depend on how fast storage is.
"""

from __future__ import annotations

import json

import pytest

import pysession
from pysession.events import NetworkChanged, PartyChanged
from pysession.testing import MockWallet, mock_account

from .support import (
    ALL_EVENTS,
    KEY,
    AsyncStorage,
    ChannelHub,
    Recorder,
    RecordingStorage,
    ScriptedWallet,
    advance,
    hang,
    loop,
    make_store,
    methods,
    raises,
    returns,
    settle,
    statuses,
)

TTL = 60_000
POLICY = pysession.RetryPolicy(base_delay_ms=1000, factor=2, max_delay_ms=8000, max_attempts=4)


@pytest.fixture(params=["sync storage", "async storage"])
def storage(request):
    return RecordingStorage() if request.param == "sync storage" else AsyncStorage()


def stored(storage):
    raw = storage.items.get(KEY)
    return pysession.decode_session_envelope(raw) if raw is not None else None


def connected_status(network_id=None):
    status = {"connection": {"isConnected": True}}
    if network_id is not None:
        status["network"] = {"networkId": network_id}
    return status


# -- restore() / init() always ask the wallet ----------------------------------------


async def test_restore_asks_the_wallet_with_nothing_stored_and_a_connected_wallet_restores(storage):
    wallet = MockWallet(connected=True, party_id="alice::1", network_id="canton:x")
    store = make_store(wallet, storage=storage)
    state = await store.init()
    assert state.status == "connected" and state.account.party_id == "alice::1" and state.network_id == "canton:x"
    assert methods(wallet) == ["status", "listAccounts"]
    assert len(storage.writes) == 1 and stored(storage).account == state.account


async def test_restore_takes_the_network_from_get_active_network_when_the_status_has_none(storage):
    wallet = ScriptedWallet(connected=True, network_id="canton:y")
    wallet.script["status"] = returns(connected_status())
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "connected" and state.network_id == "canton:y"
    assert sorted(methods(wallet)) == ["getActiveNetwork", "listAccounts", "status"]
    assert stored(storage).network_id == "canton:y"


async def test_restore_with_a_wallet_that_says_not_connected_removes_the_entry(storage):
    first = make_store(MockWallet(), storage=storage)
    await first.connect()
    first.destroy()
    state = await make_store(MockWallet(connected=False), storage=storage).restore()
    assert state == pysession.SessionState()
    assert KEY not in storage.items


async def test_restore_whose_status_request_fails_is_disconnected_with_the_failure_and_does_not_raise(storage):
    wallet = ScriptedWallet(connected=True)
    failure = RuntimeError("extension crashed")
    wallet.script["status"] = raises(failure)
    state = await make_store(wallet, storage=storage).restore()
    assert state.status == "disconnected" and state.account is None
    assert isinstance(state.last_error, pysession.SessionError)
    assert state.last_error.__cause__ is failure


@pytest.mark.parametrize("entry", ["{corrupt", json.dumps({"version": 99}), "expired"])
async def test_restore_removes_a_corrupt_unknown_or_expired_entry_and_still_asks_the_wallet(storage, entry):
    if entry == "expired":
        account = mock_account("party::old", "canton:x")
        entry = json.dumps({"version": 1, "account": account, "accounts": [account], "networkId": "canton:x",
                            "connectedAt": 1, "expiresAt": 2})
    storage.items[KEY] = entry
    wallet = MockWallet(connected=True)
    state = await make_store(wallet, storage=storage).restore()
    assert methods(wallet)[0] == "status"
    assert state.status == "connected" and state.account.party_id == "party::mock-1"
    assert storage.writes[0] == (KEY, None)
    assert stored(storage).account == state.account


async def test_restore_asks_the_wallet_in_every_state_even_connected(storage):
    wallet = MockWallet()
    store = make_store(wallet, storage=storage)
    await store.connect()
    seen = statuses(store)
    wallet.requests.clear()
    state = await store.restore()
    assert seen == ["reconnecting", "connected"] and state.status == "connected"
    assert methods(wallet) == ["status", "listAccounts"]


async def test_restore_takes_the_live_party_silently_and_never_shows_the_stored_one(storage):
    invalidations, hub = [], ChannelHub()
    first = make_store(MockWallet(party_id="party::old"), storage=storage)
    await first.connect()
    first.destroy()
    wallet = MockWallet(connected=True, party_id="party::new", network_id="canton:other")
    store = make_store(wallet, storage=storage, on_invalidate=invalidations.append, broadcast=hub.options)
    events = Recorder(store, *ALL_EVENTS)
    parties = []
    store.subscribe(lambda: parties.append(store.get_snapshot().account))
    state = await store.restore()
    assert state.account.party_id == "party::new" and state.network_id == "canton:other"
    assert all(account is None or account.party_id == "party::new" for account in parties)
    assert events.events == [] and invalidations == [] and hub.posted == []
    assert stored(storage).account.party_id == "party::new"


async def test_restore_returns_after_its_own_write_has_landed():
    storage = AsyncStorage(delay_ms=50)
    await make_store(MockWallet(connected=True), storage=storage).restore()
    assert stored(storage) is not None


async def test_restore_returns_after_its_own_removal_has_landed():
    storage = AsyncStorage(delay_ms=50)
    storage.items[KEY] = "1"
    await make_store(MockWallet(connected=False), storage=storage).restore()
    assert KEY not in storage.items


# -- the wallet's events count in every state ---------------------------------------


async def test_status_changed_true_moves_a_disconnected_store_to_connected(storage):
    wallet = MockWallet()
    store = make_store(wallet, storage=storage)
    wallet.set_connected(True)  # a connect from another tab or the wallet's own window
    await settle()
    state = store.get_snapshot()
    assert state.status == "connected" and state.account.party_id == "party::mock-1"
    assert state.network_id == "canton:da-devnet"
    await advance(100)
    assert len(storage.writes) == 1 and stored(storage).account == state.account


async def test_accounts_announced_while_disconnected_are_kept_silently_and_used_when_the_status_arrives(storage):
    wallet = MockWallet()
    store = make_store(wallet, storage=storage)
    events = Recorder(store, *ALL_EVENTS)
    seen = []
    store.subscribe(lambda: seen.append(store.get_snapshot()))
    wallet.emit("accountsChanged", [mock_account("alice::1", "canton:x")])
    wallet.emit("chainChanged", {"networkId": "canton:x"})
    await advance(100)
    assert seen == [] and storage.writes == [] and events.events == []
    wallet.emit("statusChanged", {"connection": {"isConnected": True}})
    await advance(100)
    state = store.get_snapshot()
    assert state.status == "connected" and state.account.party_id == "alice::1" and state.network_id == "canton:x"
    assert "listAccounts" not in methods(wallet)
    assert len(storage.writes) == 1


async def test_status_changed_true_with_no_account_known_asks_list_accounts_once(storage):
    wallet = MockWallet()
    store = make_store(wallet, storage=storage)
    wallet.connected = True
    wallet.emit("statusChanged", wallet.status())
    await advance(100)
    assert methods(wallet) == ["listAccounts"]
    assert store.get_snapshot().account.party_id == "party::mock-1"
    assert len(storage.writes) == 1


async def test_status_changed_true_clears_last_error(storage):
    wallet = MockWallet(connect_error=RuntimeError("no"))
    store = make_store(wallet, storage=storage)
    assert (await store.connect()).last_error is not None
    wallet.connect_error = None
    wallet.set_connected(True)
    assert store.get_snapshot().last_error is None


@pytest.mark.parametrize("status", ["connecting", "reconnecting"])
async def test_status_changed_false_ends_a_connecting_or_reconnecting_store(storage, status):
    wallet = ScriptedWallet()
    wallet.script["connect" if status == "connecting" else "status"] = hang
    store = make_store(wallet, storage=storage)
    running = loop().create_task(store.connect() if status == "connecting" else store.restore())
    await settle()
    assert store.get_snapshot().status == status
    wallet.emit("statusChanged", {"connection": {"isConnected": False}})
    assert store.get_snapshot() == pysession.SessionState()
    running.cancel()


# -- persist on the first connect, exactly once --------------------------------------


@pytest.mark.parametrize("order", ["status first", "accounts first"])
async def test_a_wallet_side_connect_persists_once_whichever_event_comes_first(storage, order):
    wallet = MockWallet()
    store = make_store(wallet, storage=storage)
    status = {"connection": {"isConnected": True}, "network": {"networkId": "canton:x"}}
    accounts = [mock_account("alice::1", "canton:x")]
    events = [("statusChanged", status), ("accountsChanged", accounts)]
    for event, payload in events if order == "status first" else reversed(events):
        wallet.emit(event, payload)
    await advance(100)
    for event, payload in events * 3:  # replayed: nothing new to write
        wallet.emit(event, payload)
    await advance(100)
    assert store.get_snapshot().account.party_id == "alice::1"
    assert len(storage.writes) == 1


async def test_connect_persists_once_and_a_switch_writes_again(storage):
    wallet = MockWallet()
    store = make_store(wallet, storage=storage)
    await store.connect()
    assert len(storage.writes) == 1
    wallet.set_party("party::mock-1")
    wallet.set_network("canton:da-devnet")
    await advance(100)
    assert len(storage.writes) == 1
    wallet.set_party("party::two")
    await advance(100)
    wallet.set_network("canton:mainnet")
    await advance(100)
    assert len(storage.writes) == 3
    assert (stored(storage).account.party_id, stored(storage).network_id) == ("party::two", "canton:mainnet")


async def test_connect_while_connected_writes_nothing_new_and_keeps_the_expiry_deadline(storage):
    wallet = MockWallet()
    store = make_store(wallet, storage=storage, expiry=pysession.ExpiryOptions(ttl_ms=TTL))
    events = Recorder(store, "session:expired")
    await store.connect()
    await advance(TTL // 2)
    await store.connect()
    await advance(TTL)
    assert len([w for w in storage.writes if w[1] is not None]) == 1
    assert events.times_of("session:expired")[0] == TTL


# -- connect() ------------------------------------------------------------------------


async def test_connect_takes_the_account_from_one_list_accounts_when_no_event_came(storage):
    wallet = ScriptedWallet()
    wallet.script["connect"] = returns(None)
    wallet.connected = True
    state = await make_store(wallet, storage=storage).connect()
    assert state.status == "connected" and state.account.party_id == "party::mock-1"
    assert methods(wallet).count("listAccounts") == 1


async def test_connect_asks_get_active_network_only_when_the_network_is_still_unknown(storage):
    wallet = MockWallet()
    state = await make_store(wallet, storage=storage).connect()
    assert state.network_id == "canton:da-devnet"
    assert methods(wallet) == ["connect"]


@pytest.mark.parametrize("method", ["listAccounts", "getActiveNetwork"])
async def test_a_failing_follow_up_request_never_fails_the_connect(storage, method):
    wallet = ScriptedWallet()
    wallet.script["connect"] = returns({"ok": True})
    wallet.script[method] = raises(RuntimeError("not supported"))
    state = await make_store(wallet, storage=storage).connect()
    assert state.status == "connected" and state.last_error is None


# -- a reconnect attempt only asks ----------------------------------------------------


async def dropped(storage):
    """A store connected with POLICY whose wallet has just dropped; the wallet, the store and its events."""
    wallet = MockWallet()
    store = make_store(wallet, storage=storage, reconnect=POLICY)
    events = Recorder(store, *ALL_EVENTS)
    await store.connect()
    wallet.drop()
    return wallet, store, events


async def test_a_backoff_against_a_wallet_that_stays_down_then_comes_back_never_requests_connect(storage):
    wallet, store, events = await dropped(storage)
    await advance(2_500)  # attempts 1 (at 1 s) and 2 (at 3 s) ... the first fails
    wallet.connected = True  # back, silently: attempt 2 finds it
    await advance(60_000)
    assert [e.attempt for e in events.of("reconnect:attempt")] == [1, 2]
    assert len(events.of("reconnect:succeeded")) == 1
    assert methods(wallet) == ["connect", "status", "status", "listAccounts"]
    assert store.get_snapshot().status == "connected"


async def test_a_wallet_that_says_not_connected_fails_the_attempt_and_schedules_the_next(storage):
    wallet, store, events = await dropped(storage)
    await advance(60_000)
    assert [e.attempt for e in events.of("reconnect:scheduled")] == [1, 2, 3, 4]
    assert events.of("reconnect:gaveup")[0].attempts == 4
    assert "connect" not in methods(wallet)[1:]
    assert store.get_snapshot() == pysession.SessionState(last_error=events.of("reconnect:gaveup")[0].last_error)
    assert KEY not in storage.items


# -- drops, re-auth, tabs, destroy ----------------------------------------------------


async def test_re_auth_shows_reconnecting_while_the_hook_runs_then_connected_and_rearmed(storage):
    during = []

    async def hook(context):
        during.append(store.get_snapshot().status)

    store = make_store(MockWallet(), storage=storage, expiry=pysession.ExpiryOptions(ttl_ms=TTL, on_reauth_required=hook))
    events = Recorder(store, "session:expired")
    await store.connect()
    await advance(TTL + 10)
    assert during == ["reconnecting"] and store.get_snapshot().status == "connected"
    await advance(TTL)
    assert events.times_of("session:expired") == [TTL, 2 * TTL]


async def test_a_network_switch_by_status_changed_emits_invalidates_and_persists(storage):
    invalidations = []
    wallet = MockWallet()
    store = make_store(wallet, storage=storage, on_invalidate=invalidations.append)
    events = Recorder(store, *ALL_EVENTS)
    await store.connect()
    wallet.set_network("canton:mainnet")
    await advance(100)
    assert events.events == [NetworkChanged("canton:da-devnet", "canton:mainnet")]
    assert len(invalidations) == 1 and stored(storage).network_id == "canton:mainnet"


async def test_a_party_message_for_a_listed_party_selects_it(storage):
    hub = ChannelHub()
    wallet = ScriptedWallet(connected=True)
    wallet.script["listAccounts"] = returns([mock_account("alice::1", "c:x"), mock_account("bob::2", "c:x", primary=False)])
    store = make_store(wallet, storage=storage, broadcast=hub.options)
    await store.restore()
    events = Recorder(store, *ALL_EVENTS)
    other_tab = hub.factory(hub.names[-1])
    other_tab.post({"v": 1, "kind": "party", "partyId": "bob::2"})
    await settle()
    assert store.get_snapshot().account.party_id == "bob::2"
    assert events.events == [PartyChanged("alice::1", "bob::2")]


async def test_destroy_lets_a_write_under_way_land_with_the_last_state_reached():
    storage = AsyncStorage(delay_ms=50)
    wallet = MockWallet()
    store = make_store(wallet, storage=storage)
    await store.connect()
    wallet.set_party("party::two")
    wallet.set_party("party::three")
    store.destroy()
    await advance(1_000)
    assert stored(storage).account.party_id == "party::three"
    wallet.set_party("party::four")
    await advance(1_000)
    assert stored(storage).account.party_id == "party::three"


async def test_the_same_listener_subscribed_twice_is_called_once():
    store = make_store(MockWallet())
    calls = []

    def listener():
        calls.append(1)

    store.subscribe(listener)
    unsubscribe = store.subscribe(listener)
    await store.connect()
    count = len(calls)
    assert count == 3  # connecting, connected, then the party: once each
    unsubscribe()
    await store.disconnect()
    assert len(calls) == count


async def test_accounts_round_trip_through_the_envelope_verbatim(storage):
    account = mock_account("alice::1", "canton:x") | {"walletLabel": "Main", "custom": {"nested": [1, 2]}}
    wallet = ScriptedWallet(connected=True)
    wallet.script["listAccounts"] = returns([account])
    await make_store(wallet, storage=storage).restore()
    await advance(100)
    envelope = json.loads(storage.items[KEY])
    assert envelope["account"] == account and envelope["accounts"] == [account]


# -- where pysession differs on purpose (docs/lifecycle.md) ---------------------------------------


async def test_other_tabs_hear_of_a_disconnect_before_the_wallets_own_request():
    hub = ChannelHub()
    wallet = ScriptedWallet()
    heard_when_asked = []

    async def disconnect():
        heard_when_asked.append(list(hub.posted))
        wallet.set_connected(False)

    wallet.script["disconnect"] = disconnect
    store = make_store(wallet, broadcast=hub.options)
    await store.connect()
    await store.disconnect()
    assert [message for _, message in heard_when_asked[0]] == [{"v": 1, "kind": "disconnect"}]


async def test_a_drop_ends_the_expiry_timer_so_no_session_expires_on_a_disconnected_store(storage):
    wallet = MockWallet()
    store = make_store(wallet, storage=storage, expiry=pysession.ExpiryOptions(ttl_ms=TTL))
    events = Recorder(store, "session:expired")
    await store.connect()
    wallet.drop()
    await advance(10 * TTL)
    assert events.events == [] and loop().pending_timers() == 0
