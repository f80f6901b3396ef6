"""A static HTTP server on 127.0.0.1 for the browser tests.

It serves a root folder plus fixed mounts under /_pysession/ (Pyodide, the
wheels, the harness page), answers chosen paths of the root with other files
(aliases: a dApp page's own URL of the pysession wheel answers with the wheel
under test), and accepts one kind of upload: a PUT under /_pysession/snapshot/,
where the harness saves its Pyodide memory snapshot.
Every answer says `Cache-Control: no-cache`: the browser must revalidate, so
a rebuilt wheel is never stale; within one browser context unchanged files
come back as a 304.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PREFIX = "/_pysession/"
STATIC = Path(__file__).resolve().parent / "static"


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".whl": "application/zip",
        ".json": "application/json",
    }

    def translate_path(self, path: str) -> str:
        # The base class confines the result to self.directory (it drops ".."),
        # so choosing the directory by prefix is enough to mount folders.
        route = path.split("?", 1)[0].split("#", 1)[0]
        alias = self.server.aliases.get(route)
        if alias is not None:
            return str(alias)
        for prefix, folder in self.server.mounts:
            if route.startswith(prefix):
                self.directory = str(folder)
                return super().translate_path(path[len(prefix) - 1 :])
        return super().translate_path(path)

    def do_PUT(self) -> None:
        target = Path(self.translate_path(self.path))
        if self.directory != str(self.server.upload_dir):
            self.send_error(405, "uploads go under /_pysession/snapshot/")
            return
        target.write_bytes(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a request log would bury the test output."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, mounts: tuple[tuple[str, Path], ...], upload_dir: Path) -> None:
        super().__init__(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
        self.mounts = mounts
        self.upload_dir = upload_dir
        self.aliases: dict[str, Path] = {}

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet about a browser hanging up mid-answer (a tab closed while loading); loud about the rest."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StaticServer:
    """Serves root and the /_pysession/ mounts from a daemon thread until close().

    wheel_dir is served at /_pysession/wheel/; upload_dir at /_pysession/snapshot/;
    alias() answers one URL path with a given file until its undo is called.
    """

    def __init__(self, root: Path, pyodide_dir: Path, wheel_dir: Path, upload_dir: Path) -> None:
        mounts = (
            (f"{PREFIX}pyodide/", pyodide_dir),
            (f"{PREFIX}wheel/", wheel_dir),
            (f"{PREFIX}snapshot/", upload_dir),
            (PREFIX, STATIC),
        )
        self._httpd = _Server(root, mounts, upload_dir)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="pysession-http", daemon=True)
        self._thread.start()

    def alias(self, url_path: str, file: Path) -> Callable[[], None]:
        """Answer GET url_path (say "/dist/pysession.zip") with file; returns the undo."""
        if not url_path.startswith("/"):
            raise ValueError(f"an alias is a URL path starting with '/', not {url_path!r}")
        aliases = self._httpd.aliases
        aliases[url_path] = Path(file).resolve()

        def undo() -> None:
            aliases.pop(url_path, None)

        return undo

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
