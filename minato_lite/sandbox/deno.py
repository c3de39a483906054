"""Where Deno and Pyodide are, and the exact permissions a sandbox process gets.

Everything that decides what the guest may touch is in this one module, so it
can be read (and reviewed) at a glance: read access to the Pyodide distribution
and to the process's own job folder, network only to the host of a Pyodide URL,
nothing else, and an environment that carries none of the host's variables.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..log import Log, quiet
from ..pyodide.bytecode import DENO_RUN, find_deno
from ..pyodide.choice import Default, PyodideSpec, choose
from ..pyodide.distribution import PyodideDistribution
from ..resources import pyodide_shell
from .result import SandboxError

DENO_ENV = "MINATO_DENO"
WORKER = Path(__file__).resolve().parent / "guest" / "worker.mjs"
#: the Python side of the guest, run inside Pyodide (never in host Python)
PYODIDE_SHELL = pyodide_shell()


def deno_or_fail() -> str:
    deno = find_deno()
    if deno is None:
        raise SandboxError(
            f"deno not installed: pip install deno (or set {DENO_ENV} to a deno binary)"
        )
    return deno


def sandbox_pyodide(
    pyodide: PyodideSpec, *, build: bool = True, log: Log = quiet
) -> PyodideDistribution:
    """`--pyodide` as the sandbox takes it (`pyodide.choice`; not given: the default with
    pandas), checked: a local distribution must have pandas (the runtime's `df` needs it)
    and a path Deno's permission list can hold."""
    dist = choose(pyodide, default=Default.WITH_PANDAS, build=build, log=log)
    if not dist.is_local:
        return dist
    if not dist.has_pandas:
        raise UserError(
            f"{dist.where}: this Pyodide has no pandas; the sandbox needs one with pandas "
            "(omit --pyodide to use the default, or give a full release)"
        )
    if "," in dist.where:
        raise UserError(f"{dist.where}: Deno cannot be given a path with a comma; move it")
    return dist


def command(deno: str, pyodide: PyodideDistribution, folder: Path) -> list[str]:
    """`deno run` for one worker: read the distribution and `folder`, nothing more."""
    readable = [str(folder)] + ([str(pyodide.folder)] if pyodide.folder else [])
    args = [
        deno,
        *DENO_RUN,
        f"--allow-read={','.join(readable)}",
    ]
    if pyodide.host:
        args += [f"--allow-net={pyodide.host}", f"--allow-import={pyodide.host}"]
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
