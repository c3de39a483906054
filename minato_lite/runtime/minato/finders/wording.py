"""How a number, a share or a label reads inside a finding's sentence, shared so that every
family words them the same way, rounded alike on every pandas and numpy version."""

from __future__ import annotations

import math
from typing import Any


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
