"""Per-analysis-type generation time, as ratios against reading the data alone.

Baseline: `load_inputs` on every sample (what any build must pay). Measured in
the same run: `prepare` (read + profile + notebooks + contents) per analysis
type. Prints a table; median of N runs each.

    .venv/bin/python benchmarks/generation.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from minato_lite.build import ANALYSIS_TYPES, prepare
from minato_lite.inputs.readers import load_inputs

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [ROOT / "examples/sales.csv", *sorted((ROOT / "examples/data").iterdir())]
CODE = ROOT / "examples/analysis.py"


def median_seconds(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = median_seconds(lambda: load_inputs(SAMPLES), args.runs)
    print(f"samples: {len(SAMPLES)} files; baseline load_inputs: {base * 1000:.0f} ms")
    print(f"{'analysis':<14} {'ms':>8} {'x baseline':>11}")
    for analysis in ANALYSIS_TYPES:
        seconds = median_seconds(
            lambda a=analysis: prepare(SAMPLES, analysis=a, code=[CODE]), args.runs
        )
        print(f"{analysis:<14} {seconds * 1000:8.0f} {seconds / base:11.2f}")


if __name__ == "__main__":
    main()
