"""Testing helpers: ``MockWallet`` for CPython tests; the pytest plugin for browser suites."""

from ._mock_wallet import SCENARIOS, SIGN_IN_URL, MockWallet, ProviderRpcError, mock_account

__all__ = ["MockWallet", "ProviderRpcError", "SCENARIOS", "SIGN_IN_URL", "mock_account"]
