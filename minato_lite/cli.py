"""`minato-lite` command line: argument parsing, progress and exit codes only.

Exit codes: 0 ok; 2 bad usage or bad input (one line on stderr, no
traceback); 1 anything unexpected or missing from the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed, which compiles a
# grammar at import: 0.7 s of every command here. nbformat's schema checks no IRI formats,
# so the command line opts out of that optional import (jsonschema skips it cleanly).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from . import __version__  # noqa: E402
from .errors import MinatoError, UserError, one_line  # noqa: E402

PROG = "minato-lite"
ISOLATE_HELP = "send COOP/COEP so the kernel gets SharedArrayBuffer (experimental: see README)"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see --help)\n")


def _progress(quiet: bool):
    start = time.perf_counter()

    def log(message: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:5.1f}s] {message}", file=sys.stderr, flush=True)

    return log


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build_site
    from .inputs.limits import parse_size

    log = _progress(args.quiet)
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
        log=log,
    )
    log(f"built {result.out} ({', '.join(result.datasets)}) in {time.perf_counter() - start:.1f}s")
    # a URL when one is known (a bucket, --public-url); else the folder, as before
    print(result.url if result.url and (args.public_url or isinstance(result.out, str))
          else result.out)  # fmt: skip
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve.static import serve

    serve(
        args.site,
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        verbose=args.verbose,
        isolate=args.isolate,
    )
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import index_location, run_batch, summary

    start = time.perf_counter()
    tty = sys.stderr.isatty() and not args.quiet and not args.json

    def progress(number: int, total: int, result) -> None:
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

    results = run_batch(
        args.manifest,
        args.out,
        pyodide=args.pyodide,
        prerender=not args.no_prerender,
        prerender_timeout=args.prerender_timeout,
        jobs=args.jobs,
        progress=progress,
        public_url=args.public_url,
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


def cmd_api(args: argparse.Namespace) -> int:
    from .inputs.limits import parse_size
    from .serve.api import Settings, create_app, parse_duration
    from .serve.static import BackgroundServer
    from .site.deployment import DEFAULT_STALE_SECONDS

    try:
        ttl = parse_duration(args.ttl) if args.ttl else None
        stale = parse_duration(args.stale_after) if args.stale_after else DEFAULT_STALE_SECONDS
    except ValueError as exc:
        raise UserError(str(exc)) from None
    settings = Settings(
        sites_dir=args.sites_dir,
        token=args.token or os.environ.get("MINATO_LITE_TOKEN") or None,
        ttl_seconds=ttl,
        pyodide=args.pyodide,
        max_body=parse_size(args.max_body),
        max_builds=args.max_builds,
        max_queue=args.max_queue,
        isolate=args.isolate,
        prerender=not args.no_prerender,
        prerender_timeout=args.prerender_timeout,
        public_url=args.public_url,
        stale_seconds=stale,
    )
    server = BackgroundServer(create_app(settings), args.host, args.port, "info")
    print(
        f"minato-lite API at {server.url} (sites in {args.sites_dir}); schema at "
        f"{server.url}openapi.json",
        flush=True,
    )
    server.serve_forever()
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .site.verify import verify_site

    problems = verify_site(args.site)
    for problem in problems:
        print(f"PROBLEM {problem}")
    if not problems:
        print(f"OK   {args.site}: complete and consistent")
    if not args.execute:
        return 1 if problems else 0
    from .execute.check import execute_site

    runs = execute_site(
        args.site,
        include_code=args.include_code,
        output=args.output,
        timeout=args.timeout,
        total_timeout=args.total_timeout,
        log=_progress(args.quiet),
    )
    for run in runs:
        line = f"{run.status.upper():4} {run.notebook}"
        if run.status != "skip":
            line += f" ({run.seconds:.1f}s)"
        if run.detail:
            line += f": {run.detail}"
        print(line)
    failed = [r for r in runs if r.status == "fail"]
    return 1 if failed or problems else 0


def cmd_run(args: argparse.Namespace) -> int:
    from .inputs.code import read_code
    from .inputs.limits import parse_size
    from .sandbox import run_code

    code = read_code(args.code_file)[0].text
    result = run_code(
        code,
        args.data or None,
        pyodide=args.pyodide,
        timeout=args.timeout,
        memory=parse_size(args.memory),
        log=_progress(args.quiet or args.json),
    )
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    for line in result.text():
        print(line)
    status = "ok" if result.ok else f"failed: {(result.error or {}).get('ename')}"
    print(f"[{status} in {result.seconds:.1f}s]", file=sys.stderr)
    return 0


def cmd_pyodide_assemble(args: argparse.Namespace) -> int:
    from .pyodide.assemble import assemble, assembled_default

    if args.scientific:
        from .pyodide.scientific import STANDIN_VERSION, build_scientific, scientific_default

        if args.package or args.sourcemaps:
            raise UserError("--scientific takes no --package or --sourcemaps")
        log = _progress(args.quiet)
        # without -o: the user cache, where the sandbox looks when no --pyodide is given
        dist = build_scientific(args.out, log=log) if args.out else scientific_default(log=log)
        print(
            f"{PROG}: note: a Pyodide {STANDIN_VERSION} stand-in (Python 3.12, pandas 2.2), "
            "not an official release",
            file=sys.stderr,
        )
        print(dist.folder)
        return 0
    if args.out is None:
        if args.package or args.sourcemaps:
            raise UserError("--package and --sourcemaps need -o DIR (the cached one is fixed)")
        print(assembled_default(log=_progress(args.quiet)).folder)
        return 0
    dist = assemble(
        args.out,
        extra_packages=args.package or (),
        sourcemaps=args.sourcemaps,
        log=_progress(args.quiet),
    )
    print(dist.folder)
    return 0


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("give a number of seconds between 0 and 3600")
    return value


def add_prerender_options(parser: argparse.ArgumentParser) -> None:
    from .execute.executor import DEFAULT_CELL_TIMEOUT

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


def output_location(text: str) -> Path | str:
    """`-o`: a folder (a Path) or an `s3://` URL, checked now so a typo fails in one line."""
    if "://" not in text:
        return Path(text)
    from .store import parse_s3_url

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


def add_public_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--public-url",
        type=public_url,
        metavar="URL",
        help="where the output is served (a CDN, the bucket's endpoint); URLs printed use it",
    )


def make_parser() -> argparse.ArgumentParser:
    from .execute.check import DEFAULT_CHECK_CELL_TIMEOUT, DEFAULT_CHECK_TOTAL_TIMEOUT
    from .notebooks.builders import ANALYSIS_TYPES

    parser = OneLineParser(prog=PROG, description="Data + code -> a JupyterLite site.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    build = sub.add_parser("build", help="build a site from data files and code")
    build.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="CSV, TSV, JSON, JSONL, Excel or Parquet files",
    )
    build.add_argument(
        "-o",
        "--out",
        required=True,
        type=output_location,
        help="site folder to write, or s3://BUCKET/PREFIX; inside a deployment (a batch or api "
        "output) the site shares its app and Pyodide",
    )
    build.add_argument(
        "--code",
        action="append",
        type=Path,
        metavar="FILE",
        help="analysis code to include (repeatable; never run at build time)",
    )
    build.add_argument("--analysis", default="comprehensive", choices=ANALYSIS_TYPES)
    build.add_argument("--title", help="title shown in the notebook and page")
    build.add_argument(
        "--pyodide",
        metavar="PATH_OR_URL",
        help="Pyodide to self-host (folder or .tar.bz2) or load (URL); default: the public CDN",
    )
    build.add_argument(
        "--offline",
        action="store_true",
        help="self-host Pyodide with only the packages the code imports "
        "(from --pyodide, else the assembled distribution)",
    )
    build.add_argument(
        "--packages", nargs="+", metavar="NAME", help="with --offline: also ship these packages"
    )
    build.add_argument(
        "--requirements",
        type=Path,
        metavar="FILE",
        help="with --offline: pure-Python packages from PyPI to ship",
    )
    build.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="keep N random rows per dataset (seed 0); notebooks say so",
    )
    build.add_argument(
        "--max-size",
        default="200MB",
        metavar="SIZE",
        help="refuse data larger than this as stored (default 200MB)",
    )
    add_prerender_options(build)
    add_public_url(build)
    build.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    build.set_defaults(func=cmd_build)

    serve = sub.add_parser("serve", help="serve a built site on this machine")
    serve.add_argument("site", type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-browser", action="store_true", help="do not open a browser")
    serve.add_argument("-v", "--verbose", action="store_true", help="log every request")
    serve.add_argument("--isolate", action="store_true", help=ISOLATE_HELP)
    serve.set_defaults(func=cmd_serve)

    batch = sub.add_parser("batch", help="build one site per analysis listed in a manifest")
    batch.add_argument("manifest", type=Path, help='JSON or YAML: {"analyses": [...]}')
    batch.add_argument(
        "-o",
        "--out",
        required=True,
        type=output_location,
        help="folder or s3://BUCKET/PREFIX for the sites (a deployment: app and Pyodide once)",
    )
    batch.add_argument("--pyodide", metavar="PATH_OR_URL", help="as for build")
    add_prerender_options(batch)
    add_public_url(batch)
    batch.add_argument(
        "--jobs", type=int, metavar="N", help="sites built at a time (default: one per core)"
    )
    batch.add_argument("--json", action="store_true", help="print a JSON summary for CI")
    batch.add_argument("-q", "--quiet", action="store_true")
    batch.set_defaults(func=cmd_batch)

    api = sub.add_parser("api", help="serve the web API that turns code + data into sites")
    api.add_argument(
        "--sites-dir",
        required=True,
        type=output_location,
        help="folder or s3://BUCKET/PREFIX where sites live (replicas may share a bucket)",
    )
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8080)
    api.add_argument("--token", help="require 'Authorization: Bearer TOKEN' (or MINATO_LITE_TOKEN)")
    api.add_argument(
        "--ttl", metavar="DURATION", help="remove sites older than this (90s, 15m, 2h, 7d)"
    )
    api.add_argument("--pyodide", metavar="PATH_OR_URL", help="as for build")
    api.add_argument("--max-body", default="50MB", metavar="SIZE", help="largest request body")
    api.add_argument(
        "--max-builds",
        type=int,
        default=max(1, os.cpu_count() or 1),
        help="builds at a time (default: one per core)",
    )
    api.add_argument(
        "--max-queue",
        type=int,
        default=64,
        help="builds that may wait for a slot before 429 (default 64)",
    )
    api.add_argument("--isolate", action="store_true", help=ISOLATE_HELP)
    api.add_argument(
        "--stale-after",
        metavar="DURATION",
        help="remove a site whose publish started this long ago and never finished (a killed "
        "replica's; default 30m): longer than any publish takes",
    )
    add_prerender_options(api)
    add_public_url(api)
    api.set_defaults(func=cmd_api)

    check = sub.add_parser("check", help="check a built site; --execute runs its notebooks")
    check.add_argument("site", type=Path)
    check.add_argument(
        "--execute",
        action="store_true",
        help="run the generated notebooks under CPython with the site's data",
    )
    check.add_argument(
        "--include-code",
        action="store_true",
        help="also run the notebook with your code (never by default)",
    )
    check.add_argument(
        "--output", type=Path, metavar="DIR", help="save the executed notebooks, with outputs, here"
    )
    check.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_CHECK_CELL_TIMEOUT,
        metavar="SECONDS",
        help=f"fail a cell that runs longer (default {DEFAULT_CHECK_CELL_TIMEOUT:g})",
    )
    check.add_argument(
        "--total-timeout",
        type=seconds,
        default=DEFAULT_CHECK_TOTAL_TIMEOUT,
        metavar="SECONDS",
        help=f"fail the check past this, all notebooks together "
        f"(default {DEFAULT_CHECK_TOTAL_TIMEOUT:g})",
    )
    check.add_argument("-q", "--quiet", action="store_true")
    check.set_defaults(func=cmd_check)

    run = sub.add_parser(
        "run", help="run analysis code with data in a sandbox (Pyodide in Deno, no permissions)"
    )
    run.add_argument(
        "code_file", type=Path, metavar="CODE_FILE", help="Python code; '# %%%%' splits cells"
    )
    run.add_argument(
        "--data",
        action="append",
        type=Path,
        metavar="FILE",
        help="a data file (or folder of them) the code sees as df/frames/data (repeatable)",
    )
    run.add_argument(
        "--pyodide",
        metavar="PATH_OR_URL",
        help="a Pyodide with pandas (folder, .tar.bz2 or URL); default: $MINATO_PYODIDE_FULL, "
        "$MINATO_PYODIDE_SCIENTIFIC, else the scientific stand-in in the cache (built once)",
    )
    run.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="wall clock (default 30)"
    )
    run.add_argument(
        "--memory", default="1GB", metavar="SIZE", help="memory cap of the sandbox (default 1GB)"
    )
    run.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object {"ok", "outputs", "error", "seconds"}',
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    run.set_defaults(func=cmd_run)

    pyodide = sub.add_parser("pyodide", help="manage offline Pyodide distributions")
    pyodide_sub = pyodide.add_subparsers(
        dest="pyodide_command", required=True, parser_class=OneLineParser
    )
    assemble = pyodide_sub.add_parser(
        "assemble", help="core runtime + the kernel's pure-Python packages, for offline sites"
    )
    assemble.add_argument(
        "-o",
        "--out",
        type=Path,
        help="a new folder; without it, the user cache (where --offline and the sandbox look)",
    )
    assemble.add_argument(
        "--package",
        action="append",
        metavar="NAME",
        help="also include this pure-Python lockfile package (repeatable)",
    )
    assemble.add_argument("--sourcemaps", action="store_true", help="keep .map files")
    assemble.add_argument(
        "--scientific",
        action="store_true",
        help="a stand-in with numpy, pandas and matplotlib (Pyodide 0.27.7 wheels + this "
        "kernel's packages), built from the package registries; for tests and demos",
    )
    assemble.add_argument("-q", "--quiet", action="store_true")
    assemble.set_defaults(func=cmd_pyodide_assemble)
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


if __name__ == "__main__":
    sys.exit(main())
