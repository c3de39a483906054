"""Sites on their own origins from one server: routing by Host for a `{site}` public URL.

With `--public-url http://{site}.sites.localhost:8080/`, `minato-lite serve` and the
API answer `http://<name>.sites.localhost:8080/` with the site `<name>` of the
deployment folder, at the root of its own origin, and
`http://assets.sites.localhost:8080/_shared/...` with the shared app and Pyodide,
sent with the CORS headers that module workers and `fetch` from the sites'
origins need. Browsers resolve every `*.localhost` name to this machine, so it
works without DNS; behind a real domain the documented proxy or CDN does the
same mapping (`docs/deployment.md`).

Each site's origin also answers `/_shared/` (JupyterLab joins its themes' URL to
the site's own base URL, which an absolute URL would break), and nothing else:
a path that leaves the site once normalised (`/../other/...`) is 404, as are
the deployment's bookkeeping and any host that names no site. Every response
carries the site's Content-Security-Policy (`site.csp`).
"""

from __future__ import annotations

import posixpath
from collections import OrderedDict
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from ..publish.origins import ASSETS, SiteOrigins
from ..site.marker import SITE_MARKER
from ..store.policy import SHARED_DIR
from .static import site_policy, static_app

SHARED = f"/{SHARED_DIR}/"
POLICIES_KEPT = 1024


class HostRouter:
    """The sites of the deployment at `root`, each on its origin; other hosts to `fallback`."""

    def __init__(self, root: Path, origins: SiteOrigins, fallback: ASGIApp | None = None, *,
                 isolate: bool = False) -> None:  # fmt: skip
        self.root, self.origins, self.fallback = root, origins, fallback
        # in a Starlette app, so a missing file is a 404 answer, not an exception
        self.sites = Starlette(routes=[Mount("/", app=static_app(root, isolate, self._policy))])
        self.assets = Starlette(routes=[Mount("/", app=static_app(root, isolate, None,
                                                                  cross_origin=True))])  # fmt: skip
        self._policies: OrderedDict[str, str] = OrderedDict()

    def _policy(self, scope: Scope) -> str | None:
        label = scope.get("minato_site")
        if not label:
            return None
        if label not in self._policies:
            self._policies[label] = site_policy(self.root / label, self.origins.assets_url)
            while len(self._policies) > POLICIES_KEPT:
                self._policies.popitem(last=False)
        return self._policies[label]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if self.fallback is not None:
                await self.fallback(scope, receive, send)
            return
        label = self.origins.label_of(Headers(scope=scope).get("host", ""))
        if label is None:
            if self.fallback is None:
                await _not_found(scope, receive, send)
            else:
                await self.fallback(scope, receive, send)
            return
        path = scope["path"]
        normal = posixpath.normpath(path) + ("/" if path.endswith("/") and path != "/" else "")
        if "\\" in path or "\x00" in path or normal.startswith("//"):
            await _not_found(scope, receive, send)
        elif label == ASSETS:
            if normal.startswith(SHARED):
                await self.assets({**scope, "path": normal}, receive, send)
            else:
                await _not_found(scope, receive, send)
        elif not (self.root / label / SITE_MARKER).is_file():
            await _not_found(scope, receive, send)
        elif normal.startswith(SHARED):  # the site's themes, on its own origin
            await self.sites({**scope, "path": normal, "minato_site": label}, receive, send)
        else:
            site_path = f"/{label}{normal if normal != '.' else '/'}"
            await self.sites({**scope, "path": site_path, "minato_site": label}, receive, send)


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"error": "not found"}, 404)(scope, receive, send)


def deployment_app(root: Path, origins: SiteOrigins, isolate: bool = False) -> HostRouter:
    """A deployment folder's sites, each on its own origin (`minato-lite serve --public-url`)."""
    from ..errors import UserError
    from ..publish.deployment import DEPLOYMENT_KEY

    root = root.expanduser().resolve()
    if not (root / DEPLOYMENT_KEY).is_file():
        raise UserError(
            f"{root}: --public-url with {{site}} serves a deployment (a batch or api output, "
            "holding _minato/deployment.json); this folder is not one"
        )
    return HostRouter(root, origins, isolate=isolate)
