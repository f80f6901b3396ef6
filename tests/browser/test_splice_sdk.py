"""pysession on the Canton Network's reference dApp SDK (@canton-network/core-provider-dapp), in Chromium.

The providers are the SDK's own code, bundled from node_modules by esbuild when the suite
starts; only the wallet behind them is fake (splice_wallet.js), reached the three ways a
dApp meets one: an RpcTransport handed to DappSyncProvider, a browser extension on
window.postMessage (DappSyncProvider's default), and a wallet gateway over HTTP and
server-sent events (DappAsyncProvider).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pysession.testing.plugin import PyodidePage

from kit import PRELUDE, add_wire

WALLET_JS = (Path(__file__).resolve().parent / "splice_wallet.js").read_text()
WIRINGS = ("transport", "extension", "gateway")

# Both providers, bundled as a classic script defining cantonDappSdk: a page's init script cannot be a module.
SDK_ENTRY = 'export { DappAsyncProvider, DappSyncProvider } from "@canton-network/core-provider-dapp";'

# What the store shows, with its last error's class and code.
VIEW = """
e = store.get_snapshot().last_error
{**view(store), "kind": type(e).__name__ if e else None, "code": getattr(e, "code", None)}
"""

# DappAsyncProvider 1.8.0 rejects a gateway's error answer (an HTTP error status with the JSON-RPC
# body) with {error: {code: <HTTP status>, message: <status text>, data: <the body as text>}}: its
# HttpTransport means to rethrow the JSON-RPC body, but the throw sits inside a try whose catch
# swallows it. API.md reads the code of a nested {error: {...}}, so the store shows the HTTP status
# and keeps the wallet's own answer, as text, in `.data`.
GATEWAY_STATUS = 400

STORE = """
events = []
store = pysession.create_session_store(js.wallet.provider, storage=STORAGE, reconnect=RECONNECT)
for kind in pysession.events.EVENT_TYPES:
    store.on(kind, lambda e: events.append(e.type))
