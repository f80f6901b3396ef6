"""The README's pytest section, followed as written, in a fresh folder.

The folder's files are the section's code blocks that name a file in their
first line; its shell block runs as written: a new venv with
`pysession-canton[testing]` (the wheel under test is the only distribution of
that name pip finds, through PIP_FIND_LINKS, as it will find the published one
on PyPI; the newest pytest and pytest-playwright PyPI serves within the extra's
range), Pyodide and PyScript from npm, then `pytest`, which must pass the
README's example tests (a main-thread page's and a worker page's) with no
warning. The checkout's by-path install, with the wheel under test for
"path/to/pysession_canton-<version>-py3-none-any.whl", then runs in that venv too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pysession
from pysession.testing._server import chromium_path
from pysession.testing._wheel import DISTRIBUTION, WHEEL_PREFIX

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### In a dApp's pytest suite"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
FILE_NAME = re.compile(r"(?:# |<!-- )([\w.-]+\.\w+)(?: -->)?\n")
README_WHEEL = re.compile(rf"""[^\s"']*{WHEEL_PREFIX}-[\w.]+-py3-none-any\.whl""")
BY_PATH = re.compile(r'`(pip install "[^"`]+\.whl\[testing\]")`')


def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    return text[start : text.index("\n## ", start)]


def readme_folder() -> tuple[dict[str, str], str]:
    """The files the README's pytest section shows (name -> text) and its shell commands."""
    section = readme_section()
    files, commands = {}, []
    for language, body in BLOCK.findall(section):
        named = FILE_NAME.match(body)
        if named:
            files[named.group(1)] = body
        elif language == "sh":
            commands.append(body)
    assert len(commands) == 1, f"the section should have one sh block, not {len(commands)}"
    return files, commands[0]


def built_wheel(scratch: Path) -> Path:
    """The wheel under test as pip gets it: PYSESSION_WHEEL, else one built from the checkout."""
    given = os.environ.get("PYSESSION_WHEEL")
    if given:
        return (ROOT / given).resolve()
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", scratch], cwd=ROOT, check=True)
    return next(scratch.glob(f"{WHEEL_PREFIX}-*.whl"))


def by_path_install() -> str:
    """The checkout's install command the section gives beside the published one."""
    found = BY_PATH.findall(readme_section())
    assert len(found) == 1, found
    return found[0]


def test_the_readme_names_the_folder_the_versions_and_the_wheel_pysession_is_tested_with():
    files, commands = readme_folder()
    assert sorted(files) == ["app.py", "index.html", "test_dapp.py", "worker.html"]
    npm = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert f"npm install pyodide@{npm['pyodide']} @pyscript/core@{npm['@pyscript/core']}" in commands
    assert f'pip install "{DISTRIBUTION}[testing]"' in commands
    wheel = f"path/to/{WHEEL_PREFIX}-{pysession.__version__}-py3-none-any.whl"
    assert README_WHEEL.findall(by_path_install()) == [wheel]


def test_a_fresh_folder_that_follows_the_readme_passes_its_example_tests(tmp_path):
    files, commands = readme_folder()
    wheel = built_wheel(tmp_path / "wheel")
    folder = tmp_path / "my-dapp"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    # A newcomer's shell: none of this checkout's test settings, the machine's Chromium.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYSESSION_", "PYTEST", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env["PYSESSION_CHROMIUM"] = chromium_path()
    # pip finds the wheel under test as the one distribution of its name, where it will find the published one.
    index = tmp_path / "index"
    index.mkdir()
    shutil.copy(wheel, index)
    env["PIP_FIND_LINKS"] = " ".join(filter(None, [str(index), env.get("PIP_FIND_LINKS")]))
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", commands], cwd=folder, env=env, capture_output=True, text=True, timeout=1200
    )
    output = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, output
    versions = subprocess.run(
        [folder / ".venv" / "bin" / "python", "-m", "pip", "list", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    report = run.stdout[run.stdout.find("test session starts") :]
    assert re.search(r"^=+ 2 passed in [\d.]+s", report, re.MULTILINE), f"{output}\n{versions}"
    assert "warning" not in report.lower(), f"{output}\n{versions}"
    dist_info = f"{WHEEL_PREFIX}-{pysession.__version__}.dist-info"
    installed = next((folder / ".venv").glob(f"lib/python*/site-packages/{dist_info}/RECORD")).read_text()
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read(f"{dist_info}/RECORD").decode()
    assert set(shipped.splitlines()) - {f"{dist_info}/RECORD,,"} <= set(installed.splitlines()), "not the wheel under test"
    # From a checkout: the same wheel by its path, in the same venv.
    by_path = README_WHEEL.sub(str(wheel), by_path_install())
    checkout = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", f". .venv/bin/activate && {by_path}"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checkout.returncode == 0, f"{checkout.stdout}\n{checkout.stderr}"
