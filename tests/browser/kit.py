"""Shared pieces of the browser tests: WIRE.md's plain-JS reader/writer, expected bytes, page snippets and helpers.

Expected texts are written out here from WIRE.md, not computed with pysession,
so that a wrongly written byte fails a test instead of agreeing with itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pysession.testing.plugin import PyodidePage

WIRE_JS = (Path(__file__).resolve().parent / "wire.js").read_text()

DEFAULT_KEY = "partylayer.session.connected"
NETWORK = "canton:da-devnet"

# {"f":1,"iv":"<16 base64 chars = 12 bytes>","ct":"<padded base64>"}: keys in order, no spaces.
CRYPTO_ENVELOPE = re.compile(r'\{"f":1,"iv":"[A-Za-z0-9+/]{16}","ct":"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"\}')

# A snapshot as JSON-able data, defined in every page: what the tests compare.
VIEW = """
def view(store):
    s = store.get_snapshot()
    return {
        "status": s.status,
        "party": s.account.party_id if s.account else None,
        "parties": [a.party_id for a in s.accounts],
        "network": s.network_id,
        "error": None if s.last_error is None else str(s.last_error),
    }

async def connected_store(**options):
    '''A store on the tab's mock wallet (options as create_session_store's), connected: where many checks start.'''
    store = pysession.create_session_store(js.mockWallet, **options)
    await store.connect()
    return store
"""

# Python run in a tab before its stores are made.
PRELUDE = (
    """
import asyncio, json, js
import pysession
from pysession.browser import (
    BroadcastOptions, JsProvider, create_cookie_storage, create_encrypted_indexeddb_storage,
    create_encrypted_local_storage, open_sync_channel,
)

def make_storage(backend, origin=None):
    if backend == "local":
        return create_encrypted_local_storage(origin)
    return create_encrypted_indexeddb_storage(origin)

# The plaintext plain JS (wire.js) decrypts under key, or None: a reader that pysession's counters miss.
async def persisted(key="partylayer.session.connected", backend="idb"):
    found = await js.wire.open(backend, js.location.origin, key)
    return found.plaintext if found else None

"""
    + VIEW
)


def add_wire(tab: PyodidePage) -> PyodidePage:
    """Give the tab `window.wire` (tests/browser/wire.js), now and after every reload."""
    return tab.inject(WIRE_JS)


# Pyodide's PyProxy allocation tracing (what Pyodide's own test suite uses), as a JS
# function of an interpreter: from then on `traced._module.pyproxy_alloc_map` holds
# every PyProxy of that interpreter still alive.
TRACE_PROXIES = (
    "(interpreter) => { interpreter._module.enable_pyproxy_allocation_tracing(); window.traced = interpreter; }"
)

# What a store may leave behind, counted in the harness page from the moment
# `watch_leaks` runs: live PyProxies, pending setTimeout timers, open
# BroadcastChannels and IndexedDB connections, and the listeners on channels,
# connections and requests. The browser's own functions are wrapped (behind
# the fault kit's switches when it is armed), so the counts see pysession's calls.
LEAK_JS = (
    """
(() => {
  if (window.leaks) return;
  (TRACE_PROXIES)(pyodide);
  const leaks = (window.leaks = { timers: new Set(), channels: new Set(), connections: new Set(), listeners: 0 });
  const setTimeout_ = window.setTimeout, clearTimeout_ = window.clearTimeout;
  window.setTimeout = function (fn, ms, ...args) {
    const id = setTimeout_.call(window, (...a) => { leaks.timers.delete(id); if (typeof fn === "function") fn(...a); }, ms, ...args);
    leaks.timers.add(id);
    return id;
  };
  window.clearTimeout = function (id) { leaks.timers.delete(id); return clearTimeout_.call(window, id); };
  const add = EventTarget.prototype.addEventListener, remove = EventTarget.prototype.removeEventListener;
  const Channel = window.faults?.original.BroadcastChannel ?? window.BroadcastChannel;
  const counted = (target) => target instanceof Channel || target instanceof IDBDatabase || target instanceof IDBRequest;
  EventTarget.prototype.addEventListener = function (type, listener, ...rest) {
    if (counted(this)) {
      leaks.listeners += 1;
      if (this instanceof Channel) leaks.channels.add(this);
    }
    return add.call(this, type, listener, ...rest);
  };
  EventTarget.prototype.removeEventListener = function (type, listener, ...rest) {
    if (counted(this)) leaks.listeners -= 1;
    return remove.call(this, type, listener, ...rest);
  };
  const close = Channel.prototype.close;
  Channel.prototype.close = function () { leaks.channels.delete(this); return close.call(this); };
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (...args) {
    const request = open.apply(this, args);
    if (request instanceof IDBRequest) add.call(request, "success", () => leaks.connections.add(request.result));
    return request;
  };
  const closeDb = IDBDatabase.prototype.close;
  IDBDatabase.prototype.close = function () { leaks.connections.delete(this); return closeDb.call(this); };
})();
"""
).replace("TRACE_PROXIES", TRACE_PROXIES)

LEAK_COUNTS = """
import gc

def counts():
    '''What the page holds now (see watch_leaks), after a full collection.'''
    gc.collect()
    leaks = js.leaks
    return {
        "proxies": js.traced._module.pyproxy_alloc_map.size,
        "timers": leaks.timers.size,
        "channels": leaks.channels.size,
        "listeners": leaks.listeners,
        "connections": leaks.connections.size,
        "wallet listeners": sum(js.mockWallet.listenerCount(e) for e in ("statusChanged", "connected", "accountsChanged", "chainChanged")),
    }
"""


def watch_leaks(tab: PyodidePage) -> PyodidePage:
    """Count from now on what stores leave behind in this harness tab; `counts()` in its Python reads the counters."""
    tab.page.evaluate(LEAK_JS)
    tab.run(LEAK_COUNTS)
    return tab


def prepare(tab: PyodidePage, **wallet: Any) -> PyodidePage:
    """A tab with a mock wallet (options as install_wallet's), wire.js and the Python prelude."""
    tab.install_wallet(**wallet)
    add_wire(tab)
    tab.run(PRELUDE)
    return tab


def origin_of(tab: PyodidePage) -> str:
    return tab.page.evaluate("location.origin")


def wire_account(party_id: str, network_id: str = NETWORK) -> str:
    """The mock wallet's account as WIRE.md's compact camelCase JSON, keys in order."""
    hint = party_id.split("::")[0]
    return (
        f'{{"primary":true,"partyId":{dumps(party_id)},"status":"allocated","hint":{dumps(hint)},'
        f'"publicKey":"mock-public-key","namespace":"mock-namespace","networkId":{dumps(network_id)},'
        f'"signingProviderId":"mock-signer"}}'
    )


def wire_envelope(party_id: str, connected_at: int, network_id: str = NETWORK, expires_at: int | None = None) -> str:
    """WIRE.md's session envelope of a one-account session, byte for byte."""
    account = wire_account(party_id, network_id)
    tail = "" if expires_at is None else f',"expiresAt":{expires_at}'
    return (
        f'{{"version":1,"account":{account},"accounts":[{account}],"networkId":{dumps(network_id)},'
        f'"connectedAt":{connected_at}{tail}}}'
    )


def dumps(value: Any) -> str:
    """A JSON string as WIRE.md writes it: non-ASCII characters as themselves."""
    return json.dumps(value, ensure_ascii=False)


def connected_at(plaintext: str) -> int:
    return json.loads(plaintext)["connectedAt"]
