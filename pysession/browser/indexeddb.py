"""IndexedDB with one long-lived connection per database, settled without per-call proxies.

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
  promise rejected with a non-Error; so failures resolve too (``settled`` raises).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .._errors import SessionError
from ._jsasync import IndexedDBError, deferred, settle_on, settled
from ._runtime import is_js_null, require


OPEN_TIMEOUT_MS = 10_000
"""How long an open may go unanswered before it counts as failed: an open waits,
with no event at all, behind another tab's delete or upgrade of the database that
a third connection blocks, possibly forever."""


def is_absent(value: Any) -> bool:
    return value is None or is_js_null(value)


def _stalled(name: str) -> Any:
    """The error event an open resolves with when it got no answer in time."""
    event, target = require("Object").new(), require("Object").new()
    target.error = require("DOMException").new(
        f"opening IndexedDB {name} got no answer within {OPEN_TIMEOUT_MS / 1000:g} s: it is blocked "
        "(another tab is deleting or upgrading it while a connection stays open)",
        "TimeoutError",
    )
    event.type, event.target = "error", target
    return event


def _abandon(request: Any, upgrade_proxy: Any) -> None:
    """Let a stalled open finish on its own: a connection it opens late is closed at once."""
    from pyodide.ffi import create_once_callable

    def finished(_event: Any = None) -> None:
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
        self._connection: Any = None
        self._opening: asyncio.Future[Any] | None = None
        self._close_listener: Any = None
        self._closes = 0

    async def connection(self) -> Any:
        """The open connection; concurrent first uses share one open."""
        if self._connection is not None:
            return self._connection
        if self._opening is None or self._opening.done():
            self._opening = asyncio.ensure_future(self._open())
        return await asyncio.shield(self._opening)

    async def _open(self) -> Any:
        from pyodide.ffi import create_proxy

        closes = self._closes
        request = require("indexedDB", "IndexedDB").open(self.name, 1)
        store = self.store

        def upgrade(_: Any) -> None:
            db = request.result
            if not db.objectStoreNames.contains(store):
                db.createObjectStore(store)

        pending = deferred()
        upgrade_proxy = create_proxy(upgrade)
        request.onupgradeneeded = upgrade_proxy
        settle_on(request, pending.resolve)
        timer = require("setTimeout")(pending.resolve, OPEN_TIMEOUT_MS, _stalled(self.name))
        try:
            await settled(pending.promise)
        except IndexedDBError as exc:
            if exc.name == "TimeoutError":
                _abandon(request, upgrade_proxy)
                upgrade_proxy = None
            raise
        finally:
            require("clearTimeout")(timer)
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

    def _object_store(self, connection: Any, mode: str) -> tuple[Any, Any]:
        transaction = connection.transaction(self.store, mode)
        return transaction, transaction.objectStore(self.store)

    async def read(self, key: str) -> Any:
        """The value at ``key``, or None."""
        _, store = self._object_store(await self.connection(), "readonly")
        request = store.get(key)
        pending = deferred()
        settle_on(request, pending.resolve)
        await settled(pending.promise)
        return None if is_absent(request.result) else request.result

    async def write(self, key: str, value: Any) -> None:
        """Put ``value`` at ``key``; returns once the transaction has committed."""
        await self._commit(lambda store: store.put(value, key))

    async def remove(self, key: str) -> None:
        await self._commit(lambda store: store.delete(key))

    async def _commit(self, issue: Callable[[Any], Any]) -> None:
        transaction, store = self._object_store(await self.connection(), "readwrite")
        issue(store)
        pending = deferred()
        settle_on(transaction, pending.resolve, "complete")
        await settled(pending.promise)

    async def get_or_add(self, key: str, candidate: Any) -> Any:
        """The stored value, storing ``candidate`` first if there is none, or only one ``usable`` refuses (corrupted).

        Read and add run in one readwrite transaction, which IndexedDB serialises
        against every other tab's: exactly one candidate ever wins.
        """
        from pyodide.ffi import create_proxy

        transaction, store = self._object_store(await self.connection(), "readwrite")
        request = store.get(key)

        def decide(_: Any) -> None:
            if not self._usable(request.result):
                store.put(candidate, key)

        decide_proxy = create_proxy(decide)
        request.onsuccess = decide_proxy
        pending = deferred()
        settle_on(transaction, pending.resolve, "complete")
        try:
            await settled(pending.promise)
        finally:
            decide_proxy.destroy()
        return request.result if self._usable(request.result) else candidate
