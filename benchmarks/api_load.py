"""API throughput, and the latency a person in a chat sees, against a real server on 127.0.0.1.

Throughput (default): POSTs of a 1 MB dataset; requests per second, latency
p50/p95, and the service's resident memory after N builds, for each store
asked for: `disk` (`--sites-dir` a folder) and `s3` (`--sites-dir s3://...` on a
SeaweedFS started here, the same machine's cores). Baseline, measured in the
same run: GET /healthz (the server's own floor), so the build cost shows as a
ratio.

`--chat`: 344 rows of public data (the Palmer penguins), short pandas code,
`"execute": true`, the stand-in (or `--pyodide`) for the sandbox, on a folder:

* sequential: 10 requests, each sent 3 s after the previous answer, as a person
  in a chat sends them: POST -> the answer, whose report already shows the code's
  outputs (checked), p50 and p95; then answer -> the analysis published
  (`GET /api/sites/{id}` says done), p50;
* a burst of 10 at once: all answered (none refused), p95;
* the sandbox pool alone, in this process: the job time on a booted worker and
  the boot time of a worker, medians.

    .venv/bin/python benchmarks/api_load.py [--builds 200] [--clients 4] [--store disk s3]
    .venv/bin/python benchmarks/api_load.py --chat [--pyodide DIST] \
        [--baseline WORKTREE [--baseline-pyodide DIST]]
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


CHAT_CODE = """# %% Mean body mass by species
df.groupby("species")["body_mass_g"].mean().round(1)

