"""How much data a site may carry: what a browser tab can comfortably hold.

The limit is on the data as stored in the site (CSV text), checked before
anything is written, with a message that says how to sample or raise it.
"""

from __future__ import annotations

import re

from ..errors import UserError

#: what a browser tab can comfortably hold as CSV text plus its DataFrame
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def parse_size(text: str) -> int:
    """`200MB`, `1.5GB`, `5000000` -> bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*", text.upper())
    if not match:
        raise UserError(f"cannot read size {text!r}; write it like 200MB or 1GB")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def human_size(size: int) -> str:
    for unit in ("GB", "MB", "KB"):
        if size >= _UNITS[unit]:
            return f"{size / _UNITS[unit]:.1f} {unit}"
    return f"{size} B"


def check_data_size(stored: int, max_bytes: int, *, sampled: bool) -> None:
    """Refuse `stored` bytes of data above `max_bytes`, saying how to sample or raise the limit."""
    if stored > max_bytes:
        hint = "use a smaller --sample" if sampled else "keep a random sample with --sample N"
        raise UserError(
            f"the data is {human_size(stored)} as stored, above the {human_size(max_bytes)} "
            f"limit for in-browser use; {hint} (rows), or raise the limit with --max-size"
        )
