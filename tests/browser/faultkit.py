"""The reliability kit of the browser suite: switchable faults, watchers, counters, a prelude.

``arm(tab)`` wraps the browser APIs pysession uses with switches
(``window.faults.on.<name> = true`` injects a fault, ``false`` lifts it), watches
for uncaught errors and unhandled rejections, and runs ``PRELUDE`` in the tab.
The wrappers keep the originals (``faults.original``), so the test's own reads
of IndexedDB never count as pysession's calls and never meet a fault.

``assert_clean(tab)`` is the common verdict: nothing escaped into app code,
nothing hung, nothing uncaught in the page, no console error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pysession.testing.plugin import PyodidePage

from kit import VIEW

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reliability_report import record, size  # noqa: E402

__all__ = ["PRELUDE", "arm", "assert_clean", "finish", "record", "size", "uncaught"]

DATA_STORE = "blobs"
KEY_STORE = "keys"
STORAGE_KEY = "partylayer.session.connected"

FAULTS_JS = r"""
(() => {
  if (window.faults) return;
  const faults = (window.faults = { on: {}, uncaught: [], original: {} });
  const on = faults.on;
  const injected = (name, message) => new DOMException(`injected fault: ${message}`, name);
  addEventListener("error", (event) => faults.uncaught.push(`error: ${event.message}`));
  addEventListener("unhandledrejection", (event) =>
    faults.uncaught.push(`unhandledrejection: ${event.reason?.message ?? event.reason}`));

  // -- IndexedDB: open throws, fails, or never settles; put fails on commit with a quota error.
  function stuckRequest(error) {
    const request = { result: undefined, error: null, readyState: "pending", source: null, transaction: null,
                      onsuccess: null, onerror: null, onupgradeneeded: null, onblocked: null };
    setTimeout(() => {
      if (!error) return request.onblocked?.({ type: "blocked", target: request });
      request.readyState = "done";
      request.error = error;
      request.onerror?.({ type: "error", target: request });
    });
    return request;
  }
  const open = (faults.original.open = IDBFactory.prototype.open);
  IDBFactory.prototype.open = function (...args) {
    if (on.idbOpenThrows) throw injected("SecurityError", "access to IndexedDB is denied in this context");
    if (on.idbOpenFails) return stuckRequest(injected("UnknownError", "Internal error opening backing store for indexedDB.open"));
    if (on.idbOpenBlocked) return stuckRequest(null);
    return open.apply(this, args);
  };
  const put = IDBObjectStore.prototype.put;
  const addListener = EventTarget.prototype.addEventListener;  // the original: a listener counter never sees the kit's own
  IDBObjectStore.prototype.put = function (...args) {
    const request = put.apply(this, args);
    if (on.quota) {
      // As Chromium reports it: the put succeeds, the commit aborts with QuotaExceededError.
      const transaction = this.transaction;
      addListener.call(request, "success", () => {
        Object.defineProperty(transaction, "error", { configurable: true,
          value: injected("QuotaExceededError", "The quota has been exceeded.") });
        transaction.abort();
      });
    }
    return request;
  };

  // -- WebCrypto: crypto.subtle missing, or its calls rejecting.
  const subtle = Object.getOwnPropertyDescriptor(Crypto.prototype, "subtle").get;
  Object.defineProperty(Crypto.prototype, "subtle", { configurable: true, enumerable: true,
    get() { return on.subtleMissing ? undefined : subtle.call(this); } });
  for (const method of ["generateKey", "encrypt", "decrypt"]) {
    const original = SubtleCrypto.prototype[method];
    SubtleCrypto.prototype[method] = function (...args) {
      if (on.subtleRejects) return Promise.reject(injected("NotSupportedError", `crypto.subtle.${method} is not available right now`));
      return original.apply(this, args);
    };
  }

  // -- BroadcastChannel: missing, or postMessage throwing.
  const Channel = (faults.original.BroadcastChannel = window.BroadcastChannel);
  Object.defineProperty(window, "BroadcastChannel", { configurable: true,
    get() { return on.noBroadcastChannel ? undefined : Channel; } });
  const postMessage = Channel.prototype.postMessage;
  Channel.prototype.postMessage = function (...args) {
    if (on.postThrows) throw injected("InvalidStateError", "BroadcastChannel.postMessage: the channel is closed");
    return postMessage.apply(this, args);
  };

  // -- localStorage: throwing on access, as in some private modes.
  const storage = Object.getOwnPropertyDescriptor(window, "localStorage") ?? Object.getOwnPropertyDescriptor(Window.prototype, "localStorage");
  Object.defineProperty(window, "localStorage", { configurable: true, enumerable: true,
    get() {
      if (on.localStorageThrows) throw injected("SecurityError", "The operation is insecure (localStorage is disabled).");
      return storage.get.call(window);
    } });
  faults.original.localStorage = () => storage.get.call(window);

  // -- The wallet: request rejects, never answers, or answers garbage (per method).
  faults.armWallet = () => {
    const wallet = window.mockWallet;
    if (!wallet || wallet.armed) return;
    const request = wallet.request;
    wallet.armed = true;
    // Every answer the wallet still owes, so a test can wait until the requests an event caused are answered.
    const owed = new Set();
    faults.owed = () => owed.size;
    faults.answered = () => Promise.allSettled([...owed]);
    const owing = (answer) => {
      owed.add(answer);
      answer.then(() => owed.delete(answer), () => owed.delete(answer));
      return answer;
    };
    wallet.request = (payload) => owing(answering(payload));
    const answering = (payload) => {
      const method = payload?.method;
      if (on.walletRejects === "error") return Promise.reject(Object.assign(new Error(`injected fault: the wallet crashed during ${method}`), { code: -32603 }));
      // EIP-1193 style: a plain object, not an Error.
      if (on.walletRejects === "plain") return Promise.reject({ code: 4001, message: `injected fault: the user rejected ${method}` });
      if (on.walletThrows) throw { code: 4100, message: `injected fault: ${method} is not authorized` };
      if (on.walletHangs) return new Promise(() => {});
      if (on.walletGarbage && Object.hasOwn(on.walletGarbage, method)) return Promise.resolve(on.walletGarbage[method]);
      return request(payload);
    };
  };

  // -- The test's own view of IndexedDB, through the original open; every connection closed at once.
  function settle(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function transact(name, store, mode, work) {
    const opening = open.call(indexedDB, name, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(store);
    const db = await settle(opening);
    try {
      const tx = db.transaction(store, mode);
      const done = new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = tx.onabort = () => reject(tx.error); });
      const value = await settle(work(tx.objectStore(store)));
      await done;
      return value;
    } finally {
      db.close();
    }
  }
  faults.dataDb = () => `partylayer-session-data::${location.origin}`;
  faults.keyDb = () => `partylayer-session-key::${location.origin}`;
  faults.readRaw = async (key) => (await transact(faults.dataDb(), "blobs", "readonly", (s) => s.get(key))) ?? undefined;  // undefined reads as None in Python
  faults.writeRaw = (key, value) => transact(faults.dataDb(), "blobs", "readwrite", (s) => s.put(value, key));
  faults.entries = async (name, store) => {
    const keys = await transact(name, store, "readonly", (s) => s.getAllKeys());
    const values = await transact(name, store, "readonly", (s) => s.getAll());
    return keys.map((key, i) => [key, values[i]]);
  };
  // Resolves once the delete ran or failed; a blocked delete waits (give it a deadline from when it may run).
  faults.deleteDatabase = (name) => new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    let blocked = false;
    request.onblocked = () => { blocked = true; };
    request.onsuccess = () => resolve({ deleted: true, blocked });
    request.onerror = () => resolve({ deleted: false, blocked, error: String(request.error) });
  });
  faults.within = (promise, ms) => Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve({ timedOut: ms }), ms))]);
})();
"""

PRELUDE = """
import asyncio, gc, json, logging, random
import js
import pysession
from pysession.browser import create_encrypted_indexeddb_storage, create_encrypted_local_storage

