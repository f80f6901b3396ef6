"""Errors a caller can catch.

    SessionError
    ├── QueueFullError           enqueue() while the pending queue is full
    ├── ReauthFailedError        a queued operation dropped because re-auth failed
    ├── SessionExpiredError      the session's TTL ran out and no re-auth hook is set
    └── BrowserUnavailableError  a browser backend called where the browser API is missing

Provider, storage and channel failures never raise into app code: they end up as
a ``SessionError`` in ``SessionState.last_error``, with the original exception as
its ``__cause__``.
"""

from __future__ import annotations


class SessionError(Exception):
    """Base class of every error pysession reports."""


class QueueFullError(SessionError):
    """Raised by ``enqueue`` at once when the re-auth queue holds ``max_size`` operations."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"pending queue full (max {max_size})")
        self.max_size = max_size


class ReauthFailedError(SessionError):
    """Raised for queued operations when ``on_reauth_required`` failed; the hook's error is the cause."""

    def __init__(self) -> None:
        super().__init__("re-authentication failed; queued operation dropped")


class SessionExpiredError(SessionError):
    """Set as ``last_error`` when the session's TTL runs out and there is no re-auth hook."""

    def __init__(self, expired_at: int) -> None:
        super().__init__(f"session expired at {expired_at} (epoch ms) and no re-auth hook is set")
        self.expired_at = expired_at


class BrowserUnavailableError(SessionError):
    """Raised by a browser backend when the runtime lacks the browser API it needs."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"{missing} is unavailable in this runtime")
        self.missing = missing
