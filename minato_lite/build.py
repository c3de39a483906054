"""The public build entry point: inputs -> datasets -> notebooks -> site.

`build_site` is the whole product as one function; the CLI and any HTTP API
are thin shells over it. It never executes user code: code is parsed only to
flag syntax errors in the notebook. Our own generated notebooks are
pre-rendered (`prerender.py`) so the site opens with their outputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import notebooks
from .datasets import Dataset, Input, load_inputs, sample_rows
from .errors import UserError
from .executor import DEFAULT_CELL_TIMEOUT, WarmExecutor
from .notebooks import CodeSource, NotebookFile
from .offline import fetch_requirements, plan
from .prerender import TOTAL_FACTOR, CodeRunner, code_notebook_run
from .prerender import prerender as prerender_notebooks
from .profile import DatasetProfile, profile_dataset
from .pyodide_dist import assembled_default
from .site import (
    CDN_PYODIDE_URL,
    LOCAL_PYODIDE_URL,
    STARTUP_FILE,
    PyodideChoice,
    SiteFiles,
    check_output_folder,
    choose_pyodide,
    runtime_files,
    shipped_content,
    write_site,
)
from .storage import MANIFEST_FORMAT, encode_frame

if TYPE_CHECKING:
    from .sandbox import SandboxResult

ANALYSIS_TYPES = ("comprehensive", "descriptive", "correlation", "timeseries", "custom")
STARTUP_SOURCE = '''"""minato-lite kernel startup, run by IPython through PYTHONSTARTUP."""
import importlib.util as _util
import os as _os
import sys as _sys

# The package beside this file (/drive/minato in the browser, a copy of files/ under
# CPython) is imported from its path, not through sys.path: in the browser, a /drive
# entry on sys.path costs a round trip to the page for every later import.
_here = _os.path.dirname(_os.path.abspath(globals().get("__file__", "/drive/minato/startup.py")))
# IPython runs this file with its folder prepended to sys.path; take it off for the
# imports the startup makes (pandas alone brings dozens)
while _here in _sys.path:
    _sys.path.remove(_here)
if "minato" not in _sys.modules:
    _spec = _util.spec_from_file_location(
        "minato", _os.path.join(_here, "__init__.py"), submodule_search_locations=[_here]
    )
    _sys.modules["minato"] = _util.module_from_spec(_spec)
    try:
        _spec.loader.exec_module(_sys.modules["minato"])
    except BaseException:
        del _sys.modules["minato"]
        raise
import minato

minato._startup(globals())
globals().pop("_spec", None)
del _util, _os, _sys, _here
'''


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, for the CLI's summary and for callers."""

    out: Path
    datasets: list[str]
    notebooks: list[str]
    pyodide_url: str
    #: the user's code as run in the WebAssembly sandbox at build time, if it was
    code_result: SandboxResult | None = None


@dataclass(frozen=True)
class Prepared:
    """Everything site-specific, computed before a single file is written."""

    title: str
    analysis: str
    datasets: list[Dataset]
    profiles: list[DatasetProfile]
    notebooks: list[NotebookFile]
    files: SiteFiles
    sources: list[CodeSource]

    def generated_code(self) -> list[str]:
        """Code cells of the generated notebooks (not the user's)."""
        return [
            cell.source
            for doc in self.notebooks
            if doc.path != notebooks.CODE_NOTEBOOK
            for cell in doc.notebook.cells
            if cell.cell_type == "code"
        ]


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


#: what a browser tab can comfortably hold as CSV text plus its DataFrame
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def parse_size(text: str) -> int:
    """`200MB`, `1.5GB`, `5000000` -> bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*", text.upper())
    if not match:
        raise UserError(f"cannot read size {text!r}; write it like 200MB or 1GB")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def _human(size: int) -> str:
    for unit in ("GB", "MB", "KB"):
        if size >= _UNITS[unit]:
            return f"{size / _UNITS[unit]:.1f} {unit}"
    return f"{size} B"


def check_size(files: SiteFiles, max_bytes: int, sampled: bool) -> None:
    """Refuse data a browser tab cannot hold, saying how to sample or raise the limit."""
    data = sum(len(v) for k, v in files.files.items() if k.startswith("data/"))
    if data > max_bytes:
        hint = "use a smaller --sample" if sampled else "keep a random sample with --sample N"
        raise UserError(
            f"the data is {_human(data)} as stored, above the {_human(max_bytes)} limit for "
            f"in-browser use; {hint} (rows), or raise the limit with --max-size"
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
                "sampled_from": ds.sampled_from,
                "columns": schema,
            }
        )
    files.add("data/manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    for rel, content in [*runtime_files().items(), *shipped_content().items()]:
        files.add(rel, content)
    files.add(STARTUP_FILE, STARTUP_SOURCE)
    for doc in docs:
        files.add(doc.path, doc.dumps())
    return files


def prepare(
    inputs: Input | Iterable[Input],
    *,
    code: str | Path | Iterable[str | Path] | None = None,
    analysis: str = "comprehensive",
    title: str | None = None,
    sample: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Prepared:
    """Read, profile and generate: the pure part of a build (no app, no output folder)."""
    if analysis not in ANALYSIS_TYPES:
        raise UserError(
            f"unknown analysis type {analysis!r}; use one of {', '.join(ANALYSIS_TYPES)}"
        )
    if sample is not None and sample < 1:
        raise UserError("--sample takes a number of rows, 1 or more")
    datasets = load_inputs(inputs)
    if sample is not None:
        datasets = [sample_rows(ds, sample) for ds in datasets]
    sources = read_code(code)
    if analysis == "custom" and not sources:
        raise UserError("--analysis custom shows only your code; give it with --code FILE")
    title = " ".join((title or datasets[0].label).split()) or "Analysis"
    profiles = [profile_dataset(ds) for ds in datasets]
    docs = []
    if analysis != "custom":
        docs.append(notebooks.analysis_notebook(title, profiles, analysis))
    if sources:
        docs.append(notebooks.code_notebook(sources, [p.name for p in profiles]))
    if analysis != "custom":
        docs.append(notebooks.explorer_notebook([p.name for p in profiles]))
    files = site_contents(datasets, docs, title)
    check_size(files, max_bytes, sampled=sample is not None)
    return Prepared(
        title=title,
        analysis=analysis,
        datasets=datasets,
        profiles=profiles,
        notebooks=docs,
        files=files,
        sources=sources,
    )


def offline_choice(
    prepared: Prepared,
    choice: PyodideChoice,
    packages: Iterable[str],
    requirements: Path | None,
    *,
    log: Callable[[str], None],
) -> PyodideChoice:
    """Self-host exactly what the site's code imports, from a local distribution."""
    if choice.local is None and choice.url != CDN_PYODIDE_URL:
        raise UserError("--offline needs a local Pyodide (a folder or .tar.bz2), not a URL")
    dist = choice.local or assembled_default(log=log)
    extra = fetch_requirements(Path(requirements)) if requirements else []
    package_plan = plan(
        dist,
        generated=prepared.generated_code(),
        user_code=[s.text for s in prepared.sources],
        packages=packages,
        extra=extra,
    )
    return PyodideChoice(url=LOCAL_PYODIDE_URL, local=dist, plan=package_plan)


