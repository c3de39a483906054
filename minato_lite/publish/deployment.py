"""Where a built site goes, and in which order, so that no visitor ever loads half of one.

A build's output (`-o`) is one of:

* a folder, alone: a self-contained site (`writer.write_site`: the whole app
  linked in, swapped in with one rename), which works wherever it is copied;
* `s3://bucket/prefix`: the same self-contained site, uploaded under that prefix;
* a site of a **deployment**: `<deployment>/<name>` where the deployment's root
  holds `_minato/deployment.json` (`batch -o` and `api --sites-dir` make one,
  in a folder or a bucket). Its sites hold only their own files; the app and
  each Pyodide are stored once under `_shared/` (`site.shared`, `site.layout`).

A deployment keeps its bookkeeping under `_minato/`, as plain objects, so any
process (any API replica) can read it:

    _minato/deployment.json      what this prefix is
    _minato/sites/<name>.json    a site's metadata (the API's GET): written just before
                                 its entry page; its age is the site's age (--ttl)
    _minato/pending/<name>.json  a publish in progress, refreshed between its steps

Publishing a site, in this order (`publish_site`):

1. `_minato/pending/<name>.json`;
2. the shared sets it uses, completed if a killed publish left them half-stored;
3. an existing `<name>/index.html` is deleted first: while a site is replaced it
   is unavailable, never a mix of two versions;
4. the site's files, its other pages, its metadata, and its entry page
   `<name>/index.html` last: from that moment it is visible, and complete;
5. keys an older version had and this one has not; then the pending marker.

In a folder, step 4 is one rename of a staged folder, so there the previous
version stays visible until the new one replaces it. A failed publish removes
what it wrote; a killed one leaves a pending marker, and `sweep` (run by the
API on every replica, and usable from any process) removes a site whose
marker is older than `stale_seconds` and that has no entry page, and sites
older than a TTL, entry page first.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MinatoError, UserError
from ..log import Log, quiet
from ..pyodide.distribution import PyodideDistribution
from ..store import FolderStore, Store, folder_uploads, open_store, upload_for
from ..store.policy import REVALIDATE, SHARED_DIR
from .app_cache import base_app
from .contents import SiteFiles
from .layout import SharedLinks
from .shared import app_set, ensure_shared, pyodide_set
from .writer import SITE_MARKER, stage_site, staged_output, write_site

BOOKKEEPING = "_minato"
DEPLOYMENT_KEY = f"{BOOKKEEPING}/deployment.json"
SITES = f"{BOOKKEEPING}/sites/"
PENDING = f"{BOOKKEEPING}/pending/"
ENTRY = "index.html"
FORMAT = 1
#: a publish older than this with no entry page was killed (the API's --stale-after)
DEFAULT_STALE_SECONDS = 30 * 60.0
#: a site's name is one path segment: batch names, API ids (token_urlsafe)
SITE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")
RESERVED = frozenset({SHARED_DIR, BOOKKEEPING})
JSON = "application/json"


def check_site_name(name: str) -> str:
    """`name` if it can name a site of a deployment (one segment, not a reserved folder)."""
    if not SITE_NAME.fullmatch(name) or name in RESERVED:
        raise UserError(
            f"invalid site name {name!r}: one folder name of letters, digits, '_', '-', '.' "
            f"(not starting with '.'), other than {', '.join(sorted(RESERVED))}"
        )
    return name


def _put_json(store: Store, key: str, value: Any) -> None:
    body = (json.dumps(value, indent=1, sort_keys=True) + "\n").encode("utf-8")
    store.put(key, body, content_type=JSON, cache_control=REVALIDATE)


@dataclass
class SweepResult:
    """What a sweep removed: sites past the TTL, and publishes that never finished."""

    expired: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)


class Deployment:
    """Many sites in one store, sharing the app and Pyodide; bookkeeping any replica can read."""

    def __init__(self, store: Store, *, stale_seconds: float = DEFAULT_STALE_SECONDS) -> None:
        self.store = store
        self.stale_seconds = stale_seconds
        self._in_flight: set[str] = set()  # names this process is publishing right now
        self._lock = threading.Lock()

    @classmethod
    def open(cls, location: str | Path, *, public_url: str | None = None,
             stale_seconds: float = DEFAULT_STALE_SECONDS) -> Deployment:  # fmt: skip
        """The deployment at a folder or `s3://` URL (made a deployment by `init`)."""
        return cls(open_store(location, public_url=public_url), stale_seconds=stale_seconds)

    @property
    def is_folder(self) -> bool:
        return isinstance(self.store, FolderStore)

    def is_deployment(self) -> bool:
        return self.store.exists(DEPLOYMENT_KEY)

    def init(self) -> Deployment:
        """Mark the store as a deployment (idempotent); fails early on a bad bucket or keys.

        A folder that holds other things (not sites) is refused, as `-o` never
        writes into a folder it does not own.
        """
        if self.is_deployment():
            return self
        if isinstance(self.store, FolderStore) and self.store.root.is_dir():
            for entry in self.store.root.iterdir():
                if entry.name in RESERVED or entry.name == ENTRY or entry.name.startswith("."):
                    continue
                if not (entry.is_dir() and (entry / SITE_MARKER).is_file()):
                    raise UserError(
                        f"{self.store.root} holds {entry.name!r}, which is not a minato-lite "
                        "site: choose an empty folder or one made by batch/api"
                    )
        _put_json(self.store, DEPLOYMENT_KEY, {"format": FORMAT, "kind": "minato-lite deployment"})
        return self

    def target(self, name: str) -> SiteTarget:
        return SiteTarget(self.store, check_site_name(name), self)

    # -- the API's view -----------------------------------------------------------------

    def metadata(self, name: str) -> dict[str, Any]:
        """A site's metadata; MissingKey when there is no such (complete or pending) site."""
        check_site_name(name)
        return json.loads(self.store.get(f"{SITES}{name}.json"))

    def exists(self, name: str) -> bool:
        """Whether the site is visible: its entry page is stored."""
        return self.store.exists(f"{check_site_name(name)}/{ENTRY}")

    def delete_site(self, name: str) -> bool:
        """Remove a site, entry page first (so nothing half-deleted is visible); False if absent."""
        check_site_name(name)
        known = self.store.exists(f"{SITES}{name}.json") or self.exists(name)
        self.store.delete([f"{name}/{ENTRY}"])
        self.store.delete_prefix(f"{name}/")
        self.store.delete([f"{SITES}{name}.json", f"{PENDING}{name}.json"])
        return known

    def site_url(self, name: str) -> str | None:
        """The entry page's public URL, when the store has one (a folder needs --public-url)."""
        try:
            return self.store.url_for(f"{check_site_name(name)}/{ENTRY}")
        except UserError:
            return None

    def sweep(self, ttl_seconds: float | None = None, now: float | None = None) -> SweepResult:
        """Remove publishes that never finished, and sites older than `ttl_seconds`."""
        now = time.time() if now is None else now
        result = SweepResult()
        with self._lock:
            busy = set(self._in_flight)
        for info in list(self.store.list(PENDING)):
            name = info.key[len(PENDING):].removesuffix(".json")
            if name in busy or now - info.last_modified.timestamp() < self.stale_seconds:
                continue
            if not SITE_NAME.fullmatch(name) or name in RESERVED:
                self.store.delete([info.key])
                continue
            if not self.exists(name):
                self.store.delete_prefix(f"{name}/")
                self.store.delete([f"{SITES}{name}.json"])
                result.incomplete.append(name)
            self.store.delete([info.key])
        if ttl_seconds:
            for info in list(self.store.list(SITES)):
                name = info.key[len(SITES):].removesuffix(".json")
                if name in busy or not SITE_NAME.fullmatch(name) or name in RESERVED:
                    continue
                if now - info.last_modified.timestamp() > ttl_seconds:
                    self.delete_site(name)
                    result.expired.append(name)
        if isinstance(self.store, FolderStore):
            result.incomplete += _sweep_staging(self.store.root, now, self.stale_seconds)
        return result

    # -- publishing ---------------------------------------------------------------------

    def _pending(self, name: str, step: str) -> None:
        _put_json(self.store, f"{PENDING}{name}.json",
                  {"site": name, "step": step, "host": socket.gethostname(),
                   "pid": os.getpid(), "time": time.time()})  # fmt: skip

    def _begin(self, name: str) -> None:
        with self._lock:
            if name in self._in_flight:
                raise UserError(f"site {name!r} is already being published by this process")
            self._in_flight.add(name)

    def _end(self, name: str) -> None:
        self.store.delete([f"{PENDING}{name}.json"])
        with self._lock:
            self._in_flight.discard(name)


