"""Load and lifecycle at scale: many tabs doing everything at once; many lifetimes in one page.

- Tabs of one origin share a browser-extension-like wallet and run random mixed
  operations (connect, disconnect, switch party, switch network, provider drop,
  reload) without waiting for each other; afterwards every tab, the wallet and
  the persisted envelope must agree.
- One page makes, uses and destroys stores through every fault path; live JS
  proxies, event listeners, pending timers, BroadcastChannels and IndexedDB
  connections must come back to where they started.

Sizes: ``PYSESSION_LOAD_TABS``, ``PYSESSION_LOAD_OPS`` (per tab),
``PYSESSION_LEAK_CYCLES``, or ``PYSESSION_FULL_COUNTS=1``.
"""

from __future__ import annotations

import os
import random
import re
import time

from faultkit import PRELUDE, arm, finish, size
from kit import watch_leaks

SEED = int(os.environ.get("PYSESSION_LOAD_SEED", "6"))
PARTIES = ["party::alice", "party::bob", "party::carol"]
NETWORKS = ["canton:da-devnet", "canton:testnet", "canton:mainnet"]

STORE = """
store = pysession.create_session_store(
    js.mockWallet, broadcast=True, reconnect=pysession.RetryPolicy(base_delay_ms=40, max_attempts=4)
)
await app(store.init(), what="init after load")
running = []
def start(action):
    running.append(asyncio.ensure_future(app(getattr(store, action)(), what=action)))
"""

TAB_VIEW = "[view(store)['status'], view(store)['party'], view(store)['network'], js.JSON.stringify(js.mockWallet.state())]"


def open_tab(tab):
    arm(tab, wallet={"shared": True})
    tab.run(STORE)
    return tab


def reload_tab(tab):
    tab.run("store.destroy()")
    tab.reload()
    tab.run(PRELUDE)
    tab.run(STORE)


def quiesce(tabs, timeout=30.0):
    """Wait until no tab is busy and two looks 300 ms apart see the same tabs and envelope."""
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        views = [tab.run(TAB_VIEW) for tab in tabs]
        envelope = tabs[0].run("e = await persisted()\nNone if e is None else [e['account'] and e['account']['partyId'], e['networkId']]")
        now = (views, envelope)
        busy = any(view[0] in ("connecting", "reconnecting") for view in views)
        if not busy and now == previous:
            return views, envelope
        previous = now
        tabs[0].page.wait_for_timeout(300)
    raise AssertionError(f"tabs never settled: {previous}")


def divergences(views, envelope):
    """Every way the tabs, the wallet and the persisted envelope disagree."""
    found = []
    wallets = {view[3] for view in views}
    if len(wallets) != 1:
        found.append(f"the tabs' wallets disagree: {wallets}")
    connected = [(i, view) for i, view in enumerate(views) if view[0] == "connected"]
    for i, view in enumerate(views):
        if view[0] not in ("connected", "disconnected"):
            found.append(f"tab {i} is stuck {view[0]}")
        elif view[0] == "disconnected" and (view[1] or view[2]):
            found.append(f"tab {i} is disconnected but holds {view[1:3]}")
    for i, view in connected:
        wallet = __import__("json").loads(view[3])
        if [view[1], view[2]] != [wallet["partyId"], wallet["networkId"]] or not wallet["connected"]:
            found.append(f"tab {i} has {view[1:3]} but the wallet has {wallet}")
        if envelope != [view[1], view[2]]:
            found.append(f"tab {i} has {view[1:3]} but the disk has {envelope}")
    if not connected and envelope is not None:
        found.append(f"no tab is connected, yet the disk holds a session {envelope}")
    return found


def test_many_tabs_doing_everything_at_once_end_up_agreeing(pyodide_page, new_tab):
    tab_count = size("load_tabs", ci=3, full=16)
    ops_per_tab = size("load_ops", ci=25, full=200)
    rng = random.Random(SEED)
    tabs = [open_tab(pyodide_page)] + [open_tab(new_tab()) for _ in range(tab_count - 1)]
    tabs[0].run("start('connect')\nawait asyncio.gather(*running)")
    started = time.monotonic()
    ops = {"connect": 0, "disconnect": 0, "party": 0, "network": 0, "drop": 0, "reload": 0}
    plan = [i for i in range(tab_count) for _ in range(ops_per_tab)]
    rng.shuffle(plan)
    checkpoints = []
    for step, index in enumerate(plan):
        tab = tabs[index]
        op = rng.choices(list(ops), weights=[30, 12, 22, 18, 14, 4])[0]
        ops[op] += 1
        if op in ("connect", "disconnect"):
            tab.run(f"start({op!r})")
        elif op == "party":
            tab.page.evaluate("(p) => mockWallet.setParty(p)", rng.choice(PARTIES))
        elif op == "network":
            tab.page.evaluate("(n) => mockWallet.setNetwork(n)", rng.choice(NETWORKS))
        elif op == "drop":
            tab.page.evaluate("mockWallet.drop()")
        else:
            reload_tab(tab)
        if step % 400 == 399:  # a look mid-run: settled tabs must already agree
            views, envelope = quiesce(tabs)
            checkpoints.append(divergences(views, envelope))
    views, envelope = quiesce(tabs)
    found = divergences(views, envelope) + [f"mid-run: {line}" for check in checkpoints for line in check]
    # Reloaded now, a tab restores exactly what the others hold.
    reload_tab(tabs[-1])
    views, envelope = quiesce(tabs)
    found += [f"after a reload: {line}" for line in divergences(views, envelope)]
    # Tabs named in a disagreement, plus one for each disagreement that names no tab (wallets, an orphan envelope).
    named = [re.search(r"\btab (\d+)", line) for line in found]
    divergent = len({match.group(1) for match in named if match}) + sum(match is None for match in named)
    for tab in tabs:
        tab.run("await asyncio.gather(*running)\nstore.destroy()")
    print(f"\n{tab_count} tabs x {ops_per_tab} ops {ops} in {time.monotonic() - started:.1f} s; final {views[0][:3]}")
    finish(tabs, "load:tabs", problems=found, operations=len(plan), divergent=divergent)


