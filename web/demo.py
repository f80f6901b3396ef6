"""The pysession demo dApp, run by PyScript from index.html, and in a PyScript worker from worker.html.

It drives the wallet it finds at ``window.canton`` (web/wallet-extension.js puts
a mock one there, as a browser-extension wallet would) through one pysession
store, and shows what the store does: its status, party and network, the
session as IndexedDB holds it (ciphertext) beside what pysession decrypts, the
store's events, and countdowns to the next reconnect attempt and to expiry.

Proxies: each DOM listener goes through ``pyodide.ffi.wrappers``, which makes
one proxy per listener and destroys it on removal; the countdowns and the
re-reading are asyncio tasks, which need no proxies of ours; the store destroys
its own. ``Demo.close()`` undoes all of it when the page goes away
(tests/browser/test_demo.py checks that nothing is left).

In a worker, ``pyscript``'s ``window`` and ``document`` are the page's, so the
same code runs there unchanged.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urljoin, urlsplit

from pyodide.ffi.wrappers import add_event_listener, remove_event_listener
from pyscript import document, window

import pysession
from pysession.browser import JsProvider, create_encrypted_indexeddb_storage
from pysession.events import EVENT_TYPES

# Where the session lives (the names @partylayer/session uses too): the store's
# default key, and this origin's ciphertext and key databases.
STORAGE_KEY = "partylayer.session.connected"
ORIGIN = str(window.location.origin)
DATA_DATABASE = f"partylayer-session-data::{ORIGIN}"
KEY_DATABASE = f"partylayer-session-key::{ORIGIN}"

RETRY = pysession.RetryPolicy(base_delay_ms=1_000, factor=2, max_delay_ms=8_000, max_attempts=4)
SESSION_TTL_MS = 2 * 60_000
LOG_LIMIT = 40
TICK_S = 0.1  # how often the countdowns redraw
REREAD_S = 1.0  # how often "at rest" is read again when this tab changed nothing (another tab may have)
NOTHING = "—"  # an empty value; shown in one font wherever it stands (class "empty")


def by_id(element_id: str) -> Any:
    return document.getElementById(element_id)


def show(element_id: str, text: str) -> None:
    element = by_id(element_id)
    if element.textContent != text:
        element.textContent = text
    element.classList.toggle("empty", text == NOTHING)


def now_ms() -> float:
    return time.time() * 1000


def describe_error(error: Exception) -> str:
    """The error row: the class a dApp would catch, the wallet's code when it gave one, the message."""
    code = f" {error.code}" if isinstance(error, pysession.WalletError) and error.code is not None else ""
    return f"{type(error).__name__}{code}: {error}"


def sign_in_url(error: Exception | None) -> str | None:
    """Where the wallet asks its user to sign in, when it answered a connect so; only a web page's address."""
    if not isinstance(error, pysession.NotConnectedError) or error.user_url is None:
        return None
    url = urljoin(str(window.location.href), error.user_url)
    return url if urlsplit(url).scheme in ("http", "https") else None


def describe(event: Any) -> str:
    """One line for the event log; the type is shown beside it."""
    match event.type:
        case "reconnect:scheduled":
            return f"attempt {event.attempt} in {event.delay_ms} ms"
        case "reconnect:attempt" | "reconnect:succeeded":
            return f"attempt {event.attempt}"
        case "reconnect:gaveup":
            return f"after {event.attempts} attempts: {event.last_error}"
        case "session:expired":
            return f"TTL of {SESSION_TTL_MS // 1000} s reached; re-authenticating"
        case _:  # party:changed, network:changed
            return f"{event.previous} → {event.current}"


class ObservedStorage:
    """A SessionStorage over another one that calls ``written()`` once each write has landed."""

    def __init__(self, inner: Any, written: Callable[[], None]) -> None:
        self._inner = inner
        self._written = written

    async def get_item(self, key: str) -> str | None:
        return await self._inner.get_item(key)

    async def set_item(self, key: str, value: str) -> None:
        await self._inner.set_item(key, value)
        self._written()

    async def remove_item(self, key: str) -> None:
        await self._inner.remove_item(key)
        self._written()


