"""Hostile and broken input: clear errors, nothing half-written, no injection, same bytes twice."""

from __future__ import annotations

import filecmp
import json
import os
from pathlib import Path

import nbformat
import pytest

from minato_lite import build_site
from minato_lite.build import prepare
from minato_lite.execute.check import execute_folder
from minato_lite.resources import REPO_DIR
from tests.support.cli import run_cli
from tests.test_cli import assert_one_line_error
from tests.test_notebooks_execute import CELL_TIMEOUT

CORPUS = Path(__file__).parent / "hostile"
CASES = json.loads((CORPUS / "cases.json").read_text())["cases"]
SALES = REPO_DIR / "examples" / "sales.csv"
BROKEN = sorted(name for name, case in CASES.items() if case["exit"] == 2)
VALID_DATA = sorted(n for n, c in CASES.items() if c["exit"] == 0 and c.get("as") != "code")
PWNED = Path("/tmp/minato-pwned")


def cli_args(name: str, out: Path) -> list[str]:
    if CASES[name].get("as") == "code":
        return ["build", str(SALES), "--code", str(CORPUS / name), "-o", str(out)]
    return ["build", str(CORPUS / name), "-o", str(out)]


def test_every_corpus_file_has_a_case_and_every_case_a_file():
    files = {p.name for p in CORPUS.iterdir() if p.name != "cases.json"}
    present = {n for n, c in CASES.items() if not c.get("absent")}
    assert files == present


@pytest.mark.parametrize("name", BROKEN)
def test_broken_input_is_one_line_exit_2_and_writes_nothing(name, tmp_path):
    out = tmp_path / "site"
    result = run_cli(*cli_args(name, out))
    assert_one_line_error(result, 2, CASES[name]["message"], name)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_broken_input_leaves_an_existing_site_untouched(tmp_path):
    out = tmp_path / "site"
    assert run_cli("build", str(SALES), "-o", str(out)).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = run_cli(*cli_args("ragged_rows.csv", out))
    assert result.returncode == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("name", VALID_DATA)
def test_awkward_but_valid_input_builds_and_every_cell_runs(name, tmp_path):
    prepared = prepare([CORPUS / name], title=name)
    prepared.files.write(tmp_path)
    runs = execute_folder(tmp_path, ["analysis.ipynb", "explorer.ipynb"], timeout=CELL_TIMEOUT)
    assert [(r.notebook, r.status, r.detail) for r in runs] == [
        ("analysis.ipynb", "pass", ""),
        ("explorer.ipynb", "pass", ""),
    ]


def test_code_with_a_syntax_error_is_kept_and_flagged(tmp_path):
    prepared = prepare([SALES], code=[CORPUS / "code_syntax_error.py"])
    code_nb = next(d.notebook for d in prepared.notebooks if d.path == "code.ipynb")
    text = "\n".join(c.source for c in code_nb.cells)
    assert "does not parse as Python" in text and "print('unclosed'" in text


def markdown_sources(prepared) -> str:
    return "\n".join(
        c.source for d in prepared.notebooks for c in d.notebook.cells if c.cell_type == "markdown"
    )


def test_hostile_names_never_become_markup_or_code():
    title = "<script>window.__pwned=9</script> {{ x }} [a](javascript:alert(1))"
    prepared = prepare({'x"); import os #': CORPUS / "hostile_names.json"}, title=title)
    md = markdown_sources(prepared)
    for raw in ("<img", "<script", "</script", "](javascript", "{{"):
        assert raw not in md
    params = [
        c.source
        for d in prepared.notebooks
        for c in d.notebook.cells
        if "parameters" in c.metadata.get("tags", [])
    ]
    for source in params:  # parameters are plain literals: compile, and assign names only
        tree = compile(source, "<parameters>", "exec", flags=0x400)  # ast.PyCF_ONLY_AST
        assert all(type(node).__name__ == "Assign" for node in tree.body)
    assert not PWNED.exists()


def test_hostile_names_in_key_findings_and_group_comparisons_stay_inert_text(tmp_path):
    """Column names and values become findings' sentences and table headers: in the
    rendered Markdown they are text, never markup, links or HTML."""
    from minato_lite.report import render_markdown

    prepared = prepare([CORPUS / "hostile_names.json"], title="hostile")
    prepared.files.write(tmp_path)
    out = tmp_path / "out"
    runs = execute_folder(tmp_path, ["analysis.ipynb"], output=out, timeout=CELL_TIMEOUT)
    assert [(r.status, r.detail) for r in runs] == [("pass", "")]
    nb = nbformat.read(out / "analysis.ipynb", as_version=4)
    shown = [
        o["data"]["text/markdown"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/markdown" in o.get("data", {})
    ]
    assert len(shown) == 1 and shown[0].startswith("1. ")
    html = render_markdown(shown[0])
    for raw in ("<img", "<script", "</script", 'href="javascript'):
        assert raw not in shown[0] and raw not in html
    assert "{{" not in shown[0] and "{{ 7*7 }}" in html, "braces escaped, shown as typed"
    assert html.count("<a ") == html.count('href="#'), "the only links go to headings"
    assert not PWNED.exists()


def test_paths_in_names_never_leave_the_site(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    link = tmp_path / "link.csv"
    link.symlink_to(outside)
    out = tmp_path / "site"
    build_site({"../../evil": SALES, "/etc/passwd": SALES, "link": link}, out)
    names = sorted(p.name for p in (out / "files/data").iterdir())
    assert names == ["catalog.json", "etc_passwd.csv", "evil.csv", "link.csv"]
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "outside.csv", "site"]


def test_sample_keeps_n_rows_reproducibly_and_the_notebook_says_so():
    sensor = REPO_DIR / "examples/data/sensor_events.csv"
    first = prepare([sensor], sample=25)
    again = prepare([sensor], sample=25)
    assert first.files.files == again.files.files
    manifest = json.loads(first.files.files["data/catalog.json"])
    assert manifest["datasets"][0]["rows"] == 25
    assert manifest["datasets"][0]["sampled_from"] == 480
    assert "random (seed 0) from 480" in markdown_sources(first)


def test_data_above_the_size_limit_is_refused_with_the_way_out(tmp_path):
    result = run_cli(
        "build",
        str(REPO_DIR / "examples/data/sensor_events.csv"),
        "--max-size",
        "10KB",
        "-o",
        str(tmp_path / "s"),
    )
    assert_one_line_error(result, 2, "above the 10.0 KB limit", "--sample N", "--max-size")
    ok = run_cli(
        "build",
        str(REPO_DIR / "examples/data/sensor_events.csv"),
        "--max-size",
        "10KB",
        "--sample",
        "50",
        "-o",
        str(tmp_path / "s"),
    )
    assert ok.returncode == 0, ok.stderr


def test_same_inputs_give_a_byte_identical_site(tmp_path):
    """Rebuilding in the same place gives the same bytes (the folder name is an input:
    it keeps sibling sites' browser storage apart)."""
    code = REPO_DIR / "examples/analysis.py"
    site = tmp_path / "site"
    build_site([SALES, CORPUS / "hostile_names.json"], site, code=[code])
    first = site.rename(tmp_path / "first")
    os.utime(SALES)  # a touched input must not change the output
    build_site([SALES, CORPUS / "hostile_names.json"], site, code=[code])
    compare = filecmp.dircmp(first, site)
    files = [p.relative_to(first) for p in first.rglob("*") if p.is_file()]
    different = [f for f in files if (first / f).read_bytes() != (site / f).read_bytes()]
    assert len(files) > 100 and different == [] and not compare.left_only and not compare.right_only
