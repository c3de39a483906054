"""Which findings are shown, and in what order: one deterministic order (score, kind,
column position, text), so the build and the browser list the same findings, and the
cut that keeps a capped list from naming the same few columns over and over."""

from __future__ import annotations

from typing import Any

from .kinds import KINDS


def _ranked(found: list[dict[str, Any]], positions: dict[str, int]) -> list[dict[str, Any]]:
    def key(item: dict[str, Any]) -> tuple:
        where = tuple(positions.get(c, -1) for c in item["columns"])
        return (-item["score"], KINDS.index(item["kind"]), where, item["text"])

    return sorted(found, key=key)


def _cut(found: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """The `size` findings to show, in rank order: a pair finding (a correlation, a group
    difference) whose columns are all named already by findings of its kind waits until
    every finding that tells something about a new column has a place.

    Without this, a wide table of correlated measurements fills the list with pairs of
    the same few columns (31 columns of the breast-cancer table: 256 findings, the 50
    strongest about 16 columns).
    """
    named: dict[str, set[str]] = {}
    first, later = [], []
    for index, item in enumerate(found):
        seen = named.setdefault(item["kind"], set())
        if len(item["columns"]) > 1 and set(item["columns"]) <= seen:
            later.append(index)
        else:
            first.append(index)
            seen.update(item["columns"])
    chosen = sorted((first + later)[:size]) if len(first) < size else sorted(first[:size])
    return [found[i] for i in chosen]
