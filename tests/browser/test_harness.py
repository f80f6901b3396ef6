"""The browser test kit works: Pyodide offline in Chromium, run/wait_for, shared tabs, the mock wallet."""

from __future__ import annotations

import io
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from pysession.testing._server import CHROMIUM_ARGS
from pysession.testing.plugin import PyodidePage, PythonError

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]

# Python run in the page: listeners recorded per event, each a create_proxy the
# test destroys at the end.
WALLET_REQUEST = """
import js
from pyodide.ffi import create_proxy, to_js

def request(method):
    return js.mockWallet.request(to_js({"method": method}, dict_converter=js.Object.fromEntries))
"""

RECORD_WALLET_EVENTS = WALLET_REQUEST + """
events = []
recorders = {
    name: create_proxy(lambda *args, name=name: events.append([name, *(a.to_py() for a in args)]))
    for name in ("statusChanged", "accountsChanged", "chainChanged")
}
for name, recorder in recorders.items():
    js.mockWallet.on(name, recorder)
"""

STOP_RECORDING = """
for name, recorder in recorders.items():
    js.mockWallet.removeListener(name, recorder)
    recorder.destroy()
[js.mockWallet.listenerCount(name) for name in recorders]
"""


def test_importing_the_plugin_needs_no_playwright(tmp_path):
    probe = "import sys, pysession.testing.plugin; print('playwright' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_launch_args_merge_into_pytest_playwrights(browser_type_launch_args, page):
    assert browser_type_launch_args["executable_path"]
    assert set(CHROMIUM_ARGS) <= set(browser_type_launch_args["args"])
    page.goto("chrome://version")
    command_line = page.inner_text("#command_line")
    assert "--disable-quic" in command_line
    assert "--headless" in command_line
    assert "ms-playwright" not in page.inner_text("#executable_path")


USER_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "args": [*browser_type_launch_args["args"], "--user-flag"]}
"""

MERGE_PROBE = """
def test_merged(browser_type_launch_args):
    assert browser_type_launch_args["slow_mo"] == 5
    assert browser_type_launch_args["executable_path"] == "/opt/probe-chromium"
    assert "--disable-quic" in browser_type_launch_args["args"]
    assert browser_type_launch_args["args"][-1] == "--user-flag"
"""


@pytest.mark.parametrize(
    "load_order",
    [[], ["-p", "pysession", "-p", "playwright"], ["-p", "playwright", "-p", "pysession"]],
    ids=["entry-points", "pysession-first", "playwright-first"],
)
def test_launch_args_merge_in_any_plugin_order(pytester, monkeypatch, load_order):
    """Ours merges over pytest-playwright's (--slowmo), a user conftest merges over ours."""
    monkeypatch.setenv("PYSESSION_CHROMIUM", "/opt/probe-chromium")
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(test_probe=MERGE_PROBE)
    result = pytester.runpytest_subprocess(*load_order, "--slowmo", "5", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("/_pysession/pyodide/pyodide.mjs", "text/javascript"),
        ("/_pysession/pyodide/pyodide.asm.wasm", "application/wasm"),
        ("/_pysession/pyodide/pyodide-lock.json", "application/json"),
        ("/_pysession/mock-wallet.js", "text/javascript"),
        ("/web/mock-wallet.js", "text/javascript"),
    ],
)
def test_server_answers_with_mime_types_and_no_cache(pysession_server, path, mime):
    with urllib.request.urlopen(pysession_server.url + path) as response:
        assert response.headers["Content-Type"] == mime
        assert response.headers["Cache-Control"] == "no-cache"


def test_server_serves_the_wheels_and_takes_uploads_only_for_snapshots(pysession_server, pysession_wheels):
    with urllib.request.urlopen(f"{pysession_server.url}/_pysession/wheel/{pysession_wheels[0].name}") as response:
        assert response.headers["Content-Type"] == "application/zip"
        assert response.read() == pysession_wheels[0].read_bytes()
    upload = urllib.request.Request(f"{pysession_server.url}/web/evil.js", data=b"x", method="PUT")
    with pytest.raises(urllib.error.HTTPError, match="405"):
        urllib.request.urlopen(upload)


def test_server_answers_pysession_by_name_wherever_a_page_asks_and_an_empty_favicon(pysession_server, pysession_wheels):
    def get(path: str) -> tuple[str, bytes]:
        with urllib.request.urlopen(pysession_server.url + path) as response:
            return response.headers["Content-Type"], response.read()

    kind, bundle = get("/dist/pysession.zip")
    files = zipfile.ZipFile(io.BytesIO(bundle)).namelist()
    assert kind == "application/zip"
    assert "pysession/__init__.pyc" in files and "pysession/testing/_mock_wallet.pyc" in files
    assert not [name for name in files if name.startswith("pysession/testing/_page") or not name.endswith(".pyc")]
    assert get("/vendor/lib/pysession_canton-9.9.9-py3-none-any.whl") == ("application/zip", pysession_wheels[0].read_bytes())
    assert get("/favicon.ico") == ("image/x-icon", b"")
    with pytest.raises(urllib.error.HTTPError, match="404"):
        get("/dist/not-pysession.zip")


