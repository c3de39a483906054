"""Data inputs -> datasets: one reader per format behind one dispatch.

Everything a user hands in (file paths, DataFrames, lists of records, a dict
of those) becomes a list of :class:`Dataset` with a safe unique name, its
numbers and dates written as text converted (`conversion`). Reading
happens completely before anything is written, so a bad input can never leave
a half-built site. Every failure is a :class:`UserError` naming the input.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import pandas as pd
from pandas.api import types as ptypes

from ..errors import UserError
from .conversion import Conversion, convert_frame
from .naming import unique_names

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = sorted(
    {*TEXT_SUFFIXES, *JSON_SUFFIXES, *JSONL_SUFFIXES, *EXCEL_SUFFIXES, *PARQUET_SUFFIXES}
)
#: how many levels of nested objects in records become their own columns
NESTED_LEVELS = 2
#: BOMs first: a UTF-16 file also decodes (wrongly) as Latin-1
ENCODINGS = ("utf-8-sig", "utf-16", "latin-1")


@dataclass(frozen=True)
class Dataset:
    """One table of a site: `name` is safe for files and code, `label` is for people."""

    name: str
    label: str
    frame: pd.DataFrame
    source: str
    #: rows before `sample_rows` kept a sample, or None when the data is whole
    sampled_from: int | None = None
    #: columns read as numbers or dates although written as text (`conversion`)
    conversions: tuple[Conversion, ...] = ()


Input = str | Path | pd.DataFrame | list | Mapping


def load_inputs(inputs: Input | Iterable[Input]) -> list[Dataset]:
    """Read every input into named datasets; raise UserError on the first bad one."""
    items = _as_list(inputs)
    if not items:
        raise UserError("no input data given")
    labelled: list[tuple[str, pd.DataFrame, str]] = []
    for item in items:
        labelled.extend(_read_any(item))
    names = unique_names(label for label, _, _ in labelled)
    datasets = []
    for name, (label, frame, source) in zip(names, labelled, strict=True):
        converted, conversions = convert_frame(frame)
        datasets.append(
            Dataset(name=name, label=label, frame=converted, source=source, conversions=conversions)
        )
    return datasets


#: a random sample is always drawn with this seed, so rebuilding gives the same rows
SAMPLE_SEED = 0


def sample_rows(dataset: Dataset, rows: int) -> Dataset:
    """Keep `rows` random rows (fixed seed, original order) when the dataset is larger."""
    total = len(dataset.frame)
    if total <= rows:
        return dataset
    kept = dataset.frame.sample(n=rows, random_state=SAMPLE_SEED).sort_index()
    return replace(dataset, frame=kept.reset_index(drop=True), sampled_from=total)


def _as_list(inputs: Any) -> list:
    if isinstance(inputs, (str, Path, pd.DataFrame, Mapping)):
        return [inputs]
    if isinstance(inputs, list) and inputs and all(isinstance(r, Mapping) for r in inputs):
        return [inputs]  # one list of records, not a list of inputs
    return list(inputs)


def _read_any(item: Any, label: str | None = None) -> list[tuple[str, pd.DataFrame, str]]:
    if isinstance(item, pd.DataFrame):
        return [(label or "data", _checked(item.copy(), label or "DataFrame"), "DataFrame")]
    if isinstance(item, (str, Path)):
        tables = _read_path(Path(item))
        if label is None:
            return tables
        # a dict key names the dataset; several sheets keep their sheet names after it
        stem = Path(item).stem + "_"
        if len(tables) == 1:
            return [(label, tables[0][1], tables[0][2])]
        return [(f"{label}_{name.removeprefix(stem)}", frame, src) for name, frame, src in tables]
    if isinstance(item, list):
        return [(label or "data", _from_records(item, label or "records"), "records")]
    if isinstance(item, Mapping) and label is None and all(isinstance(k, str) for k in item):
        out = []
        for key, value in item.items():
            out.extend(_read_any(value, label=key))
        return out
    raise UserError(f"unsupported input of type {type(item).__name__}")


def _read_path(path: Path) -> list[tuple[str, pd.DataFrame, str]]:
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_file():
        raise UserError(f"{path}: not a regular file")
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise UserError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED)}"
        )
    if path.stat().st_size == 0:
        raise UserError(f"{path}: file is empty")
    try:
        tables = reader(path)
    except UserError:
        raise
    except (ValueError, OSError, UnicodeError, csv.Error, ImportError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None
    return [(label, _checked(frame, str(path)), str(path.name)) for label, frame in tables]


ISO_DATETIME = (
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?"
)


def infer_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Give text-format columns the types their values show: ISO 8601 dates, booleans.

    Dates: every value must be an ISO 8601 date or time.

    Only for text formats (CSV, JSON, records), where dates arrive as strings.
    A column with one offset keeps it (`datetime64[.., UTC+09:00]`); mixed
    offsets are converted to UTC; anything not uniformly ISO stays text.
    """
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if not (ptypes.is_object_dtype(series.dtype) or ptypes.is_string_dtype(series.dtype)):
            continue
        values = series.dropna()
        if values.empty:
            continue
        if ptypes.is_object_dtype(series.dtype):  # str-dtype columns hold only strings
            if values.map(lambda v: isinstance(v, bool)).all():  # JSON true/false with nulls
                _set_column(frame, position, series.astype("boolean"))
                continue
            if not values.map(lambda v: isinstance(v, str)).all():
                continue
        if not values.str.fullmatch(ISO_DATETIME).all():
            continue
        try:
            parsed = pd.to_datetime(series, format="ISO8601")
        except ValueError:
            try:
                parsed = pd.to_datetime(series, format="ISO8601", utc=True)
            except ValueError:
                continue
        _set_column(frame, position, parsed)
    return frame


