"""Datasets -> nbformat documents.

Small pure functions return cells; documents are composed from them. Cell ids
are derived from the notebook name and the cell's position, so building twice
from the same inputs gives byte-identical files. User text only enters
Markdown through `markup.md_*` and code through `templates.literal`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import nbformat
from nbformat import v4

from ..inputs.code import CodeSource, split_cells, syntax_problem
from ..inputs.profile import DatasetProfile
from ..markup import md_code, md_text
from .templates import section

#: what `analysis.ipynb` holds: `custom` is the user's code alone
ANALYSIS_TYPES = ("comprehensive", "descriptive", "correlation", "timeseries", "custom")
KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
#: the `language_info` the Pyodide kernel (jupyterlite-pyodide-kernel 0.8.6) answers in its
#: kernel_info_reply, a constant of its worker (Python "3.8" included, whatever Pyodide runs).
#: JupyterLab writes the reply into the notebook's metadata when the kernel connects: any
#: difference marks the notebook modified, and closing its tab then asks to save changes
#: nobody made. Stored exactly as the kernel says it; tests/test_app_cache.py compares it
#: with the app's kernel bundle, so a kernel upgrade that changes the reply fails there.
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "python", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.8",
}
ANALYSIS_NOTEBOOK = "analysis.ipynb"
EXPLORER_NOTEBOOK = "explorer.ipynb"
#: categories show their most common values; the rest are one "other" bar
TOP_N = 10


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
    """A validated notebook with stable cell ids and the Pyodide kernel's own metadata."""
    nb = v4.new_notebook(
        cells=list(cells),
        metadata={"kernelspec": dict(KERNELSPEC), "language_info": copy.deepcopy(LANGUAGE_INFO)},
    )
    for index, cell in enumerate(nb.cells):
        digest = hashlib.sha256(f"{name}\0{index}".encode()).hexdigest()[:12]
        cell["id"] = f"c{index:03d}-{digest}"
    nbformat.validate(nb)
    return NotebookFile(path=name, notebook=nb)


def dataset_table(profiles: Sequence[DatasetProfile]) -> str:
    rows = ["| dataset | from | rows | columns |", "|---|---|---:|---:|"]
    rows += [
        f"| {md_code(p.name)} | {md_text(p.source)} | {p.rows:,} | {len(p.columns):,} |"
        for p in profiles
    ]
    samples = [
        f"> **Sample:** {md_code(p.name)} holds {p.rows:,} rows drawn at random (seed 0) "
        f"from {p.sampled_from:,}; results describe the sample, not the whole data."
        for p in profiles
        if p.sampled_from
    ]
    return "\n".join(rows) + ("\n\n" + "\n\n".join(samples) if samples else "")


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def plan_sections(profile: DatasetProfile, analysis: str) -> list[tuple[str, dict] | str]:
    """Which templates a dataset gets for an analysis type, with their parameters.

    Sections adapt to the data; where a requested section cannot apply, a
    one-line note (a plain string here) says why instead.
    """
    numeric = _unique(profile.names("numeric"))
    categorical = _unique(profile.names("categorical") + profile.names("boolean"))
    dates = _unique(profile.names("datetime"))
    name = profile.name
    plan: list[tuple[str, dict] | str] = [("overview", {"DATASET": name})]
    wants = {
        "comprehensive": ("missing", "distributions", "correlations", "categories", "timeseries"),
        "descriptive": ("missing", "distributions", "categories"),
        "correlation": ("correlations",),
        "timeseries": ("timeseries",),
    }[analysis]
    explicit = analysis in ("correlation", "timeseries")
    for wanted in wants:
        if wanted == "missing" and profile.missing_cells:
            plan.append(("missing", {"DATASET": name}))
        elif wanted == "distributions" and numeric:
            plan.append(("distributions", {"DATASET": name, "NUMERIC": numeric}))
        elif wanted == "correlations":
            if len(numeric) >= 2:
                plan.append(("correlations", {"DATASET": name, "NUMERIC": numeric}))
            elif explicit:
                plan.append("No correlations: this dataset has fewer than two numeric columns.")
        elif wanted == "categories" and categorical:
            plan.append(
                ("categories", {"DATASET": name, "CATEGORICAL": categorical, "TOP_N": TOP_N})
            )
        elif wanted == "timeseries":
            if dates:
                plan.append(
                    ("timeseries", {"DATASET": name, "DATETIME": dates[0], "NUMERIC": numeric})
                )
            elif explicit:
                plan.append("No time series: this dataset has no date or time column.")
    return plan


def analysis_notebook(
    title: str, profiles: Sequence[DatasetProfile], analysis: str
) -> NotebookFile:
    """The notebook a site opens on: what is loaded, then sections chosen per dataset."""
    cells = [
        markdown(
            f"# {md_text(title)}\n\n"
            "The kernel started with this site's data already loaded: `df` is the first "
            "dataset and `frames` holds every dataset by name. Everything runs in your "
            "browser; nothing is sent to a server.\n\n" + dataset_table(profiles)
        ),
        code("import minato\n\nminato.datasets()"),
    ]
    several = len(profiles) > 1
    for profile in profiles:
        if several:
            cells.append(markdown(f"# Dataset {md_code(profile.name)}"))
        for item in plan_sections(profile, analysis):
            if isinstance(item, str):
                cells.append(markdown(f"> {md_text(item)}"))
            else:
                cells.extend(section(item[0], item[1], heading_shift=1 if several else 0))
    return document(ANALYSIS_NOTEBOOK, cells)


def explorer_notebook(names: Sequence[str]) -> NotebookFile:
    """ipywidgets controls over every dataset of the site."""
    return document(EXPLORER_NOTEBOOK, section("explorer", {"DATASETS": list(names)}))


CODE_NOTEBOOK = "code.ipynb"
NOT_RUN_NOTE = (
    "This code was placed here as given and was **not run** when the site was built. "
    "Run the cells to execute it in your browser's Python sandbox."
)
SANDBOX_RUN_NOTE = (
    "This code was placed here as given and **ran when the site was built in a WebAssembly "
    "sandbox** (Pyodide inside Deno, with no permissions), never in the server's Python; "
    "its outputs are shown. Run the cells to execute it again in your browser's Python sandbox."
)


def code_notebook(sources: Sequence[CodeSource], dataset_names: Sequence[str]) -> NotebookFile:
    """The user's code, verbatim, under a header that says where it came from."""
    cells = [
        markdown(
            "# Your code\n\n" + NOT_RUN_NOTE + " The data is already "
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
