"""`minato-site.json`: the file that makes a folder a minato-lite site.

Publishing writes it into every site with what the site was built from (title,
analysis, datasets, notebooks, Pyodide); `check`, `check --execute` and `serve`
read it. A folder without it is never replaced nor adopted: an `-o` typo must
not wipe unrelated files.
"""

from __future__ import annotations

SITE_MARKER = "minato-site.json"
