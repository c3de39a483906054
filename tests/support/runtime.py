"""Run the in-kernel `minato` package under CPython against a site's data folder."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd

from minato_lite.inputs.stored_format import CATALOG_FORMAT, encode_frame
from minato_lite.resources import runtime_dir


def write_data(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """The data folder a site would carry for `frames` (CSV + its catalog)."""
    folder.mkdir(parents=True, exist_ok=True)
    catalog = {"format": CATALOG_FORMAT, "title": "t", "datasets": []}
    for name, frame in frames.items():
        text, schema = encode_frame(frame)
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        catalog["datasets"].append(
            {
                "name": name,
                "label": name,
                "source": name,
                "file": f"{name}.csv",
                "rows": len(frame),
                "columns": schema,
            }
        )
    (folder / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    return folder


def load_runtime(data_dir: Path, monkeypatch) -> ModuleType:
    """A fresh import of the runtime package pointed at `data_dir`."""
    monkeypatch.setenv("MINATO_DATA_DIR", str(data_dir))
    spec = importlib.util.spec_from_file_location(
        "minato_under_test", runtime_dir() / "__init__.py"
    )
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "minato_under_test", module)  # removed at teardown
    spec.loader.exec_module(module)
    return module
