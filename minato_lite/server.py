"""`minato-lite serve`: a static file server for built sites on 127.0.0.1.

A site is plain static files, so any web server works; this one exists so the
user needs nothing else, and gets the MIME types Pyodide and JupyterLite need
(`.wasm` must be application/wasm for streaming compilation, `.mjs` must be
JavaScript for module workers).
"""

from __future__ import annotations

import functools
import mimetypes
import threading
import webbrowser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from .errors import UserError
from .site import SITE_MARKER

EXTRA_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".whl": "application/zip",
    ".json": "application/json",
    ".ipynb": "application/json",
    ".map": "application/json",
    ".zip": "application/zip",
}


class SiteRequestHandler(SimpleHTTPRequestHandler):
    """Static files with the site's MIME types; quiet unless asked to log."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        **EXTRA_TYPES,
    }
    verbose: ClassVar[bool] = False

    def log_message(self, format: str, *args) -> None:
        if self.verbose:
            super().log_message(format, *args)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A browser that closes a connection early is normal; anything else is reported."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def make_server(
    site: Path, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
) -> ThreadingHTTPServer:
    """A server for `site` (not yet serving); port 0 picks a free port."""
    site = site.expanduser().resolve()
    if not (site / "index.html").is_file():
        raise UserError(f"{site}: not a built site (no index.html); run 'minato-lite build' first")
    for ext, kind in EXTRA_TYPES.items():
        mimetypes.add_type(kind, ext)
    handler_class = type("SiteHandler", (SiteRequestHandler,), {"verbose": verbose})
    handler = functools.partial(handler_class, directory=str(site))
    try:
        server = SiteServer((host, port), handler)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return server


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def serve(
    site: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = True,
    verbose: bool = False,
) -> None:
    """Serve until interrupted, printing the URL (and opening it unless told not to)."""
    server = make_server(site, host, port, verbose)
    url = server_url(server)
    marked = (site / SITE_MARKER).is_file()
    print(f"Serving {site} at {url}" + ("" if marked else " (not a minato-lite site)"), flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
