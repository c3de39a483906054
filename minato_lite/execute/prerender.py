"""Pre-rendering: run the generated notebooks at build time so a site opens on its answers.

Only our own notebooks (analysis and explorer) are run on the host, through
the warm executor, on a temporary copy of the site's contents; the user's
`code.ipynb` is never sent there. The outputs go into the notebooks exactly as
a Jupyter kernel would have left them, with execution counts numbered from 1
and nothing that changes between builds (no timestamps, no addresses, the job
folder shown as `/drive`), so rebuilding gives byte-identical files.

Cells tagged `browser-only` (the explorer's widgets) need the live kernel and
get a short note in place of outputs. A cell that raises keeps its error; a
cell that runs too long is stopped and marked; the build goes on either way
and the caller is told in one line per notebook.
"""

from __future__ import annotations

import copy
import json
import platform
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat

from ..inputs.code import join_cells
from ..log import Log, quiet
from ..notebooks.builders import (
    ANALYSIS_NOTEBOOK,
    CODE_NOTEBOOK,
    EXPLORER_NOTEBOOK,
    NOT_RUN_NOTE,
    SANDBOX_RUN_NOTE,
    NotebookFile,
)
from ..notebooks.templates import BROWSER_ONLY
from ..sandbox.result import SandboxResult
from ..site.contents import STARTUP_FILE, SiteFiles, with_notebooks
from .executor import DEFAULT_CELL_TIMEOUT, JobResult, WarmExecutor
from .place_outputs import code_cells, from_job, from_sandbox, store_outputs

#: runs the user's code (cells joined on `# %%`) on a site's data and runtime, in WebAssembly
CodeRunner = Callable[[str, SiteFiles], SandboxResult]

#: notebooks pre-rendered on the host: ours only, never the user's code
HOST_NOTEBOOKS = (ANALYSIS_NOTEBOOK, EXPLORER_NOTEBOOK)
#: a whole notebook may take this many cell limits before it is stopped
TOTAL_FACTOR = 4
LIVE_ONLY_NOTE = (
    "Run this cell for the interactive controls: widgets need the live Python kernel "
    "that is starting in your browser."
)


@dataclass(frozen=True)
class PrerenderReport:
    """What pre-rendering did to one notebook, for the build log and tests."""

    notebook: str
    cells: int
    errors: int
    stopped: str | None
    seconds: float

    def warning(self) -> str | None:
        if self.stopped:
            return f"pre-rendering {self.notebook}: {self.stopped}; the rest is left to the kernel"
        if self.errors:
            return f"pre-rendering {self.notebook}: {self.errors} cell(s) raised; errors are shown"
        return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def provenance() -> dict[str, str]:
    """What computed the stored outputs: shown in the notebook and kept in its metadata."""
    return {
        "python": platform.python_version(),
        "pandas": _version("pandas"),
        "matplotlib": _version("matplotlib"),
    }


def provenance_note(versions: dict[str, str]) -> str:
    return (
        "> **Outputs below were computed when this site was built** (CPython "
        f"{versions['python']}, pandas {versions['pandas']}, matplotlib "
        f"{versions['matplotlib']}). Running a cell recomputes it here, in your browser's "
        "Python; results can differ slightly between the two pandas versions."
    )


def _placeholder() -> dict:
    return nbformat.v4.new_output(
        "display_data", data={"text/markdown": f"*{LIVE_ONLY_NOTE}*", "text/plain": LIVE_ONLY_NOTE}
    )


def apply_outputs(
    doc: NotebookFile, runnable: list[int], job: JobResult, versions: dict[str, str]
) -> nbformat.NotebookNode:
    """A copy of `doc` holding the job's outputs; `runnable[i]` is the cell job cell i came from."""
    nb = store_outputs(copy.deepcopy(doc.notebook), runnable, *from_job(job))
    for cell in nb.cells:
        if cell.cell_type == "code" and BROWSER_ONLY in cell.metadata.get("tags", []):
            cell.outputs = [_placeholder()]
    if job.startup:  # the startup printed something (a hint, a failure): show it first
        first = next((c for c in nb.cells if c.cell_type == "code"), None)
        if first is not None:
            first.outputs = [nbformat.from_dict(o) for o in job.startup] + list(first.outputs)
    intro = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if intro is not None:
        intro.source = intro.source.rstrip("\n") + "\n\n" + provenance_note(versions)
    nb.metadata["minato"] = {"prerendered": dict(versions)}
    nbformat.validate(nb)
    return nb


