"""Local Pyodide distributions: assemble one, read one, check one.

A site either points its kernel at the public CDN (the default, nothing to
ship) or self-hosts a distribution under `static/pyodide/`. Self-hosting needs
a folder with the core runtime and a `pyodide-lock.json` whose entries all
exist with matching sha256 (Pyodide checks integrity on load).

The binary wheels (numpy, pandas, ...) for Pyodide's ABI are only in the
official release tarball, so `assemble` builds the largest distribution the
package registries allow: the npm `pyodide` core plus the pure-Python wheels
the kernel itself imports, downloaded from PyPI at the lockfile's versions.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jupyterlite_pyodide_kernel.constants import PYODIDE_PYTHON_VERSION, PYODIDE_VERSION

from .errors import EnvironmentProblem, UserError

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

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    """Default logger: say nothing."""


def cache_root() -> Path:
    """Where downloads and extracted distributions are kept between builds."""
    override = os.environ.get("MINATO_LITE_CACHE")
    if override:
        return Path(override).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "minato-lite"


@contextmanager
def cache_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock while one process fills a cache entry others may want too."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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


def kernel_problem(lock: dict) -> str | None:
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


def dependency_closure(packages: dict, names: Iterable[str]) -> set[str]:
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


@dataclass(frozen=True)
class Distribution:
    """A self-hosted Pyodide distribution folder and what its lockfile offers."""

    path: Path
    packages: frozenset[str]
    lock: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def open(cls, path: Path) -> Distribution:
        lock_path = path / LOCKFILE
        if not (path / ENTRY_MODULE).is_file() or not lock_path.is_file():
            raise UserError(
                f"{path} is not a Pyodide distribution (needs {ENTRY_MODULE} and {LOCKFILE}); "
                "make one with 'minato-lite pyodide assemble -o DIR'"
            )
        try:
            lock = json.loads(lock_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(f"{lock_path} is not valid JSON: {exc}") from None
        problem = kernel_problem(lock)
        if problem:
            raise UserError(f"{path}: {problem}")
        runtime = runtime_file_names(path)
        if not any(name.startswith("pyodide.asm.") for name in runtime) or (
            "python_stdlib.zip" not in runtime
        ):
            raise UserError(
                f"{path}: incomplete Pyodide runtime (needs pyodide.asm.*, python_stdlib.zip)"
            )
        return cls(path=path, packages=frozenset(lock.get("packages", {})), lock=lock)

    def has(self, name: str) -> bool:
        return canonical_name(name) in self.packages


def resolve_local(path_or_tarball: str | Path, *, log: Log = _quiet) -> Distribution:
    """Open a distribution given as a folder or an official `.tar.bz2` release.

    Tarballs are unpacked once into the cache, keyed by name, size and mtime,
    so repeated builds from the same 350 MB file do not pay for it again.
    """
    path = Path(path_or_tarball).expanduser()
    if not path.exists():
        raise UserError(f"Pyodide distribution {path} does not exist")
    if path.is_dir():
        # the official release unpacks to a `pyodide/` folder; accept either level
        inner = path / "pyodide"
        if not (path / ENTRY_MODULE).exists() and (inner / ENTRY_MODULE).exists():
            path = inner
        return Distribution.open(path.resolve())
    if not path.name.endswith((".tar.bz2", ".tar.gz", ".tgz", ".tar")):
        raise UserError(f"{path}: expected a Pyodide folder or a .tar.bz2 release archive")
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    target = cache_root() / "pyodide-extracted" / key[:16]
    if not target.exists():
        log(f"unpacking {path.name} into the cache (once)")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpack-"))
        try:
            with tarfile.open(path) as archive:
                archive.extractall(staging, filter="data")
            os.replace(staging, target)
        except (tarfile.TarError, OSError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise UserError(f"{path}: cannot unpack Pyodide archive: {exc}") from None
    for candidate in (target, target / "pyodide", *target.glob("*/")):
        if (candidate / ENTRY_MODULE).is_file():
            return Distribution.open(candidate)
    raise UserError(f"{path}: archive holds no {ENTRY_MODULE}")


def _run(cmd: list[str], what: str) -> None:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise EnvironmentProblem(f"{what}: '{cmd[0]}' is not installed") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise EnvironmentProblem(f"{what} failed: {detail[0]}")


def fetch_core(version: str = PYODIDE_VERSION, *, log: Log = _quiet) -> Path:
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
            archive.extractall(tmp, filter="data")
        try:
            os.replace(Path(tmp) / "package", target)
        except OSError:
            if not (target / ENTRY_MODULE).is_file():  # not another process winning the race
                raise
    return target


def fetch_wheel(name: str, version: str, *, log: Log = _quiet) -> Path:
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


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard link when the file system allows it (sites share the cache), else copy."""
    try:
        os.link(src, dst)
    except FileNotFoundError:
        if dst.parent.exists():
            raise  # the source is missing
        dst.parent.mkdir(parents=True)  # made once per folder, not once per file
        link_or_copy(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def assemble(
    out: Path,
    *,
    extra_packages: Iterable[str] = (),
    sourcemaps: bool = False,
    log: Log = _quiet,
) -> Distribution:
    """Build an offline distribution: core runtime + the kernel's pure-Python wheels.

    The lockfile written lists only what is shipped, each with the sha256 of
    the file actually shipped (PyPI's files differ from Pyodide's repackaged
    ones, and Pyodide refuses a mismatch).
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
    log(f"assembled Pyodide {PYODIDE_VERSION} with {len(shipped)} packages in {out}")
    return Distribution.open(out)


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


def write_lockfile(folder: Path, info: dict, packages: dict) -> None:
    """`pyodide-lock.json` listing exactly the packages shipped in `folder`."""
    lock = {"info": info, "packages": packages}
    text = json.dumps(lock, indent=1, sort_keys=True) + "\n"
    (folder / LOCKFILE).write_text(text, encoding="utf-8")


def write_pruned(dist: Distribution, target: Path, names: Iterable[str], extra=()) -> None:
    """Ship the core runtime and only the named packages (+ extra wheels) with their lockfile."""
    packages = dist.lock["packages"]
    shipped = {}
    for name in sorted(names):
        if name in packages:
            entry = packages[name]
            link_or_copy(dist.path / entry["file_name"], target / entry["file_name"])
            shipped[name] = entry
    for wheel in extra:
        link_or_copy(wheel.path, target / wheel.entry["file_name"])
        shipped[wheel.entry["name"]] = wheel.entry
    for core in runtime_file_names(dist.path):
        link_or_copy(dist.path / core, target / core)
    write_lockfile(target, dist.lock["info"], shipped)


def cached_distribution(target: Path, build: Callable[[Path], Distribution]) -> Distribution:
    """The distribution at `target` in the cache, built by `build` once across processes."""
    with cache_lock(target.parent / f"{target.name}.lock"):
        if (target / LOCKFILE).is_file():
            return Distribution.open(target)
        return build(target)


def assembled_default(*, log: Log = _quiet) -> Distribution:
    """The assembled distribution in the cache, made on first use (for --offline)."""
    target = cache_root() / "assembled" / f"pyodide-{PYODIDE_VERSION}"
    return cached_distribution(target, lambda out: assemble(out, log=log))


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
