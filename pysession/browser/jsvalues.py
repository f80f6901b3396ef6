"""JS values in and out: plain dicts become plain JS objects; untrusted JS becomes plain Python.

Inbound values from other tabs or wallets may be anything, so readers copy only
the fields they expect and only when their JS type is right.
"""

from __future__ import annotations

import json
from typing import Any

from .._envelope import load_json
from ._ffi import JsValue, is_js_proxy, js, jsnull

_MESSAGE_FIELDS = ("v", "kind", "partyId", "networkId")


def to_js_object(value: Any, realm_json: Any = None) -> JsValue:
    """A JSON-like Python value as plain JS objects and arrays; None is ``null``, as in JSON.

    It crosses as JSON text, like ``to_py`` the other way: several times faster than
    ``to_js`` with a dict converter, and no proxy can come of it. ``realm_json`` is
    another realm's ``JSON`` (a worker's main thread): the objects are made there.
    """
    return (realm_json or js.JSON).parse(json.dumps(value, ensure_ascii=False))


def to_py(value: object, realm_json: Any = None) -> Any:
    """A JS value as JSON-like Python (dicts, lists, str, numbers, bool, None).

    Objects cross as JSON text: ``JSON.stringify`` then ``json.loads`` is four times
    faster than ``to_py()`` plus a walk to turn nested ``jsnull`` into None, and
    drops what is not data (functions, undefined). Wallet data is JSON by nature;
    anything JSON cannot carry (a cycle, a BigInt) reads as None. ``realm_json`` is
    the ``JSON`` of the realm the value lives in: from a worker, a main-thread value
    is then read in one crossing instead of one per field.
    """
    if value is jsnull:
        return None
    if not is_js_proxy(value):
        return value
    try:
        text = (realm_json or js.JSON).stringify(value)
    except Exception:
        return None
    return None if text is None else load_json(text)


def read_message_fields(data: object) -> Any:
    """The fields a sync message may have, read from a plain JS object; anything else as is."""
    if not is_js_proxy(data) or getattr(data, "typeof", None) != "object":
        return data
    if data is jsnull or js.Array.isArray(data):
        return None
    own = js.Object.prototype.hasOwnProperty
    fields = {}
    for name in _MESSAGE_FIELDS:
        if own.call(data, name):
            value = getattr(data, name)
            fields[name] = None if value is jsnull else (value if not is_js_proxy(value) else object())
    return fields
