"""Byte compatibility both ways with a few lines of plain JS that follow WIRE.md (tests/browser/wire.js).

Plain JS decodes what pysession wrote, and pysession restores and applies what
plain JS wrote and sent: the same bytes a TypeScript tab of the dApp reads and writes.
Texts are compared whole, so a key out of order, a space, a missing padding or
a wrong IV length fails.
"""

from __future__ import annotations

import base64
import json

import pytest

from kit import CRYPTO_ENVELOPE, DEFAULT_KEY, connected_at, prepare, wire_account, wire_envelope

BACKENDS = ["idb", "local"]
PARTY = "party::zoë-π-🦀"
TTL_MS = 3_600_000

# An account with the optional fields WIRE.md lists, in its key order.
DAVE = {
    "primary": True, "partyId": "party::dave", "status": "allocated", "hint": "dave", "publicKey": "pk",
    "namespace": "ns", "networkId": "canton:da-devnet", "signingProviderId": "signer",
    "hasPreapproval": True, "utilityPreapprovalAdmins": ["admin::1", "admin::2"],
}
DAVE_WIRE = (
    '{"primary":true,"partyId":"party::dave","status":"allocated","hint":"dave","publicKey":"pk","namespace":"ns",'
    '"networkId":"canton:da-devnet","signingProviderId":"signer","hasPreapproval":true,'
    '"utilityPreapprovalAdmins":["admin::1","admin::2"]}'
)


def opened(tab, backend: str, key: str = DEFAULT_KEY) -> dict:
    found = tab.page.evaluate("([b, k]) => wire.open(b, location.origin, k)", [backend, key])
    assert found is not None and found["plaintext"] is not None, found
    return found


def check_blob(blob: str, plaintext: str) -> None:
    """`{"f":1,"iv":...,"ct":...}` exactly: canonical padded base64, a 12-byte IV, ciphertext + 16-byte tag."""
    assert CRYPTO_ENVELOPE.fullmatch(blob), blob
    fields = json.loads(blob)
    iv, ct = base64.b64decode(fields["iv"], validate=True), base64.b64decode(fields["ct"], validate=True)
    assert blob == f'{{"f":1,"iv":"{base64.b64encode(iv).decode()}","ct":"{base64.b64encode(ct).decode()}"}}'
    assert len(iv) == 12
    assert len(ct) == len(plaintext.encode()) + 16


@pytest.mark.parametrize("backend", BACKENDS)
def test_plain_js_decodes_what_pysession_wrote(pyodide_page, backend):
    """The envelope, a party switch with optional account fields, expiresAt, and the bare marker, byte for byte."""
    tab = prepare(pyodide_page, party_id=PARTY)
    tab.run(
        f"storage = make_storage({backend!r})\n"
        f"store = await connected_store(storage=storage, expiry=pysession.ExpiryOptions(ttl_ms={TTL_MS}))"
    )
    found = opened(tab, backend)
    at = connected_at(found["plaintext"])
    assert found["plaintext"] == wire_envelope(PARTY, at, expires_at=at + TTL_MS)
    check_blob(found["blob"], found["plaintext"])

    # A switch to an account with the optional fields: the snapshot is rewritten with them, in order.
    tab.page.evaluate("(dave) => mockWallet.emit('accountsChanged', [dave])", DAVE)
    tab.wait_for(f"'party::dave' in (await persisted({DEFAULT_KEY!r}, {backend!r}) or '')")
    found = opened(tab, backend)
    assert found["plaintext"] == (
        f'{{"version":1,"account":{DAVE_WIRE},"accounts":[{DAVE_WIRE}],"networkId":"canton:da-devnet",'
        f'"connectedAt":{at},"expiresAt":{at + TTL_MS}}}'
    )
    check_blob(found["blob"], found["plaintext"])

    tab.run(
        "marker = pysession.create_session_store(js.mockWallet, storage=storage, storage_key='marker', "
        "persist_snapshot=False)\nstate = await marker.connect()"
    )
    found = opened(tab, backend, "marker")
    assert found["plaintext"] == "1"
    check_blob(found["blob"], "1")
    tab.run("store.destroy()\nmarker.destroy()")


