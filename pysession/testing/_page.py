"""A Playwright page with Pyodide and pysession loaded, driven from a test.

Every wait has a deadline: a page that cannot load Pyodide or install the
wheel fails the test with the browser's own error text, never a hang or a skip.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ._server import STATIC

MOCK_WALLET_JS = STATIC / "mock-wallet.js"


class PythonError(Exception):
    """Raised when Python code run in the page raises; the message is its traceback."""

    def __init__(self, type_name: str, traceback: str) -> None:
        super().__init__(f"{type_name} raised in the browser:\n{traceback}")
        self.type_name = type_name
        self.traceback = traceback


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), name)


class PyodidePage:
    """One harness tab: `.run()` Python in it, `.wait_for()` a condition, inspect `.console_errors`."""

    def __init__(self, page: Any, url: str, load_timeout: float) -> None:
        self.page = page
        self.console_errors: list[str] = []
        self._url = url
        self._load_timeout = load_timeout
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_page_error(self, error: Any) -> None:
        self.console_errors.append(str(error))

    def load(self) -> PyodidePage:
        """Navigate to the harness and wait until pysession is imported."""
        self._wait_until_ready(self.page.goto(self._url))
        return self

    def reload(self) -> PyodidePage:
        """Reload the tab (a fresh Python; same storage) and wait until it is ready again."""
        self._wait_until_ready(self.page.reload())
        return self

    def _wait_until_ready(self, response: Any) -> None:
        error = wait_until_ready(self.page, response, self._load_timeout)
        if error:
            pytest.fail(f"{error}\nharness: {self._url}\nconsole errors: {self.console_errors}", pytrace=False)

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
        connected, party_id, network_id, connect_delay_ms, connect_error, shared.
        """
        config = json.dumps({_camel(key): value for key, value in options.items()})
        script = f"{MOCK_WALLET_JS.read_text()}\nwindow.mockWallet = createMockWallet({config});\n"
        self.page.add_init_script(script)
        self.page.add_script_tag(content=script)

    @staticmethod
    def _value(outcome: dict, code: str) -> Any:
        if outcome["ok"]:
            return outcome.get("value")
        if outcome["timeout"]:
            raise TimeoutError(f"{outcome['message']}\n--- code ---\n{code}")
        raise PythonError(outcome["type"], outcome["message"])


def wait_until_ready(page: Any, response: Any, timeout: float) -> str | None:
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
