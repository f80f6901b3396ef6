"""pytest plugin: Pyodide pages with pysession installed, in the system Chromium.

Layered on pytest-playwright (sync API): its `browser`, `context` and `page`
fixtures are used as they are, and the launch options are merged into its
`browser_type_launch_args`. Importing this module imports neither playwright
nor a browser, and nothing changes until a fixture below is requested.

Fixtures: `pyodide_page` and `new_tab` (harness tabs: Pyodide with pysession
loaded, Python run from the test), `app_page` (tabs on the dApp's own pages,
with a mock wallet injected like an extension), `pysession_server`,
`pysession_snapshot`, `pysession_wheels`, `pysession_wheel_paths`,
`pysession_serve_root`, `pysession_pyodide_dir`. Every tab of one test is in
pytest-playwright's `context`, so they share storage and BroadcastChannel.
Ini options (none needed: a page's pysession.zip or versioned wheel answers
with the code under test wherever it is): pysession_serve_root,
pysession_wheel_paths, pysession_load_timeout, pysession_memory_snapshot. Environment:
PYSESSION_CHROMIUM (default /usr/bin/chromium), PYSESSION_WHEEL (a built wheel
to serve; default: one zipped from the imported pysession package),
PYSESSION_PYODIDE_DIR (default <rootdir>/node_modules/pyodide).
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

from . import _launch
from ._page import PYSCRIPT_DONE, AppPage, PyodidePage, PythonError, wait_until_ready
from ._server import CROSS_ORIGIN_ISOLATION, PREFIX, STATIC, StaticServer
from ._wheel import PAGE_BUNDLE, WHEEL_NAME, WHEEL_PREFIX, build_wheel, write_page_bundle

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

__all__ = ["AppPage", "PYSCRIPT_DONE", "PyodidePage", "PythonError", "ServedSite"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("pysession_serve_root", "folder pysession_server serves at / (default: rootdir)", type="paths")
    parser.addini(
        "pysession_wheel_paths",
        "URL paths (one a line) where the dApp's pages load pysession from; "
        "pysession_server answers them with the wheel under test",
        type="linelist",
        default=[],
    )
    parser.addini("pysession_load_timeout", "seconds a page may take to load Pyodide and get ready", default="60")
    parser.addini(
        "pysession_memory_snapshot",
        "restore harness pages from a Pyodide memory snapshot made once per session",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    # Plugins' fixtures override in registration order, and entry points load
    # in no fixed order; registering here, after all of them, makes our
    # browser_type_launch_args the override of pytest-playwright's. A
    # conftest.py still overrides ours.
    config.pluginmanager.register(_launch, "pysession-launch-args")


def wheel_under_test(wheels: list[Path]) -> Path:
    """The pysession wheel among the served ones (a dApp may add its own)."""
    return next((wheel for wheel in wheels if wheel.name.startswith(f"{WHEEL_PREFIX}-")), wheels[0])


def start_server(root: Path, pyodide_dir: Path, wheels: list[Path], scratch: Path) -> StaticServer:
    """Serve root at /, and under /_pysession/ Pyodide, the wheels, the harness and the snapshot upload.

    Every answer carries the cross-origin isolation headers, so a dApp's worker
    pages (``<script type="py" worker>``) run under test as they do on its site.

    Any URL of the root whose last segment is pysession.zip answers with the
    page bundle of the wheel under test, and any named
    pysession_canton-<version>-py3-none-any.whl with that wheel, so a dApp's
    own page runs the code under test wherever it loads pysession from.
    """
    wheel_dir = scratch / "wheels"
    uploads = scratch / "snapshot"
    wheel_dir.mkdir()
    uploads.mkdir()
    for wheel in wheels:
        shutil.copyfile(wheel, wheel_dir / wheel.name)
    mounts = {
        f"{PREFIX}pyodide/": pyodide_dir,
        f"{PREFIX}wheel/": wheel_dir,
        f"{PREFIX}snapshot/": uploads,
        PREFIX: STATIC,
    }
    server = StaticServer(root, mounts=mounts, upload_dir=uploads, headers=CROSS_ORIGIN_ISOLATION)
    wheel = wheel_dir / wheel_under_test(wheels).name
    server.answer_name(re.escape(PAGE_BUNDLE), write_page_bundle(wheel, scratch / PAGE_BUNDLE, pyodide_dir))
    server.answer_name(WHEEL_NAME, wheel)
    return server


@dataclass(frozen=True)
class ServedSite:
    """Where pysession_server listens: `url` serves the root folder, `harness_url()` the Pyodide harness."""

    url: str
    wheels: tuple[str, ...]
    server: StaticServer | None = field(default=None, repr=False, compare=False)

    def serve_at(self, url_path: str, file: Path) -> Callable[[], None]:
        """Answer url_path with file instead of what the root folder has there; returns the undo."""
        if self.server is None:
            raise RuntimeError("this ServedSite was made without its server")
        return self.server.alias(url_path, file)

    def harness_url(self, **params: str | None) -> str:
        """The harness page that installs the wheels; params such as snapshot=URL are added unless None."""
        query = [("wheel", f"wheel/{name}") for name in self.wheels]
        query += [(key, value) for key, value in params.items() if value is not None]
        return f"{self.url}{PREFIX}harness.html?{urlencode(query)}"


@pytest.fixture(scope="session")
def pysession_serve_root(pytestconfig: pytest.Config) -> Path:
    """The folder served at /: the ini option pysession_serve_root, else rootdir."""
    configured = pytestconfig.getini("pysession_serve_root")
    return Path(configured[0]) if configured else pytestconfig.rootpath


@pytest.fixture(scope="session")
def pysession_pyodide_dir(pytestconfig: pytest.Config) -> Path:
    """The Pyodide distribution served at /_pysession/pyodide/ (the npm package's files)."""
    folder = Path(os.environ.get("PYSESSION_PYODIDE_DIR", pytestconfig.rootpath / "node_modules" / "pyodide"))
    if not (folder / "pyodide.mjs").is_file():
        pytest.fail(f"no pyodide.mjs in {folder}: run `npm ci` or set PYSESSION_PYODIDE_DIR", pytrace=False)
    return folder


@pytest.fixture(scope="session")
def pysession_wheels(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Wheels every harness page installs: PYSESSION_WHEEL, else one zipped from the imported package.

    Override it to add a dApp's own wheels: `return [*pysession_wheels, my_wheel]`.
    """
    given = os.environ.get("PYSESSION_WHEEL")
    if not given:
        return [build_wheel(tmp_path_factory.mktemp("pysession-wheel"))]
    wheel = pytestconfig.invocation_params.dir / given
    if not wheel.is_file():
        pytest.fail(f"PYSESSION_WHEEL={given} is not a file", pytrace=False)
    return [wheel]


@pytest.fixture
def pysession_wheel_paths(pytestconfig: pytest.Config) -> list[str]:
    """More URL paths where the dApp's own pages load pysession (ini pysession_wheel_paths; default none).

    Not needed when the file is named pysession.zip or
    pysession_canton-<version>-py3-none-any.whl: pysession_server answers those
    wherever they are. While an `app_page` tab is open, it answers each of
    these paths with the pysession wheel under test too. Override it in a
    conftest.py or a test module.
    """
    return list(pytestconfig.getini("pysession_wheel_paths"))


@pytest.fixture(scope="session")
def pysession_server(
    pysession_serve_root: Path,
    pysession_pyodide_dir: Path,
    pysession_wheels: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServedSite]:
    """Serves the root folder, Pyodide, the wheels and the harness on 127.0.0.1 for the session (see start_server)."""
    scratch = tmp_path_factory.mktemp("pysession-server")
    server = start_server(pysession_serve_root, pysession_pyodide_dir, pysession_wheels, scratch)
    try:
        yield ServedSite(server.url, tuple(wheel.name for wheel in pysession_wheels), server)
    finally:
        server.close()


def _load_timeout(config: pytest.Config) -> float:
    return float(config.getini("pysession_load_timeout"))


@pytest.fixture(scope="session")
def pysession_snapshot(browser: Browser, pysession_server: ServedSite, pytestconfig: pytest.Config) -> str | None:
    """URL of a memory snapshot of freshly booted Pyodide, made once per session in a throwaway page.

    Harness pages restore it in a fraction of a second instead of booting for
    seconds. None when pysession_memory_snapshot is off, or, with a warning,
    when this Pyodide cannot make one (its snapshot API is private).
    """
    if not pytestconfig.getini("pysession_memory_snapshot"):
        return None
    url = f"{PREFIX}snapshot/pyodide.snapshot"
    page = browser.new_page()
    try:
        response = page.goto(pysession_server.harness_url(save_snapshot=url))
        error = wait_until_ready(page, response, _load_timeout(pytestconfig))
    finally:
        page.close()
    if error:
        warnings.warn(
            f"booting every page without a Pyodide memory snapshot: {error}", pytest.PytestWarning, stacklevel=2
        )
        return None
    return url


def _open(page: Page, site: ServedSite, snapshot: str | None, config: pytest.Config) -> PyodidePage:
    return PyodidePage(page, site.harness_url(snapshot=snapshot), _load_timeout(config)).load()


@pytest.fixture
def pyodide_page(
    page: Page, pysession_server: ServedSite, pysession_snapshot: str | None, pytestconfig: pytest.Config
) -> PyodidePage:
    """pytest-playwright's `page` on the harness, with Pyodide and pysession ready."""
    return _open(page, pysession_server, pysession_snapshot, pytestconfig)


@pytest.fixture
def new_tab(
    context: BrowserContext, pysession_server: ServedSite, pysession_snapshot: str | None, pytestconfig: pytest.Config
) -> Iterator[Callable[[], PyodidePage]]:
    """Factory for more harness tabs in the same context as `page`: they share IndexedDB and BroadcastChannel."""
    made: list[Page] = []

    def open_tab() -> PyodidePage:
        page = context.new_page()
        made.append(page)
        return _open(page, pysession_server, pysession_snapshot, pytestconfig)

    yield open_tab
    for page in made:
        page.close()


@pytest.fixture
def app_page(
    context: BrowserContext,
    pysession_server: ServedSite,
    pysession_wheels: list[Path],
    pysession_wheel_paths: list[str],
    pytestconfig: pytest.Config,
) -> Iterator[Callable[..., AppPage]]:
    """Factory: open a page of the served site in a new tab of `context` and wait until it is ready.

    `app_page(path="/", *, ready=PYSCRIPT_DONE, wallet=None)`: `ready` is a JS
    expression that is truthy once the page is usable (default: every
    PyScript script on it has run); `wallet` is a dict of mock wallet options
    (as `PyodidePage.install_wallet`'s: `{"flavor": "splice", "signed_in": False}`
    is a Canton wallet gateway whose user has not signed in yet), injected at
    `window.canton` before the page's scripts run. The tabs close at the end
    of the test.
    """
    wheel = wheel_under_test(pysession_wheels)
    undo = [pysession_server.serve_at(path, wheel) for path in pysession_wheel_paths]
    made: list[Page] = []

    def open_page(path: str = "/", *, ready: str = PYSCRIPT_DONE, wallet: dict[str, Any] | None = None) -> AppPage:
        page = context.new_page()
        made.append(page)
        url = pysession_server.url + (path if path.startswith("/") else f"/{path}")
        return AppPage(page, url, _load_timeout(pytestconfig), ready=ready, wallet=wallet).load()

    yield open_page
    for page in made:
        page.close()
    for remove in undo:
        remove()
