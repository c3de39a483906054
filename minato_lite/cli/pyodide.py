"""`minato-lite pyodide assemble`: the offline Pyodide distributions, made on this machine.

A group (`pyodide SUBCOMMAND`) so other distribution chores have a place to go.
Without `-o` the result goes to the user cache, where `build --offline` and the
sandbox look; `--scientific` makes the pandas stand-in the sandbox runs on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UserError
from .options import PROG, Commands, OneLineParser, progress_logger


def add_command(commands: Commands) -> None:
    commands.add_parser(
        "pyodide", help="manage offline Pyodide distributions", arguments=add_subcommands
    )


def add_subcommands(parser: argparse.ArgumentParser) -> None:
    group = parser.add_subparsers(dest="pyodide_command", required=True, parser_class=OneLineParser)
    assemble = group.add_parser(
        "assemble", help="core runtime + the kernel's pure-Python packages, for offline sites"
    )
    add_assemble_arguments(assemble)
    assemble.set_defaults(func=run_assemble)


def add_assemble_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        help="a new folder; without it, the user cache (where --offline and the sandbox look)",
    )
    parser.add_argument(
        "--package",
        action="append",
        metavar="NAME",
        help="also include this pure-Python lockfile package (repeatable)",
    )
    parser.add_argument("--sourcemaps", action="store_true", help="keep .map files")
    parser.add_argument(
        "--scientific",
        action="store_true",
        help="a stand-in with numpy, pandas and matplotlib (Pyodide 0.27.7 wheels + this "
        "kernel's packages), built from the package registries; for tests and demos",
    )
    parser.add_argument("-q", "--quiet", action="store_true")


def run_assemble(args: argparse.Namespace) -> int:
    from ..pyodide.assemble import assemble, assembled_default

    if args.scientific:
        return run_scientific(args)
    if args.out is None:
        if args.package or args.sourcemaps:
            raise UserError("--package and --sourcemaps need -o DIR (the cached one is fixed)")
        print(assembled_default(log=progress_logger(args.quiet)).folder)
        return 0
    dist = assemble(
        args.out,
        extra_packages=args.package or (),
        sourcemaps=args.sourcemaps,
        log=progress_logger(args.quiet),
    )
    print(dist.folder)
    return 0


def run_scientific(args: argparse.Namespace) -> int:
    """`--scientific`: the numpy/pandas/matplotlib stand-in, not an official release."""
    from ..pyodide.scientific import STANDIN_VERSION, build_scientific, scientific_default

    if args.package or args.sourcemaps:
        raise UserError("--scientific takes no --package or --sourcemaps")
    log = progress_logger(args.quiet)
    # without -o: the user cache, where the sandbox looks when no --pyodide is given
    dist = build_scientific(args.out, log=log) if args.out else scientific_default(log=log)
    print(
        f"{PROG}: note: a Pyodide {STANDIN_VERSION} stand-in (Python 3.12, pandas 2.2), "
        "not an official release",
        file=sys.stderr,
    )
    print(dist.folder)
    return 0
