"""Live Python in seconds: the report's live cells and JupyterLab's kernel against the floor.

Measures on one held-out site (the bike rentals and code of `report_first.py`, the
stand-in self-hosted), in headless Chromium, each visit in a fresh browser context:

* floor: a bare Pyodide worker on the site's own distribution (no JupyterLab, no
  IPython, no service worker) that loads pandas, reads the site's CSV and prints its
  shape: page load -> that output;
* (d) the report cold: open it, edit its first code cell, Run -> its output;
* (e) the report after 10 s of reading with the pointer resting on the code (intent
  starts the worker): Run -> output;
* (f) JupyterLab cold: page load -> the kernel's first output;
* what a reader who runs nothing pays: 15 s on the report without touching it, on a
  2-core device (no worker may start) and on an 8-core one (the idle start): bytes the
  server sent, CPU seconds of the browser's processes, workers started;
* each step of the kernel's faster start alone (`--steps`): (f) on copies of the site
  without bytecode (the uncompiled stand-in), without the drive step, without the jedi
  step, and with none of them (the kernel as it started before), all in one run.

Medians of `--runs`; ratios are to the floor measured in the same run.

    .venv/bin/python benchmarks/live_start.py [--runs 3] [--steps] [--pyodide DIST]
        [--uncompiled DIST]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import distribution  # noqa: E402
from benchmarks.report_first import first_output, held_out  # noqa: E402
from minato_lite import build_site  # noqa: E402
from minato_lite.pyodide.distribution import PyodideDistribution  # noqa: E402
from minato_lite.pyodide.scientific import build_scientific  # noqa: E402
from minato_lite.site.kernel_patch import BUNDLE_DIR, patch_kernel_start  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.traffic import counting_server  # noqa: E402

LIVE = "lab/index.html?path=code.ipynb"
EDITED = 'print("SHAPE", df.shape)'
DEVICE_JS = """(cores) => {
  Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {get: () => cores});
  window.__workers = 0;
  const Real = window.Worker;
  window.Worker = function (...a) { window.__workers += 1; return new Real(...a); };
}"""
# the site's CSP allows no inline script: the page's script is a file of its own
FLOOR_PAGE = """<!doctype html><meta charset="utf-8"><title>floor</title>
<script type="module" src="./floor.js"></script>"""
FLOOR_SCRIPT = """
const worker = new Worker("./floor-worker.js", {type: "module"});
worker.onmessage = (e) => { document.title = "done " + e.data; };
worker.onerror = (e) => { document.title = "failed " + (e.message || "the worker did not load"); };
"""
FLOOR_WORKER = """
import { loadPyodide } from "./static/pyodide/pyodide.mjs";
const pyodide = await loadPyodide({indexURL: new URL("./static/pyodide/", import.meta.url).href,
                                   packages: ["pandas"]});
const csv = new Uint8Array(await (await fetch("./files/data/rentals.csv")).arrayBuffer());
pyodide.FS.writeFile("/tmp/rentals.csv", csv);
postMessage(pyodide.runPython("import pandas as pd; str(pd.read_csv('/tmp/rentals.csv').shape)"));
"""


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def floor(browser, url: str, timeout_s: float) -> float:
    context = browser.new_context()
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + "floor.html")
        page.wait_for_function("/^(done|failed)/.test(document.title)", timeout=timeout_s * 1000)
        assert "(1825, 5)" in page.title(), page.title()
        return time.perf_counter() - start
    finally:
        context.close()


def edit_and_run(page) -> None:
    box = page.get_by_role("textbox", name="Cell 1 of Your code")
    box.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(EDITED)
    page.get_by_role("button", name="Run cell 1 of Your code").click()


def wait_output(page, timeout_s: float) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-cell] .outputs')?.innerText.includes('SHAPE')",
        timeout=timeout_s * 1000,
    )


def report_cold(browser, url: str, timeout_s: float) -> float:
    """(d): page load -> the edited cell's output."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        context.add_init_script(script=f"({DEVICE_JS})(2)")
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + "index.html")
        page.wait_for_function("document.documentElement.dataset.minatoLive === 'ready'")
        edit_and_run(page)
        wait_output(page, timeout_s)
        return time.perf_counter() - start
    finally:
        context.close()


