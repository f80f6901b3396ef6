"""The original's lifecycle in real tabs: the default encrypted IndexedDB storage and a shared mock extension wallet.

The wallet is `shared` like a browser extension: its state is the same in every tab and
each tab's copy emits the wallet's own events when it changes, so a tab learns of a
connect elsewhere the way it would from a real wallet, not through pysession's channel.
"""

from __future__ import annotations

from kit import DEFAULT_KEY, prepare

# Counts the encrypted writes and removals of the session blob in this page.
COUNT_BLOB_WRITES = """
(() => {
  window.blobWrites = [];
  const put = IDBObjectStore.prototype.put, remove = IDBObjectStore.prototype.delete;
  IDBObjectStore.prototype.put = function (...args) {
    if (this.name === "blobs") blobWrites.push("put");
    return put.apply(this, args);
  };
  IDBObjectStore.prototype.delete = function (...args) {
    if (this.name === "blobs") blobWrites.push("delete");
    return remove.apply(this, args);
  };
})()
"""

# The store requests the wallet hears from pysession, by method.
RECORD_REQUESTS = """
(() => {
  window.requested = [];
  const request = mockWallet.request.bind(mockWallet);
  window.walletOwnRequest = request;
  mockWallet.request = (payload) => { requested.push(payload.method); return request(payload); };
})()
"""

STORE = """
events, invalidations = [], []
store = pysession.create_session_store(
    js.mockWallet, reconnect=pysession.RetryPolicy(base_delay_ms=200, max_attempts=20),
    on_invalidate=lambda e: invalidations.append(e.type),
)
for kind in pysession.events.EVENT_TYPES:
    store.on(kind, lambda e: events.append(e.type))
seen = []
unsubscribe = store.subscribe(lambda: seen.append([store.get_snapshot().status, view(store)["party"]]))
"""


def test_init_on_a_fresh_origin_with_a_connected_wallet_is_connected_with_one_encrypted_write(pyodide_page):
    tab = prepare(pyodide_page, shared=True, connected=True, party_id="party::alice")
    tab.page.evaluate(COUNT_BLOB_WRITES)
    tab.page.evaluate(RECORD_REQUESTS)
    tab.run(STORE)
    state = tab.run("await store.init()\nview(store)")
    assert (state["status"], state["party"]) == ("connected", "party::alice")
    assert tab.page.evaluate("blobWrites") == ["put"]
    assert tab.page.evaluate("requested") == ["status", "listAccounts"]
    assert '"partyId":"party::alice"' in tab.run("await persisted()")
    tab.run("store.destroy()")
    assert tab.console_errors == []


def test_a_connect_in_one_tab_reaches_the_other_through_the_wallets_events(pyodide_page, new_tab):
    a = prepare(pyodide_page, shared=True, party_id="party::alice")
    b = prepare(new_tab(), shared=True)
    for tab in (a, b):
        tab.run(STORE)
        assert tab.run("await store.init()\nview(store)")["status"] == "disconnected"
    b.page.evaluate(RECORD_REQUESTS)
    a.run("state = await store.connect()")
    b.wait_for("view(store)['party'] == 'party::alice'")
    assert b.run("view(store)")["status"] == "connected"
    assert "connect" not in b.page.evaluate("requested")
    a.wait_for("await persisted() is not None")
    for tab in (a, b):
        tab.run("store.destroy()")
        assert tab.console_errors == []


