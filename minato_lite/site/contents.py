"""A site's own files, as they sit in its contents and as the kernel sees them under `/drive`.

    analysis.ipynb, code.ipynb, explorer.ipynb   generated notebooks
    data/<name>.csv, data/catalog.json          datasets and their schema
    minato/                                      the in-kernel helper package and its startup

Everything specific to one site is computed here as relative path -> bytes
(`SiteFiles`) before a single file is written, so the sandbox, pre-rendering
and the writer all take the same files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..inputs.profile import DatasetProfile
from ..inputs.readers import Dataset
from ..inputs.stored_format import CATALOG_FORMAT, encode_frame
from ..notebooks.builders import NotebookFile
from ..resources import resource_dir, runtime_dir

#: the kernel startup, as a path in the site's contents and as the browser kernel sees it
STARTUP_FILE = "minato/startup.py"
DRIVE = "/drive"
STARTUP_PATH = f"{DRIVE}/{STARTUP_FILE}"
#: the parts of a site's contents the in-kernel runtime reads: the data and `minato`
RUNTIME_PREFIXES = ("data/", "minato/")
DATA_PREFIX = "data/"
CATALOG_FILE = "data/catalog.json"

STARTUP_SOURCE = '''"""minato-lite kernel startup, run by IPython through PYTHONSTARTUP."""
import importlib.util as _util
import os as _os
import sys as _sys

# The package beside this file (/drive/minato in the browser, a copy of files/ under
# CPython) is imported from its path, not through sys.path: in the browser, a /drive
# entry on sys.path costs a round trip to the page for every later import.
_here = _os.path.dirname(_os.path.abspath(globals().get("__file__", "/drive/minato/startup.py")))
# IPython runs this file with its folder prepended to sys.path; take it off for the
# imports the startup makes (pandas alone brings dozens)
while _here in _sys.path:
    _sys.path.remove(_here)
if "minato" not in _sys.modules:
    _spec = _util.spec_from_file_location(
        "minato", _os.path.join(_here, "__init__.py"), submodule_search_locations=[_here]
    )
    _sys.modules["minato"] = _util.module_from_spec(_spec)
    try:
        _spec.loader.exec_module(_sys.modules["minato"])
    except BaseException:
        del _sys.modules["minato"]
        raise
import minato

minato._startup(globals())
globals().pop("_spec", None)
del _util, _os, _sys, _here
'''


@dataclass
class SiteFiles:
    """Everything specific to one site, as relative path -> bytes, before it is written."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, path: str, content: str | bytes) -> None:
        self.files[path] = content.encode("utf-8") if isinstance(content, str) else content

    def digest(self) -> str:
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.encode() + b"\0" + hashlib.sha256(self.files[path]).digest())
        return h.hexdigest()

    def write(self, root: Path) -> None:
        for rel, content in sorted(self.files.items()):
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    def data_bytes(self) -> int:
        """Bytes of the stored datasets (what the size limit is about)."""
        return sum(len(v) for k, v in self.files.items() if k.startswith(DATA_PREFIX))

    def runtime_part(self) -> SiteFiles:
        """The data and the `minato` package: what the in-kernel runtime needs, no notebooks."""
        return SiteFiles({k: v for k, v in self.files.items() if k.startswith(RUNTIME_PREFIXES)})

    @classmethod
    def read_runtime_part(cls, contents: Path) -> SiteFiles:
        """The runtime part of a built site's contents folder (`files/`)."""
        found = cls()
        for prefix in RUNTIME_PREFIXES:
            for path in sorted((contents / prefix).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    found.add(path.relative_to(contents).as_posix(), path.read_bytes())
        return found


def runtime_files() -> dict[str, bytes]:
    """The `minato` package as it sits in the contents: source files only."""
    root = runtime_dir()
    return {
        f"minato/{p.relative_to(root).as_posix()}": p.read_bytes()
        for p in sorted(root.rglob("*.py"))
    }


def shipped_content() -> dict[str, bytes]:
    """Files from `content/` that every site carries (the welcome README)."""
    root = resource_dir("content")
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def site_contents(
    datasets: Sequence[Dataset],
    docs: Sequence[NotebookFile],
    title: str,
    profiles: Sequence[DatasetProfile] | None = None,
) -> SiteFiles:
    """Datasets (CSV + catalog), the runtime and its startup, and the notebooks.

    The catalog says, per dataset, which columns were read as numbers or dates
    (`conversions`) and, given `profiles`, each column's semantic type (`semantic`),
    so the kernel knows which columns are measures without recomputing them.
    """
    files = SiteFiles()
    catalog: dict = {"format": CATALOG_FORMAT, "title": title, "datasets": []}
    kinds = {p.name: [c.kind for c in p.columns] for p in profiles or ()}
    for ds in datasets:
        text, schema = encode_frame(ds.frame)
        for entry, kind in zip(schema, kinds.get(ds.name, ()), strict=False):
            entry["semantic"] = kind
        files.add(f"{DATA_PREFIX}{ds.name}.csv", text)
        catalog["datasets"].append(
            {
                "name": ds.name,
                "label": ds.label,
                "source": ds.source,
                "file": f"{ds.name}.csv",
                "rows": int(ds.frame.shape[0]),
                "sampled_from": ds.sampled_from,
                "conversions": [c.as_dict() for c in ds.conversions],
                "columns": schema,
            }
        )
    files.add(CATALOG_FILE, json.dumps(catalog, indent=1, ensure_ascii=False) + "\n")
    for rel, content in [*runtime_files().items(), *shipped_content().items()]:
        files.add(rel, content)
    files.add(STARTUP_FILE, STARTUP_SOURCE)
    for doc in docs:
        files.add(doc.path, doc.dumps())
    return files


def with_notebooks(files: SiteFiles, docs: Sequence[NotebookFile]) -> SiteFiles:
    """A copy of `files` with `docs` written over their paths (after pre-rendering)."""
    updated = SiteFiles(dict(files.files))
    for doc in docs:
        updated.add(doc.path, doc.dumps())
    return updated
