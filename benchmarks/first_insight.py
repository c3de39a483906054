"""Page load -> first chart visible, against page load -> the kernel's first output.

Both are measured on the same pre-rendered site in the same visit, in headless
Chromium with a fresh browser context per visit: the first figure is when the
first chart image of the analysis notebook has decoded (stored at build time,
nothing run); the baseline is when a cell the visitor runs at once (added the
moment the notebook shows) has printed its output, i.e. the earliest answer a
live kernel can give. The issue's target is a ratio <= 0.2.

Also reported: the build-time cost of pre-rendering (the same build with and
without it, app cache warm, one fresh executor per build as the CLI does) and
the bytes the stored outputs add.

    .venv/bin/python benchmarks/first_insight.py [--runs 3] [--pyodide DIST]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import browser_benchmark_args  # noqa: E402
from minato_lite import build_site  # noqa: E402
from minato_lite.serve.static import make_server  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support import lab  # noqa: E402

DATA = ROOT / "examples" / "sales.csv"
FIRST_CHART_JS = """() => {
  const img = document.querySelector(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img');
  return !!img && img.complete && img.naturalWidth > 0;
}"""


def visit(browser, url: str, timeout_s: float = 240) -> tuple[float, float]:
    """Seconds from navigation to the first chart shown and to the kernel's first output."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + "lab/index.html?path=analysis.ipynb")
        page.wait_for_function(FIRST_CHART_JS, timeout=timeout_s * 1000, polling=50)
        chart = time.perf_counter() - start
        cell = lab.start_cell(page, "print('kernel says hi')")
        lab.wait_for_cell(cell, start, timeout_s)
        return chart, time.perf_counter() - start
    finally:
        context.close()


def build_seconds(out: Path, dist: Path, prerender: bool) -> float:
    start = time.perf_counter()
    build_site([DATA], out, pyodide=dist, prerender=prerender)
    return time.perf_counter() - start


def notebook_bytes(site: Path) -> int:
    return sum(p.stat().st_size for p in (site / "files").glob("*.ipynb"))


def main() -> None:
    args, dist = browser_benchmark_args(__doc__)
    with tempfile.TemporaryDirectory(prefix="minato-insight-bench-") as tmp:
        work = Path(tmp)
        build_seconds(work / "warmup", dist, prerender=False)  # the app cache is warm after this
        plain, rendered = [], []
        for run in range(args.runs):
            plain.append(build_seconds(work / f"plain{run}", dist, prerender=False))
            rendered.append(build_seconds(work / f"rendered{run}", dist, prerender=True))
        added = notebook_bytes(work / "rendered0") - notebook_bytes(work / "plain0")
        server = make_server(work / "rendered0", "127.0.0.1", 0).start()
        visits = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for run in range(args.runs):
                    chart, kernel = visit(browser, server.url)
                    visits.append((chart, kernel))
                    print(f"run {run + 1}: first chart {chart:5.2f} s, "
                          f"kernel's first output {kernel:5.1f} s")  # fmt: skip
                browser.close()
        finally:
            server.close()
    chart = statistics.median(v[0] for v in visits)
    kernel = statistics.median(v[1] for v in visits)
    print(f"\nmedians of {args.runs} visits (page load -> ...)")
    print(f"  first chart visible {chart:5.2f} s vs kernel's first output {kernel:5.1f} s: "
          f"ratio {chart / kernel:.3f} (target <= 0.2)")  # fmt: skip
    without, with_ = statistics.median(plain), statistics.median(rendered)
    print(f"  build, app cache warm: {with_:.2f} s pre-rendered vs {without:.2f} s without: "
          f"ratio {with_ / without:.2f}x")  # fmt: skip
    print(f"  stored outputs add {added / 1024:.0f} KiB to the site's notebooks")


if __name__ == "__main__":
    main()