# %% Heaviest island
print("ANSWER", df.groupby("island")["body_mass_g"].mean().idxmax())
"""


def start_api(sites: str, env: dict[str, str], *options: str,
              checkout: Path = REPO) -> tuple[subprocess.Popen, str]:  # fmt: skip
    """`minato-lite api` from `checkout` (this one, or a baseline's worktree)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "minato_lite", "api", "--sites-dir", sites, "--port", str(port),
         *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=checkout,
        env={**env, "PYTHONPATH": str(checkout)},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            httpx.get(base + "healthz", timeout=2)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the API did not start")


def analysis_done(client: httpx.Client, answer: dict, timeout: float = 120) -> float:
    """Seconds from the answer until the site's analysis is published (0: it came with it)."""
    if "analysis" not in answer.get("pending", []):
        return 0.0
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if client.get(f"api/sites/{answer['id']}").json().get("analysis_state") == "done":
            return time.perf_counter() - start
        time.sleep(0.05)
    return float("nan")


def chat_run(checkout: Path, env: dict[str, str], pyodide: str, body: dict) -> dict:
    """Sequential requests 3 s apart, then a burst, against an API run from `checkout`."""
    with tempfile.TemporaryDirectory(prefix="minato-chat-") as sites:
        proc, base = start_api(sites, env, "--pyodide", pyodide, checkout=checkout)
        client = httpx.Client(base_url=base, timeout=300)
        try:
            client.post("api/insights/python-sandbox", json=body)  # the pools start
            answers, analyses = [], []
            for _ in range(10):
                time.sleep(3)
                started = time.perf_counter()
                answer = client.post("api/insights/python-sandbox", json=body)
                answers.append(time.perf_counter() - started)
                made = answer.json()
                report = Path(sites, made["id"], "index.html").read_text()
                assert "ANSWER Biscoe" in report, "the report does not show the code's answer"
                analyses.append(analysis_done(client, made))
            time.sleep(3)
            with ThreadPoolExecutor(10) as pool:
                burst = list(pool.map(lambda _: timed_post(client, body), range(10)))
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    return {"answers": answers, "analyses": analyses, "burst": burst}


def chat(
    env: dict[str, str], pyodide: str, baseline: Path | None, baseline_pyodide: str | None = None
) -> None:
    """The `--chat` figures (see the module's docstring)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import pandas as pd
    from prerender_profile import penguins_csv

    csv = penguins_csv(None)
    if csv is None:
        raise SystemExit("no penguins data: pip could not fetch palmerpenguins")
    rows = json.loads(pd.read_csv(csv).to_json(orient="records"))
    body = {"code": CHAT_CODE, "data": rows, "execute": True, "title": "Penguins"}
    runs = {"this checkout": chat_run(REPO, env, pyodide, body)}
    if baseline is not None:
        runs[f"baseline ({baseline})"] = chat_run(baseline, env, baseline_pyodide or pyodide, body)
    this = runs["this checkout"]
    for name, run in runs.items():
        answers, analyses, burst = run["answers"], run["analyses"], run["burst"]
        statuses = sorted({status for _, status in burst})
        print(f"== {name}")
        print(f"sequential, 10 requests 3 s apart (344 rows, execute): POST -> report with the "
              f"code's answer p50 {statistics.median(answers):.2f} s, "
              f"p95 {percentile(answers, 0.95):.2f} s")  # fmt: skip
        print(f"analysis published after the answer: p50 {statistics.median(analyses):.2f} s, "
              f"max {max(analyses):.2f} s")  # fmt: skip
        print(f"burst of 10 at once: statuses {statuses}, "
              f"p95 {percentile([s for s, _ in burst], 0.95):.2f} s")  # fmt: skip
        if run is not this:

            def ratio(pick, run: dict = run) -> str:
                return f"{pick(this) / pick(run):.2f}x"

            print("this checkout / baseline: answer p50",
                  ratio(lambda r: statistics.median(r["answers"])), "p95",
                  ratio(lambda r: percentile(r["answers"], 0.95)), "burst p95",
                  ratio(lambda r: percentile([s for s, _ in r["burst"]], 0.95)))  # fmt: skip
    pool_figures(pyodide, rows)


def timed_post(client: httpx.Client, body: dict) -> tuple[float, int]:
    started = time.perf_counter()
    status = client.post("api/insights/python-sandbox", json=body).status_code
    return time.perf_counter() - started, status


def pool_figures(pyodide: str, rows: list[dict]) -> None:
    """The sandbox pool alone: a job on a booted worker, and a worker's boot."""
    from minato_lite.sandbox import SandboxPool

    with SandboxPool(pyodide, workers=1, spares=1) as pool:
        pool.wait_warm()
        jobs = []
        for _ in range(5):
            started = time.perf_counter()
            result = pool.run(CHAT_CODE, rows)
            jobs.append(time.perf_counter() - started)
            assert result.ok, result.error
            pool.wait_warm()
        boots, warms = list(pool.boots), list(pool.warms)
    print(f"sandbox pool: job on a booted worker p50 {statistics.median(jobs):.2f} s; "
          f"a worker's boot (Pyodide, packages, pandas) p50 {statistics.median(boots):.1f} s "
          f"({60 / statistics.median(boots):.1f} boots per minute per core), then its warm "
          f"step (matplotlib) p50 {statistics.median(warms):.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--store", nargs="+", choices=("disk", "s3"), default=["disk"])
    parser.add_argument("--chat", action="store_true", help="the chat latency figures")
    parser.add_argument("--pyodide", help="the sandbox's Pyodide (default: the stand-in)")
    parser.add_argument("--baseline", type=Path,
                        help="--chat: also run the API from this checkout (a git worktree of "
                             "an older commit), in the same run, for ratios")  # fmt: skip
    parser.add_argument("--baseline-pyodide",
                        help="--chat: the baseline's Pyodide (default: the same)")  # fmt: skip
    args = parser.parse_args()
    if args.chat:
        from minato_lite.pyodide.choice import default_with_pandas

        pyodide = args.pyodide or str(default_with_pandas().folder)
        chat(dict(os.environ), pyodide, args.baseline, args.baseline_pyodide)
        return
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
                f"{figures['end_tree']:.0f} MiB",
                flush=True,
            )


if __name__ == "__main__":
    main()
