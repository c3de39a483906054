"""Datasets -> nbformat documents.

Small pure functions return cells; documents are composed from them. Cell ids
are derived from the notebook name and the cell's position, so building twice
from the same inputs gives byte-identical files. User text only enters
Markdown through `markup.md_*` and code through `markup.py_literal`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import nbformat
from nbformat import v4

from .markup import md_code, md_text, py_literal

KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
ANALYSIS_NOTEBOOK = "analysis.ipynb"


@dataclass(frozen=True)
class DatasetSummary:
    """What notebooks need to know about a dataset (no data, no pandas objects)."""

    name: str
    label: str
    source: str
    rows: int
    columns: int


@dataclass(frozen=True)
class NotebookFile:
    """A generated notebook and the path it takes inside the site's contents."""

    path: str
    notebook: nbformat.NotebookNode

    def dumps(self) -> str:
        return json.dumps(self.notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def markdown(text: str) -> nbformat.NotebookNode:
    return v4.new_markdown_cell(text)


def code(source: str) -> nbformat.NotebookNode:
    return v4.new_code_cell(source.strip("\n"))


def document(name: str, cells: Sequence[nbformat.NotebookNode]) -> NotebookFile:
    """A validated notebook with stable cell ids and the Pyodide kernelspec."""
    nb = v4.new_notebook(
        cells=list(cells),
        metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
    )
    for index, cell in enumerate(nb.cells):
        digest = hashlib.sha256(f"{name}\0{index}".encode()).hexdigest()[:12]
        cell["id"] = f"c{index:03d}-{digest}"
    nbformat.validate(nb)
    return NotebookFile(path=name, notebook=nb)


def dataset_table(summaries: Sequence[DatasetSummary]) -> str:
    rows = ["| dataset | from | rows | columns |", "|---|---|---:|---:|"]
    rows += [
        f"| {md_code(s.name)} | {md_text(s.source)} | {s.rows:,} | {s.columns:,} |"
        for s in summaries
    ]
    return "\n".join(rows)


def analysis_notebook(title: str, summaries: Sequence[DatasetSummary]) -> NotebookFile:
    """The notebook a site opens on: what is loaded, how to reach it, a first look."""
    first = summaries[0].name
    cells = [
        markdown(
            f"# {md_text(title)}\n\n"
            "The kernel started with this site's data already loaded: `df` is the first "
            "dataset and `frames` holds every dataset by name. Everything runs in your "
            "browser; nothing is sent to a server.\n\n" + dataset_table(summaries)
        ),
        code("import minato\n\nminato.datasets()"),
        markdown(
            "## First rows\n`minato.load(name)` returns a pandas DataFrame with the "
            "column types the data had when the site was built."
        ),
        code(f"df = minato.load({py_literal(first)})\ndf.head(10)"),
        markdown("## Column types and summary"),
        code("df.dtypes"),
        code('df.describe(include="all").T'),
    ]
    return document(ANALYSIS_NOTEBOOK, cells)


CODE_NOTEBOOK = "code.ipynb"
CELL_MARKER = "# %%"


@dataclass(frozen=True)
class CodeSource:
    """User or LLM code: `label` says where it came from (a file name or 'code')."""

    label: str
    text: str


def split_cells(text: str) -> list[str]:
    """Split on `# %%` lines (the percent format); a marker's own comment is kept."""
    cells: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip().startswith(CELL_MARKER):
            cells.append([])
            rest = line.strip()[len(CELL_MARKER) :].strip()
            if rest:
                cells[-1].append(f"# {rest}")
            continue
        cells[-1].append(line)
    return ["\n".join(lines).strip("\n") for lines in cells if "\n".join(lines).strip()]


def syntax_problem(text: str) -> str | None:
    """Why `text` does not parse as Python (it is parsed, never run), or None."""
    import ast

    try:
        ast.parse(text)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # e.g. null bytes
        return str(exc)
    return None


def code_notebook(sources: Sequence[CodeSource], dataset_names: Sequence[str]) -> NotebookFile:
    """The user's code, verbatim, under a header that says where it came from."""
    cells = [
        markdown(
            "# Your code\n\n"
            "This code was placed here as given and was **not run** when the site was built. "
            "Run the cells to execute it in your browser's Python sandbox. The data is already "
            f"loaded: `df` ({md_code(dataset_names[0])}) and `frames`, by name."
        ),
        code("import minato\n\nminato.datasets()"),
    ]
    for source in sources:
        header = f"## From {md_code(source.label)}"
        problem = syntax_problem(source.text)
        if problem:
            header += (
                f"\n\n> **Note:** this code does not parse as Python ({md_text(problem)}); "
                "it is shown as given and will fail when run."
            )
        cells.append(markdown(header))
        cells.extend(code(chunk) for chunk in split_cells(source.text))
    return document(CODE_NOTEBOOK, cells)