def _sweep_staging(root: Path, now: float, stale: float) -> list[str]:
    """Staging folders a killed build left in a folder deployment (`.name.building-*`)."""
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        if entry.name.startswith(".") and (".building-" in entry.name or ".old-" in entry.name):
            try:
                old = now - entry.stat().st_mtime > stale
            except OSError:
                continue
            if old and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
    return removed


@dataclass(frozen=True)
class SiteTarget:
    """Where one build goes: a store, the site's key prefix in it, its deployment if any."""

    store: Store
    #: the site's folder in the store ('' for a self-contained site at the store's root)
    name: str = ""
    deployment: Deployment | None = None

    @property
    def prefix(self) -> str:
        return f"{self.name}/" if self.name else ""

    @property
    def location(self) -> str:
        """The site's folder or URL, for messages and results."""
        if isinstance(self.store, FolderStore):
            return str(self.store.root / self.name) if self.name else str(self.store.root)
        return self.store.location + self.prefix

    @property
    def storage_name(self) -> str:
        """The name that keeps browser storage of sibling sites apart (the folder's name)."""
        if self.name:
            return self.name
        return self.location.rstrip("/").rsplit("/", 1)[-1]

    @property
    def url(self) -> str | None:
        """The entry page's public URL, when the store has one."""
        try:
            return self.store.url_for(self.prefix + ENTRY)
        except UserError:
            return None

    def check(self) -> None:
        """Refuse, before any work, a place that holds something that is not a minato-lite site.

        For a bucket this contacts it: a missing bucket or missing credentials fail here.
        """
        if isinstance(self.store, FolderStore):
            from .writer import check_output_folder

            check_output_folder(self.store.root / self.name if self.name else self.store.root)
            return
        if next(iter(self.store.list(self.prefix)), None) is None:
            return
        if not self.store.exists(self.prefix + SITE_MARKER):
            raise UserError(
                f"{self.location} holds objects and is not a minato-lite site; choose another -o"
            )


