"""Semantic column types (runtime `minato.semantic`): what a column is for analysis.

Runs on the host's pandas and, unchanged, on the browser's versions (a venv with
pandas==2.2.3 numpy==2.0.2 pytest, the repository on PYTHONPATH):
    VENV/bin/python -m pytest --noconftest tests/test_semantic_types.py
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from minato_lite.runtime.minato import semantic


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def type_of(values, name="x", dtype=None) -> dict:
    frame = pd.DataFrame({name: pd.Series(values, dtype=dtype)})
    info = semantic.column_types(frame)[name]
    return {k: v for k, v in info.items() if k not in ("name", "position")}


def kind(values, name="x", dtype=None) -> str:
    return type_of(values, name, dtype)["type"]


N = 30  # above IDENTIFIER_MIN_ROWS


# identifiers


def test_integer_key_named_like_an_id_is_an_identifier_even_when_shuffled():
    assert (
        kind(list(np.random.default_rng(0).permutation(N) + 1000), name="order_id") == "identifier"
    )
    assert kind([5, 9, 2], name="customerID") == "identifier"


def test_a_row_number_without_an_id_name_is_an_identifier():
    assert kind(list(range(1, N + 1)), name="Unnamed: 0") == "identifier"


def test_unique_integers_that_are_not_a_sequence_nor_named_like_an_id_stay_numeric():
    values = list(np.random.default_rng(1).choice(10_000, N, replace=False))
    assert kind(values, name="amount_cents") == "numeric"


def test_code_like_and_uuid_strings_unique_per_row_are_identifiers():
    assert kind([f"ID-{i:04d}" for i in range(N)], name="ref code") == "identifier"
    uuids = [f"{i:08x}-1f2e-4c3b-9a8d-{i * 7919:012x}" for i in range(N)]
    assert kind(uuids, name="token") == "identifier"


def test_unique_person_names_are_not_identifiers():
    names = [f"Person {chr(65 + i % 26)}{chr(97 + i // 26)} Smith" for i in range(N)]
    assert kind(names, name="name") == "text"


def test_a_repeated_integer_key_is_not_an_identifier():
    assert kind([1, 2, 2, 3] * 10, name="order_id") == "numeric"


# codes that look like numbers


def test_zip_codes_with_leading_zeros_stay_text_not_numbers():
    repeated = ["02139", "10001", "02139", "94103"] * 10
    assert kind(repeated, name="postal") == "categorical"
    assert kind([f"{i:05d}" for i in range(N)], name="place") == "identifier"


def test_an_integer_zip_column_is_a_code_not_a_quantity():
    assert kind([2139, 10001, 2139, 94103] * 10, name="zip") == "categorical"


# years, epochs, dates


def test_an_integer_column_named_year_is_a_time_axis_and_other_years_stay_numeric():
    """Decision: a column *named* like a year (year, yr) with values 1700..2200 is a
    datetime with format "year"; the same numbers under another name are numbers."""
    years = [2019, 2020, 2021, 2022] * 10
    assert type_of(years, name="year") == {"type": "datetime", "format": "year"}
    assert type_of(years, name="fiscalYear") == {"type": "datetime", "format": "year"}
    assert kind(years, name="weight_g") == "numeric"
    assert kind([1, 2, 3, 4] * 10, name="year") == "numeric", "1..4 is no calendar year"


def test_epoch_seconds_and_milliseconds_need_a_time_name_and_a_plausible_range():
    seconds = [1_700_000_000 + 3600 * i for i in range(N)]
    assert type_of(seconds, name="created_at") == {"type": "datetime", "format": "epoch_s"}
    millis = [s * 1000 for s in seconds]
    assert type_of(millis, name="ts") == {"type": "datetime", "format": "epoch_ms"}
    assert kind([s + 0.5 for s in seconds], name="population") == "numeric"
    assert kind([1.5, 20.0, 300.0] * 10, name="time") == "numeric", "elapsed seconds"


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["2024-01-03", "2024-02-29", None], "ISO8601"),
        (["2024-01-03T10:00:00", "2024-01-04 11:30"], "ISO8601"),
        (["03/01/2024", "12/31/2024"], "%m/%d/%Y"),
        (["13/01/2024", "31/12/2024"], "%d/%m/%Y"),
        (["Jan 3 2024", "Feb 29 2024"], "%b %d %Y"),
        (["3 January 2024", "29 February 2024"], "%d %B %Y"),
    ],
)
def test_text_dates_in_one_format_are_datetimes_with_that_format(values, fmt):
    info = type_of(values, name="when")
    assert info["type"] == "datetime" and info["format"] == fmt


def test_text_dates_in_mixed_formats_are_not_guessed():
    assert kind(["2024-01-03", "03/01/2024", "Jan 3 2024"], name="when") != "datetime"


def test_offsets_in_iso_dates_are_parsed_as_utc():
    info = type_of(["2024-01-03T10:00+09:00", "2024-01-04T10:00Z"], name="when")
    assert info == {"type": "datetime", "format": "ISO8601", "utc": True}


# booleans


@pytest.mark.parametrize(
    "values",
    [
        ["Y", "N", "Y", None],
        ["yes", "no", "No"],
        ["true", "false", "TRUE"],
        ["t", "f"],
        ["1", "0", "1"],
    ],
)
def test_yes_no_text_pairs_are_booleans(values):
    assert type_of(values) == {"type": "boolean", "format": "text"}


def test_zero_one_numbers_and_bool_dtypes_are_booleans():
    assert kind([0, 1, 1, 0]) == "boolean"
    assert kind([0.0, 1.0, None]) == "boolean"
    assert kind([True, False, None], dtype="boolean") == "boolean"
    assert kind([0, 1, 2]) == "numeric"


# numbers written as text


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["$1,234.50", "$12.00", "-$5.00"], {"format": "currency", "separators": "thousands"}),
        (["€ 12", "€ 7,5", "€ 1.234,50"], {"format": "currency", "separators": "decimal_comma"}),
        (["12.5%", "3%", "-1.25 %"], {"format": "percent", "separators": "plain"}),
        (["1,234,567", "12", "9,999.5"], {"format": "thousands", "separators": "thousands"}),
        (["3,14", "2,71", "10"], {"format": "decimal_comma", "separators": "decimal_comma"}),
        (["1", "2.5", "n/a", "-3e2"], {"format": "plain", "separators": "plain"}),
    ],
)
def test_numbers_stored_as_text_are_numeric_text_with_their_format(values, expected):
    info = type_of(values, name="value")
    assert info["type"] == "numeric_text"
    assert {k: info[k] for k in expected} == expected


def test_convert_reads_numeric_text_and_says_what_it_did():
    frame = pd.DataFrame(
        {
            "price": ["$1,234.50", "($5.00)", None],
            "share": ["12.5%", "3%", "n/a"],
            "ratio": ["3,14", "2,5", "10"],
            "when": ["2024-01-03", "2024-02-29", None],
            "ok": ["yes", "no", None],
            "plain": [1.0, 2.0, 3.0],
        }
    )
    out, sentences = semantic.convert(frame)
    assert out["price"].tolist()[:2] == [1234.5, -5.0] and np.isnan(out["price"].iloc[2])
    assert out["share"].tolist()[:2] == [12.5, 3.0]
    assert out["ratio"].tolist() == [3.14, 2.5, 10.0]
    assert str(out["when"].dtype) == "datetime64[ns]" and out["when"].isna().tolist()[2]
    assert out["ok"].dtype == "boolean" and out["ok"].tolist()[:2] == [True, False]
    assert out["plain"] is not None and out["plain"].dtype == "float64"
    assert [s.split(":")[0] for s in sentences] == ["price", "share", "ratio", "when", "ok"]
    assert "currency" in sentences[0] and "percent" in sentences[1]
    assert frame["price"].iloc[0] == "$1,234.50", "the input frame is not changed"


def test_convert_turns_epochs_into_dates_and_leaves_years_as_integers():
    frame = pd.DataFrame({"created": [1_700_000_000, 1_700_086_400], "year": [2019, 2020]})
    out, sentences = semantic.convert(frame)
    assert out["created"].tolist() == [
        pd.Timestamp("2023-11-14 22:13:20"),
        pd.Timestamp("2023-11-15 22:13:20"),
    ]
    assert out["year"].tolist() == [2019, 2020] and len(sentences) == 1


# the rest


def test_mixed_objects_are_judged_on_their_text():
    assert type_of([1, "2", "n/a", 3.5], name="v")["type"] == "numeric_text"
    assert kind([1, "two", 3.0] * 5) == "categorical"
    assert type_of(pd.Series([1, 2.5, None], dtype=object))["format"] == "objects"


def test_all_missing_is_empty_and_one_value_everywhere_is_constant():
    assert kind([None, None, None], dtype=object) == "empty"
    assert kind([np.nan, np.nan]) == "empty"
    assert kind(["a", "a", None]) == "constant"
    assert kind([7, 7, 7]) == "constant"


def test_a_single_row_has_no_constant_columns():
    """One observation says nothing about variation: the column keeps its own type."""
    types = semantic.column_types(pd.DataFrame({"n": [3.5], "s": ["north"], "b": [True]}))
    assert [t["type"] for t in types.values()] == ["numeric", "categorical", "boolean"]


def test_free_text_is_text_and_repeated_labels_are_categorical():
    assert kind(["a long review of the product, " * 3 + str(i) for i in range(5)]) == "text"
    assert kind(["North", "South", "East"] * 10) == "categorical"


def test_duplicate_blank_and_non_string_names_are_typed_by_position():
    frame = pd.DataFrame([[1, "x", 2.5, "2024-01-01"], [2, "y", 3.5, "2024-01-02"]])
    frame.columns = ["a", "a", "", 0]
    types = semantic.column_types(frame)
    assert list(types) == ["a", "a.1", "", "0"]
    assert [t["position"] for t in types.values()] == [0, 1, 2, 3]
    assert [t["type"] for t in types.values()] == ["numeric", "categorical", "numeric", "datetime"]
    assert types["a.1"]["name"] == "a"
    out, sentences = semantic.convert(frame, types)
    assert list(out.columns) == ["a", "a", "", 0] and sentences == [
        "0: date text (ISO8601) read as dates, now datetime64[ns]."
    ]


def test_column_keys_never_collide():
    assert semantic.column_keys(["a", "a", "a.1", None, None]) == [
        "a",
        "a.1",
        "a.1.1",
        "None",
        "None.1",
    ]


def test_category_dtype_and_datetime_dtype_keep_their_meaning():
    assert kind(pd.Categorical(["lo", "hi", "lo"])) == "categorical"
    assert kind(pd.to_datetime(["2024-01-01", "2024-02-01"])) == "datetime"
    assert kind(pd.to_timedelta(["1 days", "2 days"])) == "numeric"


# long columns: every value is checked, not only the first ones


def test_one_malformed_number_late_in_a_long_column_keeps_it_text():
    prices = [f"${1000 + i:,}.50" for i in range(500)]
    assert type_of(prices, name="price")["type"] == "numeric_text"
    prices[450] = "$1.234.5"  # not a number in any of the formats
    assert kind(prices, name="price") != "numeric_text"


def test_unusual_characters_late_in_a_long_column_are_judged_as_they_are():
    codes = [f"A{i:04d}" for i in range(300)]
    assert kind(codes, name="code") == "identifier"
    # each piece around the NUL would pass on its own; the value as a whole does not
    assert kind([*codes[:250], "A\x000250", *codes[251:]], name="code") != "identifier"
    assert kind([*codes[:250], "A 0250", *codes[251:]], name="code") != "identifier"
    arabic = [f"{i:,}" for i in range(1000, 1300)] + ["١٢٣"]  # Arabic-Indic digits are digits
    assert type_of(arabic, name="n")["type"] == "numeric_text"


def test_long_columns_of_decimal_commas_and_accounting_negatives_convert_exactly():
    frame = pd.DataFrame(
        {
            "eu": [f"{i:,}.5".replace(",", " ").replace(".", ",").replace(" ", ".")
                   for i in range(1000, 1400)],
            "usd": [f"(${i:,}.25)" if i % 2 else f"${i:,}.25" for i in range(1000, 1400)],
        }
    )  # fmt: skip
    out, _ = semantic.convert(frame)
    assert out["eu"].iloc[0] == 1000.5 and out["eu"].iloc[-1] == 1399.5
    assert out["usd"].tolist()[:2] == [1000.25, -1001.25]


# wide tables: the time a call takes is bounded by a count, not by a clock


def test_past_the_detailed_budget_text_columns_are_typed_by_dtype_and_numbers_in_full(
    monkeypatch,
):
    monkeypatch.setattr(semantic, "MAX_DETAILED_COLUMNS", 2)
    frame = pd.DataFrame(
        {
            "a": ["$1.00", "$2.00", "$3.00"],
            "n": [1.5, 2.5, 3.5],
            "b": ["yes", "no", "yes"],
            "c": ["$1.00", "$2.00", "$3.00"],
            "order_id": [3, 1, 2],
        }
    )
    types = semantic.column_types(frame)
    assert [types[k]["type"] for k in frame.columns] == [
        "numeric_text", "numeric", "boolean", "text", "identifier"
    ]  # fmt: skip
    assert types["c"]["checked"] is False and "checked" not in types["a"]
    assert semantic.convert(frame, types)[0]["c"].tolist() == ["$1.00", "$2.00", "$3.00"]


def test_the_ten_thousand_column_file_is_typed_in_well_under_a_build_step():
    import time
    from pathlib import Path

    frame = pd.read_csv(Path(__file__).parent / "hostile" / "ten_thousand_columns.csv")
    started = time.process_time()
    types = semantic.column_types(frame)
    assert time.process_time() - started < 2.0, "0.5 s; 2.5 s at a dozen numpy calls a column"
    assert len(types) == 10_000 and {t["type"] for t in types.values()} <= set(semantic.TYPES)
