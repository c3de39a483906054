"""Semantic column types: what a column *is* for analysis, not how pandas stores it.

A dtype says int64; an analyst says "order number", "price written as text",
"a yes/no flag". The findings and the notebooks need the analyst's answer:
identifiers must never be averaged, charted or correlated, numbers stored as
text ("$1,234.50", "12.5%") must be read as numbers, and dates written as text
must become a time axis. This module decides that from the values, with small
visible rules, and converts what it can.

It runs inside the browser's Pyodide kernel (pandas 2.2, numpy 2.0) and on the
host (pandas 3): only the standard library, numpy and pandas, and every rule
gives the same answer on both.

Types (`TYPES`):

* ``empty``: every value missing.
* ``constant``: one distinct value in two or more non-missing rows. A one-row
  frame has no constant columns: one observation says nothing about variation.
* ``identifier``: one distinct value per row and a key's shape: an integer
  column named like an id, or holding a permutation of consecutive integers
  (a row number) in 20+ rows; or 20+ distinct code-like strings (``ID-0001``,
  UUIDs: no spaces, with a digit); or any unique column named like an id.
* ``boolean``: bool dtypes, numbers 0/1, and text pairs y/n, yes/no, true/false,
  t/f, 0/1 (any case).
* ``datetime``: datetime dtypes; text in one date format for the whole column
  (``format`` says which); epoch numbers, only when the name says time
  (time, date, ts, created, ...) and every value lies in 1990-2100 as seconds
  or milliseconds; and **years**: an integer column named like a year (year,
  yr) with every value in 1700-2200 is a time axis (``format: "year"``). The
  values stay integers (``convert`` leaves them), but findings use the column
  as the time axis and never correlate it as a quantity. An unnamed integer
  column of such values stays numeric: 2019 grams is not a year.
* ``numeric_text``: numbers written as text; ``format`` is ``plain``,
  ``thousands`` ("1,234,567"), ``decimal_comma`` ("3,14", "1.234,5"),
  ``percent`` ("12.5%", kept in percent points: 12.5) or ``currency``
  ("$1,234.50", "€ 12", "(5.00 $)" negative), with ``separators`` saying how
  the digits are grouped. "1,234" alone is read as thousands (English
  convention); a column is decimal-comma only when some value could not be a
  thousands group ("3,14").
* ``numeric``: numbers (timedeltas count, in seconds).
* ``categorical``: repeated labels, and digit codes that must stay text: a
  value with a leading zero ("02139") or a name saying zip/postal/phone/fips.
* ``text``: free text: long values, or mostly distinct values with spaces.

Plain number columns are judged together, a block of columns at a time; other columns
one by one, at most `MAX_DETAILED_COLUMNS` of them per call: the rest are typed by
their dtype alone (``checked: False``; text is then ``text``, never converted). A count,
not a clock, so the answer is the same on every machine.

Mixed object columns (numbers and strings) are judged on their text form, so
``[1, "2", "n/a"]`` is numeric text and ``[1, "two", 3.0]`` is categorical.
Columns are handled by position: duplicate, blank and non-string names work,
and results are keyed by `column_keys` ("a", "a.1", ...).

Which format numbers and dates written as text are in, and reading them, is
`minato.text_formats`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .text_formats import (
    _DIGIT,
    NA_TOKENS,
    SAMPLE_VALUES,
    _all_match,
    _any_match,
    date_format,
    number_format,
    parse_dates,
    parse_numbers,
)
from .text_formats import DATE_FORMATS as DATE_FORMATS

__all__ = ["TYPES", "column_keys", "column_types", "conversions", "convert", "dtype_type"]

TYPES = (
    "identifier",
    "boolean",
    "categorical",
    "numeric",
    "numeric_text",
    "datetime",
    "text",
    "constant",
    "empty",
)
#: at least this many rows before "every value distinct" alone makes a key
IDENTIFIER_MIN_ROWS = 20
#: a text column averaging more characters than this per value is free text
FREE_TEXT_LENGTH = 40
#: number columns typed together, as one array (bounds the memory of the block's sort)
NUMBER_BLOCK = 64
#: columns other than plain numbers that one `column_types` call looks at in detail
#: (about 0.1-1 ms each, in pandas' fixed costs); the rest are typed by their dtype alone,
#: so a file of 10,000 text columns costs a bounded time, the same on every machine
MAX_DETAILED_COLUMNS = 1000
TRUE_WORDS = frozenset({"y", "yes", "true", "t", "1"})
FALSE_WORDS = frozenset({"n", "no", "false", "f", "0"})
#: epoch seconds between 1990-01-01 and 2100-01-01: "plausible" for a time stamp
EPOCH_SECONDS = (631_152_000, 4_102_444_800)
YEARS = (1700, 2200)

_ID_WORDS = frozenset(
    {"id", "ids", "uuid", "guid", "key", "pk", "no", "nr", "num", "number", "sku", "ref", "idx"}
)
_CODE_WORDS = frozenset({"zip", "zipcode", "postal", "postcode", "phone", "tel", "fips", "isbn"})
_CODE_WORDS_PAIRS = (("zip", "code"), ("post", "code"), ("area", "code"))
_TIME_WORDS = frozenset(
    {"time", "date", "ts", "timestamp", "datetime", "created", "updated", "modified", "epoch",
     "at", "when", "unix"}
)  # fmt: skip
_YEAR_WORDS = frozenset({"year", "yr", "yyyy"})

_CODE_LIKE = r"[\w\-.:/#]{1,64}"
_LEADING_ZERO = r"0\d+"


def column_keys(columns: Any) -> list[str]:
    """One distinct text key per column position: the name, then "name.1", "name.2".

    The same scheme as `minato.records` and pandas' CSV reader, so a finding about
    "a.1" points at the second column named "a".
    """
    keys: list[str] = []
    taken: set[str] = set()
    for name in columns:
        base = str(name)
        key, suffix = base, 0
        while key in taken:
            suffix += 1
            key = f"{base}.{suffix}"
        taken.add(key)
        keys.append(key)
    return keys


def name_words(name: Any) -> list[str]:
    """The words of a column name, lower case: "orderID" -> ["order", "id"]."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", str(name))]


