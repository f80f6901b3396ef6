"""The encrypted backends at rest in real Chromium: restore after reload, bad blobs, IVs, the key, leaks, origins.

`idb` is the secure default (ciphertext in IndexedDB), `local` the encrypted
localStorage backend; both keep the key in the key database.
"""

from __future__ import annotations

import json

import pytest

from kit import CRYPTO_ENVELOPE, DEFAULT_KEY, PRELUDE, add_wire, connected_at, origin_of, prepare, wire_envelope

BACKENDS = ["idb", "local"]
STORAGE_ARG = {"idb": "None", "local": "create_encrypted_local_storage()"}


def connected(party: str, network: str = "canton:da-devnet") -> dict:
    return {"status": "connected", "party": party, "parties": [party], "network": network, "error": None}


def opened(tab, backend: str, key: str = DEFAULT_KEY, origin: str | None = None):
    """What plain JS finds under `key` (blob and plaintext), or None."""
    return tab.page.evaluate("([b, o, k]) => wire.open(b, o ?? location.origin, k)", [backend, origin, key])


def raw_blob(tab, backend: str, key: str = DEFAULT_KEY):
    return tab.page.evaluate("([b, k]) => wire.readBlob(b, location.origin, k)", [backend, key])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_session_survives_a_reload(pyodide_page, backend):
    """SCENARIO-1: connect, reload the tab, and the new page's store resumes the same session."""
    tab = prepare(pyodide_page, shared=True, party_id="party::alice")
    make_store = f"store = pysession.create_session_store(js.mockWallet, storage={STORAGE_ARG[backend]})"
    assert tab.run(f"{make_store}\nawait store.connect()\nview(store)") == connected("party::alice")
    before = opened(tab, backend)
    assert json.loads(before["plaintext"])["account"]["partyId"] == "party::alice"

    tab.reload()
    tab.run(PRELUDE)
    assert tab.run(f"{make_store}\nview(store)")["status"] == "disconnected"
    assert tab.run("await store.init()\nview(store)") == connected("party::alice")
    after = opened(tab, backend)
    assert connected_at(after["plaintext"]) == connected_at(before["plaintext"])
    assert tab.console_errors == []


# name -> JS that spoils the entry under `key` after a good write (async ([backend, key]) => ...)
SPOILERS = {
    "a flipped ciphertext bit": """
        const e = JSON.parse(await wire.readBlob(b, location.origin, k));
        const ct = wire.fromBase64(e.ct); ct[3] ^= 1;
        await wire.writeBlob(b, location.origin, k, JSON.stringify({ f: 1, iv: e.iv, ct: wire.toBase64(ct) }));""",
    "a flipped tag bit": """
        const e = JSON.parse(await wire.readBlob(b, location.origin, k));
        const ct = wire.fromBase64(e.ct); ct[ct.length - 1] ^= 0x80;
        await wire.writeBlob(b, location.origin, k, JSON.stringify({ f: 1, iv: e.iv, ct: wire.toBase64(ct) }));""",
    "another IV": """
        const e = JSON.parse(await wire.readBlob(b, location.origin, k));
        await wire.writeBlob(b, location.origin, k, JSON.stringify({ ...e, iv: wire.toBase64(new Uint8Array(12)) }));""",
    "not JSON": "await wire.writeBlob(b, location.origin, k, 'not json at all');",
    "bad base64": """await wire.writeBlob(b, location.origin, k, '{"f":1,"iv":"!!!!!!!!!!!!!!!!","ct":"AAAA"}');""",
    "a 16-byte IV": """
        const e = JSON.parse(await wire.readBlob(b, location.origin, k));
        await wire.writeBlob(b, location.origin, k, JSON.stringify({ ...e, iv: wire.toBase64(new Uint8Array(16)) }));""",
    "crypto format 2": """
        const e = JSON.parse(await wire.readBlob(b, location.origin, k));
        await wire.writeBlob(b, location.origin, k, JSON.stringify({ ...e, f: 2 }));""",
    "another key": """
        const plaintext = (await wire.open(b, location.origin, k)).plaintext;
        await wire.writeBlob(b, location.origin, k, await wire.encryptWith(await wire.newKey(), plaintext));""",
}

