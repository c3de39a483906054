"""How a site of a deployment loads the app and Pyodide it shares with its neighbours.

    <deployment>/_shared/app-<hash>/            the JupyterLite app, whole (`publish.shared`)
    <deployment>/_shared/pyodide-<hash>/        a Pyodide distribution, as sites ship it
    <deployment>/<site>/index.html              the entry page (written last)
    <deployment>/<site>/lab/index.html          the app's lab page, its scripts from _shared
    <deployment>/<site>/jupyter-lite.json       the site's config: where the shared parts are
    <deployment>/<site>/service-worker.js       the app's, in the site's own scope
    <deployment>/<site>/minato-*-worker.js      the kernel's worker, started in that scope
    <deployment>/<site>/minato-warmup.*         the report's warm-up, its list naming _shared
                                                (`SharedLinks.bundle_url`)
    <deployment>/<site>/files/, api/contents/   data, notebooks and their index

Every URL is relative, so a deployment works under any prefix on any host.
What can point elsewhere was read from jupyterlite-core 0.8.6 (config-utils.js,
bootstrap.js, the lab bundle) and jupyterlite-pyodide-kernel 0.8.6:

* config-utils.js merges `jupyter-lite.json` files from the page's folder up to
  `data-jupyter-lite-root` (the site's root, found from the page's own URL, not
  from where config-utils.js was loaded), and rewrites every top-level `*Url`
  (and each plugin's `*Url`, `*Urls`) that starts with "./" into a path from
  that file's folder. So "./../_shared/app-<hash>/build" in the site's
  `jupyter-lite.json` names the shared folder wherever the deployment is.
* `fullStaticUrl` is webpack's public path (every `build/` chunk);
  `fullLabextensionsUrl` is where federated extensions load from (each then
  finds its chunks from its own script's URL); `settingsUrl` is fetched
  relative to the page, `themesUrl` is joined to `baseUrl`; the kernel's
  `pipliteUrls` and `pyodideUrl` are resolved against the page.
* `baseUrl` must stay the site's root: the contents (`api/contents`,
  `files/`), translations (`api/translations`), favicons (`static/`) and the
  service worker (`<baseUrl>service-worker.js`) are found from it.
* The service worker serves `/drive` (the kernel's synchronous file-system
  calls, sent as requests to `<baseUrl>api/drive`): it must control both the
  page and the kernel's worker. A worker is controlled by the registration
  whose scope holds the worker script's own URL; the kernel extension starts
  it from beside its bundle, which in a deployment is in `_shared/`, outside
  the site's scope (measured in Chromium: every /drive call then reached the
  server and the kernel had no `/drive`). `kernel_patch.patch_worker_urls`
  lets the config name the worker script, and each site carries a one-line
  module (`minato-comlink-worker.js`) that imports the shared worker: the
  worker runs at the site's URL, so the site's service worker controls it.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cache import entry_files
from ..errors import EnvironmentProblem
from ..pyodide.lockfile import ENTRY_MODULE
from ..site.kernel_patch import BUNDLE_DIR, patch_worker_urls, worker_url_key
from .shared import SharedSet

#: app files every site keeps its own copy of (the rest is loaded from the shared app):
#: the service worker (its scope is its folder), config notebooks config-utils reads at
#: every level, translations and favicons (found from baseUrl), the small pages, the
#: report's scripts, and the live cells' worker (a worker runs at its own site's URL)
SITE_LOCAL = re.compile(
    r"^(?:service-worker\.js|(?:lab/)?jupyter-lite\.ipynb|api/.+|static/.+"
    r"|(?:lab|doc)/(?:.+/)?index\.html|manifest\.webmanifest|minato-warmup\.js"
    r"|minato-live\.js|minato-live-worker\.js|(?:lab|doc)/(?:.+/)?minato-inline-[0-9a-f]+\.js)$"
)
#: an app page's inline script, moved to a file beside it (`site.csp.externalize_scripts`)
INLINE_MOVED = re.compile(r"/minato-inline-[0-9a-f]+\.js$")
#: a reference to a file above the page in an HTML page: "../config-utils.js?_=..."
PAGE_REFERENCE = re.compile(r"""(["'])((?:\.\./)+)([^"'?#\s]+)""")
#: (key in the site's jupyter-lite.json, the value the app has, the shared path it becomes)
SHARED_URLS = (
    ("fullStaticUrl", "./build", "build"),
    ("fullLabextensionsUrl", "./extensions", "extensions"),
)
#: `faviconUrl` and the landing page name `./lab/favicon.ico`: a site of a deployment
#: gets the app's 32 KB icon there instead of the lab's 318 KB one, so a first visit
#: downloads one small icon (less than a self-contained site) and a second 32 KB
SITE_FAVICON = ("lab/favicon.ico", "static/favicons/favicon.ico")


@dataclass(frozen=True)
class SharedLinks:
    """Where a site's pages find the shared sets: relative paths from the site's root, or
    the deployment's shared-assets origin (`origins`: one origin per site)."""

    #: from the site's root up to the deployment's root: one "../" per segment of its name
    #: (on a site's own origin, "/" is the site's root, and the server maps `/_shared/`)
    up: str
    app: SharedSet
    pyodide: SharedSet | None
    #: the shared-assets origin ("https://assets.sites.example/"), when sites have their own
    assets: str | None = None

    @classmethod
    def for_site(cls, name: str, app: SharedSet, pyodide: SharedSet | None,
                 assets: str | None = None) -> SharedLinks:  # fmt: skip
        up = "./" if assets else "../" * len(name.split("/"))
        return cls(up, app, pyodide, assets)

    def app_path(self, rel: str = "") -> str:
        """The app file `rel` as the site's pages load it: relative, or on the assets origin."""
        return f"{self.assets or self.up}{self.app.prefix}{rel}"

    def config_url(self, rel: str) -> str:
        """The same for a `jupyter-lite.json` value: config-utils anchors "./" values at the
        config file's folder and leaves absolute URLs alone."""
        return self.app_path(rel) if self.assets else "./" + self.app_path(rel)

    def own_path(self, rel: str) -> str:
        """The app file `rel` on the site's own origin: for what JupyterLab joins to its
        base URL (themes), which an absolute URL would break."""
        return f"{self.up}{self.app.prefix}{rel}"

    def bundle_url(self, url: str) -> str:
        """Where a site's pages load the app file `url` (relative to the app's root) from:
        the shared app, unless the site keeps its own copy. The report's warm-up must use
        the same URL, since the HTTP cache is keyed by the whole URL."""
        return url if SITE_LOCAL.match(url.partition("?")[0]) else self.app_path(url)

    @property
    def pyodide_url(self) -> str | None:
        """`pyodideUrl` for the kernel settings ("./" so config-utils anchors it at the root)."""
        if self.pyodide is None:
            return None
        if self.assets:
            return f"{self.assets}{self.pyodide.prefix}{ENTRY_MODULE}"
        return f"./{self.up}{self.pyodide.prefix}{ENTRY_MODULE}"


def worker_shim(kind: str) -> str:
    return f"minato-{kind}-worker.js"


def _rewrite_page(html: str, page: str, app: Path, links: SharedLinks) -> tuple[str, set[str]]:
    """`page`'s references to shared app files, pointed at the shared app; and which."""
    folder = posixpath.dirname(page)
    changed: set[str] = set()

    def swap(match: re.Match[str]) -> str:
        quote, ups, rest = match.groups()
        target = posixpath.normpath(posixpath.join(folder, ups + rest))
        if target.startswith("../") or SITE_LOCAL.match(target) or not (app / target).is_file():
            return match.group(0)
        changed.add(target)
        back = "../" * (folder.count("/") + 1) if folder and not links.assets else ""
        return f"{quote}{back}{links.app_path(target)}"

    return PAGE_REFERENCE.sub(swap, html), changed


def _web_app_manifest(app: Path, links: SharedLinks) -> bytes:
    """`manifest.webmanifest` (the web app manifest), its icons from the shared app."""
    manifest = json.loads((app / "manifest.webmanifest").read_text("utf-8"))
    for icon in manifest.get("icons", []):
        src = str(icon.get("src", ""))
        if src.startswith("./") and (app / src[2:]).is_file():
            icon["src"] = links.app_path(src[2:])
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


def _lab_config(app: Path, links: SharedLinks) -> bytes:
    """`lab/jupyter-lite.json`: settings schemas and themes from the shared app."""
    config = json.loads((app / "lab" / "jupyter-lite.json").read_text("utf-8"))
    data = config.get("jupyter-config-data", {})
    expected = {"settingsUrl": "../build/schemas", "themesUrl": "./build/themes"}
    for key, value in expected.items():
        if data.get(key) != value:
            raise EnvironmentProblem(
                f"{app}/lab/jupyter-lite.json: {key} is {data.get(key)!r}, not {value!r}: "
                "check minato_lite/publish/layout.py against this jupyterlite-core version"
            )
    # settingsUrl is fetched from the page (lab/): "./" anchors it at this file's folder
    schemas = links.app_path("build/schemas")
    data["settingsUrl"] = schemas if links.assets else "./../" + schemas
    # themesUrl is joined to baseUrl (the site's root) by JupyterLab, never rewritten: it
    # stays on the site's own origin (served there from /_shared/ when sites have their own)
    data["themesUrl"] = links.own_path("build/themes").removeprefix("./")
    return (json.dumps(config, indent=2, sort_keys=True) + "\n").encode("utf-8")


def site_app_files(app: Path, links: SharedLinks) -> dict[str, Path | bytes]:
    """The app's files a site of a deployment holds itself, rewritten where they point.

    Everything else of the app is loaded from `links.app`. The lab page must
    have had its loader and bundle pointed at the shared app, or the build
    stops: a JupyterLite that loads them differently needs this looked at again.
    """
    files: dict[str, Path | bytes] = {}
    for rel, path in entry_files(app):
        if not SITE_LOCAL.match(rel):
            continue
        if rel.endswith(".html") or INLINE_MOVED.search(rel):  # a page, or its moved script
            html, changed = _rewrite_page(path.read_text("utf-8"), rel, app, links)
            needed = {"build/lab/bundle.js"}  # config-utils.js: imported by the moved loader
            if rel == "lab/index.html" and not needed <= changed:
                raise EnvironmentProblem(
                    f"{app}/lab/index.html does not load config-utils.js and build/lab/bundle.js "
                    "as expected: check minato_lite/publish/layout.py against this jupyterlite-core"
                )
            files[rel] = html.encode("utf-8")
        elif rel == "manifest.webmanifest":
            files[rel] = _web_app_manifest(app, links)
        else:
            files[rel] = path
    files["lab/jupyter-lite.json"] = _lab_config(app, links)
    favicon, small = SITE_FAVICON
    if (app / small).is_file():
        files[favicon] = app / small
    for kind, name in sorted(patch_worker_urls(app).items()):
        target = links.app_path(f"{BUNDLE_DIR}/{name}")
        files[worker_shim(kind)] = (
            "// minato-lite: the kernel's worker runs at this site's URL, so the site's service\n"
            "// worker controls it (and serves /drive); its code is the shared app's.\n"
            f'import "{target}";\n'
        ).encode()
    return files


def share_config(config: dict[str, Any], links: SharedLinks, plugin: str) -> dict[str, Any]:
    """Point a site's `jupyter-lite.json` at the shared app; returns it (changed in place)."""
    data = config.setdefault("jupyter-config-data", {})
    for key, value, shared in SHARED_URLS:
        if data.get(key) != value:
            raise EnvironmentProblem(
                f"the app's jupyter-lite.json has {key}={data.get(key)!r}, not {value!r}: "
                "check minato_lite/publish/layout.py against this jupyterlite-core version"
            )
        data[key] = links.config_url(shared)
    kernel = data.setdefault("litePluginSettings", {}).setdefault(plugin, {})
    kernel["pipliteUrls"] = [
        links.config_url(url[2:]) if url.startswith("./") else url
        for url in kernel.get("pipliteUrls", [])
    ]
    for kind in ("comlink", "coincident"):
        data[worker_url_key(kind)] = f"./{worker_shim(kind)}"
    return config
