"""A site once made: its metadata, its deletion, and (sites in a folder) the site itself.

404 means one thing: there is no such site. A store that fails while it is
asked is 503 with Retry-After (`answers.StoreUnavailable`), never a 404 that
would tell a client a living site is gone. Under `/sites/`, the deployment's
bookkeeping (`_minato/`) is never served: the path is decoded and normalised
first (`/sites/./_minato/...`, `%2e`, doubled slashes), then checked.
"""

from __future__ import annotations

import posixpath
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ...errors import MinatoError, UserError
from ...publish.deployment import BOOKKEEPING, check_site_name
from ...store import MissingKey
from ..static import site_policy, static_app
from .answers import StoreUnavailable
from .state import ApiState

router = APIRouter()
METADATA_KEYS = ("title", "analysis", "datasets", "notebooks")


def _metadata(state: ApiState, site_id: str) -> dict[str, Any]:
    try:
        check_site_name(site_id)
    except UserError:
        raise HTTPException(404, "no such site") from None
    try:
        return state.deployment.metadata(site_id)
    except MissingKey:
        raise HTTPException(404, "no such site") from None
    except MinatoError as exc:
        raise StoreUnavailable(exc) from None


def analysis_state(marker: dict[str, Any], stale_seconds: float, now: float) -> str:
    """One of done, off, pending or "not completed": pending past the stale limit means the
    replica drawing it died."""
    found = str(marker.get("analysis_state") or ("done" if marker.get("prerendered") else "off"))
    started = marker.get("analysis_started")
    if found == "pending" and isinstance(started, (int, float)) and now - started > stale_seconds:
        return "not completed"
    return found


@router.get("/api/sites/{site_id}")
async def site_metadata(site_id: str, request: Request) -> dict[str, Any]:
    state: ApiState = request.app.state.api
    marker = await run_in_threadpool(_metadata, state, site_id)
    analysis = analysis_state(marker, state.settings.stale_seconds, time.time())
    url = state.deployment.site_url(site_id) or str(
        request.url_for("sites", path=f"/{site_id}/index.html")
    )
    return {
        "id": site_id,
        "url": url,
        "created": marker.get("created"),
        **{k: marker[k] for k in METADATA_KEYS if k in marker},
        "analysis_state": analysis,
        "pending": ["analysis"] if analysis == "pending" else [],
    }


@router.delete("/api/sites/{site_id}", status_code=204)
async def delete_site(site_id: str, request: Request) -> Response:
    state: ApiState = request.app.state.api
    await run_in_threadpool(_metadata, state, site_id)
    try:
        await run_in_threadpool(state.deployment.delete_site, site_id)
    except MinatoError as exc:
        raise StoreUnavailable(exc) from None
    return Response(status_code=204)


def mount_sites(app: FastAPI, state: ApiState) -> None:
    """`/sites/` serves a folder deployment whose sites share the API's origin; a bucket's
    sites are served by its host, and sites on their own origins by host (`serve.hosts`)."""
    served = state.deployment.store.served_folder()
    if served is not None and state.deployment.origins is None:
        policies = SitePolicies(served)
        app.mount("/sites", HideBookkeeping(static_app(served, state.settings.isolate,
                                                       policies)), name="sites")  # fmt: skip
    else:
        app.add_api_route("/sites/{path:path}", _not_here, name="sites", include_in_schema=False)


async def _not_here(path: str) -> JSONResponse:
    return JSONResponse({"error": "sites are served from the store's public URL"}, 404)


class SitePolicies:
    """The Content-Security-Policy of the site a `/sites/<id>/...` request is for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._known: dict[str, str] = {}

    def __call__(self, scope: Scope) -> str | None:
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        name = path.lstrip("/").split("/", 1)[0]
        if not name or is_bookkeeping(path):
            return None
        if name not in self._known:
            if len(self._known) > 1024:
                self._known.clear()
            self._known[name] = site_policy(self.root / name)
        return self._known[name]


def is_bookkeeping(path: str) -> bool:
    """Whether a path under /sites/ reaches anything but a site, once decoded and normalised."""
    decoded = unquote(path)
    if "\\" in decoded or "\x00" in decoded:
        return True
    relative = decoded.lstrip("/")
    if not relative:
        return False
    # relative, as the static server resolves it: `..` that climbs out of the folder stays
    # (`/sites/../sites/_minato/...` would come back in through the folder's own name)
    first = posixpath.normpath(relative).split("/", 1)[0]
    return first == BOOKKEEPING or first.startswith(".")


class HideBookkeeping:
    """404 for the deployment's bookkeeping under /sites/: only sites are served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):  # Starlette keeps the mount's prefix in `path`
            path = path[len(root) :]
        if scope["type"] == "http" and is_bookkeeping(path):
            await JSONResponse({"error": "not found"}, 404)(scope, receive, send)
            return
        await self.app(scope, receive, send)
