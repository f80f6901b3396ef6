"""What `python build.py`, the benchmark and the pytest plugin share: one static server, one Chromium, one budget.

The server serves a root folder on 127.0.0.1, plus mounts (a URL prefix
answered from another folder), aliases (one URL path answered with a given
file) and names (any path whose last segment matches, answered with a given
file: a dApp page's own URL of pysession answers with the code under test).
It takes one kind of upload, a PUT into the upload mount, and answers
Chromium's own request for /favicon.ico with an empty icon when the site has
none, so that request never shows as a console error.
Every answer says `Cache-Control: no-cache`: the browser must revalidate, so a
rebuilt wheel is never stale; unchanged files come back as a 304.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
PAGE_BUNDLE_BUDGET_BYTES = 96 * 1024
"""The most a page may download of pysession (dist/pysession.zip); the wheel pip installs has no budget.

The bundle is bytecode, two and a half times the bytes of its sources: a first
visit downloads more once, and every page load skips compiling (the benchmark
weighs the two)."""

CROSS_ORIGIN_ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
"""What a page needs for Python in a PyScript worker to use the main thread's ``window`` (synchronous Atomics
over a SharedArrayBuffer). Everything here is same-origin, so nothing else changes for other pages."""

PREFIX = "/_pysession/"
STATIC = Path(__file__).resolve().parent / "static"


def chromium_path() -> str:
    """Debian's Chromium, or the one PYSESSION_CHROMIUM names."""
    return os.environ.get("PYSESSION_CHROMIUM", DEFAULT_CHROMIUM)


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".whl": "application/zip",
        ".json": "application/json",
    }
    server: _Server

    def translate_path(self, path: str) -> str:
        # The base class confines the result to self.directory (it drops ".."),
        # so choosing the directory by prefix is enough to mount folders.
        route = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, folder in self.server.mounts:
            if route.startswith(prefix):
                self.directory = str(folder)
                return super().translate_path(path[len(prefix) - 1 :])
        answer = self.server.answer_for(route)
        if answer is not None:
            return str(answer)
        return super().translate_path(path)

    def send_head(self) -> BinaryIO | None:
        """The base class's, except that a missing /favicon.ico is an empty icon (Chromium asks for it itself)."""
        if self.path.split("?", 1)[0] == "/favicon.ico" and not os.path.exists(self.translate_path(self.path)):
            self.send_response(200)
            self.send_header("Content-Type", "image/x-icon")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return super().send_head()

    def do_PUT(self) -> None:
        target = Path(self.translate_path(self.path))
        if self.server.upload_dir is None or self.directory != str(self.server.upload_dir):
            self.send_error(405, "uploads go under the upload mount only")
            return
        target.write_bytes(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def end_headers(self) -> None:
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a request log would bury the test output."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        root: Path,
        port: int,
        mounts: tuple[tuple[str, Path], ...],
        upload_dir: Path | None,
        headers: dict[str, str],
    ) -> None:
        super().__init__(("127.0.0.1", port), partial(_Handler, directory=str(root)))
        self.mounts = mounts
        self.upload_dir = upload_dir
        self.headers = headers
        self.aliases: dict[str, Path] = {}
        self.names: list[tuple[re.Pattern[str], Path]] = []

    def answer_for(self, route: str) -> Path | None:
        """The file an alias or a name gives this URL path; aliases first."""
        if route in self.aliases:
            return self.aliases[route]
        last = route.rsplit("/", 1)[-1]
        return next((file for pattern, file in self.names if pattern.fullmatch(last)), None)

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """Quiet about a browser hanging up mid-answer (a tab closed while loading); loud about the rest."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StaticServer:
    """Serves root (and mounts: URL prefix -> folder) from a daemon thread until close().

    upload_dir, when given, must be one of the mounted folders: the only place a
    PUT may write. headers are added to every answer.
    """

    def __init__(
        self,
        root: Path,
        *,
        port: int = 0,
        mounts: Mapping[str, Path] | None = None,
        upload_dir: Path | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._httpd = _Server(
            root,
            port,
            tuple((mounts or {}).items()),
            upload_dir,
            {"Cache-Control": "no-cache", **(headers or {})},
        )
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.upload_dir = upload_dir
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="pysession-http", daemon=True)
        self._thread.start()

    def alias(self, url_path: str, file: Path) -> Callable[[], None]:
        """Answer GET url_path (say "/vendor/pysession-lib.zip") with file; returns the undo."""
        if not url_path.startswith("/"):
            raise ValueError(f"an alias is a URL path starting with '/', not {url_path!r}")
        aliases = self._httpd.aliases
        aliases[url_path] = Path(file).resolve()

        def undo() -> None:
            aliases.pop(url_path, None)

        return undo

    def answer_name(self, pattern: str, file: Path) -> None:
        """Answer every path outside the mounts whose last segment fully matches the regex pattern with file."""
        self._httpd.names.append((re.compile(pattern), Path(file).resolve()))

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C interrupts)."""
        self._thread.join()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> StaticServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