def _set_column(frame: pd.DataFrame, position: int, values: pd.Series) -> None:
    """Replace the column at `position` (by position: names may repeat or be blank).

    pandas-stubs types `isetitem`'s value as a scalar; a Series is what pandas takes.
    """
    frame.isetitem(position, cast(Any, values))


def _checked(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    if frame.shape[1] == 0:
        raise UserError(f"{where}: no columns found")
    return frame.reset_index(drop=True)


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{path}: looks like a binary file, not text")
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue  # utf-16 only with a BOM; otherwise it "decodes" anything
        return text
    raise UserError(f"{path}: cannot decode text")  # unreachable: latin-1 decodes all


def _read_delimited(path: Path) -> list[tuple[str, pd.DataFrame]]:
    text = _decode(path)
    delimiter = TEXT_SUFFIXES.get(path.suffix.lower())
    if delimiter is None or path.suffix.lower() == ".csv":
        sample = text[:65536]
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = delimiter or ","
    _check_rectangular(path, text, delimiter)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            skip_blank_lines=True,
            # semicolon files come from locales that write decimals with a comma
            decimal="," if delimiter == ";" else ".",
        )
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: file has no data") from None
    except pd.errors.ParserError as exc:
        raise UserError(f"{path}: malformed {path.suffix.lstrip('.').upper()}: {exc}") from None
    return [(path.stem, infer_types(frame))]


def _check_rectangular(path: Path, text: str, delimiter: str) -> None:
    """Every row has as many fields as the header; say which line does not.

    pandas would otherwise silently turn extra fields into an index or pad
    short rows, which changes what the data means.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    rows = 0
    for row in reader:
        if not any(field.strip() for field in row):
            continue
        if header is None:
            header = row
            continue
        rows += 1
        if len(row) != len(header):
            raise UserError(
                f"{path}: line {reader.line_num}: {len(row)} fields, but the header has "
                f"{len(header)}; fix the row or quote fields that contain {delimiter!r}"
            )
    if header is None:
        raise UserError(f"{path}: file has no data")
    if rows == 0:
        raise UserError(f"{path}: has a header but no data rows")


def _read_json(path: Path) -> list[tuple[str, pd.DataFrame]]:
    text = _decode(path)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise UserError(f"{path}: JSON is nested too deeply") from None
    if isinstance(payload, dict) and "data" in payload and isinstance(payload["data"], list):
        payload = payload["data"]
    if isinstance(payload, list):
        return [(path.stem, _from_records(payload, str(path)))]
    if isinstance(payload, dict) and payload and all(isinstance(v, list) for v in payload.values()):
        lengths = {len(v) for v in payload.values()}
        if len(lengths) != 1:
            raise UserError(f"{path}: object of columns has columns of different lengths")
        return [(path.stem, infer_types(pd.DataFrame(payload)))]
    raise UserError(
        f'{path}: JSON must be an array of records, an object of columns, or {{"data": [...]}}'
    )


def _read_jsonl(path: Path) -> list[tuple[str, pd.DataFrame]]:
    records = []
    for number, line in enumerate(_decode(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise UserError(
                f"{path}: line {number}, column {exc.colno}: not valid JSON: {exc.msg}"
            ) from None
    return [(path.stem, _from_records(records, str(path)))]


def _read_excel(path: Path) -> list[tuple[str, pd.DataFrame]]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many unrelated types for bad files
        raise UserError(f"{path}: not a readable Excel workbook: {type(exc).__name__}") from None
    tables = [
        (f"{path.stem}_{sheet}", frame.dropna(how="all"))
        for sheet, frame in sheets.items()
        if not frame.dropna(how="all").empty
    ]
    if not tables:
        raise UserError(f"{path}: every sheet is empty")
    return tables


def _read_parquet(path: Path) -> list[tuple[str, pd.DataFrame]]:
    try:
        return [(path.stem, pd.read_parquet(path))]
    except Exception as exc:  # pyarrow raises its own error hierarchy
        raise UserError(f"{path}: not a readable Parquet file: {type(exc).__name__}") from None


def _from_records(records: list, where: str) -> pd.DataFrame:
    if not records:
        raise UserError(f"{where}: no records")
    bad = next((i for i, r in enumerate(records) if not isinstance(r, Mapping)), None)
    if bad is not None:
        raise UserError(f"{where}: record {bad} is not an object")
    # nested objects become dotted columns (`meta.source`); deeper values and lists stay
    # as JSON text, so every cell is hashable and every value survives
    frame = pd.json_normalize(records, max_level=NESTED_LEVELS)
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if ptypes.is_object_dtype(column.dtype) and column.map(_is_container).any():
            _set_column(frame, position, column.map(_json_text))
    return infer_types(frame)


def _is_container(value: object) -> bool:
    return isinstance(value, (dict, list, tuple))


def _json_text(value: object) -> object:
    if _is_container(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return value


_READERS: dict[str, Callable[[Path], list[tuple[str, pd.DataFrame]]]] = {
    **dict.fromkeys(TEXT_SUFFIXES, _read_delimited),
    **dict.fromkeys(JSON_SUFFIXES, _read_json),
    **dict.fromkeys(JSONL_SUFFIXES, _read_jsonl),
    **dict.fromkeys(EXCEL_SUFFIXES, _read_excel),
    **dict.fromkeys(PARQUET_SUFFIXES, _read_parquet),
}
