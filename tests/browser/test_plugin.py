"""The pytest plugin as a dApp team uses it: a project of its own, run with pytest.

pytester builds a throwaway dApp project (its PyScript page, its Python module,
its tests, an ini file, node_modules) and runs pytest on it in a subprocess,
with the plugin loaded by its pytest11 entry point only. One of its tests is
the README's example, read from README.md. Three tests must pass and four must
fail, each with the message that tells its author why. (test_readme.py follows
the README's own folder and install instead.)
"""

from __future__ import annotations

import re
from pathlib import Path

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
README_TEST = "def test_a_disconnect_reaches_every_tab(app_page):"

INI = """
[pytest]
addopts = -p no:cacheprovider
pysession_wheel_paths =
    /vendor/session-lib.zip
"""

# The team's session logic, imported by its page and by its tests.
DAPP = '''
"""The dApp's session logic on top of pysession."""
import js
import pysession


def open_session():
    return pysession.create_session_store(js.canton, broadcast=True)


def greeting(store):
    state = store.get_snapshot()
    if isinstance(state.last_error, pysession.UserRejectedError):
        return "You cancelled. Connect when you are ready"
    if state.account is None:  # also while "connected" waits for the wallet's accounts
        return "Connect your wallet"
    return f"Hello, {state.account.hint}"
'''

# The team's page: PyScript, its pysession from /vendor under a name of its
# own (the ini option makes the test server answer that with the wheel under
# test), the wallet from whatever extension put one at window.canton; no favicon.
INDEX_HTML = """<!doctype html>
<meta charset="utf-8">
<title>A dApp</title>
<script type="module" src="./node_modules/@pyscript/core/dist/core.js"></script>
<p><span id="status">…</span> <span id="party">…</span></p>
<p id="greeting"></p>
<button id="connect">Connect</button>
<button id="disconnect">Disconnect</button>
<script type="py" src="./app.py" config='{"interpreter": "./node_modules/pyodide/pyodide.mjs",
  "files": {"./vendor/session-lib.zip": "./*", "./dapp.py": "./dapp.py"}}'></script>
"""

APP = """
from pyscript import document, when
import dapp

store = dapp.open_session()


def render():
    state = store.get_snapshot()
    document.getElementById("status").textContent = state.status
    document.getElementById("party").textContent = state.account.party_id if state.account else "-"
    document.getElementById("greeting").textContent = dapp.greeting(store)


store.subscribe(render)


@when("click", "#connect")
async def connect():
    await store.connect()


@when("click", "#disconnect")
async def disconnect():
    await store.disconnect()


await store.init()
render()
"""

BROKEN_HTML = """<!doctype html>
<meta charset="utf-8">
<script type="module" src="./node_modules/@pyscript/core/dist/core.js"></script>
<script type="py" config='{"interpreter": "./node_modules/pyodide/pyodide.mjs"}'>
raise RuntimeError("the dApp broke")
</script>
"""

# The same, in a worker: PyScript only logs the error there.
BROKEN_WORKER_HTML = BROKEN_HTML.replace('type="py"', 'type="py" worker').replace("the dApp", "the worker")

# A page whose library is not where it says.
MISSING_HTML = """<!doctype html>
<meta charset="utf-8">
<script type="module" src="./node_modules/@pyscript/core/dist/core.js"></script>
<script type="py" config='{"interpreter": "./node_modules/pyodide/pyodide.mjs", "files": {"./vendor/gone.zip": "./*"}}'>
import gone
</script>
"""

