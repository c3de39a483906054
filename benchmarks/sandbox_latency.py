"""Sandbox latency: a cold `minato-lite run` against the same job on a warm pool.

One run, reported as ratios against the cold baseline measured in the same run:

* cold: `python -m minato_lite run seed.py --data sales.csv --json` (process start,
  Deno boot, Pyodide + pandas, the job), `--cold` times (median);
* warm: the same job on a `SandboxPool` whose spares are booted, `--warm` times (p50);
  target: warm p50 <= 0.25x cold;
* burst: `--burst` jobs submitted at once to a pool of `--workers` workers and
  `--spares` spares; all must complete (queued), and the peak resident memory of
  this process plus all its Deno workers is reported (it stays bounded by
  workers + spares processes, whatever the queue length).

    python benchmarks/sandbox_latency.py [--pyodide DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minato_lite.sandbox import SandboxPool  # noqa: E402
from minato_lite.sandbox.process import rss_bytes  # noqa: E402

SALES = ROOT / "examples" / "sales.csv"
SEED = "import pandas as pd\ndf = pd.DataFrame(data)\nprint(df.describe())\n# %%\ndf.describe()\n"


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


class PeakMemory(threading.Thread):
    """Polls the summed RSS of this process and its descendants."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.peak_processes = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import os

        while not self.stop.is_set():
            pids, stack = [], [os.getpid()]
            while stack:
                pid = stack.pop()
                pids.append(pid)
                stack.extend(children(pid))
            self.peak = max(self.peak, sum(rss_bytes(p) for p in pids))
            self.peak_processes = max(self.peak_processes, len(pids) - 1)
            time.sleep(0.1)


def cold_run(code_file: Path, pyodide: str | None) -> float:
    args = [sys.executable, "-m", "minato_lite", "run", str(code_file), "--data", str(SALES)]
    args += ["--json", *(["--pyodide", pyodide] if pyodide else [])]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=600)
    seconds = time.perf_counter() - started
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["ok"], done.stderr or report["error"]
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pyodide", help="a Pyodide with pandas (default: scientific stand-in)")
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--warm", type=int, default=7)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--spares", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        code_file = Path(tmp) / "seed.py"
        code_file.write_text(SEED, encoding="utf-8")
        cold = [cold_run(code_file, args.pyodide) for _ in range(args.cold)]
    cold_p50 = statistics.median(cold)

    warm = []
    with SandboxPool(args.pyodide, workers=args.workers, spares=args.spares) as pool:
        for _ in range(args.warm):
            pool.wait_warm()
            started = time.perf_counter()
            result = pool.run(SEED, [SALES])
            warm.append(time.perf_counter() - started)
            assert result.ok, result.error
    warm_p50 = statistics.median(warm)

    memory = PeakMemory()
    with SandboxPool(args.pyodide, workers=args.workers, spares=args.spares) as pool:
        pool.wait_warm()
        memory.start()
        started = time.perf_counter()
        futures = [pool.submit(SEED, [SALES]) for _ in range(args.burst)]
        results = [f.result() for f in futures]
        burst_seconds = time.perf_counter() - started
        memory.stop.set()
        memory.join()
    completed = sum(r.ok for r in results)

    report = {
        "cold_seconds": [round(s, 2) for s in cold],
        "cold_p50": round(cold_p50, 2),
        "warm_seconds": [round(s, 3) for s in warm],
        "warm_p50": round(warm_p50, 3),
        "warm_over_cold": round(warm_p50 / cold_p50, 3),
        "target_warm_over_cold": 0.25,
        "burst_jobs": args.burst,
        "burst_completed": completed,
        "burst_seconds": round(burst_seconds, 1),
        "burst_seconds_per_job": round(burst_seconds / args.burst, 2),
        "burst_peak_rss_mb": round(memory.peak / 2**20),
        "burst_peak_processes": memory.peak_processes,
        "workers": args.workers,
        "spares": args.spares,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:24} {value}")
    ok = report["warm_over_cold"] <= 0.25 and completed == args.burst
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
