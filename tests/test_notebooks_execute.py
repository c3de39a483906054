"""Every generated notebook runs top to bottom under CPython on every sample dataset."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from minato_lite.build import prepare
from minato_lite.execute.check import execute_folder
from minato_lite.execute.executor import WarmExecutor
from minato_lite.resources import REPO_DIR, resource_dir

SAMPLES = [REPO_DIR / "examples" / "sales.csv", *sorted((REPO_DIR / "examples/data").iterdir())]
SAMPLES = [p for p in SAMPLES if p.suffix != ".py"]
#: seconds per cell: a stuck kernel fails the test instead of stalling the suite
CELL_TIMEOUT = 120
ANALYSES = ["comprehensive", "descriptive", "correlation", "timeseries"]


@pytest.fixture(scope="module")
def warm() -> WarmExecutor:
    """One warm executor for the module, as `batch` and the API share one."""
    with WarmExecutor() as executor:
        yield executor


def run_generated(
    tmp_path: Path, prepared, names: list[str], warm: WarmExecutor, include_code=False
) -> dict:
    prepared.files.write(tmp_path / "files")
    runs = execute_folder(
        tmp_path / "files",
        names,
        include_code=include_code,
        output=tmp_path / "out",
        timeout=CELL_TIMEOUT,
        executor=warm,
    )
    failures = [f"{r.notebook}: {r.detail}" for r in runs if r.status != "pass"]
    assert not failures, failures
    return {name: nbformat.read(tmp_path / "out" / name, as_version=4) for name in names}


def outputs(nb) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def test_there_are_at_least_eight_varied_sample_datasets():
    assert len(SAMPLES) >= 8
    assert {p.suffix for p in SAMPLES} >= {".csv", ".tsv", ".json", ".jsonl", ".xlsx", ".parquet"}


@pytest.mark.parametrize("analysis", ANALYSES)
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_analysis_notebook_runs_for_every_sample_and_type(sample, analysis, tmp_path, warm):
    prepared = prepare([sample], analysis=analysis)
    executed = run_generated(tmp_path, prepared, ["analysis.ipynb"], warm)
    errors = [o for o in outputs(executed["analysis.ipynb"]) if o.output_type == "error"]
    assert errors == []
    shown = outputs(executed["analysis.ipynb"])
    assert [o.text for o in shown if o.get("name") == "stderr"] == [], "no warnings shown"
    findings = [o for o in shown if "text/markdown" in o.get("data", {})]
    assert len(findings) == len(prepared.profiles), "each dataset's key findings, shown"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_explorer_notebook_runs_and_draws(sample, tmp_path, warm):
    prepared = prepare([sample])
    executed = run_generated(tmp_path, prepared, ["explorer.ipynb"], warm)
    data = [o.get("data", {}) for o in outputs(executed["explorer.ipynb"])]
    assert any("application/vnd.jupyter.widget-view+json" in d for d in data)


def test_comprehensive_sales_has_every_section_and_plots(tmp_path, warm):
    prepared = prepare([REPO_DIR / "examples/sales.csv"])
    nb = run_generated(tmp_path, prepared, ["analysis.ipynb"], warm)["analysis.ipynb"]
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    for heading in (
        "## Overview",
        "## Missing data",
        "## Distributions",
        "## Correlations",
        "## Categories",
        "## Over time",
    ):
        assert heading in headings
    images = [o for o in outputs(nb) if "image/png" in o.get("data", {})]
    assert len(images) >= 5


def test_sections_adapt_to_the_data():
    single = prepare([REPO_DIR / "examples/data/single_column.csv"], analysis="comprehensive")
    text = json.dumps(single.notebooks[0].notebook)
    assert "## Distributions" in text and "## Correlations" not in text
    assert "## Over time" not in text
    explicit = prepare([REPO_DIR / "examples/data/single_column.csv"], analysis="correlation")
    assert "fewer than two numeric columns" in json.dumps(explicit.notebooks[0].notebook)
    no_dates = prepare([REPO_DIR / "examples/data/reviews.jsonl"], analysis="timeseries")
    assert "no date or time column" in json.dumps(no_dates.notebooks[0].notebook)
    reviews = prepare([REPO_DIR / "examples/data/reviews.jsonl"])
    params = [
        c.source
        for c in reviews.notebooks[0].notebook.cells
        if "parameters" in c.metadata.get("tags", [])
    ]
    assert any("TOP_N = 10" in p and "'product'" in p for p in params)


def test_all_samples_in_one_site_and_the_users_code(tmp_path, warm):
    code = REPO_DIR / "examples/analysis.py"
    prepared = prepare(SAMPLES, code=[code])
    assert [p.name for p in prepared.profiles][:2] == ["sales", "api_payload"]
    run_generated(tmp_path, prepared, ["analysis.ipynb", "code.ipynb"], warm, include_code=True)


def test_custom_analysis_is_only_the_users_code(tmp_path, warm):
    prepared = prepare(
        [REPO_DIR / "examples/sales.csv"], analysis="custom", code="print(df['units'].sum())"
    )
    assert [d.path for d in prepared.notebooks] == ["code.ipynb"]
    nb = run_generated(tmp_path, prepared, ["code.ipynb"], warm, include_code=True)["code.ipynb"]
    assert any("84.0" in o.get("text", "") for o in outputs(nb))


def test_generation_is_deterministic_and_valid():
    first = prepare(SAMPLES, code="x = 1\n# %%\ny = 2")
    second = prepare(SAMPLES, code="x = 1\n# %%\ny = 2")
    assert first.files.files == second.files.files
    for doc in first.notebooks:
        nbformat.validate(doc.notebook)


TEMPLATES = sorted(p.stem for p in resource_dir("notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_run_as_they_are_on_the_sample_data(template, tmp_path, warm):
    from minato_lite.execute.check import execute_folder as run

    folder = resource_dir("notebooks")
    runs = run(folder, [f"{template}.ipynb"], output=tmp_path, timeout=CELL_TIMEOUT, executor=warm)
    assert runs[0].status == "pass", runs[0].detail
