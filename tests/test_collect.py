"""Collecting the shared sets no site names (`publish.collect`, `minato-lite gc`), and its
race with publishes, on a folder and on a real S3 service (SeaweedFS).

The interleavings are made to happen, not hoped for: a publish or a collection is
held on an Event at the point that matters while the other runs, then released; a
randomized loop runs publishes, deletions and collections side by side. Where only
the protocol is under test, small sets of a few files stand for the app and Pyodide:
they go through the real `DeploymentSite.commit` (lease, tombstones, `ensure_shared`,
`commit_tree`); real sites are built where the sets themselves matter. A separate
`Deployment.open` is another process: its own store object, so its own record of the
sets it verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from minato_lite import build_site
from minato_lite.log import Log, quiet
from minato_lite.publish import collect as collect_module
from minato_lite.publish import targets
from minato_lite.publish.apps import AppSource
from minato_lite.publish.collect import TOMBSTONES, collect, shared_sets, tombstone_key
from minato_lite.publish.deployment import (
    PENDING,
    RESERVED,
    SITE_NAME,
    Deployment,
    _put_json,
)
from minato_lite.publish.shared import INVENTORY, SharedSet, forget_verified
from minato_lite.publish.staging import SiteParts
from minato_lite.publish.targets import DeploymentSite, Published, Staged
from minato_lite.resources import REPO_DIR
from minato_lite.site.marker import SITE_MARKER
from minato_lite.store import FolderStore, MissingKey
from minato_lite.store.policy import SHARED_DIR
from tests.support.cli import run_cli

SALES = REPO_DIR / "examples" / "sales.csv"
#: how long a test waits for a thread that should finish (a hang fails, never blocks the run)
PATIENCE = 30.0
#: no grace at all: S3 stamps objects in whole seconds, so a set stored this very second may
#: look 0 s old; every set is older than -1 s
NO_GRACE = -1.0


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture(params=["folder", "s3"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A deployment's location: a folder, or a fresh prefix of the SeaweedFS bucket."""
    if request.param == "folder":
        return str(tmp_path / "sites")
    s3 = request.getfixturevalue("s3_env")
    return f"s3://{s3.bucket}/gc-{uuid.uuid4().hex[:10]}"


def tiny_set(kind: str, tag: str, files: int = 6) -> SharedSet:
    """A shared set of a few small files, named by their hash as an app or a Pyodide is."""
    content = {f"d{i % 2}/{tag}-{i}.js": f"// {kind} {tag} {i}\n".encode() * 40
               for i in range(files)}  # fmt: skip
    digest = hashlib.sha256(json.dumps(sorted((k, v.hex()) for k, v in content.items()))
                            .encode()).hexdigest()  # fmt: skip
    return SharedSet(kind, digest, content)


@dataclass(frozen=True)
class TinyApp(AppSource):
    """An app source whose shared sets are `sets` (the site's own files are staged by hand)."""

    root: Path
    sets: tuple[SharedSet, ...]

    def place(self, stage: Path, *, log: Log) -> None:
        pass

    def pyodide_url(self, pyodide: Any) -> str:
        return "https://cdn.example/pyodide.mjs"

    def shared_sets(self) -> list[SharedSet]:
        return list(self.sets)


def tiny_publish(deployment: Deployment, name: str, sets: list[SharedSet], *,
                 log: Log = quiet) -> Published:  # fmt: skip
    """Publish a two-file site naming `sets`, through the real `DeploymentSite.commit`."""
    target = DeploymentSite(deployment, name)
    marker = {"shared": [s.name for s in sets], "title": name}
    with deployment.store.staging(target.prefix) as folder:
        (folder / "index.html").write_text(f"<p>{name}</p>")
        (folder / SITE_MARKER).write_text(json.dumps(marker))
        parts = SiteParts(files=None, title=name, pyodide=None, marker=marker)  # type: ignore[arg-type]
        return target.commit(Staged(folder, parts, TinyApp(Path("tiny"), tuple(sets))), log=log)


