"""The public build entry point: inputs -> datasets -> notebooks -> site.

`build_site` is the whole product as one function; the CLI, batch, the addon
and the HTTP API are thin shells over it. `prepare` is its pure part (nothing
written); then the user's code may run in the WebAssembly sandbox (never in
this Python), our own notebooks are pre-rendered on the host
(`execute.prerender`), and the target publishes it (`publish.targets`: stage,
then commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import UserError
from .execute.executor import DEFAULT_CELL_TIMEOUT, WarmExecutor
from .execute.prerender import TOTAL_FACTOR, CodeRunner, code_notebook_run
from .execute.prerender import prerender as prerender_notebooks
from .inputs.code import CodeSource, read_code
from .inputs.limits import DEFAULT_MAX_BYTES, check_data_size
from .inputs.profile import DatasetProfile, profile_dataset
from .inputs.readers import Dataset, Input, load_inputs, sample_rows
from .log import Log, quiet
from .notebooks import builders
from .notebooks.builders import ANALYSIS_TYPES, NotebookFile
from .publish.staging import SiteParts
from .publish.targets import Published, SiteTarget, resolve_target
from .pyodide.assemble import assembled_default
from .pyodide.choice import Default, choose
from .pyodide.distribution import PyodideDistribution
from .pyodide.offline import fetch_requirements, plan
from .sandbox.result import SandboxResult
from .site.contents import SiteFiles, site_contents

__all__ = [
    "ANALYSIS_TYPES",
    "DEFAULT_MAX_BYTES",
    "BuildResult",
    "Prepared",
    "SiteTarget",
    "build_site",
    "prepare",
]


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, for the CLI's summary and for callers."""

    #: the site's folder; for a site in a bucket, its `s3://` location
    out: Path | str
    datasets: list[str]
    notebooks: list[str]
    pyodide_url: str
    #: the user's code as run in the WebAssembly sandbox at build time, if it was
    code_result: SandboxResult | None = None
    #: the entry page's public URL (`public_url`, or a bucket's endpoint); None for a
    #: folder without one
    url: str | None = None
    title: str = ""


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
            if doc.path != builders.CODE_NOTEBOOK
            for cell in doc.notebook.cells
            if cell.cell_type == "code"
        ]


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
        docs.append(builders.analysis_notebook(title, profiles, analysis))
    if sources:
        docs.append(builders.code_notebook(sources, [p.name for p in profiles]))
    if analysis != "custom":
        docs.append(builders.explorer_notebook([p.name for p in profiles]))
    files = site_contents(datasets, docs, title, profiles)
    check_data_size(files.data_bytes(), max_bytes, sampled=sample is not None)
    return Prepared(
        title=title,
        analysis=analysis,
        datasets=datasets,
        profiles=profiles,
        notebooks=docs,
        files=files,
        sources=sources,
    )


def offline_distribution(
    prepared: Prepared,
    pyodide: PyodideDistribution,
    packages: Iterable[str],
    requirements: Path | None,
    *,
    log: Log,
) -> PyodideDistribution:
    """Self-host exactly what the site's code imports, from a local distribution."""
    if not pyodide.is_local and pyodide != PyodideDistribution.cdn():
        raise UserError("--offline needs a local Pyodide (a folder or .tar.bz2), not a URL")
    local = pyodide if pyodide.is_local else assembled_default(log=log)
    extra = fetch_requirements(Path(requirements)) if requirements else []
    selection = plan(
        local,
        generated=prepared.generated_code(),
        user_code=[s.text for s in prepared.sources],
        packages=packages,
        extra=extra,
    )
    return local.pruned(selection)


