"""Collecting the shared sets that no site names, safely against a publish that is starting.

A deployment stores the app and each Pyodide once (`shared`); a set stays when
its last site is deleted or rebuilt on another, so `minato-lite gc` and the
API's sweeper collect what no site names. The danger is a publish that decides
to use a set just as it is being deleted: its site would point at files that
are gone. Two markers, written in opposite orders, rule that out:

* a **publisher** writes its pending marker, naming the sets it will use
  (`Deployment.publishing`), then looks for a tombstone on each of them; a
  tombstone makes it wait until the set is collected (or the tombstone is
  stale: the collector died), then store the set again, whole;
* the **collector** writes a tombstone on a set, then lists the pending markers
  and the sites' markers again; if any names the set, it removes the tombstone
  and keeps the set; otherwise it deletes the set's inventory first, then its
  files, then the tombstone. Each collector writes a tombstone of its own
  (`_minato/collecting/<set>/<collector>.json`), refreshed by a heartbeat for as
  long as it holds it, as a publish refreshes its pending marker.

Why that is enough (stores are strongly consistent: a write is seen by every
later read and listing; S3, SeaweedFS and a folder all are). Take a publisher P
that writes its pending marker at time p and reads the tombstones at r > p, and
a collector C that writes its tombstone at t and lists pending markers at l > t,
then sites at s > l.

* If p < l: at l, P's pending marker is still there (C keeps the set), or P has
  finished, and then its site's marker, written before its pending marker went,
  names the set at s > l (C keeps the set).
* If p > l: then r > p > l > t, so P reads the tombstone and waits; it stores
  the set again after C has removed it. The tombstone is still there at r
  because only C removes it (two collectors on one set each have their own: the
  first to finish must not lift the other's), and a publisher removes only a
  tombstone whose heartbeat stopped (a collector slower than stale-after, reading
  thousands of sites' markers, is not taken for a dead one).

A set younger than the grace period is never collected (a publish stores its
sets before it commits its site), and a stale pending marker (a killed publish)
keeps nothing: the sweep removes it. Collection reads every site's marker, so
it runs seldom (the API: every `--stale-after`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import MinatoError
from ..log import Log, quiet
from ..site.marker import SITE_MARKER
from ..store import MissingKey, Store
from ..store.policy import SHARED_DIR
from .deployment import BOOKKEEPING, PENDING, RESERVED, SITE_NAME, Deployment, _put_json
from .shared import INVENTORY

TOMBSTONES = f"{BOOKKEEPING}/collecting/"


@dataclass
class Collected:
    """What a collection did: sets removed (or, in a dry run, that would be), sets kept
    (named, younger than the grace, or all of them while a publish does not say what it
    uses)."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def tombstone_key(name: str, collector: str) -> str:
    """One collector's tombstone on the set `name` (each collector has its own)."""
    return f"{TOMBSTONES}{name}/{collector}.json"


def shared_sets(store: Store) -> list[str]:
    """The names of the shared sets stored (`app-<hash>`, `pyodide-<hash>`)."""
    return sorted(store.children(f"{SHARED_DIR}/"))


def _pending_names(deployment: Deployment, now: float) -> set[str] | None:
    """Sets named by fresh pending markers; None when one cannot be read (keep everything)."""
    named: set[str] = set()
    for info in deployment.store.list(PENDING):
        if now - info.last_modified.timestamp() >= deployment.stale_seconds:
            continue  # a killed publish: the sweep removes it
        try:
            marker = json.loads(deployment.store.get(info.key))
        except (MissingKey, ValueError):
            continue  # ended (or being written) meanwhile
        shared = marker.get("shared")
        if not isinstance(shared, list):
            return None  # a publisher that does not say what it uses
        named.update(str(s) for s in shared)
    return named


def _site_names(deployment: Deployment) -> set[str]:
    """Sets named by every site's marker."""
    named: set[str] = set()
    store = deployment.store
    for site in store.children():
        if site in RESERVED or not SITE_NAME.fullmatch(site):
            continue
        try:
            marker = json.loads(store.get(f"{site}/{SITE_MARKER}"))
        except (MissingKey, ValueError):
            continue
        named.update(str(s) for s in marker.get("shared") or [])
    return named


