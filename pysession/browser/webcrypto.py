"""AES-GCM-256 with a non-extractable key, through ``crypto.subtle``.

The key is a ``CryptoKey`` handle: generated with ``extractable=false``, stored by
structured clone, never exported, never turned into Python bytes. Each encrypt
draws a fresh 12-byte IV from ``crypto.getRandomValues``.
"""

from __future__ import annotations

from collections.abc import Callable

from .._crypto_envelope import IV_LENGTH
from .._errors import BrowserUnavailableError
from ._ffi import JsValue, js, js_global, to_js
from .jsvalues import to_js_object

ALGORITHM = "AES-GCM"
BAD_BLOB_ERRORS = frozenset({"OperationError", "DataError", "InvalidAccessError"})
"""What ``decrypt`` rejects with for a tampered blob or one under another key."""


def subtle() -> JsValue:
    crypto = js_global("crypto")
    subtle = getattr(crypto, "subtle", None) if crypto is not None else None
    if subtle is None:
        raise BrowserUnavailableError("WebCrypto (crypto.subtle)")
    return subtle


def has_webcrypto() -> bool:
    try:
        subtle()
    except BrowserUnavailableError:
        return False
    return True


def generate_key() -> JsValue:
    """A promise of a new non-extractable AES-GCM-256 key for encrypt and decrypt."""
    return subtle().generateKey(
        to_js_object({"name": ALGORITHM, "length": 256}), False, to_js(["encrypt", "decrypt"])
    )


def is_key(value: JsValue) -> bool:
    """Whether ``value`` is an AES-GCM ``CryptoKey`` (what the key database should hold, and may not)."""
    if value is None:
        return False
    try:
        if js.Object.prototype.toString.call(value) != "[object CryptoKey]":
            return False
        name: str = value.algorithm.name
        return name == ALGORITHM
    except Exception:
        return False


class Cipher:
    """Encrypt and decrypt with one key; the JS helpers are made once, not per call."""

    def __init__(self, key: JsValue) -> None:
        self.key = key
        crypto, api = js.crypto, subtle()
        self._encrypt = api.encrypt.bind(api)
        self._decrypt = api.decrypt.bind(api)
        self._random = crypto.getRandomValues.bind(crypto)
        self._new_bytes = js.Uint8Array.new
        encoder, decoder = js.TextEncoder.new(), js.TextDecoder.new()
        self._encode = encoder.encode.bind(encoder)
        self.decode: Callable[[JsValue], str] = decoder.decode.bind(decoder)
        # WebCrypto copies the algorithm and its IV when called, so one object serves every call.
        self._params = to_js_object({"name": ALGORITHM, "iv": None})

    def fresh_iv(self) -> JsValue:
        return self._random(self._new_bytes(IV_LENGTH))

    def encrypt(self, iv: JsValue, plaintext: str) -> JsValue:
        """A promise of the ciphertext (with its tag) as an ArrayBuffer."""
        self._params.iv = iv
        return self._encrypt(self._params, self.key, self._encode(plaintext))

    def decrypt(self, iv: bytes, ciphertext: bytes) -> JsValue:
        """A promise of the plaintext bytes; rejects with ``OperationError`` on a failed tag check."""
        self._params.iv = to_js(iv)
        return self._decrypt(self._params, self.key, to_js(ciphertext))
