"""SCENARIO-8 to 11 over the real BroadcastChannel between real tabs of one origin.

Each tab has its own, unshared mock wallet, so the session store's channel is
the only way news travels between tabs. A raw BroadcastChannel listener in a
page records every message on the session channel; a "fence" message posted
after the change proves that nothing else was sent before it (messages of one
tab arrive in order) without sleeping.
"""

from __future__ import annotations

import json

import pytest

from pysession.testing.plugin import PythonError

from kit import DEFAULT_KEY, prepare

TAB_STORE = """
events, invalidations = [], []
store = pysession.create_session_store(
    js.mockWallet, broadcast=True,
    on_invalidate=lambda e: invalidations.append([e.type, e.previous, e.current]),
)
for kind in ("party:changed", "network:changed"):
    store.on(kind, lambda e: events.append([e.type, e.previous, e.current]))
await store.connect()
view(store)
"""

DISCONNECTED = {"status": "disconnected", "party": None, "parties": [], "network": None, "error": None}


def listen(tab) -> None:
    tab.page.evaluate("(k) => { window.recorder = wire.listen(location.origin, k); }", DEFAULT_KEY)


def fenced(listener, *senders) -> list:
    """What `listener`'s raw channel heard, once a fence posted by each sender after everything else has arrived."""
    for index, sender in enumerate(senders):
        sender.page.evaluate("([k, n]) => wire.post(location.origin, k, { fence: n })", [DEFAULT_KEY, index])
    listener.page.wait_for_function(
        "(n) => recorder.heard.filter(([, , text]) => text.startsWith('{\"fence\"')).length === n",
        arg=len(senders),
        timeout=5000,
    )
    heard = listener.page.evaluate("recorder.heard")
    return [message for message in heard if not message[2].startswith('{"fence"')]


def test_a_disconnect_in_one_tab_reaches_every_other_and_none_answers(pyodide_page, new_tab):
    """SCENARIO-8: three tabs; one disconnects; the other two end their session; only one message ever crosses."""
    tabs = [prepare(pyodide_page, party_id="party::alice"), prepare(new_tab()), prepare(new_tab())]
    for tab in tabs:
        assert tab.run(TAB_STORE)["status"] == "connected"
    sender, *receivers = tabs
    listen(sender)
    sender.run("await store.disconnect()")
    for tab in receivers:
        tab.wait_for("store.get_snapshot().status == 'disconnected'")
        assert tab.run("view(store)") == DISCONNECTED
        assert tab.run("[events, invalidations]") == [[], []]
    assert fenced(sender, *receivers) == [["object", True, '{"v":1,"kind":"disconnect"}']]
    receivers[-1].wait_for("await persisted() is None")  # and the session is no longer persisted
    for tab in tabs:
        tab.run("store.destroy()")
        assert tab.console_errors == []


def test_party_and_network_switches_propagate_and_none_echoes(pyodide_page, new_tab):
    """SCENARIO-9 and 10: a switch in tab A reaches tab B, with the events and on_invalidate; a reorder is no switch.

    B's own wallet does not list A's new party: as in the original, B emits
    party:changed and keeps its account (no account is made up); the network
    B takes as it is.
    """
    a = prepare(pyodide_page, party_id="party::alice")
    b = prepare(new_tab(), party_id="party::alice")
    for tab in (a, b):
        tab.run(TAB_STORE)
    listen(b)

    a.page.evaluate("mockWallet.setParty('party::bob')")
    b.wait_for("['party:changed', 'party::alice', 'party::bob'] in events")
    assert b.run("view(store)")["party"] == "party::alice", "B's wallet does not list bob: its account stays"
    a.page.evaluate("mockWallet.setNetwork('canton:other')")
    b.wait_for("view(store)['network'] == 'canton:other'")
    switches = [
        ["party:changed", "party::alice", "party::bob"],
        ["network:changed", "canton:da-devnet", "canton:other"],
    ]
    for tab, party in ((a, "party::bob"), (b, "party::alice")):
        assert tab.run("[events, invalidations]") == [switches, switches]
        state = tab.run("view(store)")
        assert (state["status"], state["party"], state["network"]) == ("connected", party, "canton:other")

    # The same primary in another order is no switch.
    a.page.evaluate(
        """() => {
          const bob = { primary: true, partyId: "party::bob", status: "allocated", hint: "party",
            publicKey: "mock-public-key", namespace: "mock-namespace", networkId: "canton:da-devnet",
            signingProviderId: "mock-signer" };
          const carol = { ...bob, primary: false, partyId: "party::carol" };
          mockWallet.emit("accountsChanged", [carol, bob]);
          mockWallet.emit("accountsChanged", [bob, carol]);
        }"""
    )
    assert a.run("view(store)")["parties"] == ["party::bob", "party::carol"]
    assert a.run("events") == switches

    assert fenced(b, a) == [
        ["object", True, '{"v":1,"kind":"party","partyId":"party::bob"}'],
        ["object", True, '{"v":1,"kind":"network","networkId":"canton:other"}'],
    ]
    # Tab A rewrote the persisted snapshot; B, which only heard of it, wrote nothing back.
    b.wait_for("'\"networkId\":\"canton:other\",\"connectedAt\"' in (await persisted() or '')")
    snapshot = json.loads(b.run("await persisted()"))
    assert (snapshot["account"]["partyId"], snapshot["networkId"]) == ("party::bob", "canton:other")
    for tab in (a, b):
        tab.run("store.destroy()")
        assert tab.console_errors == []


