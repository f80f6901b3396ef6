"""docs/lifecycle.md's table of deliberate differences names the tests that pin them: each must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Where pysession differs from the original, on purpose"


def test_every_test_the_differences_table_names_exists():
    text = (ROOT / "docs" / "lifecycle.md").read_text()
    section = text.split(f"\n{HEADING}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) >= 11
    for row in rows:
        pinned = row.rstrip(" |").rsplit("|", 1)[1]
        names = re.findall(r"`([^`]+)`", pinned)
        assert names, row
        folder = "tests/core"
        for name in names:
            path, _, test = name.partition("::")
            if "/" in path:
                folder = str(Path(path).parent)
            else:
                path = f"{folder}/{path}"
            source = ROOT / path
            assert source.exists(), name
            if test:
                tree = ast.parse(source.read_text())
                defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
                assert test in defined, name
