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
from .cells import code_cell, markdown_cell
from .templates import section, section_heading

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
    return markdown_cell(text)


def code(source: str) -> nbformat.NotebookNode:
    return code_cell(source.strip("\n"))


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


#: per analysis type, the sections wanted after the overview, in notebook order, and the
#: kinds of finding listed at the top ((): every kind). A focused analysis states what
#: it is about: a correlation analysis the associations, a time series analysis trends
#: and cycles. Group comparisons go with the comprehensive analysis only: they are the
#: slowest section, and a descriptive analysis describes columns one at a time
SECTIONS: dict[str, tuple[str, ...]] = {
    "comprehensive": (
        "missing", "distributions", "correlations", "categories", "groups", "timeseries",
    ),
    "descriptive": ("missing", "distributions", "categories"),
    "correlation": ("correlations",),
    "timeseries": ("timeseries",),
}  # fmt: skip
FINDING_KINDS: dict[str, tuple[str, ...]] = {
    "comprehensive": (),
    "descriptive": (),
    "correlation": ("high_correlation", "group_difference"),
    "timeseries": ("non_stationary", "seasonal"),
}


def plan_sections(profile: DatasetProfile, analysis: str) -> list[tuple[str, dict] | str]:
    """Which templates a dataset gets for an analysis type, with their parameters.

    Sections adapt to the data and follow the semantic types (`inputs.profile`):
    only measures (numbers that are not identifiers, flags, codes, constants or
    years) are charted and correlated; identifiers and constants never are. Where a
    requested section cannot apply, a one-line note (a plain string) says why instead.
    Key findings come first and are not part of this plan (`analysis_notebook` adds
    them, with links to the sections planned here).
    """
    numeric = profile.measures()
    categorical = [c.name for c in profile.first_columns() if c.kind in ("categorical", "boolean")]
    times = profile.times()
    name = profile.name
    plan: list[tuple[str, dict] | str] = [("overview", {"DATASET": name})]
    explicit = analysis in ("correlation", "timeseries")
    for wanted in SECTIONS[analysis]:
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
        elif wanted == "groups" and numeric and profile.groupings():
            plan.append(("groups", {"DATASET": name}))
        elif wanted == "timeseries":
            if times:
                plan.append(
                    ("timeseries", {"DATASET": name, "DATETIME": times[0], "NUMERIC": numeric})
                )
            elif explicit:
                plan.append("No time series: this dataset has no date or time column.")
    return plan


def heading_anchor(heading: str) -> str:
    """The id JupyterLab gives a Markdown heading: its text, spaces as "-"."""
    return heading.replace(" ", "-")


def findings_params(
    profile: DatasetProfile, analysis: str, plan: Sequence[tuple[str, dict] | str], suffix: str
) -> dict:
    """Parameters of the key findings section: the sections it may link to (those in
    `plan`) and their heading ids, and the kinds of finding it lists."""
    sections = [item[0] for item in plan if not isinstance(item, str)]
    return {
        "DATASET": profile.name,
        "SECTIONS": sections,
        "ANCHORS": [heading_anchor(section_heading(s) + suffix) for s in sections],
        "KINDS": list(FINDING_KINDS[analysis]),
    }


def conversions_note(profile: DatasetProfile) -> str | None:
    """The overview's note on columns read as numbers or dates although written as text."""
    if not profile.conversions:
        return None
    items = "\n".join(f"> * {md_code(c.column)}: {md_text(c.how)}" for c in profile.conversions)
    return (
        "> **Read as numbers and dates:** these columns hold numbers or dates written as "
        "text; the site stores them converted, so `df` and every section below use the "
        "numbers (`minato.info()` lists the conversions).\n>\n" + items
    )


def analysis_notebook(
    title: str, profiles: Sequence[DatasetProfile], analysis: str
) -> NotebookFile:
    """The notebook a site opens on: what is loaded, then per dataset its key findings
    and the sections chosen for it."""
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
    shift = 1 if several else 0
    for profile in profiles:
        # with several datasets, each one's headings name it: their ids must be unique
        suffix = f": {profile.name}" if several else ""
        if several:
            cells.append(markdown(f"# Dataset {md_code(profile.name)}"))
        plan = plan_sections(profile, analysis)
        params = findings_params(profile, analysis, plan, suffix)
        cells.extend(section("findings", params, shift, md_text(suffix)))
        for item in plan:
            if isinstance(item, str):
                cells.append(markdown(f"> {md_text(item)}"))
                continue
            name, values = item
            made = section(name, values, shift, md_text(suffix))
            note = conversions_note(profile) if name == "overview" else None
            if note:  # right after the section's heading
                heading = next(i for i, c in enumerate(made) if c.cell_type == "markdown")
                made.insert(heading + 1, markdown(note))
            cells.extend(made)
    return document(ANALYSIS_NOTEBOOK, cells)


def explorer_notebook(names: Sequence[str]) -> NotebookFile:
    """ipywidgets controls over every dataset of the site."""
    return document(EXPLORER_NOTEBOOK, section("explorer", {"DATASETS": list(names)}))


CODE_NOTEBOOK = "code.ipynb"
#: the code notebook's opening cells (what it is, the datasets): the report leaves them out
INTRO = "intro"
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
    for cell in cells:  # the report says this itself, once, and starts at the user's code
        cell.metadata["tags"] = [INTRO]
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
