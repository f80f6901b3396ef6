"""What a dApp's type checker sees of pysession, pinned line by line.

In the style of typeshed's test cases: `python build.py test` runs
`mypy --strict` on this file and nothing executes it. Each `assert_type` states
the type a dApp gets; a change that turns one into `Any` or into another type
fails. A line ending in `# type: ignore[...]` is a mistake the types must
catch: were it accepted, mypy would report the ignore as unused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, assert_type

import pysession
import pysession.browser
from pysession import events
from pysession.testing import MockWallet

Status = Literal["disconnected", "connecting", "connected", "reconnecting"]


async def a_session() -> None:
    store = pysession.create_session_store(
        MockWallet(),
        reconnect=pysession.RetryPolicy(max_attempts=4),
        expiry=pysession.ExpiryOptions(ttl_ms=120_000),
        broadcast=True,
    )
    assert_type(store, pysession.SessionStore)
    assert_type(store.subscribe(lambda: print(store.get_snapshot())), Callable[[], None])

    state = store.get_snapshot()
    assert_type(state, pysession.SessionState)
    assert_type(state.status, Status)
    assert_type(state.account, pysession.Account | None)
    assert_type(state.accounts, tuple[pysession.Account, ...])
    assert_type(state.network_id, str | None)
    assert_type(state.last_error, Exception | None)
    state.status = "connected"  # type: ignore[misc]

    assert_type(await store.init(), pysession.SessionState)
    assert_type(await store.restore(), pysession.SessionState)
    assert_type(await store.connect(), pysession.SessionState)
    assert_type(await store.disconnect(), None)
    async for changed in store.changes():
        assert_type(changed, pysession.SessionState)

    async def transfer() -> int:
        return 1

    assert_type(await store.enqueue(transfer), int)
    store.destroy()

    async with pysession.create_session_store(MockWallet()) as opened:
        assert_type(opened, pysession.SessionStore)


def an_account(account: pysession.Account) -> None:
    assert_type(account.party_id, str)
    assert_type(account.network_id, str)
    assert_type(account.primary, bool)
    assert_type(account.has_preapproval, bool | None)
    assert_type(account.utility_preapproval_admins, tuple[str, ...] | None)
    assert_type(account.to_wire(), dict[str, Any])
    assert_type(pysession.Account.from_wire({"partyId": "alice::1220aa"}), pysession.Account)


def the_events(store: pysession.SessionStore) -> None:
    def on_scheduled(event: events.ReconnectScheduled) -> None:
        assert_type(event.attempt, int)
        assert_type(event.delay_ms, int)

    def on_gaveup(event: events.ReconnectGaveUp) -> None:
        assert_type(event.attempts, int)
        assert_type(event.last_error, BaseException | None)

    def on_expired(event: events.SessionExpired) -> None:
        assert_type(event.expired_at, int)

    def on_party(event: events.PartyChanged) -> None:
        assert_type(event.previous, str | None)
        assert_type(event.current, str | None)

    def on_network(event: events.NetworkChanged) -> None:
        assert_type(event.type, Literal["network:changed"])

    def on_any(event: events.SessionEvent) -> None:
        assert_type(event.type, Literal[
            "reconnect:scheduled", "reconnect:attempt", "reconnect:succeeded", "reconnect:gaveup",
            "session:expired", "party:changed", "network:changed",
        ])  # fmt: skip

    assert_type(store.on("reconnect:scheduled", on_scheduled), Callable[[], None])
    store.on("reconnect:gaveup", on_gaveup)
    store.on("session:expired", on_expired)
    store.on("party:changed", on_party)
    store.on("network:changed", on_network)
    store.on("reconnect:attempt", on_any)
    store.on("party:changed", on_network)  # type: ignore[arg-type]
    for event_type in events.EVENT_TYPES:
        store.on(event_type, on_any)


def the_hooks() -> None:
    def on_invalidate(event: pysession.InvalidationEvent) -> None:
        assert_type(event.type, Literal["party:changed", "network:changed"])
        assert_type(event.previous, str | None)

    async def reauthenticate(context: pysession.ReauthContext) -> None:
        assert_type(context.expired_at, int)

    pysession.create_session_store(
        MockWallet(), on_invalidate=on_invalidate, expiry=pysession.ExpiryOptions(on_reauth_required=reauthenticate)
    )


def the_errors(state: pysession.SessionState) -> None:
    match state.last_error:
        case pysession.UserRejectedError() as rejected:
            assert_type(rejected.code, int | None)
        case pysession.NotConnectedError() as not_connected:
            assert_type(not_connected.user_url, str | None)
            assert_type(not_connected.reason, str | None)
            assert_type(not_connected.method, str)
        case pysession.WalletError(code=-32002):
            pass
        case pysession.WalletError() as failed:
            assert_type(failed.method, str)
            assert_type(failed.code, int | None)
            assert_type(failed.__cause__, BaseException | None)
        case pysession.QueueFullError() as full:
            assert_type(full.max_size, int)
        case pysession.SessionExpiredError() as expired:
            assert_type(expired.expired_at, int)
        case pysession.BrowserUnavailableError() as unavailable:
            assert_type(unavailable.missing, str)
        case pysession.ReauthFailedError() | pysession.SessionError():
            pass
        case None:
            pass
        case other:
            assert_type(other, Exception)


async def the_storage() -> None:
    storage: pysession.SessionStorage = pysession.MemoryStorage()
    snapshot = await pysession.restore_session(storage, "partylayer.session.connected")
    assert_type(snapshot, pysession.PersistedSessionSnapshot | None)
    assert_type(pysession.decode_session_envelope("{}"), pysession.PersistedSessionSnapshot | None)
    if snapshot is not None:
        assert_type(pysession.encode_session_envelope(snapshot), str)
    assert_type(pysession.compute_backoff_delay(pysession.DEFAULT_RETRY_POLICY, 1), int)
    encrypted: pysession.SessionStorage = pysession.browser.create_encrypted_indexeddb_storage()
    cookie: pysession.SessionStorage = pysession.browser.create_cookie_storage(same_site="strict")
    pysession.create_session_store(MockWallet(), storage=encrypted)
    pysession.create_session_store(MockWallet(), storage=cookie)
    pysession.browser.create_cookie_storage(same_site="sometimes")  # type: ignore[arg-type]


def the_mock_wallet() -> None:
    provider: pysession.Provider = MockWallet(connected=True, scenarios={"connect": "userRejected"})
    pysession.create_session_store(provider)
