"""Column kinds: the facts that decide which notebook sections a dataset gets.

A kind is what an analyst would do with a column, not its dtype: an integer
order number is an identifier, not a quantity to average; a string column
with twelve distinct values is a category, one with a sentence per row is free
text. The kinds are the runtime's semantic types (`minato.semantic`, see its
docstring for the rules), computed here on the data as the site stores it, so
the build plans the same sections the browser's `minato.column_types` and
`minato.findings` would: identifiers and constants are never measures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pandas.api import types as ptypes

from ..runtime.minato import semantic
from .conversion import Conversion
from .readers import Dataset

KINDS = semantic.TYPES
#: a categorical with this many groups gets the group comparison section
GROUPS = (2, 12)


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    #: the semantic type (`KINDS`)
    kind: str
    dtype: str
    missing: int
    #: how the kind is written, where it says more: "year", "epoch_s", "ISO8601", ...
    format: str | None = None
    #: distinct present values, counted for categorical and boolean columns only
    distinct: int | None = None

    @property
    def is_time(self) -> bool:
        """A time axis a chart can use: a datetime column, or whole years."""
        return self.kind == "datetime" and (
            self.format == "year" or self.dtype.startswith("datetime64")
        )


@dataclass(frozen=True)
class DatasetProfile:
    name: str
    label: str
    source: str
    rows: int
    columns: tuple[ColumnProfile, ...] = field(default_factory=tuple)
    sampled_from: int | None = None
    #: columns read as numbers or dates although written as text
    conversions: tuple[Conversion, ...] = ()

    def first_columns(self) -> list[ColumnProfile]:
        """The first column of each name: what the notebooks see, since they index the
        frame by name after `minato.unique_columns` (which keeps the first)."""
        seen: dict[str, ColumnProfile] = {}
        for column in self.columns:
            seen.setdefault(column.name, column)
        return list(seen.values())

    def names(self, kind: str) -> list[str]:
        """Names of one kind, in column order (the first column of each name)."""
        return [c.name for c in self.first_columns() if c.kind == kind]

    def measures(self) -> list[str]:
        """Columns to chart and correlate as quantities: numbers that are neither keys,
        flags, constants nor times."""
        return self.names("numeric")

    def times(self) -> list[str]:
        """Columns that can be a time axis, real dates first, then years."""
        times = [c for c in self.first_columns() if c.is_time]
        return [c.name for c in sorted(times, key=lambda c: c.format == "year")]

    def groupings(self) -> list[str]:
        """Categorical and boolean columns with 2-12 groups, in column order."""
        return [
            c.name
            for c in self.first_columns()
            if c.kind in ("categorical", "boolean")
            and c.distinct is not None
            and GROUPS[0] <= c.distinct <= GROUPS[1]
        ]

    @property
    def missing_cells(self) -> int:
        return sum(c.missing for c in self.columns)


def profile_dataset(dataset: Dataset) -> DatasetProfile:
    """Kinds (semantic types), dtypes and missing counts of every column."""
    frame = dataset.frame
    types = list(semantic.column_types(frame).values())
    missing = frame.isna().sum().tolist()  # one call for every column, not one per column
    columns = []
    for position, (info, dtype) in enumerate(zip(types, frame.dtypes.tolist(), strict=True)):
        distinct = None
        if info["type"] in ("categorical", "boolean"):
            distinct = _distinct(frame.iloc[:, position])
        columns.append(
            ColumnProfile(
                name=info["name"],
                kind=info["type"],
                dtype=str(dtype),
                missing=int(missing[position]),
                format=info.get("format"),
                distinct=distinct,
            )
        )
    return DatasetProfile(
        name=dataset.name,
        label=dataset.label,
        source=dataset.source,
        rows=int(frame.shape[0]),
        columns=tuple(columns),
        sampled_from=dataset.sampled_from,
        conversions=dataset.conversions,
    )


def _distinct(series: pd.Series) -> int:
    """Distinct present values; containers (dicts, lists) by their text."""
    if ptypes.is_object_dtype(series.dtype):
        series = series.map(str, na_action="ignore")
    return int(series.nunique(dropna=True))
