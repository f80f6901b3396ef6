"""Encrypted storages: AES-GCM over a blob location, the key in the key database.

Key handling: one ``CryptoKey`` per origin, generated non-extractable and kept in
``partylayer-session-key::<origin>``. Tabs that start together never end up with
different keys: a candidate key is stored only if, inside one readwrite
transaction, none is found, and every tab adopts whatever is stored. The loaded
key is kept for the storage's life and forgotten when the key database closes.

Speed: a write awaits the encryption, then the put; a read awaits the get, then
the decryption (localStorage's own calls are synchronous). Promises are awaited
as they are: chaining them from Python (Pyodide's ``JsPromise.then``) costs more
than a second await.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Literal, overload

from .._crypto_envelope import decode_crypto_envelope, encode_crypto_envelope
from .._errors import SessionError
from .._storage import settle
from . import local_storage, webcrypto
from ._ffi import current_origin, error_text, js_api, js_global
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


def _storage_error(operation: str, exc: Exception) -> SessionError:
    """A readable error for a failed storage call: the DOMException's name and message."""
    error = SessionError(f"encrypted storage {operation} failed: {error_text(exc)}")
    error.__cause__ = exc
    return error


class IndexedDBBlobs:
    """Ciphertext in ``partylayer-session-data::<origin>``, object store ``blobs``."""

    def __init__(self, origin: str) -> None:
        self._db = Database(data_database_name(origin), "blobs")

    async def ready(self) -> None:
        await self._db.connection()

    def read(self, key: str) -> Awaitable[Any]:
        return self._db.read(key)

    def write(self, key: str, blob: str) -> Awaitable[None]:
        return self._db.write(key, blob)

    def remove(self, key: str) -> Awaitable[None]:
        return self._db.remove(key)

    def close(self) -> None:
        self._db.close()


class LocalStorageBlobs:
    """Ciphertext in ``localStorage['partylayer.session.enc::<origin>::<key>']``: no await at all."""

    def __init__(self, origin: str) -> None:
        self._origin = origin

    async def ready(self) -> None:
        local_storage.local_storage()

    def read(self, key: str) -> str | None:
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
        self._keys = Database(key_database_name(origin), "keys", on_close=self._forget_key, usable=webcrypto.is_key)
        self._cipher: webcrypto.Cipher | None = None
        self._loading: asyncio.Future[None] | None = None

    async def get_item(self, key: str) -> str | None:
        """The plaintext, or None when absent or unreadable (the unreadable entry is deleted)."""
        try:
            cipher = await self._ready(create=False)
            blob = await settle(self._blobs.read(key))
            if blob is None:
                return None
            parsed = decode_crypto_envelope(blob)
            if parsed is None or cipher is None:
                await self._discard(key)
                return None
            try:
                plaintext = await cipher.decrypt(*parsed)
            except Exception as exc:
                if getattr(exc, "name", None) not in webcrypto.BAD_BLOB_ERRORS:
                    raise
                await self._discard(key)
                return None
            return cipher.decode(plaintext)
        except Exception as exc:
            raise _storage_error("read", exc) from exc

    async def set_item(self, key: str, value: str) -> None:
        try:
            cipher = await self._ready(create=True)
            iv = cipher.fresh_iv()
            ciphertext = await cipher.encrypt(iv, value)
            await settle(self._blobs.write(key, encode_crypto_envelope(iv.to_bytes(), ciphertext.to_bytes())))
        except Exception as exc:
            raise _storage_error("write", exc) from exc

    async def remove_item(self, key: str) -> None:
        try:
            await self._blobs.ready()
            await settle(self._blobs.remove(key))
        except Exception as exc:
            raise _storage_error("remove", exc) from exc

    def destroy(self) -> None:
        """Close both databases; the next use opens them again."""
        self._blobs.close()
        self._keys.close()

    async def _discard(self, key: str) -> None:
        """Delete an unreadable entry; the read then answers "nothing persisted"."""
        await settle(self._blobs.remove(key))

    # -- the key ---------------------------------------------------------------

    @overload
    async def _ready(self, *, create: Literal[True]) -> webcrypto.Cipher: ...
    @overload
    async def _ready(self, *, create: Literal[False]) -> webcrypto.Cipher | None: ...

    async def _ready(self, *, create: bool) -> webcrypto.Cipher | None:
        """The blob location open and the origin's key loaded; no await once warm.

        A read never creates a key: without one no blob is readable, so the read
        answers None (and clears such a blob) without the cost of a new key.
        """
        await self._blobs.ready()
        while self._cipher is None:
            if self._loading is None or self._loading.done():
                self._loading = asyncio.ensure_future(self._load_key(create))
            await asyncio.shield(self._loading)
            if not create:
                break
        return self._cipher

    async def _load_key(self, create: bool) -> None:
        key = await self._keys.read(KEY_RECORD)
        if not webcrypto.is_key(key):
            # None, or a corrupted record (not an AES-GCM CryptoKey): no key. A write replaces it.
            key = None
        if key is None and create:
            candidate = await webcrypto.generate_key()
            key = await self._keys.get_or_add(KEY_RECORD, candidate)
        if key is not None:
            self._cipher = webcrypto.Cipher(key)

    def _forget_key(self) -> None:
        self._cipher = None


def _check_encrypted_backend() -> None:
    """``BrowserUnavailableError`` naming what is missing: IndexedDB or WebCrypto."""
    js_api("indexedDB", "IndexedDB")
    webcrypto.subtle()


def create_encrypted_indexeddb_storage(origin: str | None = None) -> EncryptedStorage:
    """The secure default: ciphertext and key both in IndexedDB. Opens nothing until first use."""
    _check_encrypted_backend()
    origin = current_origin(origin)
    return EncryptedStorage(origin, IndexedDBBlobs(origin))


def create_encrypted_local_storage(origin: str | None = None) -> EncryptedStorage:
    """Ciphertext in localStorage; the key still in IndexedDB (localStorage cannot hold a CryptoKey)."""
    _check_encrypted_backend()
    js_api("localStorage")
    origin = current_origin(origin)
    return EncryptedStorage(origin, LocalStorageBlobs(origin))
