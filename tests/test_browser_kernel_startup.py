"""The walking skeleton, proven in real Chromium: the kernel starts with the data loaded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from minato_lite import build_site
from tests.support import lab

pytestmark = pytest.mark.browser

CSV = "city,visitors,open\nOsaka,120,True\nKyoto,85,False\nNara,40,True\n"


@pytest.fixture(params=["assembled", "full"])
def site(request, tmp_path: Path) -> Path:
    """The core distribution whole, and the pandas one pruned for offline use."""
    full = request.param == "full"
    dist = request.getfixturevalue("pandas_pyodide" if full else "assembled_pyodide")
    data = tmp_path / "towns.csv"
    data.write_text(CSV, encoding="utf-8")
    build_site([data], tmp_path / "site", pyodide=dist, offline=full)
    return tmp_path / "site"


def test_kernel_starts_with_minato_and_data_and_nothing_leaves_localhost(
    site, serve_site, page_for, request
):
    server = serve_site(site)
    page, watch = page_for(server.url)
    loaded = time.perf_counter()
    page.goto(server.url + "lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    assert lab.current_tab(page) == "analysis.ipynb"

    first = lab.append_and_run(
        page,
        "print(minato.datasets())\n"
        "print(minato.records('towns')[1]['city'], minato.records('towns')[1]['visitors'])",
    )
    first_output_s = time.perf_counter() - loaded
    assert "['towns']" in first.text, first.text
    assert "Kyoto 85" in first.text, first.text

    # a name the startup defined, used without importing anything
    second = lab.append_and_run(page, "print(type(minato).__name__, minato.path('towns'))")
    assert "module /drive/data/towns.csv" in second.text, second.text

    if "full" in request.node.callspec.id:
        third = lab.append_and_run(page, "print(df.shape, dict(df.dtypes.astype(str)))")
        assert "(3, 3)" in third.text, third.text
        assert "'visitors': 'int64'" in third.text and "'open': 'bool'" in third.text, third.text
    else:
        third = lab.append_and_run(
            page,
            "print('df' in globals())\n"
            "try:\n    minato.load()\nexcept ImportError as e:\n    print('ERR', e)",
        )
        assert third.text.splitlines()[0] == "False", third.text
        assert "ERR minato.load needs pandas" in third.text and "--pyodide" in third.text

    # widgets work offline: the site ships ipywidgets, comm and jupyterlab_widgets wheels
    widget = lab.append_and_run(
        page,
        'await minato.ensure("ipywidgets")\n'
        "import ipywidgets\n"
        'ipywidgets.IntSlider(value=7, description="towns")',
    )
    assert widget.errors == [], widget.errors
    page.wait_for_selector(".jupyter-widgets.widget-slider", timeout=30_000)
    assert "towns" in page.locator(".jupyter-widgets.widget-slider").last.inner_text()

    print(f"\nfirst cell output {first_output_s:.1f}s after page load")
    assert watch.outside() == [], f"requests left 127.0.0.1: {watch.outside()}"


def test_watch_catches_a_site_that_loads_pyodide_from_the_cdn(
    tmp_path: Path, serve_site, page_for, browser
):
    """The no-request-leaves-127.0.0.1 check is real: a CDN site trips it (its report does not:
    the warm-up fetches only the site's own files, so it leaves the CDN's Pyodide alone)."""
    data = tmp_path / "towns.csv"
    data.write_text(CSV, encoding="utf-8")
    build_site([data], tmp_path / "site", prerender=False)  # default: the public CDN
    server = serve_site(tmp_path / "site")
    page, watch = page_for(server.url)
    page.goto(server.url + "index.html")
    page.wait_for_function(
        "() => ['done', 'failed'].includes(document.documentElement.dataset.minatoWarmup)"
    )
    assert page.evaluate("() => document.documentElement.dataset.minatoWarmup") == "done"
    assert watch.outside() == []
    page.goto(server.url + "lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    deadline = time.perf_counter() + 60
    while not watch.outside() and time.perf_counter() < deadline:
        page.wait_for_timeout(250)
    assert any("pyodide" in url or "jsdelivr" in url for url in watch.outside()), watch.outside()
