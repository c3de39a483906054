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
"""

from __future__ import annotations

import html
import math
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from . import semantic

__all__ = ["KINDS", "SECTIONS", "Budget", "compare_groups", "findings", "findings_markdown"]

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

# Thresholds. ydata-profiling's default, where it has one, is named in each comment.
#: share of missing values that is worth a sentence; ydata: > 1% (``alert_value``)
MISSING_SHARE = 0.01
#: share of zeros worth a sentence; ydata: > 1%. Kept: zeros matter for sums and logs,
#: and the score (0.1 + 0.5 x share) puts a few percent at the bottom of the list
ZEROS_SHARE = 0.01
#: |skewness| (adjusted Fisher-Pearson, as pandas' skew) that is "highly skewed".
#: ydata: 20, which only flags extreme tails; minato uses the textbook 1 (Bulmer):
#: a lognormal with sigma 1 (skewness ~6) is exactly the case a reader must be told
SKEWNESS = 1.0
#: extreme values lie this many IQRs beyond the quartiles (Tukey's "far out")
OUTLIER_IQR = 3.0
#: above this share, far values are a heavy tail (see skewed), not a few outliers
OUTLIER_MAX_SHARE = 0.05
#: 1 - entropy / log2(classes) above which one class dominates; ydata: 0.5 (same score)
IMBALANCE = 0.5
#: distinct labels above which a categorical is high-cardinality; ydata: 50
HIGH_CARDINALITY = 50
#: |r| (Pearson, or Spearman's rank rho) worth a sentence. ydata-profiling's effective
#: default is 0.5 on its "auto" matrix (Spearman between numbers): its Settings class says
#: 0.5, and that is what ProfileReport applies; the 0.9 in its config_default.yaml is not.
#: Same floor here (Cohen's "large" effect), worded "moderately" below 0.7, "strongly"
#: below 0.9, "very strongly" above, and scored so the weak ones rank low
CORRELATION = 0.5
#: bias-corrected Cramer's V between two categoricals; ydata: the same statistic, 0.5
ASSOCIATION = 0.5
#: correlation ratio eta between a categorical (other than the main grouping, which
#: gets group_difference findings) and a number. ydata instead cuts the number into 10
#: equal-width bins and takes Cramer's V >= 0.5, which also counts differences in spread
#: and reads higher on small samples; minato deliberately states only differences in
#: means (what eta measures), so a few of ydata's categorical-number alerts are not
#: repeated (penguins' sex against body mass: eta 0.42)
ETA = 0.5
#: omega squared (eta squared corrected for chance) of a group difference: Cohen's
#: "medium" effect. ydata has no such alert
GROUP_EFFECT = 0.06
GROUPS = (2, 12)
#: R squared of a straight line through the values over time (trend)
TREND_R2 = 0.3
#: t statistic of the trend's slope (about p < 0.01 from 10 points on)
TREND_T = 3.0
#: share of the variation around the trend explained by the position in a cycle
SEASONAL_STRENGTH = 0.3
#: chi-squared goodness of fit p-value above which values are "uniform"; ydata: 0.999
UNIFORM_P = 0.999
#: fewest values for a distribution statistic (skewness, outliers, uniform)
MIN_VALUES = 20
#: fewest rows in common for a correlation
MIN_PAIRS = 10
#: fewest time points for a trend
MIN_TIME_POINTS = 8
#: categoricals with at most this many labels take part in associations
MAX_LABELS = 50


@dataclass(frozen=True)
class Budget:
    """Caps on work that grows faster than the data; each one that bites adds a note."""

    #: findings returned (notes come on top); None returns all
    max_findings: int | None = 50
    #: columns analysed at all, in column order (10,000-column files stay fast)
    max_columns: int = 500
    #: numeric columns in the correlation matrix (pairs grow with the square)
    max_correlation_columns: int = 60
    #: categorical columns in associations and group comparisons
    max_category_columns: int = 30
    #: rows, evenly spaced, used to rank values for Spearman's rho
    max_rank_rows: int = 10_000
    #: cells (rows x columns) above which duplicate rows are not looked for
    max_duplicate_cells: int = 50_000_000
    #: numeric columns followed over time
    max_series_columns: int = 30
    #: calendar units (hours, days, months) a cycle is judged on: the most recent ones
    max_cycle_units: int = 5_000


@dataclass
class _Column:
    key: str
    position: int
    type: str
    info: dict[str, Any]
    series: pd.Series
    rows: int
    missing: int
    #: float64 values (NaN missing, infinities kept) for numeric, numeric text, booleans
    numbers: np.ndarray | None = None
    #: sorted finite numbers
    ordered: np.ndarray | None = None
    #: factorized labels (-1 missing) for everything but numbers and times
    codes: np.ndarray | None = None
    labels: Any = ()
    #: time as float seconds (NaN missing) for the datetime column
    seconds: np.ndarray | None = None
    distinct: int = 0
    #: how many of `numbers` are inf or -inf
    infinite: int = 0

    @property
    def count(self) -> int:
        return self.rows - self.missing

    @property
    def quantity(self) -> bool:
        """A number an analyst would average: not a flag, a key or a time."""
        return self.type in ("numeric", "numeric_text") and self.numbers is not None

    @property
    def grouping(self) -> bool:
        """Splits rows into groups: labels, flags, and whole numbers with 2-5 values (a
        class coded 0/1/2, a quarter 1-4: ydata-profiling treats those as categories too)."""
        return self.codes is not None and self.type != "identifier"


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


#: how many findings `findings_markdown` lists (the rest are counted)
SHOWN_FINDINGS = 10
#: Markdown's specials but ">", which HTML escaping turns into an inert &gt;
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def _md_text(text: object) -> str:
    """User text as inert Markdown, exactly as the host's `minato_lite.markup.md_text`
    (this package runs alone in the browser, so it cannot import it; a test keeps the
    two equal): no links, emphasis, HTML, math or line breaks."""
    flat = " ".join(str(text).split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", flat), quote=True)


def findings_markdown(
    found: list[dict[str, Any]],
    anchors: dict[str, str] | None = None,
    *,
    shown: int = SHOWN_FINDINGS,
) -> str:
    """`found` (from `findings`) as a ranked Markdown list: one escaped sentence each,
    linked to the heading of the section that shows it when `anchors` names one
    (section -> heading id, as JupyterLab makes it: the heading's text, spaces as
    "-"), then how many more there are and the notes."""
    ranked = [f for f in found if f["kind"] != "note"]
    notes = [f["text"] for f in found if f["kind"] == "note"]
    anchors = anchors or {}
    lines = []
    for number, item in enumerate(ranked[:shown], start=1):
        line = f"{number}. {_md_text(item['text'])}"
        anchor = anchors.get(item["section"])
        if anchor:
            title = _md_text(anchor.replace("-", " "))
            line += f" [{title} \u2193](#{urllib.parse.quote(anchor, safe='-_.:')})"
        lines.append(line)
    if not ranked:
        lines.append("Nothing stands out: no column or pair of columns passed a threshold.")
    if len(ranked) > shown:
        more = len(ranked) - shown
        lines.append(
            f"\n{more} more finding{'s' if more > 1 else ''}: `minato.findings()` lists them all."
        )
    if notes:
        lines.append("\n> **Notes:** " + " ".join(_md_text(n) for n in notes))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- columns


def _columns(
    frame: pd.DataFrame,
    types: dict[str, dict[str, Any]] | None,
    budget: Budget,
    notes: list[str],
) -> list[_Column]:
    """Per-column facts computed once: types, converted values, codes, sorted numbers."""
    width = frame.shape[1]
    names = frame.columns.tolist()  # once: indexing pandas 3's text Index is slow
    keys = semantic.column_keys(names)
    if width > budget.max_columns:
        notes.append(f"only the first {budget.max_columns} of {width} columns were analysed")
        frame = frame.iloc[:, : budget.max_columns]
        keys = keys[: budget.max_columns]
    given = _types_by_position(types, len(keys))
    if types is not None and given is None:
        notes.append("the given column types do not match this table; types were recomputed")
    out = _Table()
    for position, key in enumerate(keys):
        series = frame.iloc[:, position]
        try:
            # text is factorized once, for its type and for its groups and duplicates
            factorized = _codes(series) if _text_dtype(series.dtype) else None
            if given:
                info = given[position]
            else:
                info = semantic.series_type(series, names[position], factorized=factorized)
            out.append(_column(key, position, series, info, factorized))
        except Exception as exc:
            notes.append(f"column {key} left out: {type(exc).__name__}: {exc}")
    return out


def _types_by_position(
    types: dict[str, dict[str, Any]] | None, width: int
) -> list[dict[str, Any]] | None:
    if not types:
        return None
    by_position = {info.get("position", i): info for i, info in enumerate(types.values())}
    if any(p not in by_position for p in range(width)):
        return None
    return [by_position[p] for p in range(width)]


def _text_dtype(dtype: Any) -> bool:
    return ptypes.is_object_dtype(dtype) or (
        ptypes.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
    )


def _column(
    key: str,
    position: int,
    raw: pd.Series,
    info: dict[str, Any],
    factorized: tuple[np.ndarray, Any] | None = None,
) -> _Column:
    series, _how = semantic._converted(raw, info)
    if series is None or semantic._loses_values(raw, series):
        series = raw
    # the caller's factorization describes the column only while it is unconverted
    known = factorized if series is raw else None
    kind = info.get("type", "text")
    # missing values are counted on the arrays computed below (NaN, NaT as NaN, code -1):
    # the same cells pandas' isna() counts, without another pass through pandas
    column = _Column(
        key=key, position=position, type=kind, info=info, series=series, rows=len(series), missing=0
    )
    dtype = series.dtype
    if kind == "datetime" and (
        info.get("format") == "year" or ptypes.is_datetime64_any_dtype(dtype)
    ):
        if info.get("format") == "year":
            column.seconds = series.to_numpy(dtype="float64", na_value=np.nan)
        else:
            column.seconds = _seconds(series)
        gaps = np.isnan(column.seconds)
        column.missing = int(gaps.sum())
        column.distinct = len(np.unique(column.seconds[~gaps]))
        return column
    if kind in ("numeric", "numeric_text", "boolean") and _numeric_dtype(dtype):
        numbers = _floats(series)
        column.numbers = numbers
        gaps = np.isnan(numbers)
        column.missing = int(gaps.sum())
        finite = numbers[~gaps]
        infinite = np.isinf(finite)
        column.infinite = int(infinite.sum())
        if column.infinite:
            finite, infinite_values = finite[~infinite], finite[infinite]
            column.distinct = len(np.unique(infinite_values))
        column.ordered = np.sort(finite)
        column.distinct += _distinct_sorted(column.ordered)
        if kind == "boolean":
            column.codes, column.labels = _codes(series)
        elif _small_integers(column.ordered, column.distinct) and column.count == len(finite):
            codes, labels = _codes(series)
            column.codes, column.labels = codes, [_num(float(v)) for v in labels]
        return column
    column.codes, column.labels = known if known is not None else _codes(series)
    column.missing = int(np.count_nonzero(column.codes < 0))
    column.distinct = len(column.labels)
    return column


#: whole-number columns with at most this many values also split rows into groups
SMALL_INTEGER_VALUES = 5


def _small_integers(ordered: np.ndarray, distinct: int) -> bool:
    return 2 <= distinct <= SMALL_INTEGER_VALUES and bool(np.all(ordered == np.floor(ordered)))


def _numeric_dtype(dtype: Any) -> bool:
    return (
        ptypes.is_numeric_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype)
    ) and not isinstance(dtype, pd.CategoricalDtype)


def _floats(series: pd.Series) -> np.ndarray:
    """Numbers as float64 with NaN for missing: booleans 0/1, durations in seconds."""
    if ptypes.is_timedelta64_dtype(series.dtype):
        series = series.dt.total_seconds()
    if ptypes.is_bool_dtype(series.dtype):
        return series.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _seconds(series: pd.Series) -> np.ndarray:
    """Datetimes as float seconds since the epoch (wall-clock time for zoned values)."""
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    stamps = series.astype("datetime64[ns]").to_numpy(dtype="datetime64[ns]")
    out = stamps.astype("int64").astype("float64") / 1e9
    out[np.isnat(stamps)] = np.nan
    return out


def _codes(series: pd.Series) -> tuple[np.ndarray, Any]:
    """Factorized labels (the distinct values stay as pandas returns them: copying 100,000
    pyarrow strings into a list costs more than the factorizing); values pandas cannot
    hash (dicts, lists) by their text."""
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:
        text = series.map(str, na_action="ignore")
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
    return np.asarray(codes, dtype="int64"), uniques


def _distinct_sorted(ordered: np.ndarray) -> int:
    if len(ordered) == 0:
        return 0
    return 1 + int(np.count_nonzero(np.diff(ordered)))


# --------------------------------------------------------------------------- helpers


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


def _ranked(found: list[dict[str, Any]], positions: dict[str, int]) -> list[dict[str, Any]]:
    def key(item: dict[str, Any]) -> tuple:
        where = tuple(positions.get(c, -1) for c in item["columns"])
        return (-item["score"], KINDS.index(item["kind"]), where, item["text"])

    return sorted(found, key=key)


def _cut(found: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """The `size` findings to show, in rank order: a pair finding (a correlation, a group
    difference) whose columns are all named already by findings of its kind waits until
    every finding that tells something about a new column has a place.

    Without this, a wide table of correlated measurements fills the list with pairs of
    the same few columns (31 columns of the breast-cancer table: 256 findings, the 50
    strongest about 16 columns).
    """
    named: dict[str, set[str]] = {}
    first, later = [], []
    for index, item in enumerate(found):
        seen = named.setdefault(item["kind"], set())
        if len(item["columns"]) > 1 and set(item["columns"]) <= seen:
            later.append(index)
        else:
            first.append(index)
            seen.update(item["columns"])
    chosen = sorted((first + later)[:size]) if len(first) < size else sorted(first[:size])
    return [found[i] for i in chosen]


def _num(value: float) -> str:
    """A number for a sentence: 3 significant digits, thousands separated."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.3g}"
    return text if "e" not in text else f"{value:.2e}"


