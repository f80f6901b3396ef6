"""The at-rest ciphertext format: ``{"f":1,"iv":"<base64>","ct":"<base64>"}``.

Pure code: the browser edge encrypts and decrypts, this module only frames. A
blob that does not parse exactly is "nothing persisted", never an exception.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from ._envelope import load_json

CRYPTO_ENVELOPE_FORMAT = 1
IV_LENGTH = 12
TAG_LENGTH = 16


def encode_crypto_envelope(iv: bytes, ciphertext: bytes) -> str:
    iv_text = base64.b64encode(iv).decode("ascii")
    ct_text = base64.b64encode(ciphertext).decode("ascii")
    return f'{{"f":{CRYPTO_ENVELOPE_FORMAT},"iv":"{iv_text}","ct":"{ct_text}"}}'


# Padded standard base64, as both writers produce it. The pattern, not binascii's strict
# mode, decides: CPython 3.11 still accepts excess padding that the TypeScript reader's
# atob() refuses, and a blob one tab discards must not restore in another.
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _strict_b64(value: Any) -> bytes | None:
    if not isinstance(value, str) or not _BASE64.fullmatch(value):
        return None
    return base64.b64decode(value)


def decode_crypto_envelope(text: Any) -> tuple[bytes, bytes] | None:
    """``(iv, ciphertext-with-tag)``, or None for anything that is not a format-1 envelope."""
    obj = load_json(text)
    if not isinstance(obj, dict) or type(obj.get("f")) is not int or obj["f"] != CRYPTO_ENVELOPE_FORMAT:
        return None
    iv, ciphertext = _strict_b64(obj.get("iv")), _strict_b64(obj.get("ct"))
    if iv is None or ciphertext is None or len(iv) != IV_LENGTH or len(ciphertext) < TAG_LENGTH:
        return None
    return iv, ciphertext