def test_a_page_imports_the_bundle_as_bytecode_and_its_tracebacks_name_the_source_lines(context, pysession_server):
    # bench.html boots Pyodide and unpacks a bundle onto the Python path, as PyScript's "files" does.
    page = context.new_page()
    page.goto(f"{pysession_server.url}/bench/bench.html?bundle=/dist/pysession.zip")
    page.evaluate("window.benchReady")
    origin, frames = page.evaluate(
        """() => pyodide.runPython(`
import traceback, pysession
try:
    pysession.RetryPolicy(base_delay_ms=-1)
except ValueError as error:
    frames = [[frame.filename, frame.lineno] for frame in traceback.extract_tb(error.__traceback__)[-2:]]
[pysession.__spec__.origin, frames]
`).toJs()"""
    )
    page.close()
    source = (ROOT / "pysession" / "_retry.py").read_text().splitlines()

    def line_of(text: str) -> int:
        return next(number for number, line in enumerate(source, 1) if text in line)

    assert origin.endswith("pysession/__init__.pyc")
    assert frames == [
        ["pysession/_retry.py", line_of('_require(self.base_delay_ms >= 0, "base_delay_ms must be >= 0")')],
        ["pysession/_retry.py", line_of("raise ValueError(message)")],
    ]


def test_pyodide_loads_offline_and_imports_the_served_wheel(pyodide_page, pysession_server):
    info = pyodide_page.run(
        """
        import sys, importlib.metadata, pysession
        [sys.version_info[:2], pysession.__file__, importlib.metadata.version("pysession-canton")]
        """
    )
    assert info[0] == [3, 14]
    assert info[1].startswith("/lib/python3.14/site-packages/pysession/")
    fetched = pyodide_page.page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)")
    assert fetched and all(url.startswith(pysession_server.url) for url in fetched)
    assert pyodide_page.console_errors == []


def test_run_returns_json_able_values_and_keeps_globals(pyodide_page):
    assert pyodide_page.run("import asyncio\nawait asyncio.sleep(0)\nstate = {'n': 1, 't': (1, 'a'), 's': {2}}") is None
    assert pyodide_page.run("state['n'] += 1\nstate") == {"n": 2, "t": [1, "a"], "s": [2]}
    assert pyodide_page.run("None") is None
    assert pyodide_page.run("'text'") == "text"


def test_run_raises_with_the_python_traceback(pyodide_page):
    with pytest.raises(PythonError) as raised:
        pyodide_page.run("def fail():\n    raise ValueError('boom')\nfail()")
    assert raised.value.type_name == "ValueError"
    assert "Traceback (most recent call last)" in raised.value.traceback
    assert "in fail" in raised.value.traceback
    assert "ValueError: boom" in str(raised.value)


def test_run_and_wait_for_have_deadlines(pyodide_page):
    with pytest.raises(TimeoutError, match="run"):
        pyodide_page.run("import asyncio\nawait asyncio.sleep(30)", timeout=0.2)
    pyodide_page.run("import asyncio\nflag = []\ntimer = asyncio.get_running_loop().call_later(0.05, flag.append, 1)")
    pyodide_page.wait_for("flag == [1]")
    with pytest.raises(TimeoutError, match=r"still falsy .*: len\(flag\) > 1 == False"):
        pyodide_page.wait_for("len(flag) > 1", timeout=0.1)


def test_a_failed_load_fails_the_test_with_the_browser_error(page, pysession_server, pysession_snapshot):
    harness = pysession_server.harness_url(snapshot=pysession_snapshot)
    broken = PyodidePage(page, harness + "&wheel=wheel/missing-1.0-py3-none-any.whl", 30)
    with pytest.raises(pytest.fail.Exception, match="loadPackage failed: .*missing"):
        broken.load()
    missing = PyodidePage(page, f"{pysession_server.url}/_pysession/missing.html", 30)
    with pytest.raises(pytest.fail.Exception, match="answered HTTP 404"):
        missing.load()
    impatient = PyodidePage(page, harness, 0.001)
    with pytest.raises(pytest.fail.Exception, match="not ready within"):
        impatient.load()


