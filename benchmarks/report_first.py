"""Report-first sites: the first chart on the report, then the live notebook, against a cold open.

On one site built with code and a self-hosted Pyodide with pandas (so the
code ran in the WebAssembly sandbox at build time), in headless Chromium,
each visit in a fresh browser context (an empty HTTP cache):

* (a) page load -> the report's first chart decoded (`index.html`);
* (b) in the same visit, 10 s after (a)'s page load, open the live
  notebook the report links (`lab/index.html?path=analysis.ipynb`): page
  load -> the kernel's first output (a cell added and run the moment the
  kernel connects), with whatever the warm-up fetched meanwhile;
* (c) a cold open of the same live notebook, as sites opened before the
  report: page load -> the kernel's first output.

Each is measured unthrottled (127.0.0.1) and throttled: a proxy in front of
the server (`tests.support.traffic.ThrottledLink`) shares 20 Mbit/s downstream
across every connection and delays every byte by 40 ms, so the page, the
kernel's worker and the service worker are all slowed. Runs alternate (c) and
(a)+(b); the table gives medians, ratios to (c) of the same mode (of the
medians, and "paired": the median of each run's (b) over its own (c)), and
the bytes the server sent for each live open. Also: the report's weight (raw and
as sent, gzip) and how much of it is images.

The default site is held out: a year of bike rentals and code written for
this benchmark only (never used while building the report), whose last cell
draws a chart in the sandbox at build time.

    .venv/bin/python benchmarks/report_first.py [--runs 3] [--pyodide DIST] [--data CSV --code PY]
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import distribution  # noqa: E402
from minato_lite import build_site  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support import lab  # noqa: E402
from tests.support.traffic import CountingApp, ThrottledLink, counting_server  # noqa: E402

RATE = 20e6 / 8  # 20 Mbit/s, in bytes per second
LATENCY = 0.040
LIVE = "lab/index.html?path=analysis.ipynb"
FIRST_CHART_JS = """() => {
  const img = document.querySelector('main img');
  return !!img && img.complete && img.naturalWidth > 0;
}"""
WARMUP_JS = "() => document.documentElement.dataset.minatoWarmup || ''"


@dataclass
class Mode:
    name: str
    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)
    c: list[float] = field(default_factory=list)
    b_bytes: list[int] = field(default_factory=list)
    c_bytes: list[int] = field(default_factory=list)
    b_revalidated: list[int] = field(default_factory=list)
    warm_states: list[str] = field(default_factory=list)


def first_output(page, start: float, timeout_s: float) -> float:
    """Seconds from `start` until a cell run at once printed (the kernel's first output)."""
    cell = lab.start_cell(page, "print('kernel says hi')")
    result = lab.wait_for_cell(cell, start, timeout_s)
    if "kernel says hi" not in result.text:
        raise AssertionError(f"the first cell printed {result.text!r}")
    return time.perf_counter() - start


def cold_open(browser, url: str, counter: CountingApp, timeout_s: float) -> tuple[float, int]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        mark = counter.mark()
        start = time.perf_counter()
        page.goto(url + LIVE)
        seconds = first_output(page, start, timeout_s)
        return seconds, counter.total(counter.since(mark))
    finally:
        context.close()


def report_then_live(browser, url: str, counter: CountingApp, wait_s: float,
                     timeout_s: float) -> tuple[float, float, int, int, str]:  # fmt: skip
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + "index.html", wait_until="commit")
        page.wait_for_function(FIRST_CHART_JS, polling=20, timeout=timeout_s * 1000)
        chart = time.perf_counter() - start
        left = wait_s - (time.perf_counter() - start)
        if left > 0:
            page.wait_for_timeout(left * 1000)
        warm = page.evaluate(WARMUP_JS)
        mark = counter.mark()
        live_start = time.perf_counter()
        page.goto(url + LIVE)
        live = first_output(page, live_start, timeout_s)
        responses = counter.since(mark)
        revalidated = sum(1 for r in responses if r.status == 304)
        return chart, live, counter.total(responses), revalidated, warm
    finally:
        context.close()


def report_weight(site: Path) -> tuple[int, int, int, int]:
    """index.html: raw bytes, gzip bytes (as served), bytes of its inline images, their count."""
    raw = (site / "index.html").read_bytes()
    images = re.findall(rb'<img src="data:image/[a-z+]+;base64,([A-Za-z0-9+/=]+)"', raw)
    encoded = sum(len(data) for data in images)
    return len(raw), len(gzip.compress(raw, 6)), encoded, len(images)


HELD_OUT_CODE = """# %% Mean rentals per station
df.groupby("station")["rentals"].mean().round(1).sort_values(ascending=False)

# %% Rain
wet, dry = df[df["rain"]]["rentals"].mean(), df[~df["rain"]]["rentals"].mean()
print(f"rainy days: {wet:.1f} rentals, dry days: {dry:.1f} ({wet / dry - 1:+.0%})")

# %% Daily rentals
import matplotlib.pyplot as plt

df.groupby("date")["rentals"].sum().plot(figsize=(8, 3), title="Daily rentals, all stations")
plt.show()
"""


