"""What a package index gets: a wheel and an sdist that `twine check --strict` passes, the sdist building the same wheel.

The files are those `python build.py wheel` wrote (PYSESSION_WHEEL, and the sdist
beside it), else built here from the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import pysession
from pysession.testing._wheel import DISTRIBUTION, WHEEL_PREFIX

ROOT = Path(__file__).resolve().parents[2]
WHEEL = f"{WHEEL_PREFIX}-{pysession.__version__}-py3-none-any.whl"
SDIST = f"{WHEEL_PREFIX}-{pysession.__version__}.tar.gz"


def hatchling_build(source: Path, out: Path, *targets: str) -> None:
    options = [option for target in targets for option in ("-t", target)]
    subprocess.run([sys.executable, "-m", "hatchling", "build", *options, "-d", out], cwd=source, check=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    given = os.environ.get("PYSESSION_WHEEL")
    if given:
        wheel = (ROOT / given).resolve()
    else:
        folder = tmp_path_factory.mktemp("dist")
        hatchling_build(ROOT, folder, "wheel", "sdist")
        wheel = folder / WHEEL
    sdist = wheel.with_name(SDIST)
    assert wheel.name == WHEEL and sdist.is_file(), f"{wheel.parent} should hold {WHEEL} and {SDIST}"
    return wheel, sdist


def test_twine_finds_nothing_to_fix_in_the_wheel_or_the_sdist(built):
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *built], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("PASSED") == 2, check.stdout


def test_the_sdist_builds_the_very_same_wheel(built, tmp_path):
    wheel, sdist = built
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="tar")
    hatchling_build(tmp_path / SDIST.removesuffix(".tar.gz"), tmp_path / "again", "wheel")
    assert (tmp_path / "again" / WHEEL).read_bytes() == wheel.read_bytes()


def test_the_wheel_is_pysession_canton_typed_licensed_with_its_readme_and_its_pytest_plugin(built):
    wheel, _ = built
    dist_info = f"{WHEEL_PREFIX}-{pysession.__version__}.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode())
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    assert "pysession/py.typed" in names and "pysession/testing/static/mock-wallet.js" in names
    assert {name.split("/", 1)[0] for name in names} == {"pysession", dist_info}
    assert (metadata["Name"], metadata["Version"]) == (DISTRIBUTION, pysession.__version__)
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert (metadata["License-Expression"], metadata["License-File"]) == ("Apache-2.0", "LICENSE")
    assert f"{dist_info}/licenses/LICENSE" in names
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload() == (ROOT / "README.md").read_text()
    assert metadata.get_all("Provides-Extra") == ["testing"]
    assert "[pytest11]\npysession = pysession.testing.plugin" in entry_points
