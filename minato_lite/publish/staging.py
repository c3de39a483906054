"""A site's whole tree, assembled in one folder: the one composition every output shares.

`stage_site` is the only place a site is put together. `build_site` (into a
folder, a bucket, or a deployment) and the `jupyter lite build` addon all call
it; they differ only in where the app comes from (`apps.AppSource`). What goes
in, in order: the app's files, the site's contents and their index, its
`jupyter-lite.json`, its Pyodide (when self-hosted), the report (`index.html`)
with its warm-up list and its live cells' config, and the marker that makes the
folder a minato-lite site.
Nothing here knows where the tree goes next: `targets` commits it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..log import Log
from ..pyodide.distribution import PyodideDistribution
from ..site.app_cache import source_date_epoch
from ..site.contents import SiteFiles
from ..site.contents_index import write_contents_index
from ..site.csp import APP_PAGES, content_security_policy, inline_scripts, with_policy
from ..site.landing import report_page
from ..site.live import LIVE_FILE, START_PACKAGES, live_config
from ..site.marker import SITE_MARKER
from ..site.settings import site_config
from ..site.warmup import WARMUP_FILE, site_warmup
from .apps import AppSource

ENTRY = "index.html"


@dataclass(frozen=True)
class SiteParts:
    """What is particular to one site: its files, title and Pyodide, and what its marker
    records of how it was built."""

    files: SiteFiles
    title: str
    pyodide: PyodideDistribution
    marker: Mapping[str, Any] = field(default_factory=dict)
    #: its analysis is being drawn and the site will be published again (the API's first phase)
    analysis_pending: bool = False


def site_id(files: SiteFiles, name: str) -> str:
    """The id behind a site's browser storage names: its content and its name, so identical
    sibling sites (a batch) stay apart while a same-content rebuild keeps the user's edits."""
    return hashlib.sha256(f"{files.digest()}|{name}".encode()).hexdigest()[:16]


def stage_site(stage: Path, parts: SiteParts, app: AppSource, *, name: str, log: Log) -> None:
    """Write the whole site into `stage` (empty, or the addon's output with its app in place).

    `name` (the folder's or the site's) keeps the browser storage of identical
    sibling sites apart.
    """
    app.place(stage, log=log)
    parts.files.write(stage / "files")
    write_contents_index(stage / "files", stage / "api" / "contents", source_date_epoch())
    config = site_config(app.root, site_id(parts.files, name), parts.pyodide, parts.title,
                         app.pyodide_url(parts.pyodide))  # fmt: skip
    app.adapt_config(config)
    _write_json(stage / "jupyter-lite.json", config, indent=2)
    app.place_pyodide(parts.pyodide, stage, log=log)
    (stage / WARMUP_FILE).write_bytes(
        site_warmup(app.root, parts.pyodide.loader_files(), app.bundle_url, app.assets_origin())
    )
    (stage / LIVE_FILE).write_bytes(live_config(
        parts.files, pyodide_url=app.pyodide_url(parts.pyodide),
        packages=[p for p in START_PACKAGES if parts.pyodide.has(p)], bundle_url=app.bundle_url,
    ))  # fmt: skip
    pages = {rel: (stage / rel).read_text("utf-8") for rel in APP_PAGES if (stage / rel).is_file()}
    policy = site_policy(parts, app, [s for page in pages.values() for s in inline_scripts(page)])
    page = report_page(parts.title, parts.files, analysis_pending=parts.analysis_pending,
                       policy=policy)  # fmt: skip
    (stage / ENTRY).write_text(page, "utf-8")
    for rel, text in pages.items():  # a new file: the app's may be a hard link to the cache
        (stage / rel).unlink()
        (stage / rel).write_text(with_policy(text, policy), "utf-8")
    own = {"site_id": site_id(parts.files, name), "minato_lite": __version__,
           "content_security_policy": policy, **app.marker()}  # fmt: skip
    _write_json(stage / SITE_MARKER, {**parts.marker, **own}, indent=2)


def site_policy(parts: SiteParts, app: AppSource, scripts: list[str]) -> str:
    """The site's Content-Security-Policy, as its pages carry it in a <meta> tag (and its
    marker, for the servers' headers): its origin, the deployment's assets origin, its
    Pyodide's origin, what it may also reach, and the hashes of its pages' inline scripts."""
    url = app.pyodide_url(parts.pyodide)
    return content_security_policy(
        assets=app.assets_origin(),
        pyodide=url if url.startswith(("http://", "https://")) else None,
        connect=list(parts.marker.get("allow_connect") or []),
        scripts=scripts,
        frame_ancestors=False,  # a <meta> policy cannot say it; the servers' headers do
    )


def _write_json(path: Path, value: Any, *, indent: int) -> None:
    path.write_text(json.dumps(value, indent=indent, sort_keys=True) + "\n", "utf-8")
