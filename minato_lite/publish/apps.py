"""Where a site's JupyterLite app comes from: the one thing in which staged sites differ.

Every site is assembled by the same steps (`staging.stage_site`); the app is
the part that varies, and each way of having it is one type here:

* `CachedApp`: the app built once per configuration (`site.app_cache`), every
  file hard-linked into the site: a self-contained site, in a folder or a bucket;
* `SharedApp`: a site of a deployment, which keeps only the app files that must
  be its own and points at the deployment's shared app and Pyodide (`layout`);
* `BuiltApp`: the output of a plain `jupyter lite build` with the `minato`
  addon, where the app (and a self-hosted Pyodide, by the pyodide addon) is
  already in place.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyterlite_pyodide_kernel.constants import PYODIDE_KERNEL_PLUGIN_ID

from ..cache import link_or_copy
from ..log import Log
from ..pyodide.choice import Default, choose
from ..pyodide.distribution import SITE_FOLDER, PyodideDistribution
from ..site.app_cache import finish_app, link_app
from ..site.warmup import WARMUP_FILE
from .layout import SharedLinks, share_config, site_app_files
from .shared import SharedSet

#: the app's files a staged site writes itself
SITE_OWN = frozenset({"jupyter-lite.json", "index.html", WARMUP_FILE})


class AppSource(ABC):
    """How a staged site gets its app, its config's starting point and its Pyodide."""

    #: the built app whose `jupyter-lite.json` and lab page the site starts from
    root: Path

    @abstractmethod
    def place(self, stage: Path, *, log: Log) -> None:
        """Put the app's files the site needs into `stage`."""

    def adapt_config(self, config: dict[str, Any]) -> None:  # noqa: B027 (most apps need none)
        """Change the site's `jupyter-lite.json` where this app is elsewhere; in place."""

    def place_pyodide(  # noqa: B027 (an app whose Pyodide is elsewhere places none)
        self, pyodide: PyodideDistribution, stage: Path, *, log: Log
    ) -> None:
        """Put what the site ships of `pyodide` into `stage` (nothing when it is elsewhere)."""

    def pyodide_url(self, pyodide: PyodideDistribution) -> str:
        """`pyodideUrl` in the kernel settings."""
        return pyodide.kernel_url

    def bundle_url(self, url: str) -> str:
        """Where the site's pages load the app file `url` from (the warm-up fetches the same)."""
        return url

    def marker(self) -> dict[str, Any]:
        """What the site's marker records about its app."""
        return {"app": self.root.name}

    def shared_sets(self) -> list[SharedSet]:
        """The deployment's shared sets the site's pages load from (stored before the site)."""
        return []

    def assets_origin(self) -> str | None:
        """The deployment's shared-assets origin, when sites have their own origins."""
        return None


@dataclass(frozen=True)
class CachedApp(AppSource):
    """The cached app linked in whole, and Pyodide (when self-hosted) under `static/pyodide/`."""

    root: Path

    def place(self, stage: Path, *, log: Log) -> None:
        link_app(self.root, stage, skip=SITE_OWN)
        if (self.root / "lab" / "favicon.ico").is_file():
            # browsers ask for /favicon.ico first
            link_or_copy(self.root / "lab" / "favicon.ico", stage / "favicon.ico")

    def place_pyodide(self, pyodide: PyodideDistribution, stage: Path, *, log: Log) -> None:
        if pyodide.selection is not None:
            log(f"adding {len(pyodide.selection.packages)} Pyodide packages for offline use")
        elif pyodide.is_local:
            log("adding the local Pyodide distribution")
        pyodide.place(stage / SITE_FOLDER)


@dataclass(frozen=True)
class SharedApp(AppSource):
    """A site of a deployment: its own few app files; the app and Pyodide from `_shared/`."""

    root: Path
    links: SharedLinks

    def place(self, stage: Path, *, log: Log) -> None:
        for rel, source in site_app_files(self.root, self.links).items():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, bytes):
                (stage / rel).write_bytes(source)
            else:
                link_or_copy(source, stage / rel)

    def adapt_config(self, config: dict[str, Any]) -> None:
        share_config(config, self.links, PYODIDE_KERNEL_PLUGIN_ID)

    def pyodide_url(self, pyodide: PyodideDistribution) -> str:
        return self.links.pyodide_url or pyodide.kernel_url

    def bundle_url(self, url: str) -> str:
        return self.links.bundle_url(url)

    def shared_sets(self) -> list[SharedSet]:
        return [s for s in (self.links.app, self.links.pyodide) if s is not None]

    def assets_origin(self) -> str | None:
        return self.links.assets

    def marker(self) -> dict[str, Any]:
        own: dict[str, Any] = {"app": self.root.name,
                               "shared": [s.name for s in self.shared_sets()]}  # fmt: skip
        if self.links.pyodide_url:
            own["pyodide_url"] = self.links.pyodide_url
        return own


@dataclass(frozen=True)
class BuiltApp(AppSource):
    """A `jupyter lite build` output, staged in place: the app and Pyodide are already there."""

    root: Path

    def place(self, stage: Path, *, log: Log) -> None:
        finish_app(stage, log=log)

    def adapt_config(self, config: dict[str, Any]) -> None:
        config.setdefault("jupyter-config-data", {})["exposeAppInBrowser"] = True

    def pyodide_url(self, pyodide: PyodideDistribution) -> str:
        # the pyodide addon's (or the project's) pyodideUrl stays where it placed Pyodide
        return self.configured_pyodide_url() or pyodide.kernel_url

    def configured_pyodide_url(self) -> str | None:
        config = json.loads((self.root / "jupyter-lite.json").read_text("utf-8"))
        plugins = config.get("jupyter-config-data", {}).get("litePluginSettings", {})
        return plugins.get(PYODIDE_KERNEL_PLUGIN_ID, {}).get("pyodideUrl")

    def self_hosted(self) -> PyodideDistribution | None:
        """The Pyodide the pyodide addon placed in the output, or None (a URL's, the CDN's)."""
        local = self.root / SITE_FOLDER
        return PyodideDistribution.open(local) if (local / "pyodide-lock.json").is_file() else None

    def pyodide(self) -> PyodideDistribution:
        """The Pyodide this output's kernel loads."""
        return self.self_hosted() or choose(self.configured_pyodide_url(), default=Default.CDN)
