"""Counts and figures of the reliability checks, shared by the CPython and browser suites.

Each check takes its size from ``size(name, ci=..., full=...)``: the CI size by
default, the full size when ``PYSESSION_FULL_COUNTS=1`` (``python build.py
reliability`` sets it), or exactly ``PYSESSION_<NAME>`` when that is set. A
check that passed adds its figures with ``record(...)``: one JSON line appended
to the file named by ``PYSESSION_RELIABILITY_REPORT`` (nothing when unset);
``summary_lines`` adds them up for the report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

REPORT_ENV = "PYSESSION_RELIABILITY_REPORT"
FULL_ENV = "PYSESSION_FULL_COUNTS"

# (figure key, the line printed for it)
FIGURES = (
    ("faults", "faults survived"),
    ("inputs", "inputs tried"),
    ("operations", "tab operations and store lifetimes run"),
    ("escaped", "exceptions escaped"),
    ("hangs", "hangs"),
    ("lost", "sessions lost"),
    ("bad_blobs", "bad blobs cleared"),
    ("divergent", "tabs divergent"),
    ("proxies", "proxies leaked"),
    ("resources", "listeners, timers and connections leaked"),
    ("ivs", "distinct IVs"),
    ("leaks", "secret occurrences at rest or in the console"),
)


def size(name: str, *, ci: int, full: int) -> int:
    """How many of something a check does: ``PYSESSION_<NAME>``, else full or CI size."""
    given = os.environ.get(f"PYSESSION_{name.upper()}")
    if given:
        return int(given)
    return full if os.environ.get(FULL_ENV) == "1" else ci


def record(check: str, **figures: int) -> None:
    """Add a check's figures (keys of ``FIGURES``) to the report file, if one is asked for."""
    unknown = set(figures) - {key for key, _ in FIGURES}
    if unknown:
        raise ValueError(f"unknown figures {sorted(unknown)}")
    path = os.environ.get(REPORT_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as report:
            report.write(json.dumps({"check": check, **figures}) + "\n")


def totals(path: Path) -> dict[str, int]:
    """Every figure summed over the checks in the report file (0 for a figure no check reported)."""
    sums = {key: 0 for key, _ in FIGURES}
    sums["checks"] = 0
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            sums["checks"] += 1
            for key, _ in FIGURES:
                sums[key] += int(entry.get(key, 0))
    return sums


def summary_lines(path: Path) -> list[str]:
    sums = totals(path)
    width = max(len(label) for _, label in FIGURES)
    return [f"{label:<{width}}  {sums[key]:>9,}" for key, label in FIGURES]
