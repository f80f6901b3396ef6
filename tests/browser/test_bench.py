"""The benchmark keeps working: `python build.py bench --quick` in miniature, numbers not judged."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_runs_and_reports_every_figure(tmp_path):
    wheel = os.environ.get("PYSESSION_WHEEL") or str(next((ROOT / "dist").glob("pysession_canton-*.whl")))
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--wheel", str(ROOT / wheel), "--quick", "--out", str(tmp_path)],
        check=True,
        timeout=600,
    )
    results = json.loads((tmp_path / "results.json").read_text())
    names = [figure["figure"] for figure in results["figures"]]
    for expected in (
        "encrypted persist (set_item), indexeddb",
        "encrypted read (get_item), indexeddb",
        "encrypted persist (set_item), localstorage",
        "encrypted read (get_item), localstorage",
        "connect() until the envelope is persisted",
        "init() until a persisted session is restored",
        "disconnect in tab A until the other tabs report disconnected, 2 tabs",
        "the sender's own disconnect()",
        "party switches in a burst",
        "provider events that change no party",
        "import pysession + create store + init(), nothing persisted",
        "wheel size",
        "init() restoring a session, PyScript worker vs main thread",
        "a wallet request round trip, PyScript worker vs main thread",
    ):
        assert any(expected in name for name in names), f"{expected!r} missing from {names}"
    assert all(stats["median"] > 0 for figure in results["figures"] for stats in figure["contenders"].values())
    assert [point["tabs"] for point in results["broadcast_curve"]] == [2, 3]
    assert (tmp_path / "chart.svg").read_text().startswith("<svg")
