"""The session store: the state machine over a CIP-0103 wallet, as the TypeScript original runs it.

    disconnected ──connect()──▶ connecting ──connect resolves / statusChanged(true)──▶ connected
         ▲  ▲                       └──── error / rejection ──┐                        │
         │  ├── disconnect() / statusChanged(false) ◀─────────┴────────────────────────┤
         │  └──────────────── statusChanged(true), in any state ──────────────────────▶┤
         ├──restore()/init()──▶ reconnecting ──wallet connected──▶ connected           │
         │                           └──── not connected / status failed ──▶ disconnected
         └── drop (statusChanged(false) while connected) ──▶ disconnected ──RetryPolicy──▶ reconnecting
                 each attempt asks ``status``: connected ──▶ connected; max_attempts spent ──▶ disconnected

Invariants:
- Nothing from outside (wallet, storage, other tabs, app callbacks) raises into the
  caller: failures become ``last_error``.
- Each connect, restore and reconnect run holds a generation number and checks it
  after every await, so a superseded run never writes state.
- A session persists once, when it first holds ``connected`` and an account, then
  again only when its party or network switches; writes are latest-wins.
- A ``disconnected`` store holds no account, accounts or network.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ._account import Account, accounts_from_wire, active_account
from ._envelope import PersistedSessionSnapshot, decode_session_envelope, encode_session_envelope, is_expired
from ._errors import ReauthFailedError, SessionError, SessionExpiredError, reported
from ._expiry import ExpiryOptions, ExpiryTimer, ReauthContext, ReauthGate
from ._listeners import Listeners
from ._provider import ProviderStatus, read_network, read_status
from ._retry import Backoff, RetryPolicy
from ._state import SessionState, StateCell
from ._storage import SessionStorage, settle
from ._sync import SyncChannel, SyncMessage, parse_sync_message
from ._timers import Timers, current_loop
from ._writer import LatestWinsWriter
from .events import (
    EVENT_TYPES,
    InvalidationEvent,
    NetworkChanged,
    PartyChanged,
    ReconnectAttempt,
    ReconnectGaveUp,
    ReconnectScheduled,
    ReconnectSucceeded,
    SessionEvent,
    SessionExpired,
)

logger = logging.getLogger("pysession")

MARKER = "1"
NOTHING: tuple[Account, ...] = ()


@dataclass(slots=True)
class _Session:
    """One connected session: its times, and what of it was last persisted."""

    connected_at: int
    expires_at: int | None
    persisted: tuple[str | None, str | None] | None = None


def _party(account: Account | None) -> str | None:
    return account.party_id if account else None


class SessionStore:
    """A wallet session as a subscribable store; build one with ``create_session_store``."""

    def __init__(
        self,
        provider: Any,
        *,
        adapter: Any,
        storage: SessionStorage,
        storage_key: str,
        reconnect: RetryPolicy | None,
        expiry: ExpiryOptions | None,
        channel: SyncChannel,
        persist_snapshot: bool,
        on_invalidate: Callable[[InvalidationEvent], Any] | None,
        timers: Timers,
        owned: tuple[Callable[[], None], ...] = (),
    ) -> None:
        self._provider, self._adapter, self._channel, self._timers = provider, adapter, channel, timers
        self._storage, self._key, self._owned = storage, storage_key, owned
        self._options = expiry or ExpiryOptions()
        self._persist_snapshot = persist_snapshot
        self._on_invalidate = on_invalidate
        self._cell = StateCell()
        self._handlers: dict[str, Listeners[Callable[[Any], None]]] = {kind: Listeners() for kind in EVENT_TYPES}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writer = LatestWinsWriter(storage, storage_key, self._report)
        self._backoff = Backoff(reconnect, timers) if reconnect is not None else None
        self._expiry = ExpiryTimer(timers, self._expired)
        self._reauth = ReauthGate(self._options.pending_queue_size)
        self._session: _Session | None = None
        self._announced: tuple[tuple[Account, ...] | None, str | None] = (None, None)
        self._generation = 0
        self._runs = 0
        self._restoring: asyncio.Future[None] | None = None
        self._destroyed = False
        readers = {"statusChanged": (read_status, self._status_changed),
                   "accountsChanged": (accounts_from_wire, self._accounts_changed),
                   "chainChanged": (read_network, self._chain_changed)}
        self._provider_listeners = {
            event: self._guarded(functools.partial(self._wallet_event, event, read, apply))
            for event, (read, apply) in readers.items()
        }
        for event, listener in self._provider_listeners.items():
            adapter.on(event, listener)
        self._stop_sync = channel.on_message(self._guarded(self._tab_message))

    # -- the store -----------------------------------------------------------

    def get_snapshot(self) -> SessionState:
        return self._cell.get()

    def get_provider(self) -> Any:
        return self._provider

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after each change; returns its own undo."""
        return self._cell.subscribe(listener)

    def on(self, event_type: str, handler: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``handler(event)`` for each structured event of ``event_type``."""
        if event_type not in self._handlers:
            raise ValueError(f"unknown event type {event_type!r}; expected one of {list(EVENT_TYPES)}")
        return self._handlers[event_type].add(handler)

    def changes(self) -> AsyncIterator[SessionState]:
        """Each new snapshot, as it happens, until the store is destroyed."""
        return self._cell.changes()

    async def __aenter__(self) -> SessionStore:
        await self.init()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.destroy()

    # -- actions -------------------------------------------------------------

    async def connect(self, params: Any = None) -> SessionState:
        """Ask the wallet to connect; a failure lands in ``last_error``, never raises."""
        if self._destroyed:
            return self._cell.get()
        generation = self._begin()
        self._cell.set(status="connecting", last_error=None)
        self._runs += 1
        try:
            await self._request("connect", params)
            current = self._is_current(generation)
            accounts, network_id = await self._follow_up(self._cell.get().account is None, None) if current else (None, None)
        except asyncio.CancelledError:
            if self._is_current(generation):
                self._end(None, forget=False)
            raise
        except Exception as exc:
            if self._is_current(generation):
                self._end(exc, forget=False)
            return self._cell.get()
        finally:
            self._runs -= 1
        if self._is_current(generation):
            if accounts and self._cell.get().account is None:
                self._apply_accounts(accounts, local=True)
            if network_id is not None and self._cell.get().network_id is None:
                self._cell.set(network_id=network_id)
            self._enter_connected()
            await self._writer.flush()
        return self._cell.get()

    async def disconnect(self) -> None:
        """The user's intent to end the session: other tabs are told first; never followed by a reconnect."""
        if self._destroyed:
            return
        self._post(SyncMessage("disconnect"))
        self._end(None)
        with reported(self._report, "the wallet's disconnect failed"):
            await self._request("disconnect")
        await self._writer.flush()

    async def restore(self) -> SessionState:
        """Ask the wallet, in any state: connected resumes (and persists) the session, anything else ends it."""
        if self._destroyed:
            return self._cell.get()
        if self._restoring is not None:
            await asyncio.shield(self._restoring)
            return self._cell.get()
        generation = self._begin()
        self._restoring = done = current_loop().create_future()
        self._cell.set(status="reconnecting", last_error=None)
        self._runs += 1
        try:
            await self._restore(generation)
        finally:
            self._runs -= 1
            if self._is_current(generation) and self._cell.get().status == "reconnecting":
                self._end(None, forget=False)
            self._restoring = None
            done.set_result(None)
        self._persist_if_new()
        await self._writer.flush()
        return self._cell.get()

    init = restore

    async def enqueue(self, op: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``op()``; while a re-auth runs, wait for it in a bounded queue first."""
        if not callable(op):
            raise TypeError("op must be a zero-argument async callable")
        await self._reauth.wait()
        return await settle(op())

    def destroy(self) -> None:
        """Remove every listener, timer, channel, task and proxy this store made; a write under way lands."""
        if self._destroyed:
            return
        self._destroyed = True
        self._begin()
        self._expiry.cancel()
        self._reauth.fail(None)
        for event, listener in self._provider_listeners.items():
            with reported(self._report, "removing a provider listener failed"):
                self._adapter.remove_listener(event, listener)
        self._stop_sync()
        with reported(self._report, "closing the tab channel failed"):
            self._channel.close()
        for task in list(self._tasks):
            task.cancel()
        self._cell.close()
        for handlers in self._handlers.values():
            handlers.clear()
        self._timers.close()
        self._writer.close(then=self._release)

    # -- runs ----------------------------------------------------------------

    async def _restore(self, generation: int) -> None:
        snapshot, stored = None, False
        with reported(self._report, "reading the persisted session failed"):
            raw = await settle(self._storage.get_item(self._key))
            stored = raw is not None
            snapshot = None if raw in (None, MARKER) else decode_session_envelope(raw)
            if stored and raw != MARKER and (snapshot is None or is_expired(snapshot, self._timers.now_ms())):
                self._writer.put(None)
                snapshot, stored = None, False
        if not self._is_current(generation):
            return
        try:
            status = read_status(await self._request("status"))
        except Exception as exc:
            if self._is_current(generation):
                self._end(exc, forget=False)
            return
        if not self._is_current(generation):
            return
        if not status.connected:
            self._end(None, forget=stored)
            return
        accounts, network_id = await self._follow_up(True, status)
        if self._is_current(generation):
            self._cell.set(account=active_account(accounts or NOTHING), accounts=accounts or NOTHING, network_id=network_id)
            self._enter_connected(self._new_session(snapshot))

    async def _follow_up(self, want_accounts: bool, status: ProviderStatus | None) -> tuple[Any, str | None]:
        """``listAccounts`` (when wanted) and the network when still unknown, asked at once; failures mean none."""
        if status is not None and status.network_id is not None:
            network: Awaitable[str | None] = _value(status.network_id)
        elif status is None and self._cell.get().network_id is not None:
            network = _value(None)
        else:
            network = self._ask("getActiveNetwork", read_network)
        if not want_accounts:
            return None, await network
        accounts, network_id = await asyncio.gather(self._ask("listAccounts", accounts_from_wire), network)
        return accounts, network_id

    async def _ask(self, method: str, read: Callable[[Any], Any]) -> Any:
        try:
            return read(await self._request(method))
        except Exception:
            logger.debug("pysession: %s failed; taken as none", method, exc_info=True)
            return None

    def _start_backoff(self) -> None:
        assert self._backoff is not None
        generation = self._generation
        attempt, delay = self._backoff.schedule(lambda n: self._spawn(self._reconnect(generation, n)))
        self._cell.set(status="reconnecting")
        self._emit(ReconnectScheduled(attempt, delay))

    async def _reconnect(self, generation: int, attempt: int) -> None:
        """One attempt only asks: ``status``, then what a connected wallet has; never ``connect``."""
        assert self._backoff is not None
        self._emit(ReconnectAttempt(attempt))
        try:
            status = read_status(await self._request("status"))
            if not status.connected:
                raise SessionError("the wallet is not connected")
            if self._is_current(generation):
                accounts, network_id = await self._follow_up(True, status)
        except Exception as exc:
            if not self._is_current(generation):
                return
            error = SessionError.caused_by(f"reconnect attempt {attempt} failed", exc)
            if self._backoff.spent:
                self._emit(ReconnectGaveUp(attempt, error))
                self._end(error)
            else:
                self._cell.set(last_error=error)
                self._start_backoff()
            return
        if self._is_current(generation):
            self._cell.set(account=active_account(accounts or NOTHING), accounts=accounts or NOTHING, network_id=network_id)
            self._reconnected()

    def _reconnected(self, **changes: Any) -> None:
        """The wallet is back (an attempt found it, or it said so itself): a new session, taken as it is."""
        assert self._backoff is not None
        attempt = max(self._backoff.attempt, 1)
        self._begin()
        self._enter_connected(self._new_session(), **changes)
        self._emit(ReconnectSucceeded(attempt))

    async def _reauthenticate(self, expired_at: int) -> None:
        hook = self._options.on_reauth_required
        assert hook is not None
        session = self._session
        self._reauth.active = True
        try:
            await settle(hook(ReauthContext("expired", expired_at)))
        except Exception as exc:
            self._reauth.fail(exc)
            if self._session is session and session is not None:
                self._end(ReauthFailedError(exc))
            return
        if self._session is session and session is not None:
            self._enter_connected(self._new_session())
        self._reauth.open()

    # -- session transitions --------------------------------------------------

    def _new_session(self, snapshot: PersistedSessionSnapshot | None = None) -> _Session:
        """A session starting now, or the stored one going on (its deadline survives a reload)."""
        if snapshot is not None:
            return _Session(snapshot.connected_at, snapshot.expires_at or self._deadline(snapshot.connected_at))
        now = self._timers.now_ms()
        return _Session(now, self._deadline(now))

    def _deadline(self, connected_at: int) -> int | None:
        ttl = self._options.ttl_ms
        return None if ttl is None else connected_at + int(ttl)

    def _enter_connected(self, session: _Session | None = None, **changes: Any) -> None:
        """``connected`` with what the store holds; a new session arms its expiry, then persists once."""
        self._cell.set(status="connected", last_error=None, **changes)
        if session is not None or self._session is None:
            self._session = session or self._new_session()
            self._expiry.arm(self._session.expires_at)
        self._persist_if_new()

    def _end(self, error: BaseException | None, *, forget: bool = True) -> None:
        """Back to disconnected with nothing kept; ``forget`` removes the persisted entry too."""
        self._begin()
        self._expiry.cancel()
        self._session = None
        self._announced = (None, None)
        if error is not None and not isinstance(error, SessionError):
            error = SessionError.caused_by("the wallet request failed", error)
        self._reauth.fail(error)
        self._cell.set(status="disconnected", account=None, accounts=NOTHING, network_id=None, last_error=error)
        if forget:
            self._writer.put(None)

    def _persist_if_new(self) -> None:
        """Write the session the first time it holds an account, then on each party or network switch."""
        state, session = self._cell.get(), self._session
        if state.status != "connected" or state.account is None or session is None or self._runs:
            return
        key = (state.account.party_id, state.network_id)
        if session.persisted == key:
            return
        session.persisted = key
        if not self._persist_snapshot:
            self._writer.put(MARKER)
            return
        snapshot = PersistedSessionSnapshot(
            state.account, state.accounts, state.network_id, session.connected_at, session.expires_at
        )
        self._writer.put(encode_session_envelope(snapshot))

    def _apply_accounts(self, accounts: tuple[Account, ...], *, local: bool) -> None:
        previous = _party(self._cell.get().account)
        account = active_account(accounts)
        self._cell.set(account=account, accounts=accounts)
        if previous is not None and previous != _party(account):
            self._switched(PartyChanged(previous, _party(account)), local)

    def _apply_network(self, network_id: str | None, *, local: bool) -> None:
        previous = self._cell.get().network_id
        self._cell.set(network_id=network_id)
        if previous is not None and previous != network_id:
            self._switched(NetworkChanged(previous, network_id), local)

    def _switched(self, event: PartyChanged | NetworkChanged, local: bool) -> None:
        """A party or network switch: other tabs (when it is ours), handlers, then the app."""
        if local:
            kind = "party" if isinstance(event, PartyChanged) else "network"
            self._post(SyncMessage(kind, event.current))
        self._emit(event)
        self._invalidate(InvalidationEvent(event.type, event.previous, event.current))

    # -- the wallet's events and other tabs' messages -------------------------

    def _wallet_event(self, event: str, read: Callable[[Any], Any], apply: Callable[[Any], None], *args: Any) -> None:
        """Read a wallet event at the edge; a malformed one changes nothing but ``last_error``."""
        try:
            value = read(args[0] if args else None)
        except ValueError as exc:
            self._report(f"ignored a malformed {event} event", exc)
            return
        apply(value)
        self._persist_if_new()

    def _status_changed(self, status: ProviderStatus) -> None:
        state = self._cell.get()
        if not status.connected:
            self._wallet_disconnected(state.status)
            return
        accounts, announced_network = self._announced
        self._announced = (None, None)
        if accounts is not None and state.account is None:
            self._apply_accounts(accounts, local=True)
        network_id = status.network_id or state.network_id or announced_network
        if self._backoff is not None and self._backoff.running:
            self._reconnected(network_id=network_id)
        else:
            self._enter_connected(network_id=network_id)
        if state.network_id is not None and network_id != state.network_id:
            self._switched(NetworkChanged(state.network_id, network_id), local=True)
        if self._cell.get().account is None and not self._runs:
            self._spawn(self._list_accounts(self._generation))

    def _wallet_disconnected(self, status: str) -> None:
        self._announced = (None, None)
        if status == "disconnected" or (self._backoff is not None and self._backoff.running):
            return
        self._end(None, forget=self._backoff is None or status != "connected")
        if status == "connected" and self._backoff is not None:
            self._start_backoff()

    async def _list_accounts(self, generation: int) -> None:
        """A wallet said "connected" and announced no account (by now): one ``listAccounts``, so a party shows."""
        if self._cell.get().account is not None:
            return
        accounts = await self._ask("listAccounts", accounts_from_wire)
        if accounts and self._is_current(generation) and self._cell.get().account is None:
            self._apply_accounts(accounts, local=True)
            self._persist_if_new()

    def _accounts_changed(self, accounts: tuple[Account, ...]) -> None:
        if self._cell.get().status == "disconnected":
            self._announced = (accounts, self._announced[1])
        else:
            self._apply_accounts(accounts, local=True)

    def _chain_changed(self, network_id: str) -> None:
        if self._cell.get().status == "disconnected":
            self._announced = (self._announced[0], network_id)
        else:
            self._apply_network(network_id, local=True)

    def _tab_message(self, data: Any) -> None:
        message = parse_sync_message(data)
        state = self._cell.get()
        if message is None:
            return
        if message.kind == "disconnect":
            # Removing here too orders the removal after any write of this tab still in flight.
            self._end(None)
        elif state.status not in ("connected", "reconnecting"):
            return
        elif message.kind == "network":
            self._apply_network(message.value, local=False)
        elif message.value != _party(state.account):
            listed = next((a for a in state.accounts if a.party_id == message.value), None)
            self._cell.set(account=listed or state.account)
            self._switched(PartyChanged(_party(state.account), message.value), local=False)

    def _expired(self, expired_at: int) -> None:
        self._emit(SessionExpired(expired_at))
        if self._options.on_reauth_required is None:
            self._end(SessionExpiredError(expired_at))
            return
        self._cell.set(status="reconnecting")
        self._spawn(self._reauthenticate(expired_at))

    # -- plumbing ------------------------------------------------------------

    def _emit(self, event: SessionEvent) -> None:
        self._handlers[event.type].notify(event)

    def _report(self, message: str, exc: BaseException) -> None:
        logger.debug("pysession: %s", message, exc_info=exc)
        if not self._destroyed:
            self._cell.set(last_error=SessionError.caused_by(message, exc))

    def _guarded(self, handler: Callable[..., None]) -> Callable[..., None]:
        """Wrap an inbound callback so that nothing it meets raises back into its caller."""

        def guarded(*args: Any) -> None:
            if not self._destroyed:
                with reported(self._report, "handling a wallet event or a tab message failed"):
                    handler(*args)

        return guarded

    def _invalidate(self, event: InvalidationEvent) -> None:
        if self._on_invalidate is None:
            return
        with reported(self._report, "on_invalidate raised"):
            result = self._on_invalidate(event)
            if inspect.isawaitable(result):
                self._spawn(self._settle_invalidation(result))

    async def _settle_invalidation(self, result: Awaitable[Any]) -> None:
        with reported(self._report, "on_invalidate raised"):
            await result

    async def _request(self, method: str, params: Any = None) -> Any:
        payload: dict[str, Any] = {"method": method}
        if params is not None:
            payload["params"] = params
        try:
            return await settle(self._adapter.request(payload))
        except Exception as exc:
            raise SessionError.caused_by(f"provider request {method!r} failed", exc) from exc

    def _post(self, message: SyncMessage) -> None:
        with reported(self._report, "telling other tabs failed"):
            self._channel.post(message.to_wire())

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = current_loop().create_task(coroutine)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _release(self) -> None:
        for cleanup in self._owned:
            with reported(lambda message, exc: logger.debug("pysession: %s", message, exc_info=exc), "cleanup"):
                cleanup()

    def _begin(self) -> int:
        """Start a new run: every older run sees it is superseded at its next await."""
        self._generation += 1
        if self._backoff is not None:
            self._backoff.cancel()
        return self._generation

    def _is_current(self, generation: int) -> bool:
        return generation == self._generation and not self._destroyed


async def _value(value: Any) -> Any:
    return value
