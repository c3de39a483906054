"""`POST /api/insights/python-sandbox`: the code's answer first, the analysis after.

A person in a chat waits for this call, so it answers as soon as the site's
report shows what their code gave:

1. the request is read and checked (the gate has admitted it, in order);
2. in a build slot: the data is read and profiled, the code runs in the
   WebAssembly sandbox's warm pool (`"execute": true`), and the site is
   published with its code's outputs and its analysis notebooks not yet drawn,
   the report saying the analysis is on its way (its live links work at once);
3. the answer is sent: `"pending": ["analysis"]`;
4. then, in a slot that requests get first, the analysis is pre-rendered on
   the warm executor and the site published again, in place, entry page last.

`"wait": "analysis"` does both before answering (the whole site in one call).
A replica killed between 3 and 4 leaves a correct site: its code's answer, and
a report that says the analysis was not completed if it never comes;
`GET /api/sites/{id}` says `"analysis": "pending"`, then `"done"`, or
`"not completed"` once a pending analysis is older than `--stale-after`.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ...build import (
    ANALYSIS_TYPES,
    Prepared,
    build_result,
    connect_origins,
    prepare,
    prerender_analysis,
    run_user_code,
    site_marker,
)
from ...errors import MinatoError, UserError, one_line
from ...execute.prerender import CodeRunner
from ...publish.staging import SiteParts
from ...publish.targets import DeploymentSite
from ...pyodide.choice import Default, choose
from ...pyodide.distribution import PyodideDistribution
from ...sandbox.result import SandboxResult
from .answers import StoreUnavailable, log, opening_page, prefers_html
from .state import ApiState

ID_BYTES = 16  # 128 bits, as 26 characters of lowercase base32: a host label (one origin
# per site), unguessable, and nothing lists them
Record = dict[str, Any]
router = APIRouter()


class SandboxRequest(BaseModel):
    """What the product backend posts: the LLM's code, the user's rows, the analysis type."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=1_000_000, description="Python code; never run in host Python")
    data: list[Record] | dict[str, list[Record]] = Field(description="rows, or datasets by name")
    analysisType: Literal[ANALYSIS_TYPES] = "comprehensive"  # type: ignore[valid-type]
    title: str | None = Field(default=None, max_length=300)
    execute: bool = Field(
        default=False,
        description="also run the code in the server's WebAssembly sandbox (Pyodide in Deno, "
        "no permissions) and return its outputs; the site's code notebook then opens with them",
    )
    wait: Literal["code", "analysis"] = Field(
        default="code",
        description="'code': answer once the report shows the code's outputs, the analysis "
        "following in the same site; 'analysis': answer with the whole site",
    )


class SiteCreated(BaseModel):
    id: str
    url: str
    #: parts of the site still being computed after this answer ("analysis")
    pending: list[str]
    #: with "execute": true: the sandbox's answer, as `minato-lite run --json` prints it
    ok: bool | None = None
    outputs: list[dict[str, Any]] | None = None
    error: dict[str, Any] | None = None
    seconds: float | None = None


@dataclass
class FirstPhase:
    """A site published with its code's answer; what its analysis phase needs."""

    target: DeploymentSite
    prepared: Prepared
    dist: PyodideDistribution
    code_result: SandboxResult | None
    url: str | None
    pending: bool


LOCATION = {"description": "the site's absolute URL (with the HTML page)",
            "schema": {"type": "string"}}  # fmt: skip
RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "The site's id and the absolute URL of its report as JSON; "
        "when Accept prefers text/html, a page that opens it, with the URL in Location",
        "content": {"text/html": {"schema": {"type": "string"}}},
        "headers": {"Location": LOCATION},
    },
    **{status: {} for status in (401, 408, 413, 422)},
    429: {"description": "the line is full; Retry-After says when to come back"},
    503: {"description": "the store or the machine failed; retry later"},
}


@router.post("/api/insights/python-sandbox", status_code=201, response_model=SiteCreated,
             response_model_exclude_none=True, responses=RESPONSES)  # fmt: skip
