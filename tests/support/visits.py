"""A reader's visit, as the deployment tests meter it: the report, its warm-up, then live.

The report opens first; its warm-up fetches the shared app and Pyodide where
JupyterLab will load them; the live link then opens the analysis notebook and
a cell runs. What each half cost is read off a byte meter that sits in front
of the server (its `reset()` returns the bytes since the last one).
"""

from __future__ import annotations

from typing import Protocol

from minato_lite.report import LIVE_ANALYSIS
from tests.support import lab

WARMUP_STATE = "() => document.documentElement.dataset.minatoWarmup"
WARMED_JS = f"() => ['done', 'failed', 'skipped'].includes(({WARMUP_STATE})())"


class Meter(Protocol):
    def reset(self) -> int: ...


def visit_then_go_live(context, url: str, meter: Meter, code: str) -> tuple[int, int, str]:
    """Open the report at `url`, let it warm up, go live and run `code`.

    Returns the bytes the report and its warm-up cost, the bytes going live
    cost, and the cell's output.
    """
    meter.reset()
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(url)
        assert page.locator("h1").count() == 1
        page.wait_for_function(WARMED_JS, timeout=120_000)
        state = page.evaluate(WARMUP_STATE)
        assert state == "done", f"the warm-up ended {state!r}"
        warmed = meter.reset()
        page.get_by_role("link", name=LIVE_ANALYSIS, exact=True).click()
        lab.wait_for_notebook(page)
        ran = lab.append_and_run(page, code)
    finally:
        page.close()
    return warmed, meter.reset(), ran.text
