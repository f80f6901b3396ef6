"""pytest-playwright's launch options plus the system Chromium and its flags.

A module of its own because the plugin registers it after every entry point
(see plugin.pytest_configure), and a fixture at module level is what pytest
keeps supporting (session-scoped fixtures as methods of an instance are deprecated).
"""

from __future__ import annotations

from typing import Any

import pytest

from ._server import CHROMIUM_ARGS, chromium_path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], browser_name: str) -> dict[str, Any]:
    """Merged into pytest-playwright's options, never replacing them: a --browser-channel or a conftest's args stay."""
    if browser_name != "chromium":
        return browser_type_launch_args
    merged = dict(browser_type_launch_args)
    if "channel" not in merged:
        merged.setdefault("executable_path", chromium_path())
    args = list(merged.get("args", ()))
    merged["args"] = args + [arg for arg in CHROMIUM_ARGS if arg not in args]
    return merged
