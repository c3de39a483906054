"""`minato-lite api`: the web API a product backend calls to turn code + data into sites.

Flags become `serve.api.Settings`; durations and sizes are checked here, so a
bad value is refused in one line before the server starts.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from ..errors import UserError
from .options import (
    ISOLATE_HELP,
    Commands,
    add_prerender_options,
    add_public_url,
    output_location,
)


def add_command(commands: Commands) -> None:
    parser = commands.add_parser(
        "api",
        help="serve the web API that turns code + data into sites",
        arguments=add_arguments,
    )
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sites-dir",
        required=True,
        type=output_location,
        help="folder or s3://BUCKET/PREFIX where sites live (replicas may share a bucket)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--token",
        help="require 'Authorization: Bearer TOKEN'; better MINATO_LITE_TOKEN or --token-file, "
        "which the process list does not show",
    )
    parser.add_argument(
        "--token-file", type=Path, metavar="FILE", help="read the bearer token from FILE"
    )
    parser.add_argument(
        "--ttl", metavar="DURATION", help="remove sites older than this (90s, 15m, 2h, 7d)"
    )
    parser.add_argument("--pyodide", metavar="PATH_OR_URL", help="as for build")
    parser.add_argument("--max-body", default="50MB", metavar="SIZE", help="largest request body")
    parser.add_argument(
        "--max-builds",
        type=int,
        default=max(1, os.cpu_count() or 1),
        help="builds at a time (default: one per core)",
    )
    parser.add_argument(
        "--max-queue",
        type=int,
        default=64,
        help="builds that may wait for a slot before 429 (default 64)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=256,
        help="open connections at once; beyond, 503 (default 256)",
    )
    parser.add_argument("--isolate", action="store_true", help=ISOLATE_HELP)
    parser.add_argument(
        "--stale-after",
        metavar="DURATION",
        help="remove a site whose publish started this long ago and never finished (a killed "
        "replica's; default 30m): longer than any publish takes",
    )
    add_prerender_options(parser)
    add_public_url(parser)


def run(args: argparse.Namespace) -> int:
    from ..inputs.limits import parse_size
    from ..publish.deployment import DEFAULT_STALE_SECONDS
    from ..serve.api import Settings, create_app, is_loopback, parse_duration
    from ..serve.static import BackgroundServer

    try:
        ttl = parse_duration(args.ttl) if args.ttl else None
        stale = parse_duration(args.stale_after) if args.stale_after else DEFAULT_STALE_SECONDS
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.max_connections < 1:
        raise UserError("--max-connections must be 1 or more")
    token, generated = _token(args, loopback=is_loopback(args.host))
    settings = Settings(
        sites_dir=args.sites_dir,
        token=token,
        ttl_seconds=ttl,
        pyodide=args.pyodide,
        max_body=parse_size(args.max_body),
        max_builds=args.max_builds,
        max_queue=args.max_queue,
        max_connections=args.max_connections,
        isolate=args.isolate,
        prerender=not args.no_prerender,
        prerender_timeout=args.prerender_timeout,
        public_url=args.public_url,
        allow_connect=args.allow_connect,
        stale_seconds=stale,
        host=args.host,
    )
    server = BackgroundServer(create_app(settings), args.host, args.port, "info",
                              limit_concurrency=args.max_connections)  # fmt: skip
    print(
        f"minato-lite API at {server.url} (sites in {args.sites_dir}); schema at "
        f"{server.url}openapi.json",
        flush=True,
    )
    if generated:
        print(f"minato-lite API token (generated, shown once): {token}", flush=True)
    server.serve_forever()
    return 0


def _token(args: argparse.Namespace, *, loopback: bool) -> tuple[str | None, bool]:
    """The bearer token: --token-file, MINATO_LITE_TOKEN or --token; generated (and shown
    once, as Jupyter Server does) when the API listens beyond this machine without one."""
    if args.token_file is not None:
        try:
            token = args.token_file.read_text("utf-8").strip()
        except OSError as exc:
            raise UserError(f"cannot read --token-file {args.token_file}: {exc.strerror}") from None
        if not token:
            raise UserError(f"--token-file {args.token_file} is empty")
        return token, False
    token = args.token or os.environ.get("MINATO_LITE_TOKEN") or None
    if args.token:
        print("minato-lite: warning: --token shows the token in the process list; "
              "prefer MINATO_LITE_TOKEN or --token-file", file=sys.stderr, flush=True)  # fmt: skip
    if token is None and not loopback:
        return secrets.token_urlsafe(32), True
    return token, False
