"""Malformed input from seeded, reproducible generators: stored blobs, tab messages, wallet answers and events.

Each test runs its whole loop inside one page and reports what went wrong case
by case (with the case number and a description of the input), so a failure
names the seed and the case to replay. Sizes: ``PYSESSION_FUZZ_<WHAT>`` or
``PYSESSION_FULL_COUNTS=1`` (``python build.py reliability``); the seed:
``PYSESSION_FUZZ_SEED``.
"""

from __future__ import annotations

import os
from pathlib import Path

from faultkit import arm, finish, size

FUZZ_JS = (Path(__file__).resolve().parent / "fuzz.js").read_text()
SEED = int(os.environ.get("PYSESSION_FUZZ_SEED", "20260"))
PARTY = "party::mock-1"


def fuzz_tab(pyodide_page):
    tab = arm(pyodide_page).inject(FUZZ_JS)
    tab.run(
        """
        import base64
        from pysession import PersistedSessionSnapshot, encode_session_envelope
        from pysession.browser.jsvalues import to_js_object
        problems = []

        def incoherent(s):
            if s.status not in ("connected", "disconnected"):
                return f"left {s.status}"
            if s.status == "disconnected" and (s.account or s.accounts or s.network_id):
                return "disconnected but still holding a session"
            if s.account is not None and s.account not in s.accounts:
                return "the active account is not one of the accounts"
            return None
        """
    )
    return tab


