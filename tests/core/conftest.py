"""Fixtures of the CPython suite: ``run`` (virtual time) and ``hub`` (in-memory tabs); helpers live in support.py."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import settings

from .support import ChannelHub, run_virtual

settings.register_profile("pysession-core", database=None)
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
