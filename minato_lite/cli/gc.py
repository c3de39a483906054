"""`minato-lite gc`: remove the shared sets (an app, a Pyodide) that no site of a deployment
names any more, safely while other processes publish (`publish.collect`).

One line per set on stdout (`removed`, `kept`, or `would remove` with `--dry-run`),
or `--json` for a script. A set is kept while any site or publish in progress
names it, and while it is younger than `--grace`.
"""

from __future__ import annotations

import argparse
import json

from ..errors import UserError
from .options import Commands, output_location


def add_command(commands: Commands) -> None:
    parser = commands.add_parser(
        "gc",
        help="remove the shared app and Pyodide copies no site of a deployment uses",
        arguments=add_arguments,
    )
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "deployment",
        type=output_location,
        metavar="DEPLOYMENT",
        help="folder or s3://BUCKET/PREFIX made by batch or api (it holds _minato/deployment.json)",
    )
    parser.add_argument(
        "--grace",
        metavar="DURATION",
        help="keep a set stored more recently than this (90s, 15m, 2h, 7d; default: --stale-after)",
    )
    parser.add_argument(
        "--stale-after",
        metavar="DURATION",
        help="a publish (or a collection) silent this long was killed and protects nothing "
        "(default 30m; as the API's --stale-after)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be removed; write nothing"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary")


def run(args: argparse.Namespace) -> int:
    from ..publish.collect import collect
    from ..publish.deployment import DEFAULT_STALE_SECONDS, DEPLOYMENT_KEY, Deployment

    stale = _duration("--stale-after", args.stale_after) or DEFAULT_STALE_SECONDS
    grace = _duration("--grace", args.grace) or stale
    deployment = Deployment.open(args.deployment, stale_seconds=stale)
    location = deployment.store.location
    if not deployment.is_deployment():
        raise UserError(
            f"{location} is not a minato-lite deployment (it has no {DEPLOYMENT_KEY}): give "
            "the folder or s3://BUCKET/PREFIX that batch -o or api --sites-dir made"
        )
    result = collect(deployment, grace_seconds=grace, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({"deployment": location, "dry_run": args.dry_run,
                          "grace_seconds": grace, "removed": result.removed,
                          "kept": result.kept}, indent=2))  # fmt: skip
        return 0
    gone = "would remove" if args.dry_run else "removed"
    for name in result.removed:
        print(f"{gone} {name}")
    for name in result.kept:
        print(f"kept {name}")
    if not result.removed and not result.kept:
        print(f"no shared sets in {location}")
    return 0


def _duration(option: str, text: str | None) -> float | None:
    if text is None:
        return None
    from ..serve.api import parse_duration

    try:
        return parse_duration(text)
    except ValueError:
        raise UserError(
            f"{option} {text!r}: give a positive duration like 90s, 15m, 2h or 7d"
        ) from None