@pytest.mark.parametrize("backend", BACKENDS)
def test_pysession_restores_what_plain_js_wrote(pyodide_page, backend):
    """On an origin where pysession never ran, page JS makes the key and persists; pysession restores and adopts the key."""
    tab = prepare(pyodide_page, connected=True, party_id=PARTY)
    account = wire_account(PARTY)
    text = (
        f'{{"version":1,"account":{account},"accounts":[{account},{DAVE_WIRE.replace("true,", "false,", 1)}],'
        f'"networkId":"canton:da-devnet","connectedAt":1700000000000,"expiresAt":9999999999999}}'
    )
    tab.page.evaluate("([b, k, text]) => wire.persist(b, location.origin, k, text)", [backend, DEFAULT_KEY, text])
    snapshot = tab.run(
        f"s = await pysession.restore_session(make_storage({backend!r}), {DEFAULT_KEY!r})\n"
        "[s.account.party_id, [a.party_id for a in s.accounts], s.accounts[1].has_preapproval,"
        " s.accounts[1].utility_preapproval_admins, s.network_id, s.connected_at, s.expires_at]"
    )
    assert snapshot == [PARTY, [PARTY, "party::dave"], True, ["admin::1", "admin::2"], "canton:da-devnet",
                        1700000000000, 9999999999999]

    state = tab.run(
        f"store = pysession.create_session_store(js.mockWallet, storage=make_storage({backend!r}))\n"
        "await store.init()\nview(store)"
    )
    assert (state["status"], state["party"], state["error"]) == ("connected", PARTY, None)
    # pysession writes with the key page JS made: plain JS still opens what it writes now.
    tab.page.evaluate("mockWallet.setParty('party::bob')")
    tab.wait_for(f"'party::bob' in (await persisted({DEFAULT_KEY!r}, {backend!r}) or '')")
    keys = tab.page.evaluate("async () => (await wire.entries(wire.names.keyDb(location.origin), 'keys')).length")
    assert keys == 1
    tab.run("store.destroy()")


SENT_BY_JS = [
    {"v": 1, "kind": "party", "partyId": "party::bob"},
    {"v": 2, "kind": "party", "partyId": "party::mallory"},
    {"v": 1, "kind": "party", "partyId": 5},
    {"v": 1, "kind": "shout", "partyId": "party::mallory"},
    "disconnect",
    None,
    [1, "disconnect"],
    {"v": "1", "kind": "disconnect"},
    {"v": 1, "kind": "network", "networkId": "canton:other"},
    {"v": 1, "kind": "party"},
]


def test_sync_messages_cross_between_plain_js_and_pysession(pyodide_page):
    """Page JS's messages are applied (junk ignored) and never answered; pysession's are plain objects, null kept."""
    tab = prepare(pyodide_page, party_id="party::alice")
    tab.run(
        "events = []\nstore = await connected_store(storage=pysession.MemoryStorage(), "
        "broadcast=True, on_invalidate=lambda e: events.append([e.type, e.previous, e.current]))"
    )
    tab.page.evaluate("(k) => { window.recorder = wire.listen(location.origin, k); }", DEFAULT_KEY)
    # A BigInt 1n is not the number 1 (TypeScript's `v === 1` refuses it), and JSON cannot say it: JS only.
    tab.page.evaluate("(k) => wire.post(location.origin, k, { v: 1n, kind: 'disconnect' })", DEFAULT_KEY)
    for message in SENT_BY_JS:
        tab.page.evaluate("([k, m]) => wire.post(location.origin, k, m)", [DEFAULT_KEY, message])
    tab.wait_for("view(store)['network'] == 'canton:other'")
    assert tab.run("events") == [
        ["party:changed", "party::alice", "party::bob"],
        ["network:changed", "canton:da-devnet", "canton:other"],
    ]
    state = tab.run("view(store)")
    # As in the original: a party this tab's wallet does not list is announced, and the account stays.
    assert (state["status"], state["party"], state["error"]) == ("connected", "party::alice", None)

    # pysession's own messages: a party switch to nobody sends partyId null, not a missing key.
    tab.page.evaluate("mockWallet.emit('accountsChanged', [])")
    tab.run("await store.disconnect()")
    tab.page.evaluate("([k]) => wire.post(location.origin, k, { fence: 1 })", [DEFAULT_KEY])
    tab.page.wait_for_function("recorder.heard.some(([, , text]) => text === '{\"fence\":1}')", timeout=5000)
    heard = tab.page.evaluate("recorder.heard")
    sent_by_js = [[
        "null" if m is None else "array" if isinstance(m, list) else "object" if isinstance(m, dict) else "string",
        isinstance(m, dict), json.dumps(m, separators=(",", ":"), ensure_ascii=False),
    ] for m in SENT_BY_JS]
    assert heard == [
        ["object", True, '{"v":"1n","kind":"disconnect"}'],
        *sent_by_js,
        ["object", True, '{"v":1,"kind":"party","partyId":null}'],
        ["object", True, '{"v":1,"kind":"disconnect"}'],
        ["object", True, '{"fence":1}'],
    ]

    # And a disconnect sent by page JS ends a session like a local disconnect, without an error.
    tab.run("state = await store.connect()")
    tab.page.evaluate("([k]) => wire.post(location.origin, k, { v: 1, kind: 'disconnect' })", [DEFAULT_KEY])
    tab.wait_for("store.get_snapshot().status == 'disconnected'")
    assert tab.run("view(store)") == {"status": "disconnected", "party": None, "parties": [], "network": None, "error": None}
    tab.run("store.destroy()")
    assert tab.console_errors == []