def prerender_notebook(
    doc: NotebookFile,
    folder: Path,
    executor: WarmExecutor,
    *,
    cell_timeout: float,
    versions: dict[str, str],
) -> tuple[NotebookFile, PrerenderReport]:
    runnable = code_cells(doc.notebook, skip_tag=BROWSER_ONLY)
    job = executor.run(
        folder,
        [doc.notebook.cells[i].source for i in runnable],
        startup=STARTUP_FILE,
        cell_timeout=cell_timeout,
        total_timeout=cell_timeout * TOTAL_FACTOR,
    )
    nb = apply_outputs(doc, runnable, job, versions)
    report = PrerenderReport(
        notebook=doc.path,
        cells=len(runnable),
        errors=sum(c.status == "error" for c in job.cells),
        stopped=job.problem,
        seconds=job.seconds,
    )
    return NotebookFile(doc.path, nb), report


def prerender(
    docs: Sequence[NotebookFile],
    files: SiteFiles,
    executor: WarmExecutor,
    *,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    log: Log = quiet,
) -> tuple[list[NotebookFile], SiteFiles, list[PrerenderReport]]:
    """`docs` with the analysis and explorer notebooks run and their outputs stored.

    The notebooks run side by side when the executor has workers for both: each
    is a job of its own in a fresh namespace, so the outputs are the same as one
    after the other, and the site is ready when the longer one is done instead of
    after both. An executor busy with other sites makes them wait their turn.
    """
    versions = provenance()
    docs = list(docs)
    positions = [i for i, doc in enumerate(docs) if doc.path in HOST_NOTEBOOKS]
    reports = []
    with tempfile.TemporaryDirectory(prefix="minato-prerender-") as tmp:
        folder = Path(tmp)
        files.write(folder)

        def run(position: int) -> tuple[NotebookFile, PrerenderReport]:
            return prerender_notebook(
                docs[position], folder, executor, cell_timeout=cell_timeout, versions=versions
            )

        for position in positions:
            log(f"pre-rendering {docs[position].path}")
        if executor.size > 1 and len(positions) > 1:
            with ThreadPoolExecutor(len(positions), thread_name_prefix="minato-prerender") as pool:
                done = list(pool.map(run, positions))
        else:
            done = [run(position) for position in positions]
        for position, (doc, report) in zip(positions, done, strict=True):
            docs[position] = doc
            reports.append(report)
            if report.warning():
                log(f"warning: {report.warning()}")
    return docs, with_notebooks(files, docs), reports


def code_notebook_run(
    docs: Sequence[NotebookFile], files: SiteFiles, run: CodeRunner, *, log: Log = quiet
) -> tuple[list[NotebookFile], SiteFiles, SandboxResult | None]:
    """`docs` with the user's `code.ipynb` run in the WebAssembly sandbox, outputs stored.

    `run` is the only way the user's code is executed here: it goes to Pyodide in
    Deno (`minato_lite.sandbox`), never to this process or the warm executor.
    """
    docs = list(docs)
    position = next((i for i, d in enumerate(docs) if d.path == CODE_NOTEBOOK), None)
    if position is None:
        return docs, files, None
    doc = docs[position]
    runnable = code_cells(doc.notebook)
    log(f"running {CODE_NOTEBOOK} in the WebAssembly sandbox")
    result = run(join_cells(doc.notebook.cells[i].source for i in runnable), files.runtime_part())
    nb = store_outputs(copy.deepcopy(doc.notebook), runnable, *from_sandbox(result, len(runnable)))
    intro = nb.cells[0]
    intro.source = intro.source.replace(NOT_RUN_NOTE, SANDBOX_RUN_NOTE)
    nb.metadata["minato"] = {"prerendered": {"sandbox": "pyodide-in-deno"}}
    nbformat.validate(nb)
    if not result.ok:
        error = result.error or {}
        log(f"warning: your code raised when run in the sandbox: {error.get('ename')}")
    docs[position] = NotebookFile(doc.path, nb)
    return docs, with_notebooks(files, docs), result


def is_prerendered(notebook_json: str | bytes) -> bool:
    return "prerendered" in json.loads(notebook_json).get("metadata", {}).get("minato", {})
