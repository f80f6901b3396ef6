"""Security, checked: after a full scenario, no party id and no key byte anywhere a page keeps things.

The key is known to the test and to nobody else: a spy on ``generateKey``
makes the key the library asks for (non-extractable, as asked) from bytes the
test keeps, so "0 bytes of key material" is a search for those bytes, in
every encoding, in localStorage, sessionStorage, cookies, every IndexedDB
record and every console line. The scanner first proves it finds what is
planted. (Another origin's view is tested in test_encrypted_storage.py.)
"""

from __future__ import annotations

import base64
import json
import re

from faultkit import PRELUDE, arm, finish, record, size

SECRET_1 = "party::s3cr3t-Alpha-91f2"
SECRET_2 = "party::s3cr3t-Bravo-7c0d"
ENVELOPE = re.compile(r'\{"f":1,"iv":"[A-Za-z0-9+/]{16}","ct":"[A-Za-z0-9+/]+={0,2}"\}')

KEY_SPY_JS = r"""
(() => {
  if (window.keySpy) return;
  const spy = (window.keySpy = { asked: [], raw: [] });
  const generateKey = SubtleCrypto.prototype.generateKey;
  SubtleCrypto.prototype.generateKey = async function (algorithm, extractable, usages) {
    spy.asked.push({ algorithm: { ...algorithm }, extractable, usages: [...usages] });
    if (algorithm?.name !== "AES-GCM") return generateKey.call(this, algorithm, extractable, usages);
    // The key asked for, exactly (same algorithm, same extractable flag, same usages), from bytes the test keeps.
    const twin = await generateKey.call(this, algorithm, true, usages);
    const raw = new Uint8Array(await this.exportKey("raw", twin));
    spy.raw.push(Array.from(raw));
    return this.importKey("raw", raw, algorithm, extractable, usages);
  };
})();
"""

DUMP_JS = r"""
async () => {
  const open = faults.original.open;
  const describe = (value) => {
    if (typeof value === "string") return value;
    if (value instanceof CryptoKey) return `CryptoKey(${value.algorithm.name},extractable=${value.extractable})`;
    try { return JSON.stringify(value) ?? String(value); } catch { return String(value); }
  };
  const dump = {
    localStorage: Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)]),
    sessionStorage: Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)]),
    cookie: document.cookie,
    databases: {},
  };
  for (const { name } of await indexedDB.databases()) {
    const opening = open.call(indexedDB, name);
    const db = await new Promise((resolve, reject) => { opening.onsuccess = () => resolve(opening.result); opening.onerror = () => reject(opening.error); });
    const stores = {};
    for (const store of db.objectStoreNames) {
      const read = (what) => new Promise((resolve) => { const r = db.transaction(store).objectStore(store)[what](); r.onsuccess = () => resolve(r.result); });
      const [keys, values] = [await read("getAllKeys"), await read("getAll")];
      stores[store] = keys.map((key, i) => [describe(key), describe(values[i])]);
    }
    db.close();
    dump.databases[name] = stores;
  }
  return dump;
}
"""

KEY_FACTS_JS = r"""
async (origin) => {
  const opening = faults.original.open.call(indexedDB, `partylayer-session-key::${origin}`);
  const db = await new Promise((resolve) => { opening.onsuccess = () => resolve(opening.result); });
  const key = await new Promise((resolve) => { const r = db.transaction("keys").objectStore("keys").get("aes-gcm-256"); r.onsuccess = () => resolve(r.result); });
  db.close();
  const refusal = async (format) => { try { await crypto.subtle.exportKey(format, key); return "exported!"; } catch (e) { return e.name; } };
  return { extractable: key.extractable, usages: [...key.usages].sort(), raw: await refusal("raw"), jwk: await refusal("jwk") };
}
"""


def needles(raw_keys):
    """Every way a secret could be written: party ids plain and URI-encoded, key bytes in each common encoding."""
    found = {SECRET_1: "party id", SECRET_2: "party id"}
    for secret in (SECRET_1, SECRET_2):
        found[secret.replace(":", "%3A")] = "party id (URI-encoded)"
        found[base64.b64encode(secret.encode()).decode()[:-4]] = "party id (base64)"
    for raw in raw_keys:
        data = bytes(raw)
        for text, how in [
            (base64.b64encode(data).decode().rstrip("="), "key (base64)"),
            (base64.urlsafe_b64encode(data).decode().rstrip("="), "key (base64url)"),
            (data.hex(), "key (hex)"),
            (data.hex().upper(), "key (HEX)"),
            (",".join(map(str, data)), "key (byte list)"),
            (data.decode("latin-1"), "key (bytes as text)"),
        ]:
            found[text] = how
    return found


