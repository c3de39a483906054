"""The statistics the findings need, written out with numpy and the standard library:
scipy is not loaded in the browser's Pyodide kernel (so p-values come from closed forms),
and statistics computed on float arrays give the same answer on pandas 2.2 and pandas 3."""

from __future__ import annotations

import math

import numpy as np


def _chi2_sf(statistic: float, dof: int) -> float:
    """P(chi-squared with `dof` degrees of freedom > statistic), without scipy: the
    regularized upper incomplete gamma function Q(dof/2, statistic/2)."""
    if dof <= 0 or not math.isfinite(statistic):
        return 0.0
    if statistic <= 0:
        return 1.0
    return _gamma_q(dof / 2.0, statistic / 2.0)


def _gamma_q(a: float, x: float) -> float:
    """Regularized upper incomplete gamma Q(a, x): its power series below x = a + 1,
    Lentz's continued fraction above (both converge fast there)."""
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(1000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def _quantile(ordered: np.ndarray, q: float) -> float:
    """Linear-interpolated quantile of sorted values (numpy's default method)."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def _skewness(values: np.ndarray) -> float:
    """Adjusted Fisher-Pearson skewness (pandas' Series.skew, ydata-profiling's)."""
    n = len(values)
    if n < 3:
        return float("nan")
    centred = values - values.mean()
    squared = centred * centred  # products, not **: the power ufunc is several times slower
    m2 = float(np.mean(squared))
    if m2 <= 0 or not math.isfinite(m2):
        return float("nan")
    m3 = float(np.mean(squared * centred))
    scale = float(np.max(np.abs(centred)))
    if m2 < (scale * 1e-14) ** 2:  # round-off noise of a near-constant column
        return float("nan")
    return m3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2)
