"""The public surface: exactly API.md's names, owned by ``pysession``; the browser module imports anywhere."""

from __future__ import annotations

import inspect

import pytest

import pysession
import pysession.browser
from pysession.testing import MockWallet

from .support import ALL_EVENTS, make_store

# Every name API.md documents as ``pysession.<name>`` (Top level, Events, Resilience,
# Persistence, Provider), sorted the way ``sorted()`` sorts them.
API_NAMES = [
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


def test_all_is_exactly_the_api_names_sorted():
    assert API_NAMES == sorted(API_NAMES)
    assert pysession.__all__ == API_NAMES


def test_every_name_is_importable():
    for name in API_NAMES:
        assert getattr(pysession, name) is not None


@pytest.mark.parametrize(
    "name", [n for n in API_NAMES if inspect.isclass(getattr(pysession, n)) or inspect.isfunction(getattr(pysession, n))]
)
def test_exported_classes_and_functions_belong_to_pysession(name):
    """Reprs, docs and tracebacks show ``pysession.X``, never a private module."""
    assert getattr(pysession, name).__module__ == "pysession"


def test_error_tree():
    for error in (
        pysession.QueueFullError,
        pysession.ReauthFailedError,
        pysession.SessionExpiredError,
        pysession.BrowserUnavailableError,
        pysession.WalletError,
    ):
        assert issubclass(error, pysession.SessionError)
    assert issubclass(pysession.UserRejectedError, pysession.WalletError)
    assert issubclass(pysession.NotConnectedError, pysession.WalletError)
    assert issubclass(pysession.SessionError, Exception)
    assert str(pysession.QueueFullError(32)) == "pending queue full (max 32)"


def test_state_and_events_are_frozen_and_equal_by_value():
    state = pysession.SessionState()
    assert (state.status, state.account, state.accounts, state.network_id, state.last_error) == (
        "disconnected",
        None,
        (),
        None,
        None,
    )
    with pytest.raises(AttributeError):
        state.status = "connected"  # type: ignore[misc]
    assert pysession.events.PartyChanged("a", "b") == pysession.events.PartyChanged("a", "b")
    assert pysession.events.PartyChanged("a", "b").type == "party:changed"
    assert pysession.InvalidationEvent("network:changed", "x", "y") == pysession.InvalidationEvent(
        "network:changed", "x", "y"
    )


def test_mock_wallet_is_a_provider():
    assert isinstance(MockWallet(), pysession.Provider)


def test_the_browser_module_imports_under_cpython():
    """Importing is free anywhere; only calling a browser backend needs the browser."""
    for name in ("create_encrypted_indexeddb_storage", "create_encrypted_local_storage", "create_cookie_storage"):
        assert callable(getattr(pysession.browser, name))


@pytest.mark.parametrize(
    ("factory", "missing"),
    [
        ("create_encrypted_indexeddb_storage", "IndexedDB"),
        ("create_encrypted_local_storage", "IndexedDB|localStorage"),
        ("create_cookie_storage", "cookie"),
    ],
)
def test_browser_storage_factories_say_what_is_missing(factory, missing):
    with pytest.raises(pysession.BrowserUnavailableError, match=rf"({missing}).* is unavailable in this runtime"):
        getattr(pysession.browser, factory)()


async def test_the_default_storage_outside_a_browser_works():
    """storage=None in CPython falls back to memory instead of failing on the missing IndexedDB."""
    store = make_store(MockWallet(), storage=None)
    state = await store.connect()
    assert state.status == "connected" and state.last_error is None
    await store.disconnect()
    assert store.get_snapshot() == pysession.SessionState()


def test_every_event_type_is_listed_in_lifecycle_order_and_none_else_is_accepted():
    assert pysession.events.EVENT_TYPES == ALL_EVENTS
    with pytest.raises(ValueError, match="unknown event type 'session:expiredd'"):
        make_store(MockWallet()).on("session:expiredd", print)
