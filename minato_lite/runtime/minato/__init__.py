"""minato: the site's datasets, inside the kernel.

This package ships inside every minato-lite site (next to `data/`) and runs in
the browser's Pyodide kernel; the same code runs under CPython when a site's
notebooks are checked. It uses only the standard library until `load()` is
called, so listing and reading records works in any Python distribution.

    import minato
    minato.datasets()          # names of the site's datasets
    minato.records("sales")    # rows as dicts, standard library only
    df = minato.load("sales")  # pandas DataFrame with the original dtypes
    minato.findings("sales")   # ranked key findings (minato.insights), as dicts
    minato.column_types("sales")  # what each column is for analysis (minato.semantic)
"""

from __future__ import annotations

import copy
import csv
import json
import os
import sys
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_DIR",
    "IN_BROWSER",
    "MissingPackageError",
    "column_types",
    "compare_groups",
    "datasets",
    "ensure",
    "findings",
    "info",
    "load",
    "load_all",
    "measures",
    "numbers",
    "path",
    "records",
    "title",
    "unique_columns",
]

IN_BROWSER = sys.platform == "emscripten"
#: the site's `data/` folder sits beside this package (`/drive/data` in the browser)
DATA_DIR = Path(
    os.environ.get("MINATO_DATA_DIR") or Path(__file__).resolve().parent.parent / "data"
)
CATALOG = "catalog.json"

_INT_PREFIXES = ("int", "uint", "Int", "UInt")


class MissingPackageError(ImportError):
    """A package the call needs is not in this Python distribution."""


_catalog_cache: dict[str, Any] | None = None


def _catalog() -> dict[str, Any]:
    """The site's catalog, read once per kernel.

    In the browser every read under /drive is a round trip from the kernel's worker
    to the page, and the catalog is consulted by nearly every call here.
    """
    global _catalog_cache
    if _catalog_cache is None:
        with open(DATA_DIR / CATALOG, encoding="utf-8") as handle:
            _catalog_cache = json.load(handle)
    return _catalog_cache


def _entries() -> list[dict[str, Any]]:
    return _catalog()["datasets"]


def title() -> str:
    """The analysis title given at build time."""
    return _catalog().get("title", "")


def datasets() -> list[str]:
    """Names of the datasets in this site, in build order."""
    return [entry["name"] for entry in _entries()]


def info(name: str | None = None) -> dict[str, Any]:
    """The catalog entry of a dataset: label, source file, rows, column schema."""
    entries = _entries()
    if not entries:
        raise LookupError("this site has no datasets")
    for entry in entries:
        if name is None or entry["name"] == name:
            return copy.deepcopy(entry)  # callers may change it; the cached catalog stays
    raise LookupError(f"no dataset named {name!r}; available: {', '.join(datasets())}")


def path(name: str | None = None) -> str:
    """Path of the dataset's CSV file as the kernel sees it."""
    return str(DATA_DIR / info(name)["file"])


def _plain_value(text: str, column: dict[str, Any]) -> Any:
    """One CSV field as a plain Python value, following the column's dtype."""
    if text == "":
        return None
    dtype = column["dtype"]
    if dtype == "category":
        dtype = column.get("categories_dtype", "str")
    if dtype.startswith(_INT_PREFIXES):
        return int(text)
    if dtype.startswith(("float", "Float")):
        return float(text)
    if dtype in ("bool", "boolean"):
        return text == "True"
    if dtype.startswith("datetime64"):
        return datetime.fromisoformat(text)
    if dtype.startswith("timedelta64"):
        return _parse_timedelta(text)
    return text


def _parse_timedelta(text: str) -> timedelta:
    days, _, clock = text.partition(" days ")
    if not clock:
        days, clock = "0", text
    sign = -1 if clock.startswith("-") else 1
    hours, minutes, seconds = clock.lstrip("-").split(":")
    return timedelta(days=int(days)) + sign * timedelta(
        hours=int(hours), minutes=int(minutes), seconds=float(seconds)
    )


