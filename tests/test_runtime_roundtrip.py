"""Host dtypes == the dtypes `minato.load` rebuilds in the kernel (runtime run under CPython)."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from minato_lite.build import prepare
from minato_lite.resources import REPO_DIR
from tests.support.runtime import load_runtime, write_data


def every_dtype_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "int": pd.Series([1, -2, 3], dtype="int64"),
            "small": pd.Series([1, 2, 3], dtype="int8"),
            "float": [1.5, np.nan, 1e-12],
            "inf": [math.inf, -math.inf, 0.1 + 0.2],
            "nullable_int": pd.Series([1, None, 3], dtype="Int64"),
            "bool": [True, False, True],
            "nullable_bool": pd.Series([True, None, False], dtype="boolean"),
            "when": pd.to_datetime(
                ["2024-01-01 10:00", None, "2024-03-01 00:00:01.5"], format="ISO8601"
            ),
            "when_tokyo": pd.to_datetime(
                ["2024-01-01 10:00", "2024-06-01 00:00", None]
            ).tz_localize("Asia/Tokyo"),
            "when_utc": pd.to_datetime(["2024-01-01T10:00Z", "2024-06-01T00:00Z", None], utc=True),
            "duration": pd.to_timedelta(["1 days 02:00:00", None, "-3 hours"]),
            "cat": pd.Categorical(["b", "a", None], categories=["b", "a", "c"]),
            "ordered": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True),
            "int_cat": pd.Categorical([3, 1, 3]),
            "text": pd.Series(['héllo, "world"', "line\nbreak", None], dtype="str"),
            "mixed": pd.Series([1, "two", 3.0], dtype=object),
        }
    )


def test_load_reproduces_every_dtype_and_value(tmp_path, monkeypatch):
    frame = every_dtype_frame()
    minato = load_runtime(write_data(tmp_path / "data", {"t": frame}), monkeypatch)
    back = minato.load("t")
    assert dict(back.dtypes.astype(str)) == dict(frame.dtypes.astype(str))
    expected = frame.copy()
    expected["mixed"] = expected["mixed"].map(str).astype(object)  # mixed objects come back as text
    pd.testing.assert_frame_equal(back, expected)


def test_duplicate_blank_and_unicode_column_names_survive(tmp_path, monkeypatch):
    frame = pd.DataFrame([[1, 2, 3, 4]], columns=["a", "a", "", "売上 📈"])
    minato = load_runtime(write_data(tmp_path / "data", {"t": frame}), monkeypatch)
    back = minato.load("t")
    assert list(back.columns) == ["a", "a", "", "売上 📈"]
    assert list(minato.records("t")[0]) == ["a", "a.1", "", "売上 📈"]


def test_records_gives_plain_python_values_without_pandas(tmp_path, monkeypatch):
    frame = every_dtype_frame()
    minato = load_runtime(write_data(tmp_path / "data", {"t": frame}), monkeypatch)
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)  # import pandas now fails
    rows = minato.records("t")
    assert rows[0]["int"] == 1 and rows[1]["float"] is None and rows[0]["inf"] == math.inf
    assert rows[0]["bool"] is True and rows[1]["nullable_bool"] is None
    assert rows[0]["when_tokyo"] == dt.datetime(
        2024, 1, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=9))
    )
    assert rows[2]["duration"] == dt.timedelta(hours=-3)
    assert rows[0]["int_cat"] == 3 and rows[1]["text"] == "line\nbreak"
    with pytest.raises(minato.MissingPackageError, match="pip install pandas"):
        minato.load("t")


def test_startup_defines_df_and_frames_or_explains_without_pandas(tmp_path, monkeypatch, capsys):
    frames = {"first": pd.DataFrame({"x": [1]}), "second": pd.DataFrame({"y": [2.0]})}
    minato = load_runtime(write_data(tmp_path / "data", frames), monkeypatch)
    namespace: dict = {}
    minato._startup(namespace)
    assert list(namespace["frames"]) == ["first", "second"]
    assert namespace["df"].equals(frames["first"])
    assert namespace["minato"] is minato

    monkeypatch.setitem(__import__("sys").modules, "pandas", None)
    bare: dict = {}
    minato._startup(bare)
    assert "df" not in bare and bare["minato"] is minato
    assert bare["data"] == [{"x": 1}], "records need no pandas"
    assert "minato.load needs pandas" in capsys.readouterr().out


def test_startup_defines_data_as_the_first_datasets_records_for_seed_code(tmp_path, monkeypatch):
    """Code written for a page that got `data: [...]` runs unchanged: pd.DataFrame(data)."""
    rows = [{"region": "North", "units": 3}, {"region": "South", "units": None}]
    frames = {"orders": pd.DataFrame(rows), "other": pd.DataFrame({"y": [2.0]})}
    minato = load_runtime(write_data(tmp_path / "data", frames), monkeypatch)
    namespace: dict = {}
    minato._startup(namespace)
    assert namespace["data"] == [
        {"region": "North", "units": 3.0},
        {"region": "South", "units": None},
    ]
    rebuilt = pd.DataFrame(namespace["data"])
    pd.testing.assert_frame_equal(rebuilt, namespace["df"])


def test_startup_skips_data_for_a_dataset_too_large_for_records(tmp_path, monkeypatch, capsys):
    frames = {"big": pd.DataFrame({"x": range(30), "y": range(30)})}
    minato = load_runtime(write_data(tmp_path / "data", frames), monkeypatch)
    monkeypatch.setattr(minato, "DATA_PRELOAD_CELLS", 59)
    namespace: dict = {}
    minato._startup(namespace)
    assert "data" not in namespace and len(namespace["df"]) == 30
    assert "minato.records('big')" in capsys.readouterr().out


def test_unknown_dataset_names_the_available_ones(tmp_path, monkeypatch):
    minato = load_runtime(
        write_data(tmp_path / "data", {"a": pd.DataFrame({"x": [1]})}), monkeypatch
    )
    with pytest.raises(LookupError, match="available: a"):
        minato.path("b")


SAMPLE_FILES = [REPO_DIR / "examples/sales.csv", *sorted((REPO_DIR / "examples/data").iterdir())]


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_sample_dataset_loads_back_exactly_as_on_the_host(sample, tmp_path, monkeypatch):
    prepared = prepare([sample])
    prepared.files.write(tmp_path)
    minato = load_runtime(tmp_path / "data", monkeypatch)
    for dataset in prepared.datasets:
        back = minato.load(dataset.name)
        assert dict(back.dtypes.astype(str)) == dict(dataset.frame.dtypes.astype(str))
        pd.testing.assert_frame_equal(back, dataset.frame, check_exact=True)


def test_text_written_by_pandas_3_loads_with_its_gaps_on_pandas_2(tmp_path, monkeypatch):
    """A pandas-3 host writes dtype "str"; the browser's pandas 2.2 must keep NaN, not "nan"."""
    frame = pd.DataFrame({"t": pd.Series(["a", None, "c"], dtype="str")})
    minato = load_runtime(write_data(tmp_path / "data", {"t": frame}), monkeypatch)
    schema_dtype = json.loads((tmp_path / "data" / "catalog.json").read_text())["datasets"][0][
        "columns"
    ][0]["dtype"]
    if schema_dtype != "str":
        pytest.skip(f"this pandas ({pd.__version__}) writes {schema_dtype!r}, not pandas 3's str")
    monkeypatch.setattr(minato, "_pandas_major", lambda _pd: 2)
    back = minato.load("t")
    assert back["t"].dtype == object
    assert back["t"].isna().tolist() == [False, True, False]
    assert "nan" not in back["t"].dropna().tolist()
