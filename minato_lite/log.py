"""Progress messages: every long step takes a `log` callable, quiet unless the caller prints.

The CLI passes a function that prints timed lines to stderr; the library, the
API and tests pass nothing and hear nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Log = Callable[[str], None]


def quiet(message: str) -> None:
    """The default `log`: say nothing."""
