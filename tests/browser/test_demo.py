"""The demo dApp (index.html) used as a person would: click, watch, open tabs, reload.

The page runs pysession from a PyScript tag against the mock extension wallet
at window.canton (shared by the tabs of the origin); each test gets a fresh
browser context, so the wallet and the session start empty. Assertions are on
what the page shows, with Playwright's waiting `expect` (5 s deadline).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from pysession.testing.plugin import AppPage

from kit import TRACE_PROXIES

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "demo.png"

ALICE = "alice::1220f1a2b3c4"
BOB = "bob::1220d5e6f7a8"
LOADED = "document.getElementById('loading').hidden"
NOTHING = "—"
CRYPTO_ENVELOPE = re.compile(r'^\{"f":1,"iv":"[A-Za-z0-9+/]{16}","ct":"[A-Za-z0-9+/=]+"\}$')


# Records, in the page, the method of every request the dApp sends the wallet: the
# extension's provider is wrapped as it is installed at window.canton, before the demo runs.
RECORD_REQUESTS = """
if (location.protocol === "http:") {
  window.requested = [];
  let wallet;
  Object.defineProperty(window, "canton", {
    configurable: true,
    get: () => wallet,
    set(provider) {
      const request = provider.request.bind(provider);
      provider.request = (payload) => {
        requested.push(payload.method);
        return request(payload);
      };
      wallet = provider;
    },
  });
}
"""

# The extension already trusts this site when the page is first opened (its state, as web/mock-wallet.js keeps it).
WALLET_ALREADY_CONNECTED = f"""
if (location.protocol === "http:" && localStorage.getItem("mockwallet.state") === null) {{
  localStorage.setItem(
    "mockwallet.state",
    JSON.stringify({{ connected: true, partyId: "{ALICE}", networkId: "canton:da-devnet" }}),
  );
}}
"""


def open_demo(app_page) -> AppPage:
    return app_page("/index.html", ready=LOADED)


STORE_EVENT = "#events li:not([data-kind='status'])"  # the log without its status changes


def events(tab: AppPage) -> list[list[str]]:
    """The event log, oldest first, as [type, details] pairs; a status change is ["status", "old → new"]."""
    return tab.page.evaluate(
        """() => [...document.querySelectorAll('#events li')].reverse()
            .map((li) => [li.firstChild.textContent, li.lastChild.textContent])"""
    )


def store_events(tab: AppPage) -> list[str]:
    """The types of the store events in the log, oldest first."""
    return [name for name, _ in events(tab) if name != "status"]


def expect_session(tab: AppPage, status: str, party: str = NOTHING) -> None:
    expect(tab.page.locator("#status")).to_have_text(status)
    expect(tab.page.locator("#party")).to_have_text(party)


def refuse_then_connect(tab: AppPage) -> None:
    """The wallet refuses a connect (the error row names the class and code), then accepts the next."""
    tab.page.check("#refuse")
    tab.page.click("#connect")
    expect(tab.page.locator("#error")).to_have_text("UserRejectedError 4001: User rejected the request")
    expect_session(tab, "disconnected")
    tab.page.uncheck("#refuse")
    tab.page.click("#connect")
    expect_session(tab, "connected", ALICE)
    expect(tab.page.locator("#error")).to_have_text(NOTHING)


def requested(tab: AppPage) -> list[str]:
    """The wallet requests this tab has sent so far, by method (with RECORD_REQUESTS)."""
    return tab.page.evaluate("requested")


def pause_the_clock(tab: AppPage) -> None:
    """From here on the page's timers fire only when the test moves its clock."""
    tab.page.clock.pause_at(tab.page.evaluate("Date.now() / 1000") + 1)  # a number is Unix time in seconds


