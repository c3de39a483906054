"""Fill the section templates in `notebooks/` for one dataset.

A template is a real notebook. Its cell tagged `parameters` is replaced by
assignments generated here, from values that are only strings, integers or
lists of strings, each written with `repr` (always an inert Python literal).
Cells tagged `template-only` (the sample-data setup) are dropped; cells tagged
`browser-only` (widgets) keep the tag, so pre-rendering leaves them to the kernel.
"""

from __future__ import annotations

import ast
import functools

import nbformat

from ..resources import resource_dir
from .cells import code_cell, markdown_cell

PARAMETERS = "parameters"
TEMPLATE_ONLY = "template-only"
#: cells that need the live browser kernel (widgets): not pre-rendered on the host
BROWSER_ONLY = "browser-only"
Value = str | int | list[str]


@functools.cache
def load_template(name: str) -> nbformat.NotebookNode:
    path = resource_dir("notebooks") / f"{name}.ipynb"
    return nbformat.read(path, as_version=4)


def template_parameters(name: str) -> list[str]:
    """Names the template's parameters cell assigns, in order."""
    for cell in load_template(name).cells:
        if PARAMETERS in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return [
                target.id
                for node in tree.body
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            ]
    return []


def literal(value: Value) -> str:
    """A Python literal for a parameter value; refuses anything that is not plain data."""
    if isinstance(value, bool) or not isinstance(value, (str, int, list)):
        raise TypeError(f"unsupported parameter value {value!r}")
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise TypeError("list parameters must hold strings")
    return repr(value)


def _shift_headings(source: str, levels: int, suffix: str = "") -> str:
    lines = []
    for line in source.split("\n"):
        if line.startswith("## ") and suffix:
            line += suffix
        lines.append("#" * levels + line if line.startswith("#") else line)
    return "\n".join(lines)


def section_heading(name: str) -> str:
    """The text of a template's section heading (its "## " line): what the section is
    called, and, spaces as "-", the id JupyterLab gives the heading (a link target)."""
    for cell in load_template(name).cells:
        if cell.cell_type == "markdown" and TEMPLATE_ONLY not in cell.metadata.get("tags", []):
            for line in cell.source.split("\n"):
                if line.startswith("## "):
                    return line[3:].strip()
    raise ValueError(f"template {name} has no section heading")


def section(
    name: str, params: dict[str, Value], heading_shift: int = 0, heading_suffix: str = ""
) -> list:
    """The template's cells for one dataset, with its parameters cell filled in.

    `heading_shift` moves headings down a level (several datasets in one notebook);
    `heading_suffix` is added to the section heading so that it, and the link target
    JupyterLab makes of it, is unique in the notebook (it must be Markdown already).
    """
    expected = template_parameters(name)
    if sorted(expected) != sorted(params):
        raise ValueError(f"template {name} takes {expected}, got {sorted(params)}")
    cells = []
    for cell in load_template(name).cells:
        tags = cell.metadata.get("tags", [])
        if TEMPLATE_ONLY in tags:
            continue
        if PARAMETERS in tags:
            source = "\n".join(f"{key} = {literal(params[key])}" for key in expected)
            new = code_cell(source, metadata={"tags": [PARAMETERS]})
        elif cell.cell_type == "markdown":
            new = markdown_cell(_shift_headings(cell.source, heading_shift, heading_suffix))
        elif BROWSER_ONLY in tags:
            new = code_cell(cell.source, metadata={"tags": [BROWSER_ONLY]})
        else:
            new = code_cell(cell.source)
        cells.append(new)
    return cells
