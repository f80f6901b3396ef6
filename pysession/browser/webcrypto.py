"""AES-GCM-256 with a non-extractable key, through ``crypto.subtle``.

The key is a ``CryptoKey`` handle: generated with ``extractable=false``, stored by
structured clone, never exported, never turned into Python bytes. Each encrypt
draws a fresh 12-byte IV from ``crypto.getRandomValues``.
"""

from __future__ import annotations

from typing import Any

from .._crypto_envelope import IV_LENGTH, encode_crypto_envelope
from .._errors import BrowserUnavailableError
from ._jsasync import then
from ._runtime import js_global, require
from .jsvalues import to_js_object

ALGORITHM = "AES-GCM"
BAD_BLOB_ERRORS = frozenset({"OperationError", "DataError", "InvalidAccessError"})
"""What ``decrypt`` rejects with for a tampered blob or one under another key."""


def subtle() -> Any:
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


def generate_key() -> Any:
    """A promise of a new non-extractable AES-GCM-256 key for encrypt and decrypt."""
    from pyodide.ffi import to_js

    return subtle().generateKey(
        to_js_object({"name": ALGORITHM, "length": 256}), False, to_js(["encrypt", "decrypt"])
    )


def encrypt(key: Any, plaintext: str) -> Any:
    """A promise of the crypto envelope text for ``plaintext``."""
    iv = require("crypto").getRandomValues(require("Uint8Array").new(IV_LENGTH))
    data = require("TextEncoder").new().encode(plaintext)
    sealed = subtle().encrypt(to_js_object({"name": ALGORITHM, "iv": iv}), key, data)
    return then(sealed, lambda ciphertext: encode_crypto_envelope(iv.to_bytes(), ciphertext.to_bytes()))


def decrypt(key: Any, iv: bytes, ciphertext: bytes) -> Any:
    """A promise of the plaintext; rejects with an ``OperationError`` on a failed tag check."""
    from pyodide.ffi import to_js

    opened = subtle().decrypt(to_js_object({"name": ALGORITHM, "iv": to_js(iv)}), key, to_js(ciphertext))
    return then(opened, require("TextDecoder").new().decode)
