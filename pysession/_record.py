"""The persisted record of a session: read on restore, written once per session and on each switch.

What is written is the session envelope (or the bare marker ``"1"`` without
``persist_snapshot``). A session is written the first time it holds ``connected``
and an account, then only when its party or network switches, so the same wallet
events replayed write nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from ._envelope import PersistedSessionSnapshot, decode_session_envelope, encode_session_envelope, is_expired
from ._errors import reported
from ._state import SessionState
from ._storage import SessionStorage, settle
from ._timers import Timers
from ._writer import LatestWinsWriter, Report

MARKER = "1"


class Session:
    """One connected session: its times, and the party and network it was last written with."""

    __slots__ = ("connected_at", "expires_at", "written")

    def __init__(self, connected_at: int, expires_at: int | None) -> None:
        self.connected_at, self.expires_at = connected_at, expires_at
        self.written: tuple[str, str | None] | None = None


class SessionRecord:
    """One storage key holding the current session, written latest-wins."""

    def __init__(
        self, storage: SessionStorage, key: str, *, snapshot: bool, ttl_ms: float | None, timers: Timers, report: Report
    ) -> None:
        self._storage, self._key, self._snapshot, self._ttl_ms = storage, key, snapshot, ttl_ms
        self._timers = timers
        self._report = report
        self._writer = LatestWinsWriter(storage, key, report)

    def start(self, stored: PersistedSessionSnapshot | None = None) -> Session:
        """A session starting now, or the stored one going on (its deadline survives a reload)."""
        if stored is not None:
            return Session(stored.connected_at, stored.expires_at or self._deadline(stored.connected_at))
        now = self._timers.now_ms()
        return Session(now, self._deadline(now))

    async def read(self) -> tuple[PersistedSessionSnapshot | None, bool]:
        """The stored snapshot and whether an entry is there; a bad or expired one is removed, a failed read is none."""
        with reported(self._report, "reading the persisted session failed"):
            raw = await settle(self._storage.get_item(self._key))
            if raw is None or raw == MARKER:
                return None, raw is not None
            snapshot = decode_session_envelope(raw)
            if snapshot is not None and not is_expired(snapshot, self._timers.now_ms()):
                return snapshot, True
            self._writer.put(None)
        return None, False

    def write_if_new(self, state: SessionState, session: Session) -> None:
        if state.account is None:
            return
        written = (state.account.party_id, state.network_id)
        if session.written == written:
            return
        session.written = written
        if not self._snapshot:
            self._writer.put(MARKER)
            return
        snapshot = PersistedSessionSnapshot(
            state.account, state.accounts, state.network_id, session.connected_at, session.expires_at
        )
        self._writer.put(encode_session_envelope(snapshot))

    def remove(self, *, only_after_own_write: bool = False) -> None:
        """Remove the entry; ``only_after_own_write``: only if a write of this tab could still land after
        another tab's removal (and bring an ended session back), so tabs told of a disconnect stay off the database."""
        if not only_after_own_write or self._writer.busy:
            self._writer.put(None)

    async def flush(self) -> None:
        await self._writer.flush()

    def close(self, then: Callable[[], None]) -> None:
        self._writer.close(then)

    def _deadline(self, connected_at: int) -> int | None:
        return None if self._ttl_ms is None else connected_at + int(self._ttl_ms)
