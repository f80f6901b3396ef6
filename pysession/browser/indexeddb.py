"""IndexedDB in idb's shape: one awaitable per request, one per transaction, one connection per database.

Traps this module exists for:
- A transaction commits when it has nothing to do between tasks, and Python
  resumes after an ``await`` on a new task; so every request of a transaction is
  issued before anything is awaited, and read-then-write happens inside the
  read's success handler.
- A connection left open blocks another tab that deletes or upgrades the
  database; so a ``versionchange`` closes it at once, and the next use reopens.
- An open can wait forever behind another tab's blocked delete or upgrade; so it
  has a deadline (``OPEN_TIMEOUT_MS``) and then fails, and a late success is closed.
- Requests fail with an ``Event``, and Pyodide 314 never wakes an ``await`` on a
  promise rejected with a non-Error; so a failure resolves the promise too, with
  its event, and ``_done`` raises.
- Making and destroying a callback proxy costs about 40 us: a request's or
  transaction's handlers are a ``Promise.withResolvers()``'s ``resolve``, a JS
  function, so nothing of Python is called back and Python awaits once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .._errors import SessionError
from ._ffi import DOMExceptionError, JsValue, create_once_callable, create_proxy, is_js_null, js, js_api

OPEN_TIMEOUT_MS = 10_000
"""How long an open may go unanswered before it counts as failed: an open waits,
with no event at all, behind another tab's delete or upgrade of the database that
a third connection blocks, possibly forever."""


def is_absent(value: object) -> bool:
    return value is None or is_js_null(value)


async def _done(target: JsValue, success: str, deadline: tuple[int, JsValue] | None = None) -> JsValue:
    """The ``success`` event of a request or transaction; ``DOMExceptionError`` for its error or abort.

    ``deadline`` is ``(ms, event)``: after ``ms`` with no answer, ``event`` counts as the answer.
    """
    pending = js.Promise.withResolvers()
    setattr(target, "on" + success, pending.resolve)
    target.onerror = pending.resolve
    if success == "complete":
        target.onabort = pending.resolve
    timer = None if deadline is None else js.setTimeout(pending.resolve, *deadline)
    try:
        event = await pending.promise
    finally:
        if timer is not None:
            js.clearTimeout(timer)
    kind = getattr(event, "type", None)
    if kind in ("error", "abort"):
        error = getattr(getattr(event, "target", None), "error", None)
        name = getattr(error, "name", None) or ("AbortError" if kind == "abort" else "UnknownError")
        message = getattr(error, "message", None) or (
            f"the IndexedDB {'transaction was aborted' if kind == 'abort' else 'request failed'}"
        )
        raise DOMExceptionError(str(name), str(message))
    return event


def request_done(request: JsValue, deadline: tuple[int, JsValue] | None = None) -> Any:
    """Await a request: its success event, or ``DOMExceptionError``."""
    return _done(request, "success", deadline)


def transaction_done(transaction: JsValue) -> Any:
    """Await a transaction's commit, or ``DOMExceptionError`` for its error or abort."""
    return _done(transaction, "complete")


def _stalled(name: str) -> JsValue:
    """The error event an open answers with when it got no answer in time."""
    event, target = js.Object.new(), js.Object.new()
    target.error = js.DOMException.new(
        f"opening IndexedDB {name} got no answer within {OPEN_TIMEOUT_MS / 1000:g} s: it is blocked "
        "(another tab is deleting or upgrading it while a connection stays open)",
        "TimeoutError",
    )
    event.type, event.target = "error", target
    return event


def _abandon(request: JsValue, upgrade_proxy: JsValue) -> None:
    """Let a stalled open finish on its own: a connection it opens late is closed at once."""

    def finished(_event: object = None) -> None:
        request.onupgradeneeded = None
        upgrade_proxy.destroy()
        try:
            request.result.close()
        except Exception:
            pass  # the open failed after all: nothing to close

    request.onsuccess = request.onerror = create_once_callable(finished)