def held_out(folder: Path) -> tuple[Path, Path]:
    """Data and code never used while building the report: a year of bike rentals (seeded)."""
    import datetime
    import random

    rng = random.Random(17)
    stations = ["Harbour", "Old Town", "University", "Station Sq.", "Riverside"]
    lines = ["date,station,temperature_c,rain,rentals"]
    for day in range(365):
        date = (datetime.date(2023, 1, 1) + datetime.timedelta(days=day)).isoformat()
        temperature = round(12 + 10 * rng.uniform(-1, 1), 1)
        rain = rng.random() < 0.3
        for index, station in enumerate(stations):
            base = 40 + 12 * index + 1.5 * temperature - (18 if rain else 0)
            lines.append(f"{date},{station},{temperature},{rain},{max(0, int(rng.gauss(base, 8)))}")
    data, code = folder / "rentals.csv", folder / "rentals.py"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    code.write_text(HELD_OUT_CODE, "utf-8")
    return data, code


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pyodide", help="distribution folder or release tarball")
    parser.add_argument("--data", type=Path, help="default: the held-out bike rentals")
    parser.add_argument("--code", type=Path, help="default: the held-out rentals code")
    parser.add_argument("--site", type=Path, help="measure this built site instead of building")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds on the report (b)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--modes", default="unthrottled,throttled")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="minato-report-bench-") as tmp:
        site = args.site
        if site is None:
            dist = distribution(args.pyodide)
            print(f"Pyodide distribution: {dist}")
            site = Path(tmp) / "site"
            data, code = held_out(Path(tmp))
            built = build_site([args.data or data], site, code=args.code or code, pyodide=dist)
            if built.code_result is None:
                print("note: the code was not run at build time (no Deno or no pandas)")
        raw, sent, image_bytes, charts = report_weight(site)
        modes = [Mode(name) for name in args.modes.split(",")]
        with counting_server(site) as (server, counter), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for mode in modes:
                link = (
                    ThrottledLink(server.sock.getsockname()[1], RATE, LATENCY)
                    if mode.name == "throttled"
                    else None
                )
                url = link.url if link is not None else server.url
                try:
                    for run in range(args.runs):
                        c, c_bytes = cold_open(browser, url, counter, args.timeout)
                        a, b, b_bytes, b_revalidated, warm = report_then_live(
                            browser, url, counter, args.wait, args.timeout
                        )
                        mode.a.append(a)
                        mode.b.append(b)
                        mode.c.append(c)
                        mode.b_bytes.append(b_bytes)
                        mode.b_revalidated.append(b_revalidated)
                        mode.c_bytes.append(c_bytes)
                        mode.warm_states.append(warm)
                        print(
                            f"{mode.name} run {run + 1}: (a) {a:.2f} s  (b) {b:.1f} s  "
                            f"(c) {c:.1f} s  live open after the report {b_bytes / 1e6:.1f} MB "
                            f"vs cold {c_bytes / 1e6:.1f} MB, {b_revalidated} revalidated "
                            f"(304)  (warm-up at {args.wait:.0f} s: {warm})",
                            flush=True,
                        )
                finally:
                    if link is not None:
                        link.close()
            browser.close()

    print()
    print(f"Report (index.html): {raw / 1e3:.0f} kB, {sent / 1e3:.0f} kB gzip as sent; "
          f"{charts} charts, {image_bytes / 1e3:.0f} kB of it images "
          f"({image_bytes / raw:.0%})")  # fmt: skip
    print(f"{'mode':<12} {'(a) chart':>10} {'(b) live':>10} {'(c) cold':>10} {'a/c':>7} "
          f"{'b/c':>6} {'paired':>7} {'b MB':>6} {'c MB':>6}")  # fmt: skip
    for mode in modes:
        a, b, c = median(mode.a), median(mode.b), median(mode.c)
        # each run's (b) over the (c) measured just before it: slow drift of a shared
        # machine's load cancels out of these
        paired = median([b_i / c_i for b_i, c_i in zip(mode.b, mode.c, strict=True)])
        print(
            f"{mode.name:<12} {a:>9.2f}s {b:>9.1f}s {c:>9.1f}s {a / c:>7.3f} {b / c:>6.2f} "
            f"{paired:>7.2f} {median(mode.b_bytes) / 1e6:>6.1f} {median(mode.c_bytes) / 1e6:>6.1f}"
        )
    print(f"medians of {args.runs} runs; (b) after {args.wait:.0f} s on the report; "
          "throttled = 20 Mbit/s down shared, +40 ms on every response")  # fmt: skip


if __name__ == "__main__":
    main()
