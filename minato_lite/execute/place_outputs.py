"""Putting outputs into a notebook: one way for the host executor and the sandbox alike.

Pre-rendering, `check --output` and the code notebook's sandbox run all end
the same way: each code cell gets the outputs of the job cell it became and,
if it ran, the execution count it would have had in JupyterLab (1, 2, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import nbformat

from .executor import JobResult

if TYPE_CHECKING:
    from ..sandbox.result import SandboxResult

Outputs = list[dict[str, Any]]


def code_cells(nb: nbformat.NotebookNode, skip_tag: str | None = None) -> list[int]:
    """Indices of the code cells a job runs, in order (without those tagged `skip_tag`)."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and (skip_tag is None or skip_tag not in cell.metadata.get("tags", []))
    ]


def store_outputs(
    nb: nbformat.NotebookNode, runnable: list[int], outputs: list[Outputs], ran: list[bool]
) -> nbformat.NotebookNode:
    """Job cell i's outputs into `nb.cells[runnable[i]]`, numbered i+1 if it ran; in place."""
    for position, cell_index in enumerate(runnable):
        cell = nb.cells[cell_index]
        cell.outputs = [nbformat.from_dict(o) for o in outputs[position]]
        cell.execution_count = position + 1 if ran[position] else None
    return nb


def from_job(job: JobResult) -> tuple[list[Outputs], list[bool]]:
    """A host executor job as (outputs per cell, whether each cell ran)."""
    return (
        [cell.outputs for cell in job.cells],
        [cell.status in ("ok", "error") for cell in job.cells],
    )


def from_sandbox(result: SandboxResult, count: int) -> tuple[list[Outputs], list[bool]]:
    """A sandbox result for a notebook of `count` code cells, as (outputs, ran).

    The sandbox stops at the first error: cells after the one that raised did not run.
    """
    reached = count if result.ok else max([n for n in result.cells if n] or [1])
    return result.by_cell(count), [number <= reached for number in range(1, count + 1)]
