"""Page load -> first cell done, and -> Run All done, in headless Chromium.

A minato-lite site (kernel preloaded: pandas loaded and `df` defined before
the first cell) against a baseline built in the same run: a plain
`jupyter lite build` of the same contents and the same Pyodide distribution,
whose analysis notebook starts with `import pandas as pd; df = pd.read_csv(...)`
and whose kernel has no startup and no preloaded packages. The sites are
measured alternately, each visit in a fresh browser context (fresh storage).

    .venv/bin/python benchmarks/browser_start.py [--runs 3] [--pyodide DIST]

DIST defaults to MINATO_PYODIDE_FULL, then MINATO_PYODIDE_SCIENTIFIC, then the
scientific stand-in in the cache. Needs Chromium (MINATO_CHROMIUM).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import browser_benchmark_args  # noqa: E402
from minato_lite import build_site  # noqa: E402
from minato_lite.build import prepare  # noqa: E402
from minato_lite.pyodide.distribution import PyodideDistribution  # noqa: E402
from minato_lite.serve.static import make_server  # noqa: E402
from minato_lite.site.app_cache import prepare_lite_dir, run_jupyter_lite_build  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support import lab  # noqa: E402

DATA = ROOT / "examples" / "sales.csv"
BASELINE_FIRST_CELL = "import pandas as pd\n\ndf = pd.read_csv('data/sales.csv')\ndf.shape"
PROMPTS_JS = """() => [...document.querySelectorAll(
  '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')]
  .map(e => e.innerText)"""


def baseline_site(work: Path, dist: Path) -> Path:
    """A plain JupyterLite build: same contents and Pyodide, no startup, no preloading."""
    lite = work / "lite"
    prepared = prepare([DATA])
    prepared.files.write(lite / "files")
    notebook_path = lite / "files" / "analysis.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    first = next(c for c in notebook.cells if c.cell_type == "code")
    first.source = BASELINE_FIRST_CELL
    nbformat.write(notebook, notebook_path)
    (lite / "files" / "minato" / "startup.py").unlink()
    prepare_lite_dir(lite, log=lambda _m: None)
    PyodideDistribution.local(dist).place(lite / "static" / "pyodide")
    out = work / "private" / "baseline"
    out.parent.mkdir()
    run_jupyter_lite_build(lite, out, log=lambda _m: None)
    settings = json.loads((out / "jupyter-lite.json").read_text("utf-8"))
    kernel = settings["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"
    ]
    assert kernel["pyodideUrl"].startswith("./static/pyodide/"), kernel
    return out


class Hang(Exception):
    """A cell did not finish within the time limit (the stuck-kernel symptom)."""


def visit(browser, url: str, timeout_s: float = 240) -> tuple[float, float, int]:
    """Seconds from navigation to the first code cell done and to every cell done."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + "lab/index.html?path=analysis.ipynb")
        lab.wait_for_notebook(page)
        lab.wait_for_kernel_connection(page)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        first = None
        while time.perf_counter() - start < timeout_s:
            prompts = page.evaluate(PROMPTS_JS)
            done = [any(ch.isdigit() for ch in p) and "*" not in p for p in prompts]
            if first is None and done and done[0]:
                first = time.perf_counter() - start
            if done and all(done):
                errors = len(page.locator(lab.STDERR).all_inner_texts())
                return first, time.perf_counter() - start, errors
            page.wait_for_timeout(100)
        raise Hang(f"cells still running after {timeout_s}s: {lab.stuck_cells(page)}")
    finally:
        context.close()


def main() -> None:
    args, dist = browser_benchmark_args(__doc__)
    with tempfile.TemporaryDirectory(prefix="minato-browser-bench-") as tmp:
        work = Path(tmp)
        # not pre-rendered: this measures the kernel (benchmarks/first_insight.py the rest)
        ours = build_site([DATA], work / "ours", pyodide=dist, prerender=False).out
        base = baseline_site(work, dist)
        servers = {name: make_server(site, "127.0.0.1", 0).start()
                   for name, site in (("minato-lite", ours), ("baseline", base))}  # fmt: skip
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in servers}
        hangs = dict.fromkeys(servers, 0)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for run in range(args.runs):
                    order = list(servers) if run % 2 == 0 else list(servers)[::-1]
                    for name in order:
                        try:
                            results[name].append(visit(browser, servers[name].url))
                        except Hang as hang:
                            hangs[name] += 1
                            print(f"run {run + 1} {name:12} HANG: {hang}")
                            continue
                        first, every, errors = results[name][-1]
                        print(f"run {run + 1} {name:12} first cell {first:6.1f} s, "
                              f"run all {every:6.1f} s, stderr outputs {errors}")  # fmt: skip
                browser.close()
        finally:
            for server in servers.values():
                server.close()
    med = {name: [statistics.median(r[i] for r in runs) for i in (0, 1)]
           for name, runs in results.items()}  # fmt: skip
    ours_first, ours_all = med["minato-lite"]
    base_first, base_all = med["baseline"]
    print(f"\nmedians of the completed runs of {args.runs} (page load -> ...); hangs: {hangs}")
    print(f"  first cell done: minato-lite {ours_first:6.1f} s, baseline {base_first:6.1f} s, "
          f"ratio {ours_first / base_first:.2f}x (target <= 1.0x)")  # fmt: skip
    print(f"  Run All done:    minato-lite {ours_all:6.1f} s, baseline {base_all:6.1f} s, "
          f"ratio {ours_all / base_all:.2f}x (target <= 1.0x)")  # fmt: skip


if __name__ == "__main__":
    main()
