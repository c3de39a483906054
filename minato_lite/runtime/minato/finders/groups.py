"""Numbers compared across the groups of a categorical column: the group_difference
findings, eta between the other categoricals and the numbers, and `compare_groups`, the
table the groups notebook shows. Together, so that the findings and the table come from
one computation and their effect sizes agree, value for value."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .columns import _Centred, _centred, _Column, _columns, _label_counts
from .correlations import _cramers, _strength, _strength_score
from .kinds import _finding, _plain
from .thresholds import ETA, GROUP_EFFECT, GROUPS, MAX_LABELS, Budget
from .wording import _label, _num, _pct


def compare_groups(
    frame: pd.DataFrame,
    by: str | None = None,
    types: dict[str, dict[str, Any]] | None = None,
    *,
    budget: Budget | None = None,
) -> dict[str, Any] | None:
    """The numeric columns of `frame` compared across the groups of one categorical
    column, with the same computation as the ``group_difference`` findings (their
    effect sizes are equal, value for value).

    `by` is a column key; by default the grouping the findings use (the categorical
    with 2-12 groups whose groups differ most across the numbers), else the first
    categorical with 2-12 groups. None when there is none, or no numeric column.

    Returns ``by`` (key), ``position``, ``chosen`` (``"asked"``, ``"differs_most"`` or
    ``"first"``), ``labels`` (group names as text, in order of first appearance),
    ``sizes`` (rows per group), ``measures`` (per numeric column: ``column``,
    ``position``, ``means`` and ``counts`` per group, ``eta2``, ``omega2``, ``cohen_d``
    for two groups, and ``differs``: omega squared at least `GROUP_EFFECT`), ``notes``,
    and ``codes``: each row's group (-1 where missing), a numpy array for plotting.
    """
    budget = budget or Budget()
    notes: list[str] = []
    with np.errstate(all="ignore"):
        columns = _columns(frame, types, budget, notes)
        analysis = _group_analysis(columns, budget, notes)
    candidates = [
        g
        for g in analysis.groupings
        if GROUPS[0] <= g.distinct <= GROUPS[1] and g.position in analysis.stats
    ]
    if by is not None:
        chosen = next((g for g in candidates if g.key == by), None)
        if chosen is None:
            keys = ", ".join(repr(g.key) for g in candidates) or "none"
            raise LookupError(
                f"{by!r} is not a column with {GROUPS[0]}-{GROUPS[1]} groups to compare "
                f"numbers across; these are: {keys}"
            )
        why = "asked"
    elif analysis.main is not None:
        chosen, why = analysis.main, "differs_most"
    elif candidates:
        chosen, why = candidates[0], "first"
    else:
        return None
    stats = analysis.stats[chosen.position]
    measures = []
    for j, q in enumerate(analysis.quantities):
        if q.position == chosen.position:
            continue  # a class coded as numbers is not compared with itself
        counts, means = stats.counts[:, j], stats.means[:, j]
        omega, d = float(stats.omega2[j]), float(stats.cohen_d[j])
        two = int((counts > 0).sum()) == 2
        measures.append(
            {
                "column": q.key,
                "position": q.position,
                "means": [
                    _rounded(m) if c > 0 else None for m, c in zip(means, counts, strict=True)
                ],
                "counts": [int(c) for c in counts],
                "eta2": _plain(stats.eta2[j]),
                "omega2": _plain(omega),
                "cohen_d": _plain(abs(d)) if two and math.isfinite(d) else None,
                "differs": math.isfinite(omega) and omega >= GROUP_EFFECT,
            }
        )
    assert chosen.codes is not None  # groupings are the columns with codes
    return {
        "by": chosen.key,
        "position": chosen.position,
        "chosen": why,
        "labels": [_group_label(v) for v in chosen.labels],
        "sizes": [int(n) for n in _label_counts(chosen)],
        "measures": measures,
        "notes": notes,
        "codes": chosen.codes,
    }


def _group_label(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _rounded(value: float, digits: int = 6) -> float | None:
    """A mean for a table: 6 significant digits (more than a table shows, fewer than
    the last bits where numpy versions may differ)."""
    value = float(value)
    return float(f"{value:.{digits}g}") if math.isfinite(value) else None


def _group_columns(columns: list[_Column], budget: Budget, notes: list[str]) -> list[_Column]:
    chosen = [c for c in columns if c.grouping and 2 <= c.distinct <= MAX_LABELS]
    if len(chosen) > budget.max_category_columns:
        notes.append(
            f"associations consider the first {budget.max_category_columns} of "
            f"{len(chosen)} categorical columns"
        )
        chosen = chosen[: budget.max_category_columns]
    return chosen


def _quantities(columns: list[_Column], budget: Budget) -> list[_Column]:
    chosen = [c for c in columns if c.quantity and c.distinct > 1]
    return chosen[: budget.max_correlation_columns]


@dataclass
class _GroupStats:
    """Per-group sums of one categorical against every quantity column at once."""

    counts: np.ndarray  # groups x quantities: rows where both are present
    means: np.ndarray
    eta2: np.ndarray  # quantities
    omega2: np.ndarray
    cohen_d: np.ndarray  # for two groups, else NaN


def _all_group_stats(groupings: list[_Column], prepared: _Centred) -> dict[int, _GroupStats]:
    """Group sums of every grouping against every quantity column in one matrix product:
    a one-hot row per observation (all groupings side by side) times the centred values."""
    present, centred, means = prepared.present, prepared.centred, prepared.means
    values = centred  # its shape: rows x quantities
    gappy = np.flatnonzero(~present.all(axis=0))
    squares = np.einsum("ij,ij->j", centred, centred)
    widths = [len(g.labels) for g in groupings]
    rows = values.shape[0]
    # one-hot labels, one row per label (all groupings stacked), filled through flat
    # indices: a scatter into contiguous memory, not a two-index fancy assignment
    onehot = np.zeros((sum(widths), rows))
    offset = 0
    for g, width in zip(groupings, widths, strict=True):
        codes = g.codes
        assert codes is not None
        labelled = np.flatnonzero(codes >= 0)
        onehot.put((offset + codes[labelled]) * rows + labelled, 1.0)
        offset += width
    sums_all = onehot @ centred
    if len(gappy):
        sums_all = np.hstack([sums_all, onehot @ present[:, gappy].astype("float64")])
    sizes_all = onehot.sum(axis=1)
    out: dict[int, _GroupStats] = {}
    offset = 0
    for g, width in zip(groupings, widths, strict=True):
        block = slice(offset, offset + width)
        offset += width
        counts = np.repeat(sizes_all[block, None], values.shape[1], axis=1)
        counts[:, gappy] = sums_all[block, values.shape[1] :]
        codes = g.codes
        assert codes is not None  # groupings are the columns with codes
        missing = codes < 0
        total_squares = squares - (centred[missing] ** 2).sum(axis=0) if missing.any() else squares
        if counts.sum() >= 3:
            out[g.position] = _group_stats(counts, sums_all[block, : values.shape[1]],
                                           total_squares, means)  # fmt: skip
    return out


def _group_stats(
    counts: np.ndarray, sums: np.ndarray, squares: np.ndarray, centre: np.ndarray
) -> _GroupStats:
    """Effect sizes from group counts and sums (groups x columns) of centred values and
    the columns' total sum of squares: eta squared, omega squared, Cohen's d."""
    total_n = counts.sum(axis=0)
    grand = sums.sum(axis=0)
    with np.errstate(all="ignore"):
        total = squares - grand**2 / np.maximum(total_n, 1)
        between = np.where(counts > 0, sums**2 / counts, 0.0).sum(axis=0) - grand**2 / np.maximum(
            total_n, 1
        )
        within = total - between
        k = (counts > 0).sum(axis=0)
        mean_within = within / (total_n - k)
        eta2 = np.where(total > 0, between / total, np.nan)
        omega2 = (between - (k - 1) * mean_within) / (total + mean_within)
        group_means = sums / counts
        cohen = np.full(sums.shape[1], np.nan)
        if counts.shape[0] == 2:
            cohen = (group_means[0] - group_means[1]) / np.sqrt(mean_within)
    return _GroupStats(
        counts=counts,
        means=group_means + centre,
        eta2=eta2,
        omega2=np.where(np.isfinite(omega2), omega2, np.nan),
        cohen_d=cohen,
    )


@dataclass
class _Groups:
    """Every grouping against every quantity: what group differences, associations and
    the group comparison table (`compare_groups`) all read, so their numbers agree."""

    groupings: list[_Column]
    quantities: list[_Column]
    stats: dict[int, _GroupStats]
    main: _Column | None


def _group_analysis(columns: list[_Column], budget: Budget, notes: list[str]) -> _Groups:
    groupings = _group_columns(columns, budget, notes)
    quantities = _quantities(columns, budget)
    stats: dict[int, _GroupStats] = {}
    if groupings and quantities:
        stats = _all_group_stats(groupings, _centred(quantities, columns))
        for j, q in enumerate(quantities):  # a coded class column is also a number:
            if q.position in stats:  # never grouped against itself
                stats[q.position].eta2[j] = np.nan
                stats[q.position].omega2[j] = np.nan
    return _Groups(groupings, quantities, stats, _main_grouping(groupings, stats))


def _groups_and_associations(
    columns: list[_Column], frame: pd.DataFrame, budget: Budget, notes: list[str]
):
    """Group differences for the main categorical; high_correlation for other
    categorical-number pairs (eta) and categorical pairs (Cramer's V)."""
    analysis = _group_analysis(columns, budget, notes)
    groupings, quantities, stats, main = (
        analysis.groupings,
        analysis.quantities,
        analysis.stats,
        analysis.main,
    )
    out: list[dict[str, Any]] = []
    for g in groupings:
        result = stats.get(g.position)
        if result is None:
            continue
        for j, q in enumerate(quantities):
            if g is main:
                finding = _group_difference(g, q, result, j)
            elif g.type != "boolean":
                finding = _eta_finding(g, q, result, j)
            else:
                finding = None  # a 0/1 flag against a number: Pearson's r already says it
            if finding:
                out.append(finding)
    out.extend(_cramers(groupings))
    return out


def _main_grouping(groupings: list[_Column], stats: dict[int, _GroupStats]) -> _Column | None:
    """The categorical with 2-12 groups whose groups differ most across the numbers."""
    best, best_total = None, 0.0
    for g in groupings:
        if not GROUPS[0] <= g.distinct <= GROUPS[1] or g.position not in stats:
            continue
        omega = stats[g.position].omega2
        total = float(np.nansum(np.where(omega >= GROUP_EFFECT, omega, 0.0)))
        if total > best_total:
            best, best_total = g, total
    return best


def _group_difference(g: _Column, q: _Column, stats: _GroupStats, j: int) -> dict | None:
    omega, eta2 = stats.omega2[j], stats.eta2[j]
    if not (math.isfinite(omega) and omega >= GROUP_EFFECT):
        return None
    counts, means = stats.counts[:, j], stats.means[:, j]
    used = np.flatnonzero(counts > 0)
    low = used[np.argmin(means[used])]
    high = used[np.argmax(means[used])]
    labels = g.labels
    values: dict[str, Any] = {"eta2": eta2, "omega2": omega, "groups": len(used)}
    if len(used) == 2 and math.isfinite(stats.cohen_d[j]):
        d = abs(float(stats.cohen_d[j]))
        values["cohen_d"] = d
        effect = f"Cohen's d = {d:.2f}, η² = {eta2:.2f}"
    else:
        effect = f"η² = {eta2:.2f}"
    text = (
        f"{q.key} differs between {g.key} groups: mean {_num(float(means[high]))} for "
        f"{_label(labels[high])} against {_num(float(means[low]))} for {_label(labels[low])} "
        f"({effect})."
    )
    values.update(high=labels[high], low=labels[low])
    score = 0.3 + 0.6 * min(1.0, float(eta2) / 0.5)
    return _finding("group_difference", [g.key, q.key], score, text, values)


def _eta_finding(g: _Column, q: _Column, stats: _GroupStats, j: int) -> dict | None:
    eta2 = stats.eta2[j]
    if not math.isfinite(eta2) or eta2 < ETA**2 or stats.omega2[j] < GROUP_EFFECT:
        return None
    eta = math.sqrt(float(eta2))
    text = (
        f"{g.key} and {q.key} are {_strength(eta)} associated: {g.key} explains "
        f"{_pct(float(eta2))} of the variation in {q.key} (η = {eta:.2f})."
    )
    return _finding(
        "high_correlation", [g.key, q.key], _strength_score(eta, ETA), text, {"eta": eta}
    )
