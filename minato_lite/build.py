"""The public build entry point: inputs -> datasets -> notebooks -> site.

`build_site` is the whole product as one function; the CLI and any HTTP API
are thin shells over it. It never executes user code: code is parsed only to
flag syntax errors in the notebook.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import notebooks
from .datasets import Dataset, Input, load_inputs
from .errors import UserError
from .notebooks import CodeSource, DatasetSummary, NotebookFile
from .site import SiteFiles, choose_pyodide, runtime_files, write_site
from .storage import MANIFEST_FORMAT, encode_frame

ANALYSIS_TYPES = ("comprehensive", "descriptive", "correlation", "timeseries", "custom")
STARTUP_SOURCE = '''"""minato-lite kernel startup, run by IPython through PYTHONSTARTUP."""
import sys as _sys

if "/drive" not in _sys.path:
    _sys.path.insert(0, "/drive")
import minato

minato._startup(globals())
del _sys
'''


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, for the CLI's summary and for callers."""

    out: Path
    datasets: list[str]
    notebooks: list[str]
    pyodide_url: str


def read_code(code: str | Path | Iterable[str | Path] | None) -> list[CodeSource]:
    """Code as given: a `str` is code text, a `Path` is a file to read (UTF-8)."""
    if code is None:
        return []
    items = [code] if isinstance(code, (str, Path)) else list(code)
    sources = []
    for item in items:
        if isinstance(item, Path):
            if not item.is_file():
                raise UserError(f"{item}: no such code file")
            try:
                text = item.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise UserError(
                    f"{item}: code file is not UTF-8 (byte {exc.start}); save it as UTF-8"
                ) from None
            sources.append(CodeSource(label=item.name, text=text))
        else:
            sources.append(CodeSource(label="code", text=str(item)))
    return sources


def summarize(dataset: Dataset) -> DatasetSummary:
    return DatasetSummary(
        name=dataset.name,
        label=dataset.label,
        source=dataset.source,
        rows=int(dataset.frame.shape[0]),
        columns=int(dataset.frame.shape[1]),
    )


def site_contents(
    datasets: Sequence[Dataset], docs: Sequence[NotebookFile], title: str
) -> SiteFiles:
    files = SiteFiles()
    manifest = {"format": MANIFEST_FORMAT, "title": title, "datasets": []}
    for ds in datasets:
        text, schema = encode_frame(ds.frame)
        files.add(f"data/{ds.name}.csv", text)
        manifest["datasets"].append(
            {
                "name": ds.name,
                "label": ds.label,
                "source": ds.source,
                "file": f"{ds.name}.csv",
                "rows": int(ds.frame.shape[0]),
                "columns": schema,
            }
        )
    files.add("data/manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    for rel, content in runtime_files().items():
        files.add(rel, content)
    files.add("minato/startup.py", STARTUP_SOURCE)
    for doc in docs:
        files.add(doc.path, doc.dumps())
    return files


def build_site(
    inputs: Input | Iterable[Input],
    out: str | Path,
    *,
    code: str | Path | Iterable[str | Path] | None = None,
    analysis: str = "comprehensive",
    title: str | None = None,
    pyodide: str | Path | None = None,
    log=None,
) -> BuildResult:
    """Build one site at `out` from data `inputs` and optional `code`.

    `inputs`: file paths (CSV, TSV, JSON, JSONL, Excel, Parquet), DataFrames,
    lists of records, or a dict mapping names to any of these.
    `pyodide`: None for the public CDN, a URL, or a local distribution folder
    or release tarball to self-host (then the site works offline).
    """
    log = log or (lambda _msg: None)
    if analysis not in ANALYSIS_TYPES:
        raise UserError(
            f"unknown analysis type {analysis!r}; use one of {', '.join(ANALYSIS_TYPES)}"
        )
    datasets = load_inputs(inputs)
    sources = read_code(code)
    title = " ".join((title or datasets[0].label).split()) or "Analysis"
    choice = choose_pyodide(pyodide, log=log)
    summaries = [summarize(ds) for ds in datasets]
    docs = [notebooks.analysis_notebook(title, summaries)]
    if sources:
        docs.append(notebooks.code_notebook(sources, [s.name for s in summaries]))
    files = site_contents(datasets, docs, title)
    marker = {
        "title": title,
        "analysis": analysis,
        "datasets": [ds.name for ds in datasets],
        "notebooks": [d.path for d in docs],
        "pyodide_url": choice.url,
    }
    write_site(
        Path(out),
        files,
        title=title,
        landing_notebook=docs[0].path,
        choice=choice,
        marker=marker,
        log=log,
    )
    return BuildResult(
        out=Path(out),
        datasets=[d.name for d in datasets],
        notebooks=[d.path for d in docs],
        pyodide_url=choice.url,
    )
