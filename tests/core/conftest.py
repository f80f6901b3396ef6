"""The CPython suite's kit: ``async def`` tests run on the virtual-time loop; ``run`` and ``hub`` fixtures.

Helpers live in support.py.
"""

from __future__ import annotations

import gc
import inspect
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import settings

from .support import ChannelHub, run_virtual

# The test run replays the same examples every time, so it passes or fails on the code alone;
# the reliability run (PYSESSION_FULL_COUNTS=1) explores new ones.
# No per-example deadline: on a busy machine one example can take 300 ms, which is not a failure of the code.
settings.register_profile(
    "pysession-core", database=None, deadline=None, derandomize=os.environ.get("PYSESSION_FULL_COUNTS") != "1"
)
settings.load_profile("pysession-core")


@pytest.fixture
def run() -> Callable[[Callable[[], Awaitable[Any]]], Any]:
    """``run(main)`` runs the coroutine function ``main`` in virtual time and returns its result.

    Stateless (a fresh loop per call), so hypothesis tests may use it for every example.
    """
    return run_virtual


@pytest.fixture
def hub() -> ChannelHub:
    return ChannelHub()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Park everything alive after collection in gc's permanent generation, so each run's gc.collect() is cheap."""
    gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test on a fresh virtual-time loop (see support.run_virtual)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    run_virtual(lambda: pyfuncitem.obj(**arguments))
    return True
