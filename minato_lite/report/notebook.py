"""One notebook's cells -> the HTML of its section of the report, in notebook order.

Markdown cells are rendered and cleaned; code cells show their source (open,
or folded in a `<details>` that needs no script) and then their outputs.
Cells tagged `template-only` are skipped; cells tagged `browser-only`
(widgets) show a note and a link to the live notebook instead of outputs,
since their stored output is only a placeholder. Raw cells are skipped: they
are meant for other export formats.

Headings are re-levelled for the page (`sanitize.outline_headings`) after the
whole notebook is rendered, and each chart is named after the headings above
it and the comment its cell opens with.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .markdown import render_markdown
from .output_html import Charts, render_outputs
from .sanitize import Heading, outline_headings, tag_text

#: the tags `minato_lite.templates` gives cells (this package may not import it; a test pins them)
TEMPLATE_ONLY = "template-only"
BROWSER_ONLY = "browser-only"
#: the code notebook's opening cells: the report's own status line says what they say
INTRO = "intro"
LIVE_KERNEL_NOTE = "This cell is interactive (widgets) and needs the live Python kernel:"

_TITLE_LINE = re.compile(r"^ {0,3}#(?:[ \t]+.*)?$")
_HEADING_OPEN = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.S)
_COMMENT = re.compile(r"^#\s*(.+?)\s*$")


@dataclass(frozen=True)
class RenderedNotebook:
    """A notebook's section body and its headings as placed (for the table of contents)."""

    html: str
    headings: list[Heading]


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def drop_title(source: str) -> str:
    """The Markdown without its first line when that line is a level-1 heading.

    A notebook's opening `# Title` names what the report's own section heading
    already names (the site's title, "Your code"); keeping both would repeat it.
    """
    lines = source.split("\n")
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if _TITLE_LINE.match(line):
            return "\n".join(lines[:index] + lines[index + 1 :])
        break
    return source


def _first_comment(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            match = _COMMENT.match(line.strip())
            return match.group(1) if match else ""
    return ""


class _Trail:
    """The headings above the current cell, for naming charts."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []

    def read(self, cleaned: str) -> None:
        for match in _HEADING_OPEN.finditer(cleaned):
            level, text = int(match.group(1)), tag_text(match.group(2))
            while self.stack and self.stack[-1][0] >= level:
                self.stack.pop()
            if text:
                self.stack.append((level, text))

    def context(self, source: str) -> str:
        names = [text for _level, text in self.stack]
        comment = _first_comment(source)
        if comment:
            names.append(comment)
        return ", ".join(names)


def _code_block(source: str, show_code: bool) -> str:
    if not source.strip():
        return ""
    block = f'<pre class="source"><code>{html.escape(source, quote=False)}</code></pre>'
    if show_code:
        return block
    return f'<details class="source"><summary>Code</summary>{block}</details>'


def render_notebook(
    cells: Sequence[Mapping[str, Any]],
    *,
    charts: Charts,
    id_prefix: str,
    live_href: str,
    show_code: bool,
    top: int = 3,
    skip_tags: frozenset[str] = frozenset({TEMPLATE_ONLY}),
) -> RenderedNotebook:
    """The cells of one notebook as HTML; `live_href` is the (unescaped) live notebook URL.

    Each code cell that can run outside JupyterLab is marked `data-cell="<prefix>-<n>"`
    (n: its position in the notebook), so the report's live cells can run it in place.
    """
    trail = _Trail()
    parts: list[str] = []
    first = True
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", []) or []
        kind = cell.get("cell_type")
        if skip_tags.intersection(tags) or kind not in ("markdown", "code"):
            continue
        source = _source(cell)
        if kind == "markdown":
            rendered = render_markdown(
                drop_title(source) if first else source, cell.get("attachments")
            )
            first = False
            trail.read(rendered)
            if rendered.strip():
                parts.append(f'<div class="cell markdown">{rendered}</div>')
            continue
        first = False
        body = _code_block(source, show_code)
        marker = ""
        if BROWSER_ONLY in tags:
            body += (
                f'<p class="note live-only">{html.escape(LIVE_KERNEL_NOTE)} '
                f'<a href="{html.escape(live_href)}">open the notebook live</a>.</p>'
            )
        else:
            body += render_outputs(
                cell.get("outputs", []) or [], charts=charts, context=trail.context(source)
            )
            marker = f' data-cell="{id_prefix}-{index}"' if source.strip() else ""
        if body:
            parts.append(f'<div class="cell code"{marker}>{body}</div>')
    markup, headings = outline_headings("".join(parts), top=top, id_prefix=id_prefix)
    return RenderedNotebook(markup, headings)
