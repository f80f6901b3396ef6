"""A JS CIP-0103 wallet given straight to create_session_store: requests, events, nulls, cleanup."""

from __future__ import annotations

import pytest

from pysession.testing.plugin import PythonError

from kit import prepare

LISTENER_COUNTS = "[js.mockWallet.listenerCount(e) for e in ('statusChanged', 'accountsChanged', 'chainChanged')]"

# A wallet that answers with JS nulls where CIP-0103 allows them.
NULL_WALLET_JS = """
window.nullWallet = (() => {
  const wallet = createMockWallet({ connected: true, partyId: "party::nully" });
  const request = wallet.request;
  wallet.request = async (payload) => {
    const answer = await request(payload);
    if (payload.method === "status") return { ...answer, network: null };
    if (payload.method === "listAccounts") {
      return answer.map((a) => ({ ...a, hasPreapproval: null, utilityPreapprovalAdmins: null }));
    }
    return answer;
  };
  return wallet;
})();
"""


def test_a_js_wallet_drives_the_store_and_destroy_unhooks_it(pyodide_page):
    """The wallet's events arrive as Python values; after destroy() it has no listener of ours and is not heard."""
    tab = prepare(pyodide_page, party_id="party::alice")
    tab.run(
        """
        store = pysession.create_session_store(js.mockWallet, storage=pysession.MemoryStorage())
        events = []
        for kind in ("party:changed", "network:changed"):
            store.on(kind, lambda e: events.append([e.type, e.previous, e.current]))
        """
    )
    assert tab.run(LISTENER_COUNTS) == [1, 1, 1]
    assert tab.run("store.get_provider() == js.mockWallet")
    assert tab.run("await store.connect()\nview(store)") == {
        "status": "connected", "party": "party::alice", "parties": ["party::alice"],
        "network": "canton:da-devnet", "error": None,
    }
    tab.page.evaluate("mockWallet.setParty('party::bob'); mockWallet.setNetwork('canton:other')")
    assert tab.run("events") == [
        ["party:changed", "party::alice", "party::bob"],
        ["network:changed", "canton:da-devnet", "canton:other"],
    ]
    assert tab.run("store.get_snapshot().account.to_wire()") == {
        "primary": True, "partyId": "party::bob", "status": "allocated", "hint": "party",
        "publicKey": "mock-public-key", "namespace": "mock-namespace", "networkId": "canton:da-devnet",
        "signingProviderId": "mock-signer",
    }
    tab.page.evaluate("mockWallet.drop()")
    assert tab.run("view(store)")["status"] == "disconnected"
    tab.run("await store.connect()\nstore.destroy()")
    assert tab.run(LISTENER_COUNTS) == [0, 0, 0]
    tab.page.evaluate("mockWallet.drop(); mockWallet.emit('statusChanged', {connection: {isConnected: false}})")
    assert tab.run("view(store)")["status"] == "connected"
    assert tab.console_errors == []


def test_a_refused_or_broken_js_wallet_lands_in_last_error(pyodide_page):
    """A JS rejection or a synchronous throw becomes last_error, never an exception in the app."""
    tab = prepare(pyodide_page, connect_error="user rejected")
    state = tab.run(
        "store = pysession.create_session_store(js.mockWallet, storage=pysession.MemoryStorage())\n"
        "await store.connect()\nview(store)"
    )
    assert state["status"] == "disconnected"
    assert "user rejected" in state["error"]
    tab.page.evaluate("() => { mockWallet.request = () => { throw new TypeError('wallet exploded'); }; }")
    state = tab.run("await store.connect()\nview(store)")
    assert state["status"] == "disconnected"
    assert "wallet exploded" in state["error"]
    tab.run("store.destroy()")
    with pytest.raises(PythonError, match="no callable request"):
        tab.run("JsProvider(js.Object.new())")


def test_js_nulls_read_as_none(pyodide_page):
    """A wallet answering `network: null` or `hasPreapproval: null` restores and drops like any other."""
    tab = prepare(pyodide_page)
    tab.page.evaluate(NULL_WALLET_JS)
    tab.run(
        """
        storage = pysession.MemoryStorage()
        storage.set_item("partylayer.session.connected", "1")
        store = pysession.create_session_store(js.nullWallet, storage=storage)
        """
    )
    assert tab.run("await store.init()\nview(store)") == {
        "status": "connected", "party": "party::nully", "parties": ["party::nully"],
        "network": "canton:da-devnet", "error": None,
    }
    assert tab.run("a = store.get_snapshot().account\n[a.has_preapproval, a.utility_preapproval_admins]") == [None, None]
    tab.page.evaluate("nullWallet.emit('statusChanged', {connection: {isConnected: false}, network: null})")
    assert tab.run("view(store)")["status"] == "disconnected"
    assert tab.run("await JsProvider(js.nullWallet).request({'method': 'disconnect'})") is None
    assert tab.run("repr(await JsProvider(js.nullWallet).request({'method': 'disconnect'}))") == "None"
    tab.run("store.destroy()")