def test_a_drop_clears_both_tabs_and_the_wallets_return_is_taken_as_it_is(pyodide_page, new_tab):
    a = prepare(pyodide_page, shared=True, party_id="party::alice")
    b = prepare(new_tab(), shared=True)
    a.run(STORE + "state = await store.connect()")
    b.run(STORE + "state = await store.init()")
    for tab in (a, b):
        tab.page.evaluate(RECORD_REQUESTS)
        tab.run("seen.clear(); events.clear()")
    a.page.evaluate("mockWallet.drop(); mockWallet.setParty('party::bob')")
    for tab in (a, b):
        tab.wait_for("store.get_snapshot().status == 'reconnecting'")
        assert tab.run("view(store)")["party"] is None
    a.page.evaluate("walletOwnRequest({ method: 'connect' })")  # the user reconnects in the wallet's own window
    for tab in (a, b):
        tab.wait_for("view(store)['party'] == 'party::bob'")
        assert tab.run("view(store)")["status"] == "connected"
        assert "party:changed" not in tab.run("events") and tab.run("invalidations") == []
        assert "connect" not in tab.page.evaluate("requested")
    assert ["disconnected", None] in a.run("seen")
    a.wait_for("'party::bob' in (await persisted() or '')")
    for tab in (a, b):
        tab.run("store.destroy()")


def test_restore_takes_the_live_party_silently_in_another_tab(pyodide_page, new_tab):
    a = prepare(pyodide_page, shared=True, party_id="party::alice")
    a.run(STORE + "state = await store.connect()\nstore.destroy()")
    a.page.evaluate("(k) => { window.recorder = wire.listen(location.origin, k); }", DEFAULT_KEY)
    a.page.evaluate("mockWallet.setParty('party::bob')")
    b = prepare(new_tab(), shared=True)
    b.run(STORE)
    state = b.run("await store.init()\nview(store)")
    assert (state["status"], state["party"]) == ("connected", "party::bob")
    assert b.run("events") == [] and b.run("invalidations") == []
    assert "party::alice" not in str(b.run("seen"))
    assert "party::bob" in b.run("await persisted()")
    assert a.page.evaluate("recorder.heard") == []
    b.run("store.destroy()")


def test_destroy_lets_the_write_under_way_land_with_the_last_party(pyodide_page):
    tab = prepare(pyodide_page, shared=True, party_id="party::alice")
    tab.run(STORE + "state = await store.connect()")
    tab.page.evaluate("mockWallet.setParty('party::bob'); mockWallet.setParty('party::carol')")
    tab.run("store.destroy()")
    tab.wait_for("'party::carol' in (await persisted() or '')")


def test_a_python_tab_and_a_typescript_tab_share_one_session(pyodide_page, new_tab):
    """The original's init() in plain JS (status, listAccounts, the envelope persisted as WIRE.md says) and
    pysession's, against one connected wallet: both connected, one session stored, readable by both."""
    ts = prepare(pyodide_page, shared=True, connected=True, party_id="party::alice")
    restored = ts.page.evaluate(
        """async (key) => {
          const status = await mockWallet.request({ method: "status" });
          if (!status.connection.isConnected) return "disconnected";
          const accounts = await mockWallet.request({ method: "listAccounts" });
          const account = accounts.find((a) => a.primary) ?? accounts[0] ?? null;
          const envelope = { version: 1, account, accounts, networkId: status.network.networkId, connectedAt: Date.now() };
          await wire.persist("idb", location.origin, key, JSON.stringify(envelope));
          return "connected";
        }""",
        DEFAULT_KEY,
    )
    assert restored == "connected"
    py = prepare(new_tab(), shared=True)
    py.run(STORE)
    assert py.run("await store.init()\nview(store)")["party"] == "party::alice"
    entries = ts.page.evaluate("(o) => wire.entries(wire.names.dataDb(o), 'blobs')", ts.page.evaluate("location.origin"))
    assert [key for key, _ in entries] == [DEFAULT_KEY]
    snapshot = py.run(
        "s = await pysession.restore_session(create_encrypted_indexeddb_storage(), 'partylayer.session.connected')\n"
        "s.account.party_id"
    )
    assert snapshot == "party::alice"
    assert '"partyId":"party::alice"' in ts.page.evaluate(
        "async (k) => (await wire.open('idb', location.origin, k)).plaintext", DEFAULT_KEY
    )
    py.run("store.destroy()")
