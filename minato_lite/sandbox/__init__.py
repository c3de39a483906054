"""A server-side sandbox for untrusted analysis code: Pyodide in Deno, no permissions.

The code runs only inside Pyodide (WebAssembly) inside a Deno process that may
read the Pyodide distribution and its own job folder and nothing else: no host
files, no network (unless Pyodide itself is loaded from a URL, then only that
host), no subprocesses, no environment variables. Host Python never runs the
code. Results are nbformat outputs.

    from minato_lite import sandbox
    result = sandbox.run_code("df.describe()", ["sales.csv"])     # cold: boots a worker
    with sandbox.SandboxPool() as pool:                            # warm: pre-booted workers
        result = pool.run("df.describe()", ["sales.csv"])

Owns: Deno and every permission a worker gets (`deno`), a job as data
(`job`), one worker process and its limits (`process`), the warm pool
(`pool`), results (`result`), matplotlib's font cache between boots
(`fontcache`), and what runs inside Deno (`guest/worker.mjs`, which runs the
cell runner `runtime/pyodide_shell.py` inside Pyodide).

May import: `site` (a job's files are a site's data and runtime), `inputs`,
`pyodide` and the base modules. Never `build`, `execute` or anything above
them (import-linter checks it): the sandbox is below every caller.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import MinatoError
from ..inputs.readers import Input
from ..log import Log, quiet
from ..pyodide.choice import NotBuiltYet
from ..site.contents import SiteFiles
from .deno import PyodideSpec, deno_or_fail, find_deno, sandbox_pyodide
from .job import Job, guest_files, make_job
from .pool import POOL_PRELOAD, SandboxPool
from .process import WorkerProcess
from .result import DEFAULT_MAX_OUTPUT, DEFAULT_MEMORY, DEFAULT_TIMEOUT, Limits, SandboxError
from .result import SandboxResult as SandboxResult

__all__ = [
    "POOL_PRELOAD",
    "Job",
    "Limits",
    "SandboxError",
    "SandboxPool",
    "SandboxResult",
    "available",
    "guest_files",
    "make_job",
    "run_cells",
    "run_code",
]

#: a one-off run loads pandas up front (so the timeout measures the code, not the boot),
#: matplotlib too when the code may draw (`df.plot()` imports it without an import line);
#: anything else the code imports is loaded on demand
COLD_PRELOAD = ("pandas",)
_DRAWING_HINTS = ("plot", "matplotlib", "plt.", "hist(")


def cold_preload(code: str) -> tuple[str, ...]:
    """What a one-off worker boots with for `code` (a hint only: it never runs the code)."""
    if any(hint in code for hint in _DRAWING_HINTS):
        return POOL_PRELOAD
    return COLD_PRELOAD


def available(pyodide: PyodideSpec = None) -> str | None:
    """None when the sandbox can run here, else one line saying what to provide.

    Never builds or downloads anything: without `pyodide`, a default that is not
    in the cache yet counts as available, since the first run builds it.
    """
    if find_deno() is None:
        return "deno not installed: pip install deno (or set MINATO_DENO to a deno binary)"
    try:
        sandbox_pyodide(pyodide, build=False)
    except NotBuiltYet:
        return None
    except MinatoError as exc:
        return f"no Pyodide with pandas: {exc}"
    return None


def run_code(
    code: str,
    data: Input | Iterable[Input] | None = None,
    *,
    files: SiteFiles | None = None,
    pyodide: PyodideSpec = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory: int = DEFAULT_MEMORY,
    max_output: int = DEFAULT_MAX_OUTPUT,
    log: Log = quiet,
) -> SandboxResult:
    """Run `code` once on a freshly booted worker (cold; use SandboxPool for many jobs).

    `data`: data files, folders of them, DataFrames or records, as `build` takes them;
    they become `df`, `frames` and `data`. Raises UserError for bad code or data and
    SandboxError when the sandbox cannot run; anything the code does is in the result.
    """
    limits = Limits(timeout=timeout, memory=memory, max_output=max_output)
    return run_job(make_job(code, data, files=files), limits, pyodide=pyodide, log=log)


def run_cells(
    cells: list[str],
    files: SiteFiles,
    *,
    pyodide: PyodideSpec = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory: int = DEFAULT_MEMORY,
    max_output: int = DEFAULT_MAX_OUTPUT,
    log: Log = quiet,
) -> SandboxResult:
    """Run a notebook's code cells as they are (no `# %%` splitting) on a site's files."""
    limits = Limits(timeout=timeout, memory=memory, max_output=max_output)
    return run_job(Job(cells=list(cells), files=files), limits, pyodide=pyodide, log=log)


def run_job(job: Job, limits: Limits, *, pyodide: PyodideSpec, log: Log) -> SandboxResult:
    """One job on a freshly booted worker, killed afterwards."""
    code = "\n".join(job.cells)
    deno = deno_or_fail()
    dist = sandbox_pyodide(pyodide, log=log)
    worker = WorkerProcess(deno, dist, preload=cold_preload(code))
    try:
        worker.wait_ready()
        worker.warm()  # imports matplotlib when the code uses it (keeping its font cache)
        log(f"sandbox booted in {(worker.boot_seconds or 0) + (worker.warm_seconds or 0):.1f}s")
        return worker.run(job, limits)
    finally:
        worker.kill()
