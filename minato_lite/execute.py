"""Run a built site's notebooks under CPython, with the site's own data and runtime.

The site's `files/` folder is copied to a temporary place and each notebook
runs there in a fresh `python3` kernel, so `import minato` finds the site's
helper and data exactly as the browser kernel does, and nothing is written
into the site. The user's code notebook runs only when asked: it is their
code, on their machine, and never runs by default.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import EnvironmentProblem, UserError, one_line
from .notebooks import CODE_NOTEBOOK
from .site import SITE_MARKER

STARTUP_FILE = "minato/startup.py"


@dataclass(frozen=True)
class NotebookRun:
    notebook: str
    status: str  # "pass", "fail" or "skip"
    seconds: float = 0.0
    detail: str = ""


def site_notebooks(site: Path) -> list[str]:
    marker = site / SITE_MARKER
    if not marker.is_file() or not (site / "files").is_dir():
        raise UserError(f"{site}: not a minato-lite site (no {SITE_MARKER}); build one first")
    return list(json.loads(marker.read_text("utf-8"))["notebooks"])


def _error_summary(exc: Exception) -> str:
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    return one_line(f"{name}: {value}")[:300]


def execute_folder(
    work: Path,
    names: list[str],
    *,
    include_code: bool = False,
    output: Path | None = None,
    timeout: int = 600,
    log: Callable[[str], None] = lambda _m: None,
) -> list[NotebookRun]:
    """Execute notebooks that sit in `work` (a site's contents), each in a fresh kernel.

    Notebooks are saved, with outputs, into `output` if given; `work` itself
    is changed only by what the notebooks do.
    """
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError:
        raise EnvironmentProblem(
            "executing notebooks needs nbclient, ipykernel and matplotlib: "
            "pip install 'minato-lite[check]'"
        ) from None
    # the same startup as in the browser: `minato`, `df` and `frames` before the first cell
    env = {**os.environ, "PYTHONSTARTUP": str(work / STARTUP_FILE)}
    env.pop("MPLBACKEND", None)  # plots render inline, as in the browser
    env.pop("MINATO_DATA_DIR", None)
    runs = []
    for name in names:
        if name == CODE_NOTEBOOK and not include_code:
            runs.append(NotebookRun(name, "skip", detail="your code runs only with --include-code"))
            continue
        log(f"executing {name}")
        nb = nbformat.read(work / name, as_version=4)
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(work)}}
        )
        start = time.perf_counter()
        try:
            client.execute(env=env, stderr=subprocess.DEVNULL)
            run = NotebookRun(name, "pass", time.perf_counter() - start)
        except CellExecutionError as exc:
            run = NotebookRun(name, "fail", time.perf_counter() - start, _error_summary(exc))
        except Exception as exc:  # kernel died, timeout: still a failed notebook
            run = NotebookRun(name, "fail", time.perf_counter() - start, _error_summary(exc))
        runs.append(run)
        if output is not None:
            output.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, output / name)
    return runs


def execute_site(
    site: Path,
    *,
    include_code: bool = False,
    output: Path | None = None,
    timeout: int = 600,
    log: Callable[[str], None] = lambda _m: None,
) -> list[NotebookRun]:
    """Execute a built site's notebooks on a copy of its contents; the site is not touched."""
    site = site.expanduser().resolve()
    names = site_notebooks(site)
    with tempfile.TemporaryDirectory(prefix="minato-check-") as tmp:
        work = Path(tmp) / "files"
        shutil.copytree(site / "files", work)
        return execute_folder(
            work, names, include_code=include_code, output=output, timeout=timeout, log=log
        )
