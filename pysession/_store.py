"""The session store: one frozen state, a state machine around it, and its edges.

    disconnected ──connect()──▶ connecting ──ok / statusChanged(true)──▶ connected
         ▲                          └──── error / rejection ──┐            │
         ├──── disconnect() / statusChanged(false) ◀──────────┴────────────┘
         └──restore()/init()──▶ reconnecting ──active session──▶ connected
                                      └────── none ──▶ disconnected

Invariants:
- ``get_snapshot()`` is the same object until a field really changes.
- Nothing from outside (provider, storage, other tabs, app callbacks) raises into
  the caller: failures become ``last_error``; a good persisted session is removed
  only when the live provider says it is over, never because a read failed.
- Each connect, restore and reconnect run holds a generation number and checks it
  after every await, so a superseded run never writes state.
- Persisting is latest-wins: while a write is in flight, newer values replace the
  queued one, so a burst of changes costs two writes, not one per change.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from ._account import Account, accounts_from_wire, active_account
from ._envelope import PersistedSessionSnapshot, decode_session_envelope, encode_session_envelope, is_expired
from ._errors import ReauthFailedError, SessionError, SessionExpiredError, WalletError
from ._expiry import ExpiryOptions, PendingQueue, ReauthContext
from ._provider import ProviderStatus, connect_refused, read_network, read_status
from ._retry import RetryPolicy, compute_backoff_delay
from ._storage import SessionStorage, settle
from ._sync import SyncChannel, SyncMessage, parse_sync_message
from ._timers import Cancel, Timers, current_loop
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

Status = Literal["disconnected", "connecting", "connected", "reconnecting"]
MARKER = "1"
PROVIDER_EVENTS = ("statusChanged", "accountsChanged", "chainChanged")


@dataclass(frozen=True, slots=True)
class SessionState:
    status: Status = "disconnected"
    account: Account | None = None
    accounts: tuple[Account, ...] = ()
    network_id: str | None = None
    last_error: Exception | None = None


DISCONNECTED = SessionState()


def failure(message: str, cause: BaseException | None) -> SessionError:
    """A ``SessionError`` that says what failed, with the original exception as its cause."""
    if isinstance(cause, SessionError):
        return cause
    error = SessionError(f"{message}: {cause}" if cause is not None else message)
    error.__cause__ = cause
    return error


def _party(account: Account | None) -> str | None:
    return account.party_id if account else None


def _call_guarded(fn: Callable[..., Any], *args: Any) -> None:
    """Call app code that must not stop the store; its error is logged, not raised."""
    try:
        fn(*args)
    except Exception:
        logger.exception("pysession: a listener raised")


class _LatestWinsWriter:
    """Serialised writes of one storage key; a value queued behind a running write is replaced by newer ones.

    A synchronous storage is written at once. With an async one, ``put`` drains in
    a task, while ``write`` drains in its caller: ``connect()`` awaits its own
    write without an extra task hop (each costs a browser task under Pyodide).
    """

    def __init__(self, storage: SessionStorage, key: str, report: Callable[[str, Exception], None]) -> None:
        self._storage = storage
        self._key = key
        self._report = report
        self._queued: tuple[str | None] | None = None
        self._busy: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    def put(self, value: str | None) -> None:
        """Persist ``value`` (None removes the entry) after any write already running."""
        self._queued = (value,)
        if self._busy is None and (pending := self._write_queued()) is not None:
            self._busy = current_loop().create_future()
            self._task = current_loop().create_task(self._drain(pending))

    async def write(self, value: str | None) -> None:
        """``put(value)`` and wait until it is stored."""
        self._queued = (value,)
        if self._busy is None and (pending := self._write_queued()) is not None:
            self._busy = current_loop().create_future()
            await self._drain(pending)
        await self.flush()

    async def flush(self) -> None:
        """Wait for the writes asked for so far; a write cancelled by ``destroy()`` is not an error."""
        while (busy := self._busy) is not None:
            await asyncio.shield(busy)

    def cancel(self) -> None:
        self._queued = None
        if self._task is not None:
            self._task.cancel()

    def _write_queued(self) -> Awaitable[Any] | None:
        """Write queued values while the storage answers synchronously; return the first awaitable."""
        while self._queued is not None:
            (value,), self._queued = self._queued, None
            try:
                if value is None:
                    pending = self._storage.remove_item(self._key)
                else:
                    pending = self._storage.set_item(self._key, value)
            except Exception as exc:
                self._report("persisting the session failed", exc)
                continue
            if inspect.isawaitable(pending):
                return pending
        return None

    async def _drain(self, pending: Awaitable[Any] | None) -> None:
        """Await ``pending``, then every value queued meanwhile; ``_busy`` is set until done."""
        try:
            while pending is not None:
                try:
                    await pending
                except Exception as exc:
                    self._report("persisting the session failed", exc)
                pending = self._write_queued()
        finally:
            busy, self._busy, self._task = self._busy, None, None
            if busy is not None and not busy.done():
                busy.set_result(None)


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
        self._provider = provider
        self._adapter = adapter
        self._storage = storage
        self._key = storage_key
        self._retry = reconnect
        self._expiry = expiry or ExpiryOptions()
        self._channel = channel
        self._persist_snapshot = persist_snapshot
        self._on_invalidate = on_invalidate
        self._timers = timers
        self._owned = owned

        self._state = DISCONNECTED
        self._listeners: list[Callable[[], None]] = []
        self._handlers: dict[str, list[Callable[[Any], None]]] = {}
        self._change_queues: set[asyncio.Queue[SessionState | None]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writer = _LatestWinsWriter(storage, storage_key, self._report)
        self._queue = PendingQueue(self._expiry.pending_queue_size)

        self._generation = 0
        self._restoring: asyncio.Future[None] | None = None
        self._backoff: Cancel | None = None
        self._attempt = 0
        self._expiry_timer: Cancel | None = None
        self._reauthing = False
        self._sessions_ended = 0
        self._connected_at = 0
        self._accounts_version = 0
        self._network_version = 0
        self._destroyed = False

        readers: dict[str, tuple[Callable[[Any], Any], Callable[[Any], None]]] = {
            "statusChanged": (read_status, self._status_changed),
            "accountsChanged": (accounts_from_wire, self._accounts_changed),
            "chainChanged": (read_network, self._chain_changed),
        }
        self._provider_listeners = {
            event: self._guarded(functools.partial(self._provider_event, event, read, apply))
            for event, (read, apply) in readers.items()
        }
        for event, listener in self._provider_listeners.items():
            adapter.on(event, listener)
        self._stop_sync = channel.on_message(self._guarded(self._on_sync_message))

    # -- the store -----------------------------------------------------------

    def get_snapshot(self) -> SessionState:
        return self._state

    def get_provider(self) -> Any:
        return self._provider

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after each change; returns its own undo."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def on(self, event_type: str, handler: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``handler(event)`` for each structured event of ``event_type``."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}; expected one of {list(EVENT_TYPES)}")
        handlers = self._handlers.setdefault(event_type, [])
        handlers.append(handler)

        def unsubscribe() -> None:
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    async def changes(self) -> AsyncIterator[SessionState]:
        """Each new snapshot, as it happens, until the store is destroyed."""
        if self._destroyed:
            return
        queue: asyncio.Queue[SessionState | None] = asyncio.Queue()
        self._change_queues.add(queue)
        unsubscribe = self.subscribe(lambda: queue.put_nowait(self._state))
        try:
            while (state := await queue.get()) is not None:
                yield state
        finally:
            unsubscribe()
            self._change_queues.discard(queue)

    async def __aenter__(self) -> SessionStore:
        await self.init()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.destroy()

    # -- actions -------------------------------------------------------------

    async def connect(self, params: Any = None) -> SessionState:
        """Ask the wallet to connect; a failure lands in ``last_error``, never raises."""
        if self._destroyed:
            return self._state
        generation = self._begin()
        self._set(status="connecting", last_error=None)
        try:
            accounts, network_id = await self._establish(generation, params)
        except asyncio.CancelledError:
            if self._is_current(generation):
                self._set(status="disconnected", account=None, accounts=(), network_id=None)
            raise
        except Exception as exc:
            if self._is_current(generation):
                self._end_session(failure("connect failed", exc), forget=False)
            return self._state
        if self._is_current(generation):
            self._start_session(accounts, network_id, self._timers.now_ms(), persist=False)
            await self._writer.write(self._persisted_value())
        return self._state

    async def disconnect(self) -> None:
        """The user's intent to end the session: never followed by an automatic reconnect."""
        if self._destroyed:
            return
        self._post(SyncMessage("disconnect"))
        self._end_session(None)
        try:
            await self._request("disconnect")
        except Exception as exc:
            self._report("the wallet's disconnect failed", exc)
        await self._writer.flush()

    async def restore(self) -> SessionState:
        """Resume a persisted session if the live provider says it is still connected."""
        if self._destroyed or self._state.status in ("connected", "connecting"):
            return self._state
        if self._restoring is not None:
            await asyncio.shield(self._restoring)
            return self._state
        generation = self._begin()
        self._restoring = done = current_loop().create_future()
        self._set(status="reconnecting", last_error=None)
        try:
            await self._restore(generation)
        finally:
            if self._is_current(generation) and self._state.status == "reconnecting":
                self._set(status="disconnected")
            self._restoring = None
            done.set_result(None)
        return self._state

    init = restore

    async def enqueue(self, op: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``op()``; while a re-auth runs, wait for it in a bounded queue first."""
        if not callable(op):
            raise TypeError("op must be a zero-argument async callable")
        if self._reauthing:
            await self._queue.wait_turn()
        return await settle(op())

    def destroy(self) -> None:
        """Remove every listener, timer, channel, task and proxy this store made."""
        if self._destroyed:
            return
        self._destroyed = True
        self._generation += 1
        self._cancel_timers()
        self._queue.fail(None)
        for event, listener in self._provider_listeners.items():
            try:
                self._adapter.remove_listener(event, listener)
            except Exception:
                logger.exception("pysession: removing a provider listener failed")
        self._stop_sync()
        self._channel.close()
        self._writer.cancel()
        for task in list(self._tasks):
            task.cancel()
        for queue in self._change_queues:
            queue.put_nowait(None)
        self._listeners.clear()
        self._handlers.clear()
        self._timers.close()
        for cleanup in self._owned:
            cleanup()

    # -- runs ----------------------------------------------------------------

    async def _establish(self, generation: int, params: Any) -> tuple[tuple[Account, ...], str | None]:
        """Ask for a connection, then fetch what the wallet's events did not already tell."""
        accounts_seen, network_seen = self._accounts_version, self._network_version
        answer = await self._request("connect", params)
        if connect_refused(answer):
            raise failure("the wallet refused to connect", None)
        if not self._is_current(generation):
            return (), None
        if self._accounts_version != accounts_seen:
            accounts = self._state.accounts
        else:
            accounts = accounts_from_wire(await self._request("listAccounts"))
        if self._network_version != network_seen and self._state.network_id is not None:
            return accounts, self._state.network_id
        return accounts, await self._active_network(self._state.network_id)

    async def _active_network(self, fallback: str | None) -> str | None:
        try:
            return read_network(await self._request("getActiveNetwork"))
        except Exception as exc:
            self._report("reading the active network failed", exc)
            return fallback

    async def _restore(self, generation: int) -> None:
        try:
            raw = await settle(self._storage.get_item(self._key))
        except Exception as exc:
            self._report("reading the persisted session failed", exc)
            return
        if not self._is_current(generation) or raw is None:
            return
        now = self._timers.now_ms()
        snapshot = None if raw == MARKER else decode_session_envelope(raw)
        if raw != MARKER and (snapshot is None or is_expired(snapshot, now)):
            self._writer.put(None)
            return
        try:
            status = read_status(await self._request("status"))
        except Exception as exc:
            if self._is_current(generation):
                self._report("asking the wallet for its status failed", exc)
            return
        if not self._is_current(generation):
            return
        if not status.connected:
            self._writer.put(None)
            return
        try:
            accounts = accounts_from_wire(await self._request("listAccounts"))
        except Exception as exc:
            self._report("listing accounts on restore failed", exc)
            accounts = snapshot.accounts if snapshot else ()
        persisted_network = snapshot.network_id if snapshot else None
        network_id = status.network_id or await self._active_network(persisted_network)
        if not self._is_current(generation):
            return
        previous = snapshot or PersistedSessionSnapshot(None, (), None, now)
        self._set(account=previous.account, network_id=previous.network_id)
        self._start_session(
            accounts,
            network_id,
            previous.connected_at,
            expires_at=previous.expires_at,
            persist=snapshot is not None and self._differs(snapshot, accounts, network_id),
        )

    def _differs(self, snapshot: PersistedSessionSnapshot, accounts: tuple[Account, ...], network_id: str | None) -> bool:
        return snapshot.accounts != accounts or snapshot.network_id != network_id

    def _schedule_reconnect(self, generation: int) -> None:
        assert self._retry is not None
        attempt = self._attempt + 1
        delay = compute_backoff_delay(self._retry, attempt)
        self._emit(ReconnectScheduled(attempt, delay))
        self._backoff = self._timers.call_later(delay, lambda: self._spawn(self._reconnect(generation, attempt)))

    async def _reconnect(self, generation: int, attempt: int) -> None:
        self._backoff = None
        if not self._is_current(generation):
            return
        self._attempt = attempt
        self._emit(ReconnectAttempt(attempt))
        try:
            accounts, network_id = await self._establish(generation, None)
        except Exception as exc:
            if not self._is_current(generation):
                return
            assert self._retry is not None
            error = SessionError(f"reconnect attempt {attempt} failed: {exc}")
            error.__cause__ = exc
            if attempt >= self._retry.max_attempts:
                self._emit(ReconnectGaveUp(attempt, error))
                self._end_session(error)
            else:
                self._set(last_error=error)
                self._schedule_reconnect(generation)
            return
        if self._is_current(generation):
            self._reconnected(accounts, network_id)

    def _reconnected(self, accounts: tuple[Account, ...], network_id: str | None) -> None:
        # The wallet may come back on its own before attempt 1 fires: that counts as attempt 1.
        attempt, self._attempt = max(self._attempt, 1), 0
        self._cancel_backoff()
        self._apply_accounts(accounts, local=True)
        self._apply_network(network_id, local=True)
        self._set(status="connected", last_error=None)
        self._persist()
        self._emit(ReconnectSucceeded(attempt))

    async def _reauth(self, expired_at: int) -> None:
        hook = self._expiry.on_reauth_required
        assert hook is not None
        self._reauthing = True
        sessions_ended = self._sessions_ended
        try:
            await settle(hook(ReauthContext("expired", expired_at)))
        except Exception as exc:
            self._reauthing = False
            if self._sessions_ended != sessions_ended:
                return
            error = ReauthFailedError()
            error.__cause__ = exc
            self._queue.fail(exc)
            self._end_session(error)
            return
        self._reauthing = False
        if self._state.status in ("connected", "reconnecting") and self._expiry_timer is None:
            self._connected_at = self._timers.now_ms()
            self._arm_expiry(None)
            self._persist()
        self._queue.resume()

    # -- session transitions --------------------------------------------------

    def _start_session(
        self,
        accounts: tuple[Account, ...],
        network_id: str | None,
        connected_at: int,
        *,
        expires_at: int | None = None,
        persist: bool = True,
    ) -> None:
        self._attempt = 0
        self._connected_at = connected_at
        self._apply_accounts(accounts, local=True, persist=False)
        self._apply_network(network_id, local=True, persist=False)
        self._set(status="connected", last_error=None)
        self._arm_expiry(expires_at)
        if persist:
            self._persist()

    def _end_session(self, error: Exception | None, *, forget: bool = True) -> None:
        """Back to disconnected with nothing kept; ``forget`` removes the persisted entry too."""
        self._sessions_ended += 1
        self._begin()
        self._cancel_timers()
        self._reauthing = False
        self._queue.fail(error)
        self._set(status="disconnected", account=None, accounts=(), network_id=None, last_error=error)
        if forget:
            self._writer.put(None)

    def _provider_dropped(self) -> None:
        if self._retry is None:
            self._end_session(None)
            return
        generation = self._begin()
        self._set(status="reconnecting")
        self._schedule_reconnect(generation)

    def _apply_accounts(self, accounts: tuple[Account, ...], *, local: bool, persist: bool = True) -> None:
        previous = self._state.account
        self._accounts_version += 1
        account = active_account(accounts)
        self._set(account=account, accounts=accounts)
        if previous is not None and previous.party_id != _party(account):
            self._switched(PartyChanged(previous.party_id, _party(account)), local, persist)

    def _apply_network(self, network_id: str | None, *, local: bool, persist: bool = True) -> None:
        previous = self._state.network_id
        self._network_version += 1
        self._set(network_id=network_id)
        if previous is not None and previous != network_id:
            self._switched(NetworkChanged(previous, network_id), local, persist)

    def _switched(self, event: PartyChanged | NetworkChanged, local: bool, persist: bool) -> None:
        """A party or network switch: tell other tabs, handlers and the app, then persist."""
        if local:
            kind = "party" if isinstance(event, PartyChanged) else "network"
            self._post(SyncMessage(kind, event.current))
        self._emit(event)
        self._invalidate(InvalidationEvent(event.type, event.previous, event.current))
        if persist and local and self._state.status == "connected":
            self._persist()

    # -- provider events and messages -----------------------------------------

    def _provider_event(
        self, event: str, read: Callable[[Any], Any], apply: Callable[[Any], None], payload: Any = None, *_: Any
    ) -> None:
        """Read a provider event at the edge; a malformed one changes nothing but ``last_error``."""
        try:
            value = read(payload)
        except ValueError as exc:
            self._report(f"ignored a malformed {event} event", exc)
            return
        apply(value)

    def _status_changed(self, status: ProviderStatus) -> None:
        current = self._state.status
        if current == "disconnected":
            return
        if status.network_id is not None and current != "reconnecting":
            self._apply_network(status.network_id, local=True)
        if status.connected:
            # Connected with no account yet would show a dApp "connected" and no party: wait for one.
            if current == "connecting" and self._state.account is not None:
                self._set(status="connected")
            elif current == "reconnecting" and self._backoff is not None:
                self._reconnected(self._state.accounts, status.network_id or self._state.network_id)
        elif current == "connected":
            self._provider_dropped()

    def _accounts_changed(self, accounts: tuple[Account, ...]) -> None:
        if self._state.status != "disconnected":
            self._apply_accounts(accounts, local=True)

    def _chain_changed(self, network_id: str) -> None:
        if self._state.status != "disconnected":
            self._apply_network(network_id, local=True)

    def _on_sync_message(self, data: Any) -> None:
        message = parse_sync_message(data)
        if message is None or self._destroyed:
            return
        if message.kind == "disconnect":
            # Removing here too orders the removal after any write of this tab still in
            # flight (say, of the last network switch), which would otherwise land after
            # the other tab's removal and bring the ended session back.
            self._end_session(None)
            return
        if self._state.status not in ("connected", "reconnecting"):
            return
        if message.kind == "network":
            self._apply_network(message.value, local=False)
        elif message.value != _party(self._state.account):
            self._apply_accounts(self._accounts_with_primary(message.value), local=False)

    def _accounts_with_primary(self, party_id: str | None) -> tuple[Account, ...]:
        """The known accounts with ``party_id`` as the primary (another tab switched to it)."""
        if party_id is None:
            return ()
        accounts = self._state.accounts
        if not any(a.party_id == party_id for a in accounts):
            template = self._state.account or Account(True, party_id, "", "", "", "", "", "")
            accounts = (replace(template, party_id=party_id), *accounts)
        return tuple(replace(a, primary=a.party_id == party_id) for a in accounts)

    # -- plumbing ------------------------------------------------------------

    def _set(self, **changes: Any) -> None:
        state = self._state
        if all(getattr(state, name) is value or getattr(state, name) == value for name, value in changes.items()):
            return
        self._state = replace(state, **changes)
        for listener in list(self._listeners):
            _call_guarded(listener)

    def _emit(self, event: SessionEvent) -> None:
        for handler in list(self._handlers.get(event.type, ())):
            _call_guarded(handler, event)

    def _report(self, message: str, exc: BaseException) -> None:
        logger.debug("pysession: %s", message, exc_info=exc)
        if not self._destroyed:
            self._set(last_error=failure(message, exc))

    def _guarded(self, handler: Callable[..., None]) -> Callable[..., None]:
        """Wrap an inbound callback so that nothing it meets raises back into its caller."""

        def guarded(*args: Any) -> None:
            if self._destroyed:
                return
            try:
                handler(*args)
            except Exception as exc:
                self._report("handling a provider event or a tab message failed", exc)

        return guarded

    def _invalidate(self, event: InvalidationEvent) -> None:
        if self._on_invalidate is None:
            return
        try:
            result = self._on_invalidate(event)
        except Exception as exc:
            self._report("on_invalidate raised", exc)
            return
        if inspect.isawaitable(result):
            self._spawn(self._settle_invalidation(result))

    async def _settle_invalidation(self, result: Awaitable[Any]) -> None:
        try:
            await result
        except Exception as exc:
            self._report("on_invalidate raised", exc)

    async def _request(self, method: str, params: Any = None) -> Any:
        payload: dict[str, Any] = {"method": method}
        if params is not None:
            payload["params"] = params
        try:
            return await settle(self._adapter.request(payload))
        except Exception as exc:
            raise WalletError.from_failure(method, exc)

    def _post(self, message: SyncMessage) -> None:
        try:
            self._channel.post(message.to_wire())
        except Exception as exc:
            self._report("telling other tabs failed", exc)

    def _persist(self) -> None:
        self._writer.put(self._persisted_value())

    def _persisted_value(self) -> str:
        """The envelope of the current session, or the bare marker without ``persist_snapshot``."""
        if not self._persist_snapshot:
            return MARKER
        state = self._state
        snapshot = PersistedSessionSnapshot(
            state.account, state.accounts, state.network_id, self._connected_at, self._expires_at()
        )
        return encode_session_envelope(snapshot)

    def _expires_at(self) -> int | None:
        ttl = self._expiry.ttl_ms
        return None if ttl is None else self._connected_at + int(ttl)

    def _arm_expiry(self, expires_at: int | None) -> None:
        self._cancel_expiry()
        expires_at = expires_at if expires_at is not None else self._expires_at()
        if expires_at is None:
            return
        delay = max(expires_at - self._timers.now_ms(), 0)
        self._expiry_timer = self._timers.call_later(delay, lambda: self._expired(expires_at))

    def _expired(self, expired_at: int) -> None:
        self._expiry_timer = None
        if self._destroyed:
            return
        self._emit(SessionExpired(expired_at))
        if self._expiry.on_reauth_required is None:
            self._end_session(SessionExpiredError(expired_at))
        else:
            self._spawn(self._reauth(expired_at))

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = current_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _begin(self) -> int:
        """Start a new run: every older run sees it is superseded at its next await."""
        self._generation += 1
        self._cancel_backoff()
        return self._generation

    def _is_current(self, generation: int) -> bool:
        return generation == self._generation and not self._destroyed

    def _cancel_backoff(self) -> None:
        if self._backoff is not None:
            self._backoff()
            self._backoff = None

    def _cancel_expiry(self) -> None:
        if self._expiry_timer is not None:
            self._expiry_timer()
            self._expiry_timer = None

    def _cancel_timers(self) -> None:
        self._cancel_backoff()
        self._cancel_expiry()
