"""The page bundle's build says what it needs when it is missing."""

from __future__ import annotations

import pytest

from pysession.testing._wheel import build_wheel, write_page_bundle


def test_without_node_the_page_bundle_fails_saying_so(tmp_path, monkeypatch):
    wheel = build_wheel(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="no node on PATH"):
        write_page_bundle(wheel, tmp_path / "pysession.zip", tmp_path / "pyodide")
    assert not (tmp_path / "pysession.zip").exists()
