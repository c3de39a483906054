"""Markdown (cells and `text/markdown` outputs) as cleaned HTML.

The library is mistune 3: it is already in every environment that has
nbconvert (which renders notebooks with it), is pure Python with no
dependencies, fast, and has the GitHub pipe tables our generated notebooks
use (`table` plugin, column alignment included). markdown-it-py would do as
well but would be one more package for the same result.

mistune is run with raw HTML passed through (`escape=False`), as Jupyter
renders Markdown, and its output then goes through `sanitize.clean_html`
like any other untrusted HTML: mistune's own URL check (it rewrites
`javascript:` and similar links to `#harmful-link`) is a convenience, not the
safety. Text from user data reaches our notebooks' Markdown already escaped
by `minato_lite.markup`; Markdown from anywhere else is treated the same.

Cell attachments (`![x](attachment:chart.png)`) are resolved to `data:`
URIs when they are PNG, JPEG or GIF; anything else is dropped. LaTeX (`$x$`)
stays as text: there is no script to typeset it. Markdown whose HTML is too
large to clean quickly (`sanitize.TooComplex`) is shown as its escaped source.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import mistune

from .sanitize import IMAGE_TYPES, MAX_CHARS, TooComplex, clean_html, image_src, tag_text

PLUGINS = ["table", "strikethrough"]


class _Renderer(mistune.HTMLRenderer):
    """mistune's HTML renderer, with a cell's attachments as image sources."""

    def __init__(self, attachments: Mapping[str, Any] | None = None) -> None:
        super().__init__(escape=False)
        self._attachments = attachments or {}

    def image(self, text: str, url: str, title: str | None = None) -> str:
        if url.startswith("attachment:"):
            bundle = self._attachments.get(url[len("attachment:") :])
            src = None
            if isinstance(bundle, Mapping):
                src = next(
                    (
                        image_src(m, bundle[m])
                        for m in IMAGE_TYPES
                        if isinstance(bundle.get(m), str)
                    ),
                    None,
                )
            alt = html.escape(tag_text(text))
            return f'<img src="{src}" alt="{alt}">' if src else alt
        return super().image(text, url, title)


_DEFAULT = mistune.create_markdown(renderer=_Renderer(), plugins=PLUGINS)


def render_markdown(source: str, attachments: Mapping[str, Any] | None = None) -> str:
    """Markdown as cleaned HTML (headings keep their Markdown levels; the page re-levels them)."""
    if attachments:
        markdown = mistune.create_markdown(renderer=_Renderer(attachments), plugins=PLUGINS)
    else:
        markdown = _DEFAULT
    rendered = markdown(source)
    try:
        return clean_html(rendered if isinstance(rendered, str) else "")
    except TooComplex:  # shown as its source, escaped, rather than cleaned at length
        return f'<pre class="markdown-source">{html.escape(source[:MAX_CHARS], quote=False)}</pre>'
