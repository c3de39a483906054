"""Datasets + notebooks -> a JupyterLite site folder, written atomically.

The site is built in a sibling folder and swapped in at the end, so a failed
build leaves the previous site (or nothing) behind, never a half-written one;
a folder that is neither empty nor a minato-lite site is never replaced. The
cached base app is hard-linked in; the site adds its own files, contents
index, settings, Pyodide (when self-hosted) and its report as `index.html`.
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

from .. import __version__
from ..cache import link_or_copy
from ..errors import UserError
from ..log import Log
from ..pyodide.distribution import SITE_FOLDER, PyodideDistribution
from .app_cache import base_app, link_app, source_date_epoch
from .contents import SiteFiles
from .contents_index import write_contents_index
from .landing import report_page
from .settings import site_config

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


def write_site(
    out: Path,
    files: SiteFiles,
    *,
    title: str,
    pyodide: PyodideDistribution,
    marker: dict[str, Any],
    log: Log,
) -> Path:
    """Link the cached base app, add this site's files and settings, swap into `out`."""
    # storage is per site: its content and its folder name, so identical sibling sites
    # (a batch) stay apart while a same-content rebuild keeps the user's edits
    site_id = hashlib.sha256(f"{files.digest()}|{out.name}".encode()).hexdigest()[:16]
    app = base_app(log=log)
    with staged_output(out) as stage:
        link_app(app, stage, skip=frozenset({"jupyter-lite.json", "index.html"}))
        files.write(stage / "files")
        write_contents_index(stage / "files", stage / "api" / "contents", source_date_epoch())
        (stage / "jupyter-lite.json").write_text(
            json.dumps(site_config(app, site_id, pyodide, title), indent=2, sort_keys=True) + "\n",
            "utf-8",
        )
        if pyodide.selection is not None:
            log(f"adding {len(pyodide.selection.packages)} Pyodide packages for offline use")
        elif pyodide.is_local:
            log("adding the local Pyodide distribution")
        pyodide.place(stage / SITE_FOLDER)
        (stage / "index.html").write_text(report_page(title, files), "utf-8")
        if (app / "lab" / "favicon.ico").is_file():  # browsers ask for /favicon.ico first
            link_or_copy(app / "lab" / "favicon.ico", stage / "favicon.ico")
        (stage / SITE_MARKER).write_text(
            json.dumps(
                {**marker, "site_id": site_id, "minato_lite": __version__, "app": app.name},
                indent=2,
                sort_keys=True,
            )
            + "\n",
            "utf-8",
        )
    return out
