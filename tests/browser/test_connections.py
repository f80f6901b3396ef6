"""One IndexedDB connection per database and one key load per storage; never in another tab's way.

The page's own IndexedDB functions are wrapped before the store is made, so
every open, close and key-record read pysession does is counted.
"""

from __future__ import annotations

from kit import origin_of, prepare

COUNT_IDB = """() => {
  const log = (window.idbLog = { opens: [], closes: [], keyReads: 0, keysMade: 0 });
  const open = indexedDB.open.bind(indexedDB);
  indexedDB.open = (name, version) => { log.opens.push(name); return open(name, version); };
  const close = IDBDatabase.prototype.close;
  IDBDatabase.prototype.close = function () { log.closes.push(this.name); return close.call(this); };
  const get = IDBObjectStore.prototype.get;
  IDBObjectStore.prototype.get = function (key) { if (this.name === "keys") log.keyReads += 1; return get.call(this, key); };
  const generate = crypto.subtle.generateKey.bind(crypto.subtle);
  crypto.subtle.generateKey = (...args) => { log.keysMade += 1; return generate(...args); };
}"""

# Another tab of the origin deletes (or upgrades) a database; says whether it was blocked.
DELETE = """(name) => new Promise((resolve) => {
  const seen = [];
  const request = indexedDB.deleteDatabase(name);
  request.onblocked = () => seen.push("blocked");
  request.onsuccess = () => resolve([...seen, "deleted"]);
  request.onerror = () => resolve([...seen, "error"]);
  setTimeout(() => resolve([...seen, "still waiting after 3 s"]), 3000);
})"""

UPGRADE = """(name) => new Promise((resolve) => {
  const seen = [];
  const request = indexedDB.open(name, 2);
  request.onblocked = () => seen.push("blocked");
  request.onsuccess = () => { request.result.close(); resolve([...seen, "upgraded"]); };
  request.onerror = () => resolve([...seen, "error"]);
  setTimeout(() => resolve([...seen, "still waiting after 3 s"]), 3000);
})"""


def busy(tab) -> None:
    """Switches, each persisted; a disconnect (removal), a read, a connect (write)."""
    for party in ("party::bob", "party::carol", "party::alice"):
        tab.page.evaluate("(p) => mockWallet.setParty(p)", party)
        tab.wait_for(f"{party!r} in (await persisted() or '')")
    tab.run("await store.disconnect()\nawait store.init()\nstate = await store.connect()")
    assert "party::alice" in tab.run("await persisted()")


def log(tab) -> dict:
    return tab.page.evaluate("({ ...idbLog, opens: [...idbLog.opens].sort(), closes: [...idbLog.closes].sort() })")


def test_one_connection_per_database_and_one_key_load(pyodide_page):
    """A busy session opens each database once and reads the key once; destroy() closes both; a new store reopens."""
    tab = prepare(pyodide_page, party_id="party::alice")
    tab.page.evaluate(COUNT_IDB)
    origin = origin_of(tab)
    data_db, key_db = f"partylayer-session-data::{origin}", f"partylayer-session-key::{origin}"
    tab.run("store = pysession.create_session_store(js.mockWallet)")
    assert log(tab)["opens"] == [], "nothing is opened before the first read or write"

    tab.run("await store.init()\nstate = await store.connect()")
    warm = log(tab)
    assert warm["opens"] == [data_db, key_db]
    assert warm["keysMade"] == 1 and warm["closes"] == []

    # Writes, a removal, a read: no open and no key read more.
    busy(tab)
    assert log(tab) == warm

    tab.run("store.destroy()")
    assert log(tab)["closes"] == [data_db, key_db]

    # A new store over the same origin: one more open each, one key read, no key made.
    tab.run("store = pysession.create_session_store(js.mockWallet)\nstate = await store.init()")
    busy(tab)
    again = log(tab)
    assert again["opens"] == sorted([data_db, key_db] * 2)
    assert again["keyReads"] == warm["keyReads"] + 1
    assert again["keysMade"] == 1
    tab.run("store.destroy()")
    assert tab.console_errors == []


def test_another_tab_deleting_a_database_is_not_blocked_and_the_next_use_reopens(pyodide_page, context, pysession_server):
    """versionchange closes our connection at once, so another tab's delete or upgrade goes through; we reopen on use."""
    tab = prepare(pyodide_page, party_id="party::alice")
    tab.page.evaluate(COUNT_IDB)
    origin = origin_of(tab)
    data_db, key_db = f"partylayer-session-data::{origin}", f"partylayer-session-key::{origin}"
    tab.run("store = await connected_store()")
    other = context.new_page()  # any page of the origin: it needs no Python
    other.goto(f"{pysession_server.url}/package.json")

    assert other.evaluate(DELETE, data_db) == ["deleted"]
    assert log(tab)["closes"] == [data_db]
    assert data_db not in tab.page.evaluate("wire.databases()")
    tab.page.evaluate("mockWallet.setParty('party::bob')")  # the store persists the switch: reopen, recreate
    tab.wait_for("'party::bob' in (await persisted() or '')")
    assert log(tab)["opens"].count(data_db) == 2
    assert tab.run("view(store)")["error"] is None

    assert other.evaluate(DELETE, key_db) == ["deleted"]
    assert key_db in log(tab)["closes"]
    # The old key is gone with its database: the next write makes a new one, and the session reads back.
    tab.page.evaluate("mockWallet.setParty('party::carol')")
    tab.wait_for("'party::carol' in (await persisted() or '')")
    assert log(tab)["keysMade"] == 2
    assert tab.run("view(store)")["error"] is None

    assert other.evaluate(UPGRADE, data_db) == ["upgraded"]
    tab.run("store.destroy()")
    assert other.evaluate(DELETE, key_db) == ["deleted"]
    assert tab.console_errors == []