def _named(deployment: Deployment, now: float) -> set[str] | None:
    pending = _pending_names(deployment, now)
    return None if pending is None else pending | _site_names(deployment)


def collect(deployment: Deployment, *, grace_seconds: float | None = None,
            now: float | None = None, dry_run: bool = False,
            log: Log = quiet) -> Collected:  # fmt: skip
    """Remove the shared sets no site or publish names (see the module's docstring).

    `dry_run`: only say which sets would go (`removed`); nothing is written, not even a
    tombstone."""
    store = deployment.store
    grace = deployment.stale_seconds if grace_seconds is None else grace_seconds
    result = Collected()
    named = _named(deployment, time.time() if now is None else now)
    if named is None:
        result.kept = shared_sets(store)
        return result
    collector = uuid.uuid4().hex
    for name in shared_sets(store):
        if name in named or not _older_than(store, name, grace, now):
            result.kept.append(name)
            continue
        if dry_run:
            result.removed.append(name)
            continue
        with _tombstone(deployment, name, collector):
            again = _named(deployment, time.time() if now is None else now)
            if again is None or name in again:
                result.kept.append(name)
                continue
            prefix = f"{SHARED_DIR}/{name}/"
            store.delete([prefix + INVENTORY])  # first: a half-deleted set is never whole
            store.delete_prefix(prefix)
            result.removed.append(name)
            log(f"collected the shared set {name}")
    return result


@contextmanager
def _tombstone(deployment: Deployment, name: str, collector: str) -> Iterator[None]:
    """This collector's tombstone on `name` while the block runs, kept fresh by a heartbeat
    (as a publish's pending marker is), removed afterwards."""
    store, key = deployment.store, tombstone_key(name, collector)
    stop = threading.Event()

    def write() -> None:
        _put_json(store, key, {"set": name, "collector": collector, "time": time.time()})

    def beat() -> None:
        while not stop.wait(max(0.2, deployment.stale_seconds / 4)):
            with contextlib.suppress(MinatoError):  # the next beat tries again
                write()

    heartbeat = threading.Thread(target=beat, name=f"tombstone-{name}", daemon=True)
    try:
        write()
        heartbeat.start()
        yield
    finally:
        stop.set()
        if heartbeat.is_alive():
            heartbeat.join()
        store.delete([key])  # after the heartbeat stopped: nothing writes it again


def _older_than(store: Store, name: str, grace: float, now: float | None) -> bool:
    """Whether the set's inventory (its completion) is older than `grace` seconds; a set
    without one is as old as its newest file."""
    prefix = f"{SHARED_DIR}/{name}/"
    newest = max((i.last_modified.timestamp() for i in store.list(prefix)), default=0.0)
    return (time.time() if now is None else now) - newest > grace


def wait_while_collected(deployment: Deployment, names: Iterable[str], *,
                         poll: float = 0.25) -> set[str]:  # fmt: skip
    """Called by a publisher after its pending marker names `names`: wait while any of them
    is being collected (any collector's tombstone on it is fresh); the ones that were (they
    must be stored again, whole)."""
    seen: set[str] = set()
    for name in names:
        while True:
            found, live = _tombstones(deployment, name)
            if found:
                seen.add(name)
            if not live:
                break
            time.sleep(poll)
    return seen


def _tombstones(deployment: Deployment, name: str) -> tuple[bool, bool]:
    """Whether any collector's tombstone is on `name`, and whether a live one is. A dead
    collector's (no heartbeat for stale-after) is removed: its set may be half gone."""
    store = deployment.store
    found = live = False
    for info in list(store.list(f"{TOMBSTONES}{name}/")):
        found = True
        try:
            since = float(json.loads(store.get(info.key)).get("time", 0))
        except MissingKey:
            continue  # that collection just ended
        except (ValueError, AttributeError, TypeError):
            since = 0.0
        if time.time() - since > deployment.stale_seconds:
            with contextlib.suppress(MinatoError):
                store.delete([info.key])
        else:
            live = True
    return found, live