CYCLES = """
from pysession.browser.jsvalues import to_js_object

peer = js.faults.original.BroadcastChannel.new(f"partylayer.session.sync::{js.location.origin}::{KEY}")

def raising(*_):
    raise RuntimeError("app bug")

async def reauth(context):
    await asyncio.sleep(0)

async def safe(awaitable):
    # app() bounds calls with wait_for, whose timer Pyodide never clears: not here, where timers are counted.
    try:
        await awaitable
    except Exception as exc:
        escaped.append(repr(exc))

async def cycle(i):
    scenario = i % 7
    store = pysession.create_session_store(
        js.mockWallet,
        broadcast=True,
        reconnect=pysession.RetryPolicy(base_delay_ms=60_000),
        expiry=pysession.ExpiryOptions(ttl_ms=60_000 if scenario != 6 else 30, on_reauth_required=reauth),
        on_invalidate=raising if i % 2 else None,
    )
    store.subscribe(raising if i % 3 == 0 else (lambda: None))
    store.on("party:changed", raising)
    if scenario == 0:
        await safe(store.init())
        await safe(store.connect())
        js.mockWallet.setParty(f"party::p{i % 5}")
    elif scenario == 1:
        fault("walletRejects", "plain")
        await safe(store.connect())
        await safe(store.init())
        fault("walletRejects", False)
    elif scenario == 2:
        await js.faults.writeRaw(KEY, '{"f":1,"iv":"AAAAAAAAAAAAAAAA","ct":"' + "A" * 64 + '"}')
        await safe(store.init())
    elif scenario == 3:
        await safe(store.connect())
        fault("quota")
        js.mockWallet.setNetwork(f"canton:n{i % 3}")
        await asyncio.sleep(0.005)
        fault("quota", False)
    elif scenario == 4:
        await safe(store.connect())
        peer.postMessage(to_js_object({"v": 1, "kind": "party", "partyId": f"party::q{i}"}))
        peer.postMessage(to_js_object({"v": 2, "kind": "disconnect"}))
        await asyncio.sleep(0.005)
    elif scenario == 5:
        await safe(store.connect())
        js.mockWallet.drop()   # a reconnect armed 60 s ahead
    else:
        await safe(store.connect())
        await asyncio.sleep(0.05)   # the 30 ms TTL runs out; re-auth runs
    store.destroy()
"""


def test_many_store_lifetimes_through_every_fault_path_leave_nothing_behind(pyodide_page):
    cycles = size("leak_cycles", ci=70, full=1000)
    tab = watch_leaks(arm(pyodide_page))
    tab.run(CYCLES)
    # Warm up: imports done and the origin's key made once, before counting.
    tab.run("warm = await connected_store()\nwarm.destroy()\ndel warm")
    start = tab.run("counts()")
    # The counters see a live store (so that a leak could not go unseen).
    during = tab.run("live = await connected_store(broadcast=True)\ncounts()")
    assert during["proxies"] > start["proxies"] and during["listeners"] > start["listeners"]
    assert [during[key] - start[key] for key in ("channels", "connections", "wallet listeners")] == [1, 2, 4]
    tab.run("live.destroy()\ndel live")
    tab.run(f"for i in range({cycles}):\n    await cycle(i)", timeout=900)
    # Writes cut short by destroy() may still be settling in IndexedDB: a deadline, not a sleep.
    deadline = time.monotonic() + 15
    while (end := tab.run("counts()")) != start and time.monotonic() < deadline:
        tab.page.wait_for_timeout(50)
    tab.run("peer.close()")
    left = {key: end[key] - start[key] for key in start if end[key] != start[key]}
    finish(tab, "leaks:store-lifetimes", problems=[f"left behind: {left}"] if left else [], operations=cycles,
           proxies=end["proxies"] - start["proxies"], resources=sum(abs(v) for k, v in left.items() if k != "proxies"))


def test_the_agreement_check_sees_every_kind_of_disagreement():
    """The oracle of the many-tabs test, on made-up views: it must not be able to pass everything."""
    wallet = '{"connected":true,"partyId":"party::a","networkId":"canton:x"}'
    good = ["connected", "party::a", "canton:x", wallet]
    assert divergences([good, good, ["disconnected", None, None, wallet]], ["party::a", "canton:x"]) == []
    assert divergences([["disconnected", None, None, wallet]], None) == []
    cases = [
        ([good, ["connected", "party::b", "canton:x", wallet]], ["party::a", "canton:x"]),  # a tab on another party
        ([good], ["party::a", "canton:y"]),  # the disk on another network
        ([good], None),  # nothing on disk
        ([["disconnected", None, None, wallet]], ["party::a", "canton:x"]),  # an orphan session on disk
        ([["reconnecting", "party::a", "canton:x", wallet]], ["party::a", "canton:x"]),  # stuck
        ([["disconnected", "party::a", None, wallet]], None),  # disconnected, still holding
        ([good, good[:3] + [wallet.replace("true", "false")]], ["party::a", "canton:x"]),  # wallets disagree
    ]
    for views, envelope in cases:
        assert divergences(views, envelope), (views, envelope)