def resolve_target(out: str | Path | SiteTarget, *, public_url: str | None = None) -> SiteTarget:
    """`-o` as given: a folder or `s3://` URL; a site of a deployment when its parent is one.

    Nothing is written; a bucket is contacted (to learn whether the parent is a
    deployment), a folder only looked at.
    """
    if isinstance(out, SiteTarget):
        return out
    text = str(out)
    if text.startswith("s3://"):
        parent_url, _, name = text.rstrip("/").rpartition("/")
        if parent_url not in ("s3:/", "s3:") and name:
            parent = Deployment.open(parent_url, public_url=_parent_url(public_url))
            if parent.is_deployment():
                return parent.target(name)
        return SiteTarget(open_store(text, public_url=public_url))
    path = Path(text).expanduser().absolute()
    if (path.parent / DEPLOYMENT_KEY).is_file():
        parent = Deployment(FolderStore(path.parent, _parent_url(public_url)))
        return parent.target(path.name)
    return SiteTarget(FolderStore(path, public_url))


def _parent_url(public_url: str | None) -> str | None:
    """`--public-url` names where the site is served; its deployment is one level up."""
    if not public_url:
        return None
    return public_url.rstrip("/").rpartition("/")[0] + "/"


@dataclass(frozen=True)
class Published:
    """Where a site went: its folder or `s3://` location, its entry page's URL if known,
    and the `pyodideUrl` its kernel loads (a deployment's shared copy, when it has one)."""

    location: str
    url: str | None
    pyodide_url: str


