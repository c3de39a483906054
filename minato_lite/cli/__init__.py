"""`minato-lite` command line: argument parsing, progress and exit codes only.

Exit codes: 0 ok; 2 bad usage or bad input (one line on stderr, no
traceback); 1 anything unexpected or missing from the machine; 130 interrupted.

Owns: the parser (`make_parser`, assembled from one module per command or
group: `build`, `serve`, `batch`, `api`, `check`, `run`, `pyodide`), what the
commands share (`options`), and turning errors into exit codes (`main`).
Each command module adds its subparser and arguments and runs the command; the
arguments are added only for the command being used, so `--help` stays fast.

May import: every stage below (it is the top layer), but only inside a
command's functions, so that starting the command line loads no pandas,
nbformat or boto3; at import time only the base modules (`errors`). Command
modules import `options`, never each other.
"""

from __future__ import annotations

import argparse
import os
import sys

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed, which compiles a
# grammar at import: 0.7 s of every command here. nbformat's schema checks no IRI formats,
# so the command line opts out of that optional import (jsonschema skips it cleanly).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from .. import __version__  # noqa: E402
from ..errors import MinatoError, one_line  # noqa: E402
from . import api, batch, build, check, gc, pyodide, run, serve  # noqa: E402
from .options import PROG, CommandParser, OneLineParser  # noqa: E402

#: in the order `minato-lite --help` lists them
COMMANDS = (build, serve, batch, api, check, run, pyodide, gc)


def make_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog=PROG, description="Data + code -> a JupyterLite site.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=CommandParser)
    for command in COMMANDS:
        command.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MinatoError as exc:
        print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("MINATO_LITE_DEBUG"):
            raise
        print(
            f"{PROG}: unexpected error: {type(exc).__name__}: {one_line(exc)} "
            "(set MINATO_LITE_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 1