class Demo:
    """The page: one store over the wallet, drawn on every change; owns every listener and task it makes."""

    def __init__(self, provider: Any) -> None:
        self.encrypted = create_encrypted_indexeddb_storage()
        self.at_rest_stale = asyncio.Event()
        self.store = pysession.create_session_store(
            provider,
            storage=ObservedStorage(self.encrypted, self.at_rest_stale.set),
            reconnect=RETRY,
            expiry=pysession.ExpiryOptions(ttl_ms=SESSION_TTL_MS, on_reauth_required=self.reauthenticate),
            broadcast=True,
        )
        self.tasks: set[asyncio.Task[Any]] = set()
        self.listeners: list[tuple[Any, str, Callable[[Any], None]]] = []
        self.next_attempt: tuple[int, float | None] | None = None  # (attempt, when in epoch ms, None = running)
        self.expires_at: float | None = None
        self.logged_status = ""  # the status the log last showed

    async def start(self) -> None:
        """Wire the page to the store, restore the session, then take the loading indicator away."""
        self.store.subscribe(self.render)
        for event_type in EVENT_TYPES:
            self.store.on(event_type, self.log)
        self.listen(by_id("connect"), "click", lambda _: self.spawn(self.store.connect()))
        self.listen(by_id("disconnect"), "click", lambda _: self.spawn(self.store.disconnect()))
        self.listen(window, "pagehide", self.page_hidden)
        show("runtime", f"Python {sys.version.split()[0]} · pysession {pysession.__version__}")
        await self.store.init()  # restores the session when the wallet is still connected
        self.render()
        self.logged_status = self.store.get_snapshot().status
        self.store.subscribe(self.log_status)  # from here on; the restore above shows in the status itself
        self.spawn(self.keep_at_rest_shown())
        self.spawn(self.tick())
        by_id("loading").hidden = True

    # -- the store, drawn ----------------------------------------------------

    def render(self) -> None:
        """Draw the store's snapshot (a subscriber: called after every change)."""
        state = self.store.get_snapshot()
        status = by_id("status")
        status.textContent = state.status
        status.dataset.status = state.status
        show("party", state.account.party_id if state.account else NOTHING)
        show("network", state.network_id or NOTHING)
        show("error", describe_error(state.last_error) if state.last_error else NOTHING)
        by_id("error").classList.toggle("error", state.last_error is not None)
        url = sign_in_url(state.last_error)
        by_id("sign-in").hidden = url is None
        if url is not None:
            by_id("sign-in-link").href = url
        by_id("connect").disabled = state.status != "disconnected"
        by_id("disconnect").disabled = state.status == "disconnected"
        if state.status != "reconnecting":
            self.next_attempt = None
        self.at_rest_stale.set()

    def log(self, event: Any) -> None:
        """Add a store event to the log; reconnect events also drive the countdown."""
        if event.type == "reconnect:scheduled":
            self.next_attempt = (event.attempt, now_ms() + event.delay_ms)
        elif event.type == "reconnect:attempt":
            self.next_attempt = (event.attempt, None)
        self.add_entry(event.type, describe(event))

    def log_status(self) -> None:
        """Add a status change to the log: a connect, a disconnect (here or in another tab), a drop, a reconnect."""
        status = self.store.get_snapshot().status
        if status != self.logged_status:
            self.add_entry("status", f"{self.logged_status} → {status}")
            self.logged_status = status

    def add_entry(self, label: str, details: str) -> None:
        """One line of the log (a store event, or "status" for a status change), newest first."""
        kind = document.createElement("span")
        kind.className = "event-type"
        kind.textContent = label
        item = document.createElement("li")
        item.dataset.kind = label.split(":")[0]
        item.append(kind, " ", details)  # the space: for copying and screen readers (CSS lays it out)
        events = by_id("events")
        events.prepend(item)
        while events.children.length > LOG_LIMIT:
            events.lastElementChild.remove()
        by_id("events-empty").hidden = True

    async def tick(self) -> None:
        """Redraw the two countdowns until the page goes away."""
        while True:
            now = now_ms()
            if self.next_attempt is None:
                show("reconnect", NOTHING)
            elif (at := self.next_attempt[1]) is None:
                show("reconnect", f"attempt {self.next_attempt[0]} of {RETRY.max_attempts}, asking the wallet…")
            else:
                seconds = max(at - now, 0) / 1000
                show("reconnect", f"attempt {self.next_attempt[0]} of {RETRY.max_attempts} in {seconds:.1f} s")
            connected = self.store.get_snapshot().status == "connected"
            if connected and self.expires_at is not None:
                left = max(int(self.expires_at - now) // 1000, 0)
                show("expiry", f"in {left // 60}:{left % 60:02d} (TTL {SESSION_TTL_MS // 60_000} min)")
            else:
                show("expiry", NOTHING)
            await asyncio.sleep(TICK_S)

    # -- the session at rest -------------------------------------------------

    async def keep_at_rest_shown(self) -> None:
        """Show the stored session again after each change here, and every second for other tabs' writes."""
        while True:
            self.at_rest_stale.clear()
            try:
                await self.show_at_rest()
            except Exception as error:  # a storage fault: say so, and try again on the next change
                show("plaintext", f"could not read the stored session: {error}")
            try:
                await asyncio.wait_for(self.at_rest_stale.wait(), REREAD_S)
            except TimeoutError:
                pass

    async def show_at_rest(self) -> None:
        ciphertext = await window.readAtRest(DATA_DATABASE, "blobs", STORAGE_KEY)
        key = await window.readAtRest(KEY_DATABASE, "keys", "aes-gcm-256")
        plaintext = await self.encrypted.get_item(STORAGE_KEY)
        show("ciphertext", ciphertext if isinstance(ciphertext, str) else "nothing stored")
        if key is None:
            show("key-info", "none yet")
        else:
            algorithm = f"{key.algorithm.name}-{key.algorithm.length}"
            usages = ", ".join(key.usages)
            show("key-info", f"CryptoKey {algorithm}, extractable: {str(key.extractable).lower()}, usages: {usages}")
        if plaintext is None:
            self.expires_at = None
            show("plaintext", "nothing stored")
        else:
            envelope = json.loads(plaintext)
            self.expires_at = envelope.get("expiresAt")
            show("plaintext", json.dumps(envelope, indent=2, ensure_ascii=False))

    # -- expiry --------------------------------------------------------------

    async def reauthenticate(self, context: pysession.ReauthContext) -> None:
        """The store's re-auth hook: ask the wallet to confirm the session (a real one would prompt)."""
        await JsProvider(self.store.get_provider()).request({"method": "connect"})

    # -- ownership -----------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def listen(self, target: Any, event: str, handler: Callable[[Any], None]) -> None:
        add_event_listener(target, event, handler)
        self.listeners.append((target, event, handler))

    def page_hidden(self, event: Any) -> None:
        # A page kept in the back/forward cache comes back as it was: keep it whole.
        if not event.persisted:
            self.close()

    def close(self) -> None:
        """Remove every listener (destroying its proxy), stop every task, destroy the store."""
        for target, event, handler in self.listeners:
            remove_event_listener(target, event, handler)
        self.listeners.clear()
        for task in list(self.tasks):
            task.cancel()
        self.store.destroy()
        self.encrypted.destroy()


provider = getattr(window, "canton", None)
if provider is None:
    show("loading", "No wallet found at window.canton.")
else:
    demo = Demo(provider)
    await demo.start()  # noqa: F704 (PyScript runs this file with top-level await)
