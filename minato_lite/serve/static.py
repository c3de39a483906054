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

import mimetypes
import socket
import threading
import time
import webbrowser
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import UserError
from ..site.marker import SITE_MARKER
from ..store.policy import COMPRESSIBLE, TYPES, cache_policy

for _ext, _kind in TYPES.items():
    mimetypes.add_type(_kind, _ext)


class SiteHeaders:
    """Isolation, caching and sniffing headers on every response."""

    def __init__(self, app: ASGIApp, isolate: bool) -> None:
        self.app = app
        self.isolate = isolate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if self.isolate:
                    headers["Cross-Origin-Opener-Policy"] = "same-origin"
                    headers["Cross-Origin-Embedder-Policy"] = "credentialless"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
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


def static_app(folder: Path, isolate: bool = False) -> ASGIApp:
    """A folder of sites (or one site) as an ASGI app with the headers above."""
    return SiteHeaders(SelectiveGZip(StaticFiles(directory=folder, html=True)), isolate)


def site_app(site: Path, isolate: bool = False) -> Starlette:
    site = site.expanduser().resolve()
    if not (site / "index.html").is_file():
        raise UserError(f"{site}: not a built site (no index.html); run 'minato-lite build' first")
    return Starlette(routes=[Mount("/", app=static_app(site, isolate))])


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
