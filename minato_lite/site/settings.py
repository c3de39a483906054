"""A site's `jupyter-lite.json`: the base app's, plus the kernel settings that preload the data.

The Pyodide kernel reads `loadPyodideOptions` when it starts: `PYTHONSTARTUP`
points at the site's startup file, so `minato`, `df` and `frames` exist before
the first cell, and the packages listed load in one batch while Pyodide boots.
Each site also gets its own browser storage names, so a rebuilt or sibling
site never shows another's stale files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyterlite_pyodide_kernel.constants import PYODIDE_KERNEL_PLUGIN_ID

from ..pyodide.distribution import PyodideDistribution
from ..pyodide.lockfile import KERNEL_PACKAGES
from ..pyodide.offline import RUNTIME_PACKAGES
from .contents import STARTUP_PATH

#: what the kernel imports before the first cell: micropip and packaging (piplite), ipython
START_PACKAGES = tuple(p for p in KERNEL_PACKAGES if p not in ("jedi", "parso"))


def kernel_settings(pyodide: PyodideDistribution, pyodide_url: str | None = None) -> dict[str, Any]:
    """Settings of the Pyodide kernel: where Pyodide is, what loads before the first cell.

    `pyodide_url` replaces the distribution's own URL in the site (a deployment's shared copy).
    """
    options: dict[str, Any] = {"env": {"PYTHONSTARTUP": STARTUP_PATH}}
    # one parallel batch while Pyodide boots, instead of the kernel's later one-by-one
    # loads (micropip, then ipython and its closure): those become no-ops. Not jedi: the
    # kernel's patched start leaves it to the first completion (`kernel_patch`)
    preload = [p for p in (*START_PACKAGES, *RUNTIME_PACKAGES) if pyodide.has(p)]
    if preload:
        options["packages"] = preload
    url = pyodide_url or pyodide.kernel_url
    settings: dict[str, Any] = {"pyodideUrl": url, "loadPyodideOptions": options}
    if pyodide.is_local:
        settings["disablePyPIFallback"] = True
    return settings


def storage_names(site_id: str) -> dict[str, str]:
    """Per-site browser storage: a rebuilt or sibling site never shows another's stale files."""
    keys = ("contentsStorageName", "settingsStorageName", "workspacesStorageName")
    return dict.fromkeys(keys, f"minato-lite-{site_id}")


def site_config(
    app: Path,
    site_id: str,
    pyodide: PyodideDistribution,
    title: str,
    pyodide_url: str | None = None,
) -> dict[str, Any]:
    """The site's `jupyter-lite.json`: the base app's, plus what is specific to this site."""
    config = json.loads((app / "jupyter-lite.json").read_text("utf-8"))
    data = config.setdefault("jupyter-config-data", {})
    data.update(storage_names(site_id))
    data["appName"] = f"{title} · minato-lite"
    data["contentsAllJsonFile"] = "all.json"
    plugins = data.setdefault("litePluginSettings", {})
    plugins.setdefault(PYODIDE_KERNEL_PLUGIN_ID, {}).update(kernel_settings(pyodide, pyodide_url))
    return config
