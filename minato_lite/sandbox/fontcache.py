"""matplotlib's font cache, kept between worker boots.

Pyodide's matplotlib has no font cache in its wheel and builds one on first
import: seconds of every boot that preloads it. The first boot's cache is kept
on the host (keyed by the matplotlib wheel's sha256) and handed to later boots
as data. Only a boot gives it, before any job ran in that worker, so no user
code ever writes it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..cache import cache_root

MAX_BYTES = 4 * 1024 * 1024


class FontCache:
    """One cache file (or none: then every boot builds its own)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def for_wheel(cls, sha256: str | None) -> FontCache:
        if not sha256:
            return cls(None)
        return cls(cache_root() / "sandbox" / f"mpl-fontlist-{sha256[:16]}.json")

    def read(self) -> str | None:
        if self.path is None:
            return None
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return text if self._valid(text) else None

    def keep(self, text: object) -> None:
        """Store a boot's cache atomically; anything odd is dropped, never an error."""
        if self.path is None or not isinstance(text, str) or not self._valid(text):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, staging = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(staging, self.path)
        except OSError:
            pass

    @staticmethod
    def _valid(text: str) -> bool:
        if len(text) > MAX_BYTES:
            return False
        try:
            data = json.loads(text)
        except ValueError:
            return False
        return isinstance(data, dict) and "_version" in data
