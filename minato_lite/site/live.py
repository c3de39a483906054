"""What the report's live cells need to run a site's code in place: `minato-live.json`.

The report's `minato-live.js` reads it when a reader shows intent to run
something, then starts a Pyodide worker (`web/live-worker.js`) that loads
exactly what the kernel's startup loads: the site's Pyodide, from the same URL
and with the packages of the data's startup; the site's `data/` and `minato/`
files under `/drive`; and `minato/startup.py`, the one startup module the
kernel, the build-time sandbox and the report all run, so the same code gives
the same answer in all three. Cells run through the sandbox's own cell runner
(`runtime/pyodide_shell.py`, shipped as `minato-shell.py`).

Outputs are shown by the report's rules: the MIME priority of
`report.output_html` and the sanitizer allow-list of `report.sanitize`, read
here so the browser's DOMPurify and the build's nh3 keep the same list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from ..report.output_html import MIME_PRIORITY, WIDGET_VIEW
from ..report.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, IMAGE_TYPES
from .contents import RUNTIME_PREFIXES, STARTUP_FILE, SiteFiles

LIVE_FILE = "minato-live.json"
#: the page's module, its worker (both kept by every site: a worker runs at its site's URL)
LIVE_MODULE = "minato-live.js"
LIVE_WORKER = "minato-live-worker.js"
#: assets the page and the worker load from the app (shared by a deployment's sites)
SHELL = "minato-shell.py"
VENDOR = {
    "editor": "minato-vendor/editor.js",
    "purify": "minato-vendor/purify.js",
    "marked": "minato-vendor/marked.js",
}
#: a run that takes longer is stopped (the worker ended) and said so
RUN_SECONDS = 120
#: what one run may print and display, as in the sandbox
MAX_OUTPUT = 5 * 1024 * 1024
#: Pyodide packages a live cell needs before the startup runs (pandas: `df`, `frames`)
START_PACKAGES = ("pandas",)


def live_config(
    files: SiteFiles,
    *,
    pyodide_url: str,
    packages: Iterable[str],
    bundle_url: Callable[[str], str] = lambda url: url,
) -> bytes:
    """`minato-live.json` for a site holding `files`, whose kernel loads `pyodide_url`."""
    config = {
        "pyodide": {"url": pyodide_url, "packages": sorted(packages)},
        "files": sorted(k for k in files.files if k.startswith(RUNTIME_PREFIXES)),
        "startup": STARTUP_FILE,
        "shell": bundle_url(SHELL),
        "worker": LIVE_WORKER,
        "vendor": {name: bundle_url(path) for name, path in VENDOR.items()},
        "limits": {"seconds": RUN_SECONDS, "output_bytes": MAX_OUTPUT},
        "mime_priority": [m for m in MIME_PRIORITY if m != WIDGET_VIEW],
        "sanitize": {
            "tags": sorted(ALLOWED_TAGS),
            "attributes": {tag: sorted(names) for tag, names in sorted(ALLOWED_ATTRIBUTES.items())},
            "image_types": list(IMAGE_TYPES),
        },
    }
    return (json.dumps(config, indent=1, sort_keys=True) + "\n").encode("utf-8")
