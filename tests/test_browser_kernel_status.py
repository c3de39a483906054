"""The visitor is told what the kernel is doing: starting, ready, or a cell that looks stuck."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support import lab

pytestmark = pytest.mark.browser

STATUS = "#minato-kernel-status"
BUSY_12_S = "import time\nt = time.time()\nwhile time.time() - t < 12:\n    pass\nprint('done')"


def test_the_page_says_python_is_starting_then_ready_and_hints_a_restart_for_a_stuck_cell(
    core_sales_site: Path, serve_site, page_for
):
    server = serve_site(core_sales_site)
    page, watch = page_for(server.url)
    page.goto(f"{server.url}lab/index.html?path=analysis.ipynb&minato-stuck-after=4")
    progress = page.wait_for_selector(f'{STATUS}[data-kind="progress"]', timeout=60_000)
    assert "Starting Python in your browser" in progress.inner_text()
    ready = page.wait_for_selector(f'{STATUS}[data-kind="ready"]', timeout=120_000)
    assert "Python is ready" in ready.inner_text()

    started = time.perf_counter()
    cell = lab.start_cell(page, BUSY_12_S)
    stuck = page.wait_for_selector(f'{STATUS}[data-kind="stuck"]', timeout=11_000)
    assert time.perf_counter() - started >= 4, "the hint waits for the threshold"
    assert "Restart Kernel" in stuck.inner_text()
    result = lab.wait_for_cell(cell, started, 60)
    assert "done" in result.text
    page.wait_for_selector(f'{STATUS}[data-kind="stuck"]', state="detached", timeout=5_000)
    assert watch.outside() == []
