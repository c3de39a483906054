"""Findings over time (a trend, a calendar cycle) along the table's date column: apart
because they first reshape the numbers into one value per time stamp and per calendar
unit, work no other family shares."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .columns import _Column, _quantity_matrix
from .kinds import _finding
from .thresholds import MIN_TIME_POINTS, SEASONAL_STRENGTH, TREND_R2, TREND_T, Budget
from .wording import _num, _pct

_DAY = 86_400.0
#: calendar cycles: name, the unit values are averaged over, the phase of a time stamp,
#: the cycle's length in seconds, and the shortest span to judge it
_CYCLES = (
    ("daily", "h", "hour", _DAY, 3 * _DAY),
    ("weekly", "D", "day_of_week", 7 * _DAY, 21 * _DAY),
    ("yearly", "MS", "month", 365.25 * _DAY, 730 * _DAY),
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_PHASE_NAMES: dict[str, Callable[[Any], str]] = {
    "hour": lambda v: f"at {int(v):02d}:00",
    "day_of_week": lambda v: f"on {_WEEKDAYS[int(v)]}s",
    "month": lambda v: f"in {_MONTHS[int(v) - 1]}",
}
_CYCLE_WORDS = {"hour": "hour of the day", "day_of_week": "day of the week", "month": "month"}


def _time_axis(columns: list[_Column]) -> _Column | None:
    for c in columns:
        if c.type == "datetime" and c.seconds is not None and c.distinct >= MIN_TIME_POINTS:
            return c
    return None


def _timeseries(columns: list[_Column], frame: pd.DataFrame, budget: Budget, notes: list[str]):
    axis = _time_axis(columns)
    if axis is None:
        return []
    assert axis.seconds is not None
    quantities = [c for c in columns if c.quantity and c.distinct > 1]
    if len(quantities) > budget.max_series_columns:
        notes.append(
            f"time series follow the first {budget.max_series_columns} of "
            f"{len(quantities)} numeric columns"
        )
        quantities = quantities[: budget.max_series_columns]
    if not quantities:
        return []
    has_time = ~np.isnan(axis.seconds)
    times, inverse = np.unique(axis.seconds[has_time], return_inverse=True)
    values = _quantity_matrix(quantities, columns)
    if not has_time.all():
        values = _take_rows(values, has_time)
    present = ~np.isnan(values)
    if len(times) == len(values):  # one row per time stamp: the values, in time order
        order = np.empty(len(times), dtype="int64")
        order[inverse] = np.arange(len(times))
        in_order = bool(np.all(order[1:] > order[:-1]))  # rows already sorted by time
        means = values if in_order else _take_rows(values, order)
    else:
        means = np.full((len(times), values.shape[1]), np.nan, order="F")
    for j in range(values.shape[1] if len(times) < len(values) else 0):
        # the mean per distinct time; NaN where the column has no value then
        count = np.bincount(inverse, weights=present[:, j], minlength=len(times))
        total = np.bincount(inverse, weights=np.where(present[:, j], values[:, j], 0.0),
                            minlength=len(times))  # fmt: skip
        means[:, j] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    yearly = axis.info.get("format") == "year"
    cycles = [] if yearly else _calendar_cycles(times, budget.max_cycle_units)
    bin_times, bin_means = _binned(times, means)
    points = np.isfinite(means).sum(axis=0)
    out = []
    for j, q in enumerate(quantities):
        ok = np.isfinite(bin_means[:, j])
        if points[j] < MIN_TIME_POINTS:
            continue
        trend = _trend(axis, q, bin_times[ok, j], bin_means[ok, j])
        if trend:
            out.append(trend)
    out.extend(_seasonal(axis, quantities, means, cycles))
    return out


def _take_rows(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`matrix[rows]`, kept column-major: numpy returns a row-major copy for a row
    selection, on which the per-column reductions that follow run several times slower."""
    count = int(np.count_nonzero(rows)) if rows.dtype == bool else len(rows)
    out = np.empty((count, matrix.shape[1]), order="F")
    for j in range(matrix.shape[1]):
        out[:, j] = matrix[:, j][rows]
    return out


