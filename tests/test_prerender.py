"""Sites open with their analysis already rendered: outputs computed at build time, bounded.

The generated notebooks run on the host through the warm executor; these tests
pin what a visitor gets (charts, tables, a note saying when and with what they
were computed), that rebuilds stay byte-identical, that a failing or endless
cell cannot stall a build, that the user's code never runs on the host, and
that one job's names never reach the next.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest

from minato_lite import build_site
from minato_lite.build import prepare
from minato_lite.execute.executor import WarmExecutor
from minato_lite.execute.prerender import (
    LIVE_ONLY_NOTE,
    prerender,
    prerender_notebook,
    provenance,
)
from minato_lite.notebooks.builders import NotebookFile, code, document, markdown
from minato_lite.resources import REPO_DIR
from tests.support.cli import run_cli

SALES = REPO_DIR / "examples/sales.csv"
SENSORS = REPO_DIR / "examples/data/sensor_events.csv"


@pytest.fixture(scope="module")
def warm() -> WarmExecutor:
    with WarmExecutor() as executor:
        yield executor


def notebook(site: Path, name: str) -> nbformat.NotebookNode:
    return nbformat.read(site / "files" / name, as_version=4)


def outputs_of(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def run_doc(prepared, doc: NotebookFile, warm: WarmExecutor, tmp_path: Path, timeout=30.0):
    prepared.files.write(tmp_path)
    return prerender_notebook(
        doc,
        tmp_path,
        warm,
        cell_timeout=timeout,
        versions=provenance(),
    )


def test_a_built_site_opens_on_charts_tables_and_a_note_saying_when_they_were_computed(
    tmp_path: Path,
):
    site = tmp_path / "site"
    build_site([SALES, SENSORS], site)
    nb = notebook(site, "analysis.ipynb")
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code_cells] == list(range(1, len(code_cells) + 1))
    data = [o.get("data", {}) for o in outputs_of(nb)]
    assert sum("image/png" in d for d in data) >= 10
    assert sum("text/html" in d and "<table" in d["text/html"] for d in data) >= 4
    assert not [o for o in outputs_of(nb) if o["output_type"] == "error"]
    intro = nb.cells[0].source
    versions = provenance()
    assert "computed when this site was built" in intro and versions["pandas"] in intro
    assert nb.metadata["minato"]["prerendered"] == versions
    assert json.loads((site / "minato-site.json").read_text())["prerendered"] is True
    explorer = notebook(site, "explorer.ipynb")
    live = [c for c in explorer.cells if "browser-only" in c.metadata.get("tags", [])]
    assert len(live) == 2
    assert all(LIVE_ONLY_NOTE in c.outputs[0]["data"]["text/plain"] for c in live)
    preview = [o for o in outputs_of(explorer) if "image/png" in o.get("data", {})]
    assert preview, "the explorer's first chart is shown before the kernel runs"


def test_rebuilding_gives_byte_identical_sites_outputs_included(tmp_path: Path):
    site = tmp_path / "site"
    build_site([SALES, SENSORS], site)
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    build_site([SALES, SENSORS], site)
    second = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert first == second
    text = (site / "files" / "analysis.ipynb").read_text()
    assert "0x7f" not in text and str(tmp_path) not in text and "/tmp/" not in text


def test_no_prerender_leaves_every_cell_unrun(tmp_path: Path):
    site = tmp_path / "site"
    result = run_cli("build", str(SALES), "-o", str(site), "--no-prerender", "-q")
    assert result.returncode == 0, result.stderr
    for name in ("analysis.ipynb", "explorer.ipynb"):
        nb = notebook(site, name)
        assert outputs_of(nb) == []
        assert "minato" not in nb.metadata
        assert "computed when this site was built" not in nb.cells[0].source


def test_a_cell_that_raises_keeps_its_error_and_the_rest_still_runs(warm, tmp_path: Path):
    prepared = prepare([SALES])
    doc = document("t.ipynb", [markdown("# t"), code("1 / 0"), code("print(len(df))")])
    rendered, report = run_doc(prepared, doc, warm, tmp_path)
    first, second = [c for c in rendered.notebook.cells if c.cell_type == "code"]
    assert first.outputs[0]["ename"] == "ZeroDivisionError"
    assert second.outputs[0]["text"] == "12\n"
    assert report.errors == 1 and report.stopped is None
    assert "1 cell(s) raised" in report.warning()


def test_a_cell_past_its_time_limit_is_stopped_and_marked_and_the_executor_recovers(
    warm, tmp_path: Path
):
    prepared = prepare([SALES])
    doc = document(
        "t.ipynb",
        [markdown("# t"), code("print('before')"), code("while True:\n    pass"), code("2")],
    )
    start = time.monotonic()
    rendered, report = run_doc(prepared, doc, warm, tmp_path, timeout=2)
    assert time.monotonic() - start < 15
    before, endless, after = [c for c in rendered.notebook.cells if c.cell_type == "code"]
    assert before.outputs[0]["text"] == "before\n"
    assert endless.outputs[0]["ename"] == "MinatoStopped"
    assert "2 s limit" in endless.outputs[0]["evalue"] and endless.execution_count is None
    assert after.outputs == [] and after.execution_count is None
    assert "the rest is left to the kernel" in report.warning()
    again, _ = run_doc(prepared, document("u.ipynb", [code("3")]), warm, tmp_path / "u")
    assert again.notebook.cells[0].outputs[0]["data"]["text/plain"] == "3"


def test_memory_is_capped_inside_the_executor(tmp_path: Path):
    prepared = prepare([SALES])
    with WarmExecutor(memory=1024**3) as small:
        doc = document("m.ipynb", [code("block = bytearray(3 * 1024**3)"), code("print('alive')")])
        rendered, _report = run_doc(prepared, doc, small, tmp_path)
    first, second = [c for c in rendered.notebook.cells if c.cell_type == "code"]
    assert first.outputs[0]["ename"] == "MemoryError"
    assert second.outputs[0]["text"] == "alive\n"


def test_one_jobs_names_modules_and_settings_never_reach_the_next(warm, tmp_path: Path):
    a = prepare([SALES])
    leak = document(
        "a.ipynb",
        [
            code(
                "secret = 'site-a'\nimport minato\nminato.leaked = True\n"
                "import matplotlib\nmatplotlib.rcParams['lines.linewidth'] = 9"
            )
        ],
    )
    run_doc(a, leak, warm, tmp_path / "a")
    b = prepare([SENSORS])
    probe = document(
        "b.ipynb",
        [
            code("'secret' in globals(), hasattr(minato, 'leaked')"),
            code("import matplotlib\nmatplotlib.rcParams['lines.linewidth']"),
            code("minato.datasets(), str(minato.DATA_DIR)"),
        ],
    )
    rendered, _ = run_doc(b, probe, warm, tmp_path / "b")
    shown = [" ".join(c.outputs[0]["data"]["text/plain"].split()) for c in rendered.notebook.cells]
    assert shown == ["(False, False)", "1.5", "(['sensor_events'], '/drive/data')"]


def test_the_users_code_is_never_executed_on_the_host(tmp_path: Path):
    canary = tmp_path / "canary.txt"
    user_code = f"open({str(canary)!r}, 'w').write('ran on the host')\nprint('hello')"
    site = tmp_path / "site"
    build_site([SALES], site, code=user_code)
    assert not canary.exists()
    code_nb = notebook(site, "code.ipynb")
    assert outputs_of(code_nb) == []
    assert all(c.execution_count is None for c in code_nb.cells if c.cell_type == "code")
    assert notebook(site, "analysis.ipynb").metadata["minato"]["prerendered"]


def test_prerendering_touches_only_our_notebooks(warm):
    prepared = prepare([SALES], code="x = 1")
    _docs, files, reports = prerender(prepared.notebooks, prepared.files, warm)
    assert [r.notebook for r in reports] == ["analysis.ipynb", "explorer.ipynb"]
    assert files.files["code.ipynb"] == prepared.files.files["code.ipynb"]
    assert files.files["data/sales.csv"] == prepared.files.files["data/sales.csv"]


def test_a_hostile_wide_dataset_cannot_stall_the_build(tmp_path: Path):
    wide = tmp_path / "wide.csv"
    columns = 10_000
    header = ",".join(f"c{i}" for i in range(columns))
    rows = "\n".join(",".join(str((r * i) % 97) for i in range(columns)) for r in range(20))
    wide.write_text(header + "\n" + rows + "\n")
    site = tmp_path / "site"
    start = time.monotonic()
    result = run_cli("build", str(wide), "-o", str(site), "--prerender-timeout", "5")
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    # every notebook is bounded by 4 cell limits: two notebooks, 5 s cells, plus the build
    assert elapsed < 2 * 4 * 5 + 60, elapsed
    assert (site / "files" / "analysis.ipynb").is_file()


def test_check_execute_fails_a_stuck_cell_within_its_limits_instead_of_hanging(tmp_path: Path):
    site = tmp_path / "site"
    build_site([SALES], site, prerender=False)
    path = site / "files" / "analysis.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    nbformat.write(nb, path)
    start = time.monotonic()
    result = run_cli("check", str(site), "--execute", "--timeout", "3", "-q")
    assert time.monotonic() - start < 60
    assert result.returncode == 1, result.stdout
    assert "FAIL analysis.ipynb" in result.stdout and "3 s limit" in result.stdout
    assert "PASS explorer.ipynb" in result.stdout
    start = time.monotonic()
    result = run_cli("check", str(site), "--execute", "--total-timeout", "4", "-q")
    assert time.monotonic() - start < 60
    assert result.returncode == 1 and "4 s limit" in result.stdout, result.stdout
    assert "FAIL explorer.ipynb" in result.stdout and "not run" in result.stdout


@pytest.mark.sandbox
def test_the_users_code_is_pre_rendered_only_in_the_webassembly_sandbox(tmp_path: Path):
    from tests.support.sandbox import sandbox_pyodide

    canary = tmp_path / "canary.txt"
    user_code = f"print(len(df))\n# %%\nopen({str(canary)!r}, 'w').write('escaped')\n# %%\n3"
    site = tmp_path / "site"
    build_site([SALES], site, code=user_code, pyodide=sandbox_pyodide())
    assert not canary.exists()
    cells = [c for c in notebook(site, "code.ipynb").cells if c.cell_type == "code"]
    assert cells[1].outputs[0]["text"] == "12\n" and cells[1].execution_count == 2
    assert cells[2].outputs[0]["ename"] == "FileNotFoundError"
    assert cells[3].outputs == [] and cells[3].execution_count is None  # after the error
