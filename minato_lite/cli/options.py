"""What several commands share: the parser class, option types, common options, progress.

Kept apart so each command module imports this one and none imports another:
the commands stay independent (import-linter forbids cycles between them) and
a shared option reads the same in every command's `--help`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..errors import UserError, one_line

PROG = "minato-lite"
ISOLATE_HELP = (
    "send COOP/COEP so the kernel gets SharedArrayBuffer (experimental: see docs/security.md)"
)

#: adds a command's arguments to its parser
AddArguments = Callable[[argparse.ArgumentParser], None]
#: runs a parsed command and returns its exit code
Run = Callable[[argparse.Namespace], int]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see --help)\n")


class CommandParser(OneLineParser):
    """A command's parser that adds its arguments when it is first used.

    Some defaults and choices live in modules that load pandas and nbformat
    (`--analysis`, the timeouts): adding a command's arguments only when that
    command parses or prints help keeps `minato-lite --help`, `serve` and `run`
    from paying for `build`'s imports. The help and errors are the same.
    """

    def __init__(self, *args: Any, arguments: AddArguments | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._arguments = arguments

    def add_pending_arguments(self) -> None:
        """Add the command's arguments now, once (every parse and help does this first)."""
        arguments, self._arguments = self._arguments, None
        if arguments is not None:
            arguments(self)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self.add_pending_arguments()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self.add_pending_arguments()
        return super().format_usage()

    def format_help(self) -> str:
        self.add_pending_arguments()
        return super().format_help()


class Commands(Protocol):
    """What `make_parser` hands each command module: `add_subparsers()`'s result."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def progress_logger(quiet: bool) -> Callable[[str], None]:
    """Progress lines on stderr, stamped with the seconds since the command started."""
    start = time.perf_counter()

    def log(message: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:5.1f}s] {message}", file=sys.stderr, flush=True)

    return log


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("give a number of seconds between 0 and 3600")
    return value


def output_location(text: str) -> Path | str:
    """`-o`: a folder (a Path) or an `s3://` URL, checked now so a typo fails in one line."""
    if "://" not in text:
        return Path(text)
    from ..store import parse_s3_url

    if not text.startswith("s3://"):
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a folder or s3://BUCKET/PREFIX (no other URL schemes)"
        )
    try:
        parse_s3_url(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def public_url(text: str) -> str:
    if not text.startswith(("https://", "http://")):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL")
    return text if text.endswith("/") else text + "/"


def add_prerender_options(parser: argparse.ArgumentParser) -> None:
    from ..execute.executor import DEFAULT_CELL_TIMEOUT

    parser.add_argument(
        "--no-prerender",
        action="store_true",
        help="do not run the generated notebooks at build time (the site opens without outputs)",
    )
    parser.add_argument(
        "--prerender-timeout",
        type=seconds,
        default=DEFAULT_CELL_TIMEOUT,
        metavar="SECONDS",
        help=f"stop a pre-rendered cell after this long (default {DEFAULT_CELL_TIMEOUT:g})",
    )


def add_public_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--public-url",
        type=public_url,
        metavar="URL",
        help="where the output is served (a CDN, the bucket's endpoint); URLs printed use it. "
        "With {site} as the first label of its host (https://{site}.sites.example/), each "
        "site of a deployment gets its own origin, shared files come from assets.<the rest>",
    )
    parser.add_argument(
        "--allow-connect",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin the sites' live code may reach besides their own (an API the analysis "
        "calls on purpose; repeatable); everything else is refused by their "
        "Content-Security-Policy",
    )
