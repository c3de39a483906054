"""`minato-lite run`: analysis code with data in the WebAssembly sandbox, from a terminal.

The same sandbox the API uses for untrusted code, so code can be tried here
first; `--json` prints the result a backend would get.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .options import Commands, progress_logger


def add_command(commands: Commands) -> None:
    parser = commands.add_parser(
        "run",
        help="run analysis code with data in a sandbox (Pyodide in Deno, no permissions)",
        arguments=add_arguments,
    )
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "code_file", type=Path, metavar="CODE_FILE", help="Python code; '# %%%%' splits cells"
    )
    parser.add_argument(
        "--data",
        action="append",
        type=Path,
        metavar="FILE",
        help="a data file (or folder of them) the code sees as df/frames/data (repeatable)",
    )
    parser.add_argument(
        "--pyodide",
        metavar="PATH_OR_URL",
        help="a Pyodide with pandas (folder, .tar.bz2 or URL); default: $MINATO_PYODIDE_FULL, "
        "$MINATO_PYODIDE_SCIENTIFIC, else the scientific stand-in in the cache (built once)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="wall clock (default 30)"
    )
    parser.add_argument(
        "--memory", default="1GB", metavar="SIZE", help="memory cap of the sandbox (default 1GB)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object {"ok", "outputs", "error", "seconds"}',
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    from ..inputs.code import read_code
    from ..inputs.limits import parse_size
    from ..sandbox import run_code

    code = read_code(args.code_file)[0].text
    result = run_code(
        code,
        args.data or None,
        pyodide=args.pyodide,
        timeout=args.timeout,
        memory=parse_size(args.memory),
        log=progress_logger(args.quiet or args.json),
    )
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    for line in result.text():
        print(line)
    status = "ok" if result.ok else f"failed: {(result.error or {}).get('ename')}"
    print(f"[{status} in {result.seconds:.1f}s]", file=sys.stderr)
    return 0
