"""The demo with its Python in a PyScript worker (worker.html), the wallet on the page's main thread.

The worker's store takes the main thread's wallet (``pyscript.window.canton``)
as it takes any JS provider; tabs of worker.html and index.html share one
session. Served cross-origin isolated by the plugin's server, as a worker page
needs. Assertions are on what the page shows, with Playwright's waiting `expect`,
except the worker's own proxy count, which a page of this file's reports.
"""

from __future__ import annotations

import json

from playwright.sync_api import expect

from pysession.testing.plugin import AppPage

from test_demo import ALICE, BOB, LOADED, RECORD_REQUESTS, expect_session, refuse_then_connect, requested

WALLET_EVENTS = ("statusChanged", "accountsChanged", "chainChanged", "connected")

# A worker page that counts its own Pyodide's live PyProxies (the allocation
# tracing tests/browser/test_proxy_hygiene.py counts on the main thread) before a
# store, while it is connected and has heard the wallet, and after destroy().
# Writes cut short by destroy() may still be settling: a deadline, not a sleep.
PROXIES_IN_A_WORKER_HTML = """<!doctype html>
<meta charset="utf-8">
<script type="module" src="/node_modules/@pyscript/core/dist/core.js"></script>
<script type="py" worker config='{"interpreter": "/node_modules/pyodide/pyodide.mjs",
                                  "files": {"/dist/pysession.zip": "./*"}}'>
import asyncio, gc, json, time
import pyodide_js
from pyscript import window
import pysession

pyodide_js._module.enable_pyproxy_allocation_tracing()


def live_proxies():
    gc.collect()
    return pyodide_js._module.pyproxy_alloc_map.size


async def until(condition):
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


before = live_proxies()
store = pysession.create_session_store(window.canton, broadcast=True)
await store.init()
await store.connect()
window.canton.setParty("bob::1220bb")
await until(lambda: getattr(store.get_snapshot().account, "party_id", None) == "bob::1220bb")
during = live_proxies()
store.destroy()
del store
await until(lambda: live_proxies() == before)
window.proxiesInTheWorker = json.dumps({"before": before, "during": during, "after": live_proxies()})
</script>
"""


def open_worker_demo(app_page) -> AppPage:
    return app_page("/worker.html", ready=LOADED)


def test_a_worker_page_connects_follows_the_wallet_and_restores_after_a_reload_without_a_prompt(app_page, context):
    context.add_init_script(RECORD_REQUESTS)
    tab = open_worker_demo(app_page)
    assert tab.page.evaluate("crossOriginIsolated")
    expect_session(tab, "disconnected")
    tab.page.click("#connect")
    expect_session(tab, "connected", ALICE)
    expect(tab.page.locator("#network")).to_have_text("canton:da-devnet")
    tab.page.click("#switch-party")  # in the wallet card, on the main thread
    expect_session(tab, "connected", BOB)
    tab.page.click("#switch-network")
    expect(tab.page.locator("#network")).to_have_text("canton:da-testnet")
    expect(tab.page.locator("#plaintext")).to_contain_text(f'"partyId": "{BOB}"')

    tab.reload()
    expect_session(tab, "connected", BOB)
    assert "connect" not in requested(tab)  # restored by asking, never by prompting
    expect(tab.page.locator("#network")).to_have_text("canton:da-testnet")
    assert tab.console_errors == []


def test_a_worker_tab_and_a_main_thread_tab_share_the_session_both_ways(app_page):
    # A disconnect made in the main-thread tab is left out: its "disconnect" message can reach
    # the worker after the wallet's own later events (docs/worker.md, "Known problem").
    worker = open_worker_demo(app_page)
    main = app_page("/index.html", ready=LOADED)

    worker.page.click("#connect")
    expect_session(worker, "connected", ALICE)
    expect_session(main, "connected", ALICE)
    main.page.click("#switch-party")
    expect_session(worker, "connected", BOB)
    worker.page.click("#switch-party")
    expect_session(main, "connected", "carol::1220b9c0d1e2")
    worker.page.click("#disconnect")
    expect_session(main, "disconnected")
    expect(main.page.locator("#plaintext")).to_have_text("nothing stored")

    main.page.click("#connect")
    expect_session(worker, "connected", "carol::1220b9c0d1e2")
    expect(worker.page.locator("#plaintext")).to_contain_text('"partyId": "carol::1220b9c0d1e2"')
    assert worker.console_errors == main.console_errors == []


def test_a_rejected_connect_in_a_worker_is_a_user_rejected_error_with_no_error_on_either_thread(app_page):
    """The wallet's promise is made on the main thread and handled there in the same task: no unhandled rejection."""
    tab = open_worker_demo(app_page)
    tab.page.evaluate(
        """() => {
            window.unhandled = [];
            addEventListener("unhandledrejection", (event) => unhandled.push(String(event.reason)));
        }"""
    )
    refuse_then_connect(tab)
    assert tab.page.evaluate("unhandled") == []
    assert tab.console_errors == []


def test_closing_the_worker_demo_leaves_no_listener_on_the_wallet_and_the_page_inert(app_page):
    tab = open_worker_demo(app_page)
    tab.page.click("#connect")
    expect_session(tab, "connected", ALICE)
    counts = f"() => {list(WALLET_EVENTS)}.map((event) => canton.listenerCount(event))"
    assert tab.page.evaluate(counts) == [1, 1, 1, 1]

    # What the page does as it goes away (not kept in the back/forward cache): Demo.close() in the worker.
    tab.page.evaluate("dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }))")
    tab.page.wait_for_function(f"({counts})().every((count) => count === 0)", timeout=5000)
    tab.page.click("#switch-party")  # the wallet changes; the closed store hears nothing
    tab.page.evaluate("canton.drop()")
    expect(tab.page.locator("#wallet-connected")).to_have_text("no")
    expect_session(tab, "connected", ALICE)  # the card was drawn last before close, and nothing redraws it
    assert tab.console_errors == []


def test_destroy_in_a_worker_leaves_no_proxy_in_the_worker_and_no_listener_on_the_wallet(
    app_page, pysession_server, tmp_path
):
    page = tmp_path / "proxies-in-a-worker.html"
    page.write_text(PROXIES_IN_A_WORKER_HTML)
    undo = pysession_server.serve_at("/proxies-in-a-worker.html", page)
    try:
        tab = app_page("/proxies-in-a-worker.html", wallet={"party_id": ALICE})
    finally:
        undo()
    proxies = json.loads(tab.page.evaluate("proxiesInTheWorker"))
    assert proxies["during"] > proxies["before"]  # the counter sees the store's own proxies
    assert proxies["after"] == proxies["before"]
    counts = f"{list(WALLET_EVENTS)}.map((event) => canton.listenerCount(event))"
    assert tab.page.evaluate(counts) == [0, 0, 0, 0]
    assert tab.console_errors == []
