"""`check --execute`: run a built site's generated notebooks under CPython, bounded.

The site's `files/` folder is copied to a temporary place and each notebook
runs there through the warm executor (a fresh namespace per notebook, the
site's own kernel startup first), so `import minato` finds the site's helper
and data exactly as the browser kernel does, and nothing is written into the
site. Every cell and the whole run have time limits enforced by killing the
worker: a check ends, pass or fail, instead of waiting on an idle kernel.

The user's code notebook never runs on the host: with `include_code` it runs
in the WebAssembly sandbox (Pyodide in Deno), or the check says why it cannot.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import sandbox
from ..errors import UserError, one_line
from ..log import Log, quiet
from ..notebooks.builders import CODE_NOTEBOOK
from ..pyodide.distribution import PyodideDistribution
from ..pyodide.lockfile import LOCKFILE
from ..site.contents import STARTUP_FILE, SiteFiles
from ..site.marker import SITE_MARKER
from ..site.verify import pyodide_folder
from .executor import JobResult, WarmExecutor
from .place_outputs import code_cells, from_job, from_sandbox, store_outputs

DEFAULT_CHECK_CELL_TIMEOUT = 120.0
DEFAULT_CHECK_TOTAL_TIMEOUT = 900.0


@dataclass(frozen=True)
class NotebookRun:
    notebook: str
    status: str  # "pass", "fail" or "skip"
    seconds: float = 0.0
    detail: str = ""


def site_notebooks(site: Path) -> list[str]:
    marker = site / SITE_MARKER
    if not marker.is_file() or not (site / "files").is_dir():
        raise UserError(f"{site}: not a minato-lite site (no {SITE_MARKER}); build one first")
    return list(json.loads(marker.read_text("utf-8"))["notebooks"])


def _code_notebook(
    work: Path,
    include_code: bool,
    seconds: float,
    output: Path | None,
    pyodide: PyodideDistribution | None,
    log: Log,
) -> NotebookRun:
    """The user's code: in the WebAssembly sandbox when asked, never in this Python."""
    if not include_code:
        return NotebookRun(CODE_NOTEBOOK, "skip", detail="your code runs only with --include-code")
    problem = sandbox.available(pyodide)
    if problem:
        return NotebookRun(CODE_NOTEBOOK, "fail", detail=f"the WebAssembly sandbox: {problem}")
    log(f"executing {CODE_NOTEBOOK} in the WebAssembly sandbox")
    nb = nbformat.read(work / CODE_NOTEBOOK, as_version=4)
    runnable = code_cells(nb)
    result = sandbox.run_cells(
        [nb.cells[i].source for i in runnable],
        SiteFiles.read_runtime_part(work),
        pyodide=pyodide,
        timeout=seconds,
        log=log,
    )
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        store_outputs(nb, runnable, *from_sandbox(result, len(runnable)))
        nbformat.write(nb, output / CODE_NOTEBOOK)
    if result.ok:
        return NotebookRun(CODE_NOTEBOOK, "pass", result.seconds)
    error = result.error or {}
    detail = one_line(f"{error.get('ename')}: {error.get('evalue')}")[:300]
    return NotebookRun(CODE_NOTEBOOK, "fail", result.seconds, detail)


def _first_failure(job: JobResult) -> str:
    if job.problem and not any(c.status in ("timeout", "crashed") for c in job.cells):
        return job.problem  # the startup failed: no cell ran
    for number, cell in enumerate(job.cells, start=1):
        if cell.status != "ok":
            error = next((o for o in cell.outputs if o["output_type"] == "error"), None)
            what = f"{error['ename']}: {error['evalue']}" if error else cell.status
            return one_line(f"cell {number}: {what}")[:300]
    return job.problem or ""


def execute_folder(
    work: Path,
    names: list[str],
    *,
    include_code: bool = False,
    output: Path | None = None,
    timeout: float = DEFAULT_CHECK_CELL_TIMEOUT,
    total_timeout: float = DEFAULT_CHECK_TOTAL_TIMEOUT,
    executor: WarmExecutor | None = None,
    pyodide: PyodideDistribution | None = None,
    log: Log = quiet,
) -> list[NotebookRun]:
    """Execute notebooks that sit in `work` (a site's contents), each in a fresh namespace.

    Each cell may take `timeout` seconds and the whole run `total_timeout`;
    past either, the worker is killed and the notebook fails, so a check
    always ends. Notebooks are saved, with outputs, into `output` if given.
    The user's code runs in the sandbox on `pyodide` (None: the default with pandas).
    """
    startup = STARTUP_FILE if (work / STARTUP_FILE).is_file() else None
    deadline = time.monotonic() + total_timeout
    runs = []
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(WarmExecutor())
        for name in names:
            left = deadline - time.monotonic()
            if name == CODE_NOTEBOOK:
                runs.append(
                    _code_notebook(work, include_code, max(1.0, left), output, pyodide, log)
                )
                continue
            if left <= 0:
                runs.append(NotebookRun(name, "fail", 0.0, "not run: the check ran past its "
                                        f"{total_timeout:g} s limit"))  # fmt: skip
                continue
            log(f"executing {name}")
            nb = nbformat.read(work / name, as_version=4)
            runnable = code_cells(nb)
            job = executor.run(
                work,
                [nb.cells[i].source for i in runnable],
                startup=startup,
                cell_timeout=timeout,
                total_timeout=left,
            )
            if job.ok:
                runs.append(NotebookRun(name, "pass", job.seconds))
            else:
                runs.append(NotebookRun(name, "fail", job.seconds, _first_failure(job)))
            if output is not None:
                output.mkdir(parents=True, exist_ok=True)
                nbformat.write(store_outputs(nb, runnable, *from_job(job)), output / name)
    return runs


def execute_site(
    site: Path,
    *,
    include_code: bool = False,
    output: Path | None = None,
    timeout: float = DEFAULT_CHECK_CELL_TIMEOUT,
    total_timeout: float = DEFAULT_CHECK_TOTAL_TIMEOUT,
    log: Log = quiet,
) -> list[NotebookRun]:
    """Execute a built site's notebooks on a copy of its contents; the site is not touched."""
    site = site.expanduser().resolve()
    names = site_notebooks(site)
    own = pyodide_folder(site)  # static/pyodide, or a deployment's shared copy
    # the code runs on the Python the visitor's browser runs, when the site ships one with pandas
    pyodide = PyodideDistribution.open(own) if own and (own / LOCKFILE).is_file() else None
    if pyodide is not None and not pyodide.has_pandas:
        pyodide = None
    with tempfile.TemporaryDirectory(prefix="minato-check-") as tmp:
        work = Path(tmp) / "files"
        shutil.copytree(site / "files", work)
        return execute_folder(
            work,
            names,
            include_code=include_code,
            output=output,
            timeout=timeout,
            total_timeout=total_timeout,
            pyodide=pyodide,
            log=log,
        )
