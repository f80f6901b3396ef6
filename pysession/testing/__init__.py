"""Testing helpers: ``MockWallet`` for CPython tests; the pytest plugin for browser suites."""

from ._mock_wallet import SCENARIOS, MockWallet, ProviderRpcError, mock_account

__all__ = ["MockWallet", "ProviderRpcError", "SCENARIOS", "mock_account"]
