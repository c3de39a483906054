"""Key findings (runtime `minato.insights`): crafted data whose answer is known.

Runs on the host's pandas and, unchanged, on the browser's versions (a venv with
pandas==2.2.3 numpy==2.0.2 pytest, the repository on PYTHONPATH):
    VENV/bin/python -m pytest --noconftest tests/test_findings.py
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minato_lite.runtime.minato import insights

F = insights

CORPUS = Path(__file__).parent / "hostile"
N = 1000


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def of_kind(found: list[dict], kind: str) -> list[dict]:
    return [f for f in found if f["kind"] == kind]


def about(found: list[dict], kind: str, *columns: str) -> list[dict]:
    return [f for f in of_kind(found, kind) if set(columns) <= set(f["columns"])]


# the answer is known


def test_a_pair_correlated_at_095_is_a_high_correlation_naming_both():
    x = rng().normal(size=N)
    y = 0.95 * x + np.sqrt(1 - 0.95**2) * rng(1).normal(size=N)
    frame = pd.DataFrame({"units": x, "amount": y, "noise": rng(2).normal(size=N)})
    found = F.findings(frame)
    [hit] = of_kind(found, "high_correlation")
    assert hit["columns"] == ["units", "amount"]
    assert 0.93 <= hit["values"]["r"] <= 0.97
    assert "units and amount are very strongly correlated (r = 0.9" in hit["text"]
    assert hit["section"] == "correlations"


def test_a_negative_correlation_says_so_and_independent_columns_say_nothing():
    x = rng().normal(size=N)
    frame = pd.DataFrame(
        {"a": x, "b": -x + 0.3 * rng(1).normal(size=N), "c": rng(2).normal(size=N)}
    )
    [hit] = of_kind(F.findings(frame), "high_correlation")
    assert hit["columns"] == ["a", "b"] and "negatively" in hit["text"]


def test_forty_percent_missing_is_a_missing_finding_with_the_share():
    values = rng().normal(size=N)
    values[rng(1).permutation(N)[: int(0.4 * N)]] = np.nan
    [hit] = of_kind(F.findings(pd.DataFrame({"gap": values})), "missing")
    assert hit["columns"] == ["gap"] and hit["values"]["missing"] == 400
    assert "400 of 1,000 rows (40%)" in hit["text"] and hit["section"] == "missing"


def test_lognormal_values_are_skewed_and_a_normal_column_is_not():
    frame = pd.DataFrame({"income": rng().lognormal(0, 1, N), "height": rng(1).normal(size=N)})
    found = F.findings(frame)
    [hit] = of_kind(found, "skewed")
    assert hit["columns"] == ["income"] and hit["values"]["skewness"] > 2
    assert "right-skewed" in hit["text"] and "log scale" in hit["text"]


def test_a_95_5_split_is_an_imbalance_and_a_60_40_split_is_not():
    frame = pd.DataFrame(
        {"plan": ["free"] * 950 + ["paid"] * 50, "side": ["left"] * 600 + ["right"] * 400}
    )
    [hit] = of_kind(F.findings(frame), "imbalance")
    assert hit["columns"] == ["plan"] and hit["values"]["top"] == "free"
    assert "95%" in hit["text"] and hit["section"] == "categories"


def test_duplicated_rows_are_counted_exactly():
    base = pd.DataFrame({"a": rng().normal(size=200), "b": rng(1).choice(["x", "y"], 200)})
    frame = pd.concat([base, base.iloc[:17], base.iloc[:3]], ignore_index=True)
    [hit] = of_kind(F.findings(frame), "duplicates")
    assert hit["values"]["duplicates"] == 20 == int(frame.duplicated().sum())
    assert hit["text"].startswith("20 rows (9.1%) repeat an earlier row") and hit["columns"] == []


def test_missing_values_in_the_same_places_count_as_equal_for_duplicates():
    frame = pd.DataFrame({"a": [1.0, np.nan, np.nan, 0.0, -0.0], "b": ["x", None, None, "y", "y"]})
    [hit] = of_kind(F.findings(frame), "duplicates")
    assert hit["values"]["duplicates"] == int(frame.duplicated().sum()) == 2


def test_a_constant_column_is_constant_and_stays_out_of_correlations():
    x = rng().normal(size=N)
    frame = pd.DataFrame({"x": x, "y": x * 2 + 1, "k": 5.0, "label": "same"})
    found = F.findings(frame)
    assert sorted(f["columns"][0] for f in of_kind(found, "constant")) == ["k", "label"]
    assert all("k" not in f["columns"] for f in of_kind(found, "high_correlation"))


def test_a_unique_string_id_is_an_identifier_and_unique_labels_are_unique():
    frame = pd.DataFrame(
        {
            "code": [f"ID-{i:04d}" for i in range(N)],
            "city": [f"City {i}" for i in range(N)],
            "v": rng().normal(size=N),
        }
    )
    found = F.findings(frame)
    assert [f["columns"] for f in of_kind(found, "identifier")] == [["code"]]
    assert ["city"] in [f["columns"] for f in of_kind(found, "unique")]


def test_identifiers_are_never_correlated_even_with_a_trend():
    ids = np.arange(N)
    frame = pd.DataFrame({"order_id": ids, "total": ids * 2.0 + rng().normal(size=N)})
    found = F.findings(frame)
    assert of_kind(found, "identifier")[0]["columns"] == ["order_id"]
    assert of_kind(found, "high_correlation") == []


def test_sixty_percent_zeros_is_a_zeros_finding():
    values = np.where(rng().random(N) < 0.6, 0.0, rng(1).uniform(1, 10, N))
    [hit] = of_kind(F.findings(pd.DataFrame({"discount": values})), "zeros")
    assert 0.55 < hit["values"]["share"] < 0.65 and "discount is zero in" in hit["text"]


def test_groups_with_different_means_are_a_group_difference_with_an_effect_size():
    region = np.repeat(["North", "South", "East"], [300, 300, 400])
    score = pd.Series(region).map({"North": 10.0, "South": 12.0, "East": 20.0}).to_numpy()
    frame = pd.DataFrame(
        {"region": region, "score": score + rng().normal(0, 3, N), "other": rng(1).normal(size=N)}
    )
    found = F.findings(frame)
    [hit] = of_kind(found, "group_difference")
    assert hit["columns"] == ["region", "score"] and hit["section"] == "groups"
    assert hit["values"]["eta2"] > 0.5 and hit["values"]["high"] == "East"
    assert "η² = " in hit["text"] and "'East'" in hit["text"] and "'North'" in hit["text"]


def test_two_groups_report_cohens_d():
    group = np.repeat(["control", "treated"], N // 2)
    outcome = np.where(group == "treated", 1.0, 0.0) + rng().normal(size=N)
    [hit] = of_kind(
        F.findings(pd.DataFrame({"group": group, "outcome": outcome})), "group_difference"
    )
    assert 0.8 < hit["values"]["cohen_d"] < 1.2 and "Cohen's d = " in hit["text"]


def test_groups_with_equal_means_are_no_group_difference():
    group = rng().choice(["a", "b", "c"], N)
    frame = pd.DataFrame({"group": group, "value": rng(1).normal(size=N)})
    assert of_kind(F.findings(frame), "group_difference") == []


def daily(values: np.ndarray, **extra) -> pd.DataFrame:
    dates = pd.date_range("2021-01-04", periods=len(values), freq="D")  # a Monday
    return pd.DataFrame({"date": dates, "value": values, **extra})


def test_a_trend_over_time_is_non_stationary():
    days = np.arange(400)
    found = F.findings(daily(days * 0.1 + rng().normal(0, 3, 400)))
    [hit] = of_kind(found, "non_stationary")
    assert hit["columns"] == ["value", "date"] and hit["section"] == "timeseries"
    assert "value rises over date" in hit["text"] and hit["values"]["r2"] > 0.5


def test_a_weekly_cycle_is_seasonal_and_says_which_days():
    days = np.arange(364)
    weekend = np.isin(days % 7, [5, 6])  # Saturday and Sunday, as the series starts on a Monday
    found = F.findings(daily(np.where(weekend, 20.0, 10.0) + rng().normal(0, 1, 364)))
    [hit] = of_kind(found, "seasonal")
    assert hit["values"]["cycle"] == "weekly"
    assert hit["values"]["high"] in ("on Saturdays", "on Sundays")
    assert of_kind(found, "non_stationary") == []


def test_a_monthly_cycle_over_years_is_seasonal():
    months = pd.date_range("2015-01-01", periods=96, freq="MS")
    values = 10 * np.sin(2 * np.pi * (months.month - 1) / 12) + rng().normal(0, 1, 96)
    [hit] = of_kind(F.findings(pd.DataFrame({"month": months, "sales": values})), "seasonal")
    assert hit["values"]["cycle"] == "yearly" and hit["values"]["high"] in ("in March", "in April")


def test_noise_over_time_is_neither_trend_nor_cycle():
    found = F.findings(daily(rng().normal(size=500)))
    assert of_kind(found, "non_stationary") == [] and of_kind(found, "seasonal") == []


def test_a_year_column_is_the_time_axis_not_a_quantity():
    years = np.repeat(np.arange(1990, 2020), 5)
    frame = pd.DataFrame({"year": years, "co2": (years - 1990) * 1.5 + rng().normal(0, 2, 150)})
    found = F.findings(frame)
    assert about(found, "non_stationary", "co2", "year")
    assert of_kind(found, "high_correlation") == []


def test_numbers_stored_as_text_are_analysed_as_numbers():
    x = rng().lognormal(3, 1, N)
    frame = pd.DataFrame({"price": [f"${v:,.2f}" for v in x], "qty": x * 2 + rng(1).normal(size=N)})
    found = F.findings(frame)
    assert about(found, "skewed", "price") and about(found, "high_correlation", "price", "qty")


def test_infinities_are_reported_and_do_not_break_statistics():
    values = rng().normal(size=N)
    values[:3] = [np.inf, -np.inf, np.inf]
    found = F.findings(pd.DataFrame({"x": values, "y": values * 2}))
    assert of_kind(found, "infinite")[0]["values"]["infinite"] == 3
    assert about(found, "high_correlation", "x", "y")


def test_a_correlation_of_06_is_stated_as_moderate_and_ranked_below_a_strong_one():
    x = rng().normal(size=N)
    frame = pd.DataFrame(
        {
            "a": x,
            "b": 0.6 * x + 0.8 * rng(1).normal(size=N),
            "c": rng(2).normal(size=N),
        }
    )
    frame["d"] = frame["c"] * 0.95 + 0.31 * rng(3).normal(size=N)
    found = of_kind(F.findings(frame), "high_correlation")
    assert [f["columns"] for f in found] == [["c", "d"], ["a", "b"]]
    assert (
        0.55 < found[1]["values"]["r"] < 0.65
        and "moderately correlated (r = 0." in found[1]["text"]
    )


def test_a_class_coded_as_small_integers_splits_rows_into_groups():
    target = np.repeat([0, 1, 2], [300, 300, 400])
    frame = pd.DataFrame(
        {
            "target": target,
            "alcohol": target * 2.0 + rng().normal(size=N),
            "x": rng(1).normal(size=N),
        }
    )
    [hit] = of_kind(F.findings(frame), "group_difference")
    assert hit["columns"] == ["target", "alcohol"] and hit["values"]["high"] == "2"


def test_two_linked_categoricals_are_associated_by_cramers_v():
    state = rng().choice(["CA", "OR", "NY", "NJ"], N)
    region = pd.Series(state).map({"CA": "west", "OR": "west", "NY": "east", "NJ": "east"})
    frame = pd.DataFrame({"state": state, "region": region, "other": rng(1).choice(["p", "q"], N)})
    [hit] = of_kind(F.findings(frame), "high_correlation")
    assert hit["columns"] == ["state", "region"] and "Cramér's V = 1.00" in hit["text"]


def test_a_categorical_that_is_not_the_main_grouping_gets_an_eta_association():
    r = rng()
    main = r.choice(["a", "b"], N)
    side = r.choice(["p", "q", "r"], N)
    frame = pd.DataFrame(
        {
            "main": main,
            "side": side,
            "y": np.where(main == "a", 0.0, 6.0) + r.normal(size=N),  # the stronger split
            "z": pd.Series(side).map({"p": 0.0, "q": 1.0, "r": 2.0}).to_numpy()
            + r.normal(size=N) * 0.5,
        }
    )
    found = F.findings(frame)
    assert about(found, "group_difference", "main", "y")
    [eta] = about(found, "high_correlation", "side", "z")
    assert "(η = 0.8" in eta["text"]


def test_a_balanced_year_panel_and_equal_labels_are_uniform():
    frame = pd.DataFrame(
        {"year": np.repeat([2019, 2020, 2021], 40), "site": np.tile(["a", "b", "c", "d"], 30)}
    )
    found = F.findings(frame)
    assert sorted(f["columns"][0] for f in of_kind(found, "uniform")) == ["site", "year"]


def test_one_extreme_value_is_singular():
    values = rng().normal(size=N)
    values[0] = 50.0
    [hit] = of_kind(F.findings(pd.DataFrame({"x": values})), "outliers")
    assert "has 1 extreme value (" in hit["text"] and "as high as 50" in hit["text"]


@pytest.mark.parametrize(
    ("statistic", "dof", "expected"),
    [(3.841458820694124, 1, 0.05), (5.991464547107979, 2, 0.05), (18.307038053275146, 10, 0.05),
     (0.0148, 3, 0.99952325743593), (124.34211340400407, 100, 0.05)],
)  # fmt: skip
def test_chi_squared_tail_matches_the_tables(statistic, dof, expected):
    assert F._chi2_sf(statistic, dof) == pytest.approx(expected, rel=1e-9)


# shape, ranking, determinism, caps


def mixed_frame() -> pd.DataFrame:
    r = rng(7)
    x = r.normal(size=N)
    return pd.DataFrame(
        {
            "id": np.arange(N),
            "x": x,
            "y": x + r.normal(0, 0.2, N),
            "cat": r.choice(["a", "b", "c"], N, p=[0.9, 0.05, 0.05]),
            "skew": r.lognormal(size=N),
            "gap": np.where(r.random(N) < 0.3, np.nan, 1.0 + r.random(N)),
            "when": pd.date_range("2020-01-01", periods=N, freq="h"),
        }
    )


def test_every_finding_has_the_documented_shape_and_scores_rank_it():
    found = F.findings(mixed_frame())
    assert found, "the mixed frame has things to say"
    for f in found:
        assert set(f) == {"kind", "columns", "score", "text", "section", "values"}
        assert f["kind"] in F.KINDS and f["section"] in F.SECTIONS
        assert 0.0 <= f["score"] <= 1.0 and f["text"].endswith(".")
        assert all(isinstance(c, str) for c in f["columns"])
    scores = [f["score"] for f in found if f["kind"] != "note"]
    assert scores == sorted(scores, reverse=True)
    json.dumps(found)  # plain data, ready for a notebook or an API


def test_the_same_input_gives_the_identical_list():
    assert F.findings(mixed_frame()) == F.findings(mixed_frame())


def test_equal_scores_are_ordered_by_kind_then_column_position():
    frame = pd.DataFrame(
        {"b": [f"ID-{i:03d}" for i in range(50)], "a": [f"K{i}" for i in range(50)]}
    )
    found = F.findings(frame)
    assert [f["columns"] for f in of_kind(found, "identifier")] == [["b"], ["a"]]


def test_max_findings_keeps_the_strongest_and_says_how_many_there_were():
    full = F.findings(mixed_frame(), budget=F.Budget(max_findings=None))
    capped = F.findings(mixed_frame(), budget=F.Budget(max_findings=2))
    assert capped[:2] == full[:2]
    assert capped[2]["kind"] == "note" and f"of {len(full)} findings" in capped[2]["text"]


def test_the_cut_prefers_a_new_column_to_one_more_pair_of_the_same_columns():
    base = rng().normal(size=N)
    cluster = {f"m{i}": base + 0.1 * rng(i + 1).normal(size=N) for i in range(5)}  # 10 pairs
    other = rng(9).normal(size=N)
    frame = pd.DataFrame({**cluster, "u": other, "v": 0.7 * other + 0.5 * rng(10).normal(size=N)})
    found = F.findings(frame, budget=F.Budget(max_findings=5))
    pairs = [f["columns"] for f in of_kind(found, "high_correlation")]
    assert ["u", "v"] in pairs, "the weaker pair names columns no stronger finding named"
    named = {c for pair in pairs for c in pair}
    assert {"m0", "m1", "m2", "m3", "m4"} <= named and len(pairs) == 5
    scores = [f["score"] for f in found if f["kind"] != "note"]
    assert scores == sorted(scores, reverse=True)


def test_wide_frames_are_capped_and_the_note_says_where():
    wide = pd.DataFrame(rng().normal(size=(50, 80)), columns=[f"c{i}" for i in range(80)])
    budget = F.Budget(max_columns=70, max_correlation_columns=20)
    notes = [f["text"] for f in F.findings(wide, budget=budget) if f["kind"] == "note"]
    assert "only the first 70 of 80 columns were analysed" in notes
    assert "correlations consider the first 20 of 70 numeric columns" in notes


def test_a_failing_kind_becomes_a_note_and_the_others_survive(monkeypatch):
    def broken(*_args):
        raise RuntimeError("boom")

    finders = tuple((k, broken if k == "skewed" else f) for k, f in F._FINDERS)
    monkeypatch.setattr(F, "_FINDERS", finders)
    found = F.findings(mixed_frame())
    assert of_kind(found, "skewed") == [] and of_kind(found, "missing")
    assert "skewed findings skipped: RuntimeError: boom" in [
        f["text"] for f in of_kind(found, "note")
    ]


def test_given_types_are_used_and_mismatched_ones_are_recomputed():
    frame = pd.DataFrame({"n": rng().normal(size=100), "m": rng(1).normal(size=100)})
    from minato_lite.runtime.minato import semantic

    types = semantic.column_types(frame)
    types["n"]["type"] = "identifier"
    assert about(F.findings(frame, types), "identifier", "n")
    notes = [f["text"] for f in F.findings(frame, {"x": {"type": "numeric", "position": 5}})]
    assert "the given column types do not match this table; types were recomputed" in notes


# odd data: nothing crashes, nothing warns


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(),
        pd.DataFrame({"a": []}),
        pd.DataFrame({"a": [1]}),
        pd.DataFrame({"a": [None, None]}, dtype=object),
        pd.DataFrame({"a": [np.inf, -np.inf, np.nan]}),
        pd.DataFrame({"a": [{"k": 1}, [1, 2], "x", None]}),
        pd.DataFrame([[1, 1, "x"], [2, 2, "y"]], columns=["a", "a", ""]),
        pd.DataFrame({0: [1.5, 2.5], None: ["p", "q"]}),
        pd.DataFrame({"when": pd.to_datetime(["2024-01-01", None]).tz_localize("Asia/Tokyo")}),
        pd.DataFrame({"d": pd.to_timedelta(["1 days", "2 days", None])}),
        pd.DataFrame({"big": [1e308, -1e308, 1e308, 5.0] * 10}),
        pd.DataFrame({"c": pd.Categorical(["a", "b", None] * 10), "x": range(30)}),
    ],
    ids=lambda f: "x".join(map(str, f.shape)) + ":" + ",".join(map(str, f.columns))[:30],
)
def test_odd_frames_give_findings_without_errors_or_warnings(frame):
    found = F.findings(frame)
    assert all(f["kind"] != "note" or "skipped" not in f["text"] for f in found), found


def test_duplicate_column_names_are_reported_by_their_keys():
    x = rng().normal(size=100)
    frame = pd.DataFrame(
        np.column_stack([x, x * 3, rng(1).normal(size=100)]), columns=["a", "a", "b"]
    )
    assert [f["columns"] for f in of_kind(F.findings(frame), "high_correlation")] == [["a", "a.1"]]


def hostile_datasets():
    from minato_lite.errors import UserError
    from minato_lite.inputs.readers import load_inputs

    cases = json.loads((CORPUS / "cases.json").read_text())["cases"]
    for name, case in sorted(cases.items()):
        if case.get("absent") or case.get("as") == "code":
            continue
        try:
            datasets = load_inputs([CORPUS / name])
        except UserError:
            continue  # unreadable by design: the build refuses it with a clear message
        for dataset in datasets:
            yield pytest.param(dataset.frame, id=f"{name}:{dataset.name}")


@pytest.mark.parametrize("frame", list(hostile_datasets()))
def test_the_hostile_corpus_gives_findings_without_errors_or_warnings(frame):
    found = F.findings(frame)
    assert not [f for f in found if f["kind"] == "note" and "skipped" in f["text"]]
    json.dumps(found)


# through the kernel's package


def test_minato_findings_in_the_kernel_equals_findings_on_the_frame(tmp_path, monkeypatch):
    from tests.support.runtime import load_runtime, write_data

    frame = mixed_frame().drop(columns=["when"])
    frame["when"] = pd.date_range("2020-01-01", periods=N, freq="D").strftime("%Y-%m-%d")
    frame["price"] = [f"${v:,.2f}" for v in rng(3).uniform(1, 2000, N)]
    minato = load_runtime(write_data(tmp_path / "data", {"t": frame}), monkeypatch)
    expected = F.findings(minato.load("t"))
    assert minato.findings("t") == expected == F.findings(frame)
    assert minato.findings() == expected, "the first dataset by default, and still callable"
    types = minato.column_types("t")
    assert types["price"]["type"] == "numeric_text" and types["id"]["type"] == "identifier"
    assert {"column_types", "findings"} <= set(minato.__all__)


def test_no_runtime_module_shares_a_name_with_a_function_of_the_package():
    """Importing a submodule binds its name on the package: a module `findings` once
    replaced the function `minato.findings` after its first call."""
    from minato_lite.resources import runtime_dir
    from minato_lite.runtime import minato

    modules = {p.stem for p in runtime_dir().glob("*.py")} - {"__init__"}
    assert modules >= {"semantic", "insights"}
    assert modules.isdisjoint(minato.__all__)


# the group comparison table and the Markdown list


def regions_frame() -> pd.DataFrame:
    region = np.repeat(["North", "South", "East"], [300, 300, 400])
    score = pd.Series(region).map({"North": 10.0, "South": 12.0, "East": 20.0}).to_numpy()
    return pd.DataFrame(
        {
            "region": region,
            "score": score + rng().normal(0, 3, N),
            "other": rng(1).normal(size=N),
            "id": np.arange(N),
        }
    )


def test_the_group_comparison_has_the_effect_sizes_of_the_group_difference_findings():
    frame = regions_frame()
    comparison = F.compare_groups(frame)
    [hit] = of_kind(F.findings(frame), "group_difference")
    assert comparison["by"] == "region" and comparison["chosen"] == "differs_most"
    assert comparison["labels"] == ["North", "South", "East"]
    assert comparison["sizes"] == [300, 300, 400] and len(comparison["codes"]) == N
    by_column = {m["column"]: m for m in comparison["measures"]}
    assert set(by_column) == {"score", "other"}, "the identifier is never a measure"
    score = by_column["score"]
    assert score["eta2"] == hit["values"]["eta2"] and score["omega2"] == hit["values"]["omega2"]
    assert score["differs"] and not by_column["other"]["differs"]
    means = dict(zip(comparison["labels"], score["means"], strict=True))
    assert means["East"] == pytest.approx(frame.score[frame.region == "East"].mean(), rel=1e-5)
    assert score["counts"] == [300, 300, 400] and score["cohen_d"] is None


def test_two_groups_compare_with_cohens_d_as_the_finding_states_it():
    group = np.repeat(["control", "treated"], N // 2)
    frame = pd.DataFrame(
        {"group": group, "outcome": np.where(group == "treated", 1.0, 0.0) + rng().normal(size=N)}
    )
    [measure] = F.compare_groups(frame)["measures"]
    [hit] = of_kind(F.findings(frame), "group_difference")
    assert measure["cohen_d"] == hit["values"]["cohen_d"] and 0.8 < measure["cohen_d"] < 1.2


def test_without_a_difference_the_first_grouping_is_compared_and_a_named_one_on_request():
    r = rng()
    frame = pd.DataFrame(
        {"a": r.choice(["x", "y"], N), "b": r.choice(["p", "q", "s"], N), "v": r.normal(size=N)}
    )
    assert F.compare_groups(frame)["by"] == "a" and F.compare_groups(frame)["chosen"] == "first"
    asked = F.compare_groups(frame, by="b")
    assert sorted(asked["labels"]) == ["p", "q", "s"] and asked["chosen"] == "asked"
    with pytest.raises(LookupError, match="'v' is not a column with 2-12 groups"):
        F.compare_groups(frame, by="v")


def test_no_categorical_or_no_number_means_no_group_comparison():
    assert F.compare_groups(pd.DataFrame({"v": rng().normal(size=50)})) is None
    assert F.compare_groups(pd.DataFrame({"c": ["a", "b"] * 25})) is None
    many = pd.DataFrame({"c": [f"g{i % 20}" for i in range(200)], "v": rng().normal(size=200)})
    assert F.compare_groups(many) is None, "20 groups is a category chart, not a comparison"


def test_findings_markdown_ranks_escapes_and_links_each_sentence_to_its_section():
    found = [
        F._finding("high_correlation", ["<b>", "x"], 0.8, "<b> and x are correlated [a](js:1)."),
        F._finding("missing", ["y"], 0.5, "y is *missing* in 3 of 9 rows (33%)."),
        F._finding("note", [], 0.0, "a note with `code`"),
    ]
    text = F.findings_markdown(found, {"correlations": "Correlations:-sales"})
    lines = text.splitlines()
    assert lines[0].startswith("1. &lt;b&gt; and x are correlated \\[a\\]\\(js:1\\)\\.")
    assert lines[0].endswith("[Correlations: sales \u2193](#Correlations:-sales)")
    assert lines[1] == "2. y is \\*missing\\* in 3 of 9 rows \\(33%\\)\\.", "no section, no link"
    assert "**Notes:** a note with \\`code\\`" in text
    assert "<b>" not in text and "](js" not in text


def test_findings_markdown_counts_what_it_leaves_out_and_says_when_nothing_stands_out():
    many = [F._finding("skewed", [f"c{i}"], 0.5, f"c{i} is skewed.") for i in range(12)]
    text = F.findings_markdown(many, shown=10)
    assert "10. c9 is skewed" in text and "c10" not in text and "2 more findings" in text
    assert "Nothing stands out" in F.findings_markdown([])


@pytest.mark.parametrize(
    "text",
    ["it's <b> & \"q\"", "[a](javascript:x) *b* _c_ `d`", "&#x27; &amp;", "# h\n\n> q | t ~ $x$",
     "ä 名前 🚀\u202e", "1. not a list", "\\* escaped"],
)  # fmt: skip
def test_the_runtime_escapes_markdown_exactly_as_the_host_does(text):
    from minato_lite.markup import md_text

    assert F._md_text(text) == md_text(text)


def test_the_samples_give_the_pinned_types_findings_and_groups_on_this_pandas():
    """The same list at build time (pandas 3) and in the browser (pandas 2.2): both
    runs of this file compare against one file (`tests/support/golden.py` makes it)."""
    from tests.support.golden import GOLDEN, current

    pinned = json.loads(GOLDEN.read_text())
    now = current()
    assert sorted(now) == sorted(pinned)
    for name in sorted(pinned):
        assert now[name] == pinned[name], f"{name}: if intended, python -m tests.support.golden"
