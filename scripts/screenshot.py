"""Regenerate docs/screenshot.png: the demo site in headless Chromium, cells run.

Usage: .venv/bin/python scripts/screenshot.py SITE_DIR [OUT_PNG]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from minato_lite.server import make_server
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support import lab


def main() -> None:
    site = Path(sys.argv[1])
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshot.png")
    server = make_server(site).start()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(server.url + "index.html")
        lab.wait_for_notebook(page)
        lab.append_and_run(page, "minato.records('sales', limit=3)")
        page.wait_for_timeout(500)
        page.screenshot(path=str(out))
        browser.close()
    server.close()
    print(out)


if __name__ == "__main__":
    main()
