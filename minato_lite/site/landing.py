"""`index.html`, the page a site opens on.

JupyterLite's config loader fetches the root `index.html` and reads its
`jupyter-config-data` script, so the page must carry one (empty is fine).
"""

from __future__ import annotations

from ..markup import html_text


def landing_page(title: str, notebook: str) -> str:
    """`index.html`: opens the analysis notebook directly, with a plain link as fallback.

    JupyterLite's config loader fetches the root `index.html` and reads its
    `jupyter-config-data` script, so the page must carry one (empty is fine).
    """
    target = f"./lab/index.html?path={notebook}"
    safe_title = html_text(title)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{safe_title}</title>
<link rel="icon" href="./lab/favicon.ico">
<meta http-equiv="refresh" content="0; url={target}">
<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">{{}}</script>
</head>
<body>
<p>Opening <a href="{target}">{safe_title}</a> in JupyterLite&hellip;</p>
</body>
</html>
"""
