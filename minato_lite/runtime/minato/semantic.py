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
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

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
#: text patterns are tried on this many distinct values first, then on all of them
SAMPLE_VALUES = 200
#: number columns typed together, as one array (bounds the memory of the block's sort)
NUMBER_BLOCK = 64
#: columns other than plain numbers that one `column_types` call looks at in detail
#: (about 0.1-1 ms each, in pandas' fixed costs); the rest are typed by their dtype alone,
#: so a file of 10,000 text columns costs a bounded time, the same on every machine
MAX_DETAILED_COLUMNS = 1000
#: values that mean "missing" in numeric, date and boolean text
NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "—"})
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

_PLAIN = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_INTEGER = r"[+-]?\d+"
_DECIMAL_COMMA = r"[+-]?(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+)"
_CURRENCY = r"(?:US|A|C|NZ|HK|R)?\$|[€£¥₹₩₽¢]|\b(?:USD|EUR|GBP|JPY|CHF|CAD|AUD|CNY|INR)\b"
_CODE_LIKE = r"[\w\-.:/#]{1,64}"
_LEADING_ZERO = r"0\d+"
_ISO = (
    r"\d{4}-\d{2}(?:-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
#: an offset after a clock time ("-01" in "2024-01-01" is a month, not an offset)
_TZ_SUFFIX = r".*\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)"
#: what any of the formats below looks like: day-month-year in some order with / . -
#: or a month name, then maybe a clock time
_DATE_SHAPE = (
    r"(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{2,4}"
    r"|[A-Za-z]{3,9}\.?\s+(?:\d{1,2},?\s+)?\d{2,4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
#: text date formats tried in this order after ISO 8601; month-first wins a tie
#: (03/04/2024 is March 4), as in most software that reads such dates
DATE_FORMATS = (
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%B %d %Y",
    "%d %B %Y",
    "%b %Y",
    "%B %Y",
)


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


_DIGIT = re.compile(r"\d")


def _code_like(values: list[str]) -> bool:
    """Key-shaped text: no spaces, and (nearly) every value has a digit: "ID-0001", UUIDs."""
    head = values[:SAMPLE_VALUES]
    with_digit = sum(_DIGIT.search(v) is not None for v in head)
    return with_digit >= 0.9 * len(head) and _all_match(values, _CODE_LIKE)


def _all_match(values: Sequence[str], pattern: str) -> bool:
    """Every value (text) matches. A plain loop over a compiled pattern, not `.str`:
    the same `re` semantics, it stops at the first value that fails, and it skips
    pandas' per-value overhead (this runs on every distinct value of every text column).

    Many values (a column of prices, every one distinct) are matched by their digit
    shapes ("$1,234.50" -> "$9,999.99"): a handful of shapes instead of 100,000 regex
    calls. The answer is the same for every pattern given here, because they name
    digits only as ``\\d`` (or inside a class holding all of them), never one digit:
    `_LEADING_ZERO` ("0" then digits) goes through `_any_match` instead.
    """
    texts = list(values)
    match = re.compile(pattern).fullmatch
    if not all(map(match, texts[:SAMPLE_VALUES])):
        return False  # most failures show at once: no shapes computed for them
    rest = texts[SAMPLE_VALUES:]
    shapes = _digit_shapes(rest) if rest else None
    return all(map(match, rest if shapes is None else shapes))


_DIGITS_AS_NINE = bytes.maketrans(b"0123456789", b"9999999999")


def _digit_shapes(texts: list[str]) -> list[str] | None:
    """The distinct texts with every ASCII digit written as 9, in order of appearance;
    None when a text holds the NUL that separates them here."""
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:
        return None
    # UTF-8 bytes of other characters are all >= 0x80: only the digits change
    shapes = joined.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_NINE)
    return [s.decode("utf-8", "surrogatepass") for s in dict.fromkeys(shapes.split(b"\x00"))]


def _any_match(values: Sequence[str], pattern: str) -> bool:
    return any(map(re.compile(pattern).fullmatch, values))


def _number_core(values: list[str]) -> str | None:
    """How the digits of number-text are grouped: plain, thousands or decimal_comma."""
    if _all_match(values, _PLAIN):
        return "plain"
    if _all_match(values, f"{_PLAIN}|{_THOUSANDS}"):
        return "thousands"
    if _all_match(values, f"{_INTEGER}|{_DECIMAL_COMMA}") and _any_match(values, r".*,.*"):
        return "decimal_comma"
    return None


def number_format(values: Sequence[str]) -> dict[str, Any] | None:
    """The number format shared by every value (stripped, non-missing text), or None.

    Decided on the first distinct values, then checked on all of them with one strict
    pattern; only when that check fails is every value looked at in detail.
    """
    texts = list(values)
    answer = _number_format_of(texts[:SAMPLE_VALUES])
    if answer is None or len(texts) <= SAMPLE_VALUES:
        return answer
    if _all_match(texts, _number_pattern(answer)):
        return answer
    return _number_format_of(texts)


def _number_pattern(answer: dict[str, Any]) -> str:
    """One regular expression for every value written in the format `answer` names."""
    core = {
        "plain": _PLAIN,
        "thousands": f"{_PLAIN}|{_THOUSANDS}",
        "decimal_comma": f"{_INTEGER}|{_DECIMAL_COMMA}",
    }[answer["separators"]]
    if answer["format"] == "percent":
        return rf"(?:{core})\s*%"
    if answer["format"] == "currency":
        before = rf"\(?[+-]?\s*(?:{_CURRENCY})\s*(?:{core})\)?"
        after = rf"\(?(?:{core})\s*(?:{_CURRENCY})\)?"
        return f"{before}|{after}"
    return core


_CURRENCY_RE = re.compile(_CURRENCY)
_SPACES = re.compile(r"\s+")
_PARENTHESISED = re.compile(r"\(.*\)")


def _number_format_of(values: list[str]) -> dict[str, Any] | None:
    if not _all_match(values, r"[\s\d+\-.,%()$€£¥₹₩₽¢A-Za-z]*\d[\s\d+\-.,%()$€£¥₹₩₽¢A-Za-z]*"):
        return None
    percent = [v.endswith("%") for v in values]
    if all(percent):
        core = _number_core([v[:-1].strip() for v in values])
        return None if core is None else {"format": "percent", "separators": core}
    if any(percent):
        return None
    found = [_CURRENCY_RE.search(v) for v in values]
    if all(found):
        core = _number_core(_currency_core(values))
        if core is None:
            return None
        # the most common symbol; among equally common ones, the first seen
        symbol = Counter(m.group(0) for m in found if m).most_common(1)[0][0]
        return {"format": "currency", "separators": core, "symbol": symbol}
    if any(found):
        return None
    core = _number_core(values)
    return None if core is None else {"format": core, "separators": core}


def _currency_core(values: list[str]) -> list[str]:
    """The signed number inside currency text: "($1,234.50)" -> "-1,234.50"."""
    out = []
    for value in values:
        core = _SPACES.sub("", _CURRENCY_RE.sub("", value))
        negative = _PARENTHESISED.fullmatch(core) is not None
        core = core.strip("()")
        out.append("-" + core.lstrip("-") if negative else core)
    return out


def parse_numbers(text: pd.Series, info: dict[str, Any]) -> pd.Series:
    """Number-text as float64 following `info` (from `number_format`); the rest NaN.

    Plain string operations (a character table, no regular expression): this runs on
    every row of a column, where `number_format` looked at distinct values. Missing-value
    words ("n/a") simply do not parse.
    """
    fmt, separators = info.get("format"), info.get("separators", "plain")
    deleted = " \t\u00a0()" + ("%" if fmt == "percent" else "")
    deleted += {"thousands": ",", "decimal_comma": "."}.get(separators, "")
    if fmt == "currency":
        deleted += "$€£¥₹₩₽¢"
    table: dict[str, str | None] = dict.fromkeys(deleted)
    if separators == "decimal_comma":
        table[","] = "."
    symbol = str(info.get("symbol") or "") if fmt == "currency" else ""
    translate = str.maketrans(table)
    values = text.astype(object).tolist()
    if not symbol[1:] and ptypes.infer_dtype(text, skipna=True) == "string":
        # the common case, text and missing values only. `str.replace` of the characters
        # that occur, one pass each, is several times faster than `str.translate` with a
        # table, and gives the same words: the deletions are independent, and "," becomes
        # "." only after every "." is gone
        words = [v if type(v) is str else None for v in values]
        everything = "".join([v for v in words if v is not None])
        for char, replacement in table.items():
            if char in everything:
                new = replacement or ""
                words = [v if v is None else v.replace(char, new) for v in words]
        numbers = pd.to_numeric(pd.Series(words, index=text.index, dtype=object), errors="coerce")
        numbers = numbers.astype("float64")
        if "(" not in everything:
            return numbers
        negative = np.array([type(v) is str and "(" in v for v in values], dtype=bool)
        return numbers.where(~negative, -numbers.abs())
    words = []
    negative = np.zeros(len(text), dtype=bool)
    for i, value in enumerate(values):  # mixed objects: one pass, plain str methods
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            words.append(None)
            continue
        word = value if isinstance(value, str) else str(value)
        if len(symbol) > 1:  # "USD", "US$": letters the table cannot delete
            word = word.replace(symbol, "")
        negative[i] = "(" in word  # accounting notation: (5.00) is -5
        words.append(word.translate(translate))
    numbers = pd.to_numeric(pd.Series(words, index=text.index, dtype=object), errors="coerce")
    numbers = numbers.astype("float64")
    if negative.any():
        numbers = numbers.where(~negative, -numbers.abs())
    return numbers


_TZ_SUFFIX_RE = re.compile(_TZ_SUFFIX)
_DATE_SHAPE_RE = re.compile(_DATE_SHAPE)


def date_format(values: Sequence[str]) -> dict[str, Any] | None:
    """The one date format every value (stripped, non-missing text) is written in."""
    texts = list(values)
    head = texts[:SAMPLE_VALUES]
    if not all(_DIGIT.search(v) for v in head) or any(len(v) > 40 for v in head):
        return None
    if _all_match(texts, r"\d+"):
        return None  # bare numbers are numbers, not dates
    if _all_match(texts, _ISO):
        zoned = [_TZ_SUFFIX_RE.fullmatch(v) is not None for v in texts]
        if any(zoned) and not all(zoned):
            return None  # some with an offset, some without: no single meaning
        answer = {"format": "ISO8601", "utc": all(zoned)}
        return answer if _parses(texts, answer) else None
    if not all(_DATE_SHAPE_RE.fullmatch(v) for v in head):
        return None  # no value looks like a date: skip trying every format
    for fmt in DATE_FORMATS:
        answer = {"format": fmt, "utc": False}
        if _parses(head, answer) and (len(texts) <= SAMPLE_VALUES or _parses(texts, answer)):
            return answer
    return None


def _clean_text(text: pd.Series) -> pd.Series:
    """Text stripped of surrounding spaces, with the missing-value words as missing."""
    strings = text.astype(object).where(text.notna(), None).str.strip()
    return strings.mask(strings.str.lower().isin(NA_TOKENS))


def parse_dates(text: pd.Series, info: dict[str, Any]) -> pd.Series:
    """Date text as datetime64[ns] (UTC-aware when the text has offsets); the rest NaT."""
    strings = _clean_text(text)
    parsed = pd.to_datetime(strings, format=info["format"], errors="coerce", utc=info["utc"])
    return parsed.astype("datetime64[ns, UTC]") if info["utc"] else parsed.astype("datetime64[ns]")


def _parses(values: list[str], info: dict[str, Any]) -> bool:
    try:
        parsed = parse_dates(pd.Series(values, dtype=object), info)
    except (ValueError, OverflowError, TypeError):
        return False
    return bool(parsed.notna().all())


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