TESTS = '''
from playwright.sync_api import expect


def test_every_tab_greets_the_party_of_the_shared_wallet(pyodide_page, new_tab):
    pyodide_page.install_wallet(shared=True, party_id="alice::1220aa")
    pyodide_page.add_module("/dapp.py")
    pyodide_page.run("import dapp\\nstore = dapp.open_session()\\n_ = await store.connect()")
    assert pyodide_page.run("dapp.greeting(store)") == "Hello, alice"

    other = new_tab()
    other.install_wallet(shared=True)
    other.add_module("/dapp.py")
    other.run("import dapp\\nstore = dapp.open_session()\\n_ = await store.init()")
    assert other.run("dapp.greeting(store)") == "Hello, alice"

    pyodide_page.page.evaluate("mockWallet.setParty('bob::1220bb')")
    other.wait_for("dapp.greeting(store) == 'Hello, bob'")
    other.run("await store.disconnect()")
    pyodide_page.wait_for("dapp.greeting(store) == 'Connect your wallet'")
    assert pyodide_page.console_errors == other.console_errors == []


def test_a_user_who_cancels_is_told_so(app_page):
    tab = app_page("/", wallet={"scenarios": {"connect": "userRejected"}})
    tab.page.click("#connect")
    expect(tab.page.locator("#greeting")).to_have_text("You cancelled. Connect when you are ready")
    expect(tab.page.locator("#status")).to_have_text("disconnected")
    assert tab.console_errors == []


def test_must_fail_a_party_that_never_comes(pyodide_page):
    pyodide_page.install_wallet(party_id="alice::1220aa")
    pyodide_page.add_module("/dapp.py")
    pyodide_page.run("import dapp\\nstore = dapp.open_session()\\n_ = await store.connect()")
    pyodide_page.wait_for("dapp.greeting(store) == 'Hello, mallory'", timeout=0.5)


def test_must_fail_a_page_whose_python_raises(app_page):
    app_page("/broken.html")


def test_must_fail_a_page_whose_library_is_missing(app_page):
    app_page("/missing.html")


def test_must_fail_a_worker_page_whose_python_raises(app_page):
    app_page("/broken_worker.html")
'''


def readme_example() -> str:
    """The README's first example test (without the worker page's, which needs the README's own folder)."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    found = [block for block in blocks if README_TEST in block]
    assert len(found) == 1, f"README.md should show {README_TEST!r} in one python block"
    block = found[0]
    end = block.find("\n\n\ndef ", block.index(README_TEST))
    return block if end == -1 else block[: end + 1]


def make_project(pytester) -> None:
    pytester.makeini(INI)
    (pytester.path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    pytester.makefile(
        ".html", index=INDEX_HTML, broken=BROKEN_HTML, broken_worker=BROKEN_WORKER_HTML, missing=MISSING_HTML
    )
    pytester.makepyfile(dapp=DAPP, app=APP, test_dapp=TESTS, test_readme=readme_example())


def test_a_dapp_suite_passes_and_fails_as_it_should(pytester, monkeypatch, pysession_wheels):
    make_project(pytester)
    monkeypatch.setenv("PYSESSION_WHEEL", str(pysession_wheels[0].resolve()))
    monkeypatch.delenv("PYSESSION_PYODIDE_DIR", raising=False)  # the project's own node_modules/pyodide
    result = pytester.runpytest_subprocess(timeout=600)
    result.assert_outcomes(passed=3, failed=4)
    result.stdout.fnmatch_lines(["test_dapp.py ..FFFF*", "test_readme.py .*"])
    result.stdout.fnmatch_lines(
        [
            "*_ test_must_fail_a_party_that_never_comes*_",
            "E  *TimeoutError: still falsy after 500 ms: dapp.greeting(store) == 'Hello, mallory' == False",
            "*_ test_must_fail_a_page_whose_python_raises*_",
            "PyScript showed an error:",  # at once: not "page not ready within 60 s"
            "RuntimeError: the dApp broke",
            "page: http://127.0.0.1:*/broken.html",
            "*_ test_must_fail_a_page_whose_library_is_missing*_",
            "a file the page needs did not load",  # at once, with the URL
            "failed loads:",
            "http://127.0.0.1:*/vendor/gone.zip answered HTTP 404",
            "page: http://127.0.0.1:*/missing.html",
            "*_ test_must_fail_a_worker_page_whose_python_raises*_",
            "PyScript logged a Python error:",  # at once, though PyScript counts the script as done
            "RuntimeError: the worker broke",
            "page: http://127.0.0.1:*/broken_worker.html",
        ]
    )