def build_site(
    inputs: Input | Iterable[Input],
    out: str | Path,
    *,
    code: str | Path | Iterable[str | Path] | None = None,
    analysis: str = "comprehensive",
    title: str | None = None,
    pyodide: str | Path | None = None,
    sample: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    offline: bool = False,
    packages: Iterable[str] = (),
    requirements: Path | None = None,
    prerender: bool = True,
    prerender_timeout: float = DEFAULT_CELL_TIMEOUT,
    executor: WarmExecutor | None = None,
    code_runner: CodeRunner | None = None,
    prerender_code: bool = True,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build one site at `out` from data `inputs` and optional `code`.

    `inputs`: file paths (CSV, TSV, JSON, JSONL, Excel, Parquet), DataFrames,
    lists of records, or a dict mapping names to any of these.
    `code`: code text (`str`) or files (`Path`), placed in `code.ipynb`, never run.
    `pyodide`: None for the public CDN, a URL, or a local distribution folder
    or release tarball to self-host (then the site works offline).
    `offline`: ship only the Pyodide packages the code imports (plus `packages`
    and the pure-Python `requirements` from PyPI); without `pyodide`, the
    assembled distribution is used.
    `prerender`: run the analysis and explorer notebooks now (under CPython, each
    cell limited to `prerender_timeout` seconds) so the site opens with their
    outputs; `executor` is a warm one to reuse (batch, API), else one is started
    for this build. The user's code is pre-rendered only in the WebAssembly
    sandbox: through `code_runner` if given (the API's warm pool), else when the
    site self-hosts a Pyodide with pandas and Deno is installed (the same Python
    the visitor's browser will run); otherwise, or with `prerender_code=False`,
    `code.ipynb` stays unexecuted.
    """
    log = log or (lambda _msg: None)
    check_output_folder(Path(out))
    prepared = prepare(
        inputs, code=code, analysis=analysis, title=title, sample=sample, max_bytes=max_bytes
    )
    choice = choose_pyodide(pyodide, log=log)
    if offline:
        choice = offline_choice(prepared, choice, packages, requirements, log=log)
    elif packages or requirements:
        raise UserError("--packages and --requirements go with --offline")
    runner = code_runner if prerender_code else None  # given explicitly: the API's "execute"
    if runner is None and prerender and prerender_code and prepared.sources:
        runner = sandbox_runner(choice, timeout=prerender_timeout * TOTAL_FACTOR)
    code_result = None
    if runner is not None:
        prepared, code_result = code_notebook_run(prepared, runner, log=log)
    if prerender:
        own_executor = None if executor is not None else WarmExecutor()
        try:
            prepared, _reports = prerender_notebooks(
                prepared, executor or own_executor, cell_timeout=prerender_timeout, log=log
            )
        finally:
            if own_executor is not None:
                own_executor.close()
    names = [d.path for d in prepared.notebooks]
    marker = {
        "title": prepared.title,
        "analysis": analysis,
        "datasets": [ds.name for ds in prepared.datasets],
        "notebooks": names,
        "pyodide_url": choice.url,
        "offline": offline,
        "prerendered": prerender,
    }
    write_site(
        Path(out),
        prepared.files,
        title=prepared.title,
        landing_notebook=names[0],
        choice=choice,
        marker=marker,
        log=log,
    )
    return BuildResult(
        out=Path(out),
        datasets=[d.name for d in prepared.datasets],
        notebooks=names,
        pyodide_url=choice.url,
        code_result=code_result,
    )


def sandbox_runner(choice: PyodideChoice, *, timeout: float) -> CodeRunner | None:
    """Run code in the sandbox on the site's own Pyodide, when it has pandas and Deno is here."""
    if choice.local is None or "pandas" not in choice.local.packages:
        return None
    from . import sandbox

    if sandbox.available(choice.local.path) is not None:
        return None
    dist = choice.local.path

    def run(code: str, files: SiteFiles):
        return sandbox.run_code(code, files=files, pyodide=dist, timeout=timeout)

    return run