def broken_sets(deployment: Deployment) -> list[str]:
    """Every (site, set) where a site's marker names a set that is not whole: its inventory
    missing, or a file its inventory lists. Empty when every visitor gets every file."""
    store = deployment.store
    problems: list[str] = []
    for site in store.children():
        if site in RESERVED or not SITE_NAME.fullmatch(site):
            continue
        try:
            marker = json.loads(store.get(f"{site}/{SITE_MARKER}"))
        except MissingKey:
            continue  # not a site (an index page at the root)
        if not deployment.exists(site):
            problems.append(f"{site}: a marker and no entry page")
        for name in marker.get("shared", []):
            prefix = f"{SHARED_DIR}/{name}/"
            present = {info.key[len(prefix) :] for info in store.list(prefix)}
            if INVENTORY not in present:
                problems.append(f"{site}: {name} has no inventory ({len(present)} files)")
                continue
            listed = json.loads(store.get(prefix + INVENTORY))["files"]
            missing = sorted(set(listed) - present)
            if missing:
                problems.append(f"{site}: {name} misses {len(missing)} files ({missing[0]})")
    return problems


def stored_unnamed(deployment: Deployment, *sets: SharedSet) -> None:
    """`sets` stored whole in the deployment, and named by no site (its only site deleted)."""
    tiny_publish(deployment, "old", list(sets))
    assert deployment.delete_site("old")


def keys(deployment: Deployment) -> list[tuple[str, int]]:
    return sorted((info.key, info.size) for info in deployment.store.list())


class Gate:
    """Holds a thread at one point until the test releases it; `reached` says it got there."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.go = threading.Event()

    def hold(self) -> None:
        self.reached.set()
        assert self.go.wait(PATIENCE), "held and never released"


class Worker(threading.Thread):
    """A thread that keeps what its function returned or raised."""

    def __init__(self, name: str, fn: Callable[[], Any], delay: float = 0.0) -> None:
        super().__init__(name=name, daemon=True)
        self.fn, self.delay = fn, delay
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        time.sleep(self.delay)
        try:
            self.result = self.fn()
        except BaseException as exc:  # re-raised in the test's thread by outcome()
            self.error = exc

    def outcome(self) -> Any:
        self.join(PATIENCE)
        assert not self.is_alive(), f"{self.name} hangs"
        if self.error is not None:
            raise self.error
        return self.result


def hold_collector(monkeypatch: pytest.MonkeyPatch, thread: str, gate: Gate, *,
                   before_check: bool) -> None:  # fmt: skip
    """Hold the collector running in `thread` just after it wrote its tombstone: before it
    lists the pending and site markers again (`before_check`), or after (before deleting)."""
    real = collect_module._named
    calls = itertools.count(1)

    def named(deployment: Deployment, now: float) -> set[str] | None:
        if threading.current_thread().name != thread:
            return real(deployment, now)
        second = next(calls) == 2  # the first is its survey; the second follows a tombstone
        if second and before_check:
            gate.hold()
        answer = real(deployment, now)
        if second and not before_check:
            gate.hold()
        return answer

    monkeypatch.setattr(collect_module, "_named", named)


def record_waits(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """What each publish's `wait_while_collected` answered (the sets it saw being collected)."""
    answers: list[set[str]] = []
    real = targets.wait_while_collected

    def wait(deployment: Deployment, names: Any, **kwargs: Any) -> set[str]:
        seen = real(deployment, names, **kwargs)
        answers.append(seen)
        return seen

    monkeypatch.setattr(targets, "wait_while_collected", wait)
    return answers


# -- what is collected and what is kept -----------------------------------------------------


