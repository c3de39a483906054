"""`minato-lite check`: is a built site complete, and (`--execute`) do its notebooks run?

The structural check prints one line per problem; `--execute` then runs the
notebooks under CPython and prints one line per notebook. Exit 1 on any failure,
so CI can gate a deploy on it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import Commands, progress_logger, seconds


def add_command(commands: Commands) -> None:
    parser = commands.add_parser(
        "check",
        help="check a built site; --execute runs its notebooks",
        arguments=add_arguments,
    )
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..execute.check import DEFAULT_CHECK_CELL_TIMEOUT, DEFAULT_CHECK_TOTAL_TIMEOUT

    parser.add_argument("site", type=Path)
    parser.add_argument(
        "--execute",
        action="store_true",
        help="run the generated notebooks under CPython with the site's data",
    )
    parser.add_argument(
        "--include-code",
        action="store_true",
        help="also run the notebook with your code (never by default)",
    )
    parser.add_argument(
        "--output", type=Path, metavar="DIR", help="save the executed notebooks, with outputs, here"
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_CHECK_CELL_TIMEOUT,
        metavar="SECONDS",
        help=f"fail a cell that runs longer (default {DEFAULT_CHECK_CELL_TIMEOUT:g})",
    )
    parser.add_argument(
        "--total-timeout",
        type=seconds,
        default=DEFAULT_CHECK_TOTAL_TIMEOUT,
        metavar="SECONDS",
        help=f"fail the check past this, all notebooks together "
        f"(default {DEFAULT_CHECK_TOTAL_TIMEOUT:g})",
    )
    parser.add_argument("-q", "--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    from ..site.verify import verify_site

    problems = verify_site(args.site)
    for problem in problems:
        print(f"PROBLEM {problem}")
    if not problems:
        print(f"OK   {args.site}: complete and consistent")
    if not args.execute:
        return 1 if problems else 0
    from ..execute.check import execute_site

    runs = execute_site(
        args.site,
        include_code=args.include_code,
        output=args.output,
        timeout=args.timeout,
        total_timeout=args.total_timeout,
        log=progress_logger(args.quiet),
    )
    for notebook_run in runs:
        line = f"{notebook_run.status.upper():4} {notebook_run.notebook}"
        if notebook_run.status != "skip":
            line += f" ({notebook_run.seconds:.1f}s)"
        if notebook_run.detail:
            line += f": {notebook_run.detail}"
        print(line)
    failed = [r for r in runs if r.status == "fail"]
    return 1 if failed or problems else 0
