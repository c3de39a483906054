"""API throughput: POSTs of a 1 MB dataset against a real server on 127.0.0.1.

Reports requests per second, latency p50/p95, and the service's resident memory
after N builds, for each store asked for: `disk` (`--sites-dir` a folder) and
`s3` (`--sites-dir s3://...` on a SeaweedFS started here, the same machine's
cores). Baseline, measured in the same run: GET /healthz (the server's own
floor), so the build cost shows as a ratio.

    .venv/bin/python benchmarks/api_load.py [--builds 200] [--clients 4] [--store disk s3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.seaweedfs import running_seaweedfs  # noqa: E402


def one_mb_records() -> list[dict]:
    rng = random.Random(7)
    rows, size = [], 0
    while size < 1_000_000:
        row = {
            "id": len(rows),
            "region": rng.choice("NSEW"),
            "amount": round(rng.uniform(1, 999), 2),
            "when": f"2024-{1 + len(rows) % 12:02d}-{1 + len(rows) % 28:02d}",
            "ok": rng.random() < 0.5,
        }
        rows.append(row)
        size += len(json.dumps(row))
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mib(pid: int) -> float:
    """Resident memory of `pid` and every process below it (the warm executor's workers)."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            total += rss_mib(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load(sites: str, env: dict[str, str], payload: bytes, builds: int, clients: int) -> dict:
    """Start `minato-lite api --sites-dir SITES`, POST `builds` times, stop it; the figures."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "minato_lite", "api", "--sites-dir", sites, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    client = httpx.Client(base_url=base, timeout=300)
    try:
        for _ in range(300):
            try:
                client.get("healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        start_rss = rss_mib(proc.pid)
        t0 = time.perf_counter()
        for _ in range(200):
            client.get("healthz")
        health_s = (time.perf_counter() - t0) / 200

        def post(_: int) -> float:
            started = time.perf_counter()
            answer = client.post("api/insights/python-sandbox", content=payload,
                                 headers={"content-type": "application/json"})  # fmt: skip
            answer.raise_for_status()
            return time.perf_counter() - started

        post(0)  # the first build starts the warm executor and stores the shared app
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            latencies = list(pool.map(post, range(builds)))
        elapsed = time.perf_counter() - t0
        end_rss = rss_mib(proc.pid)
        end_tree = tree_rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    return {"latencies": latencies, "elapsed": elapsed, "health_s": health_s,
            "start_rss": start_rss, "end_rss": end_rss, "end_tree": end_tree}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--store", nargs="+", choices=("disk", "s3"), default=["disk"])
    args = parser.parse_args()
    body = {"code": "df.describe()", "data": one_mb_records(), "analysisType": "descriptive"}
    payload = json.dumps(body).encode()
    print(
        f"payload {len(payload) / 1e6:.2f} MB, {args.builds} POSTs, {args.clients} clients, "
        f"{os.cpu_count()} cores"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with ExitStack() as stack:
        for store in args.store:
            if store == "disk":
                sites = stack.enter_context(tempfile.TemporaryDirectory(prefix="minato-api-"))
                run_env = env
            else:
                weed = stack.enter_context(running_seaweedfs())
                sites = f"s3://{weed.bucket}/api-load"
                run_env = {**env, **weed.env()}
            figures = load(sites, run_env, payload, args.builds, args.clients)
            latencies, health_s = figures["latencies"], figures["health_s"]
            print(f"== {store} ({sites})")
            print(f"throughput: {args.builds / figures['elapsed']:.2f} POST/s")
            print(
                f"latency p50 {statistics.median(latencies):.2f} s, "
                f"p95 {percentile(latencies, 0.95):.2f} s"
            )
            print(
                f"baseline GET /healthz: {health_s * 1000:.1f} ms; POST p50 = "
                f"{statistics.median(latencies) / health_s:.0f}x that"
            )
            print(
                f"service memory: {figures['start_rss']:.0f} MiB at start, "
                f"{figures['end_rss']:.0f} MiB after {args.builds} builds; with its workers "
                f"{figures['end_tree']:.0f} MiB", flush=True
            )


if __name__ == "__main__":
    main()