@pytest.mark.parametrize("how", ["no BroadcastChannel", "a factory answering None"])
def test_a_single_tab_works_without_a_channel(pyodide_page, how):
    """SCENARIO-11: with no channel the tab connects, switches, persists and disconnects as usual, silently."""
    if how == "no BroadcastChannel":
        pyodide_page.page.evaluate("() => { delete window.BroadcastChannel; }")
        broadcast = "True"
    else:
        broadcast = "BroadcastOptions(channel_factory=lambda name: None)"
    tab = prepare(pyodide_page, party_id="party::alice")
    assert tab.page.evaluate("typeof BroadcastChannel") == ("undefined" if how == "no BroadcastChannel" else "function")
    assert tab.run(TAB_STORE.replace("broadcast=True", f"broadcast={broadcast}")) == {
        "status": "connected", "party": "party::alice", "parties": ["party::alice"],
        "network": "canton:da-devnet", "error": None,
    }
    tab.page.evaluate("mockWallet.setParty('party::bob')")
    assert tab.run("[events, invalidations]") == [[["party:changed", "party::alice", "party::bob"]]] * 2
    tab.wait_for("'party::bob' in (await persisted() or '')")
    tab.run("await store.disconnect()")
    assert tab.run("view(store)") == DISCONNECTED
    tab.run("store.destroy()")
    if how == "no BroadcastChannel":
        with pytest.raises(PythonError, match="BroadcastChannel") as raised:
            tab.run(f"open_sync_channel({DEFAULT_KEY!r})")
        assert raised.value.type_name == "BrowserUnavailableError"
    assert tab.console_errors == []


JS_FACTORIES = """() => {
  window.factoryCalls = [];
  // A JS function as the factory, answering a real BroadcastChannel.
  window.channelFactory = (name) => { factoryCalls.push(name); return new BroadcastChannel(name); };
  // One answering a BroadcastChannel-like object with only postMessage, close and onmessage.
  window.wrapperFactory = (name) => {
    factoryCalls.push(name);
    const channel = new BroadcastChannel(name);
    window.wrapper = {
      closed: false,
      postMessage: (data) => channel.postMessage(data),
      close() { this.closed = true; channel.close(); },
      set onmessage(listener) { channel.onmessage = listener; },
      get onmessage() { return channel.onmessage; },
    };
    return wrapper;
  };
}"""


def test_a_js_channel_factory_syncs_tabs(pyodide_page, new_tab):
    """A JS factory answering a BroadcastChannel, or an object with onmessage only, syncs tabs as broadcast=True does."""
    tabs = [prepare(pyodide_page, party_id="party::alice"), prepare(new_tab(), party_id="party::alice")]
    for tab, factory in zip(tabs, ("channelFactory", "wrapperFactory")):
        tab.page.evaluate(JS_FACTORIES)
        store = TAB_STORE.replace("broadcast=True", f"broadcast=BroadcastOptions(channel_factory=js.{factory})")
        assert tab.run(store)["status"] == "connected"
        assert tab.page.evaluate("factoryCalls") == [f"partylayer.session.sync::{tab.page.evaluate('location.origin')}::{DEFAULT_KEY}"]
    a, b = tabs
    a.page.evaluate("mockWallet.setParty('party::bob')")
    b.wait_for("['party:changed', 'party::alice', 'party::bob'] in events")  # B's wallet does not list bob
    b.page.evaluate("mockWallet.setNetwork('canton:other')")
    a.wait_for("view(store)['network'] == 'canton:other'")
    b.run("await store.disconnect()")
    a.wait_for("store.get_snapshot().status == 'disconnected'")
    assert a.run("view(store)") == DISCONNECTED
    for tab in tabs:
        tab.run("store.destroy()")
        assert tab.console_errors == []
    assert b.page.evaluate("[wrapper.closed, wrapper.onmessage]") == [True, None]
