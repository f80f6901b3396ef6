"""Encrypted storages: AES-GCM over a blob location, the key in the key database.

Key handling: one ``CryptoKey`` per origin, generated non-extractable and kept in
``partylayer-session-key::<origin>``. Tabs that start together never end up with
different keys: a candidate key is stored only if, inside one readwrite
transaction, none is found, and every tab adopts whatever is stored. The loaded
key is kept for the storage's life and forgotten when the key database closes.

Speed: each get or set is one JS promise, awaited once; the Python steps inside
it (framing the ciphertext, choosing what to do with a blob) run as long-lived
proxies that JS calls directly (see ``_jsasync``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from .._crypto_envelope import decode_crypto_envelope, encode_crypto_envelope
from .._errors import SessionError
from . import local_storage, webcrypto
from ._jsasync import Callbacks, deferred, js_error
from ._runtime import current_origin, js_global, require
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
    cause = getattr(exc, "js_error", None)
    target_error = getattr(getattr(cause, "target", None), "error", None)
    if target_error is not None:
        cause = target_error
    name = getattr(cause, "name", None) or type(exc).__name__
    message = getattr(cause, "message", None) or str(exc)
    error = SessionError(f"encrypted storage {operation} failed: {name}: {message}")
    error.__cause__ = exc
    return error


class IndexedDBBlobs:
    """Ciphertext in ``partylayer-session-data::<origin>``, object store ``blobs``."""

    def __init__(self, origin: str) -> None:
        self._db = Database(data_database_name(origin), "blobs")

    async def ready(self) -> None:
        await self._db.connection()

    def read(self, key: str, on_blob: Any, reject: Any) -> None:
        """Call ``on_blob(request, event)`` when the read lands."""
        request = self._db.get(key, None, reject)
        request.onsuccess = on_blob.bind(None, request)

    def write(self, key: str, blob: str, resolve: Any, reject: Any) -> None:
        self._db.put(key, blob, resolve, reject)

    def remove(self, key: str, resolve: Any, reject: Any) -> None:
        self._db.delete(key, resolve, reject)

    def close(self) -> None:
        self._db.close()


class LocalStorageBlobs:
    """Ciphertext in ``localStorage['partylayer.session.enc::<origin>::<key>']``."""

    def __init__(self, origin: str) -> None:
        self._origin = origin

    async def ready(self) -> None:
        local_storage.local_storage()

    def read(self, key: str, on_blob: Any, reject: Any) -> None:
        on_blob(None, local_storage.get_item(local_storage_key(self._origin, key)))

    def write(self, key: str, blob: str, resolve: Any, reject: Any) -> None:
        local_storage.set_item(local_storage_key(self._origin, key), blob)
        resolve()

    def remove(self, key: str, resolve: Any, reject: Any) -> None:
        local_storage.remove_item(local_storage_key(self._origin, key))
        resolve()

    def close(self) -> None:
        pass


class EncryptedStorage:
    """A ``SessionStorage`` whose values are AES-GCM ciphertext at rest."""

    def __init__(self, origin: str, blobs: IndexedDBBlobs | LocalStorageBlobs) -> None:
        self.origin = origin
        self._blobs = blobs
        self._keys = Database(key_database_name(origin), "keys", on_close=self._forget_key)
        self._cipher: webcrypto.Cipher | None = None
        self._loading: asyncio.Future[webcrypto.Cipher] | None = None
        self._callbacks = Callbacks()

    async def get_item(self, key: str) -> str | None:
        """The plaintext, or None when absent or unreadable (the unreadable entry is deleted)."""
        try:
            await self._ready()
            pending = deferred()
            self._blobs.read(key, self._callbacks.bind(self._opened, key, pending), pending.reject)
            text = await pending.promise
        except Exception as exc:
            raise _storage_error("read", exc) from exc
        return text if isinstance(text, str) else None

    async def set_item(self, key: str, value: str) -> None:
        try:
            cipher = await self._ready()
            pending = deferred()
            iv = cipher.fresh_iv()
            sealed = cipher.encrypt(iv, value)
            sealed.then(self._callbacks.bind(self._sealed, key, iv, pending), pending.reject)
            await pending.promise
        except Exception as exc:
            raise _storage_error("write", exc) from exc

    async def remove_item(self, key: str) -> None:
        try:
            await self._blobs.ready()
            pending = deferred()
            self._blobs.remove(key, pending.resolve, pending.reject)
            await pending.promise
        except Exception as exc:
            raise _storage_error("remove", exc) from exc

    def destroy(self) -> None:
        """Close both databases and drop the callbacks; the next use makes them again."""
        self._blobs.close()
        self._keys.close()
        self._callbacks.destroy()

    # -- steps JS calls inside an operation ------------------------------------

    def _sealed(self, key: str, iv: Any, pending: Any, ciphertext: Any) -> None:
        try:
            blob = encode_crypto_envelope(iv.to_bytes(), ciphertext.to_bytes())
            self._blobs.write(key, blob, pending.resolve, pending.reject)
        except Exception as exc:
            pending.reject(js_error(exc))

    def _opened(self, key: str, pending: Any, request: Any, blob: Any) -> None:
        """A blob landed (``request.result`` for IndexedDB, the value itself for localStorage)."""
        try:
            cipher = self._cipher
            if cipher is None:
                raise SessionError("the key database closed during the read")
            if request is not None:
                blob = request.result
            if blob is None:
                pending.resolve(None)
                return
            parsed = decode_crypto_envelope(blob)
            if parsed is None:
                self._discard(key, pending)
                return
            unreadable = self._callbacks.bind(self._decrypt_failed, key, pending)
            cipher.decrypt(*parsed).then(cipher.decode).then(pending.resolve, unreadable)
        except Exception as exc:
            pending.reject(js_error(exc))

    def _decrypt_failed(self, key: str, pending: Any, error: Any) -> None:
        if getattr(error, "name", None) in webcrypto.BAD_BLOB_ERRORS:
            self._discard(key, pending)
        else:
            pending.reject(error)

    def _discard(self, key: str, pending: Any) -> None:
        """Delete an unreadable entry; the read then answers "nothing persisted"."""
        self._blobs.remove(key, pending.resolve, pending.reject)

    # -- the key ---------------------------------------------------------------

    async def _ready(self) -> webcrypto.Cipher:
        """The cipher over the origin's key, with the blob location open; no await once warm."""
        while True:
            await self._blobs.ready()
            if self._cipher is not None:
                return self._cipher
            if self._loading is None or self._loading.done():
                self._loading = asyncio.ensure_future(self._load_key())
            await asyncio.shield(self._loading)

    async def _load_key(self) -> None:
        key = await self._keys.read(KEY_RECORD)
        if key is None:
            candidate = await webcrypto.generate_key()
            key = await self._keys.get_or_add(KEY_RECORD, candidate)
        self._cipher = webcrypto.Cipher(key)

    def _forget_key(self) -> None:
        self._cipher = None


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
