"""Party switch (SCENARIO-9) and network change (SCENARIO-10): events, on_invalidate, snapshot rewrite."""

from __future__ import annotations

import asyncio
import json

import pytest

import pysession
from pysession import InvalidationEvent
from pysession.events import NetworkChanged, PartyChanged
from pysession.testing import MockWallet, mock_account

from .support import ALL_EVENTS, KEY, Recorder, RecordingStorage, make_store, settle


async def connected(**options):
    wallet = MockWallet()
    storage = RecordingStorage()
    invalidations = []
    store = make_store(wallet, storage=storage, on_invalidate=invalidations.append, **options)
    await store.connect()
    storage.writes.clear()
    return wallet, storage, store, invalidations


def persisted(storage):
    return json.loads(storage.get_item(KEY))


async def test_a_party_switch_emits_invalidates_and_rewrites_the_snapshot():
    """SCENARIO-9: the app hears about the switch once, and a reload would restore the new party."""
    wallet, storage, store, invalidations = await connected()
    events = Recorder(store, *ALL_EVENTS)
    wallet.set_party("party::two")
    assert events.events == [PartyChanged("party::mock-1", "party::two")]
    assert invalidations == [InvalidationEvent("party:changed", "party::mock-1", "party::two")]
    assert len(storage.writes) == 1
    assert persisted(storage)["account"]["partyId"] == "party::two"
    assert [a["partyId"] for a in persisted(storage)["accounts"]] == ["party::two"]


async def test_a_reorder_that_keeps_the_primary_is_not_a_switch():
    """SCENARIO-9: same primary in a different order: no event, no invalidation, no rewrite."""
    wallet, storage, store, invalidations = await connected()
    primary = mock_account("party::mock-1", "canton:da-devnet")
    other = mock_account("party::other", "canton:da-devnet", primary=False)
    wallet.emit("accountsChanged", [primary, other])
    events = Recorder(store, *ALL_EVENTS)
    storage.writes.clear()
    wallet.emit("accountsChanged", [other, primary])
    assert store.get_snapshot().account.party_id == "party::mock-1"
    assert [a.party_id for a in store.get_snapshot().accounts] == ["party::other", "party::mock-1"]
    assert events.events == [] and invalidations == [] and storage.writes == []


async def test_the_first_accounts_of_a_session_are_no_switch():
    """A switch needs a previous party: connecting is not a party change."""
    _, _, store, invalidations = await connected()
    assert invalidations == []
    assert store.get_snapshot().account.party_id == "party::mock-1"


async def test_losing_every_account_is_a_switch_to_none():
    wallet, _, store, invalidations = await connected()
    wallet.emit("accountsChanged", [])
    assert store.get_snapshot().account is None
    assert invalidations == [InvalidationEvent("party:changed", "party::mock-1", None)]


async def test_a_network_change_from_status_changed_emits_invalidates_and_rewrites():
    """SCENARIO-10 via statusChanged.network."""
    wallet, storage, store, invalidations = await connected()
    events = Recorder(store, *ALL_EVENTS)
    wallet.set_network("canton:mainnet")
    assert store.get_snapshot().network_id == "canton:mainnet"
    assert events.events == [NetworkChanged("canton:da-devnet", "canton:mainnet")]
    assert invalidations == [InvalidationEvent("network:changed", "canton:da-devnet", "canton:mainnet")]
    assert len(storage.writes) == 1 and persisted(storage)["networkId"] == "canton:mainnet"


@pytest.mark.parametrize("payload", [{"networkId": "canton:mainnet"}, "canton:mainnet"])
async def test_a_network_change_from_chain_changed(payload):
    """SCENARIO-10 via the forward-compatible chainChanged event."""
    wallet, storage, store, invalidations = await connected()
    wallet.emit("chainChanged", payload)
    assert store.get_snapshot().network_id == "canton:mainnet"
    assert [e.type for e in invalidations] == ["network:changed"]
    assert persisted(storage)["networkId"] == "canton:mainnet"


async def test_an_async_on_invalidate_is_run_to_completion():
    """An async hook (refetching queries) is awaited by the store, not dropped."""
    done = []

    async def refetch(event):
        await asyncio.sleep(0.25)
        done.append(event)

    wallet = MockWallet()
    store = make_store(wallet, on_invalidate=refetch)
    await store.connect()
    wallet.set_network("canton:mainnet")
    await asyncio.sleep(0.25)
    await settle()
    assert done == [InvalidationEvent("network:changed", "canton:da-devnet", "canton:mainnet")]
    assert store.get_snapshot().last_error is None


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_failing_on_invalidate_is_reported_and_keeps_the_session(kind):
    """The app's hook failing is the app's bug: the switch still happens and last_error shows the cause."""
    bug = KeyError("query cache")

    def sync_hook(event):
        raise bug

    async def async_hook(event):
        raise bug

    wallet = MockWallet()
    store = make_store(wallet, on_invalidate=sync_hook if kind == "sync" else async_hook)
    events = Recorder(store, "party:changed")
    await store.connect()
    wallet.set_party("party::two")
    await settle()
    state = store.get_snapshot()
    assert state.status == "connected" and state.account.party_id == "party::two"
    assert len(events.events) == 1
    assert isinstance(state.last_error, pysession.SessionError)
    assert state.last_error.__cause__ is bug


def test_on_invalidate_must_be_callable():
    with pytest.raises(TypeError, match="on_invalidate"):
        make_store(MockWallet(), on_invalidate="refetch")
