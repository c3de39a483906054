"""Reading inputs: every format, encodings, shapes of JSON, Python objects, safe names."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from minato_lite.errors import UserError
from minato_lite.inputs.naming import slugify, unique_names
from minato_lite.inputs.readers import load_inputs


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "latin-1"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    path = write(tmp_path, "towns.csv", "ville,habitants\nGenève,203000\nZürich,421000\n", encoding)
    frame = load_inputs([path])[0].frame
    assert list(frame.columns) == ["ville", "habitants"]
    assert frame["ville"].tolist() == ["Genève", "Zürich"]
    assert str(frame["habitants"].dtype) == "int64"


def test_delimiter_is_sniffed_and_quoted_newlines_survive(tmp_path):
    path = write(tmp_path, "notes.csv", 'id|note\n1|"two\nlines"\n2|plain\n')
    frame = load_inputs([path])[0].frame
    assert frame["note"].tolist() == ["two\nlines", "plain"]
    tsv = write(tmp_path, "t.tsv", "a\tb\n1\t2\n")
    assert list(load_inputs([tsv])[0].frame.columns) == ["a", "b"]


def test_semicolon_files_read_decimal_commas(tmp_path):
    path = write(tmp_path, "eu.csv", "name;amount\nA;1,5\nB;2,25\n")
    assert load_inputs([path])[0].frame["amount"].tolist() == [1.5, 2.25]


@pytest.mark.parametrize(
    "payload",
    [
        [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}],
        {"a": [1, 2], "b": ["x", "y"]},
        {"data": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]},
    ],
    ids=["records", "columns", "data-key"],
)
def test_json_shapes(tmp_path, payload):
    path = write(tmp_path, "p.json", json.dumps(payload))
    frame = load_inputs([path])[0].frame
    assert frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_jsonl_error_names_the_line(tmp_path):
    path = write(tmp_path, "e.jsonl", '{"a": 1}\n{"a": \n')
    with pytest.raises(UserError, match=r"e\.jsonl: line 2, column"):
        load_inputs([path])


def test_nested_records_become_dotted_columns_and_json_text(tmp_path):
    records = [{"u": "a", "meta": {"src": "ads", "tags": ["x", "y"]}}]
    frame = load_inputs([records])[0].frame
    assert list(frame.columns) == ["u", "meta.src", "meta.tags"]
    assert frame["meta.tags"][0] == '["x", "y"]'


def test_iso_dates_become_datetimes_and_keep_their_offset():
    frame = load_inputs([[{"t": "2024-03-01T09:00:00+09:00"}, {"t": None}]])[0].frame
    assert str(frame["t"].dtype) == "datetime64[us, UTC+09:00]"
    mixed = load_inputs([[{"t": "2024-03-01T09:00+09:00"}, {"t": "2024-03-01T09:00+01:00"}]])
    assert str(mixed[0].frame["t"].dtype) == "datetime64[us, UTC]"
    text = load_inputs([[{"t": "2024-03-01"}, {"t": "yesterday"}]])[0].frame
    assert not pd.api.types.is_datetime64_any_dtype(text["t"])


def test_excel_every_non_empty_sheet_is_a_dataset(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="One", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="Empty", index=False)
        pd.DataFrame({"b": ["x"]}).to_excel(writer, sheet_name="Two words", index=False)
    assert [d.name for d in load_inputs([path])] == ["book_one", "book_two_words"]


def test_parquet_keeps_dtypes(tmp_path):
    frame = pd.DataFrame({"c": pd.Categorical(["a", "b"]), "n": pd.array([1, None], "Int64")})
    frame.to_parquet(tmp_path / "f.parquet")
    back = load_inputs([tmp_path / "f.parquet"])[0].frame
    assert dict(back.dtypes.astype(str)) == {"c": "category", "n": "Int64"}


def test_python_objects_and_a_dict_of_them_get_their_keys_as_names():
    frame = pd.DataFrame({"x": [1]})
    datasets = load_inputs({"Sales 2024": frame, "orders": [{"id": 1}]})
    assert [(d.name, d.label, d.source) for d in datasets] == [
        ("sales_2024", "Sales 2024", "DataFrame"),
        ("orders", "orders", "records"),
    ]
    assert load_inputs([{"a": 1}])[0].name == "data"  # one list of records


def test_names_are_safe_identifiers_and_unique():
    assert slugify("../../etc/passwd") == "etc_passwd"
    assert slugify("売上") == "dataset"
    assert slugify("2024 report") == "data_2024_report"
    assert unique_names(["a", "A", "a!", "b"]) == ["a", "a_2", "a_3", "b"]
    assert len(slugify("x" * 500)) <= 48


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "file is empty"),
        ("bad.json", b"{nope", "not valid JSON"),
        ("scalar.json", b"42", "must be an array of records"),
        ("garbage.csv", bytes(range(256)) * 4, "binary"),
        ("x.xlsx", b"not a zip", "not a readable Excel workbook"),
        ("x.parquet", b"PAR1 nope", "not a readable Parquet file"),
    ],
)
def test_broken_files_raise_one_clear_user_error(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(UserError, match=message) as info:
        load_inputs([path])
    assert name in str(info.value)


def test_numbers_and_dates_written_as_text_are_read_as_numbers_and_dates_and_said(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "invoice,price,share,when,paid\n"
        'A-1,"$1,234.50",12.5%,13/01/2024,Y\n'
        "A-2,$5.00,3%,14/01/2024,N\n"
        "A-3,($2.25),n/a,15/01/2024,Y\n"
    )
    [dataset] = load_inputs([path])
    frame = dataset.frame
    assert frame["price"].tolist() == [1234.5, 5.0, -2.25]
    assert frame["share"].tolist()[:2] == [12.5, 3.0] and frame["share"].isna().iloc[2]
    assert str(frame["when"].dtype) == "datetime64[ns]" and frame["when"].dt.day.tolist() == [
        13, 14, 15
    ]  # fmt: skip
    assert frame["paid"].tolist() == ["Y", "N", "Y"], "yes/no text stays as written"
    assert [c.column for c in dataset.conversions] == ["price", "share", "when"]
    assert dataset.conversions[0].text == "price: currency text ($) read as numbers, now float64."


def test_columns_already_typed_are_not_converted_again():
    frame = pd.DataFrame({"x": [1.5, 2.5], "when": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    [dataset] = load_inputs({"t": frame})
    assert dataset.conversions == () and dataset.frame.equals(frame)