def publish_site(
    target: SiteTarget,
    files: SiteFiles,
    *,
    title: str,
    pyodide: PyodideDistribution,
    marker: dict[str, Any],
    log: Log = quiet,
) -> Published:
    """Write a site to `target`: a folder, a bucket prefix, or a site of a deployment."""
    store, deployment = target.store, target.deployment
    if deployment is None and isinstance(store, FolderStore):
        write_site(store.root, files, title=title,
                   pyodide=pyodide, marker=marker, log=log)  # fmt: skip
        return Published(target.location, target.url, pyodide.kernel_url)
    links = None
    if deployment is not None:
        app = base_app(log=log)
        links = SharedLinks.for_site(target.name, app_set(app), pyodide_set(pyodide))
    metadata = {**marker, "name": target.storage_name, "created": time.time()}

    def fill(stage: Path) -> None:
        stage_site(stage, files, title=title,
                   pyodide=pyodide, marker=marker, name=target.storage_name, log=log,
                   links=links)  # fmt: skip

    if deployment is not None:
        deployment._begin(target.name)
    touched: list[bool] = []  # set once the site's own keys start to change
    try:
        if deployment is not None:
            deployment._pending(target.name, "started")
        if deployment is not None and links is not None:
            for shared in (links.app, links.pyodide):
                if shared is not None:
                    ensure_shared(store, shared, log=log)
            deployment._pending(target.name, "shared")
        if isinstance(store, FolderStore) and deployment is not None:
            with staged_output(store.root / target.name) as stage:
                fill(stage)
                _put_json(store, f"{SITES}{target.name}.json", metadata)
        else:
            with tempfile.TemporaryDirectory(prefix="minato-publish-") as tmp:
                stage = Path(tmp) / "site"
                stage.mkdir()
                fill(stage)
                book = (f"{SITES}{target.name}.json", metadata) if deployment else None
                _upload(store, target.prefix, stage, metadata=book, touched=touched, log=log)
    except BaseException:
        if deployment is not None:
            _forget_failed(deployment, target.name, remove=bool(touched))
        raise
    if deployment is not None:
        deployment._end(target.name)
    shared_url = links.pyodide_url if links is not None else None
    return Published(target.location, target.url, shared_url or pyodide.kernel_url)


def _forget_failed(deployment: Deployment, name: str, *, remove: bool) -> None:
    """After a failed publish: nothing half-written may stay visible.

    `remove`: the site's keys had started to change (its entry page was already
    gone), so what was written is removed; otherwise the previous site is intact.
    A store that fails here too leaves the pending marker for a sweep.
    """
    with deployment._lock:
        deployment._in_flight.discard(name)
    try:
        if remove:
            deployment.store.delete([f"{name}/{ENTRY}"])
            deployment.store.delete_prefix(f"{name}/")
        if not deployment.exists(name):  # no metadata for a site no one can open
            deployment.store.delete([f"{SITES}{name}.json"])
        deployment.store.delete([f"{PENDING}{name}.json"])
    except MinatoError:
        pass


def _upload(store: Store, prefix: str, stage: Path, *, metadata: tuple[str, dict] | None,
            touched: list[bool], log: Log) -> None:  # fmt: skip
    """Upload a staged site under `prefix`, its entry page last; then drop keys it no longer has.

    Non-HTML files go first, then the other pages, then the metadata, then the
    entry page: a publish cut short leaves no page that loads half a site.
    """
    entry = prefix + ENTRY
    # under `prefix` (or the whole store, for a site at its root) everything is this site's
    old = {info.key for info in store.list(prefix)}
    touched.append(True)
    if entry in old:
        store.delete([entry])  # unavailable while replaced, never a mix of two versions
    uploads = list(folder_uploads(stage, prefix))
    pages = [u for u in uploads if u.key.endswith(".html") and u.key != entry]
    rest = [u for u in uploads if not u.key.endswith(".html")]
    sent = store.put_many(rest).bytes_sent + store.put_many(pages).bytes_sent
    if metadata is not None:
        _put_json(store, *metadata)
    sent += store.put_many([upload_for(entry, stage / ENTRY)]).bytes_sent
    log(f"uploaded {len(uploads)} files ({sent / 1e6:.1f} MB) to {store.location}{prefix}")
    stale = sorted(old - {u.key for u in uploads})
    if stale:
        store.delete(stale)
