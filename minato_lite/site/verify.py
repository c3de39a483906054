"""`minato-lite check SITE`: is a built site complete and consistent?

Every file the config and the lockfiles reference exists, wheels match their
sha256, the contents index and the files agree, the datasets the catalog
names are there, and an offline site names no absolute external URL. Returns
a list of problems; an empty list means the site is sound. Usable in CI.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jupyterlite_pyodide_kernel.constants import PYODIDE_KERNEL_PLUGIN_ID

from ..errors import UserError
from ..pyodide.lockfile import sha256_of, verify
from .marker import SITE_MARKER

EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def _strings(value: Any, where: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value


def _local(site: Path, url: str) -> Path:
    """The file a relative URL in the site's config names (a deployment's reach `../_shared/`)."""
    return Path(os.path.normpath(site / urlsplit(url).path))


def _check_shared(site: Path, data: dict[str, Any]) -> list[str]:
    """A site of a deployment: the shared folders and worker scripts it names are there."""
    problems = []
    for key in ("fullStaticUrl", "fullLabextensionsUrl"):
        url = data.get(key, "")
        if url and not EXTERNAL.match(url) and not _local(site, url).is_dir():
            problems.append(f"{key} {url} is missing")
    for key, url in sorted(data.items()):
        if key.startswith("minato") and key.endswith("WorkerUrl"):
            shim = _local(site, url)
            if not shim.is_file():
                problems.append(f"{key} {url} is missing")
                continue
            for target in re.findall(r'import "([^"]+)"', shim.read_text("utf-8")):
                if not _local(shim.parent, target).is_file():
                    problems.append(f"{url} imports {target}, which is missing")
    return problems


def _check_piplite(site: Path, url: str) -> list[str]:
    index_path = _local(site, url)
    if not index_path.is_file():
        return [f"wheel index {url} is missing"]
    problems = []
    for name, project in json.loads(index_path.read_text("utf-8")).items():
        for release in project["releases"].values():
            for wheel in release:
                path = index_path.parent / urlsplit(wheel["url"]).path
                if not path.is_file():
                    problems.append(f"wheel {wheel['filename']} ({name}) is missing")
                elif sha256_of(path) != wheel["digests"]["sha256"]:
                    problems.append(f"wheel {wheel['filename']} does not match its sha256")
    return problems


def _check_contents(site: Path) -> list[str]:
    files, api = site / "files", site / "api" / "contents"
    listed, problems = set(), []
    for index in sorted(api.rglob("all.json")):
        for entry in json.loads(index.read_text("utf-8"))["content"]:
            if entry["type"] == "directory":
                continue
            listed.add(entry["path"])
            path = files / entry["path"]
            if not path.is_file():
                problems.append(f"files/{entry['path']} is in the contents index but missing")
            elif entry["size"] is not None and path.stat().st_size != entry["size"]:
                problems.append(f"files/{entry['path']} differs from the contents index (size)")
    for path in sorted(p for p in files.rglob("*") if p.is_file()):
        rel = path.relative_to(files).as_posix()
        if rel not in listed:
            problems.append(f"files/{rel} is not in the contents index")
    catalog = files / "data" / "catalog.json"
    if catalog.is_file():
        for dataset in json.loads(catalog.read_text("utf-8"))["datasets"]:
            if not (files / "data" / dataset["file"]).is_file():
                problems.append(f"dataset {dataset['name']}: data/{dataset['file']} is missing")
    return problems


def pyodide_folder(site: Path) -> Path | None:
    """The folder of the Pyodide a built site loads, when it ships one (itself or shared)."""
    try:
        config = json.loads((site / "jupyter-lite.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    data = config.get("jupyter-config-data", {})
    url = data.get("litePluginSettings", {}).get(PYODIDE_KERNEL_PLUGIN_ID, {}).get("pyodideUrl")
    if not url or EXTERNAL.match(url):
        return None
    folder = _local(site, url).parent
    return folder if folder.is_dir() else None


def verify_site(site: Path) -> list[str]:
    """Problems with a built site, one line each."""
    site = site.expanduser()
    marker_path = site / SITE_MARKER
    if not marker_path.is_file():
        raise UserError(f"{site}: not a minato-lite site (no {SITE_MARKER})")
    marker = json.loads(marker_path.read_text("utf-8"))
    problems = [f"{name} is missing" for name in ("index.html", "jupyter-lite.json")
                if not (site / name).is_file()]  # fmt: skip
    if problems:
        return problems
    config = json.loads((site / "jupyter-lite.json").read_text("utf-8"))
    data = config.get("jupyter-config-data", {})
    kernel = data.get("litePluginSettings", {}).get(PYODIDE_KERNEL_PLUGIN_ID, {})
    url = kernel.get("pyodideUrl", "")
    if url and not EXTERNAL.match(url):
        dist = _local(site, url).parent
        problems += [f"{os.path.relpath(dist, site)}: {p}" for p in verify(dist)]
        lock = dist / "pyodide-lock.json"
        if lock.is_file():
            for name, entry in json.loads(lock.read_text("utf-8"))["packages"].items():
                if EXTERNAL.match(entry["file_name"]):
                    problems.append(
                        f"pyodide-lock.json: {name} is fetched from {entry['file_name']}"
                    )
    for index_url in kernel.get("pipliteUrls", []):
        if not EXTERNAL.match(index_url):
            problems += _check_piplite(site, index_url)
    problems += _check_shared(site, data)
    for notebook in marker.get("notebooks", []):
        if not (site / "files" / notebook).is_file():
            problems.append(f"notebook files/{notebook} is missing")
    problems += _check_contents(site)
    if marker.get("offline"):
        problems += [
            f"offline site names an external URL: {where} = {value}"
            for where, value in _strings(config)
            if EXTERNAL.match(value)
        ]
        if not kernel.get("disablePyPIFallback"):
            problems.append("offline site lets piplite fall back to PyPI (disablePyPIFallback)")
    return problems
