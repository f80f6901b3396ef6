"""Proxy hygiene: 100 create/use/destroy cycles leave no proxy, timer, channel, connection or listener behind.

Counted in the page: live PyProxies (Pyodide's allocation tracing), pending
setTimeout timers, open BroadcastChannels and IndexedDB connections (shims
installed before any store exists), the JS wallet's listeners, and stores
still alive in Python after destroy().
"""

from __future__ import annotations

import time

from kit import prepare, watch_leaks

CYCLES = 100

CYCLE = """
import weakref
stores = []

def left():
    found = {key: value for key, value in counts().items() if key != "listeners"}
    return found | {"stores alive": sum(ref() is not None for ref in stores)}

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
    tab = watch_leaks(prepare(pyodide_page))
    tab.run(CYCLE)
    start = tab.run("left()")
    # (The harness's own deadline for the running run() is one pending timer.)
    assert start == {"proxies": start["proxies"], "timers": 1, "channels": 0, "connections": 0,
                     "wallet listeners": 0, "stores alive": 0}

    # One lifetime, stopped halfway, shows what the counters see while a store lives.
    tab.run(
        "live = await connected_store(broadcast=True, expiry=pysession.ExpiryOptions(ttl_ms=60_000))\n"
        "stores.append(weakref.ref(live))"
    )
    during = tab.run("left()")
    assert during["proxies"] > start["proxies"]
    assert (during["timers"], during["channels"], during["connections"], during["wallet listeners"]) == (2, 1, 2, 4)
    tab.run("live.destroy()\ndel live")

    tab.run(f"for index in range({CYCLES}):\n    await cycle(index)", timeout=120)
    assert tab.run("len(stores)") == CYCLES + 1
    # Writes cut short by destroy() may still be settling in IndexedDB: give them a deadline, not a sleep.
    deadline = time.monotonic() + 10
    while (end := tab.run("left()")) != start and time.monotonic() < deadline:
        tab.page.wait_for_timeout(50)
    assert end == start
    assert tab.console_errors == []