# name -> the plaintext pysession itself encrypts (so only the session envelope is wrong)
GOOD = wire_envelope("party::alice", 1_700_000_000_000)
BAD_PLAINTEXTS = {
    "unknown version 2": GOOD.replace('"version":1', '"version":2'),
    "version as a string": GOOD.replace('"version":1', '"version":"1"'),
    "version true": GOOD.replace('"version":1', '"version":true'),
    "no accounts list": GOOD.replace('"accounts":[', '"accounts":{"0":').replace('}],"networkId"', '}},"networkId"'),
    "expired": wire_envelope("party::alice", 1_700_000_000_000, expires_at=1_700_000_000_001),
    "not JSON inside": "{version: 1}",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unreadable_entry_reads_as_nothing_and_is_removed(pyodide_page, backend):
    """SCENARIO-3: corrupted, other key, unknown version, expired: restore answers None and deletes the entry;
    a store removes it too and still asks the wallet, which resumes its live session if connected."""
    tab = prepare(pyodide_page, connected=True, party_id="party::alice")
    tab.run(f"storage = make_storage({backend!r})\nGOOD = {GOOD!r}")

    def restore() -> str:
        return tab.run("repr(await pysession.restore_session(storage, 'k'))")

    tab.run("await storage.set_item('k', GOOD)")
    assert "party::alice" in restore(), "a good entry must restore, or this test proves nothing"
    for name, spoil in SPOILERS.items():
        tab.run("await storage.set_item('k', GOOD)")
        tab.page.evaluate(f"async ([b, k]) => {{ {spoil} }}", [backend, "k"])
        assert raw_blob(tab, backend, "k") is not None, name
        assert restore() == "None", name
        assert raw_blob(tab, backend, "k") is None, f"{name}: the entry was not removed"
    for name, plaintext in BAD_PLAINTEXTS.items():
        tab.run(f"await storage.set_item('k', {plaintext!r})")
        assert restore() == "None", name
        assert raw_blob(tab, backend, "k") is None, f"{name}: the entry was not removed"

    # Through the store: an expired entry is removed and the wallet is still asked, as in the original.
    # A wallet that is not connected leaves the store disconnected without an error, and the entry gone.
    tab.run(
        "js.mockWallet.setConnected(False)\n"
        f"await storage.set_item({DEFAULT_KEY!r}, {BAD_PLAINTEXTS['expired']!r})\n"
        "store = pysession.create_session_store(js.mockWallet, storage=storage)"
    )
    assert tab.run("await store.init()\nview(store)") == {
        "status": "disconnected", "party": None, "parties": [], "network": None, "error": None,
    }
    tab.wait_for(f"await storage.get_item({DEFAULT_KEY!r}) is None")
    assert raw_blob(tab, backend) is None
    tab.run("store.destroy()")

    # A wallet that is connected resumes its live session, written afresh: the expired entry is never shown.
    tab.run(
        "js.mockWallet.setConnected(True)\n"
        f"await storage.set_item({DEFAULT_KEY!r}, {BAD_PLAINTEXTS['expired']!r})\n"
        "store = pysession.create_session_store(js.mockWallet, storage=storage)"
    )
    assert tab.run("await store.init()\nview(store)") == connected("party::alice")
    fresh = json.loads(opened(tab, backend)["plaintext"])  # restore returns after its write has landed
    assert fresh["account"]["partyId"] == "party::alice"
    assert "expiresAt" not in fresh and fresh["connectedAt"] != 1_700_000_000_000
    tab.run("store.destroy()")


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_write_has_a_fresh_iv(pyodide_page, backend):
    """Twenty writes of the same text: twenty different 12-byte IVs and ciphertexts, each decrypting to the text."""
    tab = prepare(pyodide_page)
    blobs = tab.run(
        f"""
        storage = make_storage({backend!r})
        blobs = []
        for _ in range(20):
            await storage.set_item("k", {GOOD!r})
            blobs.append(await js.wire.readBlob({backend!r}, js.location.origin, "k"))
        blobs
        """
    )
    for blob in blobs:
        assert CRYPTO_ENVELOPE.fullmatch(blob), blob
    ivs = [json.loads(blob)["iv"] for blob in blobs]
    assert len(set(ivs)) == 20
    assert len({json.loads(blob)["ct"] for blob in blobs}) == 20
    assert opened(tab, backend, "k")["plaintext"] == GOOD


def test_the_key_is_a_non_extractable_aes_gcm_256_crypto_key(pyodide_page):
    """exportKey refuses the stored key; the key database holds that one CryptoKey and nothing else."""
    tab = prepare(pyodide_page)
    tab.run(f"await make_storage('idb').set_item('k', {GOOD!r})")
    origin = origin_of(tab)
    assert tab.page.evaluate("(o) => wire.keyFacts(o)", origin) == {
        "isCryptoKey": True,
        "type": "secret",
        "extractable": False,
        "algorithm": {"name": "AES-GCM", "length": 256},
        "usages": ["decrypt", "encrypt"],
        "raw": "InvalidAccessError",
        "jwk": "InvalidAccessError",
    }
    records = tab.page.evaluate(
        "async (o) => (await wire.entries(wire.names.keyDb(o), 'keys')).map(([k, v]) => [k, v.constructor.name])",
        origin,
    )
    assert records == [["aes-gcm-256", "CryptoKey"]]


LEAK_SCAN = """async ([o]) => {
  const databases = await wire.databases();
  const data = databases.includes(wire.names.dataDb(o)) ? await wire.entries(wire.names.dataDb(o), "blobs") : null;
  const keys = (await wire.entries(wire.names.keyDb(o), "keys")).map(([k, v]) => [k, v.constructor.name]);
  const local = Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)]);
  return { databases, data, keys, local, cookie: document.cookie };
}"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_nothing_readable_at_rest(pyodide_page, backend):
    """No party id and no key material in localStorage, cookies or the data database: only ciphertext envelopes."""
    tab = prepare(pyodide_page, party_id="party::secret-7f3a")
    tab.run(
        f"store = await connected_store(storage={STORAGE_ARG[backend]}, broadcast=True)\n"
        f"reader = make_storage({backend!r})"
    )
    tab.page.evaluate("mockWallet.setParty('party::secret-9c1e')")
    tab.wait_for(f"(await reader.get_item({DEFAULT_KEY!r}) or '').count('secret-9c1e') == 2")
    origin = origin_of(tab)
    scan = tab.page.evaluate(LEAK_SCAN, [origin])
    text = json.dumps(scan)
    assert "secret-7f3a" not in text and "secret-9c1e" not in text
    assert scan["cookie"] == ""
    assert scan["keys"] == [["aes-gcm-256", "CryptoKey"]]
    if backend == "idb":
        assert scan["databases"] == [f"partylayer-session-data::{origin}", f"partylayer-session-key::{origin}"]
        assert scan["local"] == []
        [[key, blob]] = scan["data"]
    else:
        assert scan["databases"] == [f"partylayer-session-key::{origin}"]
        [[key, blob]] = scan["local"]
        assert key == f"partylayer.session.enc::{origin}::{DEFAULT_KEY}"
    assert CRYPTO_ENVELOPE.fullmatch(blob), blob
    assert "secret-9c1e" in opened(tab, backend)["plaintext"]
    tab.run("store.destroy()")


def test_another_origin_sees_nothing_and_cannot_decrypt_a_copied_blob(pyodide_page, other_origin_tab):
    """Another port is another origin: no database, no entry, and a copied blob does not open with its key."""
    home = prepare(pyodide_page, party_id="party::alice")
    home.run(
        "store = await connected_store()\n"
        f"await create_encrypted_local_storage().set_item('k', {GOOD!r})"
    )
    home_origin = origin_of(home)
    copied = {backend: raw_blob(home, backend, key) for backend, key in (("idb", DEFAULT_KEY), ("local", "k"))}
    assert all(copied.values())

    away = add_wire(other_origin_tab())
    away_origin = origin_of(away)
    assert away_origin != home_origin and away_origin.startswith("http://127.0.0.1:")
    away.run(PRELUDE)
    assert away.page.evaluate("async () => [await wire.databases(), localStorage.length, document.cookie]") == [[], 0, ""]
    for origin in (None, home_origin):  # its own names, and the home origin's names in its own partition
        for backend, key in (("idb", DEFAULT_KEY), ("local", "k")):
            assert away.run(f"repr(await pysession.restore_session(make_storage({backend!r}, {origin!r}), {key!r}))") == "None"

    # With a key of its own, the away origin still cannot open the home origin's ciphertext.
    away.run(f"await make_storage('idb').set_item('own', {GOOD!r})")
    for backend, key in (("idb", DEFAULT_KEY), ("local", "k")):
        away.page.evaluate("([b, k, blob]) => wire.writeBlob(b, location.origin, k, blob)", [backend, key, copied[backend]])
        assert away.run(f"repr(await pysession.restore_session(make_storage({backend!r}), {key!r}))") == "None"
        assert raw_blob(away, backend, key) is None
    assert "party::alice" in away.run("repr(await pysession.restore_session(make_storage('idb'), 'own'))")
    home.run("store.destroy()")
