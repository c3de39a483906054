"""`minato-lite build`: one site from data files and code, the command most users run.

Its options mirror `build_site`'s parameters one for one; this module only
turns them into a call and prints where the site went.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .options import (
    Commands,
    add_prerender_options,
    add_public_url,
    output_location,
    progress_logger,
)


def add_command(commands: Commands) -> None:
    parser = commands.add_parser(
        "build", help="build a site from data files and code", arguments=add_arguments
    )
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_what_to_build(parser)
    add_pyodide_options(parser)
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="keep N random rows per dataset (seed 0); notebooks say so",
    )
    parser.add_argument(
        "--max-size",
        default="200MB",
        metavar="SIZE",
        help="refuse data larger than this as stored (default 200MB)",
    )
    add_prerender_options(parser)
    add_public_url(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")


def add_what_to_build(parser: argparse.ArgumentParser) -> None:
    """The inputs, where the site goes, and what its notebooks hold."""
    from ..notebooks.builders import ANALYSIS_TYPES

    parser.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="CSV, TSV, JSON, JSONL, Excel or Parquet files",
    )
    parser.add_argument(
        "-o",
        "--out",
        required=True,
        type=output_location,
        help="site folder to write, or s3://BUCKET/PREFIX; inside a deployment (a batch or api "
        "output) the site shares its app and Pyodide",
    )
    parser.add_argument(
        "--code",
        action="append",
        type=Path,
        metavar="FILE",
        help="analysis code to include (repeatable; never run at build time)",
    )
    parser.add_argument("--analysis", default="comprehensive", choices=ANALYSIS_TYPES)
    parser.add_argument("--title", help="title shown in the notebook and page")


def add_pyodide_options(parser: argparse.ArgumentParser) -> None:
    """Which Pyodide the site loads, and what an offline site ships with it."""
    parser.add_argument(
        "--pyodide",
        metavar="PATH_OR_URL",
        help="Pyodide to self-host (folder or .tar.bz2) or load (URL); default: the public CDN",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="self-host Pyodide with only the packages the code imports "
        "(from --pyodide, else the assembled distribution)",
    )
    parser.add_argument(
        "--packages", nargs="+", metavar="NAME", help="with --offline: also ship these packages"
    )
    parser.add_argument(
        "--requirements",
        type=Path,
        metavar="FILE",
        help="with --offline: pure-Python packages from PyPI to ship",
    )


def run(args: argparse.Namespace) -> int:
    from ..build import build_site
    from ..inputs.limits import parse_size

    log = progress_logger(args.quiet)
    start = time.perf_counter()
    result = build_site(
        args.inputs,
        args.out,
        code=args.code,
        analysis=args.analysis,
        title=args.title,
        pyodide=args.pyodide,
        sample=args.sample,
        max_bytes=parse_size(args.max_size),
        offline=args.offline,
        packages=args.packages or (),
        requirements=args.requirements,
        prerender=not args.no_prerender,
        prerender_timeout=args.prerender_timeout,
        public_url=args.public_url,
        allow_connect=args.allow_connect,
        log=log,
    )
    log(f"built {result.out} ({', '.join(result.datasets)}) in {time.perf_counter() - start:.1f}s")
    # a URL when one is known (a bucket, --public-url); else the folder, as before
    print(result.url if result.url and (args.public_url or isinstance(result.out, str))
          else result.out)  # fmt: skip
    return 0