def _says(words: list[str], vocabulary: frozenset[str]) -> bool:
    return any(w in vocabulary for w in words)


def _says_id(words: list[str]) -> bool:
    return bool(words) and words[-1] in _ID_WORDS


def _says_code(words: list[str]) -> bool:
    if _says(words, _CODE_WORDS):
        return True
    return any(a in words and b in words for a, b in _CODE_WORDS_PAIRS)


def column_types(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The semantic type of every column, keyed by `column_keys`, in column order.

    Each value has ``type`` (one of `TYPES`), ``name`` (the column's name as text),
    ``position``, and where a conversion applies, how: ``format`` (and for numbers
    in text ``separators``, for currency ``symbol``, for dates ``utc``).
    """
    names = frame.columns.tolist()  # once: indexing pandas 3's text Index is slow
    dtypes = frame.dtypes.tolist()
    found: dict[int, dict[str, Any]] = {}
    # plain number columns are judged together, a block at a time: a 10,000-column file
    # costs a few array operations per block, not a dozen numpy calls per column
    plain = [p for p, d in enumerate(dtypes) if isinstance(d, np.dtype) and d.kind in "iuf"]
    for start in range(0, len(plain), NUMBER_BLOCK):
        chunk = plain[start : start + NUMBER_BLOCK]
        block = frame.iloc[:, chunk].to_numpy(dtype="float64", na_value=np.nan)
        answers = _number_types(block, [name_words(names[p]) for p in chunk])
        found.update(zip(chunk, answers, strict=True))
    out: dict[str, dict[str, Any]] = {}
    detailed = 0
    for position, key in enumerate(column_keys(names)):
        info: dict[str, Any] = {"name": str(names[position]), "position": position}
        if position in found:
            info.update(found[position])
        elif detailed < MAX_DETAILED_COLUMNS:
            detailed += 1
            info.update(series_type(frame.iloc[:, position], names[position]))
        else:
            info.update(dtype_type(dtypes[position]), checked=False)
        out[key] = info
    return out


def dtype_type(dtype: Any) -> dict[str, Any]:
    """The type a column's dtype alone suggests (no look at its values): what columns
    past `MAX_DETAILED_COLUMNS` get. Text is "text", so it is never charted or converted."""
    if isinstance(dtype, pd.CategoricalDtype):
        return {"type": "categorical"}
    if ptypes.is_bool_dtype(dtype):
        return {"type": "boolean"}
    if ptypes.is_datetime64_any_dtype(dtype):
        return {"type": "datetime"}
    if ptypes.is_numeric_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        return {"type": "numeric"}
    return {"type": "text"}


def series_type(
    series: pd.Series, name: Any = None, *, factorized: tuple[np.ndarray, Any] | None = None
) -> dict[str, Any]:
    """The semantic type of one column (see the module docstring for the rules).

    `factorized`: the column's ``pd.factorize`` result (codes, -1 for missing, and the
    distinct values), when the caller has it already: text columns then skip their own.
    """
    words = name_words(series.name if name is None else name)
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":  # plain numbers: no pandas detour
        values = series.to_numpy().astype("float64", copy=False)
        return _number_types(values.reshape(-1, 1), [words])[0]
    if ptypes.is_object_dtype(dtype) or (
        ptypes.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
    ):  # text: its missing values are left to the codes (no dropna copy of every row)
        return _object_type(series, words, factorized)
    present = series.dropna()
    count = len(present)
    if count == 0:
        return {"type": "empty"}
    if ptypes.is_bool_dtype(dtype):
        return _constant_or(present, {"type": "boolean"})
    if isinstance(dtype, pd.CategoricalDtype):
        return _constant_or(present, {"type": "categorical"})
    if ptypes.is_datetime64_any_dtype(dtype):
        return _constant_or(present, {"type": "datetime"})
    if ptypes.is_timedelta64_dtype(dtype):
        return _constant_or(present, {"type": "numeric"})
    if ptypes.is_numeric_dtype(dtype):
        values = present.to_numpy(dtype="float64", na_value=np.nan)
        return _number_types(values.reshape(-1, 1), [words])[0]
    return _object_type(present, words)


def _constant_or(present: pd.Series, answer: dict[str, Any]) -> dict[str, Any]:
    if len(present) >= 2 and present.nunique() == 1:
        return {"type": "constant"}
    return answer


def _number_types(block: np.ndarray, words: list[list[str]]) -> list[dict[str, Any]]:
    """The types of number columns side by side (rows x columns, NaN missing), each named
    by its `words`: empty, constant, 0/1 flag, code, year, identifier, epoch time, or a
    quantity. The statistics the rules need are computed for the whole block at once.
    """
    present = ~np.isnan(block)
    count = present.sum(axis=0)
    infinite = np.isinf(block).sum(axis=0)
    low = np.fmin.reduce(block, axis=0, initial=np.inf)  # NaN-blind minimum and maximum
    high = np.fmax.reduce(block, axis=0, initial=-np.inf)
    # whole numbers: every present value (an infinity is no whole number)
    whole = np.where(present, block == np.floor(block), True).all(axis=0) & (infinite == 0)
    says_id = np.array([_says_id(w) for w in words], dtype=bool)
    # the common case needs no distinct count: finite fractions in a column not named
    # like a key are a quantity (or an epoch time); every other column is sorted once
    quantity = (count > 0) & (infinite == 0) & ~whole & ~says_id
    distinct = np.zeros(block.shape[1], dtype="int64")
    counted = np.flatnonzero(~quantity & (count > 0))
    if len(counted):
        ordered = np.sort(block[:, counted], axis=0)  # NaN sort last
        steps = ordered[1:] != ordered[:-1]
        inside = np.arange(1, block.shape[0])[:, None] < count[counted][None, :]
        distinct[counted] = 1 + (steps & inside).sum(axis=0)
    return [
        _number_rule(words[j], int(count[j]), int(distinct[j]), bool(whole[j]),
                     int(infinite[j]), float(low[j]), float(high[j]))
        for j in range(block.shape[1])
    ]  # fmt: skip


def _number_rule(
    words: list[str], count: int, distinct: int, whole: bool, infinite: int, low: float, high: float
) -> dict[str, Any]:
    """One number column's type from its statistics (`_number_types`); `low` and `high`
    span its present values, infinities included."""
    if count == 0:
        return {"type": "empty"}
    finite = infinite == 0
    if finite and not whole and not _says_id(words):  # fractions: a quantity
        if count >= 2 and low == high:
            return {"type": "constant"}
        return _epoch_or_number(low, high, words)
    if count >= 2 and distinct == 1:
        return {"type": "constant"}
    if distinct == 2 and low == 0 and high == 1:
        return {"type": "boolean"}
    unique = distinct == count
    if whole and _says_code(words):
        return {"type": "identifier" if unique and count >= 2 else "categorical"}
    if unique and _says_id(words) and count >= 2:
        return {"type": "identifier"}
    if whole and _says(words, _YEAR_WORDS) and YEARS[0] <= low and high <= YEARS[1]:
        return {"type": "datetime", "format": "year"}
    consecutive = whole and unique and high - low == count - 1
    if consecutive and count >= IDENTIFIER_MIN_ROWS:
        return {"type": "identifier"}
    if finite:
        return _epoch_or_number(low, high, words)
    return {"type": "numeric"}


def _epoch_or_number(low: float, high: float, words: list[str]) -> dict[str, Any]:
    """Finite numbers spanning `low`..`high`: epoch seconds or milliseconds when the name
    says time and the span is plausible, else a quantity."""
    if _says(words, _TIME_WORDS):
        if EPOCH_SECONDS[0] <= low and high <= EPOCH_SECONDS[1]:
            return {"type": "datetime", "format": "epoch_s"}
        if EPOCH_SECONDS[0] <= low / 1000.0 and high / 1000.0 <= EPOCH_SECONDS[1]:
            return {"type": "datetime", "format": "epoch_ms"}
    return {"type": "numeric"}


def _object_type(
    series: pd.Series,
    words: list[str],
    factorized: tuple[np.ndarray, Any] | None = None,
) -> dict[str, Any]:
    """Text (or mixed Python objects): flags, numbers, dates, codes, labels or prose.
    `series` may hold missing values; `factorized` is its ``pd.factorize``, if known."""
    inferred = ptypes.infer_dtype(series, skipna=True)
    if inferred == "empty":
        return {"type": "empty"}
    if inferred == "string":  # text and missing values: the codes say which are missing
        uniques, counts = _distinct_stripped(series, factorized)
        return _text_type(uniques, counts, words)
    present = series.dropna()
    if inferred == "boolean":
        return _constant_or(present, {"type": "boolean"})
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        numbers = pd.to_numeric(present, errors="coerce").to_numpy(dtype="float64")
        if not np.isnan(numbers).any():
            answer = _number_types(numbers.reshape(-1, 1), [words])[0]
            if answer["type"] in ("numeric", "boolean") and ptypes.is_object_dtype(present.dtype):
                answer["format"] = "objects"  # Python numbers in an object column
            return answer
    if inferred in ("datetime", "date", "datetime64"):
        return _constant_or(present.astype(str), {"type": "datetime", "format": "objects"})
    uniques, counts = _distinct_stripped(present.map(str))
    return _text_type(uniques, counts, words)


def _text_type(uniques: list[str], counts: np.ndarray, words: list[str]) -> dict[str, Any]:
    """Text by its distinct values (stripped) and how many rows hold each.

    Every rule looks at distinct values (weighted by their counts where it matters),
    never at every row: a 100,000-row label column has a handful. They are plain
    Python lists and `re` on purpose: pandas' `.str` costs a fixed ~50 us a call,
    which a file of 10,000 short text columns pays hundreds of thousands of times.
    """
    count = int(counts.sum())
    if count == 0:
        return {"type": "empty"}
    if count >= 2 and len(uniques) == 1:
        return {"type": "constant"}
    lengths = np.fromiter(map(len, uniques), dtype="float64", count=len(uniques))
    # missing-value words are short: only the short values need a look
    short = np.flatnonzero(lengths <= max(map(len, NA_TOKENS))).tolist()
    dropped = {i for i in short if uniques[i].lower() in NA_TOKENS}
    meaningful = [u for i, u in enumerate(uniques) if i not in dropped] if dropped else uniques
    if not meaningful:
        return {"type": "categorical"}
    lowered = {m.lower() for m in meaningful} if len(meaningful) <= 10 else set()
    if (
        lowered
        and lowered <= TRUE_WORDS | FALSE_WORDS
        and lowered & TRUE_WORDS
        and lowered & FALSE_WORDS
    ):
        return {"type": "boolean", "format": "text"}
    unique = len(uniques) == count
    if _all_match(meaningful, r"[\d\s\-+().]+") and (
        _says_code(words) or _any_match(meaningful, _LEADING_ZERO)
    ):
        return {"type": "identifier" if unique and count >= 2 else "categorical"}
    number = number_format(meaningful)
    if number is not None:
        if number["format"] == "plain" and unique and count >= 2:
            parsed = pd.to_numeric(pd.Series(meaningful, dtype=object), errors="coerce")
            values = parsed.to_numpy(dtype="float64")
            if _number_types(values.reshape(-1, 1), [words])[0]["type"] == "identifier":
                return {"type": "identifier"}
        return {"type": "numeric_text", **number}
    date = date_format(meaningful)
    if date is not None:
        return {"type": "datetime", **date}
    if unique and count >= 2 and _says_id(words):
        return {"type": "identifier"}
    if unique and count >= IDENTIFIER_MIN_ROWS and _code_like(uniques):
        return {"type": "identifier"}
    if float((lengths * counts).sum()) / count > FREE_TEXT_LENGTH:
        return {"type": "text"}
    if len(uniques) > 0.5 * count:
        search = re.compile(r"\s").search
        spaced = np.array([search(v) is not None for v in uniques], dtype=bool)
        if float(counts[spaced].sum()) / count > 0.5:
            return {"type": "text"}
    return {"type": "categorical"}


def _distinct_stripped(
    text: pd.Series, factorized: tuple[np.ndarray, Any] | None = None
) -> tuple[list[str], np.ndarray]:
    """Distinct values without surrounding spaces, in order of first appearance, and
    how many rows hold each."""
    if factorized is not None:
        codes, uniques = factorized
    else:
        codes, uniques = pd.factorize(text)  # on the Series: pyarrow-backed text stays fast
    codes = np.asarray(codes)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques)).astype("float64")
    raw = list(np.asarray(uniques, dtype=object))
    stripped = list(map(str.strip, raw))
    # strip only removes characters: the same total length means nothing was stripped
    if sum(map(len, stripped)) == sum(map(len, raw)):
        return raw, counts
    merged, distinct = pd.factorize(np.asarray(stripped, dtype=object))
    return list(distinct), np.bincount(merged, weights=counts, minlength=len(distinct))


def _code_like(values: list[str]) -> bool:
    """Key-shaped text: no spaces, and (nearly) every value has a digit: "ID-0001", UUIDs."""
    head = values[:SAMPLE_VALUES]
    with_digit = sum(_DIGIT.search(v) is not None for v in head)
    return with_digit >= 0.9 * len(head) and _all_match(values, _CODE_LIKE)


def convert(
    frame: pd.DataFrame, types: dict[str, dict[str, Any]] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """A copy of `frame` with numbers-as-text, date text, epoch numbers, yes/no text and
    Python-object numbers turned into real dtypes, and one sentence per converted column.

    Years stay integers (they already sort and plot as numbers). A column whose
    conversion would lose a value (a text that does not parse) is left as it is.
    `types` (default `column_types(frame)`) names the columns to look at: pass a subset
    to convert only some kinds.
    """
    out, done = conversions(frame, types)
    return out, [item["text"] for item in done]


def conversions(
    frame: pd.DataFrame, types: dict[str, dict[str, Any]] | None = None
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """`convert`, saying what it did as data: per converted column its ``column`` key,
    ``position``, ``how`` (a phrase), new ``dtype`` and the sentence (``text``)."""
    types = column_types(frame) if types is None else types
    out = frame.copy()
    done: list[dict[str, Any]] = []
    for key, info in types.items():
        position = info.get("position")
        if position is None or position >= frame.shape[1]:
            continue
        series = frame.iloc[:, position]
        converted, how = _converted(series, info)
        if converted is None:
            continue
        if _loses_values(series, converted):
            continue
        _set_column(out, position, converted)
        dtype = str(converted.dtype)
        done.append(
            {"column": key, "position": position, "how": how, "dtype": dtype,
             "text": f"{key}: {how}, now {dtype}."}
        )  # fmt: skip
    return out, done


def _set_column(frame: pd.DataFrame, position: int, values: pd.Series) -> None:
    """Replace the column at `position` (by position: names may repeat or be blank).

    pandas-stubs types `isetitem`'s value as a scalar or an array; a Series is what
    pandas documents and takes, so the array behind it is passed (same values, same
    dtype, extension dtypes included).
    """
    frame.isetitem(position, values.array)


def _named(values: pd.Series, name: Any) -> pd.Series:
    """`values` under the column name `name` (any hashable: pandas-stubs' `rename` only
    takes the scalar types it lists, so the attribute is set instead)."""
    values.name = name
    return values


def _loses_values(before: pd.Series, after: pd.Series) -> bool:
    """Whether a conversion turned a value into a missing one (missing-value words aside)."""
    lost = after.isna().to_numpy() & before.notna().to_numpy()
    if not lost.any():
        return False
    words = before[lost].map(lambda v: isinstance(v, str) and v.strip().lower() in NA_TOKENS)
    return not bool(words.all())


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _converted(series: pd.Series, info: dict[str, Any]) -> tuple[pd.Series | None, str]:
    kind, fmt = info.get("type"), info.get("format")
    if kind == "numeric_text":
        values = parse_numbers(series, info)
        finite = values.dropna()
        if len(finite) == len(values) and bool((finite == np.floor(finite)).all()):
            values = values.astype("int64")
        described = {
            "currency": f"currency text ({info.get('symbol', '')}) read as numbers",
            "percent": "percent text read as numbers of percent (12.5% -> 12.5)",
            "thousands": "numbers with thousands separators read as numbers",
            "decimal_comma": "numbers with decimal commas read as numbers",
        }.get(str(fmt), "numbers stored as text read as numbers")
        return _named(values, series.name), described
    if kind == "datetime" and fmt in ("epoch_s", "epoch_ms"):
        unit: Literal["s", "ms"] = "s" if fmt == "epoch_s" else "ms"
        stamps = pd.to_datetime(series.astype("float64"), unit=unit).astype("datetime64[ns]")
        seconds = "seconds" if unit == "s" else "milliseconds"
        return _named(stamps, series.name), f"epoch {seconds} read as dates"
    if kind == "datetime" and fmt == "objects":
        values = pd.to_datetime(series.astype(object), errors="coerce", utc=True)
        return _named(values, series.name), "date objects read as dates (UTC)"
    if kind == "datetime" and fmt not in (None, "year"):
        return _named(parse_dates(series, info), series.name), f"date text ({fmt}) read as dates"
    if kind == "boolean" and fmt == "text":
        lowered = series.astype(object).map(
            lambda v: v.strip().lower() if isinstance(v, str) else v
        )
        mapping = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
        values = lowered.map(mapping).astype("boolean")
        return _named(values, series.name), "yes/no text read as booleans"
    if fmt == "objects" and kind in ("numeric", "boolean"):
        values = pd.to_numeric(series.astype(object), errors="coerce").astype("float64")
        return _named(values, series.name), "numbers held as Python objects read as numbers"
    return None, ""