def test_bad_stored_blobs_read_as_nothing_are_cleared_and_never_cost_a_good_session(pyodide_page):
    """restore_session reads a bad blob as nothing and removes it; a store still asks the connected wallet (the
    original's rule) and writes the live session over it, while a good stored session resumes as it was."""
    count = size("fuzz_blobs", ci=120, full=1000)
    tab = fuzz_tab(pyodide_page)
    result = tab.run(
        f"""
        rng = random.Random({SEED})
        storage = create_encrypted_indexeddb_storage()
        await js.mockWallet.request(to_js_object({{"method": "connect"}}))
        listed = await js.mockWallet.request(to_js_object({{"method": "listAccounts"}}))
        account = pysession.Account.from_wire(json.loads(js.JSON.stringify(listed[0])))
        GOOD = encode_session_envelope(PersistedSessionSnapshot(account, (account,), "canton:da-devnet", 1))
        await storage.set_item("companion", GOOD)   # a good session under another key, to outlive every case

        async def sealed(plaintext):
            await storage.set_item(KEY, plaintext)
            return json.loads(await js.faults.readRaw(KEY))

        def flip(b64, lo=0, hi=None):
            data = bytearray(base64.b64decode(b64))
            at = rng.randrange(lo, len(data) if hi is None else hi)
            data[at] ^= 1 << rng.randrange(8)
            return base64.b64encode(bytes(data)).decode()

        def frame(parts):
            return json.dumps(parts, separators=(",", ":"))

        BAD_PLAINTEXTS = ['{{"version":2,"accounts":[]}}', '{{"version":"1","accounts":[]}}', '{{"version":1}}', "[]", "null", "",
                          '{{"version":1,"accounts":[{{"partyId":5}}]}}', '{{"version":1,"accounts":{{}}}}', "{{", "1" * 5000,
                          '{{"version":1,"accounts":[],"x":' + "[" * 20000 + "]" * 20000 + "}}"]

        async def bad_blob(kind):
            if kind == "random-bytes":
                return bytes(rng.randrange(256) for _ in range(rng.randrange(400))).decode("latin-1")
            if kind == "random-text":
                return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0xA0, 0xD7FF)])) for _ in range(rng.randrange(200)))
            if kind == "non-object-json":
                return rng.choice(["[]", "1", "null", '"x"', "true", '[{{"f":1}}]', "{{}}", '""', "-0", "1e999", "NaN"])
            if kind == "non-string":
                return rng.choice([lambda: 1, lambda: to_js_object({{"f": 1, "iv": "AAAAAAAAAAAAAAAA", "ct": "AAAAAAAAAAAAAAAAAAAAAA=="}}),
                                   lambda: to_js_object([1, 2]), lambda: js.ArrayBuffer.new(28), lambda: True, lambda: js.Date.new(0)])()
            valid = await sealed(GOOD)
            if kind == "truncated":
                text = frame(valid)
                return text[: rng.randrange(len(text))]
            if kind == "trailing-garbage":
                return frame(valid) + rng.choice(["x", "}}", ",", "\\u0000", "{{}}"])
            if kind == "wrong-f":
                valid["f"] = rng.choice([0, 2, -1, "1", 1.5, True, None, [1], {{"v": 1}}])
                return frame(valid) if rng.random() < 0.8 else frame({{"iv": valid["iv"], "ct": valid["ct"]}})
            if kind == "bad-base64":
                field = rng.choice(["iv", "ct"])
                value = valid[field]
                valid[field] = rng.choice([value.replace("=", "") + "A", value[:-1], value + "A", value.replace("+", "-").replace("/", "_") + "-_",
                                           " " + value, value[:4] + "!" + value[5:], value[:3] + "é" + value[4:], "====", "*"])
                return frame(valid)
            if kind == "flipped-ciphertext":
                valid["ct"] = flip(valid["ct"], 0, len(base64.b64decode(valid["ct"])) - 16)
                return frame(valid)
            if kind == "flipped-tag":
                n = len(base64.b64decode(valid["ct"]))
                valid["ct"] = flip(valid["ct"], n - 16, n)
                return frame(valid)
            if kind == "flipped-iv":
                valid["iv"] = flip(valid["iv"])
                return frame(valid)
            if kind == "iv-length":
                valid["iv"] = base64.b64encode(bytes(rng.choice([0, 1, 8, 11, 13, 16, 32]))).decode()
                return frame(valid)
            if kind == "short-ciphertext":
                valid["ct"] = base64.b64encode(base64.b64decode(valid["ct"])[: rng.randrange(16)]).decode()
                return frame(valid)
            if kind == "wrong-types":
                field = rng.choice(["iv", "ct"])
                valid[field] = rng.choice([12, None, [1, 2], {{"b64": valid[field]}}, True, 1.5])
                if rng.random() < 0.3:
                    del valid[field]
                return frame(valid)
            if kind == "huge":
                return rng.choice([
                    lambda: frame({{**valid, "ct": base64.b64encode(rng.randbytes(1_000_000)).decode()}}),
                    lambda: frame({{**valid, "iv": "A" * 100_000}}),
                    lambda: frame({{**valid, "ct": "x" * 2_000_001}}),
                    lambda: "[" * 100_000,
                    lambda: '{{"f":' * 50_000,
                ])()
            if kind == "another-key":
                return await js.fuzzOtherKey(GOOD)
            if kind == "bad-plaintext":
                return frame(await sealed(rng.choice(BAD_PLAINTEXTS)))
            raise AssertionError(kind)

        KINDS = ["random-bytes", "random-text", "non-object-json", "non-string", "truncated", "trailing-garbage", "wrong-f",
                 "bad-base64", "flipped-ciphertext", "flipped-tag", "flipped-iv", "iv-length", "short-ciphertext",
                 "wrong-types", "huge", "another-key", "bad-plaintext"]
        async def stored_connected_at():
            found = pysession.decode_session_envelope(await storage.get_item(KEY))
            return None if found is None or found.account.party_id != {PARTY!r} else found.connected_at

        tried = cleared = good = lost = 0
        for i in range({count}):
            kind = KINDS[i % len(KINDS)]
            is_good = i % 20 == 19
            blob = GOOD if is_good else await bad_blob(kind)
            if not is_good:
                # Read on its own, a bad blob is nothing, and it is removed.
                await js.faults.writeRaw(KEY, blob)
                if await pysession.restore_session(storage, KEY) is not None:  # never raises
                    problems.append(f"case {{i}} ({{kind}}): a bad blob read as a session")
                if (left := await js.faults.readRaw(KEY)) is None:
                    cleared += 1
                else:
                    problems.append(f"case {{i}} ({{kind}}): the bad blob was not cleared: {{str(left)[:80]!r}}")
            # Through a store, the connected wallet is asked all the same (the original's rule): the good session
            # resumes with its own connectedAt (1), a bad blob gives way to the live session written afresh.
            if is_good:
                await storage.set_item(KEY, GOOD)
            else:
                await js.faults.writeRaw(KEY, blob)
            store = pysession.create_session_store(js.mockWallet, storage=storage)
            await app(store.init(), what=f"case {{i}} init")  # returns once its own write has landed
            s = store.get_snapshot()
            store.destroy()
            tried += 1
            at = await stored_connected_at()
            if s.status != "connected" or s.account is None or s.account.party_id != {PARTY!r}:
                problems.append(f"case {{i}} ({{kind}}): the live session did not resume ({{s.status}})")
            if is_good:
                good += 1
                if at != 1:
                    lost += 1
                    problems.append(f"case {{i}}: a good session was lost (stored connectedAt {{at}})")
                continue
            if at is None or at == 1:
                problems.append(f"case {{i}} ({{kind}}): the bad blob was not replaced by the live session ({{at}})")
            if i % 25 == 0 and await storage.get_item("companion") != GOOD:
                lost += 1
                problems.append(f"case {{i}} ({{kind}}): the good session under another key was lost")
        if await storage.get_item("companion") != GOOD:
            lost += 1
            problems.append("the good session under another key was lost")
        storage.destroy()
        dict(tried=tried, cleared=cleared, good=good, lost=lost, problems=problems[:20], escaped=escaped, hangs=hangs)
        """,
        timeout=900,
    )
    finish(tab, "fuzz:stored-blobs", problems=result["problems"], inputs=result["tried"], bad_blobs=result["cleared"],
           lost=result["lost"])
    assert result["tried"] == count and result["cleared"] == count - result["good"]


