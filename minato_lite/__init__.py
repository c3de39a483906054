"""minato-lite: data + analysis code -> a self-contained JupyterLite site.

from minato_lite import build_site
build_site("sales.csv", "site/", code=Path("analysis.py"))
"""

__version__ = "0.1.0"

from .build import ANALYSIS_TYPES, BuildResult, build_site
from .errors import MinatoError, UserError

__all__ = ["ANALYSIS_TYPES", "BuildResult", "MinatoError", "UserError", "__version__", "build_site"]
