"""The one type for a Pyodide distribution, from where it is to how it goes into a site.

A site points its kernel at the public CDN (the default, nothing shipped), at
another URL, or self-hosts a local distribution under `static/pyodide/`; the
WebAssembly sandbox boots the same distributions in Deno. Build, site, offline
planning, the sandbox and the CLI all hold a `PyodideDistribution`:

* where it is: a local folder (given as a folder or an official `.tar.bz2`,
  unpacked once into the cache) or a URL;
* what it holds: its lockfile, packages and runtime files, read from the
  folder, never assumed (a remote one is taken to be a full release: the CDN is);
* how it goes into a site: `placement` is "remote" (only a URL in the kernel
  settings), "linked" (every file hard-linked) or "pruned" (a `Selection` of
  packages, with a lockfile listing only them).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from jupyterlite_pyodide_kernel.constants import PYODIDE_CDN_URL

from ..cache import cache_root, link_or_copy
from ..errors import UserError
from ..log import Log, quiet
from .lockfile import (
    ENTRY_MODULE,
    LOCKFILE,
    canonical_name,
    kernel_problem,
    lockfile_bytes,
    read_lockfile,
    runtime_file_names,
    sha256_of,
)
from .untar import UnsafeArchive, extract_all

CDN_URL = f"{PYODIDE_CDN_URL}/{ENTRY_MODULE}"
#: where a self-hosted distribution sits in a site, and the URL the kernel loads it from
SITE_FOLDER = "static/pyodide"
SITE_URL = f"./{SITE_FOLDER}/{ENTRY_MODULE}"
ARCHIVE_SUFFIXES = (".tar.bz2", ".tar.gz", ".tgz", ".tar")

Placement = Literal["remote", "linked", "pruned"]


@dataclass(frozen=True)
class ExtraWheel:
    """A pure-Python wheel from PyPI, with the lockfile entry that makes it importable."""

    path: Path
    entry: Mapping[str, Any] = field(hash=False, compare=False)


@dataclass(frozen=True)
class Selection:
    """For a pruned site: the lockfile packages to ship and extra wheels to add."""

    packages: frozenset[str]
    extra: tuple[ExtraWheel, ...] = ()

    def has(self, name: str) -> bool:
        return canonical_name(name) in self.packages


@dataclass(frozen=True)
class PyodideDistribution:
    """A Pyodide: a local folder (with its lockfile) or a URL, and what a site ships of it."""

    folder: Path | None = None
    #: the module URL (`.../pyodide.mjs`) of a remote distribution
    url: str | None = None
    lock: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    selection: Selection | None = None

    # --- where it is ---------------------------------------------------------------

    @classmethod
    def cdn(cls) -> PyodideDistribution:
        """The public CDN release the kernel pins (the default for a site)."""
        return cls(url=CDN_URL)

    @classmethod
    def remote(cls, url: str) -> PyodideDistribution:
        """A distribution served at `url` (its folder or its `pyodide.mjs`)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(f"{url!r} is not an http(s) URL of a Pyodide distribution")
        base = url.split("?", 1)[0].split("#", 1)[0]
        module = base if base.endswith(".mjs") else base.rstrip("/") + "/" + ENTRY_MODULE
        return cls(url=module)

    @classmethod
    def open(cls, folder: Path) -> PyodideDistribution:
        """A local distribution folder, checked: runtime files and a lockfile the kernel can use."""
        if not (folder / ENTRY_MODULE).is_file() or not (folder / LOCKFILE).is_file():
            raise UserError(
                f"{folder} is not a Pyodide distribution (needs {ENTRY_MODULE} and {LOCKFILE}); "
                "make one with 'minato-lite pyodide assemble -o DIR'"
            )
        lock = read_lockfile(folder)
        problem = kernel_problem(lock)
        if problem:
            raise UserError(f"{folder}: {problem}")
        runtime = runtime_file_names(folder)
        if not any(name.startswith("pyodide.asm.") for name in runtime) or (
            "python_stdlib.zip" not in runtime
        ):
            raise UserError(
                f"{folder}: incomplete Pyodide runtime (needs pyodide.asm.*, python_stdlib.zip)"
            )
        return cls(folder=folder, lock=lock)

    @classmethod
    def local(cls, given: str | Path, *, log: Log = quiet) -> PyodideDistribution:
        """A folder, or an official `.tar.bz2` release unpacked once into the cache.

        Archives are keyed by path, size and mtime, so repeated builds from the
        same 350 MB file do not pay for unpacking it again.
        """
        path = Path(given).expanduser()
        if not path.exists():
            raise UserError(f"Pyodide distribution {path} does not exist")
        if path.is_dir():
            # the official release unpacks to a `pyodide/` folder; accept either level
            inner = path / "pyodide"
            if not (path / ENTRY_MODULE).exists() and (inner / ENTRY_MODULE).exists():
                path = inner
            return cls.open(path.resolve())
        if not path.name.endswith(ARCHIVE_SUFFIXES):
            raise UserError(f"{path}: expected a Pyodide folder or a .tar.bz2 release archive")
        target = _unpacked(path, log)
        for candidate in (target, target / "pyodide", *target.glob("*/")):
            if (candidate / ENTRY_MODULE).is_file():
                return cls.open(candidate)
        raise UserError(f"{path}: archive holds no {ENTRY_MODULE}")

    @property
    def is_local(self) -> bool:
        return self.folder is not None

    @property
    def where(self) -> str:
        """The folder or URL, for messages."""
        return str(self.folder) if self.folder is not None else str(self.url)

    # --- what it holds -------------------------------------------------------------

    @property
    def packages(self) -> frozenset[str]:
        """Lockfile package names (of the selection, when pruned); empty when remote."""
        if self.selection is not None:
            return self.selection.packages
        return frozenset(self.lock.get("packages", {}))

    def has(self, name: str) -> bool:
        """Whether a site with this distribution can import package `name`.

        A remote distribution is assumed to be a full release (the CDN is).
        """
        if not self.is_local:
            return True
        return canonical_name(name) in self.packages

    @property
    def has_pandas(self) -> bool:
        return self.has("pandas")

    def entry(self, name: str) -> Mapping[str, Any] | None:
        """The lockfile entry of package `name` (None when absent or remote)."""
        return self.lock.get("packages", {}).get(canonical_name(name))

    def runtime_files(self) -> list[str]:
        """Loader, asm module, wasm and standard library files the folder has."""
        return runtime_file_names(self.folder) if self.folder is not None else []

    def loader_files(self) -> list[str]:
        """What `loadPyodide` fetches beside the entry module, by this release's names
        (the asm module is `pyodide.asm.js` in 0.27, `pyodide.asm.mjs` in 314)."""
        return [name for name in self.runtime_files() if name not in ("pyodide.js", ENTRY_MODULE)]

    # --- how it goes into a site and into Deno ---------------------------------------

    @property
    def placement(self) -> Placement:
        if self.folder is None:
            return "remote"
        return "pruned" if self.selection is not None else "linked"

    @property
    def kernel_url(self) -> str:
        """What a site's kernel settings name as `pyodideUrl`."""
        return SITE_URL if self.is_local else str(self.url)

    @property
    def module_url(self) -> str:
        """`pyodide.mjs` as a URL a JavaScript runtime can import (file: when local)."""
        if self.folder is not None:
            return (self.folder / ENTRY_MODULE).as_uri()
        return str(self.url)

    @property
    def index_url(self) -> str:
        """The base `loadPyodide({indexURL})` reads packages from (a path when local)."""
        if self.folder is not None:
            return f"{self.folder}/"
        return str(self.url)[: -len(ENTRY_MODULE)]

    @property
    def host(self) -> str | None:
        """`host:port` of a remote distribution (what a sandbox must be allowed to reach)."""
        if self.url is None:
            return None
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.hostname}:{port}"

    def pruned(self, selection: Selection) -> PyodideDistribution:
        """The same distribution, shipping only `selection` into a site."""
        if self.folder is None:
            raise UserError("only a local Pyodide distribution can be pruned")
        return replace(self, selection=selection)

    def site_files(self) -> dict[str, Path | bytes]:
        """What a site ships of this distribution: relative path -> file (or generated bytes).

        Linked: every file but source maps. Pruned: the runtime files, the selected
        packages and extra wheels, and a lockfile listing exactly those. Empty when
        remote. `place` writes exactly this; `content_digest` hashes exactly this, so
        a deployment can store it once under a name that is its hash.
        """
        if self.folder is None:
            return {}
        if self.selection is None:
            return {
                src.relative_to(self.folder).as_posix(): src
                for src in sorted(self.folder.rglob("*"))
                if src.is_file() and not src.name.endswith(".map")
            }
        packages = self.lock["packages"]
        files: dict[str, Path | bytes] = {}
        shipped: dict[str, Any] = {}
        for name in sorted(self.selection.packages):
            if name in packages:
                entry = packages[name]
                files[entry["file_name"]] = self.folder / entry["file_name"]
                shipped[name] = entry
        for wheel in self.selection.extra:
            files[wheel.entry["file_name"]] = wheel.path
            shipped[wheel.entry["name"]] = wheel.entry
        for core in self.runtime_files():
            files[core] = self.folder / core
        files[LOCKFILE] = lockfile_bytes(self.lock["info"], shipped)
        return files

    def content_digest(self) -> str:
        """A hash of `site_files()`: names and bytes (each file read once per process)."""
        digest = hashlib.sha256()
        for rel, source in sorted(self.site_files().items()):
            digest.update(rel.encode() + b"\0" + file_digest(source) + b"\n")
        return digest.hexdigest()

    def place(self, target: Path) -> None:
        """Put what a site ships of this distribution into `target` (hard links where possible)."""
        for rel, source in self.site_files().items():
            if isinstance(source, bytes):
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                (target / rel).write_bytes(source)
            else:
                link_or_copy(source, target / rel)


