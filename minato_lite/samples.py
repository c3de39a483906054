"""The bundled sample data, laid out as a site lays it out, for the notebook templates.

The templates in `notebooks/` are real notebooks: opened from the repository
in Jupyter, their first (template-only) cell calls `use_sample_data()` so that
`import minato` finds `examples/sales.csv` exactly as a site's kernel would.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .resources import REPO_DIR

SAMPLE = REPO_DIR / "examples" / "sales.csv"


def use_sample_data(path: Path = SAMPLE) -> Path:
    """Write `path` as a site's `data/` folder in a temporary place and point minato at it."""
    from .build import prepare

    prepared = prepare([path])
    root = Path(tempfile.mkdtemp(prefix="minato-sample-"))
    prepared.files.write(root)
    data_dir = root / "data"
    os.environ["MINATO_DATA_DIR"] = str(data_dir)
    return data_dir
