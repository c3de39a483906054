"""In Chromium: the report's code cells edit and run in place, in a Pyodide worker of the page.

One site (`code_report_site`: the sales demo, its user code run at build time in the
WebAssembly sandbox, one cell that displays hostile HTML) and one page load drive it all,
on the stand-in (or a full release) self-hosted, so it runs on every CI run:

* before anything is asked, on a 2-core device, no worker exists; each code cell is a
  textbox labelled with its cell, with a "Run" button and an aria-live output region;
* the seed's code run in place gives the outputs the build-time sandbox gave;
* an edited cell run with Shift+Enter gives the new answer; hostile HTML stays inert;
* an analysis step runs in place (the steps above it in its notebook first);
* `while True: pass` is stopped with "Stop", and the next run works on a fresh worker;
* nothing leaves 127.0.0.1.

A second context on a roomy device (8 cores) shows the worker starting when the browser
is idle, with no intent. The CDN path is tried only where the CDN is reachable.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from minato_lite.pyodide.distribution import CDN_URL
from tests.conftest import OffOriginWatch

pytestmark = pytest.mark.browser

DEVICE_JS = """(cores) => {
  Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {get: () => cores});
  window.__workers = 0;
  const RealWorker = window.Worker;
  window.Worker = function (...args) { window.__workers += 1; return new RealWorker(...args); };
}"""
LIVE_READY_JS = "() => document.documentElement.dataset.minatoLive === 'ready'"
STATUS = ".live-status"
INERT_JS = """() => ({pwned: window.__pwned ?? null,
  images: document.querySelectorAll('img[src="x"]').length})"""


def cell(page, number: int, section: str = "Your code"):
    return page.locator("[data-cell]").filter(
        has=page.get_by_role("textbox", name=f"Cell {number} of {section}")
    )


def outputs_text(page, number: int, section: str = "Your code") -> str:
    return cell(page, number, section).locator(".outputs").inner_text()


def wait_status(page, text: str, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.textContent.startsWith(text)",
        arg=[STATUS, text],
        timeout=timeout_ms,
    )


def replace_code(page, number: int, code: str, section: str = "Your code") -> None:
    box = page.get_by_role("textbox", name=f"Cell {number} of {section}")
    box.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)


RUNS_JS = "() => Number(document.documentElement.dataset.minatoRuns || 0)"


def answered(page, act) -> None:
    """Do `act` (a click, a key) and wait until the page has answered that run."""
    before = page.evaluate(RUNS_JS)
    act()
    page.wait_for_function(f"() => ({RUNS_JS})() > {before}", timeout=180_000)


def run_and_wait(page, number: int, section: str = "Your code") -> str:
    answered(page, page.get_by_role("button", name=f"Run cell {number} of {section}").click)
    return outputs_text(page, number, section)


def test_code_cells_edit_and_run_in_place_with_the_sandboxs_answer_and_can_be_stopped(
    code_report_site: Path, serve_site, browser, outside_proxy
):
    server = serve_site(code_report_site)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch = OffOriginWatch(context, outside_proxy, server.url)
    try:
        context.add_init_script(script=f"({DEVICE_JS})(2)")
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(server.url + "index.html")
        page.wait_for_function(LIVE_READY_JS)
        built = outputs_text(page, 1)
        assert "ANSWER total revenue 1338.87" in built
        # the first screen answers: the code's output is above the fold at 1280x800
        top = cell(page, 1).locator(".outputs").bounding_box()
        assert top is not None and top["y"] + 20 < 800, top
        # the interface: labelled textboxes, "Run" buttons, live regions, one status line
        box = page.get_by_role("textbox", name="Cell 1 of Your code")
        assert box.get_attribute("aria-multiline") == "true"
        assert page.get_by_role("button", name="Run cell 1 of Your code").count() == 1
        assert cell(page, 1).locator(".outputs").get_attribute("aria-live") == "polite"
        assert page.locator(STATUS).get_attribute("role") == "status"
        page.wait_for_timeout(1500)  # idle time after paint: a small device starts nothing
        assert page.evaluate("() => window.__workers") == 0

        # the seed's code, run in place: the build-time sandbox's answer
        answered(page, lambda: (page.get_by_role("button", name="Run cell 1 of Your code").click(),
                                wait_status(page, "starting Python")))  # fmt: skip
        assert page.evaluate("() => window.__workers") == 1
        assert page.locator(STATUS).inner_text() == "ready"
        assert outputs_text(page, 1) == built

        # edited and run with Shift+Enter: the new answer, in place
        replace_code(page, 1, 'print("EDITED", int(df["units"].sum()), len(df))')
        answered(page, lambda: page.keyboard.press("Shift+Enter"))
        assert outputs_text(page, 1).strip() == "EDITED 84 12"

        # hostile HTML, displayed again in place, stays inert
        assert "bold survives" in run_and_wait(page, 2)
        assert page.evaluate(INERT_JS) == {"pwned": None, "images": 0} and dialogs == []

        # an error shows its traceback
        replace_code(page, 1, "1 / 0")
        assert "ZeroDivisionError" in run_and_wait(page, 1)

        # an analysis step, folded in the report, runs in place after the steps above it
        analysis = page.locator("#analysis [data-cell]")
        last = analysis.count()
        analysis.nth(last - 1).locator("details.source summary").click()
        answered(page, analysis.nth(last - 1).get_by_role(
            "button", name=f"Run cell {last} of Analysis").click)  # fmt: skip
        assert page.locator(STATUS).inner_text() == "ready"
        assert page.locator("#analysis .outputs").count() >= last
        errors = page.locator("#analysis .output-error").count()
        assert errors == 0, page.locator("#analysis .output-error").first.inner_text()

        # a runaway cell is stopped, said so, and the next run starts a fresh worker
        replace_code(page, 1, "while True:\n    pass")
        page.get_by_role("button", name="Run cell 1 of Your code").click()
        wait_status(page, "running")
        answered(page, page.get_by_role("button", name="Stop").click)
        assert page.locator(STATUS).inner_text() == "stopped"
        assert "Stopped" in outputs_text(page, 1)
        replace_code(page, 1, 'print("after stop", df.shape)')
        assert "after stop (12, 7)" in run_and_wait(page, 1)
        assert page.evaluate("() => window.__workers") == 2
        assert watch.outside() == []

    finally:
        context.close()

    # on a roomy device the worker starts when the browser is idle, with no intent
    roomy_context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch = OffOriginWatch(roomy_context, outside_proxy, server.url)
    try:
        roomy_context.add_init_script(script=f"({DEVICE_JS})(8)")
        roomy = roomy_context.new_page()
        roomy.goto(server.url + "index.html")
        roomy.wait_for_function(LIVE_READY_JS)
        roomy.wait_for_function("() => window.__workers === 1", timeout=30_000)
        wait_status(roomy, "ready")
        assert watch.outside() == []
    finally:
        roomy_context.close()


def cdn_reachable() -> bool:
    try:
        urllib.request.urlopen(urllib.request.Request(CDN_URL, method="HEAD"), timeout=5)
    except OSError:
        return False
    return True


LIVE_EVENTS_JS = """() => {
  window.__live = [];
  document.addEventListener('minato:live', (event) => window.__live.push({
    state: event.detail, at: performance.now(),
    warmup: document.documentElement.dataset.minatoWarmup}));
}"""
WINDOW_FETCHES_JS = """() => {
  const starting = window.__live.find((e) => e.state === 'starting');
  const after = window.__live.find((e) => e.at > starting.at && e.state !== 'starting');
  // the warm-up's downloads are fetch() calls of the page (the worker's own are not here)
  const begun = performance.getEntriesByType('resource')
    .filter((r) => r.initiatorType === 'fetch' && r.startTime > starting.at
                   && r.startTime < after.at).map((r) => r.name);
  return {warmup: starting.warmup, begun, end: after.state};
}"""


def test_the_warm_up_for_jupyterlab_waits_while_live_python_starts_in_the_report(
    code_report_site: Path, serve_site, browser, outside_proxy
):
    """A reader who runs a cell chose the report: its start does not share two cores with
    downloads for JupyterLab. The warm-up stops taking new files, then finishes."""
    server = serve_site(code_report_site)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch = OffOriginWatch(context, outside_proxy, server.url)
    try:
        context.add_init_script(script=f"({DEVICE_JS})(2)")
        context.add_init_script(script=f"({LIVE_EVENTS_JS})()")
        page = context.new_page()
        page.goto(server.url + "index.html")
        page.wait_for_function(LIVE_READY_JS)
        page.wait_for_function("() => document.documentElement.dataset.minatoWarmup")
        run_and_wait(page, 1)
        seen = page.evaluate(WINDOW_FETCHES_JS)
        assert seen["warmup"] == "running", seen  # it had files left to fetch when Run came
        assert seen["end"] == "ready", seen
        assert seen["begun"] == [], seen  # the page began no download while Python started
        page.wait_for_function(
            "() => document.documentElement.dataset.minatoWarmup === 'done'", timeout=120_000
        )
        assert page.evaluate("() => document.documentElement.dataset.minatoWarmupPaused") is None
        assert watch.outside() == []
    finally:
        context.close()


def test_live_cells_run_on_the_cdns_pyodide_where_it_is_reachable(
    tmp_path: Path, serve_site, page_for
):
    if not cdn_reachable():
        pytest.skip(
            f"the Pyodide CDN ({CDN_URL}) is not reachable from here: run this test on a "
            "machine that reaches it to try live cells on Pyodide 314.0.6"
        )
    from minato_lite import build_site
    from minato_lite.resources import REPO_DIR

    site = build_site([REPO_DIR / "examples/sales.csv"], tmp_path / "site",
                      code='print("CDN", len(df))', prerender=False).out  # fmt: skip
    server = serve_site(site)
    page, _watch = page_for(server.url)
    page.goto(server.url + "index.html")
    page.wait_for_function(LIVE_READY_JS)
    assert "CDN 12" in run_and_wait(page, 1)
