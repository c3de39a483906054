"""minato's findings against ydata-profiling's alerts on public data sets.

For every alert type both tools have, print ydata-profiling's count, how many of
those minato also states (same kind, same column: recall), and what minato states
that ydata-profiling does not; then recall over all shared types (goal: 90 %).
Also checks that no identifier or constant column reaches minato's correlations.

The data sets come from data packages on the registries we reach, bundled inside
them (no download at run time): palmerpenguins, vega_datasets' local files,
scikit-learn's and statsmodels' bundled tables. Each is written to CSV and read
back with `minato_lite.inputs.readers.load_inputs`, exactly as a site reads its input,
so both tools see the same frame.

ydata-profiling (4.18.4) and the data packages live in their own virtual
environment, `.cache/bench-ydata/venv`, created on first run, so their pins never
meet the project's: this script runs minato in the project's Python and ydata in
a subprocess of that environment, which answers in JSON.

    .venv/bin/python benchmarks/findings_vs_profiling.py [--only penguins,iris]

Matching rules (printed with the table):
* an alert (kind, column) is recalled when minato has a finding of the same kind
  naming that column; ydata's table-wide "duplicates" matches minato's.
* equivalences, shown in a second column: minato's ``identifier`` states that every
  value is distinct, so it counts for ydata's ``unique``; minato's
  ``group_difference`` is the categorical-number form of an association, so it
  counts for ydata's ``high_correlation`` (ydata uses Cramer's V there); and a
  column's trend over a time axis (``non_stationary``, naming both) is its
  correlation with that axis, which minato treats as time, not as a quantity (a
  ``year`` column), so it counts for ydata's ``high_correlation`` on either.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / ".cache" / "bench-ydata"
VENV = WORK / "venv"
PACKAGES = [
    "ydata-profiling==4.18.4",
    "vega_datasets==0.9.0",
    "palmerpenguins==0.1.6",
    "scikit-learn",
    "statsmodels",
    "pyarrow",
]
#: name -> (package, how to get the frame) evaluated inside the ydata environment
DATASETS = {
    "penguins": "__import__('palmerpenguins').load_penguins()",
    "iris": "local_data.iris()",
    "cars": "local_data.cars()",
    "seattle_weather": "local_data.seattle_weather()",
    "stocks": "local_data.stocks()",
    "airports": "local_data.airports()",
    "barley": "local_data.barley()",
    "iowa_electricity": "local_data.iowa_electricity()",
    "wine": "sklearn_datasets.load_wine(as_frame=True).frame",
    "breast_cancer": "sklearn_datasets.load_breast_cancer(as_frame=True).frame",
    "diabetes": "sklearn_datasets.load_diabetes(as_frame=True, scaled=False).frame",
    "macrodata": "sm_datasets.macrodata.load_pandas().data",
    "fair": "sm_datasets.fair.load_pandas().data",
}
#: minato kinds that state what a ydata alert type states, besides the same name
EQUIVALENT = {
    "unique": {"identifier"},
    "high_correlation": {"group_difference", "non_stationary"},
}
QUIET = {**os.environ, "YDATA_PROFILING_NO_ANALYTICS": "True", "PYTHONWARNINGS": "ignore"}


# --------------------------------------------------------------------------- ydata side


def export_datasets(folder: Path, names: list[str]) -> None:
    """(In the ydata environment.) Write each data set as CSV, its index dropped."""
    from sklearn import datasets as sklearn_datasets  # noqa: F401  (used by DATASETS)
    from statsmodels import datasets as sm_datasets  # noqa: F401
    from vega_datasets import local_data  # noqa: F401

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        frame = eval(DATASETS[name])  # a fixed expression from this file, not input
        frame.to_csv(folder / f"{name}.csv", index=False)


def profile_alerts(folder: Path, names: list[str]) -> dict:
    """(In the ydata environment.) ydata-profiling's alerts per data set, as JSON data."""
    import pandas as pd
    from ydata_profiling import ProfileReport

    out = {}
    for name in names:
        frame = pd.read_parquet(folder / f"{name}.parquet")
        start = time.perf_counter()
        description = ProfileReport(frame, progress_bar=False).get_description()
        seconds = time.perf_counter() - start
        alerts = [
            [a.alert_type.name.lower(), a.column_name, list((a.values or {}).get("fields") or [])]
            for a in description.alerts
        ]
        types = {str(k): v["type"] for k, v in description.variables.items()}
        out[name] = {"alerts": alerts, "seconds": seconds, "types": types}
    return out


