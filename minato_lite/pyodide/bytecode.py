"""Bytecode compiled once, at build time, by the distribution's own Pyodide.

No wheel and no `python_stdlib.zip` a distribution gets from the registries
holds a `.pyc`, and Pyodide never writes one back (`sys.dont_write_bytecode`),
so without this every kernel start compiles about 770 modules from source.
`compile_distribution` compiles, in a folder being assembled, the standard
library zip and the wheels imported at kernel start (`startup_packages`).

Who compiles: the distribution's own Pyodide, booted in Deno
(`guest/compile.mjs` running `guest/compile_guest.py`), never host CPython. The
bytecode magic is therefore always the one the browser checks (Python 3.12 for
the 0.27.7 stand-in, 3.14 for 314.0.6), and the zip files are written by
Pyodide's own zlib: the output depends on the distribution and its inputs, not
on the host. Deno may read and write the distribution folder and nothing else
(no network, no environment, its own cache in a temporary folder), and gets a
time limit.

Format: **sourceless**, as upstream `pyodide py-compile` and the CDN's `/pyc/`
build. Each `x.py` becomes `x.pyc` beside it (zipimport and
`SourcelessFileLoader` read that layout); the source is not shipped. Unlike
upstream, each code object is named by its absolute installed path
(`/lib/python3.12/site-packages/pandas/core/frame.py`,
`/lib/python312.zip/json/decoder.py`), the name it had when compiled from
source, so tracebacks show the same file names and line numbers as before and
`linecache` never searches `sys.path` (whose first entry is the kernel's
`/drive`) for a relative name. The `.pyc` header is an unchecked source hash,
no timestamp. Why not keep the sources beside unchecked `.pyc` in
`__pycache__`, which keeps library source lines in tracebacks and `??`:

* every visitor downloads it: measured on the stand-in (research, 0.27.7), the
  standard library is 2.4 MB as source, 4.0 MB as `.pyc` only, 6.4 MB with
  both; pandas 5.7 / 7.1 / 9.0 MB; IPython 0.63 / 1.06 / 1.68 MB: keeping both
  costs several MB more per first visit than sourceless;
* every start unpacks the wheels into memory again: both would write twice
  the files there, and starts measured slower than sourceless;
* what a user reads is unchanged: their own code (notebook cells, the
  sandbox's cells, their files) is compiled from source at run time and its
  lines are in `linecache`, so a traceback still shows the user's line. Only
  library frames lose their code line (file, line number and function stay),
  and `inspect.getsource` / `??` no longer work on library code.

A file that does not compile on that Python stays source. Metadata and
`.data/` files are never touched.

Names: sites cache wheels as immutable for a year by file name, and Pyodide
checks each wheel's sha256 against the lockfile, so a compiled wheel must never
reuse a name. Every compiled wheel gets a build tag made from its own sha256
(`1pyc` + 12 hex digits): a name changes exactly when the content does, for
binary wheels too, whose tags must stay. Pure wheels also become
`cp3XY-none-any` (their `WHEEL` file says so too): bytecode runs on that Python
only. Example: `pandas-2.2.3-cp312-cp312-pyodide_2024_0_wasm32.whl` ->
`pandas-2.2.3-1pyc0123456789ab-cp312-cp312-pyodide_2024_0_wasm32.whl`. The
lockfile's `file_name` and `sha256` follow; `RECORD` lists what the wheel holds.
The standard library keeps its name (the runtime looks for it by name).

Entries are sorted, with a fixed time and mode and a fixed hash seed in the
compiler: the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EnvironmentProblem, UserError
from ..log import Log, quiet
from .lockfile import (
    ENTRY_MODULE,
    KERNEL_PACKAGES,
    LOCKFILE,
    canonical_name,
    dependency_closure,
    lockfile_bytes,
    read_lockfile,
    sha256_of,
)

GUEST = Path(__file__).resolve().parent / "guest"
#: bump when the compiled output of the same input changes (caches of assembled
#: distributions carry it in their folder name)
FORMAT = 1
#: what the kernel imports at start: its own packages, and what the data needs
#: (`minato`'s startup reads the data with pandas). Their `depends` closure too.
STARTUP_ROOTS = (
    *KERNEL_PACKAGES,
    "pandas",
    "numpy",
    "python-dateutil",
    "pytz",
    "six",
    "tzdata",
    "matplotlib-inline",
)
STDLIB = "python_stdlib.zip"
BUILD_TAG_PREFIX = "1pyc"
BUILD_TAG = re.compile(rf"^{BUILD_TAG_PREFIX}[0-9a-f]{{12}}$")
#: seconds Deno may take for a whole distribution (the stand-in: 12-26 s on two busy cores)
DEFAULT_TIMEOUT = 900.0
DENO_ENV = "MINATO_DENO"
_TEMP = ".bytecode-"


@dataclass(frozen=True)
class Compiled:
    """What `compile_distribution` did."""

    python: str
    magic: str
    #: lockfile name -> (old file name, new file name)
    renamed: dict[str, tuple[str, str]] = field(default_factory=dict)
    stdlib: bool = False
    modules: int = 0
    #: archive -> `.py` files that did not compile on this Python (shipped as source)
    kept_source: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


def find_deno() -> str | None:
    """The deno binary: $MINATO_DENO, the `deno` PyPI package's, or one on PATH (the
    sandbox's too: `minato_lite.sandbox.deno` imports it from here)."""
    given = os.environ.get(DENO_ENV)
    if given:
        return given if Path(given).is_file() else None
    try:
        from deno import find_deno_bin

        return str(find_deno_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("deno")


def is_pure(file_name: str) -> bool:
    """A pure-Python wheel: `py*` interpreter tags and no ABI."""
    parts = file_name.removesuffix(".whl").split("-")
    return (
        file_name.endswith(".whl")
        and len(parts) >= 5
        and parts[-2] == "none"
        and all(tag.startswith("py") for tag in parts[-3].split("."))
    )


def compiled_wheel_name(file_name: str, sha256: str, python_tag: str) -> str:
    """The name of a compiled wheel whose content has `sha256`.

    A build tag from the content (any former build tag replaced), and for a pure
    wheel the interpreter tag of the Python that compiled it.
    """
    parts = file_name.removesuffix(".whl").split("-")
    if not file_name.endswith(".whl") or len(parts) not in (5, 6):
        raise ValueError(f"{file_name} is not a wheel file name")
    name, version = parts[:2]
    python, abi, platform = parts[-3:]
    if is_pure(file_name):
        python = python_tag
    build = BUILD_TAG_PREFIX + sha256[:12]
    return f"{name}-{version}-{build}-{python}-{abi}-{platform}.whl"


def is_compiled_name(file_name: str) -> bool:
    """Whether `file_name` carries the build tag `compiled_wheel_name` gives."""
    parts = file_name.removesuffix(".whl").split("-")
    return len(parts) == 6 and bool(BUILD_TAG.match(parts[2]))


def startup_packages(packages: Mapping[str, Any]) -> list[str]:
    """The wheels of `packages` (lockfile entries) imported at kernel start, sorted."""
    roots = [name for name in STARTUP_ROOTS if canonical_name(name) in packages]
    return sorted(
        name
        for name in dependency_closure(packages, roots)
        if packages[name]["file_name"].endswith(".whl")
    )


def stdlib_is_compiled(folder: Path) -> bool:
    """Whether the distribution's standard library zip holds bytecode."""
    with zipfile.ZipFile(folder / STDLIB) as archive:
        return any(name.endswith(".pyc") for name in archive.namelist())


#: how every Deno that runs Pyodide starts (the compiler's here, the sandbox's workers): no
#: prompt, no config, lock file or npm of the folder it runs in; its permissions follow
DENO_RUN = (
    "run",
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--no-npm",
    # Pyodide 0.27's pyodide.asm.js is CommonJS; Deno treats .js as ESM otherwise
    "--unstable-detect-cjs",
)


def deno_command(deno: str, folder: Path) -> list[str]:
    """`deno run` for the compiler: read and write `folder`, nothing else."""
    return [
        deno,
        *DENO_RUN,
        "--deny-net",
        "--deny-import",
        f"--allow-read={folder}",
        f"--allow-write={folder}",
        str(GUEST / "compile.mjs"),
    ]


def compile_distribution(
    folder: Path,
    *,
    packages: Iterable[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    log: Log = quiet,
) -> Compiled:
    """Compile `folder`'s standard library and start-up wheels (or `packages`) in place.

    `folder` is a distribution being assembled. Files are never written in
    place: new files are renamed over old names, so hard links into a cache
    stay untouched. Archives with nothing left to compile are left as they are.
    """
    folder = folder.resolve()
    if "," in str(folder):
        raise UserError(f"{folder}: Deno cannot be given a path with a comma; move it")
    if not (folder / ENTRY_MODULE).is_file():
        raise UserError(f"{folder} is not a Pyodide distribution (no {ENTRY_MODULE})")
    lock = read_lockfile(folder)
    entries = lock["packages"]
    names = startup_packages(entries) if packages is None else sorted(map(canonical_name, packages))
    unknown = [name for name in names if name not in entries]
    if unknown:
        raise UserError(f"cannot compile {', '.join(unknown)}: not in {folder / LOCKFILE}")
    deno = find_deno()
    if deno is None:
        raise EnvironmentProblem(
            f"compiling to bytecode needs deno: pip install deno (or set {DENO_ENV})"
        )

    jobs: list[dict[str, Any]] = []
    if (folder / STDLIB).is_file():
        jobs.append({"input": str(folder / STDLIB), "wheel": False, "retag": False})
    for name in names:
        file_name = entries[name]["file_name"]
        if not file_name.endswith(".whl"):
            continue
        jobs.append(
            {
                "input": str(folder / file_name),
                "wheel": True,
                "retag": is_pure(file_name),
                "install_dir": entries[name].get("install_dir"),
                "package": name,
            }
        )
    for index, job in enumerate(jobs):
        job["output"] = str(folder / f"{_TEMP}{index}.tmp")

    started = time.perf_counter()
    try:
        reply = _run_guest(deno, folder, jobs, timeout)
        compiled = _apply(folder, lock, jobs, reply, time.perf_counter() - started)
    finally:
        for leftover in folder.glob(f"{_TEMP}*"):
            leftover.unlink()
    kept = sum(len(files) for files in compiled.kept_source.values())
    log(
        f"compiled {compiled.modules} modules to Python {compiled.python} bytecode "
        f"({len(compiled.renamed)} wheels{', the standard library' if compiled.stdlib else ''})"
        f" in {compiled.seconds:.0f} s" + (f"; {kept} files stay source" if kept else "")
    )
    return compiled


def _run_guest(deno: str, folder: Path, jobs: list[dict[str, Any]], timeout: float) -> dict:
    config = {
        "module": (folder / ENTRY_MODULE).as_uri(),
        "index": f"{folder}/",
        "guest": (GUEST / "compile_guest.py").read_text(encoding="utf-8"),
        "jobs": jobs,
    }
    with tempfile.TemporaryDirectory(prefix="minato-bytecode-") as home:
        environment = {
            "HOME": home,
            "DENO_DIR": str(Path(home) / "deno"),
            "DENO_NO_UPDATE_CHECK": "1",
            "NO_COLOR": "1",
        }
        try:
            done = subprocess.run(
                deno_command(deno, folder),
                input=json.dumps(config),
                capture_output=True,
                text=True,
                env=environment,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise EnvironmentProblem(
                f"compiling {folder.name} to bytecode took longer than {timeout:g} s; stopped"
            ) from None
        except OSError as exc:
            raise EnvironmentProblem(f"cannot run deno ({deno}): {exc.strerror}") from None
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        reply = json.loads(lines[-1]) if lines else None
    except ValueError:
        reply = None
    if isinstance(reply, dict) and "error" in reply:
        raise EnvironmentProblem(f"compiling {folder.name} to bytecode failed: {reply['error']}")
    if done.returncode != 0 or reply is None:
        errors = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        named = [line for line in errors if line.startswith("error:")]
        detail = (named or errors or [f"exit status {done.returncode}"])[0]
        raise EnvironmentProblem(f"compiling {folder.name} to bytecode failed: {detail[:300]}")
    if not (
        isinstance(reply, dict)
        and isinstance(reply.get("identity"), dict)
        and isinstance(reply.get("results"), list)
    ):
        raise EnvironmentProblem(f"compiling {folder.name} to bytecode: unreadable reply from Deno")
    return reply


def _check_installable(file_name: str, dist_info: str) -> None:
    """Refuse a build-tagged name that Pyodide's installer would not match to its metadata.

    Pyodide 0.27 and 314 split a wheel name into its last four parts and a name
    (`_package_loader.parse_wheel_name`, which does not know build tags), so with
    a build tag the "name" it sees is `name-version`. It then requires the
    `.dist-info` folder's canonical name to start with that, which holds when
    the file name's version is the folder's.
    """
    seen_as = canonical_name("-".join(file_name.removesuffix(".whl").split("-")[:-4]))
    if not canonical_name(dist_info).startswith(seen_as):
        raise EnvironmentProblem(
            f"{file_name}: Pyodide would not match it to {dist_info} (versions differ); "
            "cannot give it a build tag"
        )


def _apply(
    folder: Path, lock: dict[str, Any], jobs: list[dict[str, Any]], reply: dict, seconds: float
) -> Compiled:
    """Rename the compiled files into place and rewrite the lockfile (after Deno succeeded)."""
    identity = reply["identity"]
    python = str(identity["python"])
    wanted = str(lock.get("info", {}).get("python", python))
    if python.split(".")[:2] != wanted.split(".")[:2]:
        raise EnvironmentProblem(
            f"{folder.name}: its Pyodide runs Python {python}, its lockfile says {wanted}"
        )
    results = {result["input"]: result for result in reply["results"]}
    entries = lock["packages"]
    renamed: dict[str, tuple[str, str]] = {}
    kept: dict[str, list[str]] = {}
    modules = 0
    stdlib = False
    for job in jobs:
        result = results.get(job["input"])
        if result is None:
            raise EnvironmentProblem(f"bytecode: no result for {Path(job['input']).name}")
        if not result["written"]:
            continue
        output = Path(job["output"])
        modules += int(result["compiled"])
        if result["kept"]:
            kept[Path(job["input"]).name] = list(result["kept"])
        if not job["wheel"]:
            os.replace(output, folder / STDLIB)
            stdlib = True
            continue
        old = Path(job["input"]).name
        digest = sha256_of(output)
        new = compiled_wheel_name(old, digest, str(identity["python_tag"]))
        _check_installable(new, str(result.get("dist_info")))
        os.replace(output, folder / new)
        if new != old:
            (folder / old).unlink()
        entry = dict(entries[job["package"]])
        entry["file_name"] = new
        entry["sha256"] = digest
        entries[job["package"]] = entry
        renamed[job["package"]] = (old, new)
    if renamed:
        staged = folder / f"{_TEMP}lock.tmp"
        staged.write_bytes(lockfile_bytes(lock["info"], entries))
        os.replace(staged, folder / LOCKFILE)
    return Compiled(
        python=python,
        magic=str(identity["magic"]),
        renamed=renamed,
        stdlib=stdlib,
        modules=modules,
        kept_source=kept,
        seconds=seconds,
    )
