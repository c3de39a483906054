"""`minato-lite batch`: one site per analysis in a manifest, for CI and bulk publishing.

A terminal gets a progress bar, a log or CI one line per site, `--json` a
summary a script can read; the exit code is 1 when any site failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .options import Commands, add_prerender_options, add_public_url, output_location

if TYPE_CHECKING:
    from ..batch import BatchResult


def add_command(commands: Commands) -> None:
    parser = commands.add_parser(
        "batch",
        help="build one site per analysis listed in a manifest",
        arguments=add_arguments,
    )
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help='JSON or YAML: {"analyses": [...]}')
    parser.add_argument(
        "-o",
        "--out",
        required=True,
        type=output_location,
        help="folder or s3://BUCKET/PREFIX for the sites (a deployment: app and Pyodide once)",
    )
    parser.add_argument("--pyodide", metavar="PATH_OR_URL", help="as for build")
    add_prerender_options(parser)
    add_public_url(parser)
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="sites built at a time (default: one per core)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary for CI")
    parser.add_argument("-q", "--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    from ..batch import index_location, run_batch, summary

    start = time.perf_counter()
    results = run_batch(
        args.manifest,
        args.out,
        pyodide=args.pyodide,
        prerender=not args.no_prerender,
        prerender_timeout=args.prerender_timeout,
        jobs=args.jobs,
        progress=progress_printer(args),
        public_url=args.public_url,
        allow_connect=args.allow_connect,
    )
    report = summary(results, time.perf_counter() - start)
    report["index"] = index_location(args.out, args.public_url)
    if args.json:
        print(json.dumps(report, indent=2))
    elif not args.quiet:
        print(
            f"{report['ok']} built, {report['failed']} failed in {report['seconds']:.1f}s: "
            f"{report['index']}",
            file=sys.stderr,
        )
    return 1 if report["failed"] else 0


def progress_printer(args: argparse.Namespace) -> Callable[[int, int, BatchResult], None]:
    """A bar on a terminal (failures on their own line); one line per site elsewhere."""
    tty = sys.stderr.isatty() and not args.quiet and not args.json

    def progress(number: int, total: int, result: BatchResult) -> None:
        if args.quiet or args.json:
            return
        mark = "ok" if result.status == "ok" else f"FAILED: {result.error}"
        line = f"[{number:>{len(str(total))}}/{total}] {result.name}: {mark}"
        if tty and result.status == "ok":
            bar = "#" * (30 * number // total)
            print(
                f"\r[{bar:<30}] {number}/{total} {result.name[:30]:<30}",
                end="",
                file=sys.stderr,
                flush=True,
            )
            if number == total:
                print(file=sys.stderr)
        else:
            print(("\n" if tty else "") + line, file=sys.stderr, flush=True)

    return progress
