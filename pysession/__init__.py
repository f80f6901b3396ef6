"""pysession: the wallet session of a Canton dApp, in Python, in the browser.

Tracks a CIP-0103 provider's connection status, active party and network as a
subscribable store; persists the session encrypted; reconnects with backoff;
re-authenticates on expiry; keeps tabs in sync.
"""

from __future__ import annotations

from ._account import Account
from ._create import create_session_store
from ._envelope import (
    CURRENT_SESSION_ENVELOPE_VERSION,
    PersistedSessionSnapshot,
    ReconcileResult,
    SessionDiff,
    decode_session_envelope,
    encode_session_envelope,
    migrate_session_envelope,
    reconcile_session,
    restore_session,
)
from ._errors import (
    BrowserUnavailableError,
    NotConnectedError,
    QueueFullError,
    ReauthFailedError,
    SessionError,
    SessionExpiredError,
    UserRejectedError,
    WalletError,
)
from ._expiry import ExpiryOptions, ReauthContext
from ._provider import Provider
from ._retry import DEFAULT_RETRY_POLICY, RetryPolicy, compute_backoff_delay
from ._state import SessionState
from ._storage import MemoryStorage, SessionStorage, create_memory_storage
from ._store import SessionStore
from .events import InvalidationEvent

__version__ = "0.1.0"

__all__ = [
    "Account",
    "BrowserUnavailableError",
    "CURRENT_SESSION_ENVELOPE_VERSION",
    "DEFAULT_RETRY_POLICY",
    "ExpiryOptions",
    "InvalidationEvent",
    "MemoryStorage",
    "NotConnectedError",
    "PersistedSessionSnapshot",
    "Provider",
    "QueueFullError",
    "ReauthContext",
    "ReauthFailedError",
    "ReconcileResult",
    "RetryPolicy",
    "SessionDiff",
    "SessionError",
    "SessionExpiredError",
    "SessionState",
    "SessionStorage",
    "SessionStore",
    "UserRejectedError",
    "WalletError",
    "compute_backoff_delay",
    "create_memory_storage",
    "create_session_store",
    "decode_session_envelope",
    "encode_session_envelope",
    "migrate_session_envelope",
    "reconcile_session",
    "restore_session",
]

for _name in __all__:
    _member = globals()[_name]
    if callable(_member):
        _member.__module__ = "pysession"
del _name, _member
