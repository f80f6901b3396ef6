"""Multi-tab sync over an in-memory BroadcastChannel hub (SCENARIO-8, SCENARIO-11) and the message format (WIRE.md)."""

from __future__ import annotations

import pytest

import pysession
from pysession._sync import SyncMessage, parse_sync_message
from pysession.browser import BroadcastOptions, open_sync_channel
from pysession.testing import MockWallet

from .support import ALL_EVENTS, KEY, AsyncStorage, Recorder, RecordingStorage, advance, make_store, settle

CHANNEL = "partylayer.session.sync::no-origin::partylayer.session.connected"


async def two_tabs(hub, **options):
    """Two connected tabs of one origin: each its own wallet provider, one shared storage, one hub."""
    storage = RecordingStorage()
    tabs = []
    for _ in range(2):
        wallet = MockWallet()
        store = make_store(wallet, storage=storage, broadcast=hub.options, **options)
        channel = hub.channels[-1]
        await store.connect()
        tabs.append((wallet, store, channel))
    storage.writes.clear()
    return storage, tabs


def test_the_channel_is_named_per_wire_md(hub):
    make_store(broadcast=hub.options)
    make_store(broadcast=hub.options, storage_key="my.app")
    assert hub.names == [CHANNEL, "partylayer.session.sync::no-origin::my.app"]


async def test_disconnect_in_one_tab_disconnects_the_other_without_echo(hub):
    """SCENARIO-8: tab B ends up as if it had disconnected itself, and sends nothing back."""
    storage, [(_, a, channel_a), (wallet_b, b, channel_b)] = await two_tabs(hub)
    events_b = Recorder(b, *ALL_EVENTS)
    await a.disconnect()
    await settle()
    assert hub.messages_from(channel_a) == [{"v": 1, "kind": "disconnect"}]
    assert b.get_snapshot() == pysession.SessionState()
    assert hub.messages_from(channel_b) == []
    assert events_b.events == []
    assert "disconnect" not in [p["method"] for p in wallet_b.requests]
    # B has no write of its own under way: A's removal is the only storage work (tabs stay off the database).
    assert storage.writes == [(KEY, None)]


async def test_a_tab_told_of_a_disconnect_during_its_own_write_removes_the_entry_after_it(hub):
    """No late write of another tab brings an ended session back: B's storage is slower than A's."""
    fast, slow = AsyncStorage(delay_ms=1), AsyncStorage(delay_ms=50)
    slow.items, slow.writes = fast.items, fast.writes  # one origin's storage, reached at two speeds
    storage = fast
    wallets, stores = [], []
    for tab_storage in (fast, slow):
        wallet = MockWallet()
        store = make_store(wallet, storage=tab_storage, broadcast=hub.options)
        await store.connect()
        wallets.append(wallet)
        stores.append(store)
    await advance(100)
    storage.writes.clear()
    wallets[1].set_network("canton:mainnet")  # B starts writing its switch...
    await stores[0].disconnect()  # ...while A ends the session
    await advance(1_000)
    assert KEY not in storage.items
    assert storage.writes[-1] == (KEY, None)


async def test_a_party_switch_reaches_the_other_tab_without_echo(hub):
    """SCENARIO-9 across tabs: B tells its app, and neither posts nor persists it again; by the original's rule
    B's account stays as it is when B does not list the new party (no account is made up)."""
    invalidations = []
    storage, [(wallet_a, _, channel_a), (_, b, channel_b)] = await two_tabs(hub, on_invalidate=invalidations.append)
    events_b = Recorder(b, *ALL_EVENTS)
    wallet_a.set_party("party::two")
    await settle()
    assert hub.messages_from(channel_a) == [{"v": 1, "kind": "party", "partyId": "party::two"}]
    assert b.get_snapshot().account.party_id == "party::mock-1"
    assert b.get_snapshot().status == "connected"
    assert events_b.events == [pysession.events.PartyChanged("party::mock-1", "party::two")]
    assert pysession.InvalidationEvent("party:changed", "party::mock-1", "party::two") in invalidations
    assert len(invalidations) == 2  # one per tab
    assert hub.messages_from(channel_b) == []
    assert len(storage.writes) == 1


async def test_a_network_change_reaches_the_other_tab_without_echo(hub):
    """SCENARIO-10 across tabs."""
    _, [(wallet_a, _, channel_a), (_, b, channel_b)] = await two_tabs(hub)
    events_b = Recorder(b, *ALL_EVENTS)
    wallet_a.set_network("canton:mainnet")
    await settle()
    assert hub.messages_from(channel_a) == [{"v": 1, "kind": "network", "networkId": "canton:mainnet"}]
    assert b.get_snapshot().network_id == "canton:mainnet"
    assert events_b.events == [pysession.events.NetworkChanged("canton:da-devnet", "canton:mainnet")]
    assert hub.messages_from(channel_b) == []


