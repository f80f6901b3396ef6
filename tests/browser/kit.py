"""Shared pieces of the browser tests: WIRE.md's plain-JS reader/writer, expected bytes, page snippets.

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
    tab.page.add_init_script(WIRE_JS)
    tab.page.add_script_tag(content=WIRE_JS)
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
