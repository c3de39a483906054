"""The JupyterLite contents index (`api/contents/**/all.json`) for a site's files.

jupyterlite-core writes this index with jupyter_server's contents manager
during `jupyter lite build`. Per-analysis builds reuse a cached app and write
their own small index instead: the same fields, sorted entries, and fixed
timestamps, so the output is byte-identical from build to build. A test
compares it with what `jupyter lite build` itself writes for the same files.
"""

from __future__ import annotations

import json
import mimetypes
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: jupyter_server's answers for the kinds of files sites carry
MIMETYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".md": "text/markdown",
    ".py": "text/x-python",
    ".txt": "text/plain",
}


def _stamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(path: Path, rel: str, stamp: str) -> dict[str, Any]:
    is_dir = path.is_dir()
    kind = "directory" if is_dir else "notebook" if path.suffix == ".ipynb" else "file"
    mimetype = None
    if kind == "file":
        mimetype = MIMETYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return {
        "content": None,
        "created": stamp,
        "format": None,
        "hash": None,
        "hash_algorithm": None,
        "last_modified": stamp,
        "mimetype": mimetype,
        "name": path.name,
        "path": rel,
        "size": None if is_dir else path.stat().st_size,
        "type": kind,
        "writable": True,
    }


def write_contents_index(files_dir: Path, api_dir: Path, epoch: int) -> list[Path]:
    """Write one `all.json` per folder of `files_dir`; return the files written."""
    stamp = _stamp(epoch)
    written = []
    folders = [files_dir, *sorted(p for p in files_dir.rglob("*") if p.is_dir())]
    for folder in folders:
        rel = folder.relative_to(files_dir).as_posix()
        rel = "" if rel == "." else rel
        listing = _entry(folder, rel, stamp)
        listing["name"] = folder.name if rel else ""
        listing["format"] = "json"
        listing["content"] = [
            _entry(child, f"{rel}/{child.name}" if rel else child.name, stamp)
            for child in sorted(folder.iterdir(), key=lambda p: p.name)
        ]
        target = api_dir / rel / "all.json" if rel else api_dir / "all.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(listing, indent=2, sort_keys=True) + "\n", "utf-8")
        written.append(target)
    return written
