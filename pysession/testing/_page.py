"""Playwright pages driven from a test: the Pyodide harness, and a dApp's own pages.

Every wait has a deadline: a page that cannot load Pyodide, install the wheel
or get ready fails the test with the browser's own error text, never a hang or
a skip. Both kinds of tab record the console errors and uncaught exceptions
of their page in ``console_errors``.
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from ._server import STATIC

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error, Page, Request, Response

MOCK_WALLET_JS = STATIC / "mock-wallet.js"

PYSCRIPT_DONE = "window.pysessionTesting?.pyscriptDone === true"
"""The default readiness of an app page: every PyScript script on it has run (PyScript's ``py:all-done``)."""

_RECORD_PYSCRIPT_DONE = """
addEventListener("py:all-done", () => { (window.pysessionTesting ??= {}).pyscriptDone = true; });
"""

# PyScript shows a Python error on the page in an element of class py-error
# (and logs it); waiting stops there instead of running into the deadline.
_PYSCRIPT_ERROR = "document.querySelector('.py-error')"

# A script's Python error from a worker (<script type="py" worker>) is only
# logged, as a PythonError, and the script still counts as done.
_PYTHON_ERROR_LOGGED = "PythonError: "

# What a page cannot start without: its scripts, PyScript, Pyodide (its .mjs,
# .wasm, lock file and stdlib zip), pysession, the Python files and configs.
_CODE_SUFFIXES = (".js", ".mjs", ".wasm", ".py", ".zip", ".whl", ".json", ".toml")

# How often a wait for readiness looks at the page and the failed loads.
_POLL_MS = 50

# Fetches a Python file the test server serves into the working directory,
# which is on sys.path, so that it imports like a module of the page's own.
_ADD_MODULE = """
async def _pysession_add_module(url, name):
    import importlib, pathlib, sys
    from pyodide.http import pyfetch

    response = await pyfetch(url)
    if not response.ok:
        raise FileNotFoundError(f"{url} answered HTTP {response.status}")
    pathlib.Path(f"{name}.py").write_text(await response.string())
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
"""


class PythonError(Exception):
    """Raised when Python code run in the page raises; the message is its traceback."""

    def __init__(self, type_name: str, traceback: str) -> None:
        super().__init__(f"{type_name} raised in the browser:\n{traceback}")
        self.type_name = type_name
        self.traceback = traceback


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), name)


def wallet_script(options: dict[str, Any], *, name: str = "mockWallet", also: tuple[str, ...] = ()) -> str:
    """JS that defines createMockWallet and puts createMockWallet(options) at window[name] (and window[also...])."""
    config = json.dumps({_camel(key): value for key, value in options.items()})
    targets = "".join(f"window[{json.dumps(extra)}] = " for extra in also)
    return f"{MOCK_WALLET_JS.read_text()}\n{targets}window[{json.dumps(name)}] = createMockWallet({config});\n"


class _Tab:
    """A Playwright page whose console errors are recorded and whose loads wait with a deadline."""

    def __init__(self, page: Page, url: str, load_timeout: float) -> None:
        self.page = page
        self.url = url
        self.console_errors: list[str] = []
        self._load_timeout = load_timeout
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_page_error(self, error: Error) -> None:
        self.console_errors.append(str(error))

    def _fail(self, reason: str) -> None:
        pytest.fail(f"{reason}\npage: {self.url}\nconsole errors: {self.console_errors}", pytrace=False)

    def _wait_until_ready(self, response: Response | None) -> None:
        raise NotImplementedError


class PyodidePage(_Tab):
    """One harness tab: `.run()` Python in it, `.wait_for()` a condition, inspect `.console_errors`."""

    def load(self) -> PyodidePage:
        """Navigate to the harness and wait until pysession is imported."""
        self._wait_until_ready(self.page.goto(self.url))
        return self

    def reload(self) -> PyodidePage:
        """Reload the tab (a fresh Python; same storage) and wait until it is ready again."""
        self._wait_until_ready(self.page.reload())
        return self

    def _wait_until_ready(self, response: Response | None) -> None:
        error = wait_until_ready(self.page, response, self._load_timeout)
        if error:
            self._fail(error)

    def run(self, code: str, timeout: float = 30.0) -> Any:
        """Run code with runPythonAsync in this tab's globals; return its last expression as JSON-able data."""
        outcome = self.page.evaluate(
            "([code, ms]) => window.pysessionHarness.run(code, ms)", [code, timeout * 1000]
        )
        return self._value(outcome, code)

    def wait_for(self, expression: str, timeout: float = 5.0) -> None:
        """Poll a Python expression (await allowed) until it is truthy; TimeoutError after timeout seconds."""
        outcome = self.page.evaluate(
            "([expression, ms]) => window.pysessionHarness.waitFor(expression, ms)",
            [expression, timeout * 1000],
        )
        self._value(outcome, expression)

    def install_wallet(self, **options: Any) -> None:
        """Give this tab `window.mockWallet` = createMockWallet(options), now and after every reload.

        Call it once per tab. Options are the JS ones, snake_case allowed:
        connected, party_id, network_id, scenarios, delays_ms, connect_delay_ms,
        connect_error, shared, flavor ("splice": the Canton wallet gateway's
        answers and errors), signed_in (False: connect answers "sign in at
        user_url" until `mockWallet.signIn()`), user_url (see web/mock-wallet.js).
        The same wallet is at `window.canton`, where dApps look for an injected provider.
        """
        self.inject(wallet_script(options, also=("canton",)))

    def inject(self, script: str) -> PyodidePage:
        """Run a classic script in this tab now, and on every reload before the page's own scripts."""
        self.page.add_init_script(script)
        self.page.add_script_tag(content=script)
        return self

    def add_module(self, url_path: str, name: str | None = None) -> None:
        """Make a Python file of the served site (say "/app/logic.py") importable in this tab, as name or its stem.

        A reload starts a fresh Python: add the module again after it.
        """
        name = name or url_path.rsplit("/", 1)[-1].removesuffix(".py")
        self.run(f"{_ADD_MODULE}\nawait _pysession_add_module({url_path!r}, {name!r})\ndel _pysession_add_module")

    @staticmethod
    def _value(outcome: dict[str, Any], code: str) -> Any:
        if outcome["ok"]:
            return outcome.get("value")
        if outcome["timeout"]:
            raise TimeoutError(f"{outcome['message']}\n--- code ---\n{code}")
        raise PythonError(outcome["type"], outcome["message"])


