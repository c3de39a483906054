"""Unpacking a tar archive (a Pyodide release, an npm package) without leaving its folder.

Python's `filter="data"` does exactly that, but only from 3.10.12 and 3.11.4 on;
Debian 12's Python is 3.11.2, where `extractall` refuses the argument. There the
same rules are applied here: a leading `/` is dropped, and `..`, a device or a FIFO,
a link that leads outside (or is absolute), set-id and world-writable mode bits are not
let through.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path


class UnsafeArchive(ValueError):
    """A member would land outside the folder, or is not plain data."""


def extract_all(archive: tarfile.TarFile, into: Path) -> None:
    """Extract every member of `archive` below `into`, refusing anything that is not data."""
    if hasattr(tarfile, "data_filter"):
        try:
            archive.extractall(into, filter="data")
        except tarfile.FilterError as exc:
            raise UnsafeArchive(str(exc)) from None
        return
    root = Path(into).resolve()
    members = [_checked(member, root) for member in archive.getmembers()]
    archive.extractall(root, members=members)  # every member checked above


def _checked(member: tarfile.TarInfo, root: Path) -> tarfile.TarInfo:
    name = member.name = member.name.lstrip("/")  # as the data filter does
    if not name or ".." in Path(name).parts:
        raise UnsafeArchive(f"{name!r} would be written outside the folder")
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise UnsafeArchive(f"{name!r} is not a file, a folder or a link")
    place = (root / name).resolve()
    if not place.is_relative_to(root):
        raise UnsafeArchive(f"{name!r} would be written outside the folder")
    if member.issym() or member.islnk():
        base = place.parent if member.issym() else root
        target = (base / member.linkname).resolve()
        if os.path.isabs(member.linkname) or not target.is_relative_to(root):
            raise UnsafeArchive(f"{name!r} links outside the folder")
    member.mode &= 0o755  # as the data filter: no set-id bits, not writable by others
    return member
