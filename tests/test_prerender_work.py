"""Pre-rendering does each piece of work once: what was cut stays cut, and shows the same.

`benchmarks/prerender_profile.py` measured where a site's pre-render spent its time;
these tests pin what was taken out of it, each a cut no other test would notice:
a chart drawn once (not once to lay out and once to print), workers that start
with the notebooks' imports done and frozen out of the garbage collector, no
`data` records on the host (no notebook of ours reads them), a dataset parsed
once per kernel, and the two notebooks run side by side. And that the reader
gets the same: the same charts, counted, and no time-series work for a dataset
without a time axis.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from minato_lite.build import prepare
from minato_lite.execute.executor import CellResult, JobResult, WarmExecutor
from minato_lite.execute.prerender import prerender, prerender_notebook, provenance
from minato_lite.notebooks.builders import code, document
from minato_lite.resources import REPO_DIR
from minato_lite.site.contents import STARTUP_FILE
from tests.support.runtime import load_runtime

SALES = REPO_DIR / "examples/sales.csv"
LEDGER = REPO_DIR / "examples/data/store_ledger.csv"
REVIEWS = REPO_DIR / "examples/data/reviews.jsonl"


@pytest.fixture(scope="module")
def warm() -> WarmExecutor:
    with WarmExecutor() as executor:
        yield executor


def run_cells(warm: WarmExecutor, tmp_path: Path, *sources: str) -> list[list[dict]]:
    """The outputs of `sources`, run as one job on the sales site's data."""
    prepared = prepare([SALES])
    prepared.files.write(tmp_path)
    doc = document("t.ipynb", [code(source) for source in sources])
    rendered, report = prerender_notebook(
        doc, tmp_path, warm, cell_timeout=60, versions=provenance()
    )
    assert report.errors == 0, [c.outputs for c in rendered.notebook.cells]
    return [list(cell.outputs) for cell in rendered.notebook.cells]


def site_data(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """The `data/` folder a site built from `frames` carries (its CSVs and catalog)."""
    prepare(frames).files.write(folder)
    return folder / "data"


def pngs(nb: nbformat.NotebookNode) -> list[str]:
    return [
        output["data"]["image/png"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]


# a chart is drawn once


CHART = """
import matplotlib.pyplot as plt
from IPython.core.pylabtools import print_figure
from IPython.display import display
from matplotlib.figure import Figure

fig, axes = plt.subplots(1, 2, figsize=(6, 3))
axes[0].hist([1, 2, 2, 3, 3, 3])
axes[1].barh(["a", "b"], [3, 1])
axes[0].set_title("a title")
fig.tight_layout()
# what matplotlib's own printing gives (it draws the figure twice to do it)
print(print_figure(fig, "png", base64=True, bbox_inches=None))
draws = []
original = Figure.draw
Figure.draw = lambda self, renderer: draws.append(1) or original(self, renderer)
try:
    display(fig)
finally:
    Figure.draw = original
plt.close(fig)
print(len(draws))
"""


def test_a_laid_out_chart_is_drawn_once_and_its_png_is_the_one_matplotlib_prints(
    warm, tmp_path: Path
):
    [outputs] = run_cells(warm, tmp_path, CHART)
    text = "".join(o["text"] for o in outputs if o["output_type"] == "stream").split()
    [shown] = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    expected, draws = text
    assert draws == "1", "tight_layout's placeholder engine no longer costs a second draw"
    assert shown.replace("\n", "") == expected, "byte for byte the same PNG"


# workers start warm, their imports frozen out of the collector


def test_a_worker_starts_with_the_notebooks_imports_done_and_frozen(warm, tmp_path: Path):
    [outputs] = run_cells(
        warm,
        tmp_path,
        "import gc, sys\n"
        "print(gc.get_freeze_count() > 50_000, len(gc.get_objects()) < gc.get_freeze_count())\n"
        "print(all(m in sys.modules for m in ('ipywidgets', 'pandas.plotting._matplotlib')))",
    )
    assert outputs[0]["text"] == "True True\nTrue\n"


# no records on the host; the browser still gets them


def test_the_host_builds_no_data_records_and_still_loads_df(warm, tmp_path: Path):
    [outputs] = run_cells(warm, tmp_path, "'data' in globals(), len(df), sorted(frames)")
    assert outputs[0]["data"]["text/plain"] == "(False, 12, ['sales'])"


def test_data_records_are_skipped_only_where_the_host_says_so(tmp_path, monkeypatch, capsys):
    frames = {"orders": pd.DataFrame({"x": range(30), "y": range(30)})}
    minato = load_runtime(site_data(tmp_path, frames), monkeypatch)
    namespace: dict = {}
    minato._startup(namespace)
    assert len(namespace["data"]) == 30, "the browser's kernel: `data` as ever"
    monkeypatch.setenv(minato.PRELOAD_RECORDS, "0")
    namespace = {}
    minato._startup(namespace)
    assert "data" not in namespace and len(namespace["df"]) == 30
    monkeypatch.setattr(minato, "DATA_PRELOAD_CELLS", 59)
    capsys.readouterr()
    minato._startup({})
    assert "minato.records('orders')" in capsys.readouterr().out, "the same words on the host"


# a dataset is parsed once per kernel


def test_load_parses_a_dataset_once_and_gives_each_caller_a_frame_of_its_own(tmp_path, monkeypatch):
    frame = pd.DataFrame({"x": [1.5, None, 3.0], "k": ["a", "b", None]})
    minato = load_runtime(site_data(tmp_path, {"t": frame}), monkeypatch)
    parses = []
    read_csv = pd.read_csv
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: parses.append(1) or read_csv(*a, **k))
    first = minato.load("t")
    second = minato.load("t")
    assert len(parses) == 1 and first is not second
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs == {"minato_name": "t"}
    first.loc[0, "x"] = 99.0
    first["k"] = "changed"
    pd.testing.assert_frame_equal(minato.load("t"), second)  # a caller's changes stay its own
    # the file changed (another size): read again
    site_data(tmp_path, {"t": pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "k": list("abcd")})})
    assert len(minato.load("t")) == 4 and len(parses) == 2
    # a file over the limit is read every time
    minato._loaded.clear()
    monkeypatch.setattr(minato, "LOAD_CACHE_BYTES", 0)
    minato.load("t")
    minato.load("t")
    assert len(parses) == 4


