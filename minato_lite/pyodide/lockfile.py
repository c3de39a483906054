"""`pyodide-lock.json`: what a distribution's lockfile says, and what the kernel needs of it.

A distribution is only as good as its lockfile: every package it lists must be
there with the sha256 Pyodide checks on load, and the JupyterLite kernel needs
its own packages listed at versions whose API it imports. These are the rules,
read from the file and never assumed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import UserError

LOCKFILE = "pyodide-lock.json"
ENTRY_MODULE = "pyodide.mjs"
#: files of a distribution that a browser needs at run time, whatever its version
#: ships: 0.27 has `pyodide.asm.js`, 314 `pyodide.asm.mjs`; read, never assumed
RUNTIME_PATTERNS = (
    "pyodide.js",
    "pyodide.mjs",
    "pyodide.asm.*",
    "python_stdlib.zip",
    "package.json",
)
RUNTIME_EXCLUDED_SUFFIXES = (".map", ".ts")
#: the oldest micropip whose API the kernel's piplite (0.8.6) imports
MIN_MICROPIP = (0, 10)
#: what the Pyodide kernel loads or installs before the first cell runs:
#: micropip and packaging (piplite), ipython (the shell), jedi/parso (completion)
KERNEL_PACKAGES = ("micropip", "packaging", "ipython", "jedi", "parso")

Lock = Mapping[str, Any]


def runtime_file_names(folder: Path) -> list[str]:
    """The runtime files `folder` actually has (loader, asm module, wasm, stdlib)."""
    found = {
        p.name
        for pattern in RUNTIME_PATTERNS
        for p in folder.glob(pattern)
        if p.is_file() and not p.name.endswith(RUNTIME_EXCLUDED_SUFFIXES)
    }
    return sorted(found)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def kernel_problem(lock: Lock) -> str | None:
    """Why the JupyterLite kernel cannot start on a distribution with this lockfile, or None."""
    packages = lock.get("packages", {})
    missing = [name for name in KERNEL_PACKAGES if name not in packages]
    if missing:
        return f"the JupyterLite kernel needs {', '.join(missing)} in its lockfile"
    micropip = packages["micropip"].get("version", "0")
    if _version_tuple(micropip) < MIN_MICROPIP:
        need = ".".join(map(str, MIN_MICROPIP))
        return f"the JupyterLite kernel needs micropip >= {need}; this one has micropip {micropip}"
    return None


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: lockfile keys use it, `depends` lists often do not."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dependency_closure(packages: Mapping[str, Any], names: Iterable[str]) -> set[str]:
    """Every lockfile package `names` need, themselves included."""
    wanted: set[str] = set()
    stack = [canonical_name(n) for n in names]
    while stack:
        name = stack.pop()
        if name in wanted:
            continue
        if name not in packages:
            raise UserError(f"package {name!r} is not in the Pyodide lockfile")
        wanted.add(name)
        stack.extend(canonical_name(dep) for dep in packages[name].get("depends", []))
    return wanted


def read_lockfile(folder: Path) -> dict[str, Any]:
    lock_path = folder / LOCKFILE
    try:
        return json.loads(lock_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{lock_path} is not valid JSON: {exc}") from None


def lockfile_bytes(info: Mapping[str, Any], packages: Mapping[str, Any]) -> bytes:
    """A `pyodide-lock.json` listing exactly `packages` (sorted: the same input, the same bytes)."""
    lock = {"info": dict(info), "packages": dict(packages)}
    return (json.dumps(lock, indent=1, sort_keys=True) + "\n").encode("utf-8")


def write_lockfile(folder: Path, info: Mapping[str, Any], packages: Mapping[str, Any]) -> None:
    """`pyodide-lock.json` listing exactly the packages shipped in `folder`."""
    (folder / LOCKFILE).write_bytes(lockfile_bytes(info, packages))


def verify(path: Path) -> list[str]:
    """Problems with a distribution folder: missing core files, missing or altered wheels."""
    problems = [
        f"missing {name}" for name in (ENTRY_MODULE, LOCKFILE) if not (path / name).exists()
    ]
    if problems:
        return problems
    lock = json.loads((path / LOCKFILE).read_text(encoding="utf-8"))
    for name, entry in sorted(lock.get("packages", {}).items()):
        wheel = path / entry["file_name"]
        if not wheel.is_file():
            problems.append(f"{name}: {entry['file_name']} is missing")
        elif sha256_of(wheel) != entry.get("sha256"):
            problems.append(f"{name}: {entry['file_name']} does not match its sha256")
    return problems
