"""The JupyterLite base app, built once per configuration and reused by every site.

A plain `jupyter lite build` redoes the whole app (tens of MB) every time.
The app does not depend on a site's data or notebooks, only on the package
versions, `lite-config/`, the labextensions installed and the widget wheels,
so it is built once per hash of those, kept in the user cache, and each site
hard-links it (copies where links are not possible) and adds only its own
files. Builds of the same key wait on a file lock; a half-built app is never
visible because it is renamed into place when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from ..cache import cache_lock, cache_root, link_or_copy
from ..errors import EnvironmentProblem
from ..log import Log
from ..pyodide.assemble import fetch_wheel
from ..resources import pyodide_shell, resource_dir
from . import csp, warmup
from .csp import APP_PAGES, externalize_scripts
from .kernel_patch import (
    fingerprint,
    patch_kernel_bundle,
    patch_kernel_start,
    patch_worker_urls,
)
from .live import LIVE_MODULE, LIVE_WORKER, SHELL, VENDOR

#: the wheels the kernel needs for widgets; versions follow the build environment so the
#: kernel side matches the jupyterlab_widgets labextension the app is built with
WIDGET_DISTRIBUTIONS = ("ipywidgets", "comm", "jupyterlab_widgets")
VERSIONED = ("jupyterlite-core", "jupyterlite-pyodide-kernel", "minato-lite", *WIDGET_DISTRIBUTIONS)
#: fixed timestamps keep rebuilds byte-identical
DEFAULT_SOURCE_DATE_EPOCH = 1704067200  # 2024-01-01T00:00:00Z
CONFIG_FILES = ("jupyter_lite_config.json", "jupyter-lite.json", "overrides.json")
WEB_DIR = Path(__file__).resolve().parent / "web"
#: plain scripts the lab page loads first, by the name they take in the app:
#: what the kernel is doing (for the visitor), a fix for a kernel transport race, and
#: the linked notebook kept open when JupyterLab restores an earlier visit's layout
PAGE_SCRIPTS = {
    "minato-waitasync-fix.js": WEB_DIR / "waitasync-fix.js",
    "minato-status.js": WEB_DIR / "kernel-status.js",
    "minato-open-path.js": WEB_DIR / "open-path.js",
}
#: plain scripts the report (`index.html`) loads, deferred; it reads fully without them
REPORT_SCRIPTS = {
    "minato-warmup.js": WEB_DIR / "warmup.js",
}
#: the report's module scripts (its live cells), which it reads fully without too
REPORT_MODULES = {
    LIVE_MODULE: WEB_DIR / "live.js",
}
#: what the live cells load when a reader runs something: their worker, the cell runner
#: the sandbox also runs, and the vendored editor, sanitizer and Markdown renderer
LIVE_ASSETS = {
    LIVE_WORKER: WEB_DIR / "live-worker.js",
    SHELL: pyodide_shell(),
    **{path: WEB_DIR / "vendor" / path.rsplit("/", 1)[-1] for path in VENDOR.values()},
    # the vendored libraries' licences travel with them
    "minato-vendor/LICENSES.txt": WEB_DIR / "vendor" / "LICENSES.txt",
}
#: every file of ours the app carries for the report
WEB_ASSETS = {**REPORT_SCRIPTS, **REPORT_MODULES, **LIVE_ASSETS}


def source_date_epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH))


def _labextensions() -> list[str]:
    """Installed labextensions (name + package.json hash): they all go into the app."""
    root = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
    found = []
    for package_json in sorted(root.glob("**/package.json")):
        if package_json.parent.parent.name == "static":
            continue
        digest = hashlib.sha256(package_json.read_bytes()).hexdigest()[:16]
        found.append(f"{package_json.parent.relative_to(root).as_posix()}:{digest}")
    return found


def app_key() -> str:
    """Hash of everything the base app depends on."""
    facts = {
        "versions": {name: version(name) for name in VERSIONED},
        "config": {
            name: hashlib.sha256((resource_dir("lite-config") / name).read_bytes()).hexdigest()
            for name in CONFIG_FILES
        },
        "labextensions": _labextensions(),
        "page_scripts": {
            name: hashlib.sha256(path.read_bytes()).hexdigest()
            for name, path in {**PAGE_SCRIPTS, **WEB_ASSETS}.items()
        },
        # the warm-up list is derived from the built app by this module's code
        "warmup": hashlib.sha256(Path(warmup.__file__).read_bytes()).hexdigest(),
        # what finish_app does to a jupyter lite build: this module's and csp's code
        "finish": hashlib.sha256(
            Path(__file__).read_bytes() + Path(csp.__file__).read_bytes()
        ).hexdigest(),
        "kernel_patch": hashlib.sha256(fingerprint().encode()).hexdigest(),
        "source_date_epoch": source_date_epoch(),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:20]


def widget_wheels(*, log: Log) -> list[Path]:
    return [fetch_wheel(dist, version(dist), log=log) for dist in WIDGET_DISTRIBUTIONS]


def run_jupyter_lite_build(lite_dir: Path, output: Path, *, log: Log) -> None:
    """`jupyter lite build` of `lite_dir` into `output`, whose parent must be private.

    With a source date epoch set, jupyterlite-core 0.8.6 re-timestamps every
    file below the *parent* of its output folder (`maybe_timestamp(dest.parent)`
    walks it recursively), so `output` must never sit beside user files.
    """
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(source_date_epoch())}
    cmd = [
        sys.executable, "-m", "jupyterlite_core", "build",
        "--lite-dir", str(lite_dir),
        "--output-dir", str(output),
        "--source-date-epoch", env["SOURCE_DATE_EPOCH"],
        "--no-sourcemaps",
    ]  # fmt: skip
    if (lite_dir / "files").is_dir():
        cmd += ["--contents", str(lite_dir / "files")]
    log("building the JupyterLite app")
    result = subprocess.run(cmd, cwd=lite_dir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stdout + "\n" + result.stderr).strip().splitlines()
        errors = [line for line in lines if "Error" in line and "UserWarning" not in line]
        raise EnvironmentProblem(
            "jupyter lite build failed: " + (errors[-1] if errors else " | ".join(lines[-3:]))
        )


def prepare_lite_dir(lite_dir: Path, *, log: Log) -> None:
    """A lite dir with the project's config and the widget wheels, no contents."""
    for name in CONFIG_FILES:
        shutil.copy2(resource_dir("lite-config") / name, lite_dir / name)
    for wheel in widget_wheels(log=log):
        link_or_copy(wheel, lite_dir / "pypi" / wheel.name)


