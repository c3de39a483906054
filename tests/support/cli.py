"""The command line as users run it: a fresh `python -m minato_lite` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """`minato-lite ARGS` with `env` laid over this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "minato_lite", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
