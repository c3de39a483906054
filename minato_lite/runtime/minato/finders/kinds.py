"""What a finding is: its kinds, the analysis section that shows each kind, and the one
function that makes a finding, so every family returns the same shape, with scores and
numbers rounded alike (the same answer on pandas 2.2 and pandas 3)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SECTIONS = (
    "overview",
    "missing",
    "distributions",
    "correlations",
    "categories",
    "groups",
    "timeseries",
)
#: the order breaks ties between equal scores (then column position, then text)
KINDS = (
    "high_correlation",
    "group_difference",
    "non_stationary",
    "seasonal",
    "duplicates",
    "missing",
    "infinite",
    "skewed",
    "outliers",
    "imbalance",
    "constant",
    "zeros",
    "high_cardinality",
    "uniform",
    "identifier",
    "unique",
    "note",
)
SECTION_OF = {
    "high_correlation": "correlations",
    "group_difference": "groups",
    "non_stationary": "timeseries",
    "seasonal": "timeseries",
    "duplicates": "overview",
    "missing": "missing",
    "infinite": "distributions",
    "skewed": "distributions",
    "outliers": "distributions",
    "imbalance": "categories",
    "constant": "overview",
    "zeros": "distributions",
    "high_cardinality": "categories",
    "uniform": "distributions",
    "identifier": "overview",
    "unique": "overview",
    "note": "overview",
}


def _finding(
    kind: str,
    columns: list[str],
    score: float,
    text: str,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "columns": list(columns),
        "score": round(min(1.0, max(0.0, float(score))), 3),
        "text": text,
        "section": SECTION_OF[kind],
        "values": {k: _plain(v) for k, v in (values or {}).items()},
    }


def _plain(value: Any) -> Any:
    """JSON-ready and rounded to 4 significant digits, so pandas/numpy versions agree."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return float(f"{value:.4g}") if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)