def report_after_reading(browser, url: str, wait_s: float, timeout_s: float) -> float:
    """(e): the pointer rests on the code for `wait_s` seconds, then Run -> output."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        context.add_init_script(script=f"({DEVICE_JS})(2)")
        page = context.new_page()
        page.goto(url + "index.html")
        page.wait_for_function("document.documentElement.dataset.minatoLive === 'ready'")
        page.locator("[data-cell]").first.hover()
        page.wait_for_timeout(wait_s * 1000)
        start = time.perf_counter()
        edit_and_run(page)
        wait_output(page, timeout_s)
        return time.perf_counter() - start
    finally:
        context.close()


def lab_cold(browser, url: str, timeout_s: float) -> float:
    """(f): page load -> the kernel's first output."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + LIVE)
        return first_output(page, start, timeout_s)
    finally:
        context.close()


def browser_cpu(browser_pid: int) -> float:
    try:
        process = psutil.Process(browser_pid)
        tree = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in tree:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def reader_pays(browser, browser_pid: int, url: str, counter, cores: int,
                seconds: float = 15.0) -> tuple[float, float, int]:  # fmt: skip
    """Bytes (MB), CPU seconds and workers of `seconds` on the report, touching nothing."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        context.add_init_script(script=f"({DEVICE_JS})({cores})")
        page = context.new_page()
        mark, cpu = counter.mark(), browser_cpu(browser_pid)
        page.goto(url + "index.html")
        page.wait_for_timeout(seconds * 1000)
        workers = page.evaluate("() => window.__workers")
        return (counter.total(counter.since(mark)) / 1e6, browser_cpu(browser_pid) - cpu,
                workers)  # fmt: skip
    finally:
        context.close()


def variant(site: Path, folder: Path, *, steps: tuple[str, ...], jedi_preload: bool,
            pyodide: Path | None) -> Path:  # fmt: skip
    """A copy of `site` with only `steps` of the kernel's faster start (and another Pyodide)."""
    copy = folder / ("site-" + ("-".join(steps) or "none") + ("-src" if pyodide else ""))
    shutil.copytree(site, copy, copy_function=shutil.copy2)
    installed = Path(sys.prefix) / "share/jupyter/labextensions" / BUNDLE_DIR.split("/", 1)[1]
    for worker in installed.glob("*.worker.*.js"):
        shutil.copy2(worker, copy / BUNDLE_DIR / worker.name)
    patch_kernel_start(copy, steps)
    config_path = copy / "jupyter-lite.json"
    config = json.loads(config_path.read_text())
    plugins = config["jupyter-config-data"]["litePluginSettings"]
    options = next(iter(plugins.values()))["loadPyodideOptions"]
    if jedi_preload:
        options["packages"] = [*options.get("packages", []), "jedi", "parso"]
    config_path.write_text(json.dumps(config, indent=2))
    if pyodide is not None:
        shutil.rmtree(copy / "static/pyodide")
        PyodideDistribution.local(pyodide).place(copy / "static/pyodide")
    return copy


