"""Datasets + notebooks -> a JupyterLite site folder, written atomically.

The site is built in a sibling folder and swapped in at the end, so a failed
build leaves the previous site (or nothing) behind, never a half-written one.
Contents are laid out as the kernel will see them under `/drive`:

    analysis.ipynb, code.ipynb   generated notebooks
    data/<name>.csv              datasets, data/manifest.json their schema
    minato/                      the in-kernel helper package and its startup
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyterlite_pyodide_kernel.constants import PYODIDE_CDN_URL, PYODIDE_KERNEL_PLUGIN_ID

from . import __version__
from .app_cache import base_app, link_app, source_date_epoch
from .contents_index import write_contents_index
from .errors import UserError
from .markup import html_text
from .offline import RUNTIME_PACKAGES, PackagePlan
from .pyodide_dist import (
    KERNEL_PACKAGES,
    Distribution,
    link_or_copy,
    resolve_local,
    write_pruned,
)
from .resources import resource_dir, runtime_dir

CDN_PYODIDE_URL = f"{PYODIDE_CDN_URL}/pyodide.mjs"
LOCAL_PYODIDE_URL = "./static/pyodide/pyodide.mjs"
SITE_MARKER = "minato-site.json"
#: the kernel startup, as a path in the site's contents and as the browser kernel sees it
STARTUP_FILE = "minato/startup.py"
STARTUP_PATH = f"/drive/{STARTUP_FILE}"
#: the parts of a site's contents the in-kernel runtime reads: the data and `minato`
RUNTIME_PREFIXES = ("data/", "minato/")

Log = Callable[[str], None]


@dataclass(frozen=True)
class PyodideChoice:
    """Where the kernel gets Pyodide: a URL (CDN or other) or a local distribution."""

    url: str
    local: Distribution | None = None
    #: for --offline: only these packages are shipped
    plan: PackagePlan | None = None

    @property
    def offline(self) -> bool:
        return self.local is not None

    def has_package(self, name: str) -> bool:
        if self.plan is not None:
            return self.plan.has(name)
        # a remote distribution is assumed to be a full release (the CDN is)
        return self.local.has(name) if self.local else True


def choose_pyodide(pyodide: str | Path | None, *, log: Log) -> PyodideChoice:
    if pyodide is None:
        return PyodideChoice(url=CDN_PYODIDE_URL)
    text = str(pyodide)
    if text.startswith(("https://", "http://")):
        url = text if text.endswith(".mjs") else text.rstrip("/") + "/pyodide.mjs"
        return PyodideChoice(url=url)
    return PyodideChoice(url=LOCAL_PYODIDE_URL, local=resolve_local(text, log=log))


@dataclass
class SiteFiles:
    """Everything specific to one site, as relative path -> bytes, before it is written."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, path: str, content: str | bytes) -> None:
        self.files[path] = content.encode("utf-8") if isinstance(content, str) else content

    def digest(self) -> str:
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.encode() + b"\0" + hashlib.sha256(self.files[path]).digest())
        return h.hexdigest()

    def write(self, root: Path) -> None:
        for rel, content in sorted(self.files.items()):
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def runtime_files() -> dict[str, bytes]:
    """The `minato` package as it sits in the contents: source files only."""
    root = runtime_dir()
    return {
        f"minato/{p.relative_to(root).as_posix()}": p.read_bytes()
        for p in sorted(root.rglob("*.py"))
    }


def shipped_content() -> dict[str, bytes]:
    """Files from `content/` that every site carries (the welcome README)."""
    root = resource_dir("content")
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def kernel_settings(choice: PyodideChoice) -> dict[str, Any]:
    """Settings of the Pyodide kernel: where Pyodide is, what loads before the first cell."""
    options: dict[str, Any] = {"env": {"PYTHONSTARTUP": STARTUP_PATH}}
    # one parallel batch while Pyodide boots, instead of the kernel's later one-by-one
    # loads (micropip, then ipython and its closure, then jedi): those become no-ops
    preload = [p for p in (*KERNEL_PACKAGES, *RUNTIME_PACKAGES) if choice.has_package(p)]
    if preload:
        options["packages"] = preload
    settings: dict[str, Any] = {"pyodideUrl": choice.url, "loadPyodideOptions": options}
    if choice.offline:
        settings["disablePyPIFallback"] = True
    return settings


def landing_page(title: str, notebook: str) -> str:
    """`index.html`: opens the analysis notebook directly, with a plain link as fallback.

    JupyterLite's config loader fetches the root `index.html` and reads its
    `jupyter-config-data` script, so the page must carry one (empty is fine).
    """
    target = f"./lab/index.html?path={notebook}"
    safe_title = html_text(title)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{safe_title}</title>
<link rel="icon" href="./lab/favicon.ico">
<meta http-equiv="refresh" content="0; url={target}">
<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">{{}}</script>
</head>
<body>
<p>Opening <a href="{target}">{safe_title}</a> in JupyterLite&hellip;</p>
</body>
</html>
"""


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


def storage_names(site_id: str) -> dict[str, str]:
    """Per-site browser storage: a rebuilt or sibling site never shows another's stale files."""
    keys = ("contentsStorageName", "settingsStorageName", "workspacesStorageName")
    return dict.fromkeys(keys, f"minato-lite-{site_id}")


def site_config(app: Path, site_id: str, choice: PyodideChoice, title: str) -> dict[str, Any]:
    """The site's `jupyter-lite.json`: the base app's, plus what is specific to this site."""
    config = json.loads((app / "jupyter-lite.json").read_text("utf-8"))
    data = config.setdefault("jupyter-config-data", {})
    data.update(storage_names(site_id))
    data["appName"] = f"{title} · minato-lite"
    data["contentsAllJsonFile"] = "all.json"
    plugins = data.setdefault("litePluginSettings", {})
    plugins.setdefault(PYODIDE_KERNEL_PLUGIN_ID, {}).update(kernel_settings(choice))
    return config


def write_site(
    out: Path,
    files: SiteFiles,
    *,
    title: str,
    landing_notebook: str,
    choice: PyodideChoice,
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
            json.dumps(site_config(app, site_id, choice, title), indent=2, sort_keys=True) + "\n",
            "utf-8",
        )
        if choice.plan is not None:
            log(f"adding {len(choice.plan.packages)} Pyodide packages for offline use")
            write_pruned(
                choice.local, stage / "static" / "pyodide", choice.plan.packages, choice.plan.extra
            )
        elif choice.local is not None:
            log("adding the local Pyodide distribution")
            copy_distribution(choice.local, stage / "static" / "pyodide")
        (stage / "index.html").write_text(landing_page(title, landing_notebook), "utf-8")
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


def copy_distribution(dist: Distribution, target: Path) -> None:
    """Hard-link (or copy) a distribution's runtime files; source maps are left out."""
    for src in sorted(dist.path.rglob("*")):
        if src.is_file() and not src.name.endswith(".map"):
            link_or_copy(src, target / src.relative_to(dist.path))
