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
- While a connect or restore run is under way, it alone persists, once, at its end.
- A ``disconnected`` store holds no account, accounts or network.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal, TypeVar, overload

from ._account import Account, active_account
from ._announcer import Announcer
from ._errors import ReauthFailedError, SessionError, SessionExpiredError, reported
from ._expiry import ExpiryOptions, ExpiryTimer, ReauthContext, ReauthGate
from ._listeners import guarded, logger, release
from ._provider import ProviderStatus, connect_refused
from ._record import Session, SessionRecord
from ._retry import Backoff, RetryPolicy
from ._state import SessionState, StateCell
from ._storage import SessionStorage
from ._sync import SyncChannel, SyncMessage, parse_sync_message
from ._timers import Tasks, Timers, current_loop
from ._wallet import Wallet
from .events import (
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

Undo = Callable[[], None]
Event = TypeVar("Event")
Handler = Callable[[Event], object]
Result = TypeVar("Result")

NOTHING: tuple[Account, ...] = ()


def _party(account: Account | None) -> str | None:
    return account.party_id if account else None


def _taken(live: tuple[tuple[Account, ...] | None, str | None]) -> dict[str, Any]:
    """The wallet's live accounts and network, as the state takes them (no switch events)."""
    accounts = live[0] or NOTHING
    return {"account": active_account(accounts), "accounts": accounts, "network_id": live[1]}


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
        self._provider, self._timers, self._owned = provider, timers, owned
        self._options = expiry or ExpiryOptions()
        self._cell = StateCell()
        self._tasks = Tasks()
        self._announcer = Announcer(channel, on_invalidate, self._tasks, self._report)
        self._wallet = Wallet(adapter, self._report)
        self._record = SessionRecord(
            storage, storage_key, snapshot=persist_snapshot, ttl_ms=self._options.ttl_ms, timers=timers,
            report=self._report,
        )
        self._backoff = Backoff(reconnect, timers) if reconnect is not None else None
        self._expiry = ExpiryTimer(timers, self._expired)
        self._reauth = ReauthGate(self._options.pending_queue_size)
        self._session: Session | None = None
        self._announced: tuple[tuple[Account, ...] | None, str | None] = (None, None)
        self._generation = self._runs = 0
        self._restoring: asyncio.Future[None] | None = None
        self._destroyed = False
        self._connecting: object | None = None  # the connect() run under way, until the app's next action
        guard = functools.partial(guarded, report=self._report, stopped=lambda: self._destroyed)
        self._listing = False
        self._wallet.listen(
            {
                "statusChanged": self._status_changed,
                "connected": self._status_changed,
                "accountsChanged": self._accounts_changed,
                "chainChanged": self._chain_changed,
            },
            guard,
        )
        self._announcer.hear_tabs(guard(self._tab_message))

    # -- the store -----------------------------------------------------------

    def get_snapshot(self) -> SessionState:
        return self._cell.get()

    def get_provider(self) -> Any:
        return self._provider

    def subscribe(self, listener: Callable[[], object]) -> Undo:
        """Call ``listener()`` after each change; returns its own undo."""
        return self._cell.subscribe(listener)

    @overload
    def on(self, event_type: Literal["reconnect:scheduled"], handler: Handler[ReconnectScheduled]) -> Undo: ...
    @overload
    def on(self, event_type: Literal["reconnect:attempt"], handler: Handler[ReconnectAttempt]) -> Undo: ...
    @overload
    def on(self, event_type: Literal["reconnect:succeeded"], handler: Handler[ReconnectSucceeded]) -> Undo: ...
    @overload
    def on(self, event_type: Literal["reconnect:gaveup"], handler: Handler[ReconnectGaveUp]) -> Undo: ...
    @overload
    def on(self, event_type: Literal["session:expired"], handler: Handler[SessionExpired]) -> Undo: ...
    @overload
    def on(self, event_type: Literal["party:changed"], handler: Handler[PartyChanged]) -> Undo: ...
    @overload
    def on(self, event_type: Literal["network:changed"], handler: Handler[NetworkChanged]) -> Undo: ...
    @overload
    def on(self, event_type: str, handler: Handler[SessionEvent]) -> Undo: ...

    def on(self, event_type: str, handler: Callable[[Any], object]) -> Undo:
        """Call ``handler(event)`` for each structured event of ``event_type``."""
        return self._announcer.on(event_type, handler)

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
        """Ask the wallet to connect; connected once it resolves; a failure lands in ``last_error``, never raises."""
        if self._destroyed:
            return self._cell.get()
        self._begin()
        self._connecting = attempt = object()
        was_on = self._cell.get().status in ("connected", "reconnecting")
        self._cell.set(status="connecting", last_error=None)
        self._runs += 1
        try:
            refused = connect_refused(await self._wallet.request("connect", params))
            if not self._owns_connect(attempt):
                return self._cell.get()
            if refused is not None:
                self._end(refused, forget=was_on)
                await self._record.flush()
                return self._cell.get()
            state = self._cell.get()
            asked = self._wallet.session(accounts=state.account is None, status=None, network_id=state.network_id)
            accounts, network_id = await asked
        except asyncio.CancelledError:
            if self._owns_connect(attempt):
                self._end(None, forget=False)
            raise
        except Exception as exc:
            if self._owns_connect(attempt):
                self._end(exc, forget=False)
            return self._cell.get()
        finally:
            self._runs -= 1
        if self._owns_connect(attempt):
            self._connecting = None
            if accounts and self._cell.get().account is None:
                self._apply_accounts(accounts, local=True)
            self._enter_connected(network_id=self._cell.get().network_id or network_id)
            await self._record.flush()
        return self._cell.get()

    async def disconnect(self) -> None:
        """The user's intent to end the session: other tabs are told first; never followed by a reconnect."""
        if self._destroyed:
            return
        self._connecting = None
        self._announcer.tell_tabs(SyncMessage("disconnect"))
        self._end(None)
        with reported(self._report, "the wallet's disconnect failed"):
            await self._wallet.request("disconnect")
        await self._record.flush()

    async def restore(self) -> SessionState:
        """Ask the wallet, in any state: connected resumes (and persists) the session, anything else ends it."""
        if self._destroyed:
            return self._cell.get()
        if self._restoring is not None:
            await asyncio.shield(self._restoring)
            return self._cell.get()
        generation = self._begin()
        self._connecting = None
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
        self._persist()
        await self._record.flush()
        return self._cell.get()

    init = restore

    async def enqueue(self, op: Callable[[], Awaitable[Result]]) -> Result:
        """Run ``op()``; while a re-auth runs, wait for it in a bounded queue first."""
        return await self._reauth.enqueue(op)

    def destroy(self) -> None:
        """Remove every listener, timer, channel, task and proxy this store made; a write under way lands."""
        if self._destroyed:
            return
        self._destroyed = True
        self._begin()
        self._expiry.cancel()
        self._reauth.fail(None)
        self._wallet.stop_listening()
        self._announcer.close()
        self._tasks.cancel()
        self._cell.close()
        self._timers.close()
        self._record.close(then=lambda: release(self._owned))

    # -- runs ----------------------------------------------------------------

    async def _restore(self, generation: int) -> None:
        """The stored entry is read while the wallet is asked: neither waits for the other.

        Only the read gets a task of its own (a task costs a browser task under Pyodide);
        it never raises, and it is cancelled with this run.
        """
        reading = current_loop().create_task(self._record.read())
        try:
            live: Any = await self._wallet.live()
        except Exception as exc:
            live = exc
        except BaseException:
            reading.cancel()
            raise
        stored, has_entry = await reading
        if not self._is_current(generation):
            return
        if isinstance(live, Exception):
            self._end(SessionError.caused_by("asking the wallet for its status failed", live), forget=False)
        elif live is None:
            self._end(None, forget=has_entry)
        else:
            self._enter_connected(self._record.start(stored), **_taken(live))

    def _start_backoff(self) -> None:
        assert self._backoff is not None
        generation = self._generation
        attempt, delay = self._backoff.schedule(lambda n: self._tasks.spawn(self._reconnect(generation, n)))
        self._cell.set(status="reconnecting")
        self._announcer.emit(ReconnectScheduled(attempt, delay))

    async def _reconnect(self, generation: int, attempt: int) -> None:
        """One attempt only asks: ``status``, then what a connected wallet has; never ``connect``."""
        assert self._backoff is not None
        self._announcer.emit(ReconnectAttempt(attempt))
        try:
            live = await self._wallet.live()
            if live is None:
                raise SessionError("the wallet is not connected")
        except Exception as exc:
            if not self._is_current(generation):
                return
            error = SessionError.caused_by(f"reconnect attempt {attempt} failed", exc)
            if self._backoff.spent:
                self._announcer.emit(ReconnectGaveUp(attempt, error))
                self._end(error)
            else:
                self._cell.set(last_error=error)
                self._start_backoff()
            return
        if self._is_current(generation):
            self._reconnected(**_taken(live))

    def _reconnected(self, **changes: Any) -> None:
        """The wallet is back (an attempt found it, or it said so itself): a new session, taken as it is."""
        assert self._backoff is not None
        attempt = max(self._backoff.attempt, 1)
        self._begin()
        self._enter_connected(self._record.start(), **changes)
        self._announcer.emit(ReconnectSucceeded(attempt))

    async def _reauthenticate(self, expired_at: int) -> None:
        """The hook runs while ``enqueue`` waits; its outcome counts only for the session that expired."""
        session, hook = self._session, self._options.on_reauth_required
        assert hook is not None
        failure = await self._reauth.run(hook, ReauthContext("expired", expired_at))
        if self._session is not session:
            return
        if failure is None:
            self._enter_connected(self._record.start())
        else:
            self._end(ReauthFailedError(failure))

    # -- transitions ---------------------------------------------------------

    def _enter_connected(self, session: Session | None = None, **changes: Any) -> None:
        """``connected`` with what the store holds; a new session arms its expiry, then persists once."""
        self._cell.set(status="connected", last_error=None, **changes)
        if session is not None or self._session is None:
            self._session = session or self._record.start()
            self._expiry.arm(self._session.expires_at)
        self._persist()

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
            self._record.remove()

    def _persist(self) -> None:
        """Write the session when it first holds an account, then on each switch; runs persist at their end."""
        if self._session is not None and not self._runs and self._cell.get().status == "connected":
            self._record.write_if_new(self._cell.get(), self._session)

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
        """A switch is announced; when it happened here (not in another tab), persisted too."""
        self._announcer.switched(event, local=local)
        if local:
            self._persist()

    # -- the wallet's events and other tabs' messages -------------------------

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
        if self._cell.get().account is None and not self._runs and not self._listing:
            self._listing = True
            self._tasks.spawn(self._list_accounts(self._generation))

    def _wallet_disconnected(self, status: str) -> None:
        self._announced = (None, None)
        if status == "disconnected" or (self._backoff is not None and self._backoff.running):
            return
        self._end(None, forget=self._backoff is None or status != "connected")
        if status == "connected" and self._backoff is not None:
            self._start_backoff()

    async def _list_accounts(self, generation: int) -> None:
        """A wallet said "connected" and announced no account (the gateway never does on sign-in): ask once.

        One ``listAccounts`` however many events said so (``statusChanged`` and
        ``connected`` come in pairs), and ``getActiveNetwork`` when no network is known.
        """
        try:
            accounts, network_id = await self._wallet.session(
                accounts=True, status=None, network_id=self._cell.get().network_id
            )
        finally:
            self._listing = False
        if not self._is_current(generation):
            return
        if accounts and self._cell.get().account is None:
            self._apply_accounts(accounts, local=True)
        if self._cell.get().network_id is None:
            self._cell.set(network_id=network_id)
        self._persist()

    def _accounts_changed(self, accounts: tuple[Account, ...]) -> None:
        if self._cell.get().status == "disconnected":
            self._announced = (accounts, self._announced[1])
        else:
            self._apply_accounts(accounts, local=True)
            self._persist()

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
            self._end(None, forget=False)
            self._record.remove(only_after_own_write=True)
        elif state.status not in ("connected", "reconnecting"):
            return
        elif message.kind == "network":
            self._apply_network(message.value, local=False)
        elif message.value != _party(state.account):
            listed = next((a for a in state.accounts if a.party_id == message.value), None)
            self._cell.set(account=listed or state.account)
            self._switched(PartyChanged(_party(state.account), message.value), local=False)

    def _expired(self, expired_at: int) -> None:
        self._announcer.emit(SessionExpired(expired_at))
        if self._options.on_reauth_required is None:
            self._end(SessionExpiredError(expired_at))
            return
        self._cell.set(status="reconnecting")
        self._tasks.spawn(self._reauthenticate(expired_at))

    # -- plumbing ------------------------------------------------------------

    def _report(self, message: str, exc: BaseException) -> None:
        logger.debug("pysession: %s", message, exc_info=exc)
        if not self._destroyed:
            self._cell.set(last_error=SessionError.caused_by(message, exc))

    def _begin(self) -> int:
        """Start a new run: every older run sees it is superseded at its next await."""
        self._generation += 1
        if self._backoff is not None:
            self._backoff.cancel()
        return self._generation

    def _owns_connect(self, attempt: object) -> bool:
        """Whether a connect run still decides its outcome: only the app's own next call supersedes it.

        A wallet event or tab message that arrives while the request is out (a
        ``statusChanged(false)`` from an earlier drop, late from a worker's main
        thread) ends ``connecting`` but is older than the wallet's answer, so the
        answer still lands and ``connect()`` returns the state it reached.
        """
        return attempt is self._connecting and not self._destroyed

    def _is_current(self, generation: int) -> bool:
        return generation == self._generation and not self._destroyed
