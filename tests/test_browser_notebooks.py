"""The generated analysis and explorer notebooks run in real Chromium with pandas.

One site holds six datasets of different shapes (dates with a UTC offset, heavy
missing values, 61 columns, Parquet dtypes, non-Latin names, plain sales), so
one page load per analysis type covers every section on every shape. The
distribution is `pandas_pyodide`: a full release if given, else the scientific
stand-in, so these tests run on every CI run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.report import LIVE_CODE
from minato_lite.resources import REPO_DIR
from tests.support import lab

pytestmark = pytest.mark.browser

SHAPES = [
    REPO_DIR / "examples/sales.csv",
    REPO_DIR / "examples/data/sensor_events.csv",  # +09:00 timestamps
    REPO_DIR / "examples/data/survey_gaps.csv",  # 45% missing, BOM
    REPO_DIR / "examples/data/wide_metrics.tsv",  # 61 columns
    REPO_DIR / "examples/data/measurements.parquet",  # category, Int64, tz, timedelta
    REPO_DIR / "examples/data/unicode_names.csv",  # UTF-16, Japanese/Arabic/emoji
]

#: every code cell as the page shows it: source, prompt, outputs
CELLS_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell.jp-CodeCell')].map(cell => ({
  source: cell.querySelector('.cm-content')?.innerText ?? '',
  prompt: cell.querySelector('.jp-InputArea-prompt')?.innerText ?? '',
  images: cell.querySelectorAll('.jp-OutputArea-output img').length,
  stdout: [...cell.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]')]
      .map(e => e.innerText).join('\\n'),
  stderr: [...cell.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(e => e.innerText),
}))"""


#: stderr a visitor may see that is not a problem: matplotlib's one-time notice in a new kernel
BENIGN_STDERR = ("Matplotlib is building the font cache; this may take a moment.",)


def real_stderr(texts: list[str]) -> list[str]:
    return [t for t in texts if t.strip() not in BENIGN_STDERR]


def tracebacks(page) -> list[str]:
    texts = page.locator(lab.STDERR).all_inner_texts()
    return [t for t in texts if "Traceback" in t or "Error" in t]


def build_shapes_site(tmp_path: Path, dist: Path, analysis: str) -> Path:
    site = tmp_path / "site"
    # not pre-rendered: every output on the page must come from the browser's kernel
    build_site(
        SHAPES,
        site,
        analysis=analysis,
        pyodide=dist,
        title=f"Shapes ({analysis})",
        prerender=False,
    )
    return site


@pytest.mark.parametrize("analysis", ["comprehensive", "descriptive", "correlation", "timeseries"])
def test_analysis_notebook_runs_on_six_shapes_without_errors_and_draws_every_chart(
    analysis, pandas_pyodide, tmp_path: Path, serve_site, page_for
):
    server = serve_site(build_shapes_site(tmp_path, pandas_pyodide, analysis))
    page, watch = page_for(server.url)
    page.goto(server.url + "lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    lab.run_all_cells(page, timeout_s=300)
    cells = page.evaluate(CELLS_JS)
    assert len(cells) > 6
    for cell in cells:
        where = cell["source"][:80]
        assert any(ch.isdigit() for ch in cell["prompt"]), f"never ran: {where}"
        assert real_stderr(cell["stderr"]) == [], f"{where}: {cell['stderr']}"
        if "plt.show()" in cell["source"]:
            drew = cell["images"] >= 1 or cell["stdout"].startswith("No ")
            assert drew, f"no chart from: {where}"
    charts = sum(cell["images"] for cell in cells)
    assert charts >= {"correlation": 6, "timeseries": 4}.get(analysis, 12), charts
    assert watch.outside() == []


#: colourful pixels in a chart image: bars, lines, boxes' medians; axes and text are grey
COLOURED_PIXELS_JS = """async img => {
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
  }
  return n;
}"""
CHART = ".jupyter-widgets.widget-output img"


def dropdown(page, label: str):
    return page.locator(".widget-dropdown", has=page.locator(f'label:text-is("{label}")')).locator(
        "select"
    )


def redrawn_chart(page, previous: str | None) -> tuple[str, int]:
    """Wait for the chart image to change from `previous`; its src and coloured pixels."""
    page.wait_for_function(
        "([sel, prev]) => { const i = document.querySelector(sel); return i && i.src !== prev; }",
        arg=[CHART, previous],
        timeout=60_000,
    )
    image = page.locator(CHART).first
    return image.get_attribute("src"), image.evaluate(COLOURED_PIXELS_JS)


def test_explorer_draws_at_once_and_every_control_redraws_a_non_empty_chart(
    pandas_pyodide, tmp_path: Path, serve_site, page_for
):
    site = tmp_path / "site"
    build_site(SHAPES[:2], site, pyodide=pandas_pyodide, prerender=False)
    server = serve_site(site)
    page, watch = page_for(server.url)
    page.goto(f"{server.url}lab/index.html?path=explorer.ipynb")
    lab.wait_for_notebook(page)
    lab.run_all_cells(page, timeout_s=300)
    assert tracebacks(page) == []

    src, coloured = redrawn_chart(page, None)
    assert coloured > 50, "the first chart, before any choice, is empty"
    assert dropdown(page, "Column").input_value() != ""

    def toggle(kind: str):
        return lambda: page.locator(".widget-toggle-buttons button", has_text=kind).click()

    def filter_rows():
        dropdown(page, "Filter on").select_option("region")
        page.locator(".widget-text input").fill("north")

    # each step changes what the chart shows (an identical chart is an identical PNG)
    steps = [
        ("column unit_price", lambda: dropdown(page, "Column").select_option("unit_price")),
        ("chart line", toggle("line")),
        ("chart box", toggle("box")),
        ("chart histogram", toggle("histogram")),
        ("chart bar", toggle("bar")),
        ("group by region", lambda: dropdown(page, "Group by").select_option("region")),
        ("box per region", toggle("box")),
        ("filter region ~ north", filter_rows),
        ("dataset sensor_events", lambda: dropdown(page, "Dataset").select_option("sensor_events")),
    ]
    for what, act in steps:
        act()
        src, coloured = redrawn_chart(page, src)
        assert coloured > 50, f"after {what}: the chart is empty"
        assert tracebacks(page) == [], what
    status = page.locator(".widget-html").last.inner_text()
    assert status.endswith(" rows") and " of " in status, status
    assert watch.outside() == []


def test_run_all_on_the_code_notebook_reports_only_real_errors(
    assembled_pyodide, tmp_path: Path, serve_site, page_for
):
    """The run-all and traceback checks above are real: a failing cell is caught."""
    code = "rows = minato.records('sales')\nprint('rows:', len(rows))\n# %%\n1 / 0\n"
    site = tmp_path / "site"
    build_site(
        [REPO_DIR / "examples/sales.csv"],
        site,
        code=code,
        analysis="custom",
        pyodide=assembled_pyodide,
    )
    server = serve_site(site)
    page, watch = page_for(server.url)
    page.goto(server.url + "index.html")  # the report: the code only, and its live link
    page.get_by_role("link", name=LIVE_CODE, exact=True).click()
    lab.wait_for_notebook(page)
    assert lab.current_tab(page) == "code.ipynb"
    lab.run_all_cells(page)
    texts = page.locator(f"{lab.NOTEBOOK} .jp-OutputArea-output").all_inner_texts()
    assert "rows: 12" in "\n".join(texts)
    errors = tracebacks(page)
    assert len(errors) == 1 and "ZeroDivisionError" in errors[0]
    assert watch.outside() == []