def test_a_session_follows_tabs_and_survives_a_reload(app_page):
    first = open_demo(app_page)
    expect_session(first, "disconnected")
    expect(first.page.locator("#runtime")).to_have_text(re.compile(r"^Python 3\.\d+\.\d+ · pysession \d"))
    empty = "['#party', '#network', '#expiry', '#reconnect', '#error']"
    fonts = first.page.evaluate(f"() => {empty}.map((id) => getComputedStyle(document.querySelector(id)).font)")
    assert len(set(fonts)) == 1, fonts  # every empty value is the same dash

    first.page.click("#connect")
    expect_session(first, "connected", ALICE)
    expect(first.page.locator("#connect")).to_be_disabled()
    assert events(first) == [["status", "disconnected → connecting"], ["status", "connecting → connected"]]
    expect(first.page.locator("#network")).to_have_text("canton:da-devnet")
    expect(first.page.locator("#ciphertext")).to_have_text(CRYPTO_ENVELOPE)
    expect(first.page.locator("#plaintext")).to_contain_text(f'"partyId": "{ALICE}"')
    expect(first.page.locator("#key-info")).to_have_text(
        "CryptoKey AES-GCM-256, extractable: false, usages: encrypt, decrypt"
    )
    expect(first.page.locator("#expiry")).to_have_text(re.compile(r"^in [12]:\d\d \(TTL 2 min\)$"))

    second = open_demo(app_page)
    expect_session(second, "connected", ALICE)  # restored: the wallet is still connected

    second.page.click("#switch-party")  # in the wallet, as the user would
    expect_session(second, "connected", BOB)
    expect_session(first, "connected", BOB)
    expect(first.page.locator("#plaintext")).to_contain_text(f'"partyId": "{BOB}"')
    assert ["party:changed", f"{ALICE} → {BOB}"] in events(first)
    first.page.click("#switch-network")
    expect(second.page.locator("#network")).to_have_text("canton:da-testnet")
    assert ["network:changed", "canton:da-devnet → canton:da-testnet"] in events(second)

    second.page.click("#disconnect")
    expect_session(second, "disconnected")
    expect_session(first, "disconnected")
    expect(first.page.locator("#network")).to_have_text(NOTHING)
    assert events(first)[-1] == ["status", "connected → disconnected"]
    expect(first.page.locator("#ciphertext")).to_have_text("nothing stored")
    expect(first.page.locator("#plaintext")).to_have_text("nothing stored")

    first.page.click("#connect")
    expect_session(first, "connected", BOB)
    expect(first.page.locator("#ciphertext")).to_have_text(CRYPTO_ENVELOPE)
    first.reload()
    expect_session(first, "connected", BOB)  # restored after the reload, without a click
    expect(first.page.locator("#plaintext")).to_contain_text(f'"partyId": "{BOB}"')

    assert first.console_errors == []
    assert second.console_errors == []
    fetched = first.page.evaluate("() => performance.getEntriesByType('resource').map((entry) => entry.name)")
    assert any(url.endswith("/dist/pysession.zip") for url in fetched)
    assert all(url.startswith(first.url.removesuffix("/index.html")) for url in fetched)  # nothing from elsewhere


def test_a_rejected_connect_shows_the_error_class_and_the_wallets_code(app_page):
    tab = open_demo(app_page)
    refuse_then_connect(tab)
    assert tab.console_errors == []


def expect_sign_in(tab: AppPage) -> None:
    """Signed out, a connect shows the wallet's answer and a link to its sign-in page (the wallet card)."""
    expect_session(tab, "disconnected")
    expect(tab.page.locator("#error")).to_have_text(
        "NotConnectedError: the wallet is not connected (Unauthenticated); sign in at #wallet-card"
    )
    link = tab.page.locator("#sign-in a")
    expect(link).to_have_text("Sign in to your wallet")
    expect(link).to_have_attribute("href", tab.url + "#wallet-card")


