"""A wheel of the pysession that is running the tests, and the page bundle made from a wheel.

The browser must run the same code as the checkout or installed package under
test, so when no built wheel is given, the package folder is zipped as is: pure
Python needs only METADATA, WHEEL and a RECORD of sha256 digests.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

import pysession

PACKAGE = "pysession"
"""The import name: the package folder, and the page bundle's name."""
DISTRIBUTION = "pysession-canton"
"""The name on the package index (`pysession` there is another project)."""
WHEEL_PREFIX = DISTRIBUTION.replace("-", "_")
"""The distribution's name as wheel and sdist file names spell it."""
PAGE_BUNDLE = f"{PACKAGE}.zip"
WHEEL_NAME = rf"{WHEEL_PREFIX}-[^-/]+-py3-none-any\.whl"
# The pytest kit runs on the test host; of it, pages need only MockWallet.
IN_PAGES = ("pysession/testing/__init__.py", "pysession/testing/_mock_wallet.py")
BYTECODE_COMPILER = Path(__file__).resolve().parent / "_bytecode.mjs"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _package_files() -> list[tuple[str, bytes]]:
    root = Path(pysession.__file__).resolve().parent
    files = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files.append((f"{PACKAGE}/{path.relative_to(root).as_posix()}", path.read_bytes()))
    return files


def build_wheel(directory: Path) -> Path:
    """Write pysession_canton-<version>-py3-none-any.whl into directory and return its path."""
    version = metadata.version(DISTRIBUTION)
    dist_info = f"{WHEEL_PREFIX}-{version}.dist-info"
    files = _package_files()
    metadata_text = f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: {version}\n"
    files.append((f"{dist_info}/METADATA", metadata_text.encode()))
    files.append(
        (
            f"{dist_info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: pysession.testing\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
    )
    record = [_record_line(path, data) for path, data in files]
    record.append(f"{dist_info}/RECORD,,")
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    wheel = directory / f"{WHEEL_PREFIX}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files:
            archive.writestr(path, data)
    return wheel


def write_page_bundle(wheel: Path, bundle: Path, pyodide_dir: Path) -> Path:
    """pysession.zip: what a page loads (PyScript unpacks it onto the Python path).

    The wheel minus its metadata and the pytest kit, which runs on the test host
    and never in a page; each module as bytecode made by the Pyodide in
    pyodide_dir (node runs it), so a page imports without compiling. A traceback
    names the source's own file and line.
    """
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        with zipfile.ZipFile(wheel) as source:
            for name in source.namelist():
                if name.startswith(f"{PACKAGE}/") and (not name.startswith(f"{PACKAGE}/testing/") or name in IN_PAGES):
                    source.extract(name, folder)
        try:
            subprocess.run(["node", str(BYTECODE_COMPILER), str(pyodide_dir.resolve()), str(folder)], check=True)
        except FileNotFoundError:
            needs = f"the page bundle is compiled by node (with the Pyodide in {pyodide_dir})"
            raise RuntimeError(f"{needs}: no node on PATH") from None
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
            for path in sorted(folder.rglob("*.pyc")):
                # A fixed date, as in the wheel: the same sources make the same bundle.
                item = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(2020, 2, 2, 0, 0, 0))
                item.external_attr = 0o644 << 16
                out.writestr(item, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return bundle
