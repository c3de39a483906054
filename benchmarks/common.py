"""What the browser benchmarks share: their arguments and the Pyodide they measure with."""

from __future__ import annotations

import argparse
from pathlib import Path

from minato_lite.pyodide.choice import default_with_pandas
from minato_lite.pyodide.distribution import PyodideDistribution


def distribution(given: str | None) -> Path:
    """`--pyodide` if given, else the default Pyodide with pandas (the browser needs it)."""
    dist = PyodideDistribution.local(given) if given else default_with_pandas()
    assert dist.folder is not None
    return dist.folder


def browser_benchmark_args(description: str | None) -> tuple[argparse.Namespace, Path]:
    """`--runs N --pyodide DIST`, parsed, and the distribution they name (printed)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pyodide", help="distribution folder or release tarball")
    args = parser.parse_args()
    dist = distribution(args.pyodide)
    print(f"Pyodide distribution: {dist}")
    return args, dist
