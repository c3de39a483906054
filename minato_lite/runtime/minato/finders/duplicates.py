"""Duplicate rows, the one finding about whole rows: apart, with its own cap in `Budget`,
because comparing rows costs in proportion to every cell of the table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import _Column
from .kinds import _finding
from .thresholds import Budget
from .wording import _many, _pct


def _duplicates(columns: list[_Column], frame: pd.DataFrame, budget: Budget, notes: list[str]):
    rows = frame.shape[0]
    if rows < 2 or not columns:
        return []
    cells = rows * frame.shape[1]
    if cells > budget.max_duplicate_cells:
        notes.append(
            f"duplicate rows not looked for: {cells:,} cells is above the budget of "
            f"{budget.max_duplicate_cells:,}"
        )
        return []
    if len(columns) < frame.shape[1]:
        return []  # only part of the table was analysed: a count would be wrong
    if any(c.distinct == rows and not c.missing for c in columns):
        return []  # a column with a different value in every row: no row can repeat
    keys = np.column_stack([_row_key(c) for c in columns])
    mixed = np.zeros(rows, dtype="uint64")
    for j in range(keys.shape[1]):  # a 64-bit mix of every column's key (splitmix64 finaliser)
        mixed = (mixed ^ keys[:, j]) * np.uint64(0xBF58476D1CE4E5B9)
        mixed ^= mixed >> np.uint64(31)
    candidates = pd.Series(mixed).duplicated(keep=False).to_numpy()
    if not candidates.any():
        return []
    exact = pd.DataFrame(keys[candidates].view("int64")).duplicated().to_numpy()
    duplicated = int(exact.sum())
    if duplicated == 0:
        return []
    share = duplicated / rows
    verb = "repeats" if duplicated == 1 else "repeat"
    text = f"{_many(duplicated, 'row')} ({_pct(share)}) {verb} an earlier row exactly."
    values = {"duplicates": duplicated, "share": share}
    return [_finding("duplicates", [], 0.3 + min(0.5, 2 * share), text, values)]


def _row_key(column: _Column) -> np.ndarray:
    """One uint64 per row that is equal exactly when the cells are equal (missing = missing)."""
    if column.numbers is not None:
        bits = (column.numbers + 0.0).view("uint64").copy()  # -0.0 + 0.0 is 0.0
        bits[np.isnan(column.numbers)] = np.uint64(0x7FF8DEADBEEF0001)
        return bits
    if column.seconds is not None:
        bits = column.seconds.view("uint64").copy()
        bits[np.isnan(column.seconds)] = np.uint64(0x7FF8DEADBEEF0001)
        return bits
    if column.codes is not None:
        return column.codes.astype("uint64")
    return column.series.isna().to_numpy().astype("uint64")  # constant or empty
