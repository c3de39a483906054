"""`index.html`, the page a site opens on: the report of its notebooks as built.

A visitor lands on the answer, not on JupyterLab loading: the report
(`minato_lite.report`) shows the datasets, the user's code with the outputs
it had at build time (or says plainly that it was not run), then the
analysis, all of it readable without a script, and links into each notebook
live. It is rendered from the site's own files, the notebooks exactly as
they are written into the contents, so the page and the live notebooks never
disagree.

The page loads two scripts, deferred, which it never needs to be read:
`minato-warmup.js` (`web/warmup.js`), which fetches what the live notebook
will need into the browser's cache once the page has painted, and the module
`minato-live.js` (`web/live.js`), which makes the code cells editable and runs
them in place in a Pyodide worker when the reader asks (`site.live`). It keeps
JupyterLite's `jupyter-config-data` block: the config loader of the lab
fetches the root `index.html` and reads it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import nbformat

from ..notebooks.builders import (
    ANALYSIS_NOTEBOOK,
    CODE_NOTEBOOK,
    EXPLORER_NOTEBOOK,
    NotebookFile,
)
from ..report import render_report
from .app_cache import REPORT_MODULES, REPORT_SCRIPTS
from .contents import CATALOG_FILE, SiteFiles

EXPLORER_LABEL = "the explorer notebook (pick a dataset, column and chart)"


def _notebook(files: SiteFiles, path: str) -> NotebookFile | None:
    raw = files.files.get(path)
    if raw is None:
        return None
    return NotebookFile(path, nbformat.reads(raw.decode("utf-8"), as_version=4))


def dataset_rows(catalog: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's dataset summary from the site's data catalog (what the kernel loads)."""
    rows = []
    for item in catalog.get("datasets", []):
        name, label = item["name"], item.get("label") or item["name"]
        source = item.get("source") or label
        # where it came from; and the caller's own name for it when that is not its file's
        origin = source if label in (name, source) else f"{label} ({source})"
        rows.append(
            {
                "name": name,
                "label": origin,
                "rows": int(item["rows"]),
                "columns": len(item.get("columns") or ()),
            }
        )
    return rows


def report_page(title: str, files: SiteFiles, *, analysis_pending: bool = False,
                policy: str | None = None) -> str:  # fmt: skip
    """`index.html` for a site holding `files`: its report, with the warm-up script deferred.

    `analysis_pending`: the analysis is being drawn and the site will be published again;
    `policy`: its Content-Security-Policy, as a <meta> tag (`site.csp`).
    """
    catalog = json.loads(files.files[CATALOG_FILE].decode("utf-8"))
    explorer = _notebook(files, EXPLORER_NOTEBOOK)
    return render_report(
        title,
        dataset_rows(catalog),
        analysis=_notebook(files, ANALYSIS_NOTEBOOK),
        code=_notebook(files, CODE_NOTEBOOK),
        live=[(EXPLORER_LABEL, explorer.path)] if explorer is not None else [],
        scripts=list(REPORT_SCRIPTS),
        modules=list(REPORT_MODULES),
        analysis_pending=analysis_pending,
        policy=policy,
    )