class AppPage(_Tab):
    """A tab on a page of the served site (a dApp's own page), ready when a JS expression holds.

    `ready` defaults to PyScript's "every script has run"; give your own for
    other pages (say "document.getElementById('loading').hidden"). `wallet`
    options (as `PyodidePage.install_wallet`'s) inject a mock wallet before any
    page script runs, as an extension would: at `window.canton` and
    `window.mockWallet`, on every load of this tab. Loading fails at once, not
    at the deadline, when a script's Python raises (on the main thread or in a
    worker) or a file the page needs to start (see _CODE_SUFFIXES) fails to load.
    """

    def __init__(
        self,
        page: Page,
        url: str,
        load_timeout: float,
        *,
        ready: str = PYSCRIPT_DONE,
        wallet: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(page, url, load_timeout)
        self.ready = ready
        self._failed_loads: list[str] = []
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)
        page.add_init_script(_RECORD_PYSCRIPT_DONE)
        if wallet is not None:
            page.add_init_script(wallet_script(wallet, also=("canton",)))

    def load(self) -> AppPage:
        self._failed_loads.clear()
        self._wait_until_ready(self.page.goto(self.url))
        return self

    def reload(self) -> AppPage:
        """Reload the tab (a fresh Python; same storage) and wait until it is ready again."""
        self._failed_loads.clear()
        self._wait_until_ready(self.page.reload())
        return self

    @staticmethod
    def _is_code(request: Request) -> bool:
        return request.resource_type == "script" or urlsplit(request.url).path.endswith(_CODE_SUFFIXES)

    def _on_response(self, response: Response) -> None:
        if response.status >= 400 and self._is_code(response.request):
            self._failed_loads.append(f"{response.url} answered HTTP {response.status}")

    def _on_request_failed(self, request: Request) -> None:
        # An aborted request (a reload, a closed tab) is the page's choice, not a failure.
        if request.failure != "net::ERR_ABORTED" and self._is_code(request):
            self._failed_loads.append(f"{request.url} failed: {request.failure}")

    def _fail(self, reason: str) -> None:
        if self._failed_loads:
            reason += "\nfailed loads:\n" + "\n".join(self._failed_loads)
        super()._fail(reason)

    def _python_error_logged(self, since: int) -> str | None:
        return next((text for text in self.console_errors[since:] if text.startswith(_PYTHON_ERROR_LOGGED)), None)

    def _hear_workers_out(self) -> None:
        """Return once every console message the page's workers logged so far has been recorded.

        A worker's messages and its answer to an evaluate come in order on the
        worker's own channel, so one answer from each worker is the barrier.
        """
        from playwright.sync_api import Error as PlaywrightError

        for worker in self.page.workers:
            try:
                worker.evaluate("0")
            except PlaywrightError:  # a worker that ended has nothing more to say
                pass

    def _wait_until_ready(self, response: Response | None) -> None:
        if response is not None and not response.ok:
            self._fail(f"{response.url} answered HTTP {response.status}")
        since = len(self.console_errors)
        condition = f"() => Boolean({_PYSCRIPT_ERROR} || ({self.ready}))"
        deadline = time.monotonic() + self._load_timeout
        # Polled from here, not with wait_for_function: between two looks the
        # failed loads and Python errors recorded by the listeners are checked,
        # and a slow page (a busy machine) gets each look answered however long it takes.
        while not self.page.evaluate(condition) and self._python_error_logged(since) is None:
            if self._failed_loads:
                self._fail("a file the page needs did not load")
            if time.monotonic() > deadline:
                self._fail(f"page not ready within {self._load_timeout} s: {self.ready}")
            self.page.wait_for_timeout(_POLL_MS)
        shown = self.page.evaluate(f"() => {_PYSCRIPT_ERROR}?.textContent ?? null")
        if shown is not None:
            self._fail(f"PyScript showed an error:\n{shown}")
        self._hear_workers_out()
        logged = self._python_error_logged(since)
        if logged is not None:
            traceback = logged.removeprefix(_PYTHON_ERROR_LOGGED).partition("\n\n    at ")[0]
            self._fail(f"PyScript logged a Python error:\n{traceback}")


def wait_until_ready(page: Page, response: Response | None, timeout: float) -> str | None:
    """Wait for the harness page navigated to with response to settle; None when ready, else why not."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    if response is not None and not response.ok:
        return f"{response.url} answered HTTP {response.status}"
    try:
        page.wait_for_function(
            "() => window.pysessionHarness && window.pysessionHarness.state !== 'loading'",
            timeout=timeout * 1000,
            polling=50,
        )
    except PlaywrightTimeoutError:
        return f"Pyodide harness not ready within {timeout} s"
    harness = page.evaluate("() => window.pysessionHarness")
    return None if harness["state"] == "ready" else f"Pyodide harness failed to load: {harness['error']}"
