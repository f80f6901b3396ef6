"""Malformed input from seeded, reproducible generators (issue 6): stored blobs, tab messages, wallet answers and events.

Each test runs its whole loop inside one page and reports what went wrong case
by case (with the case number and a description of the input), so a failure
names the seed and the case to replay. Sizes: ``PYSESSION_FUZZ_<WHAT>`` or
``PYSESSION_FULL_COUNTS=1`` (``python build.py reliability``); the seed:
``PYSESSION_FUZZ_SEED``.
"""

from __future__ import annotations

import os
from pathlib import Path

from faultkit import arm, assert_clean, record, size

FUZZ_JS = (Path(__file__).resolve().parent / "fuzz.js").read_text()
SEED = int(os.environ.get("PYSESSION_FUZZ_SEED", "20260"))
PARTY = "party::mock-1"


def fuzz_tab(pyodide_page):
    tab = arm(pyodide_page)
    tab.page.add_init_script(FUZZ_JS)
    tab.page.evaluate(FUZZ_JS)
    tab.run(
        """
        import base64
        from pysession._envelope import PersistedSessionSnapshot, encode_session_envelope
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


def test_bad_tab_messages_are_ignored_and_good_ones_still_apply(pyodide_page):
    count = size("fuzz_messages", ci=120, full=1000)
    tab = fuzz_tab(pyodide_page)
    result = tab.run(
        f"""
        store = pysession.create_session_store(js.mockWallet, storage=pysession.MemoryStorage(), broadcast=True)
        await app(store.connect())
        changes = []
        store.subscribe(lambda: changes.append(view(store)))
        peer = js.faults.original.BroadcastChannel.new(f"partylayer.session.sync::{{js.location.origin}}::{{KEY}}")
        delivered = skipped = 0
        for start in range(0, {count}, 25):
            before = view(store)
            changes.clear()
            described = {{}}
            for i in range(start, min(start + 25, {count})):
                described[i] = js.fuzz.post(peer, {SEED}, i)
                if described[i].startswith("not cloneable"):
                    skipped += 1
                else:
                    delivered += 1
            sentinel = f"party::sentinel-{{start}}"
            peer.postMessage(to_js_object({{"v": 1, "kind": "party", "partyId": sentinel}}))
            for _ in range(500):
                if view(store)["party"] == sentinel:
                    break
                await asyncio.sleep(0.01)
            else:
                hangs.append(f"messages {{start}}..: the good message after them never applied")
            expected = {{**before, "party": sentinel, "parties": [sentinel] + [p for p in before["parties"] if p != sentinel]}}
            if changes != [expected]:
                problems.append(f"messages {{start}}..{{start + 24}} changed the store: {{changes[:3]}}; inputs: {{list(described.values())[:25]}}")
                await app(store.connect())
        store.destroy()
        peer.close()
        dict(delivered=delivered, skipped=skipped, problems=problems[:10], escaped=escaped, hangs=hangs)
        """,
        timeout=900,
    )
    assert result["problems"] == [], result["problems"]
    assert result["skipped"] < count // 10 and result["delivered"] + result["skipped"] == count
    assert_clean(tab)
    record("fuzz:tab-messages", inputs=result["delivered"])


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
    assert result["problems"] == [], result["problems"]
    assert_clean(tab)
    record("fuzz:wallet-answers", inputs=count, lost=result["lost"])


def test_bad_wallet_events_change_nothing_but_last_error(pyodide_page):
    count = size("fuzz_events", ci=120, full=1000)
    tab = fuzz_tab(pyodide_page)
    result = tab.run(
        f"""
        storage = pysession.MemoryStorage()
        store = pysession.create_session_store(js.mockWallet, storage=storage)
        await app(store.connect())
        EVENTS = ["statusChanged", "accountsChanged", "chainChanged"]
        for i in range({count}):
            if store.get_snapshot().status != "connected":
                await app(store.connect(), what=f"case {{i}} reconnect")
            before = store.get_snapshot()
            event = EVENTS[i % 3]
            described = js.fuzz.emit({SEED}, i, event)
            await asyncio.sleep(0)
            after = store.get_snapshot()
            if (why := incoherent(after)) and after.status != "reconnecting":
                problems.append(f"case {{i}} {{event}}({{described}}): {{why}}")
            if after.last_error is not before.last_error and "malformed" in str(after.last_error):
                fields = lambda s: (s.status, s.account, s.accounts, s.network_id)
                if fields(after) != fields(before):
                    problems.append(f"case {{i}} {{event}}({{described}}): reported malformed, yet the session changed")
            if i % 50 == 49 and store.get_snapshot().status == "connected":
                await store._writer.flush()
                on_disk = pysession.decode_session_envelope(storage.get_item(KEY))
                s = store.get_snapshot()
                if on_disk is None or (on_disk.account, on_disk.network_id) != (s.account, s.network_id):
                    problems.append(f"case {{i}}: the persisted session disagrees with memory")
        store.destroy()
        dict(problems=problems[:10], escaped=escaped, hangs=hangs)
        """,
        timeout=900,
    )
    assert result["problems"] == [], result["problems"]
    assert_clean(tab)
    record("fuzz:wallet-events", inputs=count)
