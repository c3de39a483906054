"""How a dataset is stored inside a site: a CSV file plus a column schema.

Why CSV and not Parquet: the kernel must read the data with the standard
library alone (`minato.records` works even where pandas is absent), users can
open the file in the JupyterLite editor, and pyarrow is a heavy Pyodide
download. CSV alone loses types, so each column's exact pandas dtype goes into
the catalog (`data/catalog.json`) and the runtime re-applies it; the
round-trip tests pin that host dtypes equal browser dtypes.

Known loss, kept on purpose: in text columns an empty string and a missing
value are both stored as an empty field and come back as missing.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
from pandas.api import types as ptypes

CATALOG_FORMAT = "minato-datasets/1"


def column_schema(series: pd.Series) -> dict[str, Any]:
    """The dtype record the runtime needs to rebuild `series` from its CSV text."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        return {
            "dtype": "category",
            "ordered": bool(dtype.ordered),
            "categories_dtype": _scalar_dtype_name(categories.dtype),
            "categories": [_text(v) for v in categories],
        }
    return {"dtype": _scalar_dtype_name(dtype)}


def _scalar_dtype_name(dtype: Any) -> str:
    if ptypes.is_bool_dtype(dtype) or ptypes.is_integer_dtype(dtype):
        return str(dtype)
    if ptypes.is_float_dtype(dtype) or ptypes.is_datetime64_any_dtype(dtype):
        return str(dtype)
    if ptypes.is_timedelta64_dtype(dtype):
        return str(dtype)
    if isinstance(dtype, pd.StringDtype):
        return "str" if str(dtype) == "str" else "string"
    return "object" if ptypes.is_object_dtype(dtype) else "str"


def _text(value: Any) -> str:
    """One cell as CSV text; containers as JSON so they stay parseable."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def encode_frame(frame: pd.DataFrame) -> tuple[str, list[dict[str, Any]]]:
    """CSV text (header = original column names) and one schema entry per column.

    Columns are handled by position, so duplicate, blank or non-string column
    names survive exactly; the schema keeps each name as text.
    """
    schema = []
    columns = {}
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        entry = {"name": str(frame.columns[position]), **column_schema(series)}
        schema.append(entry)
        if entry["dtype"] == "object":  # mixed values: containers as JSON, the rest as text
            columns[position] = series.map(_text, na_action=None).astype(object)
        else:  # to_csv writes datetimes as ISO 8601 (with offset) and missing as ""
            columns[position] = series
    body = pd.DataFrame(columns)
    text = body.to_csv(
        index=False, header=[e["name"] for e in schema], lineterminator="\n", na_rep=""
    )
    return text, schema
