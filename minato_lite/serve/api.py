"""`minato-lite api`: the web API a product backend calls. Code + data in, a site URL out.

    POST   /api/insights/python-sandbox   {"code", "data", "analysisType", "title"?,
                                            "execute"?} -> 201 JSON {"id", "url"} (+ the
                                           sandbox's "ok", "outputs", "error", "seconds"
                                           with "execute": true), or a page opening the
                                           site when Accept prefers text/html
    GET    /api/sites/{id}                 metadata
    DELETE /api/sites/{id}
    GET    /healthz
    GET    /sites/{id}/index.html          the built site, opening on its report, when
                                           sites are in a folder (static, with serve's headers)
    GET    /openapi.json                   the schema

Sites live in a deployment (`publish.deployment`): a folder or an `s3://` bucket
prefix holding the shared app and Pyodide once, each site's own files, and
bookkeeping objects (metadata, publishes in progress). Everything a replica
needs is in the store: with a bucket, any number of API processes can share
it, each with its own warm executor and sandbox pool; metadata, deletion and
expiry (`ttl`, swept by every replica) work from any of them, and a replica
killed mid-build leaves a site no one can open, removed by the next sweep.

Submitted code is placed in a notebook and parsed to flag syntax errors; it is
never executed in this host's Python. With "execute": true it also runs in the
WebAssembly sandbox (Pyodide in Deno with no permissions, a warm pool started
by the first such request) and the answer carries its outputs. The generated
analysis and explorer notebooks are pre-rendered by one warm executor shared
by all requests. Site ids are 128 random bits and nothing lists them. Builds
run `max_builds` at a time (default: one per core); up to `max_queue` more
wait their turn; beyond that the answer is 429 with Retry-After, so a burst
degrades into waiting rather than into memory growth.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..build import ANALYSIS_TYPES, build_site
from ..errors import MinatoError, UserError, one_line
from ..execute.executor import DEFAULT_CELL_TIMEOUT, WarmExecutor
from ..markup import html_text
from ..publish.deployment import BOOKKEEPING, DEFAULT_STALE_SECONDS, Deployment
from ..publish.targets import DeploymentSite
from ..store import MissingKey
from .static import static_app

ID_BYTES = 16  # 128 bits
DEFAULT_MAX_BODY = 50 * 1024 * 1024
Record = dict[str, Any]


class SandboxRequest(BaseModel):
    """What the product backend posts: the LLM's code, the user's rows, the analysis type."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=1_000_000, description="Python code; never run on the server")
    data: list[Record] | dict[str, list[Record]] = Field(description="rows, or datasets by name")
    analysisType: Literal[ANALYSIS_TYPES] = "comprehensive"  # type: ignore[valid-type]
    title: str | None = Field(default=None, max_length=300)
    execute: bool = Field(
        default=False,
        description="also run the code in the server's WebAssembly sandbox (Pyodide in Deno, "
        "no permissions) and return its outputs; the site's code notebook then opens with them",
    )


class SiteCreated(BaseModel):
    id: str
    url: str
    #: with "execute": true: the sandbox's answer, as `minato-lite run --json` prints it
    ok: bool | None = None
    outputs: list[dict[str, Any]] | None = None
    error: dict[str, Any] | None = None
    seconds: float | None = None


@dataclass
class Settings:
    #: a folder or `s3://BUCKET/PREFIX`: the deployment the sites go to
    sites_dir: Path | str
    token: str | None = None
    ttl_seconds: float | None = None
    pyodide: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    max_builds: int = max(1, os.cpu_count() or 1)
    max_queue: int = 64
    isolate: bool = False
    prerender: bool = True
    prerender_timeout: float = DEFAULT_CELL_TIMEOUT
    #: where the sites are served (a CDN, the bucket's endpoint); URLs handed out use it
    public_url: str | None = None
    #: a publish this old without an entry page was killed: a sweep removes it
    stale_seconds: float = DEFAULT_STALE_SECONDS

    def deployment(self) -> Deployment:
        return Deployment.open(self.sites_dir, public_url=self.public_url,
                               stale_seconds=self.stale_seconds)  # fmt: skip


