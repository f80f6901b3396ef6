"""The JS mock wallet's gateway flavour (flavor: "splice") under the store, in Chromium.

It answers and fails as the Canton Network's wallet gateway does through the
reference dApp SDK, so a dApp's suite can test its sign-in screen: these tests
drive it from a store as a dApp would, and listen to the wallet's own events
from JS beside the store.
"""

from __future__ import annotations

from kit import prepare

SIGN_IN_URL = "https://wallet.example/sign-in"
SIGNED_OUT = {"flavor": "splice", "signed_in": False}

# Records in the page every event the wallet emits, in order, beside the store's listeners.
HEAR = """
() => {
  window.heard = [];
  for (const event of ["statusChanged", "connected", "accountsChanged", "chainChanged"]) {
    mockWallet.on(event, () => heard.push(event));
  }
  window.requested = [];
  const request = mockWallet.request.bind(mockWallet);
  mockWallet.request = (payload) => {
    requested.push(payload.method);
    return request(payload);
  };
}
"""

STORE = """
store = pysession.create_session_store(js.mockWallet, storage=pysession.MemoryStorage())
await store.connect()
view(store)
"""

LAST_ERROR = """
e = store.get_snapshot().last_error
[type(e).__name__, e.method, e.code, e.user_url, e.reason, str(e)]
"""

NOT_CONNECTED = [
    "NotConnectedError",
    "connect",
    None,
    SIGN_IN_URL,
    "Unauthenticated",
    f"the wallet is not connected (Unauthenticated); sign in at {SIGN_IN_URL}",
]


def hear(tab):
    tab.page.evaluate(HEAR)
    return tab


def test_a_signed_out_connect_is_not_connected_and_says_where_to_sign_in(pyodide_page):
    tab = hear(prepare(pyodide_page, **SIGNED_OUT))
    assert tab.run(STORE) == {
        "status": "disconnected",
        "party": None,
        "parties": [],
        "network": None,
        "error": NOT_CONNECTED[-1],
    }
    assert tab.run(LAST_ERROR) == NOT_CONNECTED
    assert tab.page.evaluate("requested") == ["connect"]  # no listAccounts, no getActiveNetwork
    assert tab.page.evaluate("mockWallet.request({method: 'connect'})") == {
        "isConnected": False,
        "isNetworkConnected": False,
        "networkReason": "Unauthenticated",
        "userUrl": SIGN_IN_URL,
    }
    assert tab.page.evaluate("heard") == []
    tab.run("store.destroy()")
    assert tab.console_errors == []


def test_signing_in_connects_the_store_as_the_gateway_says_so(pyodide_page):
    """statusChanged(true) then connected, and no accountsChanged: the store asks for the party."""
    tab = hear(prepare(pyodide_page, party_id="alice::1220aa", **SIGNED_OUT))
    tab.run(STORE)
    tab.page.evaluate("mockWallet.signIn()")
    tab.wait_for("store.get_snapshot().status == 'connected' and store.get_snapshot().account is not None")
    assert tab.run("view(store)") == {
        "status": "connected",
        "party": "alice::1220aa",
        "parties": ["alice::1220aa"],
        "network": "canton:da-devnet",
        "error": None,
    }
    assert tab.page.evaluate("heard") == ["statusChanged", "connected"]
    assert tab.page.evaluate("requested") == ["connect", "listAccounts"]
    # The gateway's account: every required key, its own status, and keys the original's account lacks.
    assert tab.run("a = store.get_snapshot().account\n[a.status, dict(a.extra)]") == [
        "initialized",
        {"disabled": False},
    ]
    tab.run("store.destroy()")
    assert tab.console_errors == []


def test_signing_in_in_one_tab_connects_every_tab_of_a_shared_wallet(pyodide_page, new_tab):
    tabs = [hear(prepare(pyodide_page, shared=True, **SIGNED_OUT)), hear(prepare(new_tab(), shared=True, **SIGNED_OUT))]
    for tab in tabs:
        assert tab.run(STORE)["status"] == "disconnected"
        assert tab.run(LAST_ERROR) == NOT_CONNECTED
    tabs[1].page.evaluate("mockWallet.signIn()")
    for tab in tabs:
        tab.wait_for("store.get_snapshot().status == 'connected' and store.get_snapshot().account is not None")
        assert tab.run("view(store)")["party"] == "party::mock-1"
        assert tab.page.evaluate("heard") == ["statusChanged", "connected"]
    tabs[0].page.evaluate("mockWallet.signOut()")  # signed out at the wallet: every tab's session ends
    for tab in tabs:
        tab.wait_for("store.get_snapshot().status == 'disconnected'")
        assert tab.page.evaluate("heard") == ["statusChanged", "connected", "statusChanged"]
        assert tab.run("await store.connect()\n" + LAST_ERROR) == NOT_CONNECTED
        tab.run("store.destroy()")
        assert tab.console_errors == []


def test_a_no_is_the_sdks_rpc_error_text_and_the_store_reads_4001_from_it(pyodide_page):
    tab = prepare(pyodide_page, flavor="splice", scenarios={"connect": "userRejected"})
    rejection = tab.page.evaluate(
        """() => mockWallet.request({method: "connect"}).catch((e) =>
             [e instanceof Error, e.message, Object.hasOwn(e, "code")])"""
    )
    assert rejection == [True, "RPC error: 4001 - User rejected the request", False]
    tab.run(STORE)
    assert tab.run("e = store.get_snapshot().last_error\n[type(e).__name__, e.code, str(e)]") == [
        "UserRejectedError",
        4001,
        "User rejected the request",
    ]
    tab.run("store.destroy()")
    assert tab.console_errors == []


def test_the_gateways_status_and_a_network_switch_with_no_chain_changed(pyodide_page):
    tab = hear(prepare(pyodide_page, flavor="splice"))
    tab.run(
        STORE
        + "\nnetworks = []\nunsubscribe = store.on('network:changed', lambda e: networks.append([e.previous, e.current]))"
    )
    status = tab.page.evaluate("mockWallet.request({method: 'status'})")
    assert status == {
        "provider": {"id": "mock-wallet-gateway", "providerType": "remote", "userUrl": SIGN_IN_URL},
        "connection": {"isConnected": True, "isNetworkConnected": True},
        "network": {"networkId": "canton:da-devnet", "ledgerApi": "https://ledger.wallet.example"},
        "session": {"accessToken": "mock-access-token", "userId": "mock-user"},
    }
    tab.page.evaluate("mockWallet.setNetwork('canton:da-testnet')")
    tab.wait_for("store.get_snapshot().network_id == 'canton:da-testnet'")
    assert tab.run("networks") == [["canton:da-devnet", "canton:da-testnet"]]
    assert tab.page.evaluate("heard") == ["statusChanged", "connected", "statusChanged"]
    tab.run("store.destroy()")
    assert tab.console_errors == []


def test_the_original_flavour_stays_the_default(pyodide_page):
    tab = hear(prepare(pyodide_page))
    tab.run(STORE)
    tab.page.evaluate("mockWallet.setNetwork('canton:da-testnet')")
    assert tab.page.evaluate("heard") == ["statusChanged", "accountsChanged", "chainChanged"]
    assert tab.run("store.get_snapshot().account.status") == "allocated"
    tab.run("store.destroy()")
    assert tab.console_errors == []
