"""IndexedDB as promises and one long-lived connection per database.

Traps this module exists for:
- A transaction commits when it has nothing to do between tasks, and Python
  resumes after an ``await`` on a new task; so every request of a transaction is
  issued before anything is awaited, and read-then-write happens inside the
  read's success callback.
- A connection left open blocks another tab that deletes or upgrades the
  database; so a ``versionchange`` closes it at once, and the next use reopens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ._jsasync import settle_on_events, then
from ._runtime import is_js_null, require


def request_done(request: Any) -> Any:
    """idb's ``wrap()``: a promise of the request's result, rejected with its error."""
    return settle_on_events(
        request,
        resolve_on={"success": lambda _: request.result},
        reject_on={"error": lambda _: request.error},
    )


def transaction_done(transaction: Any) -> Any:
    """A promise settled when the transaction commits, rejected on error or abort."""

    def failed(_: Any) -> Any:
        error = transaction.error
        if error is None or is_js_null(error):
            return require("DOMException").new("the transaction was aborted", "AbortError")
        return error

    return settle_on_events(
        transaction,
        resolve_on={"complete": lambda _: None},
        reject_on={"error": failed, "abort": failed},
    )


class Database:
    """One object store in one database, behind one shared connection opened on first use."""

    def __init__(self, name: str, store: str, on_close: Callable[[], None] = lambda: None) -> None:
        self.name = name
        self.store = store
        self._on_close = on_close
        self._connection: Any = None
        self._opening: asyncio.Future[Any] | None = None
        self._listeners: list[tuple[str, Any]] = []

    async def connection(self) -> Any:
        """The open connection; concurrent first uses share one open."""
        if self._connection is not None:
            return self._connection
        if self._opening is None or self._opening.done():
            self._opening = asyncio.ensure_future(self._open())
        return await asyncio.shield(self._opening)

    async def _open(self) -> Any:
        request = require("indexedDB", "IndexedDB").open(self.name, 1)
        store = self.store

        def upgrade(_: Any) -> None:
            db = request.result
            if not db.objectStoreNames.contains(store):
                db.createObjectStore(store)

        connection = await settle_on_events(
            request,
            resolve_on={"success": lambda _: request.result},
            reject_on={"error": lambda _: request.error},
            also={"upgradeneeded": upgrade},
        )
        self._adopt(connection)
        return connection

    def _adopt(self, connection: Any) -> None:
        from pyodide.ffi import create_proxy

        self._connection = connection
        for event_type in ("versionchange", "close"):
            proxy = create_proxy(lambda _event: self.close())
            connection.addEventListener(event_type, proxy)
            self._listeners.append((event_type, proxy))

    def close(self) -> None:
        """Drop the connection (another tab wants the database, or we are done); reopen on use."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        for event_type, proxy in self._listeners:
            connection.removeEventListener(event_type, proxy)
            proxy.destroy()
        self._listeners.clear()
        connection.close()
        self._on_close()

    def _store(self, connection: Any, mode: str) -> tuple[Any, Any]:
        transaction = connection.transaction(self.store, mode)
        return transaction, transaction.objectStore(self.store)

    def get(self, connection: Any, key: str) -> Any:
        """A promise of the value at ``key`` (undefined when absent)."""
        _, store = self._store(connection, "readonly")
        return request_done(store.get(key))

    def put(self, connection: Any, key: str, value: Any) -> Any:
        """A promise settled when the put has committed."""
        transaction, store = self._store(connection, "readwrite")
        store.put(value, key)
        return transaction_done(transaction)

    def delete(self, connection: Any, key: str) -> Any:
        transaction, store = self._store(connection, "readwrite")
        store.delete(key)
        return transaction_done(transaction)

    async def get_or_add(self, connection: Any, key: str, candidate: Any) -> Any:
        """The stored value, storing ``candidate`` first if there is none.

        Read and add run in one readwrite transaction, which IndexedDB serialises
        against every other tab's: exactly one candidate ever wins.
        """
        transaction, store = self._store(connection, "readwrite")
        chosen: list[Any] = []

        def decide(existing: Any) -> None:
            if existing is None or is_js_null(existing):
                store.add(candidate, key)
                chosen.append(candidate)
            else:
                chosen.append(existing)

        then(request_done(store.get(key)), decide, lambda _error: None)
        await transaction_done(transaction)
        return chosen[0]
