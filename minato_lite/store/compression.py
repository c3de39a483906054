"""Deterministic gzip: the same input gives the same bytes on every publish.

Objects stored compressed in a bucket are sent as they are, with
`Content-Encoding: gzip`, to every client (S3 does not negotiate). Browsers
decode them before any script sees the body: `fetch`, XHR (sync too),
`WebAssembly.compileStreaming`/`instantiateStreaming` and Subresource
Integrity all work on the decoded bytes (checked in headless Chromium against
SeaweedFS: see `docs/store.md`).

The header is written here rather than by `gzip.compress`, whose header bytes
(the OS field) differ between Python versions: no file name, mtime 0, OS
"unknown". The deflate stream itself is zlib's at a fixed level, so re-publishing
with the same zlib gives byte-identical objects (same ETag, nothing to re-cache).
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GZIP = "gzip"
#: zlib level: 9 makes Pyodide's wasm 0.5% smaller for twice the time (measured: 1.3 s vs 0.6 s)
LEVEL = 6
#: files up to this size are compressed in memory; larger ones into a temporary file
IN_MEMORY = 32 * 1024 * 1024
CHUNK = 1024 * 1024
_HEADER = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x00\xff"  # magic, deflate, no flags,
# mtime 0, no extra flags, OS unknown


def _deflater() -> zlib._Compress:
    return zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, 9)


def gzip_bytes(data: bytes) -> bytes:
    """`data` as a deterministic gzip member."""
    deflate = _deflater()
    body = deflate.compress(data) + deflate.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return _HEADER + body + trailer


def gzip_file(src: Path, dst: Path) -> None:
    """Compress the file `src` into `dst` in chunks, with the same bytes `gzip_bytes` gives."""
    deflate, crc, size = _deflater(), 0, 0
    with open(src, "rb") as inp, open(dst, "wb") as out:
        out.write(_HEADER)
        while chunk := inp.read(CHUNK):
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
            out.write(deflate.compress(chunk))
        out.write(deflate.flush())
        out.write(struct.pack("<II", crc, size & 0xFFFFFFFF))


def gunzip(data: bytes) -> bytes:
    return gzip.decompress(data)


def gunzip_file(src: Path, dst_handle) -> None:
    """Decompress the file `src` into an open binary file, in chunks."""
    with gzip.open(src, "rb") as inp:
        while chunk := inp.read(CHUNK):
            dst_handle.write(chunk)


@contextmanager
def gzip_source(source: bytes | Path) -> Iterator[tuple[bytes | Path, str | None]]:
    """`(data, encoding)` to store for `source`: compressed when that makes it smaller.

    Large files are compressed into a temporary file (removed on exit), so a
    200 MB CSV never sits in memory twice. Data that does not shrink (already
    compressed, random) is stored as it is, without an encoding.
    """
    if isinstance(source, bytes) or source.stat().st_size <= IN_MEMORY:
        raw = source if isinstance(source, bytes) else source.read_bytes()
        packed = gzip_bytes(raw)
        yield (packed, GZIP) if len(packed) < len(raw) else (source, None)
        return
    fd, name = tempfile.mkstemp(prefix="minato-gzip-", suffix=".gz")
    os.close(fd)
    tmp = Path(name)
    try:
        gzip_file(source, tmp)
        smaller = tmp.stat().st_size < source.stat().st_size
        yield (tmp, GZIP) if smaller else (source, None)
    finally:
        tmp.unlink(missing_ok=True)
