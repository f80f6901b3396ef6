"""``BroadcastOptions(channel_factory=...)`` takes what the original takes.

None is a single tab; a Python object shaped like a BroadcastChannel (``postMessage``,
``close``, and an ``onmessage`` the store assigns or ``addEventListener``) syncs tabs
like a real one, its messages arriving as objects with ``.data`` or ``["data"]``; a
factory that raises gives a single tab; anything else is refused by name. Whatever
the factory returned, ``destroy()`` never raises.
"""

from __future__ import annotations

import asyncio
import copy
from types import SimpleNamespace

import pytest

import pysession
from pysession.browser import BroadcastOptions
from pysession.testing import MockWallet

from .support import make_store, settle


class Bus:
    """The tabs of one origin, each with a BroadcastChannel-shaped Python object."""

    def __init__(self, channel_class: type, wrap: str = "attribute") -> None:
        self.channel_class = channel_class
        self.wrap = wrap  # how an event carries its data: "attribute" (event.data) or "key" (event["data"])
        self.open: list = []

    def factory(self, name: str):
        channel = self.channel_class(self, name)
        self.open.append(channel)
        return channel

    @property
    def options(self) -> BroadcastOptions:
        return BroadcastOptions(channel_factory=self.factory)

    def deliver(self, sender, data) -> None:
        loop = asyncio.get_running_loop()
        for other in self.open:
            if other is not sender and other.name == sender.name:
                event = SimpleNamespace(data=copy.deepcopy(data)) if self.wrap == "attribute" else {"data": copy.deepcopy(data)}
                loop.call_soon(other.receive, event)


class OnMessageChannel:
    """``postMessage``, ``close`` and an ``onmessage`` attribute, like a BroadcastChannel."""

    def __init__(self, bus: Bus, name: str) -> None:
        self.bus, self.name = bus, name
        self.onmessage = None
        self.posted: list = []
        self.closed = False

    def postMessage(self, data) -> None:  # noqa: N802 - the BroadcastChannel name
        self.posted.append(data)
        self.bus.deliver(self, data)

    def receive(self, event) -> None:
        if not self.closed and self.onmessage is not None:
            self.onmessage(event)

    def close(self) -> None:
        self.closed = True
        self.bus.open.remove(self)


class ListenerChannel(OnMessageChannel):
    """``addEventListener("message", fn)`` / ``removeEventListener`` instead of ``onmessage``."""

    def __init__(self, bus: Bus, name: str) -> None:
        super().__init__(bus, name)
        self.listeners: list = []

    def addEventListener(self, kind, listener) -> None:  # noqa: N802
        assert kind == "message"
        self.listeners.append(listener)

    def removeEventListener(self, kind, listener) -> None:  # noqa: N802
        self.listeners.remove(listener)

    def receive(self, event) -> None:
        if not self.closed:
            for listener in list(self.listeners):
                listener(event)


async def two_tabs(bus: Bus):
    tabs = []
    for _ in range(2):
        wallet = MockWallet()
        store = make_store(wallet, broadcast=bus.options)
        await store.connect()
        tabs.append((wallet, store))
    return tabs


@pytest.mark.parametrize(
    ("channel_class", "wrap"),
    [(OnMessageChannel, "attribute"), (OnMessageChannel, "key"), (ListenerChannel, "attribute"), (ListenerChannel, "key")],
)
def test_a_python_broadcast_channel_syncs_tabs_like_a_real_one(run, channel_class, wrap):
    bus = Bus(channel_class, wrap)

    async def main():
        (wallet_a, a), (_, b) = await two_tabs(bus)
        wallet_a.set_party("party::two")
        await settle()
        assert bus.open[0].posted[-1] == {"v": 1, "kind": "party", "partyId": "party::two"}
        await a.disconnect()
        await settle()
        assert b.get_snapshot() == pysession.SessionState()
        assert bus.open[1].posted == []  # the receiving tab sends nothing back
        a.destroy()
        b.destroy()
        assert bus.open == []

    run(main)


def test_messages_from_a_python_channel_are_validated_like_any_other_tabs(run):
    bus = Bus(OnMessageChannel)

    async def main():
        (_, a), (_, b) = await two_tabs(bus)
        channel_a, channel_b = bus.open
        before = b.get_snapshot()
        for data in (None, "disconnect", {"v": 2, "kind": "disconnect"}, {"kind": "disconnect"}, [1], {"v": 1}):
            channel_b.receive(SimpleNamespace(data=data))
            channel_b.receive({"data": data})
        channel_b.receive(object())
        channel_b.receive(SimpleNamespace())
        await settle()
        assert b.get_snapshot() is before
        channel_b.receive({"data": {"v": 1, "kind": "disconnect"}})
        await settle()
        assert b.get_snapshot() == pysession.SessionState()
        assert a.get_snapshot().status == "connected"

    run(main)


def test_a_factory_that_returns_none_gives_a_single_tab(run):
    async def main():
        names = []
        store = make_store(broadcast=BroadcastOptions(channel_factory=lambda name: names.append(name)))
        assert (await store.connect()).status == "connected"
        await store.disconnect()
        store.destroy()
        assert names == ["partylayer.session.sync::no-origin::partylayer.session.connected"]

    run(main)


@pytest.mark.parametrize("error", [TypeError, RuntimeError])
def test_a_factory_that_raises_gives_a_single_tab(run, error):
    """Like the TypeScript broadcast.ts: a failing channel factory degrades to no sync, not to no store."""

    def factory(name):
        raise error("BroadcastChannel blocked by policy")

    async def main():
        store = make_store(broadcast=BroadcastOptions(channel_factory=factory))
        assert (await store.connect()).status == "connected"
        assert store.get_snapshot().last_error is None
        await store.disconnect()
        store.destroy()

    run(main)


@pytest.mark.parametrize("value", ["channel", 42, object(), {"postMessage": print, "close": print}, SimpleNamespace(close=print)])
def test_a_factory_that_returns_no_channel_is_refused_by_name(value):
    with pytest.raises(TypeError, match="channel_factory"):
        make_store(broadcast=BroadcastOptions(channel_factory=lambda name: value))


def test_a_channel_that_takes_no_listener_is_refused_by_name():
    class Sealed:
        __slots__ = ()

        def postMessage(self, data):  # noqa: N802
            pass

        def close(self):
            pass

    with pytest.raises(TypeError, match="channel_factory"):
        make_store(broadcast=BroadcastOptions(channel_factory=lambda name: Sealed()))


class FailingClose(ListenerChannel):
    def removeEventListener(self, kind, listener):  # noqa: N802
        raise RuntimeError("removeEventListener failed")

    def close(self):
        raise RuntimeError("close failed")


class FailingSyncChannel:
    """A ``SyncChannel`` the app made, whose every cleanup fails."""

    active = True

    def post(self, message):
        pass

    def on_message(self, handler):
        def undo():
            raise RuntimeError("undo failed")

        return undo

    def close(self):
        raise RuntimeError("close failed")


@pytest.mark.parametrize("make", [lambda bus: FailingClose(bus, "x"), lambda bus: FailingSyncChannel()], ids=["broadcast-like", "sync-channel"])
def test_destroy_never_raises_when_the_channel_fails_to_close(run, make):
    async def main():
        wallet = MockWallet()
        store = make_store(wallet, broadcast=BroadcastOptions(channel_factory=lambda name: make(Bus(FailingClose))))
        await store.connect()
        store.destroy()
        before = store.get_snapshot()
        wallet.set_party("party::two")
        assert store.get_snapshot() is before

    run(main)
