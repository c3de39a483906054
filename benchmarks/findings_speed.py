"""Speed of `minato.findings` on 100,000 rows x 50 columns, against `DataFrame.describe()`.

The target is at most one second under CPython for this size (the browser's Pyodide
is slower by a small factor). The baseline, measured in the same run on the same
frame, is pandas' own `describe()`, numeric columns only (its default) and all
columns: a summary every analyst already waits for.

Two frames: as it arrives (prices written as "$1,234.50", parsed by the findings
themselves) and as a site stores it (numbers written as text converted when the
data is read, `inputs.conversion`), which is what the notebook's findings cell runs on.

It runs with the environment of the executor that pre-renders notebooks at build
time, one BLAS thread (`execute.executor.WORKER_ENV`; the browser has one thread
anyway): on a busy machine a multithreaded BLAS spins for its threads, and one
100,000 x 40 matrix product took seconds instead of 10 ms. `--blas-threads default`
keeps the library's own choice, to see that.

    .venv/bin/python benchmarks/findings_speed.py [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

from minato_lite.execute.executor import WORKER_ENV

if "--blas-threads" not in sys.argv and any(os.environ.get(k) != v for k, v in WORKER_ENV.items()):
    # before numpy is imported: thread counts are read once, at import
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **WORKER_ENV})

import numpy as np
import pandas as pd

from minato_lite.inputs.conversion import convert_frame
from minato_lite.runtime.minato import insights, semantic


def mixed_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """50 columns of what real tables hold: measures, counts, labels, flags, time, keys,
    numbers as text, gaps, a constant; some correlated, some grouped, some skewed."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {"order_id": np.arange(rows)}
    columns["when"] = pd.date_range("2020-01-01", periods=rows, freq="h")
    columns["trend"] = np.arange(rows) * 0.001 + rng.normal(size=rows)
    columns["daily"] = np.sin(np.arange(rows) * 2 * np.pi / 24) + rng.normal(0, 0.5, rows)
    base = rng.normal(size=rows)
    region = rng.choice(["North", "South", "East", "West"], rows)
    for i in range(16):
        noise = rng.normal(size=rows)
        columns[f"measure_{i}"] = base * (4.0 if i < 3 else 0.0) + noise
    for i in range(8):
        columns[f"amount_{i}"] = rng.lognormal(3, 1, rows)
    for i in range(5):
        columns[f"count_{i}"] = rng.poisson(0.8 + i, rows)
    labels = [f"label_{k}" for k in range(12)]
    for i in range(6):
        columns[f"category_{i}"] = rng.choice(labels[: 3 + i], rows)
    columns["region"] = region
    columns["by_region"] = pd.Series(region).map({"North": 1, "South": 2, "East": 3, "West": 4})
    columns["by_region"] = columns["by_region"].to_numpy() + rng.normal(size=rows)
    for i in range(3):
        columns[f"flag_{i}"] = rng.random(rows) < 0.1 + 0.3 * i
    columns["sku"] = [f"SKU-{i:07d}" for i in rng.permutation(rows)]
    columns["price"] = [f"${v:,.2f}" for v in rng.uniform(1, 5000, rows)]
    for i in range(3):
        gappy = rng.normal(size=rows)
        gappy[rng.random(rows) < 0.2 * (i + 1)] = np.nan
        columns[f"gappy_{i}"] = gappy
    columns["constant"] = "same"
    frame = pd.DataFrame(columns)
    assert frame.shape == (rows, 50), frame.shape
    return frame


def best_of(runs: int, call: Callable[[], object]) -> tuple[float, float]:
    """Median wall time and median CPU time of `runs` calls (after one warm-up call).

    CPU time is the steadier figure on a shared machine: other processes stretch the
    wall clock, much less the time this process itself computes."""
    call()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--blas-threads", choices=["default"], help="keep BLAS's own threads")
    args = parser.parse_args()
    frame = mixed_frame(args.rows)
    stored, _ = convert_frame(frame)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"frame: {frame.shape[0]:,} rows x {frame.shape[1]} columns, pandas {pd.__version__}, "
        f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={threads}, load {os.getloadavg()[0]:.1f}"
    )

    types_s = best_of(args.runs, lambda: semantic.column_types(frame))
    findings_s = best_of(args.runs, lambda: insights.findings(frame))
    stored_s = best_of(args.runs, lambda: insights.findings(stored))
    groups_s = best_of(args.runs, lambda: insights.compare_groups(stored))
    describe_s = best_of(args.runs, lambda: frame.describe())
    describe_all_s = best_of(args.runs, lambda: frame.describe(include="all"))
    found = insights.findings(frame)

    print("                               wall     cpu")
    print(f"column_types:                 {types_s[0]:5.2f} s {types_s[1]:5.2f} s")
    print(f"findings (types included):    {findings_s[0]:5.2f} s {findings_s[1]:5.2f} s"
          "   target <= 1 s")  # fmt: skip
    print(f"findings, frame as stored:    {stored_s[0]:5.2f} s {stored_s[1]:5.2f} s"
          "   (what the notebook's cell runs)")  # fmt: skip
    print(f"compare_groups, as stored:    {groups_s[0]:5.2f} s {groups_s[1]:5.2f} s")
    print(f"describe() numeric:           {describe_s[0]:5.2f} s {describe_s[1]:5.2f} s"
          f"   findings / describe = {findings_s[0] / describe_s[0]:.1f}x wall, "
          f"{findings_s[1] / describe_s[1]:.1f}x cpu")  # fmt: skip
    print(f"describe(include='all'):      {describe_all_s[0]:5.2f} s {describe_all_s[1]:5.2f} s"
          f"   findings / describe(all) = {findings_s[0] / describe_all_s[0]:.1f}x wall, "
          f"{findings_s[1] / describe_all_s[1]:.1f}x cpu")  # fmt: skip
    kinds: dict[str, int] = {}
    for item in found:
        kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
    print("findings by kind:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for item in found[:5]:
        print(f"  {item['score']:.2f}  {item['text']}")


if __name__ == "__main__":
    main()