def test_bad_tab_messages_are_ignored_and_good_ones_still_apply(pyodide_page):
    """Bad messages change nothing; good ones after them apply, a party this tab does not list as the original does."""
    count = size("fuzz_messages", ci=120, full=1000)
    tab = fuzz_tab(pyodide_page)
    result = tab.run(
        f"""
        store = pysession.create_session_store(js.mockWallet, storage=pysession.MemoryStorage(), broadcast=True)
        await app(store.connect())
        changes, switches = [], []
        store.subscribe(lambda: changes.append(view(store)))
        for kind in ("party:changed", "network:changed"):
            store.on(kind, lambda e: switches.append([e.type, e.previous, e.current]))
        peer = js.faults.original.BroadcastChannel.new(f"partylayer.session.sync::{{js.location.origin}}::{{KEY}}")
        delivered = skipped = 0
        for start in range(0, {count}, 25):
            before = view(store)
            changes.clear()
            switches.clear()
            described = {{}}
            for i in range(start, min(start + 25, {count})):
                described[i] = js.fuzz.post(peer, {SEED}, i)
                if described[i].startswith("not cloneable"):
                    skipped += 1
                else:
                    delivered += 1
            # Good messages after them: a party this tab does not list (as in the original: party:changed, the
            # account stays), then a network, which shows; messages of one sender arrive in order.
            party, network = f"party::sentinel-{{start}}", f"canton:sentinel-{{start}}"
            peer.postMessage(to_js_object({{"v": 1, "kind": "party", "partyId": party}}))
            peer.postMessage(to_js_object({{"v": 1, "kind": "network", "networkId": network}}))
            for _ in range(500):
                if view(store)["network"] == network:
                    break
                await asyncio.sleep(0.01)
            else:
                hangs.append(f"messages {{start}}..: the good messages after them never applied")
            expected_events = [["party:changed", before["party"], party], ["network:changed", before["network"], network]]
            if changes != [{{**before, "network": network}}] or switches != expected_events:
                problems.append(f"messages {{start}}..{{start + 24}} changed the store: {{changes[:3]}} {{switches[:3]}}; inputs: {{list(described.values())[:25]}}")
                await app(store.connect())
        store.destroy()
        peer.close()
        dict(delivered=delivered, skipped=skipped, problems=problems[:10], escaped=escaped, hangs=hangs)
        """,
        timeout=900,
    )
    finish(tab, "fuzz:tab-messages", problems=result["problems"], inputs=result["delivered"])
    assert result["skipped"] < count // 10 and result["delivered"] + result["skipped"] == count


