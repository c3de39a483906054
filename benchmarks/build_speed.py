"""Build speed and disk: cold vs warm builds, a 50-site batch, disk per extra site.

Every figure is measured in this run, and the headline is a ratio against a
baseline measured in the same run: a plain `jupyter lite build` of the same
contents (what a site per analysis costs without minato-lite's app cache).
Pre-rendering (on by default) is measured against the same builds with
`--no-prerender`: through the CLI (one executor started per build) and
in-process with a warm executor (what `batch` and the API do).

    .venv/bin/python benchmarks/build_speed.py [--runs 3] [--baseline CHECKOUT]

`--baseline` times the two 50-site batches with another checkout's package
too (for example `git worktree add /tmp/base 56eb576`), taking turns with this
one's, on its own app cache warmed by one build first, and prints the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from minato_lite.build import prepare
from minato_lite.cache import cache_root

CLI = [sys.executable, "-m", "minato_lite"]


def timed(cmd: list[str], env: dict, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - start


def one_mb_csv(path: Path) -> Path:
    rng = random.Random(1)
    lines = ["id,when,region,amount,units,flag"]
    while sum(len(x) + 1 for x in lines) < 1_000_000:
        i = len(lines)
        lines.append(
            f"{i},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{rng.choice('NSEW')},"
            f"{rng.uniform(1, 999):.2f},{rng.randint(1, 40)},{rng.random() < 0.3}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def unique_bytes(site: Path) -> int:
    """Bytes a site adds on disk: files not shared by hard link with the app cache."""
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and p.stat().st_nlink == 1)


def warm_executor_builds(csv: Path, out: Path, env: dict, runs: int) -> tuple[float, float]:
    """Median seconds of in-process builds with a warm executor, and without pre-rendering."""
    os.environ["MINATO_LITE_CACHE"] = env["MINATO_LITE_CACHE"]
    from minato_lite import build_site
    from minato_lite.execute.executor import WarmExecutor

    with WarmExecutor() as executor:
        build_site([csv], out / "warmup", executor=executor)
        rendered, unrendered = [], []
        for i in range(runs):
            start = time.perf_counter()
            build_site([csv], out / f"r{i}", executor=executor)
            rendered.append(time.perf_counter() - start)
            start = time.perf_counter()
            build_site([csv], out / f"u{i}", prerender=False)
            unrendered.append(time.perf_counter() - start)
    return statistics.median(rendered), statistics.median(unrendered)


def batch_manifest(path: Path) -> Path:
    """50 small analyses, alternating the two bundled samples."""
    examples = Path(__file__).resolve().parent.parent / "examples"
    entries = [
        {"name": f"a{i:02d}",
         "inputs": [str(examples / ("sales.csv" if i % 2 else "data/sensor_events.csv"))]}
        for i in range(50)
    ]  # fmt: skip
    path.write_text(json.dumps({"analyses": entries}))
    return path


def batches(manifest: Path, out: Path, env: dict, cwd: Path | None = None) -> tuple[float, float]:
    """Seconds for the 50-site batch pre-rendered, and with `--no-prerender`."""
    for kind in ("batch", "bplain"):
        shutil.rmtree(out / kind, ignore_errors=True)
    rendered = timed([*CLI, "batch", str(manifest), "-o", str(out / "batch"), "-q"], env, cwd)
    plain = timed(
        [*CLI, "batch", str(manifest), "-o", str(out / "bplain"), "-q", "--no-prerender"], env, cwd
    )
    return rendered, plain


def baseline_env(checkout: Path, csv: Path, work: Path) -> dict:
    """`checkout`'s package first on the path, on its own app cache, warmed by one build.

    The commands then run from `checkout`: `python -m` puts the working folder
    before `PYTHONPATH`, so from this repository they would import this one.
    """
    cache = work / "base-cache"
    cache.mkdir()
    if (cache_root() / "wheels").exists():
        shutil.copytree(cache_root() / "wheels", cache / "wheels")
    path = os.pathsep.join(p for p in (str(checkout), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "MINATO_LITE_CACHE": str(cache), "PYTHONPATH": path}
    probe = [sys.executable, "-c", "import minato_lite; print(minato_lite.__file__)"]
    found = subprocess.run(probe, env=env, cwd=checkout, capture_output=True, text=True).stdout
    if not Path(found.strip()).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"the baseline imports {found.strip()!r}, not {checkout}'s package")
    timed([*CLI, "build", str(csv), "-o", str(work / "base-warmup"), "-q"], env, checkout)
    return env


def paired_batches(
    manifest: Path, work: Path, env: dict, runs: int, baseline: Path | None, csv: Path
) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """Medians of `runs` batch pairs, this checkout's and the baseline's taking turns."""
    base_env = baseline_env(baseline, csv, work) if baseline else None
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(runs):
        ours.append(batches(manifest, work, env))
        if baseline and base_env:
            theirs.append(batches(manifest, work / "base", base_env, baseline))

    def medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)

    return medians(ours), medians(theirs) if theirs else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout, for the batches' ratios")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minato-bench-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        cache.mkdir()
        if (cache_root() / "wheels").exists():  # reuse downloads; the app cache starts empty
            shutil.copytree(cache_root() / "wheels", cache / "wheels")
        env = {**os.environ, "MINATO_LITE_CACHE": str(cache)}
        csv = one_mb_csv(work / "big.csv")

        cold = timed([*CLI, "build", str(csv), "-o", str(work / "cold"), "-q"], env)
        warm = [
            timed([*CLI, "build", str(csv), "-o", str(work / f"w{i}"), "-q"], env)
            for i in range(args.runs)
        ]
        warm_plain = [
            timed([*CLI, "build", str(csv), "-o", str(work / f"n{i}"), "-q", "--no-prerender"], env)
            for i in range(args.runs)
        ]
        in_process = warm_executor_builds(csv, work / "inproc", env, args.runs)

        # baseline: the same contents through a plain `jupyter lite build`
        lite = work / "lite"
        prepare([csv]).files.write(lite / "files")
        shutil.copytree(
            Path(__file__).resolve().parent.parent / "lite-config", lite, dirs_exist_ok=True
        )
        plain = []
        for i in range(args.runs):
            out = work / "plain" / f"p{i}"
            plain.append(
                timed(
                    [
                        sys.executable,
                        "-m",
                        "jupyterlite_core",
                        "build",
                        "--lite-dir",
                        str(lite),
                        "--contents",
                        str(lite / "files"),
                        "--output-dir",
                        str(out),
                    ],
                    env,
                )
            )

        manifest = batch_manifest(work / "batch.json")
        (batch, batch_plain), base = paired_batches(
            manifest, work, env, args.runs, args.baseline, csv
        )

        site = work / "batch" / "a01"
        specific = sum(p.stat().st_size for p in (site / "files").rglob("*") if p.is_file())
        extra = unique_bytes(site)
        total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())

    warm_s, plain_s = statistics.median(warm), statistics.median(plain)
    unrendered_s = statistics.median(warm_plain)
    print(f"cold build (empty app cache, 1 MB CSV): {cold:6.2f} s")
    print(f"warm build (1 MB CSV), median of {args.runs}:  {warm_s:6.2f} s (pre-rendered)")
    print(f"warm build --no-prerender, median of {args.runs}: {unrendered_s:6.2f} s")
    print(f"plain jupyter lite build, median of {args.runs}: {plain_s:6.2f} s  (baseline)")
    print(f"warm --no-prerender / plain: {unrendered_s / plain_s:.2f}x  (target <= 0.25x)")
    print(f"CLI build pre-rendered / --no-prerender: {warm_s / unrendered_s:.2f}x")
    with_s, without_s = in_process
    print(
        f"in-process, warm executor: {with_s:.2f} s pre-rendered vs {without_s:.2f} s without: "
        f"{with_s / without_s:.2f}x  (issue target <= 2x)"
    )
    print(f"batch of 50 small analyses, pre-rendered, median of {args.runs}: {batch:6.2f} s  "
          "(issue target < 40 s)")  # fmt: skip
    print(f"batch of 50, --no-prerender, median of {args.runs}: {batch_plain:6.2f} s  "
          "(issue target < 5 s)")  # fmt: skip
    if base:
        print(f"baseline {args.baseline}: pre-rendered {base[0]:6.2f} s ({batch / base[0]:.2f}x), "
              f"--no-prerender {base[1]:6.2f} s ({batch_plain / base[1]:.2f}x)")  # fmt: skip
    print(
        f"disk per extra site: {extra / 1024:.0f} KiB unique of {total / 1024**2:.1f} MiB "
        f"apparent; its data + notebooks: {specific / 1024:.0f} KiB "
        f"(target: data + notebooks + at most 2 MiB)"
    )


if __name__ == "__main__":
    main()