class BodyLimit:
    """413 for a body over the limit, declared or not, before the app parses any of it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit)(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await _too_large(self.limit)(scope, receive, send)
                return
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {"error": f"request body is larger than the {limit // (1024 * 1024)} MB limit"},
        status_code=413,
    )


def prefers_html(accept: str | None) -> bool:
    """True when `accept` gives text/html a higher q than application/json.

    Each type takes the q of its most specific matching range (exact, then
    `type/*`, then `*/*`; unmatched is 0). Ties, `*/*`, a missing or
    unreadable header all keep JSON.
    """
    best: dict[str, tuple[int, float]] = {}  # media type -> (specificity, q)
    for item in (accept or "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not (kind and slash and sub) or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value.strip())))
                except ValueError:
                    q = 0.0
                break
        for target in ("text/html", "application/json"):
            if f"{kind}/{sub}" == target:
                specificity = 2
            elif kind == target.split("/")[0] and sub == "*":
                specificity = 1
            elif kind == "*":
                specificity = 0
            else:
                continue
            if specificity > best.get(target, (-1, 0.0))[0]:
                best[target] = (specificity, q)
    html_q = best.get("text/html", (0, 0.0))[1]
    json_q = best.get("application/json", (0, 0.0))[1]
    return html_q > json_q


def site_url(request: Request, site_id: str) -> str:
    """The absolute URL of a site's report, its `index.html` spelled out.

    A folder URL works here (the static files answer `/sites/{id}/` with the
    index), but not from every host a site may be copied to: an S3 bucket has
    no index documents, and the JupyterLab links inside the report are relative.
    """
    return str(request.url_for("sites", path=f"/{site_id}/index.html"))


def opening_page(title: str, url: str) -> str:
    """A self-contained page (no scripts, no external resources) that opens the site at `url`."""
    safe_title, safe_url = html_text(title), html_text(url)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{safe_title}</title>
<meta http-equiv="refresh" content="0; url={safe_url}">
</head>
<body>
<p>Opening <a href="{safe_url}">{safe_title}</a>&hellip;</p>
</body>
</html>
"""


def create_app(settings: Settings) -> FastAPI:
    """The API over the deployment `settings` names (made one if new; a bad bucket fails here)."""
    deployment = settings.deployment().init()
    slots = asyncio.Semaphore(settings.max_builds)
    waiting = 0
    # one warm worker per build slot, started with the first request that needs one
    executors: list[WarmExecutor] = []
    executor_lock = threading.Lock()
    pools: list = []  # the WebAssembly sandbox's warm pool, started by the first "execute"

    def code_runner():
        from ..sandbox import SandboxPool, available

        with executor_lock:
            if not pools:
                problem = available(settings.pyodide)
                if problem:
                    raise HTTPException(503, f"execute needs the WebAssembly sandbox: {problem}")
                pools.append(SandboxPool(settings.pyodide, workers=settings.max_builds).start())
            pool = pools[0]
        return lambda code, files: pool.run(code, files=files)

    def executor() -> WarmExecutor | None:
        if not settings.prerender:
            return None
        with executor_lock:
            if not executors:
                executors.append(WarmExecutor(settings.max_builds))
            return executors[0]

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        sweeper = asyncio.create_task(_sweep_forever(settings, deployment))
        yield
        sweeper.cancel()
        with executor_lock:
            for warm in [*executors, *pools]:
                warm.close()
            executors.clear()
            pools.clear()

    app = FastAPI(
        title="minato-lite",
        summary="Turn code and data into a JupyterLite site; the code runs only in the browser.",
        docs_url=None,  # the interactive docs page loads scripts from a CDN; the schema is enough
        redoc_url=None,
        lifespan=lifespan,
    )

    def authorized(request: Request) -> None:
        if settings.token is None:
            return
        expected = f"Bearer {settings.token}"
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(401, "missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p != "body") or "body"
        return JSONResponse(
            {"error": f"{field}: {first['msg']}", "field": field,
             "details": json.loads(json.dumps(exc.errors(), default=str))},
            status_code=422,
        )  # fmt: skip

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)  # fmt: skip

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/api/insights/python-sandbox",
        status_code=201,
        response_model=SiteCreated,
        response_model_exclude_none=True,
        dependencies=[Depends(authorized)],
        responses={
            201: {
                "description": "The site's id and the absolute URL of its report as JSON; "
                "when Accept prefers text/html, a page that opens it, with the URL in Location",
                "content": {"text/html": {"schema": {"type": "string"}}},
                "headers": {
                    "Location": {
                        "description": "the site's absolute URL (with the HTML page)",
                        "schema": {"type": "string"},
                    }
                },
            },
            401: {},
            413: {},
            422: {},
            429: {},
            503: {"description": "the store or the machine failed; retry later"},
        },
    )
    async def create_site(
        body: SandboxRequest, request: Request, response: Response
    ) -> SiteCreated | HTMLResponse:
        nonlocal waiting
        if waiting >= settings.max_builds + settings.max_queue:
            raise HTTPException(429, "too many builds in progress; retry shortly",
                                headers={"Retry-After": "2"})  # fmt: skip
        site_id = secrets.token_urlsafe(ID_BYTES)
        data = body.data if isinstance(body.data, dict) else {"data": body.data}
        if not data or any(not rows for rows in data.values()):
            raise HTTPException(422, "data: every dataset needs at least one record")
        runner = code_runner() if body.execute else None
        waiting += 1
        try:
            async with slots:
                built = await run_in_threadpool(
                    build_site,
                    data,
                    DeploymentSite(deployment, site_id),
                    code=body.code or None,
                    analysis=body.analysisType,
                    title=body.title,
                    pyodide=settings.pyodide,
                    prerender=settings.prerender,
                    prerender_timeout=settings.prerender_timeout,
                    executor=executor(),
                    code_runner=runner,
                    prerender_code=body.execute,
                )
        except UserError as exc:
            raise HTTPException(422, one_line(exc)) from None
        except MinatoError as exc:  # the machine or the store failed, not the request
            raise HTTPException(503, one_line(exc), headers={"Retry-After": "5"}) from None
        finally:
            waiting -= 1
        url = built.url or site_url(request, site_id)
        if not prefers_html(request.headers.get("accept")):
            response.headers["Vary"] = "Accept"
            ran = built.code_result.to_json() if built.code_result is not None else {}
            return SiteCreated(id=site_id, url=url, **ran)
        return HTMLResponse(opening_page(built.title, url), status_code=201,
                            headers={"Location": url, "Vary": "Accept"})  # fmt: skip

    def site_url(request: Request, site_id: str) -> str:
        """The entry page's URL: the store's public URL, else this server's /sites/."""
        return deployment.site_url(site_id) or str(
            request.url_for("sites", path=f"/{site_id}/index.html")
        )

    def metadata(site_id: str) -> dict[str, Any]:
        try:
            return deployment.metadata(site_id)
        except (MissingKey, UserError):
            raise HTTPException(404, "no such site") from None

    @app.get("/api/sites/{site_id}", dependencies=[Depends(authorized)])
    async def site_metadata(site_id: str, request: Request) -> dict[str, Any]:
        marker = await run_in_threadpool(metadata, site_id)
        return {
            "id": site_id,
            "url": site_url(request, site_id),
            "created": marker.get("created"),
            **{k: marker[k] for k in ("title", "analysis", "datasets", "notebooks") if k in marker},
        }

    @app.delete("/api/sites/{site_id}", status_code=204, dependencies=[Depends(authorized)])
    async def delete_site(site_id: str) -> Response:
        await run_in_threadpool(metadata, site_id)
        await run_in_threadpool(deployment.delete_site, site_id)
        return Response(status_code=204)

    served = deployment.store.served_folder()
    if served is not None:  # local use; a bucket is served by its host
        app.mount("/sites", HideBookkeeping(static_app(served, settings.isolate)),
                  name="sites")  # fmt: skip
    else:
        app.add_api_route("/sites/{path:path}", _not_here, name="sites", include_in_schema=False)
    return BodyLimit(app, settings.max_body)  # type: ignore[return-value]


