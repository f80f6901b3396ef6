"""Automatic reconnect (SCENARIO-5, SCENARIO-6, the disconnect invariant) and the backoff math behind it."""

from __future__ import annotations

import json

import pytest

import pysession
from pysession.testing import MockWallet

from .support import (
    ALL_EVENTS,
    KEY,
    ChannelHub,
    Recorder,
    ScriptedWallet,
    advance,
    loop,
    make_store,
    methods,
    raises,
)

POLICY = pysession.RetryPolicy(base_delay_ms=1000, factor=2, max_delay_ms=5000, max_attempts=5)
HOUR_MS = 3_600_000


def refuse_by_raising(wallet: ScriptedWallet) -> None:
    """Each attempt's status request fails (the extension is unreachable)."""
    wallet.script["status"] = raises(RuntimeError("wallet unreachable"))


def refuse_by_answer(wallet: ScriptedWallet) -> None:
    """Each attempt's status request answers "not connected" (the wallet stays down)."""


def come_back_at_attempt(wallet: ScriptedWallet, attempt: int) -> None:
    """The wallet is back, without a word, when attempt ``attempt`` asks for its status."""
    asked = []

    async def status():
        asked.append(1)
        wallet.connected = len(asked) >= attempt
        return wallet.status()

    wallet.script["status"] = status


async def connected_store(**options):
    wallet = ScriptedWallet()
    storage = pysession.MemoryStorage()
    store = make_store(wallet, storage=storage, **options)
    await store.connect()
    return wallet, storage, store


@pytest.mark.parametrize("refuse", [refuse_by_raising, refuse_by_answer])
async def test_refusing_provider_is_retried_at_exact_offsets_then_given_up(refuse):
    """The issue's example: attempts at 1000, 3000, 7000, 12000, 17000 ms after the drop, then gaveup(5)."""
    wallet, storage, store = await connected_store(reconnect=POLICY)
    events = Recorder(store, *ALL_EVENTS)
    refuse(wallet)
    dropped_at = loop().now_ms()
    wallet.drop()
    await advance(HOUR_MS)

    assert [t - dropped_at for t in events.times_of("reconnect:attempt")] == [1000, 3000, 7000, 12000, 17000]
    assert [e.attempt for e in events.of("reconnect:attempt")] == [1, 2, 3, 4, 5]
    assert [(e.attempt, e.delay_ms) for e in events.of("reconnect:scheduled")] == [
        (1, 1000),
        (2, 2000),
        (3, 4000),
        (4, 5000),
        (5, 5000),
    ]
    (gaveup,) = events.of("reconnect:gaveup")
    assert events.times_of("reconnect:gaveup") == [dropped_at + 17000]
    assert gaveup.attempts == 5 and isinstance(gaveup.last_error, pysession.SessionError)
    assert events.of("reconnect:succeeded") == []
    state = store.get_snapshot()
    assert state.status == "disconnected" and state.account is None
    assert state.last_error is gaveup.last_error
    assert storage.get_item(KEY) is None
    assert methods(wallet) == ["connect"] + ["status"] * 5
    assert loop().pending_timers() == 0


async def test_a_drop_shows_disconnected_cleared_then_reconnecting_and_keeps_the_stored_entry():
    """The original's rule: the old party is not shown as active during the outage; the stored session survives."""
    wallet, storage, store = await connected_store(reconnect=POLICY)
    seen = []
    store.subscribe(lambda: seen.append(store.get_snapshot()))
    persisted = storage.get_item(KEY)
    refuse_by_raising(wallet)
    wallet.drop()
    assert [(s.status, s.account, s.network_id) for s in seen] == [
        ("disconnected", None, None),
        ("reconnecting", None, None),
    ]
    await advance(3500)
    state = store.get_snapshot()
    assert state.status == "reconnecting" and state.account is None and state.accounts == ()
    assert isinstance(state.last_error, pysession.SessionError)
    assert storage.get_item(KEY) == persisted


async def test_success_after_failures_restores_the_session():
    """SCENARIO-5: the third attempt (at 7000 ms) finds the wallet back; connected again with no error,
    by the original's rule asking only status and listAccounts, never connect."""
    wallet, storage, store = await connected_store(reconnect=POLICY)
    before = store.get_snapshot()
    events = Recorder(store, *ALL_EVENTS)
    come_back_at_attempt(wallet, 3)
    dropped_at = loop().now_ms()
    wallet.drop()
    await advance(HOUR_MS)

    (succeeded,) = events.of("reconnect:succeeded")
    assert succeeded.attempt == 3
    assert events.times_of("reconnect:succeeded") == [dropped_at + 7000]
    assert [e.attempt for e in events.of("reconnect:attempt")] == [1, 2, 3]
    assert events.of("reconnect:gaveup") == []
    state = store.get_snapshot()
    assert state.status == "connected" and state.last_error is None
    assert state.account == before.account and state.network_id == before.network_id
    assert storage.get_item(KEY) is not None
    assert loop().pending_timers() == 0
    assert methods(wallet) == ["connect", "status", "status", "status", "listAccounts"]


