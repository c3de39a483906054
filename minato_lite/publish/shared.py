"""Assets the sites of a deployment share, stored once under names that hash their contents.

A deployment (a batch output, an API's store: any folder or bucket that holds
several sites) keeps the JupyterLite app and each Pyodide distribution once:

    _shared/app-<hash>/        the cached app, every file (`site.app_cache`)
    _shared/pyodide-<hash>/    a distribution as a site ships it (`site_files()`)

The hash covers every file's path and bytes, so a folder's name fixes its
contents: browsers and CDNs may cache it forever (`store.policy` makes
everything below `_shared/<kind>-<hash>/` immutable), two sites that use the
same app load the same URLs (a second site's visit finds them in the HTTP
cache), and a publish that finds a set already stored sends nothing.

A set is complete once its inventory (`minato-shared.json`, listing every file)
is stored: it is written after every other file of the set. A publish killed
half-way leaves a set without an inventory, which the next publish completes
(each file is uploaded only if absent); no site refers to it meanwhile, since
a site's entry page is written after its sets are complete.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..log import Log, quiet
from ..pyodide.distribution import PyodideDistribution, file_digest
from ..store import Store, upload_for
from ..store.policy import IMMUTABLE, SHARED_DIR

#: written last into a set's folder: the set is complete when this is there
INVENTORY = "minato-shared.json"
#: hex digits of the hash in a set's name (128 bits)
NAME_HEX = 32


@dataclass(frozen=True)
class SharedSet:
    """One content-addressed folder of a deployment: its files and the hash that names it."""

    kind: str  # "app" or "pyodide"
    digest: str  # sha256 hex of every (path, sha256) pair
    files: Mapping[str, Path | bytes] = field(compare=False, hash=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.digest[:NAME_HEX]}"

    @property
    def prefix(self) -> str:
        """Its key prefix from the deployment's root: `_shared/app-<hash>/`."""
        return f"{SHARED_DIR}/{self.name}/"

    def inventory(self) -> bytes:
        """The completion marker: what the set holds, so a reader can check it."""
        listing = {
            rel: {"sha256": file_digest(src).hex(), "size": _size(src)}
            for rel, src in sorted(self.files.items())
        }
        body = {"kind": self.kind, "digest": self.digest, "files": listing}
        return (json.dumps(body, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _size(source: Path | bytes) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size


def _digest(files: Mapping[str, Path | bytes]) -> str:
    digest = hashlib.sha256()
    for rel, source in sorted(files.items()):
        digest.update(rel.encode() + b"\0" + file_digest(source) + b"\n")
    return digest.hexdigest()


def app_set(app: Path) -> SharedSet:
    """The cached app as a shared set (its files are read once per process, then remembered)."""
    files: dict[str, Path | bytes] = {
        p.relative_to(app).as_posix(): p for p in sorted(app.rglob("*")) if p.is_file()
    }
    return SharedSet("app", _digest(files), files)


def pyodide_set(pyodide: PyodideDistribution) -> SharedSet | None:
    """What a site ships of `pyodide`, as a shared set; None when it is loaded from a URL."""
    files = pyodide.site_files()
    if not files:
        return None
    return SharedSet("pyodide", pyodide.content_digest(), files)


#: sets known complete in a store, per store object (a process publishes through one)
_COMPLETE: weakref.WeakKeyDictionary[Store, set[str]] = weakref.WeakKeyDictionary()
#: one upload of a set at a time per store (a batch's first sites race for it)
_UPLOADING: weakref.WeakKeyDictionary[Store, dict[str, threading.Lock]] = (
    weakref.WeakKeyDictionary()
)
_COMPLETE_LOCK = threading.Lock()


def ensure_shared(store: Store, shared: SharedSet, *, log: Log = quiet) -> int:
    """Store `shared` under its prefix unless it is complete there; the bytes sent.

    One HEAD (the inventory) when the set is already there, nothing at all when
    this process saw it complete before. Otherwise each file is sent only if
    absent (a killed publish left some), then the inventory, last.
    """
    with _COMPLETE_LOCK:
        if shared.name in _COMPLETE.get(store, set()):
            return 0
        lock = _UPLOADING.setdefault(store, {}).setdefault(shared.name, threading.Lock())
    with lock:
        with _COMPLETE_LOCK:
            if shared.name in _COMPLETE.get(store, set()):
                return 0
        inventory_key = shared.prefix + INVENTORY
        sent = 0
        if not store.exists(inventory_key):
            log(f"storing the shared {shared.kind} ({len(shared.files)} files) in "
                f"{store.location}")  # fmt: skip
            result = store.put_many(upload_for(shared.prefix + rel, src)
                                    for rel, src in shared.files.items())  # fmt: skip
            store.put(inventory_key, shared.inventory(), content_type="application/json",
                      cache_control=IMMUTABLE)  # fmt: skip
            sent = result.bytes_sent
        with _COMPLETE_LOCK:
            _COMPLETE.setdefault(store, set()).add(shared.name)
    return sent