async def test_three_tabs_settle_after_one_message(hub):
    """Loop safety: one switch is one message, however many tabs listen."""
    wallets, stores = [], []
    for _ in range(3):
        wallet = MockWallet()
        store = make_store(wallet, broadcast=hub.options)
        await store.connect()
        wallets.append(wallet)
        stores.append(store)
    recorders = [Recorder(store, "party:changed") for store in stores]
    hub.posted.clear()
    wallets[0].set_party("party::two")
    await settle()
    assert len(hub.posted) == 1
    assert [s.get_snapshot().account.party_id for s in stores] == ["party::two", "party::mock-1", "party::mock-1"]
    assert all(events.of("party:changed") for events in recorders[1:])


async def test_a_disconnected_tab_ignores_party_and_network_messages(hub):
    """A tab that is not in a session has nothing to switch; it must not invent one."""
    _, [(wallet_a, _, _), (_, b, _)] = await two_tabs(hub)
    await b.disconnect()
    await settle()
    before = b.get_snapshot()
    events_b = Recorder(b, *ALL_EVENTS)
    wallet_a.set_party("party::two")
    wallet_a.set_network("canton:mainnet")
    await settle()
    assert b.get_snapshot() is before
    assert events_b.events == []


GARBAGE = [
    None,
    "disconnect",
    ["v", 1],
    {},
    {"v": 2, "kind": "disconnect"},
    {"v": "1", "kind": "disconnect"},
    {"v": True, "kind": "disconnect"},
    {"kind": "disconnect"},
    {"v": 1, "kind": "logout"},
    {"v": 1, "kind": ["disconnect"]},
    {"v": 1, "kind": "party"},
    {"v": 1, "kind": "party", "partyId": 42},
    {"v": 1, "kind": "party", "partyId": ""},
    {"v": 1, "kind": "network", "networkId": {"id": "x"}},
    {"v": 1, "kind": "network", "partyId": "canton:x"},
]


async def test_malformed_messages_change_nothing(hub):
    """A buggy or hostile tab cannot end or alter a good session with messages outside WIRE.md."""
    _, [(_, a, _), _] = await two_tabs(hub)
    before = a.get_snapshot()
    events = Recorder(a, *ALL_EVENTS)
    rogue = hub.factory(CHANNEL)
    for data in GARBAGE:
        rogue.post(data)
    await settle()
    assert a.get_snapshot() is before
    assert events.events == []


async def test_destroy_closes_the_channel(hub):
    _, [(wallet_a, _, _), (_, b, channel_b)] = await two_tabs(hub)
    before = b.get_snapshot()
    b.destroy()
    assert channel_b.closed and channel_b not in hub.channels
    wallet_a.set_party("party::two")
    await settle()
    assert b.get_snapshot() is before


async def test_broadcast_true_without_a_browser_is_single_tab():
    """SCENARIO-11: no BroadcastChannel (CPython) is a graceful no-op; the store behaves as in one tab."""
    wallet = MockWallet()
    store = make_store(wallet, broadcast=True)
    events = Recorder(store, *ALL_EVENTS)
    assert (await store.connect()).status == "connected"
    wallet.set_party("party::two")
    await store.disconnect()
    assert [e.type for e in events.events] == ["party:changed"]
    assert store.get_snapshot() == pysession.SessionState()


def test_open_sync_channel_outside_a_browser_names_what_is_missing():
    with pytest.raises(pysession.BrowserUnavailableError, match="BroadcastChannel"):
        open_sync_channel(KEY)


async def test_a_factory_that_returns_none_gives_an_inactive_channel():
    names = []

    def factory(name):
        names.append(name)

    channel = open_sync_channel(KEY, BroadcastOptions(channel_factory=factory), origin="https://dapp.example")
    assert channel.active is False
    assert names == ["partylayer.session.sync::https://dapp.example::partylayer.session.connected"]
    store = make_store(broadcast=BroadcastOptions(channel_factory=factory))
    assert (await store.connect()).status == "connected"
    await store.disconnect()


def test_broadcast_of_the_wrong_type_is_refused():
    with pytest.raises(TypeError, match="broadcast"):
        make_store(broadcast="yes")


# -- parse_sync_message -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"v": 1, "kind": "disconnect"}, SyncMessage("disconnect")),
        ({"v": 1, "kind": "disconnect", "extra": 1}, SyncMessage("disconnect")),
        ({"v": 1, "kind": "party", "partyId": "p::1"}, SyncMessage("party", "p::1")),
        ({"v": 1, "kind": "party", "partyId": None}, SyncMessage("party", None)),
        ({"v": 1, "kind": "network", "networkId": "canton:x"}, SyncMessage("network", "canton:x")),
        ({"v": 1, "kind": "network", "networkId": None}, SyncMessage("network", None)),
    ],
)
def test_parse_accepts_the_three_wire_messages(data, expected):
    assert parse_sync_message(data) == expected


@pytest.mark.parametrize("data", GARBAGE)
def test_parse_ignores_everything_else(data):
    assert parse_sync_message(data) is None


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (SyncMessage("disconnect"), {"v": 1, "kind": "disconnect"}),
        (SyncMessage("party", "p::1"), {"v": 1, "kind": "party", "partyId": "p::1"}),
        (SyncMessage("network", None), {"v": 1, "kind": "network", "networkId": None}),
    ],
)
def test_messages_are_written_per_wire_md(message, wire):
    assert message.to_wire() == wire
    assert list(message.to_wire()) == list(wire)
