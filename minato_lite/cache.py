"""The user cache, shared by every build on this machine, and how files are taken from it.

Built apps, Pyodide distributions, downloaded wheels and the sandbox's font
cache live here between runs (`MINATO_LITE_CACHE`, else the XDG cache folder).
Entries are filled under a file lock, renamed into place when complete, and
hard-linked into sites where the file system allows it.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CACHE_ENV = "MINATO_LITE_CACHE"


def cache_root() -> Path:
    """Where downloads, apps and distributions are kept between builds."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "minato-lite"


@contextmanager
def cache_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock while one process fills a cache entry others may want too."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard link when the file system allows it (sites share the cache), else copy."""
    try:
        os.link(src, dst)
    except FileNotFoundError:
        if dst.parent.exists():
            raise  # the source is missing
        dst.parent.mkdir(parents=True)  # made once per folder, not once per file
        link_or_copy(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def entry_identity(entry: Path) -> tuple[Path, int, int]:
    """What tells one complete cache entry from another at the same path (a key to remember
    what was read of it by): entries never change once renamed into place, and one put
    in its place anew is another folder, with another inode and mtime."""
    stat = entry.stat()
    return entry, stat.st_ino, stat.st_mtime_ns


def entry_files(entry: Path) -> tuple[tuple[str, Path], ...]:
    """Every file of a complete cache entry, as (posix path inside it, path), sorted.

    The walk is remembered per process by `entry_identity`: a batch of 50 sites
    walked the app's few hundred files twice per site (40% of a site's build
    without pre-rendering).
    """
    return _entry_files(*entry_identity(entry))


@functools.lru_cache(maxsize=32)
def _entry_files(root: Path, _inode: int, _mtime_ns: int) -> tuple[tuple[str, Path], ...]:
    return tuple(
        (path.relative_to(root).as_posix(), path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    )
