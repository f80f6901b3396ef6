"""Fixtures of the browser suite beyond the plugin's: a second origin (same host, another port)."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pysession.testing.plugin import PyodidePage, ServedSite, start_server


@pytest.fixture(scope="session")
def other_origin(
    pysession_server: ServedSite,
    pysession_snapshot: str | None,
    pysession_serve_root: Path,
    pysession_pyodide_dir: Path,
    pysession_wheels: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServedSite, str | None]]:
    """A second server on another port of 127.0.0.1 (another origin), with the same wheels and snapshot."""
    server = start_server(
        pysession_serve_root, pysession_pyodide_dir, pysession_wheels, tmp_path_factory.mktemp("other-origin")
    )
    if pysession_snapshot is not None:
        # The snapshot lives on the first server; a cross-origin fetch of it would need CORS.
        with urllib.request.urlopen(pysession_server.url + pysession_snapshot) as response:
            (server.upload_dir / pysession_snapshot.rsplit("/", 1)[1]).write_bytes(response.read())
    try:
        yield ServedSite(server.url, pysession_server.wheels), pysession_snapshot
    finally:
        server.close()


@pytest.fixture
def other_origin_tab(
    context: Any, other_origin: tuple[ServedSite, str | None], pytestconfig: pytest.Config
) -> Callable[[], PyodidePage]:
    """Factory for harness tabs served from the other origin, in the same browser context as `page`."""
    site, snapshot = other_origin
    timeout = float(pytestconfig.getini("pysession_load_timeout"))

    def open_tab() -> PyodidePage:
        return PyodidePage(context.new_page(), site.harness_url(snapshot=snapshot), timeout).load()

    return open_tab