def build_site(
    inputs: Input | Iterable[Input],
    out: str | Path | SiteTarget,
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
    public_url: str | None = None,
    allow_connect: Sequence[str] = (),
    log: Log = quiet,
) -> BuildResult:
    """Build one site at `out` from data `inputs` and optional `code`.

    `out`: a folder (a self-contained site, unless its parent is a deployment:
    then the site shares the app and Pyodide stored there), an `s3://BUCKET/PREFIX`
    URL (the same, in a bucket), or a `SiteTarget` (batch and the API);
    `public_url`: where `out` is served, for the URL in the result.
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
    `allow_connect`: origins the site's live code may reach besides its own (an API the
    analysis calls on purpose); everything else is refused by its Content-Security-Policy.
    """
    allowed = connect_origins(allow_connect)
    target = resolve_target(out, public_url=public_url)
    target.check()
    prepared = prepare(
        inputs, code=code, analysis=analysis, title=title, sample=sample, max_bytes=max_bytes
    )
    dist = choose(pyodide, default=Default.CDN, log=log)
    if offline:
        dist = offline_distribution(prepared, dist, packages, requirements, log=log)
    elif packages or requirements:
        raise UserError("--packages and --requirements go with --offline")
    runner = code_runner if prerender_code else None  # given explicitly: the API's "execute"
    if runner is None and prerender and prerender_code and prepared.sources:
        runner = sandbox_runner(dist, timeout=prerender_timeout * TOTAL_FACTOR)
    prepared, code_result = run_user_code(prepared, runner, log=log)
    if prerender:
        prepared = prerender_analysis(prepared, executor, timeout=prerender_timeout, log=log)
    marker = site_marker(prepared, dist, offline=offline, allow_connect=allowed,
                         analysis="done" if prerender else "off")  # fmt: skip
    published = target.publish(SiteParts(prepared.files, prepared.title, dist, marker), log=log)
    return build_result(prepared, published, code_result)


def run_user_code(
    prepared: Prepared, runner: CodeRunner | None, *, log: Log = quiet
) -> tuple[Prepared, SandboxResult | None]:
    """`code.ipynb` with the outputs `runner` gave (the WebAssembly sandbox), if there is one."""
    if runner is None:
        return prepared, None
    docs, files, result = code_notebook_run(prepared.notebooks, prepared.files, runner, log=log)
    return replace(prepared, notebooks=docs, files=files), result


def prerender_analysis(
    prepared: Prepared,
    executor: WarmExecutor | None,
    *,
    timeout: float = DEFAULT_CELL_TIMEOUT,
    log: Log = quiet,
) -> Prepared:
    """The analysis and explorer notebooks with their outputs (run under CPython, our code
    only); `executor` is a warm one to reuse, else one is started for this call."""
    warm = executor if executor is not None else WarmExecutor()
    try:
        docs, files, _reports = prerender_notebooks(
            prepared.notebooks, prepared.files, warm, cell_timeout=timeout, log=log
        )
    finally:
        if warm is not executor:
            warm.close()
    return replace(prepared, notebooks=docs, files=files)


def connect_origins(given: Iterable[str]) -> list[str]:
    """`--allow-connect` values as origins (`https://api.example`), checked."""
    found = []
    for value in given:
        parts = urlsplit(str(value))
        if (
            parts.scheme not in ("http", "https", "ws", "wss")
            or not parts.netloc
            or (parts.path not in ("", "/") or parts.query or parts.fragment)
        ):
            raise UserError(f"--allow-connect {value!r}: give an origin, like https://api.example")
        found.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return sorted(set(found))


def site_marker(
    prepared: Prepared,
    dist: PyodideDistribution,
    *,
    offline: bool = False,
    analysis: str,
    allow_connect: Sequence[str] = (),
) -> dict[str, Any]:
    """What a site's marker and a deployment's metadata record of its build.

    `analysis`: "done" (pre-rendered), "off" (not pre-rendered), or "pending" (published
    before it, the API's first phase).
    """
    return {
        "title": prepared.title,
        "analysis": prepared.analysis,
        "datasets": [ds.name for ds in prepared.datasets],
        "notebooks": [d.path for d in prepared.notebooks],
        "pyodide_url": dist.kernel_url,
        "offline": offline,
        "prerendered": analysis == "done",
        "analysis_state": analysis,
        "allow_connect": list(allow_connect),
    }


def build_result(
    prepared: Prepared, published: Published, code_result: SandboxResult | None = None
) -> BuildResult:
    location = published.location
    return BuildResult(
        out=location if location.startswith("s3://") else Path(location),
        datasets=[d.name for d in prepared.datasets],
        notebooks=[d.path for d in prepared.notebooks],
        pyodide_url=published.pyodide_url,
        code_result=code_result,
        url=published.url,
        title=prepared.title,
    )


def sandbox_runner(pyodide: PyodideDistribution, *, timeout: float) -> CodeRunner | None:
    """Run code in the sandbox on the site's own Pyodide, when it has pandas and Deno is here."""
    if pyodide.folder is None or not pyodide.has_pandas:
        return None
    from . import sandbox

    if sandbox.available(pyodide) is not None:
        return None

    def run(code: str, files: SiteFiles) -> SandboxResult:
        return sandbox.run_code(code, files=files, pyodide=pyodide, timeout=timeout)

    return run