def test_bad_wallet_answers_never_escape_and_never_cost_the_persisted_session(pyodide_page):
    count = size("fuzz_answers", ci=120, full=1000)
    tab = fuzz_tab(pyodide_page)
    result = tab.run(
        f"""
        storage = pysession.MemoryStorage()
        await js.mockWallet.request(to_js_object({{"method": "connect"}}))
        account = pysession.Account.from_wire(json.loads(js.JSON.stringify((await js.mockWallet.request(to_js_object({{"method": "listAccounts"}})))[0])))
        GOOD = encode_session_envelope(PersistedSessionSnapshot(account, (account,), "canton:da-devnet", 1))
        PLAN = [("init", "status"), ("init", "listAccounts"), ("connect", "connect"), ("connect", "getActiveNetwork"),
                ("connect", "listAccounts"), ("init", "getActiveNetwork")]
        lost = 0
        for i in range({count}):
            op, method = PLAN[i % len(PLAN)]
            storage.set_item(KEY, GOOD)
            store = pysession.create_session_store(js.mockWallet, storage=storage)
            described = js.fuzz.answer({SEED}, i, method)
            await app(getattr(store, op)(), what=f"case {{i}} {{op}} with {{method}} answering {{described}}")
            js.faults.on.walletGarbage = None
            s = store.get_snapshot()
            if (why := incoherent(s)):
                problems.append(f"case {{i}} {{op}}/{{method}} = {{described}}: {{why}}")
            if op == "init" and storage.get_item(KEY) is None:
                lost += 1
                problems.append(f"case {{i}} {{op}}/{{method}} = {{described}}: the persisted session was removed ({{view(store)}})")
            if op == "init" and method != "status" and s.status != "connected":
                lost += 1
                problems.append(f"case {{i}} {{op}}/{{method}} = {{described}}: a live session did not restore ({{view(store)}})")
            if op == "connect" and s.status == "disconnected" and s.last_error is None:
                problems.append(f"case {{i}} {{op}}/{{method}} = {{described}}: a failed connect says nothing")
            store.destroy()
        dict(lost=lost, problems=problems[:10], escaped=escaped, hangs=hangs)
        """,
        timeout=900,
    )
    finish(tab, "fuzz:wallet-answers", problems=result["problems"], inputs=count, lost=result["lost"])


