"""The generated analysis and explorer notebooks run in real Chromium with pandas.

Needs a full Pyodide release (binary wheels for pandas and matplotlib), given
through MINATO_PYODIDE_FULL; the `full_pyodide` fixture skips and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.resources import REPO_DIR
from tests.support import lab

pytestmark = pytest.mark.browser


def tracebacks(page) -> list[str]:
    texts = page.locator(lab.STDERR).all_inner_texts()
    return [t for t in texts if "Traceback" in t or "Error" in t]


@pytest.mark.parametrize("notebook", ["analysis.ipynb", "explorer.ipynb"])
def test_generated_notebooks_run_without_errors_and_draw(
    notebook, full_pyodide, tmp_path: Path, serve_site, page_for
):
    site = tmp_path / "site"
    build_site(
        [REPO_DIR / "examples/sales.csv", REPO_DIR / "examples/data/sensor_events.csv"],
        site,
        pyodide=full_pyodide,
    )
    server = serve_site(site)
    page, watch = page_for(server.url)
    page.goto(f"{server.url}lab/index.html?path={notebook}")
    lab.wait_for_notebook(page)
    lab.run_all_cells(page)
    assert tracebacks(page) == []
    if notebook == "analysis.ipynb":
        assert page.locator(f"{lab.NOTEBOOK} .jp-OutputArea-output img").count() >= 5
    else:
        page.wait_for_selector(".jupyter-widgets.widget-dropdown", timeout=60_000)
        page.wait_for_selector(f"{lab.NOTEBOOK} .jupyter-widgets img", timeout=60_000)
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
    page.goto(server.url + "index.html")
    lab.wait_for_notebook(page)
    assert lab.current_tab(page) == "code.ipynb"
    lab.run_all_cells(page)
    texts = page.locator(f"{lab.NOTEBOOK} .jp-OutputArea-output").all_inner_texts()
    assert "rows: 12" in "\n".join(texts)
    errors = tracebacks(page)
    assert len(errors) == 1 and "ZeroDivisionError" in errors[0]
    assert watch.outside() == []