_DIGESTS: dict[tuple[str, int, int], bytes] = {}
_DIGESTS_LOCK = threading.Lock()


def file_digest(source: Path | bytes) -> bytes:
    """sha256 of a file's bytes, remembered by path, size and mtime (a distribution is
    hundreds of MB that every build of a process would otherwise read again)."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).digest()
    stat = source.stat()
    key = (str(source), stat.st_size, stat.st_mtime_ns)
    with _DIGESTS_LOCK:
        known = _DIGESTS.get(key)
    if known is None:
        known = bytes.fromhex(sha256_of(source))
        with _DIGESTS_LOCK:
            _DIGESTS[key] = known
    return known


def _unpacked(archive: Path, log: Log) -> Path:
    """The cache folder holding `archive` unpacked (done once, atomically)."""
    stat = archive.stat()
    key = hashlib.sha256(
        f"{archive.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    ).hexdigest()
    target = cache_root() / "pyodide-extracted" / key[:16]
    if target.exists():
        return target
    log(f"unpacking {archive.name} into the cache (once)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpack-"))
    try:
        with tarfile.open(archive) as opened:
            extract_all(opened, staging)
        os.replace(staging, target)
    except (tarfile.TarError, OSError, UnsafeArchive) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if target.is_dir():  # another build unpacked the same archive meanwhile
            return target
        raise UserError(f"{archive}: cannot unpack Pyodide archive: {exc}") from None
    return target
