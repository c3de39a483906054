"""Publishing sites to S3 (a local SeaweedFS) against copying them to a folder.

Builds a folder of sites (the demo data as a CDN site and, when the scientific
stand-in is there, as a self-hosted offline site: together about 80 MB in
about 1,100 files), starts SeaweedFS on 127.0.0.1, and times in the same run:

* copy: `shutil.copytree` of the folder (the baseline);
* folder store: `FolderStore.put_many` (hard links for immutable files);
* S3: `S3Store.put_many` to a fresh prefix with gzip (the median of `--runs`
  are reported, like the two above), once without gzip, and a re-publish onto
  the first prefix (content-hashed assets skipped).

Everything runs on this machine's cores, SeaweedFS included, so the S3 figures
are CPU-bound here (boto3 spends about 3.5 ms of CPU per request, SeaweedFS
2-3 ms per small PUT), not a network measurement.

    .venv/bin/python benchmarks/store_upload.py [--site DIR ...] [--workers 8] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from minato_lite.store import FolderStore, Upload, folder_uploads  # noqa: E402
from minato_lite.store.s3 import S3Store  # noqa: E402
from tests.support.seaweedfs import running_seaweedfs  # noqa: E402


def scientific_dist() -> Path | None:
    given = os.environ.get("MINATO_PYODIDE_SCIENTIFIC")
    if given and Path(given).is_dir():
        return Path(given)
    found = sorted((REPO / ".cache").glob("pyodide-scientific-r*"))
    if not found:  # a worktree: the main checkout's cache
        common = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=REPO,
                                capture_output=True, text=True).stdout.strip()  # fmt: skip
        if common:
            main_cache = (REPO / common).resolve().parent / ".cache"
            found = sorted(main_cache.glob("pyodide-scientific-r*"))
    return found[-1] if found else None


def build_sites(out: Path) -> None:
    cli = [sys.executable, "-m", "minato_lite", "build", str(REPO / "examples/sales.csv"), "-q"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([*cli, "-o", str(out / "cdn")], check=True, env=env)
    dist = scientific_dist()
    if dist is not None:
        subprocess.run([*cli, "-o", str(out / "offline"), "--pyodide", str(dist), "--offline"],
                       check=True, env=env)  # fmt: skip
    else:
        print("(no scientific stand-in found: only the CDN site)")


def timed(label: str, action: Callable[[int], object], runs: int = 1) -> tuple[float, object]:
    """Median seconds of `runs` calls of `action(run)`, and the first call's result."""
    times, results = [], []
    for run in range(runs):
        start = time.perf_counter()
        results.append(action(run))
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    shown = " ".join(f"{t:.2f}" for t in times)
    print(f"  {label:<40} {seconds:7.2f} s   (runs: {shown})", flush=True)
    return seconds, results[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, action="append", help="folders to publish")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minato-store-bench-") as tmp_name:
        tmp = Path(tmp_name)
        source = tmp / "sites"
        if args.site:
            for site in args.site:
                shutil.copytree(site, source / site.name, symlinks=True)
        else:
            build_sites(source)
        files = [p for p in source.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        for path in files:  # warm the page cache for every contender alike
            path.read_bytes()
        print(f"publishing {size / 1e6:.1f} MB in {len(files)} files ({source})")
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        def copy(run: int) -> object:
            return shutil.copytree(source, tmp / f"copy{run}")

        copy_s, _ = timed("copy (shutil.copytree)", copy, args.runs)

        def to_folder(run: int) -> object:
            return FolderStore(tmp / f"folder-store{run}").put_many(folder_uploads(source))

        folder_s, _ = timed("folder store (put_many)", to_folder, args.runs)

        with running_seaweedfs(tmp / "seaweedfs") as server:
            print(f"SeaweedFS up in {server.started_in:.1f} s at {server.endpoint}")
            os.environ.update(server.env())

            def to_s3(run: int) -> object:
                store = S3Store(server.bucket, f"gzip{run}/", workers=args.workers)
                return store.put_many(folder_uploads(source))

            s3_s, result = timed(f"S3 put_many, gzip ({args.workers} workers)", to_s3, args.runs)
            plain = S3Store(server.bucket, "plain/", workers=args.workers)
            raw = [Upload(u.key, u.source, u.content_type, u.cache_control, False, u.if_absent)
                   for u in folder_uploads(source)]  # fmt: skip
            plain_s, _ = timed("S3 put_many, no gzip", lambda run: plain.put_many(raw))
            first = S3Store(server.bucket, "gzip0/", workers=args.workers)
            again_s, again = timed("S3 re-publish (hashed assets skipped)",
                                   lambda run: first.put_many(folder_uploads(source)))  # fmt: skip

        print(f"\nsent with gzip: {result.bytes_sent / 1e6:.1f} MB of {size / 1e6:.1f} MB "
              f"({len(result.uploaded)} objects); re-publish skipped {len(again.skipped)}, "
              f"sent {len(again.uploaded)}")  # fmt: skip
        print(f"S3 with gzip / copy:    {s3_s / copy_s:6.1f}x ({s3_s:.2f} s vs {copy_s:.2f} s)")
        print(f"S3 without gzip / copy: {plain_s / copy_s:6.1f}x ({plain_s:.2f} s)")
        print(f"S3 re-publish / copy:   {again_s / copy_s:6.1f}x ({again_s:.2f} s)")
        print(f"folder store / copy:    {folder_s / copy_s:6.1f}x ({folder_s:.2f} s)")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