def records(name: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, using only the standard library.

    Duplicate column names are kept apart by suffixing `.1`, `.2`, as pandas does.
    """
    entry = info(name)
    columns = entry["columns"]
    keys = _unique_keys([c["name"] for c in columns])
    out: list[dict[str, Any]] = []
    with open(DATA_DIR / entry["file"], encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows, None)  # header: names come from the schema, which keeps duplicates apart
        for row in rows:
            if limit is not None and len(out) >= limit:
                break
            out.append({k: _plain_value(v, c) for k, v, c in zip(keys, row, columns, strict=True)})
    return out


def _unique_keys(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        key = name
        while key in seen:
            seen[name] += 1
            key = f"{name}.{seen[name]}"
        seen.setdefault(key, 0)
        keys.append(key)
    return keys


def _pandas():
    try:
        import pandas
    except ImportError:
        where = (
            "this Pyodide distribution has no pandas: rebuild the site without --pyodide "
            "(public CDN) or with a full Pyodide release (--pyodide pyodide-<version>.tar.bz2)"
            if IN_BROWSER
            else "install it with: pip install pandas"
        )
        raise MissingPackageError(f"minato.load needs pandas; {where}") from None
    return pandas


def _convert(pd, raw, column: dict[str, Any]):
    """Rebuild one column from its CSV text following the schema's dtype."""
    dtype = column["dtype"]
    if dtype == "category":
        categories = _convert(
            pd, pd.Series(column["categories"], dtype=object), {"dtype": column["categories_dtype"]}
        )
        values = _convert(pd, raw, {"dtype": column["categories_dtype"]})
        cat_type = pd.CategoricalDtype(categories=list(categories), ordered=column["ordered"])
        return values.astype(cat_type)
    if dtype in ("bool", "boolean"):
        return raw.map({"True": True, "False": False}).astype(dtype)
    if dtype.startswith(_INT_PREFIXES) or dtype.startswith(("float", "Float")):
        numbers = pd.to_numeric(raw)
        return numbers.astype(dtype)
    if dtype.startswith("datetime64"):
        if "," in dtype:  # timezone-aware: parse as UTC, then convert back to its zone
            stamps = pd.to_datetime(raw, utc=True, format="ISO8601")
            zone = dtype.split(",", 1)[1].rstrip("]").strip()
            return stamps.dt.tz_convert(zone).astype(dtype)
        return pd.to_datetime(raw, format="ISO8601").astype(dtype)
    if dtype.startswith("timedelta64"):
        return pd.to_timedelta(raw).astype(dtype)
    if dtype == "object" or (dtype == "str" and _pandas_major(pd) < 3):
        # pandas 3's "str" (text, missing as NaN) is object text in pandas 2, where
        # astype("str") would turn each missing value into the string "nan"
        return raw.astype(object)
    return raw.astype(dtype)


def _pandas_major(pd) -> int:
    return int(pd.__version__.split(".", 1)[0])


#: a dataset whose file is at most this big is kept after its first `load()` (see there)
LOAD_CACHE_BYTES = 32 * 1024 * 1024
#: a dataset's file -> ((mtime_ns, size) of the file when read, the frame read)
_loaded: dict[str, tuple[tuple[int, int], Any]] = {}


def load(name: str | None = None):
    """The dataset as a pandas DataFrame with the dtypes it had on the host.

    Every call returns a frame of its own, to change at will. A dataset whose file
    is at most `LOAD_CACHE_BYTES` is parsed once per kernel and each later call
    gets a copy: every section of the analysis loads its dataset again, and parsing
    the CSV and rebuilding the dtypes costs 50 to 300 times the copy. A larger file
    is read on every call, so that the kernel never holds a second copy of a big
    table (the browser's memory is the tight one). A file changed since it was read
    (its time or size) is read again.
    """
    pd = _pandas()
    entry = info(name)
    file = DATA_DIR / entry["file"]
    stat = file.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    kept = _loaded.get(str(file))
    if kept is not None and kept[0] == stamp:
        return kept[1].copy()
    frame = _read(pd, entry, file)
    if stat.st_size <= LOAD_CACHE_BYTES:
        _loaded[str(file)] = (stamp, frame.copy())
    return frame


def _read(pd, entry: dict[str, Any], file: Path):
    """Parse a dataset's CSV file and rebuild its columns' dtypes from the catalog."""
    columns = entry["columns"]
    raw = pd.read_csv(
        file,
        dtype=object,
        keep_default_na=False,
        na_values=[""],
        header=0,
        names=list(range(len(columns))),
        encoding="utf-8",
    )
    frame = pd.DataFrame(
        {i: _convert(pd, raw[i], column) for i, column in enumerate(columns)},
        index=pd.RangeIndex(len(raw)),
    )
    frame.columns = [c["name"] for c in columns]
    frame.attrs["minato_name"] = entry["name"]
    return frame


def measures(name: str | None = None) -> list[str]:
    """Names of the dataset's columns to chart and compare as quantities, in column order:
    numbers that are not keys, flags, codes, constants or years. Standard library only.

    The build stored each column's semantic type in the catalog (`minato.semantic`);
    a site without them (an older build) falls back to the number dtypes. The first
    column of each name counts, as `unique_columns` keeps it.
    """
    seen: dict[str, bool] = {}
    for column in info(name)["columns"]:
        kind = column.get("semantic")
        if kind is None:
            dtype = column["dtype"]
            quantity = dtype.startswith((*_INT_PREFIXES, "float", "Float", "timedelta64"))
        else:
            quantity = kind == "numeric"
        seen.setdefault(column["name"], quantity)
    return [column for column, quantity in seen.items() if quantity]


def numbers(frame):
    """Columns as floats for statistics and plots: booleans 0/1, durations in seconds,
    missing and infinite values as NaN."""
    pd = _pandas()
    out = {}
    for name in frame.columns.unique():
        column = frame[name]
        if getattr(column.dtype, "kind", "") == "m":
            column = column.dt.total_seconds()
        column = pd.to_numeric(column.astype(object), errors="coerce").astype(float)
        out[name] = column.where(column.abs() != float("inf"))
    return pd.DataFrame(out, index=frame.index)


def unique_columns(frame):
    """The frame without repeated column names (the first of each is kept)."""
    return frame.loc[:, ~frame.columns.duplicated()]


def column_types(name: str | None = None) -> dict[str, dict[str, Any]]:
    """Semantic type of each column of a dataset (identifier, numeric_text, datetime, ...),
    keyed by column name ("a.1" for a second "a"); see `minato.semantic`."""
    from . import semantic  # pandas and numpy: imported on first use, not at kernel start

    return semantic.column_types(load(name))


def findings(name: str | None = None) -> list[dict[str, Any]]:
    """Ranked key findings about a dataset: one sentence each, with the numbers behind
    it; see `minato.insights` for the kinds and thresholds."""
    from . import insights  # pandas and numpy: imported on first use, not at kernel start

    return insights.findings(load(name))


def compare_groups(name: str | None = None, by: str | None = None) -> dict[str, Any] | None:
    """The dataset's numeric columns across the groups of one categorical column (by
    default the one the findings use): group means, sizes and effect sizes computed as
    the ``group_difference`` findings are; see `minato.insights.compare_groups`."""
    from . import insights

    return insights.compare_groups(load(name), by)


def load_all() -> dict[str, Any]:
    """Every dataset by name, as DataFrames."""
    return {name: load(name) for name in datasets()}


async def ensure(*packages: str) -> None:
    """Install packages the site ships as wheels (for example ipywidgets) in the browser.

    Under CPython this does nothing: the packages are expected to be installed.
    """
    if IN_BROWSER:
        import piplite

        await piplite.install(list(packages))


#: `data` (records as dicts) is preloaded only up to this many cells: a list of dicts
#: takes several times the memory and time of the DataFrame holding the same rows
DATA_PRELOAD_CELLS = 500_000
#: "0" in this environment variable: no `data` at startup. Set only by the host's warm
#: executor (`minato_lite.execute.executor.WORKER_ENV`), which runs minato-lite's own
#: notebooks alone, none of which reads `data` (`df`, `frames` and `load()` are theirs);
#: the records cost more than the DataFrame they hold (35 ms for 12,600 rows x 5)
PRELOAD_RECORDS = "MINATO_PRELOAD_RECORDS"


def _preload_records(namespace: dict[str, Any]) -> None:
    """`data`: the first dataset's rows as dicts, as a page that got `data: [...]` had them.

    LLM code written for such a page (`pd.DataFrame(data)`) then runs unchanged.
    """
    entries = _entries()
    if not entries:
        return
    first = entries[0]
    cells = first["rows"] * max(1, len(first["columns"]))
    if cells > DATA_PRELOAD_CELLS:
        print(
            f"minato: `data` is not preloaded ({first['rows']:,} rows is large); "
            f"use df or minato.records({first['name']!r})"
        )
        return
    if os.environ.get(PRELOAD_RECORDS) == "0":  # the host's pre-rendering: see PRELOAD_RECORDS
        return
    namespace["data"] = records(first["name"])


def _quiet_missing_glyphs() -> None:
    """Drop matplotlib's per-glyph warnings for labels its bundled font cannot draw.

    Pyodide ships only DejaVu, so a Japanese or emoji column name draws as boxes and,
    without this, buries each chart under one warning per character, twice.
    """
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from", category=UserWarning)


def _cwd_last_on_sys_path() -> None:
    """Look for modules in the working folder after the installed ones, not before.

    In the browser the working folder is /drive, where every look-up is a round trip
    from the kernel's worker to the page; with it first on sys.path, each new import
    (pandas alone brings dozens) pays one. Local modules stay importable, but no longer
    shadow the standard library or installed packages.
    """
    if not IN_BROWSER:
        return
    here = {"", ".", os.getcwd()}
    local = [entry for entry in sys.path if entry in here]
    if local:
        sys.path[:] = [entry for entry in sys.path if entry not in here] + local


def _startup(namespace: dict[str, Any]) -> None:
    """Run by the kernel's PYTHONSTARTUP: put `minato`, `data`, `df` and `frames` in the
    namespace.

    Never raises: a kernel that fails to start is worse than one without `df`.
    """
    namespace["minato"] = sys.modules[__name__]
    _cwd_last_on_sys_path()
    _quiet_missing_glyphs()
    try:
        _preload_records(namespace)
    except Exception as exc:  # pragma: no cover - reported, and df may still load
        print(f"minato: could not preload `data`: {type(exc).__name__}: {exc}")
    try:
        frames = load_all()
    except MissingPackageError as exc:
        print(f"minato: datasets {datasets()} are available through minato.records(); {exc}")
        return
    except Exception as exc:  # pragma: no cover - reported in the notebook, not fatal
        print(f"minato: could not preload the data: {type(exc).__name__}: {exc}")
        return
    namespace["frames"] = frames
    if frames:
        namespace["df"] = next(iter(frames.values()))
