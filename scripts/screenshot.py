"""Take the README screenshots: a site's analysis notebook after Run All, charts in view;
or, with --report, the report the site opens on (index.html, as first painted).

.venv/bin/python scripts/screenshot.py SITE_DIR [OUT_PNG]            (default docs/screenshot.png)
.venv/bin/python scripts/screenshot.py --report SITE_DIR [OUT_PNG]   (default docs/report.png)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minato_lite.serve.static import make_server  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support import lab  # noqa: E402


@contextmanager
def served_page(site: Path, width: int, height: int) -> Iterator[tuple[Page, str]]:
    """A Chromium page and the URL of `site`, served on 127.0.0.1 while the block runs."""
    server = make_server(site, "127.0.0.1", 0).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser.new_page(viewport={"width": width, "height": height}), server.url
            finally:
                browser.close()
    finally:
        server.close()


def report(site: Path, out: Path) -> None:
    with served_page(site, 1100, 1000) as (page, url):
        page.goto(url + "index.html")
        # the datasets, then the user's code with its answer
        page.evaluate("() => scrollTo(0, document.getElementById('data').offsetTop - 16)")
        page.screenshot(path=str(out))
    print(out)


def main(site: Path, out: Path) -> None:
    with served_page(site, 1400, 900) as (page, url):
        page.goto(url + "lab/index.html?path=analysis.ipynb")
        lab.wait_for_notebook(page)
        lab.run_all_cells(page, timeout_s=300)
        errors = page.locator(lab.STDERR).all_inner_texts()
        if any("Error" in e for e in errors):
            raise SystemExit(f"the analysis shows errors: {errors}")
        # the categories chart: the data as bars, its code above
        charts = page.locator(f"{lab.NOTEBOOK} .jp-OutputArea-output img")
        charts.nth(3).scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(out))
    print(out)


if __name__ == "__main__":
    if sys.argv[1] == "--report":
        report(Path(sys.argv[2]), Path(sys.argv[3] if len(sys.argv) > 3 else "docs/report.png"))
    else:
        main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshot.png"))
