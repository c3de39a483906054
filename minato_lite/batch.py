"""`minato-lite batch`: many analyses from one manifest, one site each, plus an index page.

One bad entry never stops the others: each failure is recorded with its
one-line reason and the batch exits 1 at the end. The output (a folder or an
`s3://` prefix) is a deployment (`publish.deployment`): the JupyterLite app and
the Pyodide are stored once under `_shared/` and every site holds only its
own files, so a batch pays for the app once in storage and a visitor once in
downloads. One warm executor pre-renders every site's notebooks (pandas and
matplotlib are imported once per worker, not once per site). Sites are built
`jobs` at a time: reading data and writing files overlap with pre-rendering.
The index page is written last.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .build import ANALYSIS_TYPES, build_site
from .errors import MinatoError, UserError, one_line
from .execute.executor import DEFAULT_CELL_TIMEOUT, WarmExecutor
from .markup import html_text
from .publish.deployment import Deployment, check_site_name
from .publish.targets import DeploymentSite
from .store.policy import REVALIDATE

ENTRY_KEYS = {"name", "inputs", "code", "analysis", "title"}


@dataclass(frozen=True)
class AnalysisSpec:
    name: str
    inputs: list[Path]
    code: list[Path] = field(default_factory=list)
    analysis: str = "comprehensive"
    title: str | None = None


@dataclass(frozen=True)
class BatchResult:
    name: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str = ""
    #: the site's entry page, where the output has a public URL (a bucket, --public-url)
    url: str | None = None


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UserError(f"{path}: not valid YAML: {one_line(exc)}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None


def _paths(value: Any, where: str, base: Path) -> list[Path]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{where} must be a list of paths")
    return [base / v for v in value]


def read_manifest(path: Path) -> list[AnalysisSpec]:
    """Validate a batch manifest; paths are relative to the manifest's folder."""
    if not path.is_file():
        raise UserError(f"{path}: no such manifest")
    data = _load(path)
    if not isinstance(data, dict) or set(data) != {"analyses"}:
        raise UserError(f'{path}: the manifest must be {{"analyses": [...]}} and nothing else')
    entries = data["analyses"]
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{path}: 'analyses' must be a non-empty list")
    specs, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"{path}: analyses[{index}]"
        if not isinstance(entry, dict):
            raise UserError(f"{where} must be an object")
        extra = sorted(set(entry) - ENTRY_KEYS)
        if extra:
            raise UserError(f"{where}: unknown key(s) {', '.join(extra)}")
        name = entry.get("name")
        if not isinstance(name, str):
            raise UserError(f"{where}: 'name' must be text (it is a folder name)")
        try:
            check_site_name(name)
        except UserError as exc:
            raise UserError(f"{where}: {exc}") from None
        if name in seen:
            raise UserError(f"{where}: name {name!r} is used twice")
        seen.add(name)
        analysis = entry.get("analysis", "comprehensive")
        if analysis not in ANALYSIS_TYPES:
            raise UserError(f"{where}: analysis must be one of {', '.join(ANALYSIS_TYPES)}")
        title = entry.get("title")
        if title is not None and not isinstance(title, str):
            raise UserError(f"{where}: 'title' must be text")
        if "inputs" not in entry:
            raise UserError(f"{where}: 'inputs' is required")
        specs.append(
            AnalysisSpec(
                name=name,
                inputs=_paths(entry["inputs"], f"{where}.inputs", path.parent),
                code=_paths(entry.get("code", []), f"{where}.code", path.parent),
                analysis=analysis,
                title=title,
            )
        )
    return specs


def index_page(results: list[BatchResult], specs: dict[str, AnalysisSpec]) -> str:
    items = []
    for result in results:
        title = html_text(specs[result.name].title or result.name)
        if result.status == "ok":
            items.append(f'<li><a href="./{html_text(result.name)}/index.html">{title}</a></li>')
        else:
            items.append(f"<li>{title}: <em>failed</em> ({html_text(result.error)})</li>")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>minato-lite analyses</title>\n"
        '<link rel="icon" href="data:,">\n'
        "</head>\n<body>\n<h1>Analyses</h1>\n<ul>\n"
        + "\n".join(items)
        + "\n</ul>\n</body>\n</html>\n"
    )


def run_batch(
    manifest: Path,
    out_dir: Path | str,
    *,
    pyodide: str | None = None,
    prerender: bool = True,
    prerender_timeout: float = DEFAULT_CELL_TIMEOUT,
    jobs: int | None = None,
    progress: Callable[[int, int, BatchResult], None] = lambda _i, _n, _r: None,
    public_url: str | None = None,
    allow_connect: Sequence[str] = (),
) -> list[BatchResult]:
    """Build every analysis of `manifest` into `out_dir/<name>/`; return one result each.

    `out_dir` is a folder or `s3://BUCKET/PREFIX`, served at `public_url` if given.
    Results come back in manifest order; `progress` is called as each finishes.
    """
    specs = read_manifest(manifest)
    deployment = Deployment.open(out_dir, public_url=public_url).init()
    jobs = max(1, jobs or os.cpu_count() or 1)
    executor = WarmExecutor(min(jobs, len(specs))) if prerender and specs else None
    done = 0
    done_lock = threading.Lock()

    def one(spec: AnalysisSpec) -> BatchResult:
        nonlocal done
        start = time.perf_counter()
        try:
            built = build_site(
                spec.inputs,
                DeploymentSite(deployment, spec.name),
                code=spec.code or None,
                analysis=spec.analysis,
                title=spec.title,
                pyodide=pyodide,
                prerender=prerender,
                prerender_timeout=prerender_timeout,
                executor=executor,
                allow_connect=allow_connect,
            )
            result = BatchResult(spec.name, "ok", time.perf_counter() - start, url=built.url)
        except MinatoError as exc:
            result = BatchResult(spec.name, "failed", time.perf_counter() - start, one_line(exc))
        except Exception as exc:  # one broken analysis must not stop the batch
            error = one_line(f"unexpected {type(exc).__name__}: {exc}")
            result = BatchResult(spec.name, "failed", time.perf_counter() - start, error)
        with done_lock:
            done += 1
            progress(done, len(specs), result)
        return result

    try:
        with ThreadPoolExecutor(jobs, thread_name_prefix="minato-batch") as pool:
            results = list(pool.map(one, specs))
    finally:
        if executor is not None:
            executor.close()
    page = index_page(results, {s.name: s for s in specs}).encode("utf-8")
    deployment.store.put("index.html", page, content_type="text/html; charset=utf-8",
                         cache_control=REVALIDATE)  # fmt: skip
    return results


def index_location(out_dir: Path | str, public_url: str | None = None) -> str:
    """Where the batch's index page is: its public URL if known, else its path."""
    store = Deployment.open(out_dir, public_url=public_url).store
    try:
        return store.url_for("index.html")
    except UserError:
        return str(Path(out_dir) / "index.html")


def summary(results: list[BatchResult], seconds: float) -> dict[str, Any]:
    return {
        "ok": sum(r.status == "ok" for r in results),
        "failed": sum(r.status == "failed" for r in results),
        "seconds": round(seconds, 3),
        "analyses": [asdict(r) | {"seconds": round(r.seconds, 3)} for r in results],
    }