def test_tabs_of_one_context_share_a_broadcast_channel(pyodide_page, new_tab):
    receiver = new_tab()
    receiver.run(
        """
        import js
        from pyodide.ffi import create_proxy
        received = []
        on_message = create_proxy(lambda event: received.append(event.data))
        channel = js.BroadcastChannel.new("harness-test")
        channel.addEventListener("message", on_message)
        """
    )
    pyodide_page.run("import js\nsender = js.BroadcastChannel.new('harness-test')\nsender.postMessage('hello')")
    receiver.wait_for("received == ['hello']")
    receiver.run("channel.removeEventListener('message', on_message)\nchannel.close()\non_message.destroy()")
    pyodide_page.run("sender.close()")


def test_mock_wallet_connect_emits_status_then_accounts(pyodide_page):
    pyodide_page.install_wallet(party_id="party::alice", network_id="canton:test")
    pyodide_page.run(RECORD_WALLET_EVENTS)
    assert pyodide_page.run("(await request('status')).to_py()")["connection"] == {"isConnected": False}
    assert pyodide_page.run("(await request('connect')).to_py()") == {"isConnected": True}
    events = pyodide_page.run("events")
    assert [name for name, _ in events] == ["statusChanged", "accountsChanged"]
    assert events[0][1]["connection"] == {"isConnected": True}
    assert events[1][1][0]["partyId"] == "party::alice"
    assert events[1][1][0]["status"] == "allocated"
    assert pyodide_page.run("(await request('getActiveNetwork')).to_py()") == {"networkId": "canton:test"}
    pyodide_page.page.evaluate("mockWallet.setNetwork('canton:other'); mockWallet.drop()")
    assert pyodide_page.run("events[2:]") == [
        ["chainChanged", {"networkId": "canton:other"}],
        ["statusChanged", {**events[0][1], "connection": {"isConnected": False}, "network": {"networkId": "canton:other"}}],
    ]
    assert pyodide_page.run("[js.mockWallet.listenerCount(name) for name in recorders]") == [1, 1, 1]
    assert pyodide_page.run(STOP_RECORDING) == [0, 0, 0]


def test_mock_wallet_delays_and_refuses_connect(pyodide_page):
    pyodide_page.install_wallet(connect_delay_ms=80, scenarios={"connect": "userRejected"})
    pyodide_page.run(RECORD_WALLET_EVENTS)
    with pytest.raises(PythonError, match="User rejected the request"):
        pyodide_page.run("await request('connect')")
    pyodide_page.page.evaluate("mockWallet.scenarios.connect = null")
    took = pyodide_page.run("started = js.performance.now()\nawait request('connect')\njs.performance.now() - started")
    assert took >= 80
    pyodide_page.page.evaluate("mockWallet.drop(); mockWallet.scenarios.connect = 'synchronizerError'")
    with pytest.raises(PythonError, match="Synchronizer error"):
        pyodide_page.run("await request('connect')")
    assert [name for name, _ in pyodide_page.run("events")] == ["statusChanged", "accountsChanged", "statusChanged"]
    pyodide_page.run(STOP_RECORDING)


def test_shared_mock_wallet_syncs_tabs_like_an_extension(pyodide_page, new_tab):
    pyodide_page.install_wallet(shared=True)
    other = new_tab()
    other.install_wallet(shared=True)
    other.run(RECORD_WALLET_EVENTS)
    pyodide_page.run(RECORD_WALLET_EVENTS + "\nawait request('connect')")
    other.wait_for("[name for name, *_ in events] == ['statusChanged', 'accountsChanged']")
    pyodide_page.page.evaluate("mockWallet.setParty('party::bob')")
    other.wait_for("events[-1][0] == 'accountsChanged' and events[-1][1][0]['partyId'] == 'party::bob'")
    pyodide_page.page.evaluate("mockWallet.setNetwork('canton:other')")
    other.wait_for("events[-1] == ['chainChanged', {'networkId': 'canton:other'}]")
    pyodide_page.page.evaluate("mockWallet.drop()")
    other.wait_for("events[-1][0] == 'statusChanged' and not events[-1][1]['connection']['isConnected']")
    assert other.page.evaluate("mockWallet.state().connected") is False
    pyodide_page.page.evaluate("mockWallet.setConnected(true)")  # the wallet comes back on its own
    other.wait_for("[name for name, *_ in events[-2:]] == ['statusChanged', 'accountsChanged']")
    assert other.run("events[-2][1]['connection']['isConnected']") is True
    pyodide_page.page.evaluate("mockWallet.setNetwork('canton:da-devnet')")
    other.run(STOP_RECORDING)
    pyodide_page.run(STOP_RECORDING)
    third = new_tab()
    third.install_wallet(shared=True)
    assert third.page.evaluate("mockWallet.state()") == {
        "signedIn": True,
        "connected": True,
        "partyId": "party::bob",
        "networkId": "canton:da-devnet",
    }
    pyodide_page.reload()
    pyodide_page.run(WALLET_REQUEST)
    assert pyodide_page.run("(await request('listAccounts')).to_py()[0]['partyId']") == "party::bob"
