"""A job as data: the code's cells and the site files the in-kernel runtime reads.

The data goes through the same path as a site build (`inputs.readers.load_inputs`
-> `site.contents.site_contents`), so `minato`, `df`, `frames` and `data` behave
in the sandbox exactly as in the browser. Nothing here runs the code: it is split
into cells (as `code.ipynb` does) and travels to the guest as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd

from ..errors import UserError
from ..inputs.code import split_cells
from ..inputs.limits import DEFAULT_MAX_BYTES, check_data_size
from ..inputs.readers import SUPPORTED, Input, load_inputs
from ..site.contents import DATA_PREFIX, STARTUP_FILE, STARTUP_PATH, SiteFiles, site_contents

TITLE = "Sandbox"


@dataclass(frozen=True)
class Job:
    """One run: `cells` in order, `files` mounted read-only at /drive in the guest."""

    cells: list[str]
    files: SiteFiles

    @property
    def packages(self) -> list[str]:
        """Pyodide packages the job needs whatever the code imports: the runtime's pandas."""
        has_data = any(k.startswith(DATA_PREFIX) and k.endswith(".csv") for k in self.files.files)
        return ["pandas"] if has_data else []

    @property
    def startup(self) -> str | None:
        """The kernel startup as the guest sees it, when the files carry one."""
        return STARTUP_PATH if STARTUP_FILE in self.files.files else None


def _expand(data: Input | Iterable[Input] | None) -> list[Input]:
    """Inputs as `load_inputs` takes them; a folder stands for its data files."""
    if data is None:
        return []
    items: list[Input]
    if isinstance(data, (str, Path, Mapping, pd.DataFrame)) or (
        isinstance(data, list) and data and all(isinstance(row, Mapping) for row in data)
    ):
        items = [data]  # one input (a list of records is one dataset, as in load_inputs)
    else:
        items = list(cast(Iterable[Input], data))
    out: list[Input] = []
    for item in items:
        if isinstance(item, (str, Path)) and Path(item).is_dir():
            found = sorted(
                p for p in Path(item).iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED
            )
            if not found:
                raise UserError(f"{item}: no data files ({', '.join(SUPPORTED)}) in this folder")
            out.extend(found)
        else:
            out.append(item)
    return out


def guest_files(
    data: Input | Iterable[Input] | None, max_bytes: int = DEFAULT_MAX_BYTES
) -> SiteFiles:
    """The `data/` and `minato/` part of a site for `data` (no datasets: an empty catalog)."""
    inputs = _expand(data)
    datasets = load_inputs(inputs) if inputs else []
    site = site_contents(datasets, [], TITLE)
    check_data_size(site.data_bytes(), max_bytes, sampled=False)
    return site.runtime_part()


def make_job(
    code: str, data: Input | Iterable[Input] | None = None, *, files: SiteFiles | None = None
) -> Job:
    """Split `code` on `# %%` and prepare the data (or reuse prepared `files`)."""
    if not isinstance(code, str):
        raise UserError("the code must be text")
    if "\x00" in code:
        raise UserError("the code contains a NUL byte; it is not Python source")
    cells = split_cells(code)
    return Job(cells=cells, files=files if files is not None else guest_files(data))