def with_floor(site: Path) -> None:
    (site / "floor.html").write_text(FLOOR_PAGE, "utf-8")
    (site / "floor.js").write_text(FLOOR_SCRIPT, "utf-8")
    (site / "floor-worker.js").write_text(FLOOR_WORKER, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pyodide", help="the site's distribution (default: the stand-in)")
    parser.add_argument("--uncompiled", help="the same distribution without bytecode (--steps; "
                        "default: the stand-in's recipe built here without it)")  # fmt: skip
    parser.add_argument("--steps", action="store_true", help="measure each start step alone")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds of reading for (e)")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minato-live-bench-") as tmp:
        folder = Path(tmp)
        dist = distribution(args.pyodide)
        data, code = held_out(folder)
        site = build_site([data], folder / "site", code=code, pyodide=dist).out
        with_floor(site)
        sites = {"all steps": site}
        if args.steps:
            src = Path(args.uncompiled) if args.uncompiled else None
            if src is None:  # the stand-in's recipe without bytecode, built here (minutes)
                src = build_scientific(folder / "uncompiled", bytecode=False).folder
            sites["without bytecode"] = variant(site, folder, steps=("drive", "jedi"),
                                                jedi_preload=False, pyodide=src)  # fmt: skip
            sites["without the drive step"] = variant(site, folder, steps=("jedi",),
                                                      jedi_preload=False, pyodide=None)  # fmt: skip
            sites["without the jedi step"] = variant(site, folder, steps=("drive",),
                                                     jedi_preload=True, pyodide=None)  # fmt: skip
            sites["none (as before)"] = variant(site, folder, steps=(), jedi_preload=True,
                                                pyodide=src)  # fmt: skip
        measured: dict[str, list[float]] = {"floor": [], "(d)": [], "(e)": []}
        kernel: dict[str, list[float]] = {name: [] for name in sites}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            browser_pid = next((p.pid for p in psutil.process_iter(["name", "cmdline"])
                                if "chromium" in " ".join(p.info["cmdline"] or [])
                                and "--type=" not in " ".join(p.info["cmdline"] or [])),
                               0)  # fmt: skip
            with counting_server(site) as (server, counter):
                pays = {cores: reader_pays(browser, browser_pid, server.url, counter, cores)
                        for cores in (2, 8)}  # fmt: skip
                for run in range(args.runs):
                    measured["floor"].append(floor(browser, server.url, args.timeout))
                    measured["(d)"].append(report_cold(browser, server.url, args.timeout))
                    measured["(e)"].append(
                        report_after_reading(browser, server.url, args.wait, args.timeout)
                    )
                    print(
                        f"run {run + 1}: "
                        + "  ".join(f"{k} {v[-1]:.1f} s" for k, v in measured.items()),
                        flush=True,
                    )
            for name, variant_site in sites.items():
                with counting_server(variant_site) as (server, _counter):
                    for _run in range(args.runs):
                        kernel[name].append(lab_cold(browser, server.url, args.timeout))
                        if name == "without bytecode":  # the floor as the issue measured it
                            measured.setdefault("floor without bytecode", []).append(
                                floor(browser, server.url, args.timeout)
                            )
                print(f"(f) {name}: " + ", ".join(f"{s:.1f} s" for s in kernel[name]), flush=True)
            browser.close()
    base = median(measured["floor"])
    print(f"\nfloor (a bare Pyodide worker: pandas, the CSV, its shape): {base:.1f} s")
    if measured.get("floor without bytecode"):
        unbuilt = median(measured["floor without bytecode"])
        print(f"the same floor without bytecode: {unbuilt:.1f} s")
    print(f"{'measure':<48} {'seconds':>8} {'x floor':>8}")
    rows = [
        ("(d) report cold: open, edit, Run -> output", median(measured["(d)"])),
        (f"(e) report after {args.wait:.0f} s on the code: Run -> output", median(measured["(e)"])),
    ]
    rows += [(f"(f) JupyterLab cold, {name}", median(values)) for name, values in kernel.items()]
    for label, value in rows:
        print(f"{label:<48} {value:>8.1f} {value / base:>8.2f}")
    print("\nwhat a reader who runs nothing pays in 15 s on the report:")
    for cores, (mb, cpu, workers) in pays.items():
        print(f"  {cores} cores: {mb:.1f} MB downloaded, {cpu:.1f} CPU s, {workers} worker(s)")
    print(f"medians of {args.runs} runs")


if __name__ == "__main__":
    main()
