"""Key findings (`minato.insights`): the few sentences an analyst would say first about
a table. In a kernel, `minato.findings(name)` runs `findings` on a loaded dataset; the
module is not called `findings` because importing it would rebind the package's
attribute of that name, the function, to the module.

`findings(frame)` returns a ranked list of dicts, each one plain-English sentence
with the numbers behind it (``text``), what it is about (``kind``, ``columns``),
how much it matters (``score``, 0..1) and which analysis section shows it
(``section``). The kinds take ydata-profiling's alert names where one matches,
so the two can be compared (`benchmarks/findings_vs_profiling.py`).

Design rules, and why:

* Runs in the browser's Pyodide kernel: standard library, numpy and pandas only
  (scipy and statsmodels are not loaded there). p-values come from closed forms.
* The same answer on pandas 2.2 and pandas 3: statistics are computed with numpy
  on float arrays, numbers in sentences are rounded to 3 significant digits and
  scores to 3 decimals, and ties are broken by kind, then column position.
* Fast: one pass per column for its statistics, then matrix products for the
  pairwise work (about one second for 100,000 rows x 50 columns under CPython;
  `benchmarks/findings_speed.py`).
* Never crashes or stalls: each kind runs in its own ``try``; a failure drops that
  kind and adds a ``note`` entry saying so, and everything that grows faster than
  the data (pairs of columns, wide duplicate checks) has a cap in `Budget`, named
  in a note when it bites.
* Identifier and constant columns never enter correlations, groups or time series.

Where thresholds differ from ydata-profiling's defaults (read from its 4.18.4
source, ``model/alerts.py`` and ``config_default.yaml``), the constant says why.

This module is the public face: `findings` runs the families of finding in
`minato.finders`, one module each (per column, duplicates, correlations, groups, time
series), over the column model they share (`finders.columns`); the thresholds and caps
live in `finders.thresholds` and are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .finders.columns import SMALL_INTEGER_VALUES as SMALL_INTEGER_VALUES
from .finders.columns import _Column, _columns
from .finders.correlations import _correlations
from .finders.duplicates import _duplicates
from .finders.groups import _groups_and_associations, compare_groups
from .finders.kinds import KINDS, SECTIONS, _finding
from .finders.kinds import SECTION_OF as SECTION_OF
from .finders.markdown import SHOWN_FINDINGS as SHOWN_FINDINGS
from .finders.markdown import _md_text as _md_text
from .finders.markdown import findings_markdown
from .finders.per_column import (
    _constant,
    _high_cardinality,
    _identifier,
    _imbalance,
    _infinite,
    _missing,
    _outliers,
    _skewed,
    _uniform,
    _unique,
    _zeros,
)
from .finders.ranking import _cut, _ranked
from .finders.stats import _chi2_sf as _chi2_sf
from .finders.thresholds import (  # noqa: F401 (the thresholds are documented as insights')
    ASSOCIATION,
    CORRELATION,
    ETA,
    GROUP_EFFECT,
    GROUPS,
    HIGH_CARDINALITY,
    IMBALANCE,
    MAX_LABELS,
    MIN_PAIRS,
    MIN_TIME_POINTS,
    MIN_VALUES,
    MISSING_SHARE,
    OUTLIER_IQR,
    OUTLIER_MAX_SHARE,
    SEASONAL_STRENGTH,
    SKEWNESS,
    TREND_R2,
    TREND_T,
    UNIFORM_P,
    ZEROS_SHARE,
    Budget,
)
from .finders.timeseries import _timeseries

__all__ = ["KINDS", "SECTIONS", "Budget", "compare_groups", "findings", "findings_markdown"]


def findings(
    frame: pd.DataFrame,
    types: dict[str, dict[str, Any]] | None = None,
    *,
    budget: Budget | None = None,
) -> list[dict[str, Any]]:
    """Ranked key findings about `frame` (highest score first), then notes.

    Each finding: ``kind`` (see `KINDS`), ``columns`` (column keys as in
    `semantic.column_keys`; empty for whole-table findings), ``score`` (0..1),
    ``text`` (one sentence), ``section`` (see `SECTIONS`) and ``values`` (the
    numbers behind the sentence). `types` defaults to `semantic.column_types`.
    """
    budget = budget or Budget()
    notes: list[str] = []
    with np.errstate(all="ignore"):  # odd data (all-NaN, overflow): results are checked instead
        columns = _columns(frame, types, budget, notes)
        found: list[dict[str, Any]] = []
        for kind, finder in _FINDERS:
            try:
                found.extend(finder(columns, frame, budget, notes))
            except Exception as exc:  # one odd column must not cost the other findings
                notes.append(f"{kind} findings skipped: {type(exc).__name__}: {exc}")
    found = _ranked(found, {c.key: c.position for c in columns})
    if budget.max_findings is not None and len(found) > budget.max_findings:
        notes.append(
            f"showing {budget.max_findings} of {len(found)} findings: the strongest, "
            "preferring ones about columns not yet named"
        )
        found = _cut(found, budget.max_findings)
    return found + [_finding("note", [], 0.0, text) for text in notes]


_Finder = Callable[[list[_Column], pd.DataFrame, Budget, list[str]], list[dict[str, Any]]]
_FINDERS: tuple[tuple[str, _Finder], ...] = (
    ("missing", _missing),
    ("constant", _constant),
    ("identifier", _identifier),
    ("unique", _unique),
    ("high_cardinality", _high_cardinality),
    ("imbalance", _imbalance),
    ("zeros", _zeros),
    ("infinite", _infinite),
    ("skewed", _skewed),
    ("outliers", _outliers),
    ("uniform", _uniform),
    ("duplicates", _duplicates),
    ("high_correlation", _correlations),
    ("group_difference", _groups_and_associations),
    ("timeseries", _timeseries),
)