async def create_site(
    body: SandboxRequest, request: Request, response: Response
) -> SiteCreated | HTMLResponse:
    state: ApiState = request.app.state.api
    data = body.data if isinstance(body.data, dict) else {"data": body.data}
    if not data or any(not rows for rows in data.values()):
        raise HTTPException(422, "data: every dataset needs at least one record")
    runner = await _sandbox_runner(state) if body.execute else None
    site_id = new_site_id()
    first = await state.slots.run(0, lambda: run_in_threadpool(
        _first_phase, state, site_id, body, data, runner))  # fmt: skip
    if first.pending:
        state.in_background(_analysis_phase(state, first), name=f"analysis-{site_id}")
    url = first.url or str(request.url_for("sites", path=f"/{site_id}/index.html"))
    if prefers_html(request.headers.get("accept")):
        return HTMLResponse(opening_page(first.prepared.title, url), status_code=201,
                            headers={"Location": url, "Vary": "Accept"})  # fmt: skip
    response.headers["Vary"] = "Accept"
    ran = first.code_result.to_json() if first.code_result is not None else {}
    return SiteCreated(id=site_id, url=url, pending=["analysis"] if first.pending else [], **ran)


def new_site_id() -> str:
    return base64.b32encode(secrets.token_bytes(ID_BYTES)).decode("ascii").rstrip("=").lower()


async def _sandbox_runner(state: ApiState) -> CodeRunner:
    """The warm pool's `run`, the pool started off the event loop on first use."""
    pool = await run_in_threadpool(state.sandbox)
    if isinstance(pool, str):
        raise HTTPException(503, f"execute needs the WebAssembly sandbox: {pool}")
    return lambda code, files: pool.run(code, files=files)


def _first_phase(
    state: ApiState,
    site_id: str,
    body: SandboxRequest,
    data: dict[str, list[Record]],
    runner: CodeRunner | None,
) -> FirstPhase:
    """Prepare, run the code, publish; with `wait="analysis"` (or no pre-rendering) the
    analysis too, so nothing is left for later."""
    settings = state.settings
    try:
        prepared = prepare(data, code=body.code or None, analysis=body.analysisType,
                           title=body.title)  # fmt: skip
        dist = choose(settings.pyodide, default=Default.CDN)
    except UserError as exc:
        raise HTTPException(422, one_line(exc)) from None
    prepared, code_result = run_user_code(prepared, runner)
    later = settings.prerender and body.wait == "code"
    if settings.prerender and not later:
        prepared = prerender_analysis(prepared, state.executor(),
                                      timeout=settings.prerender_timeout)  # fmt: skip
    state_now = "pending" if later else ("done" if settings.prerender else "off")
    marker = {**site_marker(prepared, dist, analysis=state_now,
                            allow_connect=connect_origins(settings.allow_connect)),
              "analysis_started": time.time()}  # fmt: skip
    target = DeploymentSite(state.deployment, site_id)
    parts = SiteParts(prepared.files, prepared.title, dist, marker, analysis_pending=later)
    try:
        published = target.publish(parts)
    except MinatoError as exc:
        raise StoreUnavailable(exc) from None
    result = build_result(prepared, published, code_result)
    return FirstPhase(target, prepared, dist, code_result, result.url, later)


async def _analysis_phase(state: ApiState, first: FirstPhase) -> None:
    """Pre-render the analysis and publish the site again, in place; failures are logged."""

    def draw_and_publish() -> None:
        prepared = prerender_analysis(first.prepared, state.executor(),
                                      timeout=state.settings.prerender_timeout)  # fmt: skip
        marker = site_marker(
            prepared,
            first.dist,
            analysis="done",
            allow_connect=connect_origins(state.settings.allow_connect),
        )
        parts = SiteParts(prepared.files, prepared.title, first.dist, marker)
        first.target.publish(parts, update=True)

    try:
        await state.slots.run(1, lambda: run_in_threadpool(draw_and_publish))
    except Exception as exc:  # the answer is sent; the report says what is missing
        log.warning("the analysis of site %s failed: %s", first.target.name, one_line(exc))
