"""A failed build never leaves a half-written site and keeps the previous one."""

from __future__ import annotations

from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.errors import EnvironmentProblem
from minato_lite.publish import staging as writer


def test_failed_rebuild_keeps_the_previous_site(tmp_path: Path, monkeypatch):
    data = tmp_path / "a.csv"
    data.write_text("x\n1\n")
    out = tmp_path / "site"
    build_site([data], out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def broken(*_args, **_kwargs):
        raise EnvironmentProblem("jupyter lite build failed: simulated")

    monkeypatch.setattr(writer, "write_contents_index", broken)
    with pytest.raises(EnvironmentProblem):
        build_site([data], out, title="second")
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_rebuild_replaces_the_site_in_place(tmp_path: Path):
    data = tmp_path / "a.csv"
    data.write_text("x\n1\n")
    out = tmp_path / "site"
    build_site([data], out, title="first")
    build_site([data], out, title="second")
    assert "second" in (out / "index.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "site"]


def test_build_leaves_files_beside_the_output_untouched(tmp_path: Path):
    """jupyterlite-core re-timestamps the output's parent tree; the build must shield it."""
    neighbour = tmp_path / "notes" / "draft.txt"
    neighbour.parent.mkdir()
    neighbour.write_text("mine")
    before = neighbour.stat().st_mtime_ns
    data = tmp_path / "a.csv"
    data.write_text("x\n1\n")
    build_site([data], tmp_path / "site")
    assert neighbour.stat().st_mtime_ns == before
    assert data.stat().st_mtime_ns >= before
