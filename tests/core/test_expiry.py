"""Runtime expiry and re-auth (SCENARIO-4, SCENARIO-7), the envelope's expiresAt, and ExpiryOptions checks."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

import pysession
from pysession.testing import MockWallet

from .support import ALL_EVENTS, EPOCH_MS, KEY, Recorder, advance, loop, make_store, settle

TTL = 60_000


class Hook:
    """An on_reauth_required the test finishes (or fails) when it wants."""

    def __init__(self) -> None:
        self.contexts: list[pysession.ReauthContext] = []
        self.outcome: asyncio.Future[None] | None = None

    async def __call__(self, context: pysession.ReauthContext) -> None:
        self.contexts.append(context)
        self.outcome = asyncio.get_running_loop().create_future()
        await self.outcome


async def expiring_store(hook=None, queue_size=32):
    storage = pysession.MemoryStorage()
    options = pysession.ExpiryOptions(ttl_ms=TTL, on_reauth_required=hook, pending_queue_size=queue_size)
    store = make_store(MockWallet(), storage=storage, expiry=options)
    await store.connect()
    return storage, store


async def test_connect_writes_expires_at_from_ttl():
    """Beyond the original: with ttl_ms the envelope says when the session ends, so a reload keeps the deadline."""
    storage, _ = await expiring_store()
    envelope = json.loads(storage.get_item(KEY))
    assert envelope["connectedAt"] == EPOCH_MS
    assert envelope["expiresAt"] == EPOCH_MS + TTL


async def test_no_ttl_means_no_expires_at_and_no_timer():
    storage = pysession.MemoryStorage()
    await make_store(MockWallet(), storage=storage).connect()
    assert "expiresAt" not in json.loads(storage.get_item(KEY))
    assert loop().pending_timers() == 0


async def test_expiry_emits_calls_the_hook_shows_reconnecting_while_it_runs_and_resumes():
    """SCENARIO-4: at the deadline session:expired fires; by the original's rule the store shows reconnecting,
    account and network kept, while the hook runs; then connected again, re-armed."""
    hook = Hook()
    storage, store = await expiring_store(hook)
    events = Recorder(store, *ALL_EVENTS)
    before = store.get_snapshot()
    await advance(TTL)

    assert events.events == [pysession.events.SessionExpired(EPOCH_MS + TTL)]
    assert events.times == [TTL]
    assert hook.contexts == [pysession.ReauthContext(reason="expired", expired_at=EPOCH_MS + TTL)]
    assert store.get_snapshot() == replace(before, status="reconnecting")

    await advance(5_000)
    hook.outcome.set_result(None)
    await settle()
    assert store.get_snapshot() == before
    envelope = json.loads(storage.get_item(KEY))
    assert envelope["expiresAt"] == EPOCH_MS + TTL + 5_000 + TTL

    await advance(TTL)
    assert events.times == [TTL, TTL + 5_000 + TTL]


async def test_without_a_hook_expiry_ends_the_session_with_session_expired_error():
    """No re-auth hook: the session is over, and last_error says why."""
    storage, store = await expiring_store()
    events = Recorder(store, "session:expired")
    await advance(TTL - 1)
    assert store.get_snapshot().status == "connected"
    await advance(1)
    assert [e.expired_at for e in events.events] == [EPOCH_MS + TTL]
    state = store.get_snapshot()
    assert state.status == "disconnected" and state.account is None
    assert isinstance(state.last_error, pysession.SessionExpiredError)
    assert state.last_error.expired_at == EPOCH_MS + TTL
    assert storage.get_item(KEY) is None


async def test_a_synchronous_hook_works_too():
    contexts = []
    _, store = await expiring_store(contexts.append)
    await advance(TTL)
    assert [c.expired_at for c in contexts] == [EPOCH_MS + TTL]
    assert store.get_snapshot().status == "connected"
    await advance(TTL)
    assert len(contexts) == 2


async def test_a_hook_that_reconnects_through_the_store_gets_a_fresh_deadline():
    """A dApp's usage: on_reauth_required calls connect(); the new session gets its own full TTL."""
    contexts = []
    storage = pysession.MemoryStorage()
    store = make_store(MockWallet(), storage=storage)

    async def reauth(context):
        contexts.append(context)
        await store.connect()

    store = make_store(
        MockWallet(), storage=storage, expiry=pysession.ExpiryOptions(ttl_ms=TTL, on_reauth_required=reauth)
    )
    await store.connect()
    await advance(TTL)
    assert store.get_snapshot().status == "connected"
    assert json.loads(storage.get_item(KEY))["expiresAt"] == EPOCH_MS + 2 * TTL
    await advance(TTL)
    assert [c.expired_at for c in contexts] == [EPOCH_MS + TTL, EPOCH_MS + 2 * TTL]


async def test_restore_keeps_the_persisted_deadline():
    """A reload 20 s into a 60 s session expires 40 s later, not 60."""
    storage, first = await expiring_store()
    await advance(20_000)
    first.destroy()
    second = make_store(MockWallet(connected=True), storage=storage, expiry=pysession.ExpiryOptions(ttl_ms=TTL))
    events = Recorder(second, "session:expired")
    assert (await second.restore()).status == "connected"
    await advance(TTL)
    assert events.times == [TTL]
    assert [e.expired_at for e in events.events] == [EPOCH_MS + TTL]


async def queued_during_reauth(ops, queue_size=32):
    """A session past its deadline whose re-auth hook has not finished, with ``ops`` enqueued behind it."""
    hook = Hook()
    storage, store = await expiring_store(hook, queue_size=queue_size)
    await advance(TTL)
    queued = [asyncio.ensure_future(store.enqueue(op)) for op in ops]
    await settle()
    return hook, storage, store, queued


