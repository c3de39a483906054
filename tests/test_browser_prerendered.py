"""A site opens with its answers on screen, before the kernel is ready, and stays live."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support import lab

pytestmark = pytest.mark.browser

STATUS = "#minato-kernel-status"
FIRST_CHART = f"{lab.NOTEBOOK} .jp-OutputArea-output img"
FIRST_TABLE = f"{lab.NOTEBOOK} .jp-OutputArea-output table"


def test_charts_and_tables_show_before_the_kernel_is_ready_and_the_kernel_then_runs_cells(
    core_sales_site: Path, serve_site, page_for
):
    server = serve_site(core_sales_site)
    page, watch = page_for(server.url)
    page.goto(server.url + "lab/index.html?path=analysis.ipynb")
    chart = page.wait_for_selector(FIRST_CHART, timeout=60_000)
    # nothing was run: the kernel is still starting while the chart is already drawn
    status = page.locator(STATUS).get_attribute("data-kind")
    assert status in ("", "progress"), f"kernel status {status!r} when the first chart showed"
    assert chart.evaluate("img => img.decode().then(() => img.naturalWidth)") > 100
    assert page.locator(FIRST_TABLE).count() >= 1
    # JupyterLab renders Markdown asynchronously (its parser, marked, is imported lazily on
    # first use), so a cell's Markdown may still be an empty box when a PNG output shows
    intro = page.locator(f"{lab.NOTEBOOK} .jp-MarkdownOutput").first
    expect(intro).to_contain_text("computed when this site was built", timeout=30_000)
    prompts = page.locator(f"{lab.CELL}.jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
    assert prompts and prompts[0].strip() == "[1]:", prompts

    page.wait_for_selector(f'{STATUS}[data-kind="ready"]', timeout=120_000)
    result = lab.append_and_run(
        page, "import sys\nprint(sys.platform, len(minato.records('sales')))"
    )
    assert "emscripten 12" in result.text, result
    assert watch.outside() == []
