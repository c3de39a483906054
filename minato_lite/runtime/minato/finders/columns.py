"""The column model every family of finding reads: a column's type, converted values,
codes and sorted numbers, computed once per table, and the one matrix of the table's
numbers that the pairwise families share, so no family converts or sorts a column again
and their numbers agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .. import semantic
from .thresholds import Budget
from .wording import _num


@dataclass
class _Column:
    """One analysed column: its facts, computed once, as every family reads them."""

    key: str
    position: int
    type: str
    info: dict[str, Any]
    series: pd.Series
    rows: int
    missing: int
    #: float64 values (NaN missing, infinities kept) for numeric, numeric text, booleans
    numbers: np.ndarray | None = None
    #: sorted finite numbers
    ordered: np.ndarray | None = None
    #: factorized labels (-1 missing) for everything but numbers and times
    codes: np.ndarray | None = None
    labels: Any = ()
    #: time as float seconds (NaN missing) for the datetime column
    seconds: np.ndarray | None = None
    distinct: int = 0
    #: how many of `numbers` are inf or -inf
    infinite: int = 0

    @property
    def count(self) -> int:
        return self.rows - self.missing

    @property
    def quantity(self) -> bool:
        """A number an analyst would average: not a flag, a key or a time."""
        return self.type in ("numeric", "numeric_text") and self.numbers is not None

    @property
    def grouping(self) -> bool:
        """Splits rows into groups: labels, flags, and whole numbers with 2-5 values (a
        class coded 0/1/2, a quarter 1-4: ydata-profiling treats those as categories too)."""
        return self.codes is not None and self.type != "identifier"


@dataclass
class _Centred:
    """Columns of numbers centred on their means (0 where missing), which the Pearson
    matrix and the group sums both start from."""

    present: np.ndarray  # rows x columns, True where a value is
    centred: np.ndarray
    means: np.ndarray
    counts: np.ndarray  # present values per column

    @classmethod
    def of(cls, values: np.ndarray) -> _Centred:
        values = np.asfortranarray(values)  # columns contiguous: reductions run down them
        present = ~np.isnan(values)
        counts = present.sum(axis=0).astype("float64")
        centred = np.where(present, values, 0.0)
        means = centred.sum(axis=0) / np.maximum(counts, 1)
        centred -= means
        centred[~present] = 0.0
        return cls(present, centred, means, counts)

    def columns(self, picked: list[int]) -> _Centred:
        """The same for some of the columns (each column is centred on its own)."""
        if picked == list(range(self.centred.shape[1])):
            return self
        return _Centred(
            self.present[:, picked], self.centred[:, picked], self.means[picked],
            self.counts[picked],
        )  # fmt: skip


class _Table(list):
    """The analysed columns, plus the one matrix of their numbers that the pairwise
    findings (correlations, groups, time) all read, built once, and its centred form."""

    numbers: np.ndarray | None = None
    where: dict[int, int]
    centred: _Centred | None = None


def _columns(
    frame: pd.DataFrame,
    types: dict[str, dict[str, Any]] | None,
    budget: Budget,
    notes: list[str],
) -> list[_Column]:
    """Per-column facts computed once: types, converted values, codes, sorted numbers."""
    width = frame.shape[1]
    names = frame.columns.tolist()  # once: indexing pandas 3's text Index is slow
    keys = semantic.column_keys(names)
    if width > budget.max_columns:
        notes.append(f"only the first {budget.max_columns} of {width} columns were analysed")
        frame = frame.iloc[:, : budget.max_columns]
        keys = keys[: budget.max_columns]
    given = _types_by_position(types, len(keys))
    if types is not None and given is None:
        notes.append("the given column types do not match this table; types were recomputed")
    out = _Table()
    for position, key in enumerate(keys):
        series = frame.iloc[:, position]
        try:
            # text is factorized once, for its type and for its groups and duplicates
            factorized = _codes(series) if _text_dtype(series.dtype) else None
            if given:
                info = given[position]
            else:
                info = semantic.series_type(series, names[position], factorized=factorized)
            out.append(_column(key, position, series, info, factorized))
        except Exception as exc:
            notes.append(f"column {key} left out: {type(exc).__name__}: {exc}")
    return out


def _types_by_position(
    types: dict[str, dict[str, Any]] | None, width: int
) -> list[dict[str, Any]] | None:
    if not types:
        return None
    by_position = {info.get("position", i): info for i, info in enumerate(types.values())}
    if any(p not in by_position for p in range(width)):
        return None
    return [by_position[p] for p in range(width)]


def _text_dtype(dtype: Any) -> bool:
    return ptypes.is_object_dtype(dtype) or (
        ptypes.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
    )


def _column(
    key: str,
    position: int,
    raw: pd.Series,
    info: dict[str, Any],
    factorized: tuple[np.ndarray, Any] | None = None,
) -> _Column:
    series, _how = semantic._converted(raw, info)
    if series is None or semantic._loses_values(raw, series):
        series = raw
    # the caller's factorization describes the column only while it is unconverted
    known = factorized if series is raw else None
    kind = info.get("type", "text")
    # missing values are counted on the arrays computed below (NaN, NaT as NaN, code -1):
    # the same cells pandas' isna() counts, without another pass through pandas
    column = _Column(
        key=key, position=position, type=kind, info=info, series=series, rows=len(series), missing=0
    )
    dtype = series.dtype
    if kind == "datetime" and (
        info.get("format") == "year" or ptypes.is_datetime64_any_dtype(dtype)
    ):
        if info.get("format") == "year":
            column.seconds = series.to_numpy(dtype="float64", na_value=np.nan)
        else:
            column.seconds = _seconds(series)
        gaps = np.isnan(column.seconds)
        column.missing = int(gaps.sum())
        column.distinct = len(np.unique(column.seconds[~gaps]))
        return column
    if kind in ("numeric", "numeric_text", "boolean") and _numeric_dtype(dtype):
        numbers = _floats(series)
        column.numbers = numbers
        gaps = np.isnan(numbers)
        column.missing = int(gaps.sum())
        finite = numbers[~gaps]
        infinite = np.isinf(finite)
        column.infinite = int(infinite.sum())
        if column.infinite:
            finite, infinite_values = finite[~infinite], finite[infinite]
            column.distinct = len(np.unique(infinite_values))
        column.ordered = np.sort(finite)
        column.distinct += _distinct_sorted(column.ordered)
        if kind == "boolean":
            column.codes, column.labels = _codes(series)
        elif _small_integers(column.ordered, column.distinct) and column.count == len(finite):
            codes, labels = _codes(series)
            column.codes, column.labels = codes, [_num(float(v)) for v in labels]
        return column
    column.codes, column.labels = known if known is not None else _codes(series)
    column.missing = int(np.count_nonzero(column.codes < 0))
    column.distinct = len(column.labels)
    return column


#: whole-number columns with at most this many values also split rows into groups
SMALL_INTEGER_VALUES = 5


def _small_integers(ordered: np.ndarray, distinct: int) -> bool:
    return 2 <= distinct <= SMALL_INTEGER_VALUES and bool(np.all(ordered == np.floor(ordered)))


def _numeric_dtype(dtype: Any) -> bool:
    return (
        ptypes.is_numeric_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype)
    ) and not isinstance(dtype, pd.CategoricalDtype)


def _floats(series: pd.Series) -> np.ndarray:
    """Numbers as float64 with NaN for missing: booleans 0/1, durations in seconds."""
    if ptypes.is_timedelta64_dtype(series.dtype):
        series = series.dt.total_seconds()
    if ptypes.is_bool_dtype(series.dtype):
        return series.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _seconds(series: pd.Series) -> np.ndarray:
    """Datetimes as float seconds since the epoch (wall-clock time for zoned values)."""
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    stamps = series.astype("datetime64[ns]").to_numpy(dtype="datetime64[ns]")
    out = stamps.astype("int64").astype("float64") / 1e9
    out[np.isnat(stamps)] = np.nan
    return out


def _codes(series: pd.Series) -> tuple[np.ndarray, Any]:
    """Factorized labels (the distinct values stay as pandas returns them: copying 100,000
    pyarrow strings into a list costs more than the factorizing); values pandas cannot
    hash (dicts, lists) by their text."""
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:
        text = series.map(str, na_action="ignore")
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
    return np.asarray(codes, dtype="int64"), uniques


def _distinct_sorted(ordered: np.ndarray) -> int:
    if len(ordered) == 0:
        return 0
    return 1 + int(np.count_nonzero(np.diff(ordered)))


def _label_counts(column: _Column) -> np.ndarray:
    codes = column.codes
    assert codes is not None
    present = codes[codes >= 0]
    return np.bincount(present, minlength=len(column.labels))


def _small_numeric_counts(column: _Column) -> tuple[np.ndarray, np.ndarray] | None:
    """Values and counts of a number column with 2..5 distinct values (ydata treats it
    as categorical, so imbalance and uniform apply)."""
    if (
        column.ordered is None
        or not 2 <= column.distinct <= 5
        or column.distinct != len(np.unique(column.ordered))
    ):
        return None
    values, counts = np.unique(column.ordered, return_counts=True)
    return values, counts


def _centred(quantities: list[_Column], table: list[_Column]) -> _Centred:
    """The centred numbers of these columns: from the table's one centred matrix."""
    if not isinstance(table, _Table):
        return _Centred.of(_quantity_matrix(quantities, table))
    _quantity_matrix(quantities, table)  # builds the table's matrix and `where`
    assert table.numbers is not None
    if table.centred is None:
        table.centred = _Centred.of(table.numbers)
    return table.centred.columns([table.where[c.position] for c in quantities])