async def _not_here(path: str) -> JSONResponse:
    return JSONResponse({"error": "sites are served from the store's public URL"}, 404)


class HideBookkeeping:
    """404 for the deployment's bookkeeping (`_minato/`) under /sites/: only sites are served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):  # Starlette keeps the mount's prefix in `path`
            path = path[len(root):]
        if scope["type"] == "http" and path.lstrip("/").split("/", 1)[0] == BOOKKEEPING:
            await JSONResponse({"error": "not found"}, 404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def sweep(settings: Settings, now: float | None = None,
          deployment: Deployment | None = None) -> list[str]:  # fmt: skip
    """Remove sites older than the TTL and publishes that never finished; return their ids."""
    deployment = deployment or settings.deployment()
    result = deployment.sweep(settings.ttl_seconds, now)
    return result.expired + result.incomplete


async def _sweep_forever(settings: Settings, deployment: Deployment) -> None:
    """Every replica sweeps: deletes are idempotent, so two sweeping at once do no harm."""
    limits = [settings.stale_seconds] + ([settings.ttl_seconds] if settings.ttl_seconds else [])
    interval = min(60.0, max(0.5, min(limits) / 10))
    while True:
        try:
            await run_in_threadpool(sweep, settings, None, deployment)
        except MinatoError as exc:  # the store is down for a moment: try again next time
            print(f"minato-lite api: sweep failed: {one_line(exc)}", flush=True)
        await asyncio.sleep(interval)


def parse_duration(text: str) -> float:
    """`90s`, `15m`, `2h`, `7d` -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise ValueError(
            f"cannot read duration {text!r}; write it like 90s, 15m, 2h or 7d"
        ) from None
    if value <= 0:
        raise ValueError("the TTL must be positive")
    return value