"""


@pytest.fixture(scope="session")
def canton_sdk(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> str:
    """DappSyncProvider and DappAsyncProvider of the SDK in node_modules, bundled for the page by esbuild."""
    root = pytestconfig.rootpath
    esbuild = root / "node_modules" / ".bin" / "esbuild"
    if not esbuild.is_file():
        pytest.fail("no node_modules/.bin/esbuild: run `python build.py wheel` (npm ci)", pytrace=False)
    bundle = tmp_path_factory.mktemp("canton-sdk") / "canton-dapp-sdk.js"
    subprocess.run(
        [esbuild, "--bundle", "--format=iife", "--global-name=cantonDappSdk", "--platform=browser",
         "--log-level=warning", f"--outfile={bundle}"],
        input=SDK_ENTRY, text=True, cwd=root, check=True,
    )
    # An init script runs wrapped in a function, where the bundle's top-level `var` would stay.
    return bundle.read_text() + "\nwindow.cantonDappSdk = cantonDappSdk;\n"


def with_wallet(tab: PyodidePage, sdk: str, wiring: str, **state: object) -> PyodidePage:
    """The tab with the SDK, the fake wallet at window.wallet (its provider at wallet.provider) and the prelude."""
    add_wire(tab).inject(sdk)
    tab.inject(f"{WALLET_JS}\nwindow.wallet = createSpliceWallet({json.dumps({'wiring': wiring, **state})});")
    tab.run(PRELUDE)
    return tab


def make_store(tab: PyodidePage, storage: str = "pysession.MemoryStorage()", reconnect: str = "None") -> None:
    tab.run(STORE.replace("STORAGE", storage).replace("RECONNECT", reconnect))


@pytest.mark.parametrize("wiring", WIRINGS)
def test_connect_takes_the_party_and_network_and_keeps_the_gateways_keys(pyodide_page, canton_sdk, wiring):
    tab = with_wallet(pyodide_page, canton_sdk, wiring)
    make_store(tab)
    assert tab.run("await store.connect()\n" + VIEW) == {
        "status": "connected", "party": "alice::1220aa", "parties": ["alice::1220aa", "treasury::1220bb"],
        "network": "canton:devnet", "error": None, "kind": None, "code": None,
    }
    assert tab.page.evaluate("wallet.requests") == ["connect", "listAccounts", "getActiveNetwork"]
    accounts = tab.run("[a.to_wire() for a in store.get_snapshot().accounts]")
    assert accounts == tab.page.evaluate("wallet.provider.request({method: 'listAccounts'})")
    assert (accounts[0]["status"], accounts[1]["disabled"], accounts[1]["reason"]) == (
        "initialized", True, "no signing provider matched",
    )
    tab.run("store.destroy()")
    assert tab.console_errors == []


@pytest.mark.parametrize("wiring", WIRINGS)
def test_a_reload_restores_the_session_without_a_prompt(pyodide_page, canton_sdk, wiring):
    tab = with_wallet(pyodide_page, canton_sdk, wiring)
    make_store(tab, storage="None")
    tab.run("await store.connect()\nNone")
    tab.wait_for("await persisted() is not None")
    assert '"disabled":true,"reason":"no signing provider matched"' in tab.run("await persisted()")
    tab.reload().run(PRELUDE)
    make_store(tab, storage="None")
    state = tab.run("await store.init()\n" + VIEW)
    assert (state["status"], state["party"], state["network"]) == ("connected", "alice::1220aa", "canton:devnet")
    assert tab.page.evaluate("wallet.requests") == ["status", "listAccounts"]
    assert tab.run("events") == []
    tab.run("store.destroy()")
    assert tab.console_errors == []


@pytest.mark.parametrize("wiring", WIRINGS)
def test_party_and_network_switches_in_the_wallet_reach_the_store(pyodide_page, canton_sdk, wiring):
    """The party through accountsChanged; the network only through statusChanged, as the SDK has no chainChanged."""
    tab = with_wallet(pyodide_page, canton_sdk, wiring)
    make_store(tab)
    tab.run("await store.connect()\nseen = []\nstore.on('network:changed', lambda e: seen.append([e.previous, e.current]))\nNone")
    tab.page.evaluate("wallet.setParty('bob::1220cc')")
    tab.wait_for("view(store)['party'] == 'bob::1220cc'")
    tab.page.evaluate("wallet.setNetwork('canton:mainnet')")
    tab.wait_for("view(store)['network'] == 'canton:mainnet'")
    assert tab.run("events") == ["party:changed", "network:changed"]
    assert tab.run("seen") == [["canton:devnet", "canton:mainnet"]]
    assert tab.run(VIEW)["status"] == "connected"
    tab.run("store.destroy()")
    assert tab.console_errors == []


@pytest.mark.parametrize("wiring", WIRINGS)
def test_a_wallet_side_drop_with_a_retry_policy_reconnects_without_a_prompt(pyodide_page, canton_sdk, wiring):
    tab = with_wallet(pyodide_page, canton_sdk, wiring)
    make_store(tab, reconnect="pysession.RetryPolicy(base_delay_ms=100, max_attempts=50)")
    tab.run("await store.connect()\nNone")
    tab.page.evaluate("wallet.drop()")
    tab.wait_for("'reconnect:attempt' in events and store.get_snapshot().status == 'reconnecting'")
    assert tab.run(VIEW)["party"] is None
    tab.page.evaluate("wallet.recover()")
    tab.wait_for("store.get_snapshot().status == 'connected'")
    assert tab.run(VIEW)["party"] == "alice::1220aa"
    assert "reconnect:succeeded" in tab.run("events")
    assert tab.page.evaluate("wallet.requests").count("connect") == 1
    tab.run("store.destroy()")
    assert tab.console_errors == []


@pytest.mark.parametrize("wiring", WIRINGS)
def test_a_wallet_side_drop_without_a_retry_policy_waits_for_the_wallet(pyodide_page, canton_sdk, wiring):
    tab = with_wallet(pyodide_page, canton_sdk, wiring)
    make_store(tab)
    tab.run("await store.connect()\nNone")
    tab.page.evaluate("wallet.drop()")
    tab.wait_for("store.get_snapshot().status == 'disconnected'")
    assert tab.run(VIEW)["party"] is None
    tab.page.evaluate("wallet.recover({announce: true})")
    tab.wait_for("store.get_snapshot().status == 'connected'")
    assert tab.run(VIEW)["party"] == "alice::1220aa"
    assert not any(kind.startswith("reconnect:") for kind in tab.run("events"))
    assert tab.page.evaluate("wallet.requests").count("connect") == 1
    tab.run("store.destroy()")
    assert tab.console_errors == []


@pytest.mark.parametrize("wiring", WIRINGS)
@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [(4001, "User rejected the request", "UserRejectedError"), (4100, "Unauthorized", "WalletError")],
)
def test_a_refused_connect_is_a_wallet_error_with_its_code(pyodide_page, canton_sdk, wiring, code, message, kind):
    tab = with_wallet(pyodide_page, canton_sdk, wiring)
    make_store(tab)
    tab.page.evaluate("([code, message]) => wallet.failNext('connect', code, message)", [code, message])
    state = tab.run("await store.connect()\n" + VIEW)
    assert tab.run("isinstance(store.get_snapshot().last_error, pysession.WalletError)")
    if wiring == "gateway":
        assert (state["status"], state["kind"], state["code"]) == ("disconnected", "WalletError", GATEWAY_STATUS)
        answer = json.loads(tab.run("store.get_snapshot().last_error.data"))
        assert answer["error"] == {"code": code, "message": message}
    else:
        assert (state["status"], state["kind"], state["code"]) == ("disconnected", kind, code)
        assert message in state["error"]
    assert tab.run("await store.connect()\n" + VIEW)["status"] == "connected"
    tab.run("store.destroy()")
    assert tab.console_errors == []


@pytest.mark.parametrize("wiring", WIRINGS)
def test_signed_out_connect_asks_to_sign_in_and_the_sign_in_connects(pyodide_page, canton_sdk, wiring):
    tab = with_wallet(pyodide_page, canton_sdk, wiring, signedIn=False)
    make_store(tab)
    state = tab.run("await store.connect()\n" + VIEW)
    assert (state["status"], state["party"], state["kind"], state["code"]) == (
        "disconnected", None, "NotConnectedError", None,
    )
    error = tab.run("e = store.get_snapshot().last_error\n[e.method, e.user_url, e.reason]")
    assert error == ["connect", "https://gateway.example/login/", "Unauthenticated"]
    assert tab.run("isinstance(store.get_snapshot().last_error, pysession.NotConnectedError)")
    assert tab.page.evaluate("wallet.requests") == ["connect"]
    tab.page.evaluate("wallet.signIn()")
    tab.wait_for("view(store)['party'] == 'alice::1220aa'")
    assert tab.run(VIEW) == {
        "status": "connected", "party": "alice::1220aa", "parties": ["alice::1220aa", "treasury::1220bb"],
        "network": "canton:devnet", "error": None, "kind": None, "code": None,
    }
    requests = tab.page.evaluate("wallet.requests")
    assert requests.count("listAccounts") == 1 and requests.count("connect") == 1
    tab.run("store.destroy()")
    assert tab.console_errors == []


@pytest.mark.parametrize("wiring", WIRINGS)
def test_destroy_leaves_no_listener_on_the_provider(pyodide_page, canton_sdk, wiring):
    tab = with_wallet(pyodide_page, canton_sdk, wiring)
    assert tab.page.evaluate("wallet.listenerCount()") == 0
    make_store(tab)
    assert tab.page.evaluate("wallet.listenerCount()") > 0
    tab.run("await store.connect()\nstore.destroy()")
    assert tab.page.evaluate("wallet.listenerCount()") == 0
    tab.page.evaluate("wallet.setParty('bob::1220cc'); wallet.drop()")
    tab.page.evaluate("wallet.provider.request({method: 'status'})")  # the wallet's events have been delivered
    assert tab.run(VIEW)["party"] == "alice::1220aa"
    assert tab.console_errors == []
