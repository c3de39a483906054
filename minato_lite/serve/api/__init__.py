"""`minato-lite api`: the web API a product backend calls. Code + data in, a site URL out.

    POST   /api/insights/python-sandbox   {"code", "data", "analysisType", "title"?,
                                           "execute"?, "wait"?} -> 201 JSON {"id", "url",
                                           "pending"} (+ the sandbox's "ok", "outputs",
                                           "error", "seconds" with "execute": true), or a
                                           page opening the site when Accept prefers text/html
    GET    /api/sites/{id}                 metadata, and whether its analysis is done
    DELETE /api/sites/{id}
    GET    /healthz
    GET    /sites/{id}/index.html          the built site, opening on its report, when
                                           sites are in a folder (static, with serve's headers)
    GET    /openapi.json                   the schema

Owns: the composition of the API (`create_app`): its state in one object
(`state.ApiState`, on `app.state.api`), its routers by concern (`create`: a
site is made, its code's answer first and its analysis after; `sites`: a site
once made), how it answers (`answers`), and the gate in front of it that
refuses before it reads (`gate`: the token, the size, the line), under the
limits a process is given (`settings`).

Sites live in a deployment (`publish.deployment`): a folder or an `s3://` bucket
prefix holding the shared app and Pyodide once, each site's own files, and
bookkeeping any replica can read; with a bucket, any number of API processes
can share it. Submitted code is never executed in this host's Python: with
`"execute": true` it runs in the WebAssembly sandbox (Pyodide in Deno with no
permissions); our own analysis notebooks are pre-rendered on the warm executor.

May import: `build`, `publish`, `execute`, `sandbox`, `pyodide`, `store`, the
sibling `static`, and the base modules.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from ..hosts import HostRouter
from .answers import install_error_answers, opening_page, prefers_html
from .create import router as create_router
from .gate import Gate
from .settings import Settings, is_loopback
from .sites import mount_sites
from .sites import router as sites_router
from .state import ApiState

__all__ = [
    "Settings",
    "create_app",
    "is_loopback",
    "opening_page",
    "parse_duration",
    "prefers_html",
    "sweep",
]


def create_app(settings: Settings) -> ASGIApp:
    """The API over the deployment `settings` names (made one if new; a bad bucket fails
    here), behind its gate."""
    state = ApiState(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await state.start()
        yield
        await state.close()

    app = FastAPI(
        title="minato-lite",
        summary="Turn code and data into a JupyterLite site; the code runs only in WebAssembly.",
        docs_url=None,  # the interactive docs page loads scripts from a CDN; the schema is enough
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.api = state
    install_error_answers(app)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(create_router)
    app.include_router(sites_router)
    mount_sites(app, state)
    gated = Gate(app, settings)
    served = state.deployment.store.served_folder()
    if state.deployment.origins is not None and served is not None:
        # sites and the shared files on their own hosts; the API on any other
        return HostRouter(served, state.deployment.origins, gated, isolate=settings.isolate)
    return gated


def sweep(settings: Settings, now: float | None = None) -> list[str]:
    """Remove sites older than the TTL and publishes that never finished; return their ids."""
    result = settings.deployment().sweep(settings.ttl_seconds, now)
    return result.expired + result.incomplete


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
