"""Findings about one column at a time, the counterparts of ydata-profiling's per-column
alerts: kept apart from the pairwise families because each reads only one column's facts
(no shared matrix, no budget), so a reader checks a kind against its threshold alone."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .columns import _Column, _label_counts, _small_numeric_counts
from .kinds import _finding
from .stats import _chi2_sf, _quantile, _skewness
from .thresholds import (
    HIGH_CARDINALITY,
    IMBALANCE,
    MAX_LABELS,
    MIN_VALUES,
    MISSING_SHARE,
    OUTLIER_IQR,
    OUTLIER_MAX_SHARE,
    SKEWNESS,
    UNIFORM_P,
    ZEROS_SHARE,
)
from .wording import _label, _many, _num, _pct


def _missing(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        if c.rows == 0 or c.missing == 0:
            continue
        share = c.missing / c.rows
        if c.missing == c.rows:
            text = f"{c.key} is empty: all {c.rows:,} values are missing."
            score = 0.6
        elif share > MISSING_SHARE:
            text = f"{c.key} is missing in {c.missing:,} of {c.rows:,} rows ({_pct(share)})."
            score = 0.2 + 0.6 * share
        else:
            continue
        out.append(
            _finding("missing", [c.key], score, text, {"missing": c.missing, "share": share})
        )
    return out


def _constant(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        if c.type != "constant":
            continue
        value = c.series.dropna().iloc[0]
        text = f"{c.key} has the same value ({_label(value)}) in all {c.count:,} non-missing rows."
        out.append(_finding("constant", [c.key], 0.35, text, {"value": value}))
    return out


def _identifier(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        if c.type != "identifier":
            continue
        unique = c.distinct == c.count
        how = "one per row" if unique and not c.missing else "nearly one per row"
        text = (
            f"{c.key} identifies rows ({c.distinct:,} distinct values, {how}); "
            "it is kept out of charts and correlations."
        )
        out.append(_finding("identifier", [c.key], 0.15, text, {"distinct": c.distinct}))
    return out


def _unique(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        if c.type in ("identifier", "constant", "empty") or c.missing or c.rows < 2:
            continue
        if c.distinct != c.rows:
            continue
        # measurements are expected to be all distinct; labels that never repeat are news
        score = 0.1 if c.type in ("numeric", "numeric_text", "datetime") else 0.25
        text = f"every value of {c.key} is distinct ({c.rows:,} values)."
        out.append(_finding("unique", [c.key], score, text, {"distinct": c.distinct}))
    return out


def _high_cardinality(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        if c.type != "categorical" or c.distinct <= HIGH_CARDINALITY:
            continue
        share = c.distinct / max(1, c.count)
        text = (
            f"{c.key} has {c.distinct:,} distinct labels ({_pct(share)} of its values): "
            "chart its most common ones only."
        )
        out.append(_finding("high_cardinality", [c.key], 0.2, text, {"distinct": c.distinct}))
    return out


def _imbalance(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        if c.grouping and 2 <= c.distinct <= MAX_LABELS:
            counts = _label_counts(c)
            labels: list[Any] = list(c.labels)
        elif c.quantity and (small := _small_numeric_counts(c)) is not None:
            labels, counts = [_num(v) for v in small[0]], small[1]
        else:
            continue
        total = counts.sum()
        if total == 0:
            continue
        shares = counts[counts > 0] / total
        score = 1 - float(-(shares * np.log2(shares)).sum()) / math.log2(len(counts))
        if score <= IMBALANCE:
            continue
        top = int(np.argmax(counts))
        share = counts[top] / total
        text = (
            f"{c.key} is dominated by {_label(labels[top])}: {_pct(share)} of "
            f"{int(total):,} values (imbalance {score:.2f} on a 0-1 scale)."
        )
        values = {"top": labels[top], "share": share, "imbalance": score}
        out.append(_finding("imbalance", [c.key], 0.2 + 0.4 * score, text, values))
    return out


def _zeros(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        if not c.quantity or c.grouping or c.count == 0:
            continue  # a class coded 0/1/2 is a label, its zeros are not news
        assert c.ordered is not None  # quantities have their sorted finite numbers
        # the zeros (and -0.0) sit side by side in the sorted values
        zeros = int(np.searchsorted(c.ordered, 0.0, "right") - np.searchsorted(c.ordered, 0.0))
        share = zeros / c.count
        if share <= ZEROS_SHARE:
            continue
        text = f"{c.key} is zero in {zeros:,} of {c.count:,} values ({_pct(share)})."
        out.append(
            _finding("zeros", [c.key], 0.1 + 0.5 * share, text, {"zeros": zeros, "share": share})
        )
    return out


def _infinite(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        if c.numbers is None:
            continue
        infinite = c.infinite
        if infinite:
            text = (
                f"{c.key} holds {_many(infinite, 'infinite value')} (inf or -inf); "
                "statistics here leave them out."
            )
            out.append(_finding("infinite", [c.key], 0.5, text, {"infinite": infinite}))
    return out


def _distribution_columns(columns: list[_Column]) -> list[_Column]:
    return [
        c
        for c in columns
        if c.quantity and c.ordered is not None and len(c.ordered) >= MIN_VALUES and c.distinct > 5
    ]


def _skewed(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in _distribution_columns(columns):
        assert c.ordered is not None
        skew = _skewness(c.ordered)
        if not math.isfinite(skew) or abs(skew) <= SKEWNESS:
            continue
        mean, median = float(c.ordered.mean()), _quantile(c.ordered, 0.5)
        side = "right" if skew > 0 else "left"
        where = "above" if mean > median else "below"
        text = (
            f"{c.key} is {side}-skewed (skewness {skew:.1f}): its mean {_num(mean)} is "
            f"{where} its median {_num(median)}"
        )
        if skew > 0 and c.ordered[0] > 0:
            text += "; a log scale shows it better"
        values = {"skewness": skew, "mean": mean, "median": median}
        score = 0.25 + 0.04 * min(abs(skew), 10.0)
        out.append(_finding("skewed", [c.key], score, text + ".", values))
    return out


def _outliers(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in _distribution_columns(columns):
        ordered = c.ordered
        assert ordered is not None
        q1, q3 = _quantile(ordered, 0.25), _quantile(ordered, 0.75)
        spread = q3 - q1
        if spread <= 0:
            continue
        low, high = q1 - OUTLIER_IQR * spread, q3 + OUTLIER_IQR * spread
        below = int(np.searchsorted(ordered, low, side="left"))
        above = len(ordered) - int(np.searchsorted(ordered, high, side="right"))
        far = below + above
        share = far / len(ordered)
        if far == 0 or share > OUTLIER_MAX_SHARE:
            continue
        extremes = []
        if below:
            extremes.append(f"as low as {_num(float(ordered[0]))}")
        if above:
            extremes.append(f"as high as {_num(float(ordered[-1]))}")
        text = (
            f"{c.key} has {_many(far, 'extreme value')} ({_pct(share)}), {' and '.join(extremes)}, "
            f"far outside its middle half ({_num(q1)} to {_num(q3)})."
        )
        values = {"outliers": far, "share": share, "q1": q1, "q3": q3}
        out.append(_finding("outliers", [c.key], 0.25 + min(0.3, 6 * share), text, values))
    return out


def _uniform(columns: list[_Column], *_: Any) -> list[dict[str, Any]]:
    out = []
    for c in _distribution_columns(columns):
        ordered = c.ordered
        assert ordered is not None
        # counts per equal-width bin, read off the sorted values (no second pass)
        edges = np.linspace(ordered[0], ordered[-1], _bins(ordered) + 1)
        counts = np.diff(np.searchsorted(ordered, edges[1:-1], side="left"), prepend=0)
        counts = np.append(counts, len(ordered) - counts.sum())
        if len(counts) < 2 or _chi2_sf(_chi2_equal(counts), len(counts) - 1) <= UNIFORM_P:
            continue
        text = (
            f"{c.key} is spread evenly between {_num(float(ordered[0]))} and "
            f"{_num(float(ordered[-1]))}: no part of that range is more common."
        )
        out.append(_finding("uniform", [c.key], 0.15, text))
    for c in columns:
        if c.type == "categorical" and c.grouping and 2 <= c.distinct <= MAX_LABELS:
            counts = _label_counts(c)
        elif c.quantity and (small := _small_numeric_counts(c)) is not None:
            counts = small[1]
        elif c.info.get("format") == "year" and c.seconds is not None and c.distinct <= MAX_LABELS:
            # a year axis with as many rows per year: a balanced panel, worth saying
            counts = np.unique(c.seconds[np.isfinite(c.seconds)], return_counts=True)[1]
        else:
            continue
        if (
            len(counts) < 2
            or counts.sum() < MIN_VALUES
            or _chi2_sf(_chi2_equal(counts), len(counts) - 1) <= UNIFORM_P
        ):
            continue
        each = counts.sum() / len(counts)
        text = f"the {len(counts)} values of {c.key} are equally common (about {_num(each)} each)."
        out.append(_finding("uniform", [c.key], 0.15, text))
    return out


def _bins(ordered: np.ndarray) -> int:
    """Histogram bins: the larger of Sturges' and Freedman-Diaconis' counts, at most 100."""
    n = len(ordered)
    sturges = math.ceil(math.log2(n)) + 1
    spread = _quantile(ordered, 0.75) - _quantile(ordered, 0.25)
    width = float(ordered[-1] - ordered[0])
    if spread <= 0 or width <= 0:
        return sturges
    fd = math.ceil(width / (2 * spread / n ** (1 / 3)))
    return max(1, min(100, max(sturges, fd)))


def _chi2_equal(counts: np.ndarray) -> float:
    expected = counts.sum() / len(counts)
    return float(((counts - expected) ** 2).sum() / expected) if expected > 0 else 0.0
