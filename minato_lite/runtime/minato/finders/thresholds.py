"""When a finding is worth a sentence, and how much work one table may cost, in one place:
every family of finding reads these, and a reader comparing minato with ydata-profiling
(`benchmarks/findings_vs_profiling.py`) finds each threshold next to ydata's default.

Where a threshold differs from ydata-profiling's default (read from its 4.18.4 source,
``model/alerts.py`` and ``config_default.yaml``), its comment says why.
"""

from __future__ import annotations

from dataclasses import dataclass

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
