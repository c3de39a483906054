"""Where the pre-render's time goes: per section and per cell, on a warm executor.

The API and `batch` pre-render every site's `analysis.ipynb` and `explorer.ipynb`
on the warm executor (worker processes that imported pandas, matplotlib and
IPython before the first job). This script measures the same thing, split up:

* **per section and per cell** (wall and CPU seconds): the cells run in a worker
  made exactly as the executor makes one (`host_shell.make_shell`, the executor's
  `WORKER_ENV`, `host_shell.warm_up`), through `host_shell.run_job`, the function a
  worker runs for each job; each cell's clock stops when the job reports it.
  CPU is the worker's own (`time.process_time`), so it holds on a busy machine
  where wall time does not. The startup (loading the data into `df`) and the job's
  end (`run_job`'s clean-up, before the worker reports the job done) are rows of
  their own; "whole" is the job, both included.
* **end to end**: `prerender()` on a real `WarmExecutor`, the call the API makes
  (both notebooks, the outputs put back into them), wall and this process's CPU.

Every job runs once to warm up (a worker in service has run jobs before: font
caches, numpy's lazily imported parts), then `--runs` times; medians are shown.
The datasets:

* `penguins`: Palmer penguins, 344 rows of public data (species, island, four body
  measures, sex, year), from the `palmerpenguins` package: installed, else its
  wheel fetched once with pip into `.cache/bench-prerender` (or `--penguins-csv PATH`);
* `sales`: `examples/sales.csv`, 12 rows;
* `api-load`: the 1 MB of records `benchmarks/api_load.py` POSTs (12,595 rows).

    .venv/bin/python benchmarks/prerender_profile.py [--runs 3] [--datasets penguins sales
        api-load] [--analysis comprehensive] [--workers N] [--json out.json]
        [--compare before.json] [--no-end-to-end]

`--compare` prints a saved run's medians beside this one's (before/after a change).
The load average at the start and the end is printed and kept in the JSON: wall
times on a shared machine are only comparable at a similar load.
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
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SALES = REPO / "examples" / "sales.csv"
CACHE = REPO / ".cache" / "bench-prerender"
#: the package that ships the penguins' CSV (the one `findings_vs_profiling.py` pins)
PENGUINS = "palmerpenguins==0.1.6"
#: the sections of the analysis notebook, in notebook order (`notebooks/*.ipynb`)
SECTIONS = (
    "findings", "overview", "missing", "distributions", "correlations", "categories",
    "groups", "timeseries",
)  # fmt: skip
DATASETS = ("penguins", "sales", "api-load")
#: the mark after a job's last cell: `run_job`'s clean-up (the namespace reset), before
#: the worker tells the parent the job is done
TEARDOWN = -2


# ---- what is measured -------------------------------------------------------------------


def penguins_csv(given: str | None) -> Path | None:
    """The Palmer penguins CSV: as given, from the installed package, or taken out of
    the package's wheel (`pip download`, once, into `.cache/bench-prerender`)."""
    if given:
        return Path(given)
    try:
        import palmerpenguins  # type: ignore[import-not-found]

        return Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"
    except ImportError:
        pass
    target = CACHE / "penguins.csv"
    if not target.is_file():
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--dest", str(CACHE), PENGUINS]  # fmt: skip
        if subprocess.run(download).returncode != 0:
            return None
        [wheel] = CACHE.glob("palmerpenguins-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            target.write_bytes(archive.read("palmerpenguins/data/penguins.csv"))
    return target


def inputs(names: list[str], penguins: str | None) -> dict[str, Any]:
    """Each dataset asked for, as `prepare` takes it."""
    chosen: dict[str, Any] = {}
    for name in names:
        if name == "sales":
            chosen[name] = SALES
        elif name == "penguins":
            path = penguins_csv(penguins)
            if path is None or not path.is_file():
                print(f"penguins: skipped (no {PENGUINS}; --penguins-csv PATH to its CSV)")
                continue
            chosen[name] = path
        elif name == "api-load":
            from benchmarks.api_load import one_mb_records

            chosen[name] = {"data": one_mb_records()}
    return chosen


def section_of_cells(nb) -> list[str]:
    """The section each code cell of `nb` belongs to (`intro` before the first one).

    A template's parameters cell comes before its heading: it counts for the section
    that heading opens.
    """
    from minato_lite.notebooks.templates import section_heading

    headings = {section_heading(name): name for name in SECTIONS}
    labels: list[str] = []
    pending = 0  # code cells waiting for the next heading to name their section
    current = "intro"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                text = line.lstrip("#").strip() if line.startswith("#") else ""
                for heading, name in headings.items():
                    if text == heading or text.startswith(heading + ":"):
                        current = name
                        labels[len(labels) - pending :] = [name] * pending
                        pending = 0
            continue
        if cell.cell_type != "code":
            continue
        labels.append(current)
        if "parameters" in cell.metadata.get("tags", []):
            pending += 1
        elif pending:
            pending = 0
    return labels


def jobs_of(name: str, source: Any, analysis: str, root: Path) -> tuple[list[dict], Any]:
    """The two jobs the pre-render runs for one dataset (as the executor is sent them)."""
    from minato_lite.build import prepare
    from minato_lite.execute.place_outputs import code_cells
    from minato_lite.notebooks.builders import ANALYSIS_NOTEBOOK, EXPLORER_NOTEBOOK
    from minato_lite.notebooks.templates import BROWSER_ONLY
    from minato_lite.site.contents import STARTUP_FILE

    prepared = prepare(source if isinstance(source, dict) else [source], analysis=analysis)
    folder = root / name
    prepared.files.write(folder)
    jobs = []
    for doc in prepared.notebooks:
        if doc.path not in (ANALYSIS_NOTEBOOK, EXPLORER_NOTEBOOK):
            continue
        runnable = code_cells(doc.notebook, skip_tag=BROWSER_ONLY)
        if doc.path == ANALYSIS_NOTEBOOK:
            every = section_of_cells(doc.notebook)
            positions = code_cells(doc.notebook)
            sections = [every[positions.index(i)] for i in runnable]
        else:
            sections = ["explorer"] * len(runnable)
        cells = [doc.notebook.cells[i].source for i in runnable]
        jobs.append({"dataset": name, "notebook": doc.path, "folder": str(folder),
                     "startup": STARTUP_FILE, "cells": cells, "sections": sections})  # fmt: skip
    return jobs, prepared


# ---- the worker: made as the executor makes one -------------------------------------------


def child(plan_path: str, out_path: str) -> None:
    """Run the plan's jobs in this process, a worker made as `executor._worker_main` makes
    one, and write each cell's wall and CPU seconds per run to `out_path`."""
    from minato_lite.execute import host_shell

    shell = host_shell.make_shell()  # from here on stdout and stderr are captured
    warm_up = getattr(host_shell, "warm_up", None)  # as `_worker_main` does (older: pandas)
    if warm_up is not None:
        warm_up()
    else:
        import pandas  # noqa: F401

    plan = json.loads(Path(plan_path).read_text())
    results: list[list[dict]] = [[] for _ in plan["jobs"]]
    for run in range(plan["warmup"] + plan["runs"]):
        for number, job in enumerate(plan["jobs"]):
            marks: list[tuple[int, float, float, bool]] = []
            start = (time.perf_counter(), time.process_time())

            def report(index: int, _outputs: list, ok: bool, marks=marks) -> None:
                marks.append((index, time.perf_counter(), time.process_time(), ok))

            host_shell.run_job(shell, Path(job["folder"]), job["startup"], job["cells"], report)
            marks.append((TEARDOWN, time.perf_counter(), time.process_time(), True))
            if run < plan["warmup"]:
                continue
            previous = start
            cells = []
            for index, wall, cpu, ok in marks:
                cells.append({"index": index, "wall": wall - previous[0],
                              "cpu": cpu - previous[1], "ok": ok})  # fmt: skip
                previous = (wall, cpu)
            results[number].append({"cells": cells})
    Path(out_path).write_text(json.dumps(results))


def measure_cells(jobs: list[dict], runs: int) -> list[list[dict]]:
    """Per job, per run, per cell (startup first, index -1): wall and CPU seconds."""
    from minato_lite.execute.executor import WORKER_ENV

    with tempfile.TemporaryDirectory(prefix="minato-profile-") as tmp:
        plan, out = Path(tmp) / "plan.json", Path(tmp) / "out.json"
        plan.write_text(json.dumps({"jobs": jobs, "runs": runs, "warmup": 1}))
        env = {**os.environ, **WORKER_ENV, "PYTHONPATH": str(REPO)}
        subprocess.run([sys.executable, __file__, "--child", str(plan), str(out)],
                       check=True, env=env)  # fmt: skip
        return json.loads(out.read_text())


def measure_end_to_end(
    prepared: dict[str, Any], runs: int, workers: int
) -> dict[str, dict[str, float]]:
    """`prerender()` on a warm executor of `workers` workers, as the API makes one (one
    per core), per dataset: median wall and parent CPU seconds, and the executor's own
    seconds per notebook."""
    from minato_lite.execute.executor import WarmExecutor
    from minato_lite.execute.prerender import prerender

    figures: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with WarmExecutor(workers) as executor:
        for run in range(1 + runs):
            for name, ready in prepared.items():
                wall, cpu = time.perf_counter(), time.process_time()
                _docs, _files, reports = prerender(ready.notebooks, ready.files, executor)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if run == 0:
                    continue  # warm-up
                problems = [r.warning() for r in reports if r.warning()]
                if problems:
                    print(f"{name}: {problems}")
                figures[name]["prerender wall"].append(wall)
                figures[name]["prerender parent cpu"].append(cpu)
                for report in reports:
                    figures[name][f"{report.notebook} job"].append(report.seconds)
    return {
        name: {key: statistics.median(values) for key, values in by.items()}
        for name, by in figures.items()
    }


# ---- figures ------------------------------------------------------------------------------


def summarise(jobs: list[dict], measured: list[list[dict]]) -> dict[str, Any]:
    """Medians per dataset: per section, per notebook, and the ten slowest cells."""
    out: dict[str, Any] = {}
    for job, runs in zip(jobs, measured, strict=True):
        dataset = out.setdefault(job["dataset"], {"sections": {}, "notebooks": {}, "cells": []})
        explorer = job["notebook"] == "explorer.ipynb"
        per_run_section: dict[str, list[tuple[float, float]]] = defaultdict(list)
        per_cell: dict[int, list[tuple[float, float]]] = defaultdict(list)
        totals = []
        for run in runs:
            sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
            for cell in run["cells"]:
                index = cell["index"]
                if index == TEARDOWN:
                    key = "explorer job end" if explorer else "job end"
                elif index < 0:
                    key = "explorer startup" if explorer else "startup"
                else:
                    key = "explorer" if explorer else job["sections"][index]
                sums[key][0] += cell["wall"]
                sums[key][1] += cell["cpu"]
                per_cell[index].append((cell["wall"], cell["cpu"]))
            for key, (wall, cpu) in sums.items():
                per_run_section[key].append((wall, cpu))
            totals.append(
                (sum(c["wall"] for c in run["cells"]), sum(c["cpu"] for c in run["cells"]))
            )
        for key, values in per_run_section.items():
            dataset["sections"][key] = median_pair(values)
        dataset["notebooks"][job["notebook"]] = median_pair(totals)
        for index, values in per_cell.items():
            if index == TEARDOWN:
                continue
            source = "(startup: data loaded)" if index < 0 else job["cells"][index]
            first = next((s for s in source.splitlines() if s and not s.startswith("#")), "")
            section = ("explorer" if explorer else job["sections"][index]) if index >= 0 else (
                "explorer startup" if explorer else "startup")  # fmt: skip
            dataset["cells"].append({"notebook": job["notebook"], "cell": index,
                                     "section": section, "first line": first[:60],
                                     **median_pair(values)})  # fmt: skip
    for dataset in out.values():
        dataset["cells"].sort(key=lambda c: -c["wall"])
        dataset["cells"] = dataset["cells"][:10]
    return out


def median_pair(values: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "wall": statistics.median(v[0] for v in values),
        "cpu": statistics.median(v[1] for v in values),
    }


ROWS = ("startup", *SECTIONS, "intro", "job end", "explorer startup", "explorer",
        "explorer job end")  # fmt: skip


def row(label: str, now: dict | None, then: dict | None, *, compared: bool) -> None:
    """One line of a table: wall and CPU seconds, then the compared run's if there is one."""
    if now is None and then is None:
        return
    line = f"{label:28} " + (
        f"{now['wall']:7.3f} {now['cpu']:7.3f}" if now else f"{'-':>7} {'-':>7}"
    )
    if compared:
        line += " | " + (
            f"{then['wall']:11.3f} {then['cpu']:7.3f}" if then else f"{'-':>11} {'-':>7}"
        )
    print(line)


def print_tables(summary: dict, end_to_end: dict, before: dict | None) -> None:
    for name, dataset in summary.items():
        old = (before or {}).get("datasets", {}).get(name)
        print(f"\n== {name}: seconds, median of the runs (wall / CPU)")
        header = f"{'':28} {'wall':>7} {'cpu':>7}"
        if old:
            header += f" | {'before wall':>11} {'cpu':>7}"
        print(header)

        for key in ROWS:
            then = old["sections"].get(key) if old else None
            row(key, dataset["sections"].get(key), then, compared=bool(old))
        for notebook in ("analysis.ipynb", "explorer.ipynb"):
            then = old["notebooks"].get(notebook) if old else None
            row(f"whole {notebook}", dataset["notebooks"].get(notebook), then, compared=bool(old))
        e2e, e2e_old = end_to_end.get(name, {}), (before or {}).get("end_to_end", {}).get(name)
        if e2e:
            line = f"{'prerender() end to end':28} {e2e['prerender wall']:7.3f} {'':7}"
            if e2e_old:
                line += f" | {e2e_old['prerender wall']:11.3f}"
            print(line)
        print(f"\n   top 10 cells of {name} (wall / CPU s)")
        for cell in dataset["cells"]:
            print(
                f"   {cell['wall']:6.3f} {cell['cpu']:6.3f}  {cell['notebook'][:-6]:9} "
                f"#{cell['cell']:<3} {cell['section']:14} {cell['first line']}"
            )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--analysis", default="comprehensive")
    parser.add_argument("--penguins-csv", help="Palmer penguins' penguins.csv")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--compare", help="a JSON this script wrote: shown beside these figures")
    parser.add_argument("--no-end-to-end", action="store_true", help="skip prerender() timing")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1,
        help="the end-to-end executor's workers (default: one per core, as the API)",
    )  # fmt: skip
    args = parser.parse_args()

    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"{args.runs} runs, analysis {args.analysis}")  # fmt: skip
    chosen = inputs(args.datasets, args.penguins_csv)
    with tempfile.TemporaryDirectory(prefix="minato-profile-") as tmp:
        jobs, prepared = [], {}
        for name, source in chosen.items():
            made, prepared[name] = jobs_of(name, source, args.analysis, Path(tmp))
            jobs += made
        measured = measure_cells(jobs, args.runs)
    failed = {(job["dataset"], job["notebook"], cell["index"])
              for job, runs in zip(jobs, measured, strict=True)
              for run in runs for cell in run["cells"] if not cell["ok"]}  # fmt: skip
    if failed:  # a cell that raised stopped early: its time says nothing
        print(f"warning: cells that raised (dataset, notebook, cell): {sorted(failed)}")
    summary = summarise(jobs, measured)
    end_to_end = {} if args.no_end_to_end else measure_end_to_end(prepared, args.runs, args.workers)
    after = os.getloadavg()
    before = json.loads(Path(args.compare).read_text()) if args.compare else None
    print_tables(summary, end_to_end, before)
    print(f"\nload average at the end {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "load_average": {"start": load, "end": after}, "runs": args.runs,
            "analysis": args.analysis, "datasets": summary, "end_to_end": end_to_end,
        }, indent=1))  # fmt: skip
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
