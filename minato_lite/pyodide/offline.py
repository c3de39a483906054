"""What an offline site must carry: the Pyodide packages its code imports, and nothing else.

Imports are found by parsing code (never running it): the generated notebooks,
the user's code, the runtime helper. Each import is mapped to a lockfile
package through the lockfile's own `imports` lists, the dependency closure is
taken, and only those wheels are shipped, with a lockfile listing only them.
Pure-Python requirements from PyPI (`--requirements`) are added to that
lockfile too, so `import name` in a cell loads them like any Pyodide package.
"""

from __future__ import annotations

import ast
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jupyterlite_pyodide_kernel.constants import PYODIDE_PYTHON_VERSION

from ..cache import cache_root
from ..errors import UserError
from .distribution import ExtraWheel, PyodideDistribution, Selection
from .lockfile import KERNEL_PACKAGES, canonical_name, dependency_closure, sha256_of

#: shipped by the site itself (runtime folder, piplite wheels), not by Pyodide
SITE_MODULES = frozenset(
    {"minato", "ipywidgets", "comm", "jupyterlab_widgets", "widgetsnbextension", "ipykernel",
     "pyodide_kernel", "piplite", "pyodide", "pyodide_js", "js", "micropip", "_pyodide"}
)  # fmt: skip
#: the runtime helper's optional import: shipped when the distribution has it
RUNTIME_PACKAGES = ("pandas",)
_IMPORT_LINE = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_][\w]*)", re.M)


def code_imports(source: str) -> set[str]:
    """Top-level module names `source` imports; a regex fallback when it does not parse."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    text = "\n".join(lines)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set(_IMPORT_LINE.findall(text))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def import_index(lock_packages: Mapping[str, Any]) -> dict[str, str]:
    return {module: name for name, entry in lock_packages.items() for module in entry["imports"]}


def plan(
    dist: PyodideDistribution,
    *,
    generated: Iterable[str],
    user_code: Iterable[str],
    packages: Iterable[str] = (),
    extra: Iterable[ExtraWheel] = (),
) -> Selection:
    """Decide what to ship. User imports that nothing provides are a build error."""
    lock = dist.lock["packages"]
    index = import_index(lock)
    for wheel in extra:
        for module in wheel.entry["imports"]:
            index.setdefault(module, wheel.entry["name"])
    stdlib = set(sys.stdlib_module_names)
    extra_names = {canonical_name(w.entry["name"]) for w in extra}

    def resolve(modules: set[str]) -> tuple[set[str], set[str]]:
        names, missing = set(), set()
        for module in modules - SITE_MODULES:
            if module in index:
                names.add(canonical_name(index[module]))
            elif module not in stdlib:
                missing.add(module)
        return names, missing

    wanted = set(KERNEL_PACKAGES) | {p for p in RUNTIME_PACKAGES if dist.has(p)}
    generated_names, _ = resolve(set().union(*map(code_imports, generated)))
    wanted |= generated_names  # generated notebooks need a full release for pandas; not an error
    user_names, missing = resolve(set().union(*map(code_imports, user_code)))
    if missing:
        raise UserError(
            f"your code imports {', '.join(sorted(missing))}, which this Pyodide distribution "
            "does not have; add pure-Python packages with --requirements FILE, or use a full "
            "Pyodide release with --pyodide"
        )
    wanted |= user_names
    for name in packages:
        if canonical_name(name) not in lock and canonical_name(name) not in extra_names:
            raise UserError(f"--packages {name}: not in this Pyodide distribution's lockfile")
        wanted.add(canonical_name(name))
    wanted = {w for w in wanted if w in lock or w in extra_names}
    closure = dependency_closure(lock, [w for w in wanted if w in lock])
    return Selection(packages=frozenset(closure | extra_names), extra=tuple(extra))


def _wheel_imports(path: Path) -> list[str]:
    """Top-level importable names of a wheel, from top_level.txt or its file list."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        top = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        if top:
            listed = archive.read(top[0]).decode("utf-8").split()
            if listed:
                return sorted(set(listed))
    modules = set()
    for name in names:
        first = name.split("/")[0]
        if first.endswith((".dist-info", ".data")):
            continue
        modules.add(first[:-3] if first.endswith(".py") else first)
    return sorted(modules)


def fetch_requirements(requirements: Path) -> list[ExtraWheel]:
    """Download the pure-Python wheels a requirements file names (no dependencies)."""
    if not requirements.is_file():
        raise UserError(f"{requirements}: no such requirements file")
    lines = [
        line.split("#")[0].strip() for line in requirements.read_text(encoding="utf-8").splitlines()
    ]
    specs = [line for line in lines if line]
    if not specs:
        return []
    key = hashlib.sha256("\n".join(sorted(specs)).encode()).hexdigest()[:16]
    folder = cache_root() / "requirements" / key
    if not folder.is_dir() or not any(folder.glob("*.whl")):
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
            result = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--only-binary=:all:", "--python-version", PYODIDE_PYTHON_VERSION,
                 "--platform", "any", "--implementation", "py", "--dest", tmp, *specs],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                detail = (result.stderr or result.stdout).strip().splitlines()
                reason = next((d for d in detail if "ERROR" in d), detail[-1] if detail else "")
                raise UserError(
                    f"{requirements}: cannot get a pure-Python wheel for every requirement "
                    f"({reason.removeprefix('ERROR: ')})"
                )
            if not folder.exists():  # a concurrent build may have fetched the same set
                Path(tmp).rename(folder)
                Path(tmp).mkdir()  # for TemporaryDirectory's cleanup
    wheels = []
    for path in sorted(folder.glob("*.whl")):
        name, version = path.name.split("-")[:2]
        wheels.append(
            ExtraWheel(
                path=path,
                entry={
                    "name": canonical_name(name),
                    "version": version,
                    "file_name": path.name,
                    "install_dir": "site",
                    "sha256": sha256_of(path),
                    "package_type": "package",
                    "imports": _wheel_imports(path),
                    "depends": [],
                },
            )
        )
    return wheels
