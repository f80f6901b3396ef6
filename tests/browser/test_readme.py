"""The README's pytest section, followed as written, in a fresh folder.

The folder's files are the section's code blocks that name a file in their
first line; its shell block runs as written, with the wheel under test for
"path/to/pysession-<version>-py3-none-any.whl": a new venv with
`pysession[testing]` (so the newest pytest and pytest-playwright PyPI serves
within the extra's range), Pyodide and PyScript from npm, then `pytest`, which
must pass the README's example test with no warning.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pysession
from pysession.testing._server import chromium_path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### In a dApp's pytest suite"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
FILE_NAME = re.compile(r"(?:# |<!-- )([\w.-]+\.\w+)(?: -->)?\n")
README_WHEEL = re.compile(r"""[^\s"']*pysession-[\w.]+-py3-none-any\.whl""")


def readme_folder() -> tuple[dict[str, str], str]:
    """The files the README's pytest section shows (name -> text) and its shell commands."""
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    section = text[start : text.index("\n## ", start)]
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
    return next(scratch.glob("pysession-*.whl"))


def test_the_readme_names_the_folder_the_versions_and_the_wheel_pysession_is_tested_with():
    files, commands = readme_folder()
    assert sorted(files) == ["app.py", "index.html", "test_dapp.py"]
    npm = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert f"npm install pyodide@{npm['pyodide']} @pyscript/core@{npm['@pyscript/core']}" in commands
    assert README_WHEEL.findall(commands) == [f"path/to/pysession-{pysession.__version__}-py3-none-any.whl"]
    assert "[testing]" in commands


def test_a_fresh_folder_that_follows_the_readme_passes_its_example_test(tmp_path):
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
    script = README_WHEEL.sub(str(wheel), commands)
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=1200
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
    assert re.search(r"^=+ 1 passed in [\d.]+s", report, re.MULTILINE), f"{output}\n{versions}"
    assert "warning" not in report.lower(), f"{output}\n{versions}"
