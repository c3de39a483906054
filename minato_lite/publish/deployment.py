"""A deployment: many sites in one store, sharing the app and Pyodide, with bookkeeping
that any process (any API replica) can read.

`batch -o` and `api --sites-dir` make one, in a folder or a bucket; its sites
hold only their own files, the app and each Pyodide are stored once under
`_shared/` (`shared`, `layout`). The bookkeeping is plain objects under `_minato/`:

    _minato/deployment.json      what this prefix is
    _minato/sites/<name>.json    a site's metadata (the API's GET): written just before
                                 its entry page; its age is the site's age (--ttl)
    _minato/pending/<name>.json  a publish in progress, kept fresh while it runs

A site is published (`targets.DeploymentSite.commit`) under a lease
(`Deployment.publishing`): the pending marker first, refreshed by a heartbeat
for as long as the publish runs, the shared sets, then the site's tree with its
metadata just before its entry page; then the marker goes. A failed publish
removes what it wrote unless the previous version is still whole; a killed
one leaves a pending marker that stops being refreshed, and `sweep` (run by
the API on every replica, and usable from any process) removes a site whose
marker is older than `stale_seconds` and that has no entry page, and sites
older than a TTL, entry page first.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MinatoError, UserError
from ..site.marker import SITE_MARKER
from ..store import Store, open_store
from ..store.policy import REVALIDATE, SHARED_DIR
from .origins import SiteOrigins

BOOKKEEPING = "_minato"
DEPLOYMENT_KEY = f"{BOOKKEEPING}/deployment.json"
SITES = f"{BOOKKEEPING}/sites/"
PENDING = f"{BOOKKEEPING}/pending/"
ENTRY = "index.html"
FORMAT = 1
#: a publish older than this with no entry page was killed (the API's --stale-after)
DEFAULT_STALE_SECONDS = 30 * 60.0
#: a site's name is one path segment: batch names, API ids (token_urlsafe); the one rule
SITE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
RESERVED = frozenset({SHARED_DIR, BOOKKEEPING})
JSON = "application/json"


def check_site_name(name: str) -> str:
    """`name` if it can name a site of a deployment (one segment, not a reserved folder)."""
    if not SITE_NAME.fullmatch(name) or name in RESERVED:
        raise UserError(
            f"invalid site name {name!r}: one folder name of at most 64 letters, digits, '_', "
            f"'-', '.' (not starting with '.'), other than {', '.join(sorted(RESERVED))}"
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

    def __init__(self, store: Store, *, stale_seconds: float = DEFAULT_STALE_SECONDS,
                 origins: SiteOrigins | None = None) -> None:  # fmt: skip
        self.store = store
        self.stale_seconds = stale_seconds
        #: one origin per site (`--public-url https://{site}.example/`), or None: one for all
        self.origins = origins
        self._in_flight: set[str] = set()  # names this process is publishing right now
        self._lock = threading.Lock()

    @classmethod
    def open(cls, location: str | Path, *, public_url: str | None = None,
             stale_seconds: float = DEFAULT_STALE_SECONDS) -> Deployment:  # fmt: skip
        """The deployment at a folder or `s3://` URL (made a deployment by `init`); a
        `public_url` holding `{site}` gives each site its own origin (`origins`)."""
        origins = SiteOrigins.parse(public_url)
        store = open_store(location, public_url=None if origins else public_url)
        return cls(store, stale_seconds=stale_seconds, origins=origins)

    def is_deployment(self) -> bool:
        return self.store.exists(DEPLOYMENT_KEY)

    def init(self) -> Deployment:
        """Mark the store as a deployment (idempotent); fails early on a bad bucket or keys.

        A folder that holds other things (not sites) is refused, as `-o` never
        writes into a folder it does not own.
        """
        if self.is_deployment():
            return self
        for name in self.store.children():
            if name in RESERVED or name == ENTRY or name.startswith("."):
                continue
            if not self.store.exists(f"{name}/{SITE_MARKER}"):
                raise UserError(
                    f"{self.store.location} holds {name!r}, which is not a minato-lite "
                    "site: choose an empty folder or one made by batch/api"
                )
        _put_json(self.store, DEPLOYMENT_KEY, {"format": FORMAT, "kind": "minato-lite deployment"})
        return self

    def metadata_key(self, name: str) -> str:
        return f"{SITES}{check_site_name(name)}.json"

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
        if self.origins is not None:
            return self.origins.site_url(check_site_name(name), ENTRY)
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
        running = set(busy)  # publishes with a fresh pending marker, in any process
        for info in list(self.store.list(PENDING)):
            name = info.key[len(PENDING) :].removesuffix(".json")
            if name in busy or now - info.last_modified.timestamp() < self.stale_seconds:
                running.add(name)
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
                name = info.key[len(SITES) :].removesuffix(".json")
                if name in busy or not SITE_NAME.fullmatch(name) or name in RESERVED:
                    continue
                if now - info.last_modified.timestamp() > ttl_seconds:
                    self.delete_site(name)
                    result.expired.append(name)
        result.incomplete += self.store.sweep_staging(self.stale_seconds, now,
                                                      frozenset(running))  # fmt: skip
        return result

    # -- publishing ---------------------------------------------------------------------

    @contextmanager
    def publishing(self, name: str, shared: Sequence[str] = ()) -> Iterator[Lease]:
        """Hold `name` while it is published: one publish of a name per process at a time,
        a pending marker naming the `shared` sets it uses (so no collection removes them,
        `collect`) kept fresh by a heartbeat, and, if the block fails, nothing
        half-written left visible. Other replicas' sweeps leave a fresh marker alone."""
        check_site_name(name)
        with self._lock:
            if name in self._in_flight:
                raise UserError(f"site {name!r} is already being published by this process")
            self._in_flight.add(name)
        lease = Lease(self, name, list(shared))
        try:
            lease.step("started")
            lease.start_heartbeat(max(0.2, self.stale_seconds / 4))
            yield lease
        except BaseException:
            lease.stop_heartbeat()
            self._forget_failed(name)
            raise
        else:
            lease.stop_heartbeat()
            self.store.delete([f"{PENDING}{name}.json"])
        finally:
            with self._lock:
                self._in_flight.discard(name)

    def _forget_failed(self, name: str) -> None:
        """After a failed publish: the previous version stays if its entry page does (a
        folder's commit is one rename; a bucket's deletes the entry page before it changes
        anything else); otherwise whatever was written under the site is removed. A
        store that fails here too leaves the pending marker for a sweep."""
        try:
            if not self.exists(name):
                self.store.delete_prefix(f"{name}/")
                self.store.delete([f"{SITES}{name}.json"])  # no metadata for a site no one opens
            self.store.delete([f"{PENDING}{name}.json"])
        except MinatoError:
            pass


class Lease:
    """One publish in progress: its pending marker, refreshed until the publish ends."""

    def __init__(self, deployment: Deployment, name: str, shared: list[str]) -> None:
        self.deployment, self.name, self.shared = deployment, name, shared
        self._step = "started"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self, step: str) -> None:
        """Say how far the publish got, and refresh the marker now."""
        self._step = step
        _put_json(self.deployment.store, f"{PENDING}{self.name}.json",
                  {"site": self.name, "step": step, "shared": self.shared,
                   "host": socket.gethostname(), "pid": os.getpid(),
                   "time": time.time()})  # fmt: skip

    def start_heartbeat(self, interval: float) -> None:
        """Refresh the marker every `interval` seconds, however long an upload takes."""

        def beat() -> None:
            while not self._stop.wait(interval):
                # the store is down for a moment: the next beat tries again
                with contextlib.suppress(MinatoError):
                    self.step(self._step)

        self._thread = threading.Thread(target=beat, name=f"lease-{self.name}", daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