def _numbers(column: _Column) -> np.ndarray:
    """The column's numbers; only called for columns chosen because they have them."""
    assert column.numbers is not None, column.key
    return column.numbers


def _quantity_matrix(quantities: list[_Column], table: list[_Column] | None = None) -> np.ndarray:
    """Numbers of these columns side by side (rows x columns), infinities as NaN.

    Column-major (Fortran order): every statistic here reduces down the rows of one
    column, and numpy does that several times faster on contiguous columns (reduceat,
    sums, where). Treat the result as read-only: it may be the shared matrix itself.
    """
    if isinstance(table, _Table):
        if table.numbers is None:
            having = [c for c in table if c.numbers is not None]
            table.where = {c.position: i for i, c in enumerate(having)}
            table.numbers = _stacked(having, len(table[0].series) if table else 0)
        picked = [table.where[c.position] for c in quantities]
        if picked == list(range(table.numbers.shape[1])):
            return table.numbers
        return table.numbers[:, picked]  # a column selection of an F array stays F
    return _stacked(quantities, len(quantities[0].series) if quantities else 0)


def _stacked(columns: list[_Column], rows: int) -> np.ndarray:
    matrix = np.empty((rows, len(columns)), order="F")
    for i, c in enumerate(columns):
        matrix[:, i] = _numbers(c)
        if c.infinite:
            np.copyto(matrix[:, i], np.nan, where=np.isinf(matrix[:, i]))
    return matrix
