"""Assemble a Pyodide distribution from the package registries, and cache the defaults.

The binary wheels (numpy, pandas, ...) for the kernel's Pyodide ABI are only
in the official release tarball, so `assemble` builds the largest distribution
the registries allow: the npm `pyodide` core plus the pure-Python wheels the
kernel itself imports, downloaded from PyPI at the lockfile's versions. The
standard library and those wheels are then compiled to bytecode by that
Pyodide itself (`bytecode`), so a kernel start compiles nothing from source.
Downloads are cached by name and version; a distribution is staged beside its
target, verified, and renamed into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyterlite_pyodide_kernel.constants import PYODIDE_PYTHON_VERSION, PYODIDE_VERSION

from ..cache import cache_lock, cache_root, link_or_copy
from ..errors import EnvironmentProblem, UserError
from ..log import Log, quiet
from . import bytecode as bytecode_
from .distribution import PyodideDistribution
from .lockfile import (
    ENTRY_MODULE,
    KERNEL_PACKAGES,
    LOCKFILE,
    canonical_name,
    dependency_closure,
    runtime_file_names,
    sha256_of,
    verify,
    write_lockfile,
)
from .untar import extract_all


def _run(cmd: list[str], what: str) -> None:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise EnvironmentProblem(f"{what}: '{cmd[0]}' is not installed") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise EnvironmentProblem(f"{what} failed: {detail[0]}")


def fetch_core(version: str = PYODIDE_VERSION, *, log: Log = quiet) -> Path:
    """The npm `pyodide` package for `version`, unpacked in the cache."""
    target = cache_root() / "npm" / f"pyodide-{version}"
    if (target / ENTRY_MODULE).is_file():
        return target
    log(f"downloading the Pyodide {version} core runtime (npm package 'pyodide')")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        _run(
            ["npm", "pack", f"pyodide@{version}", "--pack-destination", tmp, "--silent"],
            "npm pack pyodide",
        )
        tarballs = list(Path(tmp).glob("pyodide-*.tgz"))
        if not tarballs:
            raise EnvironmentProblem("npm pack pyodide produced no archive")
        with tarfile.open(tarballs[0]) as archive:
            extract_all(archive, Path(tmp))
        try:
            os.replace(Path(tmp) / "package", target)
        except OSError:
            if not (target / ENTRY_MODULE).is_file():  # not another process winning the race
                raise
    return target


def fetch_wheel(name: str, version: str, *, log: Log = quiet) -> Path:
    """A pure-Python wheel from PyPI, cached by name and version."""
    folder = cache_root() / "wheels" / canonical_name(name) / version
    found = sorted(folder.glob("*.whl")) if folder.exists() else []
    if found:
        return found[0]
    log(f"downloading {name}=={version}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                PYODIDE_PYTHON_VERSION,
                "--dest",
                tmp,
                f"{name}=={version}",
            ],
            f"pip download {name}=={version}",
        )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            raise EnvironmentProblem(f"pip download {name}=={version} gave no wheel")
        try:
            os.replace(tmp, folder)
            os.mkdir(tmp)  # let TemporaryDirectory clean up an empty folder
        except OSError:
            if not any(folder.glob("*.whl")):  # not another process winning the race
                raise
    return sorted(folder.glob("*.whl"))[0]


def assemble(
    out: Path,
    *,
    extra_packages: Iterable[str] = (),
    sourcemaps: bool = False,
    bytecode: bool = True,
    log: Log = quiet,
) -> PyodideDistribution:
    """Build an offline distribution: core runtime + the kernel's pure-Python wheels.

    The lockfile written lists only what is shipped, each with the sha256 of
    the file actually shipped (PyPI's files differ from Pyodide's repackaged
    ones, and Pyodide refuses a mismatch). With `bytecode` (the default) the
    standard library and the start-up wheels are compiled (`bytecode`), which
    renames those wheels.
    """
    core = fetch_core(log=log)
    lock = json.loads((core / LOCKFILE).read_text(encoding="utf-8"))
    packages = lock["packages"]
    wanted = dependency_closure(packages, [*KERNEL_PACKAGES, *extra_packages])
    binary = sorted(n for n in wanted if not packages[n]["file_name"].endswith("-none-any.whl"))
    if binary:
        raise UserError(
            f"cannot assemble binary packages {', '.join(binary)}: they exist only in the "
            "official Pyodide release; pass that with --pyodide instead"
        )

    out = out.expanduser().resolve()
    with staged_distribution(out, "assembled distribution") as staging:
        for name in runtime_file_names(core):
            link_or_copy(core / name, staging / name)
        if sourcemaps:
            for mapfile in core.glob("*.map"):
                link_or_copy(mapfile, staging / mapfile.name)
        shipped = {}
        for name in sorted(wanted):
            entry = dict(packages[name])
            wheel = fetch_wheel(entry["name"], entry["version"], log=log)
            link_or_copy(wheel, staging / entry["file_name"])
            entry["sha256"] = sha256_of(wheel)
            shipped[name] = entry
        write_lockfile(staging, lock["info"], shipped)
        if bytecode:
            bytecode_.compile_distribution(staging, log=log)
    log(f"assembled Pyodide {PYODIDE_VERSION} with {len(shipped)} packages in {out}")
    return PyodideDistribution.open(out)


@contextmanager
def staged_distribution(out: Path, what: str) -> Iterator[Path]:
    """A private folder beside `out` to fill; verified and renamed to `out` on success.

    `out` must be new or empty; a failure leaves nothing behind.
    """
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} exists and is not empty; choose a new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.staging-"))
    try:
        yield staging
        problems = verify(staging)
        if problems:
            raise EnvironmentProblem(f"{what} is inconsistent: {problems[0]}")
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def cached_distribution(
    target: Path, build: Callable[[Path], PyodideDistribution]
) -> PyodideDistribution:
    """The distribution at `target` in the cache, built by `build` once across processes."""
    with cache_lock(target.parent / f"{target.name}.lock"):
        if (target / LOCKFILE).is_file():
            return PyodideDistribution.open(target)
        return build(target)


def assembled_cache_path() -> Path:
    """Where the user cache keeps the assembled distribution (named by bytecode format)."""
    return cache_root() / "assembled" / f"pyodide-{PYODIDE_VERSION}-bc{bytecode_.FORMAT}"


def assembled_default(*, log: Log = quiet) -> PyodideDistribution:
    """The assembled distribution in the cache, made on first use (for --offline).

    The folder name carries the bytecode format, so a distribution cached before
    bytecode (or by another format) is not reused: a new one is built beside it.
    """
    target = assembled_cache_path()
    return cached_distribution(target, lambda out: assemble(out, log=log))
