"""Column kinds and summaries: the facts that decide which notebook sections a dataset gets.

A kind is what an analyst would do with a column, not its dtype: an integer
order number is an identifier, not a quantity to average; a string column
with twelve distinct values is a category, one with a sentence per row is free
text. The heuristics are deliberately simple and visible here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pandas.api import types as ptypes

from .readers import Dataset

KINDS = ("numeric", "categorical", "datetime", "boolean", "text", "identifier", "empty")
#: a text column averaging more characters than this per value is free text
FREE_TEXT_LENGTH = 40
#: at least this many rows before "every value distinct" means identifier
IDENTIFIER_MIN_ROWS = 20
TOP_VALUES = 5


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: str
    dtype: str
    missing: int
    unique: int
    minimum: str | None = None
    maximum: str | None = None
    top: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class DatasetProfile:
    name: str
    label: str
    source: str
    rows: int
    columns: tuple[ColumnProfile, ...] = field(default_factory=tuple)
    sampled_from: int | None = None

    def names(self, kind: str) -> list[str]:
        """Column names of one kind, in column order."""
        return [c.name for c in self.columns if c.kind == kind]

    @property
    def missing_cells(self) -> int:
        return sum(c.missing for c in self.columns)


def column_kind(series: pd.Series) -> str:
    non_null = series.dropna()
    if non_null.empty:
        return "empty"
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    distinct = non_null.nunique()
    all_distinct = distinct == len(non_null) and len(non_null) >= IDENTIFIER_MIN_ROWS
    if ptypes.is_numeric_dtype(dtype):
        looks_like_key = str(series.name).lower().endswith("id") or non_null.is_monotonic_increasing
        if ptypes.is_integer_dtype(dtype) and all_distinct and looks_like_key:
            return "identifier"
        return "numeric"
    if ptypes.is_timedelta64_dtype(dtype):
        return "numeric"
    text = non_null.astype(str)
    if text.str.len().mean() > FREE_TEXT_LENGTH:
        return "text"
    if all_distinct:
        return "identifier"
    if distinct > 0.5 * len(non_null) and text.str.contains(" ").mean() > 0.5:
        return "text"
    return "categorical"


def _bounds(series: pd.Series, kind: str) -> tuple[str | None, str | None]:
    if kind not in ("numeric", "datetime"):
        return None, None
    non_null = series.dropna()
    return str(non_null.min()), str(non_null.max())


def profile_column(name: str, series: pd.Series) -> ColumnProfile:
    kind = column_kind(series)
    low, high = _bounds(series, kind)
    top: tuple[tuple[str, int], ...] = ()
    if kind in ("categorical", "boolean"):
        counts = series.astype(object).value_counts(dropna=True).head(TOP_VALUES)
        top = tuple((str(value), int(count)) for value, count in counts.items())
    return ColumnProfile(
        name=name,
        kind=kind,
        dtype=str(series.dtype),
        missing=int(series.isna().sum()),
        unique=int(series.nunique(dropna=True)),
        minimum=low,
        maximum=high,
        top=top,
    )


def profile_dataset(dataset: Dataset) -> DatasetProfile:
    frame = dataset.frame
    columns = tuple(
        profile_column(str(frame.columns[i]), frame.iloc[:, i]) for i in range(frame.shape[1])
    )
    return DatasetProfile(
        name=dataset.name,
        label=dataset.label,
        source=dataset.source,
        rows=int(frame.shape[0]),
        columns=columns,
        sampled_from=dataset.sampled_from,
    )
