"""The README's "Wallets" page, served as written and clicked, on the mock wallet in both of its flavours.

Its two files are the section's code blocks that name a file in their first
line; the server answers /readme-wallets/<name> with them, and the page's
/dist/pysession.zip with the code under test. Each case is a fresh browser
context, so the wallet starts as its options say.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Wallets\n"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
FILE_NAME = re.compile(r"(?:# |<!-- )([\w.-]+\.\w+)(?: -->)?\n")
SIGN_IN_URL = "https://wallet.example/sign-in"


def section_files() -> dict[str, str]:
    """The files the README's Wallets section shows: name -> text."""
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    section = text[start : text.index("\n## ", start)]
    return {named.group(1): body for _, body in BLOCK.findall(section) if (named := FILE_NAME.match(body))}


@pytest.fixture
def wallets_page(app_page, pysession_server, tmp_path) -> Iterator:
    """Factory: the section's page in a new tab, with a mock wallet of the given options at window.canton."""
    undo = []
    for name, text in section_files().items():
        (tmp_path / name).write_text(text)
        undo.append(pysession_server.serve_at(f"/readme-wallets/{name}", tmp_path / name))
    yield lambda **wallet: app_page("/readme-wallets/index.html", wallet=wallet)
    for remove in undo:
        remove()


def test_the_section_shows_a_page_and_its_python():
    assert sorted(section_files()) == ["app.py", "index.html"]


@pytest.mark.parametrize(
    ("wallet", "told"),
    [
        ({}, "Connected as party::mock-1"),
        ({"flavor": "splice"}, "Connected as party::mock-1"),
        ({"scenarios": {"connect": "userRejected"}}, "You declined in your wallet"),
        ({"flavor": "splice", "scenarios": {"connect": "userRejected"}}, "You declined in your wallet"),
        ({"flavor": "splice", "scenarios": {"connect": "genericError"}}, "Could not connect: RPC handler error"),
    ],
    ids=["original", "splice", "original-declined", "splice-declined", "splice-failed"],
)
def test_connect_tells_the_user_what_the_wallet_answered(wallets_page, wallet, told):
    tab = wallets_page(**wallet)
    tab.page.click("#connect")
    expect(tab.page.locator("#message")).to_have_text(told)
    assert tab.console_errors == []


def test_a_signed_out_gateway_sends_the_user_to_sign_in_and_the_page_connects_once_they_have(wallets_page):
    tab = wallets_page(flavor="splice", signed_in=False, party_id="alice::1220aa")
    tab.page.click("#connect")
    expect(tab.page.locator("#message")).to_have_text(f"Sign in to your wallet at {SIGN_IN_URL}")
    tab.page.evaluate("mockWallet.signIn()")  # the user signs in at the wallet
    expect(tab.page.locator("#message")).to_have_text("Connected as alice::1220aa")  # no other click
    assert tab.console_errors == []
