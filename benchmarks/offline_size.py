"""Offline site size, and what pruning saves against shipping the whole distribution.

Baseline (same run): the site built with `--pyodide DIST` (whole distribution
copied). Measured: the same inputs with `--offline --pyodide DIST` (only what
the code imports). DIST is the assembled distribution plus a few pure-Python
packages the site does not import, standing in for a full release's extras;
pass --pyodide to measure against a real full release instead.

    .venv/bin/python benchmarks/offline_size.py [--pyodide PATH]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from minato_lite import build_site
from minato_lite.pyodide.assemble import assemble
from minato_lite.pyodide.distribution import PyodideDistribution

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ["pytz", "attrs", "python-dateutil", "certifi", "idna", "charset-normalizer"]


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mib(n: int) -> str:
    return f"{n / 1024**2:7.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pyodide", help="a full release folder or tarball to measure against")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minato-offline-") as tmp:
        work = Path(tmp)
        if args.pyodide:
            dist = PyodideDistribution.local(args.pyodide).folder
        else:
            extras = list(EXTRAS)
            try:
                dist = assemble(work / "dist", extra_packages=extras).folder
            except Exception:
                dist = assemble(work / "dist2", extra_packages=["pytz", "attrs"]).folder
        inputs = [ROOT / "examples/sales.csv"]
        code = [ROOT / "examples/analysis.py"]
        build_site(inputs, work / "whole", code=code, pyodide=dist)
        build_site(inputs, work / "pruned", code=code, pyodide=dist, offline=True)
        whole, pruned = work / "whole", work / "pruned"
        w_py, p_py = size(whole / "static/pyodide"), size(pruned / "static/pyodide")
        print(f"distribution: {dist.name} ({mib(size(dist))})")
        print(f"site, whole distribution (baseline): {mib(size(whole))}  pyodide {mib(w_py)}")
        print(f"site, --offline pruned:              {mib(size(pruned))}  pyodide {mib(p_py)}")
        print(f"pruned / whole: site {size(pruned) / size(whole):.2f}x, pyodide {p_py / w_py:.2f}x")
        app = size(pruned) - p_py - size(pruned / "files")
        print(f"app (JupyterLite, shared by hard link): {mib(app)}")


if __name__ == "__main__":
    main()