def _many(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _pct(share: float) -> str:
    if 0 < share < 0.001:
        return "<0.1%"
    if 0.999 < share < 1:
        return ">99.9%"
    return f"{share * 100:.1f}%".replace(".0%", "%")


def _label(value: Any) -> str:
    text = str(value)
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


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


def _label_counts(column: _Column) -> np.ndarray:
    codes = column.codes
    assert codes is not None
    present = codes[codes >= 0]
    return np.bincount(present, minlength=len(column.labels))


def _small_numeric_counts(column: _Column) -> tuple[np.ndarray, np.ndarray] | None:
    """Values and counts of a number column with 2..5 distinct values (ydata treats it
    as categorical, so imbalance and uniform apply)."""
    if (
        column.ordered is None
        or not 2 <= column.distinct <= 5
        or column.distinct != len(np.unique(column.ordered))
    ):
        return None
    values, counts = np.unique(column.ordered, return_counts=True)
    return values, counts


# --------------------------------------------------------------------------- per column


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


# --------------------------------------------------------------------------- table


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


# --------------------------------------------------------------------------- pairs


@dataclass
class _Centred:
    """Columns of numbers centred on their means (0 where missing), which the Pearson
    matrix and the group sums both start from."""

    present: np.ndarray  # rows x columns, True where a value is
    centred: np.ndarray
    means: np.ndarray
    counts: np.ndarray  # present values per column

    @classmethod
    def of(cls, values: np.ndarray) -> _Centred:
        values = np.asfortranarray(values)  # columns contiguous: reductions run down them
        present = ~np.isnan(values)
        counts = present.sum(axis=0).astype("float64")
        centred = np.where(present, values, 0.0)
        means = centred.sum(axis=0) / np.maximum(counts, 1)
        centred -= means
        centred[~present] = 0.0
        return cls(present, centred, means, counts)

    def columns(self, picked: list[int]) -> _Centred:
        """The same for some of the columns (each column is centred on its own)."""
        if picked == list(range(self.centred.shape[1])):
            return self
        return _Centred(
            self.present[:, picked], self.centred[:, picked], self.means[picked],
            self.counts[picked],
        )  # fmt: skip


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


class _Table(list):
    """The analysed columns, plus the one matrix of their numbers that the pairwise
    findings (correlations, groups, time) all read, built once, and its centred form."""

    numbers: np.ndarray | None = None
    where: dict[int, int]
    centred: _Centred | None = None


def _centred(quantities: list[_Column], table: list[_Column]) -> _Centred:
    """The centred numbers of these columns: from the table's one centred matrix."""
    if not isinstance(table, _Table):
        return _Centred.of(_quantity_matrix(quantities, table))
    _quantity_matrix(quantities, table)  # builds the table's matrix and `where`
    assert table.numbers is not None
    if table.centred is None:
        table.centred = _Centred.of(table.numbers)
    return table.centred.columns([table.where[c.position] for c in quantities])


def _numbers(column: _Column) -> np.ndarray:
    """The column's numbers; only called for columns chosen because they have them."""
    assert column.numbers is not None, column.key
    return column.numbers


def _quantity_matrix(quantities: list[_Column], table: list[_Column] | None = None) -> np.ndarray:
    """Numbers of these columns side by side (rows x columns), infinities as NaN.

    Column-major (Fortran order): every statistic here reduces down the rows of one
    column, and numpy does that several times faster on contiguous columns (reduceat,
    sums, where). Treat the result as read-only: it may be the shared matrix itself.
    """
    if isinstance(table, _Table):
        if table.numbers is None:
            having = [c for c in table if c.numbers is not None]
            table.where = {c.position: i for i, c in enumerate(having)}
            table.numbers = _stacked(having, len(table[0].series) if table else 0)
        picked = [table.where[c.position] for c in quantities]
        if picked == list(range(table.numbers.shape[1])):
            return table.numbers
        return table.numbers[:, picked]  # a column selection of an F array stays F
    return _stacked(quantities, len(quantities[0].series) if quantities else 0)


def _stacked(columns: list[_Column], rows: int) -> np.ndarray:
    matrix = np.empty((rows, len(columns)), order="F")
    for i, c in enumerate(columns):
        matrix[:, i] = _numbers(c)
        if c.infinite:
            np.copyto(matrix[:, i], np.nan, where=np.isinf(matrix[:, i]))
    return matrix


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
        analysis.groupings, analysis.quantities, analysis.stats, analysis.main
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


# --------------------------------------------------------------------------- time


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
