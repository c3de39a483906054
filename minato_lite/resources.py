"""Locate the folders that ship with the package.

The repository keeps `notebooks/`, `lite-config/` and `content/` at the top
level (the project card fixes that layout); a built wheel carries them inside
the package. This module hides the difference from the rest of the code.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent

_LOCATIONS = {
    "notebooks": ("_templates", "notebooks"),
    "lite-config": ("_lite_config", "lite-config"),
    "content": ("_content", "content"),
}


def resource_dir(kind: str) -> Path:
    """Return the folder for `kind` (one of notebooks, lite-config, content)."""
    installed, in_repo = _LOCATIONS[kind]
    for candidate in (PACKAGE_DIR / installed, REPO_DIR / in_repo):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"minato-lite is missing its {kind!r} folder; reinstall the package")


def runtime_dir() -> Path:
    """The source of the in-kernel `minato` package that every site ships."""
    return PACKAGE_DIR / "runtime" / "minato"


def pyodide_shell() -> Path:
    """The cell runner that runs inside Pyodide: in the sandbox's Deno worker and in the
    report's live-cell worker (one runner, so both show the same outputs)."""
    return PACKAGE_DIR / "runtime" / "pyodide_shell.py"