def key_windows(raw_keys, width=8):
    return {bytes(raw[i : i + width]) for raw in raw_keys for i in range(len(raw) - width + 1)}


def decoded_blobs(text):
    """The bytes inside every crypto envelope in ``text``: key bytes must not hide in there either."""
    for match in ENVELOPE.finditer(text.replace('\\"', '"')):
        envelope = json.loads(match.group())
        yield base64.b64decode(envelope["iv"]) + base64.b64decode(envelope["ct"])


def scan(tab, console, raw_keys):
    """(location, what) for every secret found in the page's storage, its databases, its console and the logs."""
    dump = tab.page.evaluate(DUMP_JS)
    places = {
        "localStorage": json.dumps(dump["localStorage"], ensure_ascii=False),
        "sessionStorage": json.dumps(dump["sessionStorage"], ensure_ascii=False),
        "cookies": dump["cookie"],
        "IndexedDB": json.dumps(dump["databases"], ensure_ascii=False),
        "console": "\n".join(console),
        "python log": "\n".join(tab.run("logged")),
    }
    hits = {(place, what) for place, text in places.items() for needle, what in needles(raw_keys).items() if needle in text}
    windows = key_windows(raw_keys)
    for place, text in places.items():
        for blob in decoded_blobs(text):
            if any(blob[i : i + 8] in windows for i in range(len(blob) - 7)):
                hits.add((place, "key bytes inside a ciphertext"))
    return hits, dump


SCENARIO = f"""
import sys
_log.addHandler(logging.StreamHandler(sys.stderr))   # pysession's debug log goes to the console, to be scanned too
invalidations = []
async def reauth(context):
    await asyncio.sleep(0)
store = pysession.create_session_store(
    js.mockWallet, broadcast=True, reconnect=pysession.RetryPolicy(base_delay_ms=50),
    expiry=pysession.ExpiryOptions(ttl_ms=400, on_reauth_required=reauth), on_invalidate=invalidations.append,
)
local = pysession.create_session_store(
    js.mockWallet, storage=create_encrypted_local_storage(), storage_key="app.session", broadcast=True,
)
seen = []
for kind in ("reconnect:succeeded", "session:expired", "party:changed"):
    store.on(kind, lambda event: seen.append(event.type))
await app(store.init()); await app(local.init())
await app(store.connect()); await app(local.connect())
js.mockWallet.setParty({SECRET_2!r})
js.mockWallet.setNetwork("canton:s3cr3t-net")
# The wallet reports a drop and is back by the time the backoff asks (an attempt only asks for the status).
js.mockWallet.emit("statusChanged", js.JSON.parse('{{"connection":{{"isConnected":false}}}}'))
await until(lambda: "reconnect:succeeded" in seen, "reconnected by the backoff")
await until(
    lambda: "session:expired" in seen and store.get_snapshot().status == "connected", "the TTL ran out and re-auth renewed it"
)
js.mockWallet.emit("chainChanged", 5)         # reported: "ignored a malformed chainChanged event", logged
fault("walletRejects", "plain")
failing = pysession.create_session_store(js.mockWallet, storage=pysession.MemoryStorage())
await app(failing.connect())
fault("walletRejects", False)
failing.destroy()
[view(store), sorted(set(seen)), view(failing)["error"]]
"""