# the two notebooks side by side


class _TwoAtOnce:
    """An executor of two workers that answers only when two jobs are in at once."""

    size = 2

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=30)

    def run(self, folder, cells, **_limits) -> JobResult:
        self.barrier.wait()  # BrokenBarrierError unless the other notebook runs meanwhile
        return JobResult([CellResult("ok") for _ in cells], [], None, 0.0)


def test_the_two_notebooks_run_side_by_side_when_the_executor_has_two_workers():
    prepared = prepare([SALES])
    _docs, _files, reports = prerender(prepared.notebooks, prepared.files, _TwoAtOnce())  # type: ignore[arg-type]
    assert [r.notebook for r in reports] == ["analysis.ipynb", "explorer.ipynb"]


def test_side_by_side_gives_the_notebooks_one_after_the_other_gives(warm):
    prepared = prepare([SALES, LEDGER])
    one, _, _ = prerender(prepared.notebooks, prepared.files, warm)
    with WarmExecutor(2) as two_workers:
        two, _, _ = prerender(prepared.notebooks, prepared.files, two_workers)
    assert [d.dumps() for d in one] == [d.dumps() for d in two]


def test_workers_outlive_the_threads_that_asked_for_them(tmp_path: Path):
    """A worker is killed when its parent dies, and to Linux the parent is the thread
    that started it: started from a thread that ends (a request's, a notebook's in
    `prerender`), it died with it and the next job met a broken pipe."""
    prepared = prepare([SALES])
    prepared.files.write(tmp_path)
    made: dict = {}

    def in_a_thread_that_ends() -> None:
        made["executor"] = executor = WarmExecutor(1, jobs_per_worker=1)
        made["first"] = executor.run(tmp_path, ["1 + 1"], startup=STARTUP_FILE)
        time.sleep(2)  # the worker that replaced the first one is up, as it would be

    thread = threading.Thread(target=in_a_thread_that_ends)
    thread.start()
    thread.join()
    with made["executor"] as executor:
        again = executor.run(tmp_path, ["2 + 2"], startup=STARTUP_FILE)
    assert made["first"].ok and again.ok, again.problem


# the reader gets the same


def test_each_notebook_shows_as_many_charts_as_before(warm):
    """The counts when the cuts were made: a chart lost (or drawn twice) shows here."""
    counts = {}
    for source in (SALES, LEDGER):
        prepared = prepare([source])
        docs, _, _ = prerender(prepared.notebooks, prepared.files, warm)
        counts[source.name] = {d.path: len(pngs(d.notebook)) for d in docs}
    assert counts == {
        "sales.csv": {"analysis.ipynb": 7, "explorer.ipynb": 1},
        "store_ledger.csv": {"analysis.ipynb": 6, "explorer.ipynb": 1},
    }


def test_a_dataset_without_a_time_column_gets_no_time_series_work():
    prepared = prepare([REVIEWS])
    [profile] = prepared.profiles
    assert profile.times() == []
    analysis = prepared.notebooks[0].notebook
    sources = [c.source for c in analysis.cells if c.cell_type == "code"]
    assert not [s for s in sources if "DATETIME" in s or ".resample(" in s]
    params = json.dumps([s for s in sources if s.startswith("DATASET = ")])
    assert "'timeseries'" not in params, "nor a link to a section that is not there"
