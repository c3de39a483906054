"""Numbers and dates written as text ("$1,234.50", "12.5%", "03/04/2024"): which format
a column's text is in, and reading it in that format. Apart from the type rules
(`minato.semantic`), and together, because the two halves must agree format for format:
what `number_format` and `date_format` accept is what `parse_numbers` and `parse_dates`
read (`date_format` checks itself by parsing).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

#: text patterns are tried on this many distinct values first, then on all of them
SAMPLE_VALUES = 200
#: values that mean "missing" in numeric, date and boolean text
NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "—"})

_PLAIN = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_INTEGER = r"[+-]?\d+"
_DECIMAL_COMMA = r"[+-]?(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+)"
_CURRENCY = r"(?:US|A|C|NZ|HK|R)?\$|[€£¥₹₩₽¢]|\b(?:USD|EUR|GBP|JPY|CHF|CAD|AUD|CNY|INR)\b"
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

_DIGIT = re.compile(r"\d")


def _all_match(values: Sequence[str], pattern: str) -> bool:
    """Every value (text) matches. A plain loop over a compiled pattern, not `.str`:
    the same `re` semantics, it stops at the first value that fails, and it skips
    pandas' per-value overhead (this runs on every distinct value of every text column).

    Many values (a column of prices, every one distinct) are matched by their digit
    shapes ("$1,234.50" -> "$9,999.99"): a handful of shapes instead of 100,000 regex
    calls. The answer is the same for every pattern given here, because they name
    digits only as ``\\d`` (or inside a class holding all of them), never one digit:
    `semantic._LEADING_ZERO` ("0" then digits) goes through `_any_match` instead.
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