KEY = "partylayer.session.connected"
escaped = []   # exceptions that reached app code, or that asyncio saw nobody handle
hangs = []     # public calls that did not finish within their deadline
logged = []    # what pysession logged (a raising listener, say)

class _Keep(logging.Handler):
    def emit(self, record):
        logged.append(record.getMessage() + (f" | {record.exc_info[1]!r}" if record.exc_info else ""))

_log = logging.getLogger("pysession")
_log.handlers[:] = [_Keep()]
_log.setLevel(logging.DEBUG)

def _unhandled(loop, context):
    escaped.append(f"asyncio: {context.get('message')} {context.get('exception')!r}")

asyncio.get_running_loop().set_exception_handler(_unhandled)

async def app(awaitable, timeout=10.0, what="call"):
    '''Await a public call as an app does: an exception or a hang is counted, never raised.'''
    try:
        await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        hangs.append(what)
    except Exception as exc:
        escaped.append(f"{what}: {exc!r}")

async def until(condition, what, timeout=10.0):
    '''Wait, as an app waits for an event, until condition() holds; a hang is counted if it never does.'''
    async def holds():
        while not condition():
            await asyncio.sleep(0.01)
    await app(holds(), timeout, what)

""" + VIEW + """
async def persisted(backend="idb"):
    '''What a fresh encrypted storage reads at KEY: the envelope as a dict, or None.'''
    reader = create_encrypted_local_storage() if backend == "local" else create_encrypted_indexeddb_storage()
    try:
        text = await reader.get_item(KEY)
    finally:
        reader.destroy()
    return None if text is None else json.loads(text)

def fault(name, value=True):
    setattr(js.faults.on, name, value)

js.faults.armWallet()
"""


def arm(tab: PyodidePage, *, wallet: dict[str, Any] | None = None) -> PyodidePage:
    """Give the tab the fault switches and watchers (now and after reloads), a mock wallet and the prelude."""
    tab.inject(FAULTS_JS)
    tab.install_wallet(**(wallet or {}))
    tab.run(PRELUDE)
    return tab


def reload(tab: PyodidePage) -> PyodidePage:
    """Reload the armed tab (a fresh Python, same storage) and run the prelude again."""
    tab.reload()
    tab.run(PRELUDE)
    return tab


def uncaught(tab: PyodidePage) -> list[str]:
    """Everything that escaped in this tab: into app code, past asyncio, past the page, into console errors."""
    found = tab.run("escaped + [f'hang: {h}' for h in hangs]")
    found += tab.page.evaluate("window.faults.uncaught")
    found += [f"console: {text}" for text in tab.console_errors]
    return found


def assert_clean(tab: PyodidePage) -> None:
    escaped = uncaught(tab)
    assert escaped == [], f"escaped into the app or the page: {escaped}"


def finish(tabs: PyodidePage | list[PyodidePage], check: str, *, problems: list[str] = (), **figures: int) -> None:
    """A check's verdict: record its figures (escapes and hangs counted in), then fail on any escape or problem.

    Recorded before asserting, so a failing run reports what it saw; a fault
    counts as survived only when nothing escaped.
    """
    found = [item for tab in (tabs if isinstance(tabs, list) else [tabs]) for item in uncaught(tab)]
    hangs = sum(item.startswith("hang: ") for item in found)
    if found or problems:
        figures.pop("faults", None)
    record(check, escaped=len(found) - hangs, hangs=hangs, **figures)
    assert not problems, problems
    assert found == [], f"escaped into the app or the page: {found}"
