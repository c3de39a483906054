"""The CLI contract: exit codes, one-line messages, nothing written on failure."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_cli

CSV = "a,b\n1,x\n2,y\n"


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_build_writes_a_site_that_opens_the_analysis_notebook(csv_file: Path, tmp_path: Path):
    out = tmp_path / "site"
    result = run_cli("build", str(csv_file), "-o", str(out), "--title", "Q1 <sales>")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    report = (out / "index.html").read_text()
    assert "lab/index.html?path=analysis.ipynb" in report
    assert "<h1>Q1 &lt;sales&gt;</h1>" in report and "<sales>" not in report
    manifest = json.loads((out / "files/data/catalog.json").read_text())
    assert [d["name"] for d in manifest["datasets"]] == ["sales"]
    assert (out / "files/minato/__init__.py").is_file()
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"].endswith("/pyodide.mjs")
    assert kernel["loadPyodideOptions"]["env"]["PYTHONSTARTUP"] == "/drive/minato/startup.py"
    wheels = {p.name.split("-")[0] for p in (out / "pypi").glob("*.whl")}
    assert {"ipywidgets", "comm", "jupyterlab_widgets"} <= wheels


def test_missing_input_is_exit_2_one_line_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "site"
    result = run_cli("build", str(tmp_path / "nope.csv"), "-o", str(out))
    assert_one_line_error(result, 2, "nope.csv", "no such file")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_unsupported_extension_names_the_supported_ones(tmp_path: Path):
    bad = tmp_path / "data.xml"
    bad.write_text("<a/>")
    result = run_cli("build", str(bad), "-o", str(tmp_path / "site"))
    assert_one_line_error(result, 2, "data.xml", ".csv", ".parquet")


def test_usage_errors_are_one_line_exit_2(csv_file: Path):
    assert_one_line_error(run_cli("build", str(csv_file)), 2, "-o")
    assert_one_line_error(
        run_cli("build", str(csv_file), "-o", "x", "--analysis", "magic"), 2, "magic"
    )
    assert_one_line_error(run_cli("frobnicate"), 2, "frobnicate")


def test_refuses_to_overwrite_a_folder_that_is_not_a_site(csv_file: Path, tmp_path: Path):
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not lose me")
    result = run_cli("build", str(csv_file), "-o", str(precious))
    assert_one_line_error(result, 2, "not a minato-lite site")
    assert (precious / "thesis.tex").read_text() == "do not lose me"
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.tex"]


def test_serve_refuses_a_folder_without_a_site(tmp_path: Path):
    assert_one_line_error(run_cli("serve", str(tmp_path), "--no-browser"), 2, "not a built site")


def test_code_file_that_is_not_utf8_is_rejected(csv_file: Path, tmp_path: Path):
    code = tmp_path / "analysis.py"
    code.write_bytes(b"print('caf\xe9')\n")
    result = run_cli("build", str(csv_file), "--code", str(code), "-o", str(tmp_path / "s"))
    assert_one_line_error(result, 2, "analysis.py", "not UTF-8")
    assert not (tmp_path / "s").exists()


def test_pyodide_option_rejects_a_folder_that_is_not_a_distribution(csv_file, tmp_path):
    result = run_cli("build", str(csv_file), "-o", str(tmp_path / "s"), "--pyodide", str(tmp_path))
    assert_one_line_error(result, 2, "not a Pyodide", "pyodide assemble")


def test_pyodide_assemble_refuses_a_non_empty_folder(tmp_path: Path):
    (tmp_path / "x").write_text("x")
    assert_one_line_error(run_cli("pyodide", "assemble", "-o", str(tmp_path)), 2, "not empty")
