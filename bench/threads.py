"""Timed in a PyScript page, on the main thread (bench/main-thread.html) or in a worker (bench/worker.html).

The same code in both: init() restoring a session from warm encrypted storage,
and one wallet request round trip, with the page's wallet at window.canton.
The figures land in the page's window.threadFigures as JSON.
"""

import json

import js
from pyscript import window

import pysession
from pysession.browser import JsProvider, create_encrypted_indexeddb_storage

TRIALS = int(js.URLSearchParams.new(window.location.search).get("trials") or 10)
now = js.performance.now


async def figures() -> dict[str, list[float]]:
    wallet = window.canton
    storage = create_encrypted_indexeddb_storage()
    await storage.get_item("warm-up")
    provider = JsProvider(wallet)
    timed: dict[str, list[float]] = {"init": [], "request": []}
    for trial in range(TRIALS + 1):  # the first round warms up, and is not kept
        store = pysession.create_session_store(wallet, storage=storage)
        start = now()
        state = await store.init()
        init = now() - start
        assert state.status == "connected", state
        store.destroy()
        start = now()
        await provider.request({"method": "status"})
        request = now() - start
        if trial:
            timed["init"].append(init)
            timed["request"].append(request)
    storage.destroy()
    return timed


window.threadFigures = json.dumps(await figures())  # noqa: F704 (PyScript runs this file with top-level await)
