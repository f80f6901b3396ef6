"""Encrypted storages: AES-GCM over a blob location, the key in the key database.

Key handling: one ``CryptoKey`` per origin, generated non-extractable and kept in
``partylayer-session-key::<origin>``. Tabs that start together never end up with
different keys: a candidate key is stored only if, inside one readwrite
transaction, none is found, and every tab adopts whatever is stored. The loaded
key is kept for the storage's life and forgotten when the key database closes.

Speed: each get or set is one promise chain, awaited once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .._crypto_envelope import decode_crypto_envelope
from .._errors import SessionError
from .._storage import settle
from . import local_storage, webcrypto
from ._jsasync import then
from ._runtime import current_origin, is_js_proxy, js_global, require
from .indexeddb import Database

KEY_RECORD = "aes-gcm-256"


def key_database_name(origin: str) -> str:
    return f"partylayer-session-key::{origin}"


def data_database_name(origin: str) -> str:
    return f"partylayer-session-data::{origin}"


def local_storage_key(origin: str, key: str) -> str:
    return f"partylayer.session.enc::{origin}::{key}"


def has_encrypted_storage() -> bool:
    return js_global("indexedDB") is not None and webcrypto.has_webcrypto()


def _chain(value: Any, step: Callable[[Any], Any]) -> Any:
    """``step(value)``, after the promise settles if ``value`` is one."""
    return then(value, step) if is_js_proxy(value) and callable(getattr(value, "then", None)) else step(value)


def _storage_error(operation: str, exc: Exception) -> SessionError:
    name = getattr(exc, "name", type(exc).__name__)
    error = SessionError(f"encrypted storage {operation} failed: {name}: {getattr(exc, 'message', exc)}")
    error.__cause__ = exc
    return error


class IndexedDBBlobs:
    """Ciphertext in ``partylayer-session-data::<origin>``, object store ``blobs``."""

    def __init__(self, origin: str) -> None:
        self._db = Database(data_database_name(origin), "blobs")

    async def ready(self) -> None:
        self._connection = await self._db.connection()

    def read(self, key: str) -> Any:
        return self._db.get(self._connection, key)

    def write(self, key: str, blob: str) -> Any:
        return self._db.put(self._connection, key, blob)

    def remove(self, key: str) -> Any:
        return self._db.delete(self._connection, key)

    def close(self) -> None:
        self._db.close()


class LocalStorageBlobs:
    """Ciphertext in ``localStorage['partylayer.session.enc::<origin>::<key>']``."""

    def __init__(self, origin: str) -> None:
        self._origin = origin

    async def ready(self) -> None:
        local_storage.local_storage()

    def read(self, key: str) -> Any:
        return local_storage.get_item(local_storage_key(self._origin, key))

    def write(self, key: str, blob: str) -> None:
        local_storage.set_item(local_storage_key(self._origin, key), blob)

    def remove(self, key: str) -> None:
        local_storage.remove_item(local_storage_key(self._origin, key))

    def close(self) -> None:
        pass


class EncryptedStorage:
    """A ``SessionStorage`` whose values are AES-GCM ciphertext at rest."""

    def __init__(self, origin: str, blobs: IndexedDBBlobs | LocalStorageBlobs) -> None:
        self.origin = origin
        self._blobs = blobs
        self._keys = Database(key_database_name(origin), "keys", on_close=self._forget_key)
        self._key: Any = None
        self._loading: asyncio.Future[Any] | None = None

    async def get_item(self, key: str) -> str | None:
        """The plaintext, or None when absent or unreadable (the unreadable entry is deleted)."""
        try:
            crypto_key = await self._crypto_key()
            await self._blobs.ready()
            return await settle(_chain(self._blobs.read(key), lambda blob: self._open(crypto_key, key, blob)))
        except Exception as exc:
            raise _storage_error("read", exc) from exc

    async def set_item(self, key: str, value: str) -> None:
        try:
            crypto_key = await self._crypto_key()
            await self._blobs.ready()
            await then(webcrypto.encrypt(crypto_key, value), lambda blob: self._blobs.write(key, blob))
        except Exception as exc:
            raise _storage_error("write", exc) from exc

    async def remove_item(self, key: str) -> None:
        try:
            await self._blobs.ready()
            await settle(self._blobs.remove(key))
        except Exception as exc:
            raise _storage_error("remove", exc) from exc

    def destroy(self) -> None:
        """Close both databases; the next use reopens them."""
        self._blobs.close()
        self._keys.close()

    def _open(self, crypto_key: Any, key: str, blob: Any) -> Any:
        if blob is None:
            return None
        parsed = decode_crypto_envelope(blob)
        if parsed is None:
            return self._discard(key)

        def rejected(error: Any) -> Any:
            if getattr(error, "name", None) in webcrypto.BAD_BLOB_ERRORS:
                return self._discard(key)
            return require("Promise").reject(error)

        return then(webcrypto.decrypt(crypto_key, *parsed), lambda text: text, rejected)

    def _discard(self, key: str) -> Any:
        """Delete an unreadable entry; the read then answers "nothing persisted"."""
        return _chain(self._blobs.remove(key), lambda _: None)

    async def _crypto_key(self) -> Any:
        if self._key is not None:
            return self._key
        if self._loading is None or self._loading.done():
            self._loading = asyncio.ensure_future(self._load_key())
        return await asyncio.shield(self._loading)

    async def _load_key(self) -> Any:
        connection = await self._keys.connection()
        key = await self._keys.get(connection, KEY_RECORD)
        if key is None:
            candidate = await webcrypto.generate_key()
            connection = await self._keys.connection()
            key = await self._keys.get_or_add(connection, KEY_RECORD, candidate)
        self._key = key
        return key

    def _forget_key(self) -> None:
        self._key = None


def _require_encrypted_backend() -> None:
    require("indexedDB", "IndexedDB")
    webcrypto.subtle()


def create_encrypted_indexeddb_storage(origin: str | None = None) -> EncryptedStorage:
    """The secure default: ciphertext and key both in IndexedDB. Opens nothing until first use."""
    _require_encrypted_backend()
    origin = current_origin(origin)
    return EncryptedStorage(origin, IndexedDBBlobs(origin))


def create_encrypted_local_storage(origin: str | None = None) -> EncryptedStorage:
    """Ciphertext in localStorage; the key still in IndexedDB (localStorage cannot hold a CryptoKey)."""
    _require_encrypted_backend()
    require("localStorage")
    origin = current_origin(origin)
    return EncryptedStorage(origin, LocalStorageBlobs(origin))