def test_signing_in_on_the_wallet_card_connects_every_open_tab_without_another_click(app_page, context):
    context.add_init_script(RECORD_REQUESTS)
    first = open_demo(app_page)
    second = open_demo(app_page)
    first.page.uncheck("#signed-in")  # the user signs out of the wallet: every tab's wallet card says so
    expect(second.page.locator("#signed-in")).not_to_be_checked()
    expect(first.page.locator("#wallet-reconnect")).to_be_disabled()
    for tab in (first, second):
        tab.page.click("#connect")
        expect_sign_in(tab)
        expect(tab.page.locator("#plaintext")).to_have_text("nothing stored")
        assert requested(tab) == ["status", "connect"]  # asked for no party: there is none to show

    second.page.click("#sign-in a")  # to the wallet's sign-in page: here, its card
    second.page.check("#signed-in")
    for tab in (first, second):
        expect_session(tab, "connected", ALICE)  # no other click, in either tab
        expect(tab.page.locator("#sign-in")).to_be_hidden()
        expect(tab.page.locator("#error")).to_have_text(NOTHING)
        expect(tab.page.locator("#plaintext")).to_contain_text(f'"partyId": "{ALICE}"')
        assert requested(tab).count("connect") == 1
        assert tab.console_errors == []


def test_a_connect_in_one_tab_connects_the_other_through_the_wallets_own_events(app_page, context):
    """The original's rule: the wallet's statusChanged(true) moves a disconnected store to connected, in every tab."""
    context.add_init_script(RECORD_REQUESTS)
    first = open_demo(app_page)
    second = open_demo(app_page)
    expect_session(first, "disconnected")
    expect_session(second, "disconnected")

    first.page.click("#connect")
    expect_session(first, "connected", ALICE)
    expect_session(second, "connected", ALICE)  # no click in this tab, and no tab message: the wallet told it
    expect(second.page.locator("#network")).to_have_text("canton:da-devnet")
    expect(second.page.locator("#ciphertext")).to_have_text(CRYPTO_ENVELOPE)
    assert "connect" in requested(first)
    assert "connect" not in requested(second)
    assert first.console_errors == []
    assert second.console_errors == []


def test_a_first_visit_with_the_wallet_already_connected_is_connected_with_no_click(app_page, context):
    """The original's rule: init() always asks the wallet, so a wallet that trusts the site restores a first visit."""
    context.add_init_script(RECORD_REQUESTS)
    context.add_init_script(WALLET_ALREADY_CONNECTED)
    tab = open_demo(app_page)
    expect_session(tab, "connected", ALICE)
    expect(tab.page.locator("#network")).to_have_text("canton:da-devnet")
    expect(tab.page.locator("#ciphertext")).to_have_text(CRYPTO_ENVELOPE)  # persisted on this first visit
    expect(tab.page.locator("#plaintext")).to_contain_text(f'"partyId": "{ALICE}"')
    assert requested(tab) == ["status", "listAccounts"]  # asked, never prompted to connect
    assert store_events(tab) == []
    assert tab.console_errors == []


