"""`minato-lite serve`: a built site on this machine, for looking at it before deploying.

Only the options a person at a terminal needs; `serve.static` sends the
headers Pyodide and JupyterLite need.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import ISOLATE_HELP, Commands


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


def run(args: argparse.Namespace) -> int:
    from ..serve.static import serve

    serve(
        args.site,
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        verbose=args.verbose,
        isolate=args.isolate,
    )
    return 0
