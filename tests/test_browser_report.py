"""In Chromium: a site opens on its report, readable without scripts; its links go live, warm.

One site holds every case: built with the user's code (run at build time in the
WebAssembly sandbox on the site's own Pyodide with pandas, as the visitor's
browser will run it) including a cell that displays `<script>` and `onerror`
HTML. Two tests, four kernel starts in all:

* without JavaScript, at phone width and in print: the code's answer, the charts,
  hostile HTML inert, and not one request beyond the page;
* with JavaScript: the report paints its first chart before any kernel or worker
  exists; the warm-up then fetches, running nothing; each live link opens its
  notebook in JupyterLab and a cell runs with `df`, also when JupyterLab restores the
  layout of an earlier visit (which used to replace the linked notebook); a live open
  after the report
  downloads almost nothing, where a cold open downloads the app and Pyodide
  (counted at the server); the notebooks stay unmodified when the kernel
  connects; hostile outputs stay inert there too; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minato_lite.report import LIVE_ANALYSIS, LIVE_CODE
from minato_lite.site.warmup import WARMUP_FILE
from tests.conftest import OffOriginWatch
from tests.support import lab
from tests.support.traffic import CountingApp, counting_server

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]

#: counted on every page of a context before any of its own scripts run, on a device like
#: this machine (2 cores: the report starts no Python unless asked)
COUNTERS_JS = """
Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {get: () => 2});
window.__workers = 0;
window.__wasm = 0;
const RealWorker = window.Worker;
window.Worker = function (...args) { window.__workers += 1; return new RealWorker(...args); };
for (const name of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) {
  const real = WebAssembly[name];
  WebAssembly[name] = function (...args) { window.__wasm += 1; return real.apply(this, args); };
}
"""
FIRST_CHART_JS = """() => {
  const img = document.querySelector('main img');
  return !!img && img.complete && img.naturalWidth > 0;
}"""
#: Chromium's in-memory HTTP cache (a Playwright context, as a private window) holds at most
#: 50 MB and no entry above an eighth of it (net/disk_cache/memory/mem_backend_impl.cc): a
#: bigger file (the precompiled pandas wheel, 7.1 MB) is fetched again by every reader of it.
#: A normal window's disk cache keeps it.
MEMORY_CACHE_ENTRY_LIMIT = 50 * 1024 * 1024 // 8
WARMED_JS = "() => ['done', 'failed'].includes(document.documentElement.dataset.minatoWarmup)"
INERT_JS = """() => ({pwned: window.__pwned ?? null,
  images: document.querySelectorAll('img[src="x"]').length})"""
#: the notebook's language_info once it equals the kernel's reply (JupyterLab applied it)
APPLIED_JS = """async () => {
  const widget = window.jupyterapp.shell.currentWidget;
  const kernel = widget.sessionContext.session?.kernel;
  if (!kernel) return false;
  const reply = (await kernel.info).language_info;
  const sorted = (value) => JSON.stringify(value, Object.keys(value).sort());
  const stored = widget.context.model.getMetadata('language_info');
  return !!stored && sorted(stored) === sorted(reply) && sorted(stored.codemirror_mode)
    === sorted(reply.codemirror_mode);
}"""
DIRTY_JS = "() => window.jupyterapp.shell.currentWidget.context.model.dirty"
CURRENT_TAB_JS = """(name) => window.jupyterapp?.shell?.currentWidget?.context?.path === name"""
OPEN_JS = "() => [...window.jupyterapp.shell.widgets('main')].map(w => w.context?.path ?? w.id)"


def open_context(browser, proxy, origin: str, **options):
    context = browser.new_context(**options)
    return context, OffOriginWatch(context, proxy, origin)


def test_the_report_reads_without_javascript_at_phone_width_and_in_print(
    code_report_site: Path, browser, outside_proxy
):
    with counting_server(code_report_site) as (server, counter):
        context, watch = open_context(
            browser, outside_proxy, server.url,
            java_script_enabled=False, viewport={"width": 390, "height": 844},
        )  # fmt: skip
        try:
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(server.url + "index.html")
            page.wait_for_function(FIRST_CHART_JS)
            main = page.locator("main")
            code = page.locator("#code")
            assert "ANSWER total revenue 1338.87" in code.inner_text()
            assert "bold survives" in code.inner_text()
            assert code.inner_text().index("ANSWER") < main.inner_text().index("Distributions")
            charts = page.locator("main img")
            decoded = charts.evaluate_all(
                "imgs => imgs.filter(i => i.complete && i.naturalWidth > 100).length"
            )
            assert decoded >= 3 and decoded == charts.count()
            assert all(alt.startswith("Chart ") for alt in
                       charts.evaluate_all("imgs => imgs.map(i => i.alt)"))  # fmt: skip
            assert page.locator("h1").count() == 1
            assert page.locator("main table thead th").count() > 10
            assert page.evaluate(INERT_JS) == {"pwned": None, "images": 0} and dialogs == []
            # the live cells are an enhancement: without script the cells stay plain code
            assert page.locator(".live-bar, .live-editor, .live-run").count() == 0
            assert page.locator("#code [data-cell] pre.source").count() == 2
            # phone width: the page itself never scrolls sideways (wide tables scroll in a box)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, width
            page.emulate_media(media="print")
            assert page.locator("nav").is_hidden()
            # the page and the icon the browser asks for by itself: no script, so no warm-up
            assert {r.path for r in counter.responses} <= {"/index.html", "/favicon.ico"}
            assert watch.outside() == []
        finally:
            context.close()


def live_open(page, link: str, notebook: str) -> None:
    """Follow the report's live link named `link`; wait for `notebook`, its kernel connected."""
    page.get_by_role("link", name=link, exact=True).click()
    lab.wait_for_notebook(page)
    # JupyterLab first restores the context's last workspace (a notebook opened before
    # from the same site), then opens the link's notebook and makes it current
    page.wait_for_function(CURRENT_TAB_JS, arg=notebook)
    assert lab.current_tab(page) == notebook
    lab.wait_for_kernel_connection(page)


