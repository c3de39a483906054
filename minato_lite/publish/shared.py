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
half-way leaves a set without an inventory, which the next publish completes;
a set whose files went missing under its inventory is completed too, since
each process lists a set's files once before it trusts it. No site refers to
a set meanwhile: a site's entry page is written after its sets are complete.
Sets no site names any more are collected (`collect`), safely against a
publish that is about to use them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..cache import entry_files, entry_identity
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
    return _app_set(*entry_identity(app))


@functools.lru_cache(maxsize=8)
def _app_set(app: Path, _inode: int, _mtime_ns: int) -> SharedSet:
    """An app in the cache never changes once in place: its set is made once per process."""
    files: dict[str, Path | bytes] = dict(entry_files(app))
    return SharedSet("app", _digest(files), files)


def pyodide_set(pyodide: PyodideDistribution) -> SharedSet | None:
    """What a site ships of `pyodide`, as a shared set; None when it is loaded from a URL."""
    files = pyodide.site_files()
    if not files:
        return None
    return SharedSet("pyodide", pyodide.content_digest(), files)


#: sets this process verified complete in a store (each of its files listed), per store object
_VERIFIED: weakref.WeakKeyDictionary[Store, set[str]] = weakref.WeakKeyDictionary()
#: one upload of a set at a time per store (a batch's first sites race for it)
_UPLOADING: weakref.WeakKeyDictionary[Store, dict[str, threading.Lock]] = (
    weakref.WeakKeyDictionary()
)
_VERIFIED_LOCK = threading.Lock()


def ensure_shared(store: Store, shared: SharedSet, *, verify: bool = False,
                  log: Log = quiet) -> int:  # fmt: skip
    """Make `shared` complete under its prefix; the bytes sent.

    Once per process and set, every file is listed and what is missing is sent
    (a killed publish, a damaged store), the inventory last; after that, one HEAD
    of the inventory per publish. `verify` lists again: the publisher saw the set
    being collected (`collect`), so it may be partly gone.
    """
    with _VERIFIED_LOCK:
        lock = _UPLOADING.setdefault(store, {}).setdefault(shared.name, threading.Lock())
    inventory_key = shared.prefix + INVENTORY
    with lock:
        with _VERIFIED_LOCK:
            known = shared.name in _VERIFIED.get(store, set())
        # the inventory is deleted first when a set is collected: present, the set is whole
        if known and not verify and store.exists(inventory_key):
            return 0
        present = {info.key for info in store.list(shared.prefix)}
        missing = [rel for rel in shared.files if shared.prefix + rel not in present]
        sent = 0
        if missing or inventory_key not in present:
            log(f"storing the shared {shared.kind} ({len(missing)} of {len(shared.files)} "
                f"files) in {store.location}")  # fmt: skip
            uploads = [replace(upload_for(shared.prefix + rel, shared.files[rel]), if_absent=False)
                       for rel in missing]  # fmt: skip
            sent = store.put_many(uploads).bytes_sent
            store.put(inventory_key, shared.inventory(), content_type="application/json",
                      cache_control=IMMUTABLE)  # fmt: skip
        with _VERIFIED_LOCK:
            _VERIFIED.setdefault(store, set()).add(shared.name)
    return sent


def forget_verified(store: Store, name: str) -> None:
    """This process must list `name` again before trusting it (it is being collected)."""
    with _VERIFIED_LOCK:
        _VERIFIED.get(store, set()).discard(name)
