"""`minato-lite serve`: a built site on this machine, for looking at it before deploying.

Only the options a person at a terminal needs; `serve.static` sends the
headers Pyodide and JupyterLite need.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import ISOLATE_HELP, Commands, public_url


def add_command(commands: Commands) -> None:
    parser = commands.add_parser(
        "serve", help="serve a built site on this machine", arguments=add_arguments
    )
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    parser.add_argument("--isolate", action="store_true", help=ISOLATE_HELP)
    parser.add_argument(
        "--public-url",
        type=public_url,
        metavar="URL",
        help="with {site} in its host (http://{site}.sites.localhost:8000/): serve a deployment "
        "folder, each site on its own origin, shared files from assets.<rest of the host>",
    )


def run(args: argparse.Namespace) -> int:
    from ..serve.static import serve

    if args.public_url and "{site}" in args.public_url:
        return _serve_deployment(args)
    serve(
        args.site,
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        verbose=args.verbose,
        isolate=args.isolate,
    )
    return 0


def _serve_deployment(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from ..errors import UserError
    from ..publish.origins import SiteOrigins
    from ..serve.hosts import deployment_app
    from ..serve.static import BackgroundServer

    origins = SiteOrigins.parse(args.public_url)
    assert origins is not None
    port = urlsplit(origins.assets_url).port
    if port is not None and port != args.port:
        raise UserError(f"--public-url names port {port}; give --port {port} too")
    app = deployment_app(args.site, origins, args.isolate)
    server = BackgroundServer(app, args.host, args.port, "info" if args.verbose else "warning")
    sites = sorted(p.parent.name for p in app.root.glob("*/minato-site.json"))
    print(f"Serving the deployment {app.root}, each site on its own origin:", flush=True)
    for name in sites[:20]:
        print(f"  {origins.site_url(name, 'index.html')}", flush=True)
    if len(sites) > 20:
        print(f"  ... and {len(sites) - 20} more", flush=True)
    print(f"Shared files at {origins.assets_url}_shared/. Press Ctrl+C to stop.", flush=True)
    server.serve_forever()
    return 0
