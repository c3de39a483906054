"""Where one build goes, as a type per kind of target, each published in two steps.

A build's output (`-o`) is one of:

* `StandaloneSite`: a self-contained site (the whole app and its Pyodide in
  it), which works wherever it is copied: a folder, or `s3://BUCKET/PREFIX`;
* `DeploymentSite`: a site of a deployment (`<deployment>/<name>`, where the
  deployment's root holds `_minato/deployment.json`): only its own files, the
  app and Pyodide stored once under `_shared/` (`deployment`, `shared`).

Both publish the same way: `stage` assembles the whole tree in a local folder
(`staging.stage_site`; nothing in the store changes), then `commit` makes it
visible with the store's one tree operation (`Store.commit_tree`: a rename for
a folder, an ordered upload for a bucket; the entry page last either way). A
standalone folder and a standalone bucket are one type: everything in which
they differ is the store's. A deployment's site adds its bookkeeping around
the commit (`Deployment.publishing`) and its shared sets before it.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..log import Log, quiet
from ..site.app_cache import base_app
from ..site.marker import SITE_MARKER
from ..store import Store, open_store
from ..store.base import Upload
from ..store.policy import REVALIDATE
from .apps import AppSource, CachedApp, SharedApp
from .collect import wait_while_collected
from .deployment import DEPLOYMENT_KEY, ENTRY, Deployment, check_site_name
from .layout import SharedLinks
from .origins import check_label
from .shared import app_set, ensure_shared, pyodide_set
from .staging import SiteParts, stage_site


@dataclass(frozen=True)
class Published:
    """Where a site went: its folder or `s3://` location, its entry page's URL if known,
    and the `pyodideUrl` its kernel loads (a deployment's shared copy, when it has one)."""

    location: str
    url: str | None
    pyodide_url: str


@dataclass(frozen=True)
class Staged:
    """A site assembled in `folder`, ready to commit; `app` says where its app comes from."""

    folder: Path
    parts: SiteParts
    app: AppSource


class SiteTarget(ABC):
    """A place one site is published to: a store and the site's key prefix in it."""

    store: Store

    @property
    @abstractmethod
    def prefix(self) -> str:
        """The site's folder in the store ('' for a site at the store's root)."""

    @property
    def location(self) -> str:
        """The site's folder or URL, for messages and results."""
        return self.store.location_of(self.prefix)

    @property
    def storage_name(self) -> str:
        """The name that keeps browser storage of sibling sites apart (the folder's name)."""
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
        if self.store.exists(self.prefix + SITE_MARKER):
            return
        if next(iter(self.store.children(self.prefix)), None) is not None:
            raise UserError(
                f"{self.location} is not empty and is not a minato-lite site; choose another -o"
            )

    @abstractmethod
    def app(self, parts: SiteParts, *, log: Log) -> AppSource:
        """Where this site's app comes from."""

    @contextmanager
    def stage(self, parts: SiteParts, *, log: Log = quiet) -> Iterator[Staged]:
        """Step one: the whole site in a local folder; nothing in the store changes yet."""
        self.check()
        app = self.app(parts, log=log)
        with self.store.staging(self.prefix) as folder:
            stage_site(folder, parts, app, name=self.storage_name, log=log)
            yield Staged(folder, parts, app)

    @abstractmethod
    def commit(self, staged: Staged, *, update: bool = False, log: Log = quiet) -> Published:
        """Step two: make the staged site what the target holds, its entry page last.

        `update`: a newer version of a site already published (the API's analysis
        phase), which stays visible while it is replaced.
        """

    def publish(self, parts: SiteParts, *, update: bool = False, log: Log = quiet) -> Published:
        """Stage, then commit."""
        with self.stage(parts, log=log) as staged:
            return self.commit(staged, update=update, log=log)

    def _commit_tree(self, staged: Staged, before_entry: list[Upload], update: bool,
                     log: Log) -> None:  # fmt: skip
        result = self.store.commit_tree(staged.folder, self.prefix, entry=ENTRY,
                                        before_entry=before_entry, keep_entry=update)  # fmt: skip
        log(f"published {result.files} files ({result.bytes_stored / 1e6:.1f} MB) "
            f"to {self.location}")  # fmt: skip


@dataclass(frozen=True)
class StandaloneSite(SiteTarget):
    """A self-contained site at a folder or bucket prefix: the cached app linked in whole."""

    store: Store
    #: the site's folder in the store ('' for a site at the store's root)
    name: str = ""

    @property
    def prefix(self) -> str:
        return f"{self.name}/" if self.name else ""

    def app(self, parts: SiteParts, *, log: Log) -> AppSource:
        return CachedApp(base_app(log=log))

    def commit(self, staged: Staged, *, update: bool = False, log: Log = quiet) -> Published:
        self._commit_tree(staged, [], update, log)
        return Published(self.location, self.url, staged.parts.pyodide.kernel_url)


@dataclass(frozen=True)
class DeploymentSite(SiteTarget):
    """A site of a deployment: its own files under `<name>/`, the app and Pyodide shared."""

    deployment: Deployment
    name: str

    def __post_init__(self) -> None:
        check_site_name(self.name)
        if self.deployment.origins is not None:
            check_label(self.name)

    @property
    def store(self) -> Store:  # type: ignore[override]
        return self.deployment.store

    @property
    def prefix(self) -> str:
        return f"{self.name}/"

    @property
    def storage_name(self) -> str:
        return self.name

    @property
    def url(self) -> str | None:
        return self.deployment.site_url(self.name)

    def app(self, parts: SiteParts, *, log: Log) -> AppSource:
        root = base_app(log=log)
        origins = self.deployment.origins
        links = SharedLinks.for_site(self.name, app_set(root), pyodide_set(parts.pyodide),
                                     origins.assets_url if origins else None)  # fmt: skip
        return SharedApp(root, links)

    def commit(self, staged: Staged, *, update: bool = False, log: Log = quiet) -> Published:
        """Shared sets first (completed if a killed publish left them half-stored, stored
        again if they were being collected), then the site's tree with its metadata just
        before its entry page, all under a lease that names the sets, keeps the pending
        marker fresh and cleans up after a failure."""
        metadata = {**staged.parts.marker, "name": self.name, "created": time.time()}
        body = (json.dumps(metadata, indent=1, sort_keys=True) + "\n").encode("utf-8")
        record = Upload(self.deployment.metadata_key(self.name), body,
                        content_type="application/json", cache_control=REVALIDATE)  # fmt: skip
        sets = staged.app.shared_sets()
        with self.deployment.publishing(self.name, [s.name for s in sets]) as lease:
            collected = wait_while_collected(self.deployment, [s.name for s in sets])
            for shared in sets:
                ensure_shared(self.store, shared, verify=shared.name in collected, log=log)
            lease.step("shared")
            self._commit_tree(staged, [record], update, log)
        return Published(self.location, self.url, staged.app.pyodide_url(staged.parts.pyodide))


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
                return DeploymentSite(parent, name)
        return StandaloneSite(open_store(text, public_url=public_url))
    path = Path(text).expanduser().absolute()
    parent = Deployment.open(path.parent, public_url=_parent_url(public_url))
    if parent.store.exists(DEPLOYMENT_KEY):
        return DeploymentSite(parent, path.name)
    return StandaloneSite(open_store(path, public_url=public_url))


def _parent_url(public_url: str | None) -> str | None:
    """`--public-url` names where the site is served; its deployment is one level up."""
    if not public_url:
        return None
    return public_url.rstrip("/").rpartition("/")[0] + "/"
