"""Testing helpers: ``MockWallet`` for CPython tests; the pytest plugin for browser suites."""

from ._mock_wallet import MockWallet, mock_account

__all__ = ["MockWallet", "mock_account"]