# --------------------------------------------------------------------------- project side


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} with {', '.join(PACKAGES)} (once)")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    check = [str(python), "-c", "import ydata_profiling, vega_datasets, palmerpenguins, sklearn"]
    if subprocess.run(check, capture_output=True, env=QUIET).returncode != 0:
        pip = [str(python), "-m", "pip", "install", "--quiet", *PACKAGES]
        subprocess.run(pip, check=True)
    return python


def in_venv(python: Path, mode: str, folder: Path, names: list[str]) -> str:
    command = [str(python), str(Path(__file__).resolve()), mode, str(folder), ",".join(names)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=QUIET)
    return done.stdout


def cached_profiles(python: Path, csv_folder: Path, frames_folder: Path, names: list[str]):
    """ydata's alerts, recomputed only for data sets whose CSV changed (a profile of the
    569 x 31 breast-cancer table takes minutes)."""
    cache_file = WORK / "ydata-alerts.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    keys = {n: hashlib.sha256((csv_folder / f"{n}.csv").read_bytes()).hexdigest() for n in names}
    stale = [n for n in names if cache.get(n, {}).get("csv_sha256") != keys[n]]
    if stale:
        fresh = json.loads(in_venv(python, "--profile", frames_folder, stale))
        for n in stale:
            cache[n] = {**fresh[n], "csv_sha256": keys[n]}
        cache_file.write_text(json.dumps(cache, indent=1))
    return {n: cache[n] for n in names}


def minato_side(csv_folder: Path, frames_folder: Path, names: list[str]) -> dict:
    from minato_lite.inputs.readers import load_inputs
    from minato_lite.runtime.minato import insights as findings
    from minato_lite.runtime.minato import semantic

    frames_folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in names:
        [dataset] = load_inputs([csv_folder / f"{name}.csv"])
        frame = dataset.frame
        frame.to_parquet(frames_folder / f"{name}.parquet", index=False)
        start = time.perf_counter()
        found = findings.findings(frame, budget=findings.Budget(max_findings=None))
        seconds = time.perf_counter() - start
        shown = findings.findings(frame)  # the default budget: the strongest 50
        out[name] = {
            "findings": [f for f in found if f["kind"] != "note"],
            "default": [f for f in shown if f["kind"] != "note"],
            "notes": [f["text"] for f in found if f["kind"] == "note"],
            "types": {k: v["type"] for k, v in semantic.column_types(frame).items()},
            "seconds": seconds,
            "shape": frame.shape,
        }
    return out


def stated(findings: list[dict], kinds: set[str]) -> set[str | None]:
    """Columns named by findings of these kinds (None: a table-wide finding)."""
    out: set[str | None] = set()
    for f in findings:
        if f["kind"] in kinds:
            out.update(f["columns"] or [None])
    return out


def compare(minato: dict, ydata: dict) -> None:
    shared: dict[str, dict[str, int]] = {}
    details: list[str] = []
    only: dict[str, list[str]] = {}
    for name in minato:
        found, alerts = minato[name]["findings"], ydata[name]["alerts"]
        for kind, column, fields in alerts:
            if kind not in SHARED:
                continue
            row = shared.setdefault(kind, {"ydata": 0, "same": 0, "equivalent": 0, "extra": 0})
            row["ydata"] += 1
            if column in stated(found, {kind}):
                row["same"] += 1
                row["equivalent"] += 1
            elif column in stated(found, {kind} | EQUIVALENT.get(kind, set())):
                row["equivalent"] += 1
            else:
                with_ = f" with {', '.join(map(str, fields))}" if fields else ""
                details.append(f"  missed {kind:17} {name}.{column}{with_} (ydata type "
                               f"{ydata[name]['types'].get(str(column), '-')}, minato type "
                               f"{minato[name]['types'].get(str(column), '-')})")  # fmt: skip
        flagged = {(k, c) for k, c, _fields in alerts}
        for kind in sorted(SHARED):
            # what each finding is about (a trend's time axis is not a statement about it)
            subjects: set[str | None] = set()
            for f in found:
                if f["kind"] == kind:
                    subjects.update(
                        f["columns"][:1] if kind in TIME_KINDS else f["columns"] or [None]
                    )
            for column in sorted(subjects, key=str):
                if (kind, column) not in flagged:
                    row = shared.setdefault(
                        kind, {"ydata": 0, "same": 0, "equivalent": 0, "extra": 0}
                    )
                    row["extra"] += 1
                    only.setdefault(kind, []).append(f"{name}.{column}" if column else name)
    print(f"\n{'alert type':17} {'ydata':>6} {'minato same':>12} {'+ equivalent':>13} "
          f"{'recall':>7} {'minato only':>12}")  # fmt: skip
    totals = {"ydata": 0, "same": 0, "equivalent": 0, "extra": 0}
    for kind in sorted(shared):
        row = shared[kind]
        for key in totals:
            totals[key] += row[key]
        recall = f"{row['equivalent'] / row['ydata']:.0%}" if row["ydata"] else "-"
        print(f"{kind:17} {row['ydata']:6} {row['same']:12} {row['equivalent']:13} {recall:>7} "
              f"{row['extra']:12}")  # fmt: skip
    print(f"{'all shared types':17} {totals['ydata']:6} {totals['same']:12} "
          f"{totals['equivalent']:13} {totals['equivalent'] / max(1, totals['ydata']):>7.0%} "
          f"{totals['extra']:12}")  # fmt: skip
    strict = totals["same"] / max(1, totals["ydata"])
    print(f"recall, same kind only: {strict:.0%}; with the equivalences: "
          f"{totals['equivalent'] / max(1, totals['ydata']):.0%} (goal 90%)")  # fmt: skip
    if details:
        print("\nydata alerts minato does not state:")
        print("\n".join(details))
    if only:
        print("\nminato states, ydata-profiling does not (kind: data set.column):")
        for kind in sorted(only):
            print(f"  {kind} ({len(only[kind])}): {', '.join(only[kind])}")