async def test_operations_enqueued_during_reauth_resume_in_order():
    """SCENARIO-7: ops submitted while re-auth runs wait, then run in submission order on the fresh session."""
    order = []

    def op(n):
        async def submit():
            order.append(n)
            return f"receipt-{n}"

        return submit

    hook, _, _, pending = await queued_during_reauth([op(n) for n in (1, 2, 3)])
    assert order == [] and not any(p.done() for p in pending)
    hook.outcome.set_result(None)
    assert await asyncio.gather(*pending) == ["receipt-1", "receipt-2", "receipt-3"]
    assert order == [1, 2, 3]


async def test_overflowing_the_queue_fails_that_operation_at_once():
    """SCENARIO-7: the op past pending_queue_size is rejected immediately; the queued ones still resume."""
    ran = []

    async def submit():
        ran.append(1)

    hook, _, store, queued = await queued_during_reauth([submit, submit], queue_size=2)
    with pytest.raises(pysession.QueueFullError, match=r"^pending queue full \(max 2\)$"):
        await store.enqueue(submit)
    hook.outcome.set_result(None)
    await asyncio.gather(*queued)
    assert ran == [1, 1]


async def test_reauth_failure_fails_queued_operations_with_the_hooks_error_as_cause():
    """SCENARIO-7: a failed re-auth rejects every queued op with ReauthFailedError and ends the session."""
    ran = []

    async def submit():
        ran.append(1)

    hook, storage, store, queued = await queued_during_reauth([submit, submit])
    denied = PermissionError("user closed the wallet")
    hook.outcome.set_exception(denied)
    await settle()
    for future in queued:
        error = future.exception()
        assert isinstance(error, pysession.ReauthFailedError)
        assert "re-authentication failed" in str(error)
        assert error.__cause__ is denied
    assert ran == []
    state = store.get_snapshot()
    assert state.status == "disconnected"
    assert isinstance(state.last_error, pysession.ReauthFailedError)
    assert state.last_error.__cause__ is denied
    assert storage.get_item(KEY) is None


async def test_queued_operations_do_not_hang_when_the_user_disconnects_during_reauth():
    async def submit():
        return "sent"

    _, _, store, (queued,) = await queued_during_reauth([submit])
    await store.disconnect()
    await settle()
    assert isinstance(queued.exception(), pysession.ReauthFailedError)


async def test_disconnect_cancels_the_expiry_timer():
    contexts = []
    _, store = await expiring_store(contexts.append)
    await store.disconnect()
    assert loop().pending_timers() == 0
    await advance(2 * TTL)
    assert contexts == []


@pytest.mark.parametrize("ttl", [0, -1, float("nan")])
def test_expiry_options_refuse_a_bad_ttl(ttl):
    with pytest.raises(ValueError, match="ttl_ms"):
        pysession.ExpiryOptions(ttl_ms=ttl)


def test_an_infinite_ttl_is_refused_up_front():
    """ttl_ms=inf passes the > 0 check, and then every connect() raises OverflowError into the app."""
    with pytest.raises(ValueError, match="ttl_ms"):
        pysession.ExpiryOptions(ttl_ms=float("inf"))


@pytest.mark.parametrize("size", [0, -3, 2.5])
def test_expiry_options_refuse_a_bad_queue_size(size):
    with pytest.raises((TypeError, ValueError), match="pending_queue_size"):
        pysession.ExpiryOptions(pending_queue_size=size)


def test_expiry_options_refuse_a_hook_that_is_not_callable():
    with pytest.raises(TypeError, match="on_reauth_required"):
        pysession.ExpiryOptions(ttl_ms=1, on_reauth_required="reauth")


def test_expiry_of_the_wrong_type_is_refused():
    with pytest.raises(TypeError, match="expiry"):
        make_store(MockWallet(), expiry={"ttl_ms": 1000})


async def test_after_a_successful_backoff_the_expiry_is_rearmed_for_a_full_ttl():
    """The original's rule: a drop ends the session (its expiry with it); the session the wallet comes back
    with expires a full ttl_ms after the reconnect, and keeps expiring."""
    contexts = []
    wallet = MockWallet()
    store = make_store(
        wallet,
        reconnect=pysession.RetryPolicy(base_delay_ms=5_000),
        expiry=pysession.ExpiryOptions(ttl_ms=TTL, on_reauth_required=contexts.append),
    )
    events = Recorder(store, "session:expired", "reconnect:succeeded")
    await store.connect()
    await advance(TTL - 2_000)
    wallet.drop()
    wallet.connected = True  # back without a word: the attempt 5 s after the drop finds it
    await advance(10 * TTL)
    assert events.times_of("reconnect:succeeded") == [TTL + 3_000]
    expired = events.times_of("session:expired")
    assert expired[:2] == [TTL + 3_000 + TTL, TTL + 3_000 + 2 * TTL]
    assert len(contexts) == len(expired)


async def test_a_late_reauth_failure_does_not_end_a_newer_session():
    """The user disconnected and connected again while the old re-auth prompt was open; closing it later is harmless."""
    hook = Hook()
    _, store = await expiring_store(hook)
    await advance(TTL)
    await store.disconnect()
    await store.connect()
    hook.outcome.set_exception(PermissionError("prompt closed"))
    await settle()
    state = store.get_snapshot()
    assert state.status == "connected" and state.last_error is None
