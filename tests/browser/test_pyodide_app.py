"""The plain Pyodide app (web/pyodide-app/): loadPyodide, loadPackage(wheel URL), runPythonAsync.

Used as a person would, like the demo: connect, a second tab restores the
session, a disconnect there reaches the first tab, a reload restores it.
"""

from __future__ import annotations

from playwright.sync_api import expect

from pysession.testing.plugin import AppPage

ALICE = "alice::1220f1a2b3c4"
LOADED = "document.getElementById('loading').hidden"
NOTHING = "—"


def open_app(app_page) -> AppPage:
    return app_page("/web/pyodide-app/index.html", ready=LOADED)


def expect_session(tab: AppPage, status: str, party: str = NOTHING) -> None:
    expect(tab.page.locator("#status")).to_have_text(status)
    expect(tab.page.locator("#party")).to_have_text(party)


def test_the_plain_pyodide_app_connects_follows_tabs_and_restores(app_page):
    first = open_app(app_page)
    expect_session(first, "disconnected")
    first.page.click("#connect")
    expect_session(first, "connected", ALICE)
    expect(first.page.locator("#network")).to_have_text("canton:da-devnet")

    second = open_app(app_page)
    expect_session(second, "connected", ALICE)  # restored from what the first tab persisted

    second.page.click("#disconnect")
    expect_session(second, "disconnected")
    expect_session(first, "disconnected")

    first.page.click("#connect")
    expect_session(first, "connected", ALICE)
    first.reload()
    expect_session(first, "connected", ALICE)

    assert first.console_errors == []
    assert second.console_errors == []
    requested = first.page.evaluate("() => performance.getEntriesByType('resource').map((entry) => entry.name)")
    assert any(url.endswith("/dist/pysession_canton-0.1.0-py3-none-any.whl") for url in requested)
    assert all(url.startswith("http://127.0.0.1:") for url in requested)