def recall(minato: dict, ydata: dict) -> tuple[int, int, int]:
    """(same kind, with equivalences, ydata alerts) over the shared alert types."""
    same = equivalent = total = 0
    for name in minato:
        found = minato[name]["findings"]
        for kind, column, _fields in ydata[name]["alerts"]:
            if kind not in SHARED:
                continue
            total += 1
            same += column in stated(found, {kind})
            equivalent += column in stated(found, {kind} | EQUIVALENT.get(kind, set()))
    return same, equivalent, total


def findings_default() -> int | None:
    from minato_lite.runtime.minato import insights

    return insights.Budget().max_findings


def check_correlations(minato: dict) -> bool:
    """No identifier or constant column in minato's high_correlation findings."""
    bad = []
    for name, result in minato.items():
        excluded = {k for k, t in result["types"].items() if t in ("identifier", "constant")}
        for f in result["findings"]:
            if f["kind"] == "high_correlation" and excluded & set(f["columns"]):
                bad.append(f"{name}: {f['text']}")
    print(f"\nidentifier or constant columns in high_correlation findings: {len(bad)}")
    for line in bad:
        print("  " + line)
    return not bad


TIME_KINDS = {"non_stationary", "seasonal"}
#: ydata alert types minato also has (the kinds are named after them)
SHARED = {
    "constant",
    "duplicates",
    "high_cardinality",
    "high_correlation",
    "imbalance",
    "infinite",
    "missing",
    "non_stationary",
    "seasonal",
    "skewed",
    "uniform",
    "unique",
    "zeros",
}


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] in ("--export", "--profile"):
        folder, names = Path(sys.argv[2]), sys.argv[3].split(",")
        if sys.argv[1] == "--export":
            export_datasets(folder, names)
        else:
            print(json.dumps(profile_alerts(folder, names)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated data set names")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(DATASETS)
    python = ensure_venv()
    csv_folder, frames_folder = WORK / "csv", WORK / "frames"
    in_venv(python, "--export", csv_folder, names)
    minato = minato_side(csv_folder, frames_folder, names)
    ydata = cached_profiles(python, csv_folder, frames_folder, names)

    print(f"{'data set':17} {'rows x cols':>12} {'ydata alerts':>13} {'minato findings':>16} "
          f"{'ydata s':>8} {'minato s':>9}")  # fmt: skip
    for name in names:
        rows, cols = minato[name]["shape"]
        print(f"{name:17} {f'{rows}x{cols}':>12} {len(ydata[name]['alerts']):13} "
              f"{len(minato[name]['findings']):16} {ydata[name]['seconds']:8.1f} "
              f"{minato[name]['seconds']:9.3f}")  # fmt: skip
    compare(minato, ydata)
    top = {n: {**r, "findings": r["default"]} for n, r in minato.items()}
    same, equivalent, total = recall(top, ydata)
    print(f"\nwith the default budget ({findings_default()} findings per table): "
          f"recall {same / max(1, total):.0%} same kind, {equivalent / max(1, total):.0%} "
          "with the equivalences")  # fmt: skip
    ok = check_correlations(minato)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
