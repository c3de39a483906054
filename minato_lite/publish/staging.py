"""Datasets + notebooks -> a JupyterLite site folder, written atomically.

`stage_site` writes a whole site into a folder: self-contained (the cached
base app hard-linked in, Pyodide under `static/pyodide/`) or, for a site of a
deployment, only what is its own, pointing at the shared app and Pyodide
(`site.layout`); either way its report is `index.html`. `write_site` makes a
self-contained site at a path: built in a sibling folder and swapped in at the
end, so a failed build leaves the previous site (or nothing) behind, never a
half-written one; a folder that is neither empty nor a minato-lite site is
never replaced. Where sites of a deployment go, and in which order, is
`site.deployment`'s business.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyterlite_pyodide_kernel.constants import PYODIDE_KERNEL_PLUGIN_ID

from .. import __version__
from ..cache import link_or_copy
from ..errors import UserError
from ..log import Log
from ..pyodide.distribution import SITE_FOLDER, PyodideDistribution
from .app_cache import base_app, link_app, source_date_epoch
from .contents import SiteFiles
from .contents_index import write_contents_index
from .landing import report_page
from .layout import SharedLinks, share_config, site_app_files
from .settings import site_config
from .warmup import WARMUP_FILE, site_warmup

SITE_MARKER = "minato-site.json"


def check_output_folder(out: Path) -> Path:
    """`out` as an absolute path, if a site may be written there; checked before any work."""
    out = out.expanduser().absolute()
    if out.exists():
        if not out.is_dir():
            raise UserError(f"{out} exists and is not a folder")
        if any(out.iterdir()) and not (out / SITE_MARKER).is_file():
            raise UserError(f"{out} is not empty and is not a minato-lite site; choose another -o")
    return out


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Yield an empty folder beside `out`; on success it replaces `out` in one rename.

    Refuses to replace a folder that is neither empty nor a minato-lite site, so
    a typo in `-o` can never wipe unrelated files.
    """
    out = check_output_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        yield stage
        os.chmod(stage, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
            os.replace(out, old / "site")
            os.replace(stage, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def stage_site(
    stage: Path,
    files: SiteFiles,
    *,
    title: str,
    pyodide: PyodideDistribution,
    marker: dict[str, Any],
    name: str,
    log: Log,
    links: SharedLinks | None = None,
) -> None:
    """Write a whole site into the empty folder `stage`.

    Without `links`, self-contained: the base app hard-linked in, Pyodide (when
    self-hosted) under `static/pyodide/`. With `links`, a site of a deployment:
    only its own files, its pages and config pointing at the shared app and
    Pyodide (`site.layout`). `name` (the folder's or the site's) keeps the
    browser storage of identical sibling sites apart.
    """
    # storage is per site: its content and its name, so identical sibling sites
    # (a batch) stay apart while a same-content rebuild keeps the user's edits
    site_id = hashlib.sha256(f"{files.digest()}|{name}".encode()).hexdigest()[:16]
    app = base_app(log=log)
    if links is None:
        link_app(app, stage, skip=frozenset({"jupyter-lite.json", "index.html", WARMUP_FILE}))
    else:
        for rel, source in site_app_files(app, links).items():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, bytes):
                (stage / rel).write_bytes(source)
            else:
                link_or_copy(source, stage / rel)
    files.write(stage / "files")
    write_contents_index(stage / "files", stage / "api" / "contents", source_date_epoch())
    pyodide_url = links.pyodide_url if links is not None else None
    config = site_config(app, site_id, pyodide, title, pyodide_url)
    if links is not None:
        share_config(config, links, PYODIDE_KERNEL_PLUGIN_ID)
    (stage / "jupyter-lite.json").write_text(
        json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8"
    )
    if links is None:
        if pyodide.selection is not None:
            log(f"adding {len(pyodide.selection.packages)} Pyodide packages for offline use")
        elif pyodide.is_local:
            log("adding the local Pyodide distribution")
        pyodide.place(stage / SITE_FOLDER)
    (stage / WARMUP_FILE).write_bytes(
        site_warmup(app, pyodide.loader_files(), links.bundle_url if links is not None else None)
    )
    (stage / "index.html").write_text(report_page(title, files), "utf-8")
    if links is None and (app / "lab" / "favicon.ico").is_file():
        # browsers ask for /favicon.ico first
        link_or_copy(app / "lab" / "favicon.ico", stage / "favicon.ico")
    own: dict[str, Any] = {"site_id": site_id, "minato_lite": __version__, "app": app.name}
    if links is not None:
        own["shared"] = [s.name for s in (links.app, links.pyodide) if s is not None]
        if links.pyodide_url:
            own["pyodide_url"] = links.pyodide_url
    (stage / SITE_MARKER).write_text(
        json.dumps({**marker, **own}, indent=2, sort_keys=True) + "\n", "utf-8"
    )


def write_site(
    out: Path,
    files: SiteFiles,
    *,
    title: str,
    pyodide: PyodideDistribution,
    marker: dict[str, Any],
    log: Log,
) -> Path:
    """A self-contained site at `out`: the cached base app linked in, swapped in at once."""
    with staged_output(out) as stage:
        stage_site(stage, files, title=title,
                   pyodide=pyodide, marker=marker, name=out.name, log=log)  # fmt: skip
    return out
