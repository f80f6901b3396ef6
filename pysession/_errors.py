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

from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SessionError(Exception):
    """Base class of every error pysession reports."""

    @classmethod
    def caused_by(cls, message: str, cause: BaseException | None) -> SessionError:
        """``message: cause``, with ``cause`` as ``__cause__``; a ``SessionError`` cause is kept as it is."""
        if isinstance(cause, SessionError):
            return cause
        error = cls(f"{message}: {cause}" if cause is not None else message)
        error.__cause__ = cause
        return error


@contextmanager
def reported(report: Callable[[str, Exception], None], message: str) -> Iterator[None]:
    """Hand a failure of the block to ``report`` (it lands in ``last_error``) instead of raising it."""
    try:
        yield
    except Exception as exc:
        report(message, exc)


class QueueFullError(SessionError):
    """Raised by ``enqueue`` at once when the re-auth queue holds ``max_size`` operations."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"pending queue full (max {max_size})")
        self.max_size = max_size


class ReauthFailedError(SessionError):
    """Raised for queued operations when ``on_reauth_required`` failed; the hook's error is the cause."""

    def __init__(self, cause: BaseException | None = None) -> None:
        super().__init__("re-authentication failed; queued operation dropped")
        self.__cause__ = cause


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
