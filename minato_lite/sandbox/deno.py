"""Where Deno and Pyodide are, and the exact permissions a sandbox process gets.

Everything that decides what the guest may touch is in this one module, so it
can be read (and reviewed) at a glance: read access to the Pyodide distribution
and to the process's own job folder, network only to the host of a Pyodide URL,
nothing else, and an environment that carries none of the host's variables.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import UserError
from ..pyodide_dist import Distribution, Log, _quiet, resolve_local
from .result import SandboxError

DENO_ENV = "MINATO_DENO"
WORKER = Path(__file__).resolve().parent / "guest" / "worker.mjs"
EXECUTOR = Path(__file__).resolve().parent / "guest" / "executor.py"
ENTRY_MODULE = "pyodide.mjs"


def find_deno() -> str | None:
    """The deno binary: $MINATO_DENO, the `deno` PyPI package's, or one on PATH."""
    given = os.environ.get(DENO_ENV)
    if given:
        return given if Path(given).is_file() else None
    try:
        from deno import find_deno_bin

        return find_deno_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("deno")


def deno_or_fail() -> str:
    deno = find_deno()
    if deno is None:
        raise SandboxError(
            f"deno not installed: pip install deno (or set {DENO_ENV} to a deno binary)"
        )
    return deno


@dataclass(frozen=True)
class PyodideSource:
    """A Pyodide for the sandbox: a local folder, or a URL (then its host is reachable)."""

    index: str
    module: str
    folder: Path | None = None
    host: str | None = None
    #: sha256 of the distribution's matplotlib wheel: the key of its font cache
    matplotlib_sha256: str | None = None

    @classmethod
    def local(cls, dist: Distribution) -> PyodideSource:
        if not dist.has("pandas"):
            raise UserError(
                f"{dist.path}: this Pyodide has no pandas; the sandbox needs one with pandas "
                "(omit --pyodide to use the scientific stand-in, or give a full release)"
            )
        folder = dist.path.resolve()
        if "," in str(folder):
            raise UserError(f"{folder}: Deno cannot be given a path with a comma; move it")
        matplotlib = dist.lock.get("packages", {}).get("matplotlib") or {}
        return cls(
            index=f"{folder}/",
            module=(folder / ENTRY_MODULE).as_uri(),
            folder=folder,
            matplotlib_sha256=matplotlib.get("sha256"),
        )

    @classmethod
    def url(cls, url: str) -> PyodideSource:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(f"{url!r} is not an http(s) URL of a Pyodide distribution")
        base = url.split("?", 1)[0].split("#", 1)[0]
        if base.endswith(ENTRY_MODULE):
            base = base[: -len(ENTRY_MODULE)]
        base = base if base.endswith("/") else base + "/"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(index=base, module=base + ENTRY_MODULE, host=f"{parts.hostname}:{port}")


def resolve_pyodide(
    pyodide: str | Path | None, *, build: bool = True, log: Log = _quiet
) -> PyodideSource:
    """`--pyodide` as given (folder, release archive or URL); None: the default with pandas."""
    if pyodide is None:
        from ..scientific_dist import default_with_pandas

        return PyodideSource.local(default_with_pandas(build=build, log=log))
    if isinstance(pyodide, str) and pyodide.startswith(("http://", "https://")):
        return PyodideSource.url(pyodide)
    return PyodideSource.local(resolve_local(pyodide, log=log))


def command(deno: str, source: PyodideSource, folder: Path) -> list[str]:
    """`deno run` for one worker: read the distribution and `folder`, nothing more."""
    readable = [str(folder)] + ([str(source.folder)] if source.folder else [])
    args = [
        deno,
        "run",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        "--no-npm",
        # Pyodide 0.27's pyodide.asm.js is CommonJS; Deno treats .js as ESM otherwise
        "--unstable-detect-cjs",
        f"--allow-read={','.join(readable)}",
    ]
    if source.host:
        args += [f"--allow-net={source.host}", f"--allow-import={source.host}"]
    else:
        args += ["--deny-import"]
    return [*args, str(WORKER)]


def environment(folder: Path) -> dict[str, str]:
    """The worker's whole environment: none of the host's variables (no secrets) pass."""
    return {
        "HOME": str(folder),
        "DENO_DIR": str(folder / ".deno"),
        "DENO_NO_UPDATE_CHECK": "1",
        "NO_COLOR": "1",
    }