def test_a_set_no_site_names_is_collected_and_the_named_and_young_ones_are_kept(
    location: str,
    assembled_pyodide: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    deployment = Deployment.open(location).init()
    store = deployment.store
    build_site([SALES], f"{location}/a", pyodide=assembled_pyodide, prerender=False)
    build_site([SALES], f"{location}/b", prerender=False)  # the app only: Pyodide from the CDN
    app, dist = json.loads(store.get(f"a/{SITE_MARKER}"))["shared"]
    assert app.startswith("app-") and dist.startswith("pyodide-")
    assert json.loads(store.get(f"b/{SITE_MARKER}"))["shared"] == [app]
    assert deployment.delete_site("a")  # no site names the Pyodide now
    # younger than the grace (the stale-after, 30 min): kept
    young = collect(deployment)
    assert young.removed == [] and sorted(young.kept) == [app, dist]
    # a dry run names what would go and writes nothing at all, not even a tombstone
    before = keys(deployment)
    writes: list[str] = []
    real_put, real_delete = store._put, store._delete
    monkeypatch.setattr(store, "_put", lambda key, *a: (writes.append(key), real_put(key, *a)))
    monkeypatch.setattr(store, "_delete", lambda ks: (writes.extend(ks), real_delete(ks)))
    dry = collect(deployment, grace_seconds=NO_GRACE, dry_run=True)
    assert dry.removed == [dist] and dry.kept == [app]
    assert writes == [] and keys(deployment) == before
    code, out, err = gc(capsys, location, "--grace", "0.01s", "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["removed"] == [dist] and keys(deployment) == before
    # collected: its every file; the set a site names stays, whole
    done = collect(deployment, grace_seconds=NO_GRACE)
    assert done.removed == [dist] and done.kept == [app]
    assert writes and list(store.list(f"{SHARED_DIR}/{dist}/")) == []
    assert shared_sets(store) == [app] and list(store.list(TOMBSTONES)) == []
    assert deployment.exists("b") and broken_sets(deployment) == []
    # the next site on that Pyodide stores it again, whole (no process remembers it whole)
    build_site([SALES], f"{location}/c", pyodide=assembled_pyodide, prerender=False)
    assert shared_sets(store) == [app, dist] and broken_sets(deployment) == []


def gc(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`minato-lite gc ARGS` in this process: exit code, stdout, stderr."""
    from minato_lite.cli import main  # here: importing the CLI sets a process-wide default

    try:
        code = main(["gc", *args])
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_gc_command_lists_removes_and_refuses_in_one_line(
    tmp_path: Path, assembled_pyodide: Path, capsys: pytest.CaptureFixture[str]
):
    root = tmp_path / "sites"
    deployment = Deployment.open(root).init()
    build_site([SALES], root / "a", pyodide=assembled_pyodide, prerender=False)
    build_site([SALES], root / "b", prerender=False)
    app, dist = json.loads((root / "a" / SITE_MARKER).read_text())["shared"]
    deployment.delete_site("a")
    young = run_cli("gc", str(root))
    assert young.returncode == 0, young.stderr
    assert sorted(young.stdout.splitlines()) == [f"kept {app}", f"kept {dist}"]
    code, out, err = gc(capsys, str(root), "--grace", "0.01s", "--dry-run")
    assert code == 0, err
    assert out.splitlines() == [f"would remove {dist}", f"kept {app}"]
    assert (root / SHARED_DIR / dist / INVENTORY).is_file()
    done = run_cli("gc", str(root), "--grace", "0.01s", "--stale-after", "2h", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == {"deployment": str(root), "dry_run": False, "grace_seconds": 0.01,
                      "removed": [dist], "kept": [app]}  # fmt: skip
    assert sorted(p.name for p in (root / SHARED_DIR).iterdir()) == [app]
    assert broken_sets(deployment) == []
    (tmp_path / "plain").mkdir()
    for args, says in [
        ((str(tmp_path / "plain"),), "is not a minato-lite deployment"),
        ((str(tmp_path / "nowhere"),), "is not a minato-lite deployment"),
        (("ftp://host/sites",), "s3://BUCKET/PREFIX"),
        ((str(root), "--grace", "soon"), "--grace 'soon'"),
        ((str(root), "--stale-after", "0"), "--stale-after '0'"),
        ((), "DEPLOYMENT"),
    ]:
        code, out, err = gc(capsys, *args)
        assert code == 2, (args, err)
        assert says in err and len(err.strip().splitlines()) == 1 and out == "", (args, err)
    assert not (tmp_path / "nowhere").exists() and list((tmp_path / "plain").iterdir()) == []


def test_gc_refuses_a_bucket_prefix_that_is_not_a_deployment(
    s3_env, capsys: pytest.CaptureFixture[str]
):
    code, _, err = gc(capsys, f"s3://{s3_env.bucket}/not-one-{uuid.uuid4().hex[:6]}")
    assert code == 2 and "is not a minato-lite deployment" in err
    assert len(err.strip().splitlines()) == 1


def test_a_publisher_that_does_not_name_its_sets_keeps_every_set(tmp_path: Path):
    """A publish by an older minato-lite (a pending marker without "shared") could be
    about to use any set: nothing is collected, and every set is reported kept."""
    deployment = Deployment.open(tmp_path / "sites").init()
    unused = tiny_set("app", "unused")
    stored_unnamed(deployment, unused)
    _put_json(deployment.store, f"{PENDING}elder.json", {"site": "elder", "step": "started"})
    result = collect(deployment, grace_seconds=0)
    assert result.removed == [] and result.kept == [unused.name]
    assert deployment.store.exists(unused.prefix + INVENTORY)


# -- the race: a publish and a collection at once -------------------------------------------


@pytest.mark.parametrize("held", ["before-its-tombstone-check", "half-way-through-a-set"])
def test_a_collection_keeps_what_a_publish_in_progress_names(
    location: str, held: str, monkeypatch: pytest.MonkeyPatch
):
    deployment = Deployment.open(location).init()
    stored = tiny_set("app", "stored")
    stored_unnamed(deployment, stored)  # whole, and no site names it
    fresh = tiny_set("pyodide", "fresh", files=8)  # not stored yet
    publisher = Deployment.open(location)  # another process
    gate = Gate()
    if held == "before-its-tombstone-check":
        # just after its pending marker (naming both sets) was written
        real_wait = targets.wait_while_collected

        def wait(dep: Deployment, names: Any, **kwargs: Any) -> set[str]:
            gate.hold()
            return real_wait(dep, names, **kwargs)

        monkeypatch.setattr(targets, "wait_while_collected", wait)
    else:
        # storing `fresh`: some of its files are there, its inventory is not
        real_put = publisher.store._put
        puts = itertools.count()

        def put(key: str, *args: Any) -> None:
            if key.startswith(fresh.prefix) and next(puts) == 3:
                gate.hold()
            real_put(key, *args)

        monkeypatch.setattr(publisher.store, "_put", put)
    publish = Worker("publish", lambda: tiny_publish(publisher, "new", [stored, fresh]))
    publish.start()
    assert gate.reached.wait(PATIENCE)
    pending = json.loads(deployment.store.get(f"{PENDING}new.json"))
    assert pending["shared"] == [stored.name, fresh.name]
    # another process collects, with no grace: what the publish names stays
    result = collect(Deployment.open(location), grace_seconds=NO_GRACE)
    assert result.removed == []
    assert stored.name in result.kept
    if held == "half-way-through-a-set":
        assert fresh.name in result.kept  # half-stored, but named
    assert list(deployment.store.list(TOMBSTONES)) == []  # the collector cleaned up
    gate.go.set()
    publish.outcome()
    assert deployment.exists("new") and broken_sets(deployment) == []
    assert list(deployment.store.list(PENDING)) == []


@pytest.mark.parametrize("held", ["before-its-check", "before-deleting"])
def test_a_publish_waits_for_a_collection_that_wrote_its_tombstone(
    location: str, held: str, monkeypatch: pytest.MonkeyPatch
):
    deployment = Deployment.open(location).init()
    shared = tiny_set("app", "x")
    stored_unnamed(deployment, shared)  # `deployment`'s process verified it whole
    gate = Gate()
    hold_collector(monkeypatch, "collector", gate, before_check=held == "before-its-check")
    collector = Worker(
        "collector", lambda: collect(Deployment.open(location), grace_seconds=NO_GRACE)
    )
    collector.start()
    assert gate.reached.wait(PATIENCE)
    assert len(list(deployment.store.list(TOMBSTONES))) == 1
    waits = record_waits(monkeypatch)
    lines: list[str] = []
    publish = Worker("publish", lambda: tiny_publish(deployment, "new", [shared], log=lines.append))
    publish.start()
    publish.join(1.0)
    waited = publish.is_alive() and not deployment.exists("new")
    gate.go.set()
    result = collector.outcome()
    publish.outcome()
    assert waited, "the publish went on while the set was being collected"
    assert waits == [{shared.name}]
    if held == "before-its-check":
        # the collector's check came after the publish's pending marker: it keeps the set
        assert result.kept == [shared.name] and result.removed == []
    else:
        # it had decided: the set went, and the publish stored it again
        assert result.removed == [shared.name]
        assert any(line.startswith("storing the shared app") for line in lines), lines
    assert deployment.exists("new") and broken_sets(deployment) == []
    assert list(deployment.store.list(TOMBSTONES)) == []


def test_two_collections_at_once_hold_a_publish_until_both_are_done(
    location: str, monkeypatch: pytest.MonkeyPatch
):
    """Two collectors (two API replicas' sweepers) on one set: the first to finish must not
    lift the other's tombstone, or a publish would store the set just before the second
    deletes it."""
    deployment = Deployment.open(location).init()
    shared = tiny_set("app", "x")
    stored_unnamed(deployment, shared)
    gate = Gate()
    hold_collector(monkeypatch, "slow-collector", gate, before_check=False)
    slow = Worker(
        "slow-collector", lambda: collect(Deployment.open(location), grace_seconds=NO_GRACE)
    )
    slow.start()
    assert gate.reached.wait(PATIENCE)  # decided to delete, not yet deleting
    quick = collect(Deployment.open(location), grace_seconds=NO_GRACE)
    assert quick.removed == [shared.name]
    publish = Worker("publish", lambda: tiny_publish(deployment, "new", [shared]))
    publish.start()
    publish.join(1.0)
    waited = publish.is_alive()
    gate.go.set()
    slow.outcome()
    publish.outcome()
    assert broken_sets(deployment) == []
    assert waited, "the publish did not wait for the second collector"


def test_a_slow_collection_keeps_its_tombstone_fresh(
    location: str, monkeypatch: pytest.MonkeyPatch
):
    """A collection that takes longer than stale-after between its tombstone and its
    deletion (reading thousands of sites' markers) is not taken for a dead one."""
    stale = 1.0
    deployment = Deployment.open(location, stale_seconds=stale).init()
    shared = tiny_set("app", "x")
    stored_unnamed(deployment, shared)
    gate = Gate()
    hold_collector(monkeypatch, "collector", gate, before_check=False)
    collector = Worker(
        "collector",
        lambda: collect(Deployment.open(location, stale_seconds=stale), grace_seconds=NO_GRACE),
    )
    collector.start()
    assert gate.reached.wait(PATIENCE)
    publish = Worker("publish", lambda: tiny_publish(deployment, "new", [shared]))
    publish.start()
    publish.join(2.5 * stale)
    waited = publish.is_alive()
    gate.go.set()
    assert collector.outcome().removed == [shared.name]
    publish.outcome()
    assert broken_sets(deployment) == []
    assert waited, "the publish took a live collector's tombstone for a dead one's"


def test_publishes_deletions_and_collections_side_by_side_never_break_a_site(
    location: str, monkeypatch: pytest.MonkeyPatch
):
    rng = random.Random(1729)
    deployment = Deployment.open(location).init()
    # three long-lived processes (API replicas), each with its own store and its own record
    # of the sets it verified; any of them publishes, deletes or collects; every request takes
    # a few random milliseconds more, so that their steps interleave
    processes = [Deployment.open(location) for _ in range(3)]
    for process in processes:
        jitter(monkeypatch, process, random.Random(rng.random()))
    apps = [tiny_set("app", tag, files=rng.randint(3, 8)) for tag in "abc"]
    dists = [tiny_set("pyodide", tag, files=rng.randint(3, 8)) for tag in "pqr"]
    sites = ["s1", "s2", "s3", "s4"]
    waits = record_waits(monkeypatch)
    removed = 0
    for round_ in range(8 if location.startswith("s3://") else 20):
        rng.shuffle(sites)
        jobs: list[tuple[str, Callable[[], Any]]] = []
        for site in sites[:2]:
            sets = [rng.choice(apps)] + ([rng.choice(dists)] if rng.random() < 0.7 else [])
            jobs.append(
                (f"publish-{site}", partial(tiny_publish, rng.choice(processes), site, sets))
            )
        if rng.random() < 0.5:
            jobs.append(("delete", partial(rng.choice(processes).delete_site, sites[2])))
        for collector in rng.sample(processes, rng.choice([1, 2])):  # two replicas' sweepers
            jobs.append(("collect", partial(collect, collector, grace_seconds=NO_GRACE)))
        # the collectors first, the publishes at any point of their survey, tombstones, deletes
        workers = [Worker(name, job, rng.uniform(0, 0.2 if name.startswith("publish") else 0.03))
                   for name, job in jobs]  # fmt: skip
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.outcome()
        removed += sum(len(w.result.removed) for w in workers if w.name == "collect")
        assert broken_sets(deployment) == [], f"round {round_}"
        assert list(deployment.store.list(TOMBSTONES)) == []
    print(f"\n{location[:5]}: {removed} sets collected; {sum(map(bool, waits))} of "
          f"{len(waits)} publishes waited for a collector")  # fmt: skip
    assert removed > 0


def jitter(monkeypatch: pytest.MonkeyPatch, deployment: Deployment, rng: random.Random) -> None:
    """Make each request of `deployment`'s store take 0-10 ms more."""
    store = deployment.store
    for method in ("_put", "_get", "_list", "_delete"):
        real = getattr(store, method)

        def slower(*args: Any, real: Callable[..., Any] = real) -> Any:
            time.sleep(rng.uniform(0, 0.01))
            return real(*args)

        monkeypatch.setattr(store, method, slower)


def test_real_builds_and_collections_side_by_side_never_break_a_site(
    tmp_path: Path, assembled_pyodide: Path
):
    """The same with real sites on a folder: the app and Pyodide hard-linked in, the
    Pyodide named by some sites and not by others from one round to the next."""
    rng = random.Random(4242)
    root = tmp_path / "sites"
    deployment = Deployment.open(root).init()
    sites = ["a", "b", "c"]
    removed = 0
    for round_ in range(8):
        rng.shuffle(sites)
        workers = []
        for site in sites[:2]:
            dist = rng.choice([None, assembled_pyodide])  # the Pyodide's set named, or not
            workers.append(
                Worker(
                    f"build-{site}",
                    lambda site=site, dist=dist: build_site(
                        [SALES], root / site, pyodide=dist, prerender=False
                    ),
                    rng.uniform(0, 0.1),
                )
            )
        workers.append(Worker("delete", lambda site=sites[2]: deployment.delete_site(site),
                              rng.uniform(0, 0.1)))  # fmt: skip
        workers.append(Worker("collect", lambda: collect(Deployment.open(root),
                              grace_seconds=NO_GRACE), rng.uniform(0, 0.3)))  # fmt: skip
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.outcome()
        removed += len(workers[-1].result.removed)
        assert broken_sets(deployment) == [], f"round {round_}"
    assert removed > 0


# -- repair, a dead collector, the publisher's heartbeat ------------------------------------


def test_a_set_whose_files_went_missing_is_repaired_by_the_next_publish(location: str):
    deployment = Deployment.open(location).init()
    shared = tiny_set("app", "x", files=8)
    tiny_publish(deployment, "a", [shared])
    lost = sorted(shared.files)[:3]
    deployment.store.delete([shared.prefix + rel for rel in lost])  # the inventory stays
    assert len(broken_sets(deployment)) == 1
    # this process verified the set once: one HEAD of its inventory, no listing
    tiny_publish(deployment, "b", [shared])
    assert len(broken_sets(deployment)) == 2
    forget_verified(deployment.store, shared.name)
    tiny_publish(deployment, "c", [shared])
    assert broken_sets(deployment) == []
    # another process lists the set before it trusts it
    deployment.store.delete([shared.prefix + lost[0]])
    tiny_publish(Deployment.open(location), "d", [shared])
    assert broken_sets(deployment) == []


def test_a_dead_collectors_tombstone_holds_a_publish_only_until_it_is_stale(location: str):
    stale = 1.0
    deployment = Deployment.open(location, stale_seconds=stale).init()
    shared = tiny_set("app", "x")
    stored_unnamed(deployment, shared)
    # a collector died half-way: its tombstone stays, the inventory and some files are gone
    store = deployment.store
    dead = tombstone_key(shared.name, "dead-collector")
    written = time.time()
    _put_json(store, dead, {"set": shared.name, "time": written})
    store.delete(
        [shared.prefix + INVENTORY, *(shared.prefix + r for r in sorted(shared.files)[:3])]
    )
    tiny_publish(deployment, "new", [shared])
    took = time.time() - written
    assert stale < took < 15, took  # it waited while the tombstone looked alive, no longer
    assert not store.exists(dead) and list(store.list(TOMBSTONES)) == []
    assert deployment.exists("new") and broken_sets(deployment) == []


class SlowFolderStore(FolderStore):
    """A folder whose shared files take a while each (a slow link)."""

    def _put(self, key: str, *args: Any) -> None:
        if key.startswith(f"{SHARED_DIR}/"):
            time.sleep(0.2)
        super()._put(key, *args)


def test_the_pending_marker_names_its_sets_and_a_heartbeat_keeps_it_fresh(tmp_path: Path):
    stale = 0.8
    root = tmp_path / "sites"
    deployment = Deployment(SlowFolderStore(root), stale_seconds=stale).init()
    sets = [tiny_set("app", "slow", files=10), tiny_set("pyodide", "slow", files=4)]
    publish = Worker("publish", lambda: tiny_publish(deployment, "new", sets))
    publish.start()
    seen: list[tuple[float, dict]] = []
    midway = None
    start = time.monotonic()
    while publish.is_alive():
        for info in deployment.store.list(PENDING):
            with contextlib.suppress(MissingKey):  # it ended just now
                seen.append((info.last_modified.timestamp(),
                             json.loads(deployment.store.get(info.key))))  # fmt: skip
        if midway is None and time.monotonic() - start > 1.2:
            # past stale-after: another process's collection keeps the sets the marker names
            midway = collect(Deployment(FolderStore(root), stale_seconds=stale),
                             grace_seconds=NO_GRACE)  # fmt: skip
        time.sleep(0.05)
    publish.outcome()
    assert midway is not None and midway.removed == [] and sets[0].name in midway.kept
    assert len(seen) >= 10
    assert {m["site"] for _, m in seen} == {"new"}
    assert all(m["shared"] == [s.name for s in sets] for _, m in seen)
    times = sorted({t for t, _ in seen})
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) >= 8 and max(gaps) < stale, gaps  # refreshed throughout ~3 s of uploads
    assert list(deployment.store.list(PENDING)) == [] and broken_sets(deployment) == []