def test_a_dropped_wallet_is_only_asked_for_its_status_until_the_backoff_gives_up_and_is_taken_back_when_it_returns(
    app_page, context
):
    """The original's rule: each backoff attempt asks `status`, never `connect`; the store follows the wallet's return."""
    context.add_init_script(RECORD_REQUESTS)
    tab = open_demo(app_page)
    tab.page.clock.install()  # from here on, the page's timers run on a clock the test can move
    tab.page.click("#connect")
    expect_session(tab, "connected", ALICE)
    latest = tab.page.locator(STORE_EVENT).first
    before = len(requested(tab))

    tab.page.click("#drop")  # the wallet stays down: its status says "not connected" to every attempt
    expect(tab.page.locator("#status")).to_have_text("reconnecting")
    expect(tab.page.locator("#connect")).to_be_disabled()
    for attempt, delay_ms in [(1, 1000), (2, 2000), (3, 4000), (4, 8000)]:
        expect(latest).to_have_text(f"reconnect:scheduled attempt {attempt} in {delay_ms} ms")
        expect(tab.page.locator("#reconnect")).to_have_text(re.compile(rf"^attempt {attempt} of 4 in \d+\.\d s$"))
        tab.page.clock.fast_forward(delay_ms)
    expect(latest).to_have_text("reconnect:gaveup after 4 attempts: the wallet is not connected")
    expect_session(tab, "disconnected")
    expect(tab.page.locator("#error")).to_have_text("SessionError: the wallet is not connected")
    expect(tab.page.locator("#reconnect")).to_have_text(NOTHING)
    expect(tab.page.locator("#plaintext")).to_have_text("nothing stored")  # a session given up on is not restored
    assert requested(tab)[before:] == ["status"] * 4

    tab.page.click("#wallet-reconnect")  # the wallet is back: the store follows, with no click on Connect
    expect_session(tab, "connected", ALICE)
    expect(tab.page.locator("#error")).to_have_text(NOTHING)
    expect(tab.page.locator("#plaintext")).to_contain_text(f'"partyId": "{ALICE}"')

    pause_the_clock(tab)  # so that the next drop's first attempt waits for the test
    tab.page.click("#drop")
    expect(latest).to_have_text("reconnect:scheduled attempt 1 in 1000 ms")
    expect(tab.page.locator("#wallet-connected")).to_have_text("no")
    tab.page.click("#wallet-reconnect")  # the user brings the wallet back before the attempt
    expect(latest).to_have_text("reconnect:succeeded attempt 1")
    expect_session(tab, "connected", ALICE)
    assert "connect" not in requested(tab)[before:]
    assert store_events(tab) == [
        *["reconnect:scheduled", "reconnect:attempt"] * 4,
        "reconnect:gaveup",
        "reconnect:scheduled",
        "reconnect:succeeded",
    ]
    assert tab.console_errors == []


def test_an_expired_session_is_re_authenticated_or_ends(app_page):
    tab = open_demo(app_page)
    tab.page.clock.install()  # from here on, the page's timers run on a clock the test can move
    tab.page.click("#connect")
    expect_session(tab, "connected", ALICE)
    expect(tab.page.locator("#expiry")).to_have_text(re.compile(r"^in [12]:\d\d "))

    before = tab.page.locator("#plaintext").text_content()

    tab.page.clock.fast_forward("02:01")
    expect(tab.page.locator(STORE_EVENT).first).to_contain_text("session:expired")
    # The re-auth hook asked the wallet, which agreed: still connected, with a fresh expiry persisted.
    expect(tab.page.locator("#plaintext")).not_to_have_text(before)
    expect(tab.page.locator("#expiry")).to_have_text(re.compile(r"^in [12]:\d\d "))
    expect_session(tab, "connected", ALICE)
    assert store_events(tab) == ["session:expired"]

    tab.page.check("#refuse")  # the next re-auth is rejected: the session ends
    tab.page.clock.fast_forward("02:01")
    expect_session(tab, "disconnected")
    expect(tab.page.locator("#error")).to_contain_text("re-authentication failed")
    expect(tab.page.locator("#plaintext")).to_have_text("nothing stored")
    assert store_events(tab) == ["session:expired", "session:expired"]
    assert tab.console_errors == []


# Before web/demo.py runs, trace the PyProxies of PyScript's interpreter (through
# PyScript's hook API). An init script also runs on about:blank: skip that one.
TRACE_DEMO_PROXIES = f"""
if (location.protocol === "http:") {{
  import("/node_modules/@pyscript/core/dist/core.js").then(({{ hooks }}) => {{
    hooks.main.onBeforeRunAsync.add(({{ interpreter }}) => ({TRACE_PROXIES})(interpreter));
  }});
}}
"""
LIVE_PROXIES = "[...traced._module.pyproxy_alloc_map.keys()].map((proxy) => `${proxy.type} ${proxy}`)"


