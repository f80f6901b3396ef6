"""The Python of the plain Pyodide app: one pysession store over the wallet at ``window.canton``.

Run by main.js with ``pyodide.runPythonAsync`` (top-level await works there).
Each DOM listener goes through ``pyodide.ffi.wrappers``, which owns its proxy;
``close()`` removes them all and destroys the store when the page goes away.
"""

import asyncio

import js
from pyodide.ffi.wrappers import add_event_listener, remove_event_listener

import pysession

store = pysession.create_session_store(js.canton, broadcast=True)
tasks: set[asyncio.Task] = set()
listeners = []


def by_id(element_id):
    return js.document.getElementById(element_id)


def render():
    state = store.get_snapshot()
    by_id("status").textContent = state.status
    by_id("status").dataset.status = state.status
    by_id("party").textContent = state.account.party_id if state.account else "—"
    by_id("network").textContent = state.network_id or "—"
    by_id("error").textContent = str(state.last_error) if state.last_error else "—"
    by_id("error").classList.toggle("error", state.last_error is not None)
    by_id("connect").disabled = state.status in ("connecting", "connected")
    by_id("disconnect").disabled = state.status == "disconnected"


def spawn(work):
    task = asyncio.ensure_future(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def listen(target, event, handler):
    add_event_listener(target, event, handler)
    listeners.append((target, event, handler))


def close():
    for target, event, handler in listeners:
        remove_event_listener(target, event, handler)
    listeners.clear()
    for task in list(tasks):
        task.cancel()
    store.destroy()


def page_hidden(event):
    if not event.persisted:  # a page kept in the back/forward cache comes back whole
        close()


store.subscribe(render)
listen(by_id("connect"), "click", lambda _: spawn(store.connect()))
listen(by_id("disconnect"), "click", lambda _: spawn(store.disconnect()))
listen(js.window, "pagehide", page_hidden)
await store.init()  # noqa: F704 (runPythonAsync allows top-level await)
render()
by_id("loading").hidden = True
