"""minato-lite: data + analysis code -> a self-contained JupyterLite site.

    from minato_lite import build_site
    build_site("sales.csv", "site/", code=Path("analysis.py"))

Names are imported on first use, so `import minato_lite` stays cheap and the
command line can tune imports before pandas and nbformat load.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "ANALYSIS_TYPES": "build",
    "BuildResult": "build",
    "build_site": "build",
    "MinatoError": "errors",
    "UserError": "errors",
}
__all__ = [*sorted(_LAZY), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
