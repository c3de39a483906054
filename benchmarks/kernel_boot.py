"""Kernel boot with and without bytecode, in Deno with the distribution's own Pyodide.

A bare worker like the sandbox's (no JupyterLab, no IPython kernel): each run
is a fresh Deno process, against two distributions that differ only in
bytecode: `source` (wheels and standard library as the registries give them)
and `bytecode` (compiled at build time by `minato_lite.pyodide.bytecode`).

* first pandas output (when the distribution has pandas): spawn Deno ->
  `loadPyodide` -> load pandas -> read sales.csv -> print its shape (wall
  clock, plus the guest's own split);
* import IPython: a fresh process with ipython loaded, `import IPython` alone.

Runs alternate between the two; medians of `--runs` runs (after one warm-up
each), reported as ratios against the source run measured in this process.
Also counted: modules compiled from source during those imports (0 expected
with bytecode).

    python benchmarks/kernel_boot.py [--pyodide DIR] [--compiled DIR] [--runs N] [--json]

`--pyodide` is the source distribution (default: the default Pyodide with
pandas; when that one is already compiled, the stand-in is rebuilt without
bytecode in a temporary folder). `--compiled` defaults to a compiled copy of
it, made here (the compile time is reported).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import distribution  # noqa: E402
from minato_lite.pyodide.bytecode import (  # noqa: E402
    compile_distribution,
    find_deno,
    stdlib_is_compiled,
)
from minato_lite.pyodide.lockfile import LOCKFILE  # noqa: E402
from minato_lite.pyodide.scientific import STANDIN_VERSION, build_scientific  # noqa: E402

SALES = ROOT / "examples" / "sales.csv"
#: the guest: one measurement per process; prints one JSON line
PROBE = r"""
const encoder = new TextEncoder();
const log = (...parts) => Deno.stderr.writeSync(encoder.encode(parts.join(" ") + "\n"));
const config = JSON.parse(await new Response(Deno.stdin.readable).text());
const quiet = { messageCallback: () => {} };
const COUNT = `
import builtins, zipimport, importlib._bootstrap_external as external
_from_source = []
def _counting(source, filename, mode, *args, **kwargs):
    _from_source.append(filename)
    return builtins.compile(source, filename, mode, *args, **kwargs)
external.compile = zipimport.compile = _counting
`;
const t0 = performance.now();
const { loadPyodide } = await import(config.module);
const py = await loadPyodide({ indexURL: config.index, stdout: log, stderr: log });
const t1 = performance.now();
const out = { boot: (t1 - t0) / 1000 };
if (config.mode === "pandas") {
  await py.loadPackage(["pandas"], quiet);
  const t2 = performance.now();
  py.FS.writeFile("/home/pyodide/sales.csv", Deno.readFileSync(config.csv));
  py.runPython(COUNT);
  out.shape = py.runPython("import pandas\nstr(pandas.read_csv('/home/pyodide/sales.csv').shape)");
  const t3 = performance.now();
  Object.assign(out, { load: (t2 - t1) / 1000, read: (t3 - t2) / 1000, total: (t3 - t0) / 1000 });
} else {
  await py.loadPackage(["ipython"], quiet);
  py.runPython(COUNT);
  const t2 = performance.now();
  py.runPython("import IPython");
  out.import_ipython = (performance.now() - t2) / 1000;
}
out.from_source = py.runPython("len(_from_source)");
const reply = encoder.encode(JSON.stringify(out) + "\n");
let offset = 0;
while (offset < reply.length) offset += Deno.stdout.writeSync(reply.subarray(offset));
Deno.exit(0);
"""


def run_once(deno: str, probe: Path, dist: Path, mode: str, home: str) -> dict:
    command = [
        deno, "run", "--no-prompt", "--no-config", "--no-lock", "--no-npm",
        "--unstable-detect-cjs", "--deny-net", "--deny-import",
        f"--allow-read={dist},{SALES}", str(probe),
    ]  # fmt: skip
    config = {
        "module": (dist / "pyodide.mjs").as_uri(),
        "index": f"{dist}/",
        "csv": str(SALES),
        "mode": mode,
    }
    env = {"HOME": home, "DENO_DIR": str(Path(home) / "deno"), "NO_COLOR": "1"}
    env["DENO_NO_UPDATE_CHECK"] = "1"
    started = time.perf_counter()
    done = subprocess.run(
        command, input=json.dumps(config), capture_output=True, text=True, env=env, timeout=600
    )
    wall = time.perf_counter() - started
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines, done.stderr[-2000:]
    result = json.loads(lines[-1])
    result["wall"] = wall
    return result


def distributions(args: argparse.Namespace, work: Path) -> tuple[Path, Path, float | None]:
    """The source and the compiled distribution, and how long compiling took (if done here)."""
    given = distribution(args.pyodide)
    source = given
    if stdlib_is_compiled(given):
        lock = json.loads((given / LOCKFILE).read_text("utf-8"))
        if args.pyodide or lock["info"].get("version") != STANDIN_VERSION:
            sys.exit(f"{given} is already compiled: give an uncompiled distribution as --pyodide")
        print("the default stand-in is compiled: building it without bytecode for the baseline")
        rebuilt = build_scientific(work / "source", bytecode=False).folder
        assert rebuilt is not None
        source = rebuilt
        if args.compiled is None:
            return source, given, None
    if args.compiled:
        return source, Path(args.compiled).resolve(), None
    compiled = work / "bytecode"
    compiled.mkdir()
    for path in source.iterdir():  # hard links: compiling renames, never writes in place
        if path.is_file():
            os.link(path, compiled / path.name)
    started = time.perf_counter()
    compile_distribution(compiled)
    return source, compiled, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pyodide", help="the source distribution (folder or release tarball)")
    parser.add_argument("--compiled", help="its compiled counterpart (default: compiled here)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per variant")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    deno = find_deno()
    if deno is None:
        sys.exit("deno not installed: pip install deno")

    with tempfile.TemporaryDirectory(prefix="kernel-boot-") as tmp:
        work = Path(tmp)
        source, compiled, compile_seconds = distributions(args, work)
        probe = work / "probe.mjs"
        probe.write_text(PROBE, encoding="utf-8")
        variants = {"source": source, "bytecode": compiled}
        lock = json.loads((source / LOCKFILE).read_text("utf-8"))
        modes = ("pandas", "ipython") if "pandas" in lock["packages"] else ("ipython",)
        runs: dict[tuple[str, str], list[dict]] = {}
        for mode in modes:
            for dist in variants.values():  # warm-up: Deno's own caches, the page cache
                run_once(deno, probe, dist, mode, tmp)
            for _ in range(args.runs):
                for name, dist in variants.items():
                    runs.setdefault((mode, name), []).append(run_once(deno, probe, dist, mode, tmp))

    def median(mode: str, name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[(mode, name)])

    rows = [
        ("boot (loadPyodide)", "pandas", "boot"),
        ("load the pandas wheels", "pandas", "load"),
        ("import pandas + read CSV", "pandas", "read"),
        ("first pandas output (guest)", "pandas", "total"),
        ("first pandas output (wall)", "pandas", "wall"),
        ("import IPython", "ipython", "import_ipython"),
    ]
    table = {
        label: {
            "source": round(median(mode, "source", key), 3),
            "bytecode": round(median(mode, "bytecode", key), 3),
            "ratio": round(median(mode, "bytecode", key) / median(mode, "source", key), 2),
        }
        for label, mode, key in rows
        if mode in modes
    }
    from_source = {
        f"from source ({mode}), modules": {
            name: int(median(mode, name, "from_source")) for name in variants
        }
        for mode in modes
    }
    report = {
        "source": str(source),
        "bytecode": str(compiled),
        "runs": args.runs,
        "compile_seconds": None if compile_seconds is None else round(compile_seconds, 1),
        "seconds": table,
        "from_source": from_source,
        "shape": runs[("pandas", "bytecode")][0]["shape"] if "pandas" in modes else None,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"source:   {source}\nbytecode: {compiled}")
    if compile_seconds is not None:
        print(f"compiled here once in {compile_seconds:.1f} s")
    shape = f"; sales.csv shape {report['shape']}" if report["shape"] else "; no pandas here"
    print(f"medians of {args.runs} runs, seconds{shape}\n")
    print(f"{'':30} {'source':>8} {'bytecode':>9} {'ratio':>6}")
    for label, cells in table.items():
        print(f"{label:30} {cells['source']:8.2f} {cells['bytecode']:9.2f} {cells['ratio']:6.2f}")
    for label, counts in from_source.items():
        print(f"{label:30} {counts['source']:8d} {counts['bytecode']:9d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
