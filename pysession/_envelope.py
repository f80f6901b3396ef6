"""The session envelope: what the store persists, versioned, never with a status.

Wire shape (WIRE.md): compact JSON, keys in order, UTF-8 written as itself.
Readers never raise; anything unreadable reads as "nothing persisted". Status is
not persisted: it is derived by asking the live provider on restore.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from ._account import Account, accounts_from_wire, check_id
from ._storage import SessionStorage, settle

CURRENT_SESSION_ENVELOPE_VERSION = 1


@dataclass(frozen=True, slots=True)
class PersistedSessionSnapshot:
    """The facts of a session worth restoring after a reload."""

    account: Account | None
    accounts: tuple[Account, ...]
    network_id: str | None
    connected_at: int
    expires_at: int | None = None


@dataclass(frozen=True, slots=True)
class SessionDiff:
    """One field where the persisted session and the live wallet disagree."""

    field: str
    persisted: str | None
    live: str | None


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    """Whether a persisted session still matches the live wallet, and where not."""

    matches: bool
    diffs: tuple[SessionDiff, ...]


def now_ms() -> int:
    return int(time.time() * 1000)


def encode_session_envelope(snapshot: PersistedSessionSnapshot) -> str:
    envelope: dict[str, Any] = {
        "version": CURRENT_SESSION_ENVELOPE_VERSION,
        "account": snapshot.account.to_wire() if snapshot.account else None,
        "accounts": [a.to_wire() for a in snapshot.accounts],
        "networkId": snapshot.network_id,
        "connectedAt": snapshot.connected_at,
    }
    if snapshot.expires_at is not None:
        envelope["expiresAt"] = snapshot.expires_at
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _epoch_ms(value: Any) -> int | None:
    return int(value) if _is_number(value) and abs(value) < 2**53 else None


def _read_v1(obj: dict[str, Any]) -> PersistedSessionSnapshot:
    account = obj.get("account")
    return PersistedSessionSnapshot(
        account=None if account is None else Account.from_wire(account),
        accounts=accounts_from_wire(obj["accounts"]),
        network_id=check_id(obj.get("networkId"), "networkId", optional=True),
        connected_at=_epoch_ms(obj.get("connectedAt")) or 0,
        expires_at=_epoch_ms(obj.get("expiresAt")),
    )


def migrate_session_envelope(obj: Any) -> PersistedSessionSnapshot | None:
    """Map a parsed envelope of a known version forward; None for anything else."""
    if not isinstance(obj, dict):
        return None
    version = obj.get("version")
    if not _is_number(version) or version != 1 or not isinstance(obj.get("accounts"), list):
        return None
    try:
        return _read_v1(obj)
    except (ValueError, TypeError, OverflowError):
        return None


MAX_JSON_NESTING = 64
"""Deepest JSON read from outside; wallet data and envelopes need fewer than 8 levels."""

_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def is_shallow_json(text: str, limit: int = MAX_JSON_NESTING) -> bool:
    """Whether JSON ``text`` nests at most ``limit`` deep (strings skipped), checked without recursion.

    ``json.loads`` must never see deeper text: under Pyodide 314 it overflows the
    WebAssembly stack at a few thousand levels, before any RecursionError, and the
    interpreter dies for good.
    """
    if text.count("[") + text.count("{") <= limit:
        return True
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > limit:
                return False
        elif mark in "]}":
            depth -= 1
    return True


def load_json(text: Any) -> Any:
    """The JSON value of ``text``, or None when it is not (shallow) JSON text at all."""
    if not isinstance(text, str) or not is_shallow_json(text):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def decode_session_envelope(text: Any) -> PersistedSessionSnapshot | None:
    return migrate_session_envelope(load_json(text))


def is_expired(snapshot: PersistedSessionSnapshot, now: int) -> bool:
    return snapshot.expires_at is not None and now >= snapshot.expires_at


async def restore_session(
    storage: SessionStorage, key: str, now: int | None = None
) -> PersistedSessionSnapshot | None:
    """The persisted snapshot, or None with the bad entry removed; never raises.

    A storage that fails to read is not a bad entry: nothing is removed then, so a
    transient fault never deletes a good session.
    """
    try:
        raw = await settle(storage.get_item(key))
    except Exception:
        return None
    if raw is None:
        return None
    snapshot = decode_session_envelope(raw)
    if snapshot is None or is_expired(snapshot, now_ms() if now is None else now):
        try:
            await settle(storage.remove_item(key))
        except Exception:
            pass
        return None
    return snapshot


def reconcile_session(
    snapshot: PersistedSessionSnapshot, *, account: Account | None, network_id: str | None
) -> ReconcileResult:
    """Compare what was persisted with what the live provider reports now."""
    pairs = (
        ("party_id", snapshot.account.party_id if snapshot.account else None, account.party_id if account else None),
        ("network_id", snapshot.network_id, network_id),
    )
    diffs = tuple(SessionDiff(name, persisted, live) for name, persisted, live in pairs if persisted != live)
    return ReconcileResult(matches=not diffs, diffs=diffs)
