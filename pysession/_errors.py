"""Errors a caller can catch.

    SessionError
    ├── WalletError              a wallet request failed: the wallet's message, ``code`` and ``data``
    │   ├── UserRejectedError    code 4001: the user said no
    │   └── NotConnectedError    ``connect`` answered without connecting (say, the user must sign in first)
    ├── QueueFullError           enqueue() while the pending queue is full
    ├── ReauthFailedError        a queued operation dropped because re-auth failed
    ├── SessionExpiredError      the session's TTL ran out and no re-auth hook is set
    └── BrowserUnavailableError  a browser backend called where the browser API is missing

Provider, storage and channel failures never raise into app code: they end up as
a ``SessionError`` in ``SessionState.last_error``, with the original exception as
its ``__cause__``; a failed wallet request as a ``WalletError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

USER_REJECTED = 4001
"""EIP-1193's "user rejected the request", the code CIP-0103 wallets answer a declined prompt with."""

_MESSAGE_LIMIT = 1000

_RPC_ERROR = re.compile(r"RPC error: (-?\d{1,15}) - (.*)", re.S)
"""What the reference dApp SDK rejects with: ``new Error(`RPC error: ${code} - ${message}`)``, no ``code``."""


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


class WalletError(SessionError):
    """A wallet request failed; ``str()`` is the wallet's own message, so no app has to parse ours.

    ``method`` is the request, ``code`` the wallet's numeric error code (EIP-1193 and
    JSON-RPC codes, as CIP-0103 wallets use them) or None, ``data`` whatever the
    wallet attached. The exception the wallet raised or rejected with is the ``__cause__``.
    """

    def __init__(self, method: str, message: str, *, code: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.method = method
        self.code = code
        self.data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}(method={self.method!r}, code={self.code!r}, message={str(self)!r})"

    @classmethod
    def from_failure(cls, method: str, error: BaseException) -> WalletError:
        """The ``WalletError`` for a request that raised ``error``: a ``UserRejectedError`` for code 4001.

        Reads ``code`` and ``data`` attributes where the error has them (a code that is
        not a whole number is ignored), else the code in an ``RPC error: <code> - <text>``
        message, whose text is then the message. Never raises; a ``WalletError`` is kept as is.
        """
        if isinstance(error, WalletError):
            return error
        code, message = numeric_code(_attribute(error, "code")), _message(error)
        if code is None and (quoted := _RPC_ERROR.search(message)):
            code, message = int(quoted[1]), quoted[2].strip() or message
        kind = UserRejectedError if code == USER_REJECTED else WalletError
        wrapped = kind(method, message, code=code, data=_attribute(error, "data"))
        wrapped.__cause__ = error
        return wrapped


class UserRejectedError(WalletError):
    """The user declined the wallet's prompt (code 4001): usually nothing to report, or "you cancelled"."""


class NotConnectedError(WalletError):
    """``connect`` resolved with ``isConnected: false``: the wallet answered, but did not connect.

    The reference wallet gateway answers so for a user who has not signed in:
    ``user_url`` is where to sign in, ``reason`` what the wallet said (its
    ``reason``, else its ``networkReason``); ``data`` is the whole answer.
    """

    def __init__(self, answer: dict[str, Any]) -> None:
        self.user_url = _text(answer.get("userUrl"))
        self.reason = _text(answer.get("reason")) or _text(answer.get("networkReason"))
        said = [f"the wallet is not connected ({self.reason})" if self.reason else "the wallet is not connected"]
        if self.user_url:
            said.append(f"sign in at {self.user_url}")
        super().__init__("connect", "; ".join(said), data=answer)


def _text(value: Any) -> str | None:
    return value[:_MESSAGE_LIMIT] if isinstance(value, str) and value else None


def _attribute(error: BaseException, name: str) -> Any:
    try:
        return getattr(error, name, None)
    except Exception:
        return None


def numeric_code(value: Any) -> int | None:
    """A wallet's error code: a whole number (a JS number arrives as a float), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _message(error: BaseException) -> str:
    """The error's own words, else its type's name: a message is never empty, never lost."""
    try:
        text = str(error)
    except Exception:
        text = ""
    return text[:_MESSAGE_LIMIT] if text else type(error).__name__


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