class Database:
    """One object store in one database, behind one shared connection opened on first use."""

    def __init__(
        self,
        name: str,
        store: str,
        on_close: Callable[[], None] = lambda: None,
        usable: Callable[[Any], bool] = lambda value: not is_absent(value),
    ) -> None:
        self.name = name
        self.store = store
        self._on_close = on_close
        self._usable = usable  # what get_or_add keeps; anything else (a corrupted record) it replaces
        self._connection: JsValue | None = None
        self._opening: asyncio.Future[JsValue] | None = None
        self._close_listener: JsValue = None  # a proxy exactly while a connection is open
        self._closes = 0

    async def connection(self) -> JsValue:
        """The open connection; concurrent first uses share one open."""
        if self._connection is not None:
            return self._connection
        if self._opening is None or self._opening.done():
            self._opening = asyncio.ensure_future(self._open())
        return await asyncio.shield(self._opening)

    async def _open(self) -> JsValue:
        closes = self._closes
        request = js_api("indexedDB", "IndexedDB").open(self.name, 1)
        store = self.store

        def upgrade(_: object) -> None:
            db = request.result
            if not db.objectStoreNames.contains(store):
                db.createObjectStore(store)

        upgrade_proxy: JsValue | None = create_proxy(upgrade)
        request.onupgradeneeded = upgrade_proxy
        try:
            await request_done(request, (OPEN_TIMEOUT_MS, _stalled(self.name)))
        except DOMExceptionError as exc:
            if exc.name == "TimeoutError":
                _abandon(request, upgrade_proxy)
                upgrade_proxy = None
            raise
        finally:
            if upgrade_proxy is not None:
                request.onupgradeneeded = None
                upgrade_proxy.destroy()
        connection = request.result
        if closes != self._closes:
            # close() ran while the open was in flight (say, destroy()): nobody owns this connection.
            connection.close()
            raise SessionError(f"IndexedDB {self.name} was closed while it opened")
        self._connection = connection
        self._close_listener = create_proxy(lambda _event: self.close())
        connection.onversionchange = self._close_listener
        connection.onclose = self._close_listener
        return connection

    def close(self) -> None:
        """Drop the connection (another tab wants the database, or we are done); reopen on use."""
        self._closes += 1
        connection, self._connection = self._connection, None
        if connection is None:
            return
        connection.onversionchange = None
        connection.onclose = None
        self._close_listener.destroy()
        self._close_listener = None
        connection.close()
        self._on_close()

    def _object_store(self, connection: JsValue, mode: str) -> tuple[JsValue, JsValue]:
        transaction = connection.transaction(self.store, mode)
        return transaction, transaction.objectStore(self.store)

    async def read(self, key: str) -> Any:
        """The value at ``key``, or None."""
        _, store = self._object_store(await self.connection(), "readonly")
        request = store.get(key)
        await request_done(request)
        return None if is_absent(request.result) else request.result

    async def write(self, key: str, value: Any) -> None:
        """Put ``value`` at ``key``; returns once the transaction has committed."""
        transaction, store = self._object_store(await self.connection(), "readwrite")
        store.put(value, key)
        await transaction_done(transaction)

    async def remove(self, key: str) -> None:
        transaction, store = self._object_store(await self.connection(), "readwrite")
        store.delete(key)
        await transaction_done(transaction)

    async def get_or_add(self, key: str, candidate: JsValue) -> Any:
        """The stored value, storing ``candidate`` first if there is none, or only one ``usable`` refuses (corrupted).

        Read and add run in one readwrite transaction, which IndexedDB serialises
        against every other tab's: exactly one candidate ever wins.
        """
        transaction, store = self._object_store(await self.connection(), "readwrite")
        request = store.get(key)

        def decide(_: object) -> None:
            if not self._usable(request.result):
                store.put(candidate, key)

        decide_proxy = create_proxy(decide)
        request.onsuccess = decide_proxy
        try:
            await transaction_done(transaction)
        finally:
            decide_proxy.destroy()
        return request.result if self._usable(request.result) else candidate
