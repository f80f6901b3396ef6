"""A JS wallet's failures in the wallet's words: WalletError's class, code, data and message, whatever it rejects with."""

from __future__ import annotations

import pytest

from kit import prepare

# The store's last_error, and the exception the JS edge made of the rejection (its __cause__).
LAST_ERROR = """
e = store.get_snapshot().last_error
[store.get_snapshot().status, type(e).__name__, e.method, e.code, e.data, str(e),
 type(e.__cause__).__name__, e.__cause__.code, e.__cause__.data]
"""

# How a JS wallet can fail connect, each installed over the mock wallet's request.
REJECTIONS = {
    "an-error-with-a-code": (
        "Promise.reject(Object.assign(new Error('User rejected the request'), {code: 4001, data: {prompt: 'connect'}}))",
        ["UserRejectedError", 4001, {"prompt": "connect"}, "User rejected the request"],
    ),
    "a-plain-object": (
        "Promise.reject({code: -32002, message: 'Insufficient traffic credits', data: [1, 2]})",
        ["WalletError", -32002, [1, 2], "Insufficient traffic credits"],
    ),
    "a-thrown-plain-object": (
        "(() => { throw {code: 4100, message: 'not authorized'}; })()",
        ["WalletError", 4100, None, "not authorized"],
    ),
    "a-string": (
        "Promise.reject('the wallet is locked')",
        ["WalletError", None, None, "the wallet is locked"],
    ),
    "a-number": (
        "Promise.reject(4001)",
        ["WalletError", None, None, "the wallet rejected the request with 4001"],
    ),
    "nothing": (
        "Promise.reject()",
        ["WalletError", None, None, "the wallet rejected the request without a reason"],
    ),
    "a-thrown-type-error": (
        "(() => { throw new TypeError('wallet exploded'); })()",
        ["WalletError", None, None, "TypeError: wallet exploded"],
    ),
    "a-json-rpc-body": (
        "Promise.reject({jsonrpc: '2.0', id: 7, error: {code: 4100, message: 'Unauthorized', data: {scope: 'connect'}}})",
        ["WalletError", 4100, {"scope": "connect"}, "Unauthorized"],
    ),
    # The reference dApp SDK's rejection: the code lives only in the text, so the edge's own error has none.
    "the-dapp-sdks-rpc-error": (
        "Promise.reject(new Error('RPC error: 4001 - User rejected the request'))",
        ["UserRejectedError", 4001, None, "User rejected the request"],
        None,
    ),
    "an-rpc-error-text-with-no-number": (
        "Promise.reject(new Error('RPC error: soon - try again'))",
        ["WalletError", None, None, "RPC error: soon - try again"],
    ),
}


@pytest.mark.parametrize("name", REJECTIONS)
def test_a_js_rejection_becomes_a_wallet_error_with_its_code(pyodide_page, name):
    rejection, (kind, code, data, message), *cause_code = REJECTIONS[name]
    cause_code = cause_code[0] if cause_code else code
    tab = prepare(pyodide_page)
    tab.page.evaluate(f"() => {{ mockWallet.request = () => {rejection}; }}")
    tab.run("store = pysession.create_session_store(js.mockWallet, storage=pysession.MemoryStorage())\nawait store.connect()\nNone")
    assert tab.run(LAST_ERROR) == ["disconnected", kind, "connect", code, data, message, "WalletRejection", cause_code, data]
    tab.run("store.destroy()")
    assert tab.console_errors == []


@pytest.mark.parametrize(
    ("scenario", "kind", "code", "message"),
    [
        ("userRejected", "UserRejectedError", 4001, "User rejected the request"),
        ("insufficientTraffic", "WalletError", -32002, "Insufficient traffic credits to submit the transaction"),
        ("synchronizerError", "WalletError", 4901, "Synchronizer error"),
        ("transactionTimeout", "WalletError", -32003, "Transaction timed out"),
        ("genericError", "WalletError", -32603, "RPC handler error"),
    ],
)
def test_the_js_mock_wallets_scenarios(pyodide_page, scenario, kind, code, message):
    """The JS mock wallet fails as the Python one does: same names, codes and messages."""
    tab = prepare(pyodide_page, scenarios={"connect": scenario})
    tab.run("store = pysession.create_session_store(js.mockWallet, storage=pysession.MemoryStorage())\nawait store.connect()\nNone")
    assert tab.run(LAST_ERROR) == ["disconnected", kind, "connect", code, None, message, "WalletRejection", code, None]
    tab.page.evaluate("() => { mockWallet.scenarios.connect = null; }")
    assert tab.run("await store.connect()\nview(store)")["status"] == "connected"
    tab.run("store.destroy()")


def test_the_js_mock_wallet_delays_a_method(pyodide_page):
    tab = prepare(pyodide_page, delays_ms={"connect": 150}, scenarios={"status": {"code": 4100, "message": "locked"}})
    took = tab.run("started = js.performance.now()\nawait JsProvider(js.mockWallet).request({'method': 'connect'})\njs.performance.now() - started")
    assert took >= 150
    assert tab.run(
        "try:\n    await JsProvider(js.mockWallet).request({'method': 'status'})\nexcept Exception as e:\n    failed = [e.code, str(e)]\nfailed"
    ) == [4100, "locked"]