def test_bad_wallet_events_change_nothing_but_last_error(pyodide_page):
    """A malformed event is reported and changes nothing; a valid one may (``accountsChanged([])`` leaves a
    connected store without an account, and the next ``statusChanged(true)`` asks ``listAccounts``), so each
    case ends only when the wallet has answered every request it caused."""
    count = size("fuzz_events", ci=120, full=1000)
    tab = fuzz_tab(pyodide_page)
    result = tab.run(
        f"""
        storage = pysession.MemoryStorage()
        store = pysession.create_session_store(js.mockWallet, storage=storage)
        await app(store.connect())
        EVENTS = ["statusChanged", "connected", "accountsChanged", "chainChanged"]

        async def answered():
            await asyncio.sleep(0)  # a follow-up the event started has sent its request
            while js.faults.owed():
                await js.faults.answered()
                await asyncio.sleep(0)  # and the store has taken the answer

        for i in range({count}):
            if store.get_snapshot().status != "connected":
                await app(store.connect(), what=f"case {{i}} reconnect")
            before = store.get_snapshot()
            event = EVENTS[i % len(EVENTS)]
            described = js.fuzz.emit({SEED}, i, event)
            await answered()
            after = store.get_snapshot()
            if (why := incoherent(after)) and after.status != "reconnecting":
                problems.append(f"case {{i}} {{event}}({{described}}): {{why}}")
            if after.last_error is not before.last_error and "malformed" in str(after.last_error):
                fields = lambda s: (s.status, s.account, s.accounts, s.network_id)
                if fields(after) != fields(before):
                    problems.append(f"case {{i}} {{event}}({{described}}): reported malformed, yet the session changed: {{fields(before)}} -> {{fields(after)}}")
            s = store.get_snapshot()
            if i % 50 == 49 and s.status == "connected" and s.account is not None:
                # Written once, then on each party or network switch (the original's rule): those must agree.
                await store._record.flush()  # reaches inside: the write under way, landed
                on_disk = pysession.decode_session_envelope(storage.get_item(KEY))
                held = (s.account.party_id, s.network_id)
                if on_disk is None or (on_disk.account.party_id, on_disk.network_id) != held:
                    problems.append(f"case {{i}}: the persisted session disagrees with memory: {{on_disk}} on disk, {{held}} held")
        store.destroy()
        dict(problems=problems[:10], escaped=escaped, hangs=hangs)
        """,
        timeout=900,
    )
    finish(tab, "fuzz:wallet-events", problems=result["problems"], inputs=count)


CORRUPTED_KEYS = [
    "null", "undefined", "'aes-gcm-256'", "42", "({})", "[1, 2]", "new Uint8Array(32).buffer",
    "await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])",
    "await crypto.subtle.generateKey({ name: 'AES-CBC', length: 256 }, false, ['encrypt', 'decrypt'])",
]


def test_a_corrupted_key_record_is_replaced_and_never_bricks_persistence(pyodide_page):
    """A key record that is not an AES-GCM CryptoKey reads as no key; the next write makes and stores a real one."""
    tab = fuzz_tab(pyodide_page)
    problems = []
    for value in CORRUPTED_KEYS:
        tab.page.evaluate(
            f"""async () => {{
              const opening = faults.original.open.call(indexedDB, faults.keyDb(), 1);
              opening.onupgradeneeded = () => opening.result.createObjectStore("keys");
              const db = await new Promise((resolve) => {{ opening.onsuccess = () => resolve(opening.result); }});
              const value = {value};
              await new Promise((resolve) => {{
                const tx = db.transaction("keys", "readwrite");
                tx.objectStore("keys").put(value, "aes-gcm-256");
                tx.oncomplete = resolve;
              }});
              db.close();
            }}"""
        )
        outcome = tab.run(
            """
            storage = create_encrypted_indexeddb_storage()
            try:
                await storage.set_item(KEY, "text")
                outcome = await storage.get_item(KEY)
            except Exception as exc:
                outcome = str(exc)
            storage.destroy()
            outcome
            """
        )
        stored = tab.page.evaluate(
            "async () => { const [[k, v]] = await faults.entries(faults.keyDb(), 'keys'); return [k, String(v), v.algorithm?.name, v.extractable]; }"
        )
        if outcome != "text" or stored != ["aes-gcm-256", "[object CryptoKey]", "AES-GCM", False]:
            problems.append(f"key record {value}: read back {outcome!r}, key record now {stored}")
    finish(tab, "fuzz:key-records", problems=problems, inputs=len(CORRUPTED_KEYS))