async def test_the_counter_starts_over_after_a_successful_reconnect():
    """A second outage gets the full budget again, starting from the base delay."""
    wallet, _, store = await connected_store(reconnect=POLICY)
    events = Recorder(store, "reconnect:scheduled")
    come_back_at_attempt(wallet, 2)
    wallet.drop()
    await advance(HOUR_MS)
    assert store.get_snapshot().status == "connected"
    come_back_at_attempt(wallet, 2)
    wallet.drop()
    await advance(HOUR_MS)
    assert [(e.attempt, e.delay_ms) for e in events.events] == [(1, 1000), (2, 2000), (1, 1000), (2, 2000)]


async def test_a_wallet_that_comes_back_on_its_own_ends_the_backoff():
    """If the wallet reconnects before the next attempt, the store is connected and stops retrying."""
    wallet, _, store = await connected_store(reconnect=POLICY)
    events = Recorder(store, *ALL_EVENTS)
    wallet.drop()
    await advance(500)
    wallet.set_connected(True)
    await advance(HOUR_MS)
    assert store.get_snapshot().status == "connected"
    assert events.of("reconnect:attempt") == []
    assert len(events.of("reconnect:succeeded")) == 1
    assert loop().pending_timers() == 0


async def test_manual_disconnect_mid_backoff_cancels_the_retries():
    """SCENARIO-6: the user's disconnect during backoff is final; no attempt follows, no gaveup either."""
    wallet, storage, store = await connected_store(reconnect=POLICY)
    events = Recorder(store, *ALL_EVENTS)
    refuse_by_raising(wallet)
    wallet.drop()
    await advance(1500)
    assert [e.attempt for e in events.of("reconnect:attempt")] == [1]
    await store.disconnect()
    await advance(HOUR_MS)
    assert [e.attempt for e in events.of("reconnect:attempt")] == [1]
    assert events.of("reconnect:gaveup") == []
    assert store.get_snapshot() == pysession.SessionState()
    assert storage.get_item(KEY) is None
    assert loop().pending_timers() == 0


async def test_after_giving_up_the_user_can_connect_again():
    """gaveup is terminal for the automatic path only; a manual connect still works."""
    wallet, _, store = await connected_store(reconnect=pysession.RetryPolicy(base_delay_ms=10, max_attempts=1))
    refuse_by_raising(wallet)
    wallet.drop()
    await advance(HOUR_MS)
    assert store.get_snapshot().status == "disconnected"
    wallet.connect_error = None
    assert (await store.connect()).status == "connected"


async def test_explicit_disconnect_never_schedules_a_reconnect():
    """The invariant: after disconnect() the wallet's own statusChanged(false) is not a transient drop."""
    wallet, _, store = await connected_store(reconnect=POLICY)
    events = Recorder(store, *ALL_EVENTS)
    await store.disconnect()
    wallet.emit("statusChanged", {"connection": {"isConnected": False}})
    await advance(HOUR_MS)
    assert events.events == []
    assert methods(wallet).count("connect") == 1
    assert store.get_snapshot().status == "disconnected"
    assert loop().pending_timers() == 0


@pytest.mark.parametrize("reconnect", [None, False])
async def test_without_a_policy_a_drop_ends_the_session(reconnect):
    """Reconnect is opt-in: with reconnect off a provider drop is simply a disconnect."""
    wallet, _, store = await connected_store(reconnect=reconnect)
    events = Recorder(store, *ALL_EVENTS)
    wallet.drop()
    await advance(HOUR_MS)
    assert events.events == []
    assert store.get_snapshot().status == "disconnected"
    assert methods(wallet).count("connect") == 1


async def test_reconnect_true_uses_the_default_policy():
    wallet, _, store = await connected_store(reconnect=True)
    events = Recorder(store, "reconnect:scheduled")
    wallet.drop()
    assert events.events == [pysession.events.ReconnectScheduled(1, 500)]
    assert pysession.DEFAULT_RETRY_POLICY == pysession.RetryPolicy(500, 2, 30_000, 5, False)