def test_no_party_id_and_no_key_byte_at_rest_or_in_the_console_after_a_full_scenario(pyodide_page):
    console = []
    pyodide_page.page.on("console", lambda message: console.append(message.text))
    tab = arm(pyodide_page, wallet={"party_id": SECRET_1, "connected": True}).inject(KEY_SPY_JS)
    state, seen, failed = tab.run(SCENARIO)
    assert seen == ["party:changed", "reconnect:succeeded", "session:expired"]
    assert failed and "the user rejected connect" in failed
    assert (state["status"], state["party"], state["network"]) == ("connected", SECRET_2, "canton:s3cr3t-net")

    before_reload = tab.page.evaluate("window.keySpy")
    # A reload restores from ciphertext (the reloaded wallet is on the first party again); a disconnect; a new connect.
    tab.run("store.destroy(); local.destroy()")
    tab.reload()
    tab.run(PRELUDE + "\nimport sys\n_log.addHandler(logging.StreamHandler(sys.stderr))")
    state = tab.run(
        "store = pysession.create_session_store(js.mockWallet, broadcast=True)\n"
        "await app(store.init())\nawait app(store.disconnect())\n"
        "js.mockWallet.setParty(" + repr(SECRET_2) + ")\nawait app(store.connect())\nview(store)"
    )
    assert (state["status"], state["party"]) == ("connected", SECRET_2)
    assert tab.run("(await persisted())['account']['partyId']") == SECRET_2  # the secret is at rest, encrypted
    tab.run("store.destroy()")

    spy = tab.page.evaluate("window.keySpy")
    spy = {field: before_reload[field] + spy[field] for field in ("asked", "raw")}
    assert spy["asked"] and all(
        ask == {"algorithm": {"name": "AES-GCM", "length": 256}, "extractable": False, "usages": ["encrypt", "decrypt"]}
        for ask in spy["asked"]
    ), spy["asked"]
    raw_keys = spy["raw"]
    assert len(raw_keys) >= 1 and all(len(raw) == 32 for raw in raw_keys)
    origin = tab.page.evaluate("location.origin")
    assert tab.page.evaluate(KEY_FACTS_JS, origin) == {
        "extractable": False, "usages": ["decrypt", "encrypt"], "raw": "InvalidAccessError", "jwk": "InvalidAccessError"
    }

    hits, dump = scan(tab, console, raw_keys)
    record("security:scan", leaks=len(hits))
    assert hits == set(), hits
    # The key lives in the key database only, as a CryptoKey; everything else at rest is a crypto envelope.
    for name, stores in dump["databases"].items():
        for store, records in stores.items():
            for key, value in records:
                if name.startswith("partylayer-session-key::"):
                    assert (store, key, value) == ("keys", "aes-gcm-256", "CryptoKey(AES-GCM,extractable=false)")
                elif name.startswith("partylayer-session-data::"):
                    assert ENVELOPE.fullmatch(value), value
                else:
                    assert "CryptoKey" not in value, (name, store)
    for key, value in dump["localStorage"]:
        assert ENVELOPE.fullmatch(value), (key, value)
    assert dump["sessionStorage"] == [] and dump["cookie"] == ""
    assert sum("party::" in line for line in console) == 0
    assert any("pysession: ignored a malformed chainChanged event" in line for line in console), "the log was scanned"

    # The scanner finds what is planted, in each place it looks.
    planted = base64.b64encode(bytes(raw_keys[0])).decode()
    with tab.page.expect_console_message(lambda message: message.text.startswith("planted")):
        tab.page.evaluate(
            """([party, key]) => {
              sessionStorage.setItem("planted", party);
              localStorage.setItem("planted", key);
              document.cookie = "planted=" + encodeURIComponent(party);
              console.log("planted", party);
              return faults.writeRaw("planted", key);
            }""",
            [SECRET_1, planted],
        )
    tab.run(f"logged.append({SECRET_2!r})")
    hits, _ = scan(tab, console, raw_keys)
    assert {place for place, _ in hits} == {"sessionStorage", "localStorage", "cookies", "console", "IndexedDB", "python log"}
    finish(tab, "security:scan-clean")


def test_every_write_draws_a_fresh_iv(pyodide_page):
    count = size("iv_writes", ci=300, full=10_000)
    tab = arm(pyodide_page)
    tab.page.evaluate(
        """() => {
          const ivs = (window.ivs = []);
          const put = IDBObjectStore.prototype.put;
          IDBObjectStore.prototype.put = function (value, ...rest) {
            if (typeof value === "string" && value.startsWith('{"f":1,')) ivs.push(JSON.parse(value).iv);
            return put.call(this, value, ...rest);
          };
        }"""
    )
    tab.run(
        f"storage = create_encrypted_indexeddb_storage()\n"
        f"for _ in range({count}):\n    await storage.set_item(KEY, 'the same text every time')\n"
        "storage.destroy()",
        timeout=900,
    )
    written, distinct, lengths = tab.page.evaluate(
        "() => [ivs.length, new Set(ivs).size, [...new Set(ivs.map((iv) => atob(iv).length))]]"
    )
    problems = [] if (written, distinct, lengths) == (count, count, [12]) else [f"{written} writes, {distinct} IVs, lengths {lengths}"]
    finish(tab, "security:ivs", problems=problems, ivs=distinct)
