"""Safe, unique dataset names.

A dataset name becomes a file name inside the site, a key in the kernel
catalog and a string literal in generated code. So it is reduced to
`[a-z0-9_]`, starts with a letter, has a bounded length, and is made unique
within a site. The original label is kept separately, for display only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_NAME_LENGTH = 48


def slugify(label: str) -> str:
    """ASCII identifier derived from any label; `dataset` when nothing survives."""
    text = unicodedata.normalize("NFKD", str(label))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    text = text[:MAX_NAME_LENGTH].rstrip("_")
    if not text:
        text = "dataset"
    if text[0].isdigit():
        text = f"data_{text}"[:MAX_NAME_LENGTH]
    return text


def unique_names(labels: Iterable[str]) -> list[str]:
    """Slugs for `labels`, suffixed `_2`, `_3`, ... where two would collide."""
    taken: set[str] = set()
    names = []
    for label in labels:
        base = slugify(label)
        name, n = base, 1
        while name in taken:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_NAME_LENGTH - len(suffix)] + suffix
        taken.add(name)
        names.append(name)
    return names