def _binned(times: np.ndarray, means: np.ndarray, bins: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """At most `bins` equal-width time bins, all columns at once: the mean time and the
    mean value of each bin and column (NaN where a column has nothing in a bin), so a
    trend is not dominated by a dense stretch of the series."""
    if len(times) <= bins:
        return np.repeat(times[:, None], means.shape[1], axis=1), means
    edges = np.linspace(times[0], times[-1], bins + 1)[:-1]
    starts = np.unique(np.searchsorted(times, edges, side="left"))  # times are sorted
    present = np.isfinite(means)
    counts = np.add.reduceat(present.astype("float64"), starts, axis=0)
    sums = np.add.reduceat(np.where(present, means, 0.0), starts, axis=0)
    # each bin's time: the mean of its time stamps (the same for every column)
    centres = np.add.reduceat(times, starts) / np.diff(np.r_[starts, len(times)])
    with np.errstate(all="ignore"):
        return np.repeat(centres[:, None], means.shape[1], axis=1), sums / counts


def _trend(axis: _Column, q: _Column, t: np.ndarray, y: np.ndarray) -> dict | None:
    """A straight-line trend through one column's (binned) values over time."""
    if len(t) < MIN_TIME_POINTS or np.ptp(y) == 0:
        return None
    x = (t - t.mean()) / (np.ptp(t) or 1.0)
    slope = float((x * (y - y.mean())).sum() / (x**2).sum())
    fitted = y.mean() + slope * x
    r2 = 1 - float(((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    if not math.isfinite(r2) or r2 < TREND_R2:
        return None
    # and not a chance slope through a few noisy points: the slope's t statistic
    if r2 < 1 and math.sqrt(r2 * (len(y) - 2) / (1 - r2)) < TREND_T:
        return None
    tenth = max(1, len(y) // 10)
    first, last = float(y[:tenth].mean()), float(y[-tenth:].mean())
    direction = "rises" if slope > 0 else "falls"
    text = (
        f"{q.key} {direction} over {axis.key}: from about {_num(first)} at the start to "
        f"{_num(last)} at the end (straight-line trend R² = {r2:.2f})."
    )
    values = {"r2": r2, "start": first, "end": last}
    return _finding("non_stationary", [q.key, axis.key], 0.35 + 0.45 * r2, text, values)


@dataclass
class _Cycle:
    """One calendar cycle laid over the distinct times of the axis, computed once."""

    name: str
    phase_of: str
    first: int  # index of the first distinct time judged
    starts: np.ndarray  # index of the first distinct time of each calendar unit
    phases: np.ndarray  # per unit: hour of day, weekday (0 = Monday) or month (1-12)
    window: tuple[np.ndarray, np.ndarray]  # per unit: first and past-last unit of its window


def _calendar_cycles(times: np.ndarray, max_units: int) -> list[_Cycle]:
    """The cycles the axis can show: sampled at least four times per cycle, over the
    cycle's minimum span (three days, three weeks, two years); each judged on its most
    recent `max_units` units (a contiguous stretch, so the phases stay whole)."""
    if len(times) < MIN_TIME_POINTS:
        return []
    span = float(times[-1] - times[0])
    step = float(np.median(np.diff(times)))
    out = []
    for name, unit, phase_of, cycle, min_span in _CYCLES:
        if span < min_span or step > cycle / 4:
            continue
        if unit == "MS":
            stamps = pd.to_datetime(pd.Series((times * 1e9).round().astype("int64")), unit="ns")
            index = (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype="int64")
        else:
            index = np.floor(times / (3600.0 if unit == "h" else _DAY)).astype("int64")
        keys, unit_of = np.unique(index, return_inverse=True)
        if len(keys) > max_units:
            keys = keys[-max_units:]
            unit_of = unit_of - (unit_of.max() + 1 - max_units)  # earlier times: negative
        if unit == "MS":
            phases = keys % 12 + 1
            starts = keys * (365.25 / 12) * _DAY  # months as equal twelfths of a year
        elif unit == "h":
            phases, starts = keys % 24, keys * 3600.0
        else:  # 1970-01-01, day 0, was a Thursday (weekday 3)
            phases, starts = (keys + 3) % 7, keys * _DAY
        # the running level of each unit: the units within half a cycle on either side
        low = np.searchsorted(starts, starts - cycle / 2, side="left")
        high = np.searchsorted(starts, starts + cycle / 2, side="left")
        first = int(np.searchsorted(unit_of, 0))  # the first time in the judged stretch
        starts_at = first + np.flatnonzero(np.r_[True, np.diff(unit_of[first:]) != 0])
        out.append(_Cycle(name, phase_of, first, starts_at, phases, (low, high)))
    return out


def _seasonal(
    axis: _Column, quantities: list[_Column], means: np.ndarray, cycles: list[_Cycle]
) -> list[dict[str, Any]]:
    """The strongest calendar cycle of each column, all columns at once.

    `means` holds one value per distinct time (rows) and column, NaN where missing.
    Per cycle: average each calendar unit, subtract the running level (a centred mean
    over one cycle), and measure how much of what is left the phase explains.
    """
    best: dict[int, tuple[float, _Cycle, np.ndarray, np.ndarray]] = {}
    present = np.isfinite(means)
    filled = np.where(present, means, 0.0)
    for cycle in cycles:
        if len(cycle.starts) == len(means) - cycle.first:  # each time is its own unit
            counts = present[cycle.first :].astype("float64")
            sums = filled[cycle.first :]
        else:
            counts = np.add.reduceat(present.astype("float64"), cycle.starts, axis=0)
            sums = np.add.reduceat(filled, cycle.starts, axis=0)
        has = counts > 0
        unit_mean = np.where(has, sums / np.maximum(counts, 1), 0.0)
        zero = np.zeros((1, means.shape[1]))
        running_sum = np.vstack([zero, np.cumsum(unit_mean, axis=0)])
        running_n = np.vstack([zero, np.cumsum(has, axis=0)])
        low, high = cycle.window
        n = running_n[high] - running_n[low]
        with np.errstate(all="ignore"):
            level = (running_sum[high] - running_sum[low]) / n
        keep = has & (n > 0)
        residual = np.where(keep, unit_mean - level, 0.0)
        kinds, phase_index = np.unique(cycle.phases, return_inverse=True)
        onehot = np.zeros((len(cycle.phases), len(kinds)))
        onehot[np.arange(len(cycle.phases)), phase_index] = 1.0
        strength, effect = _phase_strength(
            residual, keep.astype("float64"), onehot
        )  # per column; effect: phases x columns
        for j in np.flatnonzero(strength >= SEASONAL_STRENGTH).tolist():
            if j not in best or strength[j] > best[j][0]:
                best[j] = (float(strength[j]), cycle, kinds, effect[:, j])
    out = []
    for j in sorted(best):
        share, cycle, kinds, effect = best[j]
        seen = np.isfinite(effect)
        kinds, effect = kinds[seen], effect[seen]
        high, low = kinds[int(np.argmax(effect))], kinds[int(np.argmin(effect))]
        up, down = float(effect.max()), float(effect.min())
        when = _PHASE_NAMES[cycle.phase_of]
        q = quantities[j]
        text = (
            f"{q.key} follows a {cycle.name} cycle: {_signed(up)} {when(high)} and "
            f"{_signed(down)} {when(low)} against its running level; the "
            f"{_CYCLE_WORDS[cycle.phase_of]} explains {_pct(share)} of its variation "
            "around that level."
        )
        values = {
            "cycle": cycle.name,
            "strength": share,
            "high": when(high),
            "low": when(low),
            "high_effect": up,
            "low_effect": down,
        }
        score = 0.35 + 0.45 * share
        out.append(_finding("seasonal", [q.key, axis.key], score, text, values))
    return out


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "-") + _num(abs(float(value)))


def _phase_strength(
    residual: np.ndarray, keep: np.ndarray, onehot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per column: the share of the residual variation explained by the phase (omega
    squared, NaN where there is too little to judge), and each phase's mean residual.

    `residual` and `keep` are units x columns; `onehot` is units x phases.
    """
    counts = onehot.T @ keep  # phases x columns
    sums = onehot.T @ residual
    n = keep.sum(axis=0)
    total_sum = residual.sum(axis=0)
    with np.errstate(all="ignore"):
        total = (residual * residual).sum(axis=0) - total_sum**2 / n
        effect = np.where(counts > 0, sums / counts, np.nan)
        between = np.where(counts > 0, sums * sums / counts, 0.0).sum(axis=0) - total_sum**2 / n
        k = (counts > 0).sum(axis=0)
        mean_within = (total - between) / (n - k)
        strength = (between - (k - 1) * mean_within) / (total + mean_within)
    judged = (n >= 4) & (k >= 2) & (n >= 2 * k) & (total > 0) & np.isfinite(strength)
    return np.where(judged, strength, np.nan), effect