def unmodified_once_the_kernel_answers(page) -> bool:
    """Whether the notebook is still unmodified once JupyterLab applied the kernel's info."""
    page.wait_for_function(APPLIED_JS, timeout=120_000)
    return not page.evaluate(DIRTY_JS)


def run_with_df(page) -> str:
    result = lab.append_and_run(page, "print(type(df).__name__, len(df), 'rows')")
    assert result.errors == [], result
    return result.text


def fetched(counter: CountingApp, mark: int) -> dict[str, int]:
    """Bodies the server sent since `mark`, by path (revalidations send none)."""
    sent: dict[str, int] = {}
    for response in counter.since(mark):
        if response.status in (200, 206):
            sent[response.path] = sent.get(response.path, 0) + response.bytes
    return sent


def test_live_links_open_their_notebooks_warm_after_the_report_and_nothing_runs_early(
    code_report_site: Path, browser, outside_proxy
):
    warmed = json.loads((code_report_site / WARMUP_FILE).read_text())["bundles"]
    with counting_server(code_report_site) as (server, counter):
        # a cold open, as before the report existed: the explorer, straight into JupyterLab
        context, watch = open_context(browser, outside_proxy, server.url)
        try:
            page = context.new_page()
            mark = counter.mark()
            page.goto(server.url + "lab/index.html?path=explorer.ipynb")
            lab.wait_for_notebook(page)
            assert "DataFrame 12 rows" in run_with_df(page)
            assert page.evaluate(OPEN_JS) == ["explorer.ipynb"]  # once, though opened twice
            cold = fetched(counter, mark)
            assert watch.outside() == []
        finally:
            context.close()

        context, watch = open_context(browser, outside_proxy, server.url)
        try:
            context.add_init_script(COUNTERS_JS)
            page = context.new_page()
            dialogs: list[str] = []

            def on_dialog(dialog) -> None:
                if dialog.type == "beforeunload":  # leaving a notebook whose cells ran
                    dialog.accept()
                else:
                    dialogs.append(dialog.message)
                    dialog.dismiss()

            page.on("dialog", on_dialog)
            page.goto(server.url + "index.html", wait_until="commit")
            page.wait_for_function(FIRST_CHART_JS, polling=20)
            assert page.evaluate("() => [window.__workers, window.__wasm]") == [0, 0]

            page.wait_for_function(WARMED_JS, timeout=120_000)
            assert page.evaluate("() => document.documentElement.dataset.minatoWarmup") == "done"
            # the warm-up began only once the page had loaded, charts and all
            loaded, began = page.evaluate(
                """() => [performance.getEntriesByType('navigation')[0].loadEventEnd,
                          Number(document.documentElement.dataset.minatoWarmupStart)]"""
            )
            assert 0 < loaded <= began, (loaded, began)
            # it fetched, and ran nothing: no worker, no WebAssembly, no script of the app
            assert page.evaluate("() => [window.__workers, window.__wasm]") == [0, 0]
            assert page.evaluate("() => typeof window.jupyterapp") == "undefined"
            assert page.evaluate(INERT_JS) == {"pwned": None, "images": 0} and dialogs == []

            mark = counter.mark()
            live_open(page, LIVE_CODE, "code.ipynb")
            assert unmodified_once_the_kernel_answers(page)
            assert "DataFrame 12 rows" in run_with_df(page)
            outputs = page.locator(f"{lab.NOTEBOOK} .jp-OutputArea-output").all_inner_texts()
            assert any("bold survives" in text for text in outputs)
            assert page.evaluate(INERT_JS) == {"pwned": None, "images": 0} and dialogs == []
            warm = fetched(counter, mark)

            page.goto(server.url + "index.html")  # back to the report (JupyterLab rewrote history)
            page.wait_for_function(FIRST_CHART_JS)
            # JupyterLab restores this browser's last layout (code.ipynb), which used to
            # replace the linked notebook: minato-open-path.js opens it again once restored
            live_open(page, LIVE_ANALYSIS, "analysis.ipynb")
            assert sorted(page.evaluate(OPEN_JS)) == ["analysis.ipynb", "code.ipynb"]
            assert unmodified_once_the_kernel_answers(page), "defect 5: modified on connect"
            assert "DataFrame 12 rows" in run_with_df(page)
            assert watch.outside() == []
        finally:
            context.close()

    # what the warm-up fetched, the live open found in the cache: no body sent again
    again = {path for path in warm if path.lstrip("/") in {u.partition("?")[0] for u in warmed}}
    again |= {path for path in warm if path.startswith("/static/pyodide/")}
    sizes = {path: (code_report_site / path.lstrip("/")).stat().st_size for path in again}
    too_big = {path for path, size in sizes.items() if size > MEMORY_CACHE_ENTRY_LIMIT}
    assert again - too_big == set(), again
    assert all(path.endswith(".whl") for path in too_big), too_big  # no runtime file, no bundle
    # the rest of the live open came from the cache too (the uncacheable wheels left out)
    cold_total = sum(size for path, size in cold.items() if path not in too_big)
    warm_total = sum(size for path, size in warm.items() if path not in too_big)
    assert cold_total > 10_000_000, cold  # the app and Pyodide with pandas
    assert warm_total < 0.1 * cold_total, sorted(warm.items(), key=lambda kv: -kv[1])[:10]