def test_the_demo_owns_every_proxy_it_makes(app_page, context):
    context.add_init_script(TRACE_DEMO_PROXIES)
    tab = open_demo(app_page)
    loaded = tab.page.evaluate(f"{LIVE_PROXIES}.length")
    assert loaded > 0  # the demo's listeners and the store's are alive

    tab.page.click("#connect")
    expect_session(tab, "connected", ALICE)
    tab.page.click("#switch-party")
    expect_session(tab, "connected", BOB)
    pause_the_clock(tab)
    latest = tab.page.locator(STORE_EVENT).first
    tab.page.click("#drop")
    expect(latest).to_have_text("reconnect:scheduled attempt 1 in 1000 ms")
    tab.page.clock.fast_forward(1000)
    expect(latest).to_have_text("reconnect:scheduled attempt 2 in 2000 ms")  # attempt 1 asked, and failed
    tab.page.click("#wallet-reconnect")
    expect(latest).to_have_text("reconnect:succeeded attempt 1")
    expect_session(tab, "connected", BOB)
    assert tab.page.evaluate(f"{LIVE_PROXIES}.length") == loaded  # using the page makes none that stay

    tab.page.evaluate("traced.runPython('demo.close()')")
    # Left alive: only the two functions Pyodide keeps for runPython itself.
    assert sorted(name.split(" at ")[0] for name in tab.page.evaluate(LIVE_PROXIES)) == [
        "function <function eval_code",
        "function <function eval_code_async",
    ]
    assert tab.console_errors == []

# Test-only: the same AES key and the same random bytes on every run, so that the
# screenshot's ciphertext, like the rest of it, is identical each time. Never do
# this outside a test: AES-GCM with a repeated IV under one key is broken.
FIXED_CRYPTO = """
(() => {
  const subtle = crypto.subtle;
  const rawKey = Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 41) % 256);
  subtle.generateKey = (algorithm, extractable, usages) =>
    subtle.importKey("raw", rawKey, { name: algorithm.name }, extractable, usages);
  crypto.getRandomValues = (array) => {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 89) % 256;
    return array;
  };
})();
"""
FIXED_TIME = "2026-01-15T10:00:00Z"


def test_the_readme_screenshot(app_page, context):
    """Writes docs/demo.png: connected by signing in, then a party switch, a network switch and a drop the wallet came back from."""
    context.add_init_script(FIXED_CRYPTO)
    context.clock.set_fixed_time(FIXED_TIME)
    tab = open_demo(app_page)
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    tab.page.uncheck("#signed-in")
    tab.page.click("#connect")
    expect_sign_in(tab)
    tab.page.check("#signed-in")
    expect_session(tab, "connected", ALICE)
    tab.page.click("#switch-party")
    expect_session(tab, "connected", BOB)
    tab.page.click("#switch-network")
    expect(tab.page.locator("#network")).to_have_text("canton:da-testnet")
    expect(tab.page.locator("#expiry")).to_have_text("in 2:00 (TTL 2 min)")
    tab.page.clock.pause_at(FIXED_TIME)  # the wallet comes back before the first attempt, every time
    tab.page.click("#drop")
    expect(tab.page.locator(STORE_EVENT).first).to_contain_text("reconnect:scheduled")
    tab.page.click("#wallet-reconnect")
    expect(tab.page.locator(STORE_EVENT).first).to_contain_text("reconnect:succeeded")
    expect_session(tab, "connected", BOB)
    tab.page.clock.resume()
    expect(tab.page.locator("#plaintext")).to_contain_text('"networkId": "canton:da-testnet"')
    expect(tab.page.locator("#plaintext")).to_contain_text(f'"partyId": "{BOB}"')
    tab.page.mouse.move(0, 0)  # no hover highlight in the picture

    SCREENSHOT.parent.mkdir(exist_ok=True)
    tab.page.screenshot(path=SCREENSHOT, full_page=True, animations="disabled", caret="hide")
    assert store_events(tab) == [
        "party:changed",
        "network:changed",
        "reconnect:scheduled",
        "reconnect:succeeded",
    ]
    assert tab.console_errors == []
