"""Serving built sites: headers Pyodide and JupyterLite need, on a standard ASGI stack.

`minato-lite serve` and the web API share this: Starlette's static files
(conditional requests, byte ranges for large data files) behind uvicorn, plus

* MIME types: `.wasm` as application/wasm (streaming compilation), `.mjs` as
  JavaScript (module workers), `.whl` and `.ipynb`;
* cross-origin isolation on request (`isolate`: COOP `same-origin`, COEP
  `credentialless`, so the kernel gets SharedArrayBuffer while CDN-hosted
  Pyodide still loads). Off by default: with it, jupyterlite-pyodide-kernel
  0.8.6 switches to its SharedArrayBuffer transport, and in headless Chromium
  156 here that left cell executions unanswered (output shown, prompt stuck
  at [*]) in about one browser test in three; without it, none in many runs;
* caching: content-hashed app assets and wheels are immutable for a year,
  everything else (contents, config, pages) is revalidated on every load;
* gzip for text-like files (not for ranges, and not for already-zipped wheels).
"""

from __future__ import annotations

import json
import mimetypes
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from jupyterlite_pyodide_kernel.constants import PYODIDE_KERNEL_PLUGIN_ID
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import UserError
from ..site.csp import APP_PAGES, content_security_policy, inline_scripts
from ..site.marker import SITE_MARKER
from ..store.policy import COMPRESSIBLE, TYPES, cache_policy

for _ext, _kind in TYPES.items():
    mimetypes.add_type(_kind, _ext)


#: the Content-Security-Policy for a request (None: send none), or one policy for all
Policy = Callable[[Scope], str | None]


class SiteHeaders:
    """Isolation, caching, sniffing and content-security headers on every response.

    The policy goes on every response, scripts included: a worker takes its policy
    from its own script's response, not from the page that starts it.
    """

    def __init__(self, app: ASGIApp, isolate: bool, policy: Policy | None = None,
                 cross_origin: bool = False) -> None:  # fmt: skip
        self.app = app
        self.isolate = isolate
        self.policy = policy
        #: shared assets loaded by other origins' pages and workers: CORS, CORP cross-origin
        self.cross_origin = cross_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        policy = self.policy(scope) if self.policy is not None else None

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if self.isolate:
                    headers["Cross-Origin-Opener-Policy"] = "same-origin"
                    headers["Cross-Origin-Embedder-Policy"] = "credentialless"
                if self.cross_origin:
                    headers["Access-Control-Allow-Origin"] = "*"
                    headers["Cross-Origin-Resource-Policy"] = "cross-origin"
                else:
                    headers["Cross-Origin-Resource-Policy"] = "same-origin"
                if policy:
                    headers["Content-Security-Policy"] = policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Cache-Control", cache_policy(path))
            await send(message)

        await self.app(scope, receive, with_headers)


class SelectiveGZip:
    """gzip text-like files; leave byte ranges and zipped files alone."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].endswith(COMPRESSIBLE)
            and "range" not in Headers(scope=scope)
        ):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def static_app(folder: Path, isolate: bool = False, policy: Policy | None = None,
               cross_origin: bool = False) -> ASGIApp:  # fmt: skip
    """A folder of sites (or one site) as an ASGI app with the headers above."""
    files = SelectiveGZip(StaticFiles(directory=folder, html=True))
    return SiteHeaders(files, isolate, policy, cross_origin)


def site_policy(site: Path, assets: str | None = None) -> str:
    """The policy a site's pages and workers get: the one its build recorded in its marker
    (its origin, the deployment's assets origin, its Pyodide's, `--allow-connect`, its
    pages' inline scripts), with `frame-ancestors`, which only a header can carry. A site
    built before policies were recorded gets one from its config."""
    marker = site / SITE_MARKER
    recorded = json.loads(marker.read_text("utf-8")).get("content_security_policy") if (
        marker.is_file()) else None  # fmt: skip
    if recorded:
        return f"{recorded}; frame-ancestors 'self'"
    config = site / "jupyter-lite.json"
    pyodide = None
    if config.is_file():
        data = json.loads(config.read_text("utf-8")).get("jupyter-config-data", {})
        kernel = data.get("litePluginSettings", {}).get(PYODIDE_KERNEL_PLUGIN_ID, {})
        url = str(kernel.get("pyodideUrl") or "")
        pyodide = url if url.startswith(("http://", "https://")) else None
    scripts = [s for rel in APP_PAGES if (site / rel).is_file()
               for s in inline_scripts((site / rel).read_text("utf-8"))]  # fmt: skip
    return content_security_policy(assets=assets, pyodide=pyodide, scripts=scripts,
                                   connect=allowed_connect(site))  # fmt: skip


def allowed_connect(site: Path) -> list[str]:
    marker = site / SITE_MARKER
    if not marker.is_file():
        return []
    return [str(o) for o in json.loads(marker.read_text("utf-8")).get("allow_connect") or []]


def site_app(site: Path, isolate: bool = False) -> Starlette:
    site = site.expanduser().resolve()
    if not (site / "index.html").is_file():
        raise UserError(f"{site}: not a built site (no index.html); run 'minato-lite build' first")
    policy = site_policy(site)
    return Starlette(routes=[Mount("/", app=static_app(site, isolate, lambda _scope: policy))])


class BackgroundServer:
    """uvicorn on a socket bound up front (port 0 = a free port), optionally in a thread."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning", *,
                 limit_concurrency: int | None = None) -> None:  # fmt: skip
        import uvicorn

        try:
            self.sock = socket.create_server((host, port), reuse_port=False)
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        bound_host, bound_port = self.sock.getsockname()[:2]
        self.url = f"http://{bound_host}:{bound_port}/"
        config = uvicorn.Config(app, log_level=log_level, lifespan="auto", access_log=False,
                                limit_concurrency=limit_concurrency)  # fmt: skip
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self) -> BackgroundServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def close(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()


def make_server(site: Path, host: str = "127.0.0.1", port: int = 0,
                isolate: bool = False) -> BackgroundServer:  # fmt: skip
    """A server for one built site (not yet serving)."""
    return BackgroundServer(site_app(site, isolate), host, port)


def serve(site: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True,
          verbose: bool = False, isolate: bool = False) -> None:  # fmt: skip
    """Serve until interrupted, printing the URL (and opening it unless told not to)."""
    server = BackgroundServer(site_app(site, isolate), host, port,
                              "info" if verbose else "warning")  # fmt: skip
    marked = (site / SITE_MARKER).is_file()
    # the report; the live notebooks are one click away in it (lab/ stays reachable directly)
    url = server.url + "index.html"
    print(f"Serving {site} at {url}" + ("" if marked else " (not a minato-lite site)"),
          flush=True)  # fmt: skip
    print("Press Ctrl+C to stop.", flush=True)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server.serve_forever()
