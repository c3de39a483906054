"""What each file of a site is stored with: content type, caching, gzip, content addressing.

One policy for `minato-lite serve` (`serve/static.py`) and the stores, so a site in a bucket
is sent with the headers a folder served by minato-lite gets: the MIME types
Pyodide needs (`.wasm`, `.mjs`), a year of immutable caching for
content-hashed assets and wheels and `no-cache` for the rest, gzip for the
same text-like files.

Assets shared by the sites of a deployment live under `_shared/<kind>-<hash>/`
(`publish/shared.py`): the folder's name is a hash of everything in it, so every
file below it is immutable and uploaded `if_absent`, whatever its own name.

Only content-hashed names (`1031.b91a70b.js`) and shared folders are uploaded `if_absent`. Wheels
are cached as immutable by browsers but are not content-addressed: the
scientific stand-in ships a patched micropip under upstream's file name, so a
re-publish that swapped distributions must overwrite it, or Pyodide's sha256
check would fail on the stale wheel.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator
from pathlib import Path

from .base import Upload, check_key, check_prefix

TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".whl": "application/zip",
    ".ipynb": "application/x-ipynb+json",
    ".json": "application/json",
    ".map": "application/json",
    ".csv": "text/csv",
    ".md": "text/markdown",
}
#: a content hash in the file name, as the app's bundler writes them (`1031.b91a70b.js`)
HASHED = re.compile(r"[.-][0-9a-f]{7,}\.(?:js|css|woff2?|ttf|svg|png|wasm)$")
#: a folder of assets shared by a deployment's sites, named by a hash of its contents
#: (`_shared/app-<hash>/`, `_shared/pyodide-<hash>/`): anywhere in a path or key
SHARED_DIR = "_shared"
SHARED = re.compile(rf"(?:^|/){SHARED_DIR}/[a-z]+-[0-9a-f]{{16,64}}/")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = (".js", ".mjs", ".css", ".html", ".json", ".ipynb", ".csv", ".svg", ".map",
                ".wasm", ".txt", ".py", ".md", "/")  # fmt: skip


def cache_policy(path: str) -> str:
    """Immutable for content-addressed files, wheels and shared folders; revalidate the rest."""
    if HASHED.search(path) or path.endswith(".whl") or SHARED.search(path):
        return IMMUTABLE
    return REVALIDATE


#: smaller text files gain less from gzip than its header and a decode cost
GZIP_MIN_SIZE = 1024
GZIP_SUFFIXES = tuple(s for s in COMPRESSIBLE if s.startswith("."))


def should_gzip(key: str, size: int) -> bool:
    """Stored gzip-compressed: large text-like files and WebAssembly, never zips or images."""
    return key.endswith(GZIP_SUFFIXES) and size >= GZIP_MIN_SIZE


def content_type_for(key: str) -> str:
    """The Content-Type a static server would send for `key` (text gets charset=utf-8)."""
    suffix = os.path.splitext(key)[1].lower()
    kind = TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"
    if kind.startswith("text/"):  # as Starlette's static files say it
        kind += "; charset=utf-8"
    return kind


def is_content_addressed(key: str) -> bool:
    """The key's name fixes its bytes: a content hash in the file name, or a shared folder."""
    return HASHED.search(key) is not None or SHARED.search(key) is not None


def upload_for(key: str, source: bytes | Path) -> Upload:
    """One site file as an `Upload`, with serve's headers and the gzip decision."""
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    return Upload(
        key=check_key(key),
        source=source,
        content_type=content_type_for(key),
        cache_control=cache_policy(key),
        gzip=should_gzip(key, size),
        if_absent=is_content_addressed(key),
    )


def folder_uploads(root: Path, prefix: str = "") -> Iterator[Upload]:
    """Every file below `root` (a built site), keyed `prefix` + its relative path."""
    check_prefix(prefix)
    root = Path(root)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield upload_for(prefix + path.relative_to(root).as_posix(), path)
