"""Numbers and dates written as text become numbers and dates when the data is read.

A price column of "$1,234.50", a share of "12.5%", dates written "03/01/2024" or
epoch seconds in a column named `created_at` are numbers and dates to an
analyst. Converting them here, once, means the stored CSV and its dtype schema
carry real numbers: `df` in the browser sorts, sums and plots them, and every
section, chart and finding agrees on what the column is. What was converted is
kept (`Conversion`), in the dataset catalog and in the analysis notebook's
overview, so nobody is surprised that a column of text became numbers.

The rules are the runtime's (`minato.semantic`), so the build and the browser
type a column the same way. Not converted on purpose: yes/no text ("Y"/"N")
stays text. The user's own code was written against the data as given, and
`df.flag == "Y"` must keep working; the findings still treat it as a flag.
A column whose conversion would lose a value is left as it is (`semantic.convert`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..runtime.minato import semantic


@dataclass(frozen=True)
class Conversion:
    """One column read as numbers or dates: its key (`semantic.column_keys`), how, and
    the dtype it has now."""

    column: str
    how: str
    dtype: str

    @property
    def text(self) -> str:
        return f"{self.column}: {self.how}, now {self.dtype}."

    def as_dict(self) -> dict[str, str]:
        return {"column": self.column, "how": self.how, "dtype": self.dtype}


def read_time_types(types: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The columns converted when data is read: numbers written as text, dates written
    as text or as epoch numbers, and numbers (or dates) held as Python objects."""
    chosen = {}
    for key, info in types.items():
        kind, fmt = info.get("type"), info.get("format")
        if (
            kind == "numeric_text"
            or (kind == "datetime" and fmt not in (None, "year"))
            or (kind in ("numeric", "boolean") and fmt == "objects")
        ):
            chosen[key] = info
    return chosen


def convert_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[Conversion, ...]]:
    """`frame` with its numbers and dates written as text converted (a copy when any
    column changes), and what was converted, in column order."""
    chosen = read_time_types(semantic.column_types(frame))
    if not chosen:
        return frame, ()
    converted, done = semantic.conversions(frame, chosen)
    if not done:
        return frame, ()
    return converted, tuple(Conversion(d["column"], d["how"], d["dtype"]) for d in done)
