"""Cross-origin isolated sites (`serve --isolate`): the kernel's SharedArrayBuffer transport.

jupyterlite-pyodide-kernel 0.8.6 bundles coincident 1.2.3, whose page side calls
`Atomics.waitAsync(...).value.then`; when the worker has answered first, waitAsync
returns synchronously and the cell's reply is lost (stuck at [*]). The site's
`minato-waitasync-fix.js` hands such results back as settled promises.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.resources import REPO_DIR
from minato_lite.serve.static import make_server
from tests.support import lab

pytestmark = pytest.mark.browser

SYNC_WAITASYNC_JS = """async () => {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  cell[0] = 1;  // the answer is already there: native waitAsync returns synchronously
  const result = Atomics.waitAsync(cell, 0, 0);
  return [self.crossOriginIsolated, result.async, await result.value];
}"""


@pytest.fixture
def isolated_site(assembled_pyodide, tmp_path: Path):
    site = tmp_path / "site"
    build_site([REPO_DIR / "examples/sales.csv"], site, pyodide=assembled_pyodide)
    server = make_server(site, "127.0.0.1", 0, isolate=True).start()
    yield server
    server.close()


def test_an_already_answered_wait_resolves_as_a_promise_in_the_lab_page(isolated_site, page_for):
    page, _watch = page_for(isolated_site.url)
    page.goto(isolated_site.url + "lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    assert page.evaluate(SYNC_WAITASYNC_JS) == [True, True, "not-equal"]


def test_an_isolated_kernel_runs_many_quick_cells_without_losing_a_reply(isolated_site, page_for):
    page, watch = page_for(isolated_site.url)
    page.goto(isolated_site.url + "lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    assert page.evaluate("self.crossOriginIsolated")
    for number in range(12):
        result = lab.append_and_run(page, f"print({number} * 7, len(data))", timeout_s=60)
        assert result.text.strip() == f"{number * 7} 12", result.text
    assert watch.outside() == []