def build_app(target: Path, *, log: Log) -> None:
    """Build the base app into `target` (which must not exist), privately."""
    with tempfile.TemporaryDirectory(prefix="minato-lite-app-") as tmp:
        lite_dir = Path(tmp) / "lite"
        lite_dir.mkdir()
        prepare_lite_dir(lite_dir, log=log)
        output = Path(tmp) / "private" / "site"
        output.parent.mkdir()
        run_jupyter_lite_build(lite_dir, output, log=log)
        finish_app(output, log=log)
        shutil.move(str(output), str(target))


def finish_app(app: Path, *, log: Log) -> None:
    """What turns a `jupyter lite build` output into a minato app; idempotent.

    The page scripts, the kernel bundle's patches, the report's scripts and the
    warm-up list read from the lab page as patched. The cached app gets it once;
    the `jupyter lite build` addon gets it on its own output.
    """
    add_page_scripts(app)
    externalize_page_scripts(app)
    patch_kernel_bundle(app)
    patch_worker_urls(app)
    patch_kernel_start(app)
    for name, source in WEB_ASSETS.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, app / name)
    found = warmup.write_warmup(app)
    for problem in found.problems:
        log(f"warning: the report's warm-up skips part of the app: {problem}")


def add_page_scripts(app: Path) -> None:
    """Ship the page scripts and load them from the lab page before anything else.

    Idempotent: a page that already loads a script is not given a second tag.
    """
    page = app / "lab" / "index.html"
    html = page.read_text("utf-8")
    if html.count("<head>") != 1:
        raise EnvironmentProblem(f"{page} has no single <head> to add the page scripts to")
    tags = ""
    for name, source in PAGE_SCRIPTS.items():
        shutil.copyfile(source, app / name)
        if f'src="../{name}"' not in html:
            tags += f'\n    <script src="../{name}"></script>'
    page.write_text(html.replace("<head>", "<head>" + tags), "utf-8")


def externalize_page_scripts(app: Path) -> None:
    """The app's pages run no inline script: each moves to a file beside its page
    (`site.csp.externalize_scripts`), so the Content-Security-Policy needs no hashes."""
    for rel in APP_PAGES:
        page = app / rel
        if not page.is_file():
            continue
        html, files = externalize_scripts(page.read_text("utf-8"))
        for name, body in files.items():
            (page.parent / name).write_text(body, "utf-8")
        if files:  # a new file: the page may be a hard link to an installed one
            page.unlink()
            page.write_text(html, "utf-8")


def base_app(*, log: Log) -> Path:
    """The cached base app for this configuration, built on first use."""
    apps = cache_root() / "apps"
    key = app_key()
    target = apps / key
    if (target / "jupyter-lite.json").is_file():
        return target
    with cache_lock(apps / f"{key}.lock"):
        if (target / "jupyter-lite.json").is_file():  # another build made it meanwhile
            return target
        staging = Path(tempfile.mkdtemp(dir=apps, prefix=f".{key}-"))
        try:
            build_app(staging / "app", log=log)
            os.replace(staging / "app", target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log(f"cached the JupyterLite app ({key})")
    return target


def link_app(app: Path, stage: Path, skip: frozenset[str]) -> None:
    """Hard-link every file of the base app into `stage`, except those named in `skip`."""
    for src in app.rglob("*"):
        rel = src.relative_to(app)
        if src.is_dir() or rel.as_posix() in skip:
            continue
        link_or_copy(src, stage / rel)
