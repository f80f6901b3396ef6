"""Proxy hygiene: 100 create/use/destroy cycles leave no proxy, timer, channel, connection or listener behind.

Counted in the page: live PyProxies (Pyodide's allocation tracing), pending
setTimeout timers, open BroadcastChannels and IndexedDB connections (shims
installed before any store exists), the JS wallet's listeners, and stores
still alive in Python after destroy().
"""

from __future__ import annotations

import time

from kit import prepare

CYCLES = 100

SHIMS = """() => {
  pyodide._module.enable_pyproxy_allocation_tracing();
  const timers = (window.pendingTimers = new Set());
  const setTimeout_ = window.setTimeout.bind(window), clearTimeout_ = window.clearTimeout.bind(window);
  window.setTimeout = (fn, ms, ...args) => {
    const id = setTimeout_((...a) => { timers.delete(id); fn(...a); }, ms, ...args);
    timers.add(id);
    return id;
  };
  window.clearTimeout = (id) => { timers.delete(id); clearTimeout_(id); };

  const channels = (window.openChannels = new Set());
  const Channel = window.BroadcastChannel;
  window.BroadcastChannel = class extends Channel {
    constructor(name) { super(name); channels.add(this); }
    close() { channels.delete(this); super.close(); }
  };

  const connections = (window.openConnections = new Set());
  const open = indexedDB.open.bind(indexedDB);
  indexedDB.open = (...args) => {
    const request = open(...args);
    request.addEventListener("success", () => connections.add(request.result));
    return request;
  };
  const close = IDBDatabase.prototype.close;
  IDBDatabase.prototype.close = function () { connections.delete(this); return close.call(this); };
}"""

CYCLE = """
import gc, weakref
stores = []

def counts():
    gc.collect()
    return {
        "pyproxies": js.pyodide._module.pyproxy_alloc_map.size,
        "timers": js.pendingTimers.size,
        "channels": js.openChannels.size,
        "connections": js.openConnections.size,
        "wallet listeners": sum(js.mockWallet.listenerCount(e) for e in ("statusChanged", "accountsChanged", "chainChanged")),
        "stores alive": sum(ref() is not None for ref in stores),
    }

async def cycle(index):
    store = pysession.create_session_store(
        js.mockWallet,
        broadcast=True,
        expiry=pysession.ExpiryOptions(ttl_ms=60_000),
        reconnect=pysession.RetryPolicy(base_delay_ms=60_000),
    )
    stores.append(weakref.ref(store))
    store.subscribe(lambda: None)
    store.on("party:changed", lambda event: None)
    await store.init()
    await store.connect()
    js.mockWallet.setParty(f"party::p{index}")  # a write in flight, a message sent
    if index % 2:
        js.mockWallet.drop()  # a reconnect scheduled 60 s ahead
    store.destroy()
"""


def test_a_hundred_store_lifetimes_leave_nothing_behind(pyodide_page):
    """Default storage, broadcast=True, a JS wallet, expiry and reconnect timers armed at destroy(): 0 left."""
    tab = prepare(pyodide_page)
    tab.page.evaluate(SHIMS)
    tab.run(CYCLE)
    start = tab.run("counts()")
    # (The harness's own deadline for the running run() is one pending timer.)
    assert start == {"pyproxies": start["pyproxies"], "timers": 1, "channels": 0, "connections": 0,
                     "wallet listeners": 0, "stores alive": 0}

    # One lifetime, stopped halfway, shows what the counters see while a store lives.
    tab.run(
        "live = pysession.create_session_store(js.mockWallet, broadcast=True, expiry=pysession.ExpiryOptions(ttl_ms=60_000))\n"
        "stores.append(weakref.ref(live))\nstate = await live.connect()"
    )
    during = tab.run("counts()")
    assert during["pyproxies"] > start["pyproxies"]
    assert (during["timers"], during["channels"], during["connections"], during["wallet listeners"]) == (2, 1, 2, 3)
    tab.run("live.destroy()\ndel live, state")

    tab.run(f"for index in range({CYCLES}):\n    await cycle(index)", timeout=120)
    assert tab.run("len(stores)") == CYCLES + 1
    # Writes cut short by destroy() may still be settling in IndexedDB: give them a deadline, not a sleep.
    deadline = time.monotonic() + 10
    while (end := tab.run("counts()")) != start and time.monotonic() < deadline:
        tab.page.wait_for_timeout(50)
    assert end == start
    assert tab.console_errors == []
