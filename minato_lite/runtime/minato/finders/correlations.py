"""Correlations and associations between two columns (Pearson's r, Spearman's rho,
Cramér's V): apart because pairs grow with the square of the columns, so they are
computed as matrix products under `Budget`'s caps; the words for a strength are shared
with the groups family's eta."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .columns import _Centred, _centred, _Column, _quantity_matrix
from .kinds import _finding
from .thresholds import ASSOCIATION, CORRELATION, MIN_PAIRS, Budget


def _correlation_matrix(values: np.ndarray | _Centred) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r between columns over the rows both have (pairwise complete), and the
    number of such rows, by matrix products instead of a loop over pairs.

    Only pairs with a gappy column need the masked sums; those are thin products
    against the gappy columns' masks, so a table with a few gaps costs one Gram matrix.
    """
    prepared = values if isinstance(values, _Centred) else _Centred.of(values)
    present, centred, counts = prepared.present, prepared.centred, prepared.counts
    squared = centred * centred
    cross = centred.T @ centred
    columns = centred.shape[1]
    # sums[i, j]: column i summed over the rows where j is present (likewise squares, pairs)
    sums = np.repeat(centred.sum(axis=0)[:, None], columns, axis=1)
    squares = np.repeat(squared.sum(axis=0)[:, None], columns, axis=1)
    pairs = np.repeat(counts[:, None], columns, axis=1)
    gappy = np.flatnonzero(counts < centred.shape[0])
    if len(gappy):
        present_f = present.astype("float64")
        mask = present_f[:, gappy]
        sums[:, gappy] = centred.T @ mask
        squares[:, gappy] = squared.T @ mask
        pairs[:, gappy] = present_f.T @ mask
    with np.errstate(all="ignore"):
        cov = cross - sums * sums.T / pairs
        var_i = squares - sums**2 / pairs
        r = cov / np.sqrt(var_i * var_i.T)
    return r, pairs


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks per column (ties share their mean rank), NaN stays NaN."""
    out = np.full(values.shape, np.nan, order="F")
    for j in range(values.shape[1]):
        column = values[:, j]
        present = np.flatnonzero(~np.isnan(column))
        if len(present) == 0:
            continue
        x = column[present]
        order = np.argsort(x)  # not stable: tied values share one average rank anyway
        ordered = x[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        ends = np.r_[starts[1:], len(ordered)]
        average = (starts + ends - 1) / 2.0 + 1.0
        ranks = np.empty(len(x))
        ranks[order] = np.repeat(average, ends - starts)
        out[present, j] = ranks
    return out


def _correlations(columns: list[_Column], frame: pd.DataFrame, budget: Budget, notes: list[str]):
    chosen = [
        c for c in columns if c.numbers is not None and c.type != "constant" and c.distinct > 1
    ]
    if len(chosen) > budget.max_correlation_columns:
        notes.append(
            f"correlations consider the first {budget.max_correlation_columns} of "
            f"{len(chosen)} numeric columns"
        )
        chosen = chosen[: budget.max_correlation_columns]
    if len(chosen) < 2:
        return []
    values = _quantity_matrix(chosen, columns)
    pearson, pairs = _correlation_matrix(_centred(chosen, columns))
    rows = values.shape[0]
    if rows > budget.max_rank_rows:
        notes.append(
            f"rank correlations use {budget.max_rank_rows:,} evenly spaced rows of {rows:,}"
        )
        picked = np.linspace(0, rows - 1, budget.max_rank_rows).round().astype("int64")
        spearman, _ = _correlation_matrix(_ranks(values[picked]))
    else:
        spearman, _ = _correlation_matrix(_ranks(values))
    out = []
    for i in range(len(chosen)):
        for j in range(i + 1, len(chosen)):
            if pairs[i, j] < MIN_PAIRS:
                continue
            r, rho = pearson[i, j], spearman[i, j]
            r = r if math.isfinite(r) else 0.0
            rho = rho if math.isfinite(rho) else 0.0
            strongest = max(abs(r), abs(rho))
            if strongest < CORRELATION:
                continue
            a, b = chosen[i].key, chosen[j].key
            use_r = abs(r) >= abs(rho) - 0.05  # Pearson unless ranks tell a clearly better story
            value = r if use_r else rho
            text = _correlation_text(a, b, value, "r" if use_r else "Spearman's \u03c1")
            details = {"r": r, "rho": rho, "rows": int(pairs[i, j])}
            out.append(
                _finding("high_correlation", [a, b], _strength_score(strongest), text, details)
            )
    return out


def _strength_score(value: float, floor: float = CORRELATION) -> float:
    return 0.3 + 0.6 * max(0.0, min(1.0, (abs(value) - floor) / (1 - floor)))


def _strength(value: float) -> str:
    value = abs(value)
    return "very strongly" if value >= 0.9 else "strongly" if value >= 0.7 else "moderately"


def _correlation_text(a: str, b: str, value: float, symbol: str) -> str:
    strength = _strength(value)
    sign = "" if value > 0 else " negatively"
    text = f"{a} and {b} are {strength}{sign} correlated ({symbol} = {value:.2f})"
    if abs(value) > 0.999:
        text += "; one may be computed from the other"
    return text + "."


def _cramers(groupings: list[_Column]) -> list[dict[str, Any]]:
    out = []
    for i, a in enumerate(groupings):
        for b in groupings[i + 1 :]:
            if a.numbers is not None and b.numbers is not None:
                continue  # two flags or coded numbers: Pearson's r already covers them
            v = _cramers_v(a, b)
            if v is None or v < ASSOCIATION:
                continue
            text = f"{a.key} and {b.key} are {_strength(v)} associated (Cramér's V = {v:.2f})"
            if v > 0.999:
                text += "; one determines the other"
            out.append(
                _finding("high_correlation", [a.key, b.key], _strength_score(v, ASSOCIATION),
                         text + ".", {"cramers_v": v})
            )  # fmt: skip
    return out


def _cramers_v(a: _Column, b: _Column) -> float | None:
    """Cramer's V with Bergsma's small-sample bias correction."""
    assert a.codes is not None and b.codes is not None
    ka, kb = len(a.labels), len(b.labels)
    if a.missing or b.missing:
        both = (a.codes >= 0) & (b.codes >= 0)
        pairs = a.codes[both] * kb + b.codes[both]
    else:  # no label missing: no mask to build and apply
        pairs = a.codes * kb + b.codes
    n = len(pairs)
    if n < MIN_PAIRS:
        return None
    table = np.bincount(pairs, minlength=ka * kb).reshape(ka, kb)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0].astype("float64")
    r, k = table.shape
    if r < 2 or k < 2:
        return None
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_corr = r - (r - 1) ** 2 / (n - 1)
    k_corr = k - (k - 1) ** 2 / (n - 1)
    denominator = min(k_corr - 1, r_corr - 1)
    if denominator <= 0:
        return None
    return math.sqrt(phi2 / denominator)
