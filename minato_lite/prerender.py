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
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from .executor import DEFAULT_CELL_TIMEOUT, JobResult, WarmExecutor
from .notebooks import ANALYSIS_NOTEBOOK, EXPLORER_NOTEBOOK, NotebookFile
from .site import SiteFiles
from .templates import BROWSER_ONLY

if TYPE_CHECKING:
    from .build import Prepared

#: the kernel startup every site ships; pre-rendering runs the very same file
STARTUP_PATH = "minato/startup.py"

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


def store_outputs(
    nb: nbformat.NotebookNode, runnable: list[int], job: JobResult
) -> nbformat.NotebookNode:
    """Put job cell i's outputs into `nb.cells[runnable[i]]`, numbered as they ran; in place."""
    for job_index, cell_index in enumerate(runnable):
        result = job.cells[job_index]
        cell = nb.cells[cell_index]
        cell.outputs = [nbformat.from_dict(o) for o in result.outputs]
        cell.execution_count = job_index + 1 if result.status in ("ok", "error") else None
    return nb


def apply_outputs(
    doc: NotebookFile, runnable: list[int], job: JobResult, versions: dict[str, str]
) -> nbformat.NotebookNode:
    """A copy of `doc` holding the job's outputs; `runnable[i]` is the cell job cell i came from."""
    nb = store_outputs(copy.deepcopy(doc.notebook), runnable, job)
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
    startup: str,
    cell_timeout: float,
    versions: dict[str, str],
) -> tuple[NotebookFile, PrerenderReport]:
    runnable = [
        i
        for i, cell in enumerate(doc.notebook.cells)
        if cell.cell_type == "code" and BROWSER_ONLY not in cell.metadata.get("tags", [])
    ]
    job = executor.run(
        folder,
        startup,
        [doc.notebook.cells[i].source for i in runnable],
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
    prepared: Prepared,
    executor: WarmExecutor,
    *,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    log: Callable[[str], None] = lambda _m: None,
) -> tuple[Prepared, list[PrerenderReport]]:
    """`prepared` with its analysis and explorer notebooks run and their outputs stored."""
    versions = provenance()
    startup = prepared.files.files[STARTUP_PATH].decode("utf-8")
    docs = list(prepared.notebooks)
    reports = []
    with tempfile.TemporaryDirectory(prefix="minato-prerender-") as tmp:
        folder = Path(tmp)
        prepared.files.write(folder)
        for position, doc in enumerate(docs):
            if doc.path not in HOST_NOTEBOOKS:
                continue
            log(f"pre-rendering {doc.path}")
            docs[position], report = prerender_notebook(
                doc,
                folder,
                executor,
                startup=startup,
                cell_timeout=cell_timeout,
                versions=versions,
            )
            reports.append(report)
            if report.warning():
                log(f"warning: {report.warning()}")
    files = SiteFiles(dict(prepared.files.files))
    for doc in docs:
        files.add(doc.path, doc.dumps())
    return replace(prepared, notebooks=docs, files=files), reports


def is_prerendered(notebook_json: str | bytes) -> bool:
    return "prerendered" in json.loads(notebook_json).get("metadata", {}).get("minato", {})