async def test_jittered_delays_stay_within_half_and_full():
    """With jitter on, each scheduled delay is in [50%, 100%] of the capped exponential delay."""
    wallet, _, store = await connected_store(
        reconnect=pysession.RetryPolicy(base_delay_ms=1000, max_delay_ms=5000, max_attempts=8, jitter=True)
    )
    events = Recorder(store, "reconnect:scheduled")
    refuse_by_raising(wallet)
    wallet.drop()
    await advance(HOUR_MS)
    capped = [1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000]
    delays = [e.delay_ms for e in events.events]
    assert len(delays) == 8
    assert all(full // 2 <= delay <= full for delay, full in zip(delays, capped))


# -- compute_backoff_delay ------------------------------------------------------------


def test_backoff_doubles_from_the_base_and_stops_at_the_cap():
    delays = [pysession.compute_backoff_delay(POLICY, attempt) for attempt in range(1, 8)]
    assert delays == [1000, 2000, 4000, 5000, 5000, 5000, 5000]
    assert all(type(d) is int for d in delays)


def test_backoff_survives_huge_attempt_numbers():
    """Far past max_attempts the delay is the cap, not an OverflowError."""
    float_policy = pysession.RetryPolicy(base_delay_ms=1.5, factor=2.5, max_delay_ms=5000)
    assert pysession.compute_backoff_delay(float_policy, 10_000) == 5000
    assert pysession.compute_backoff_delay(POLICY, 10_000) == 5000


@pytest.mark.parametrize(
    ("rand", "expected"),
    [(0.0, 500), (0.5, 750), (0.999999, 1000)],
)
def test_jitter_scales_the_delay_into_half_to_full(rand, expected):
    policy = pysession.RetryPolicy(base_delay_ms=1000, jitter=True)
    assert pysession.compute_backoff_delay(policy, 1, rand=lambda: rand) == expected


def test_rand_is_ignored_without_jitter():
    assert pysession.compute_backoff_delay(POLICY, 1, rand=lambda: 0.0) == 1000


@pytest.mark.parametrize(
    ("base", "jitter", "expected"),
    [
        (25, True, 13),  # 12.5 rounds up, as Math.round does
        (2.5, False, 3),  # Python's round() would say 2
        (0.5, False, 1),
        (1.5, False, 2),
        (12.49, False, 12),
    ],
)
def test_delays_round_half_up_like_math_round(base, jitter, expected):
    policy = pysession.RetryPolicy(base_delay_ms=base, jitter=jitter)
    assert pysession.compute_backoff_delay(policy, 1, rand=lambda: 0.0) == expected


def test_attempt_numbers_start_at_one():
    with pytest.raises(ValueError, match="attempt"):
        pysession.compute_backoff_delay(POLICY, 0)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("base_delay_ms", -1),
        ("base_delay_ms", float("nan")),
        ("factor", 0.5),
        ("max_delay_ms", -1),
        ("max_attempts", 0),
        ("max_attempts", 2.5),
    ],
)
def test_retry_policy_refuses_bad_values_naming_the_argument(argument, value):
    with pytest.raises((TypeError, ValueError), match=argument):
        pysession.RetryPolicy(**{argument: value})


def test_reconnect_of_the_wrong_type_is_refused():
    with pytest.raises(TypeError, match="reconnect"):
        make_store(MockWallet(), reconnect={"base_delay_ms": 500})


async def test_a_switch_during_an_outage_is_taken_as_it_is_and_persisted_when_the_wallet_is_back():
    """The original's rule: the wallet came back on another party and network; the store takes the live values
    as they are (no switch event, no invalidation, no tab message), and a reload restores those."""
    invalidations, hub = [], ChannelHub()
    wallet, storage, store = await connected_store(
        reconnect=POLICY, on_invalidate=invalidations.append, broadcast=hub.options
    )
    events = Recorder(store, "party:changed", "network:changed")
    wallet.drop()
    wallet.party_id, wallet.network_id = "party::two", "canton:mainnet"
    come_back_at_attempt(wallet, 1)
    await advance(HOUR_MS)
    assert store.get_snapshot().account.party_id == "party::two"
    assert events.events == [] and invalidations == [] and hub.posted == []
    store.destroy()
    invalidations = []
    reloaded = make_store(wallet, storage=storage, on_invalidate=invalidations.append)
    await reloaded.restore()
    assert invalidations == []
    envelope = json.loads(storage.get_item(KEY))
    assert (envelope["account"]["partyId"], envelope["networkId"]) == ("party::two", "canton:mainnet")
