"""The findings as the Markdown list the findings notebook renders. Here, not in the host's
`minato_lite.markup`, because the browser renders it too and this package runs there
alone; a test keeps the escaping equal to the host's."""

from __future__ import annotations

import html
import re
import urllib.parse
from typing import Any

#: how many findings `findings_markdown` lists (the rest are counted)
SHOWN_FINDINGS = 10
#: Markdown's specials but ">", which HTML escaping turns into an inert &gt;
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def _md_text(text: object) -> str:
    """User text as inert Markdown, exactly as the host's `minato_lite.markup.md_text`
    (this package runs alone in the browser, so it cannot import it; a test keeps the
    two equal): no links, emphasis, HTML, math or line breaks."""
    flat = " ".join(str(text).split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", flat), quote=True)


def findings_markdown(
    found: list[dict[str, Any]],
    anchors: dict[str, str] | None = None,
    *,
    shown: int = SHOWN_FINDINGS,
) -> str:
    """`found` (from `findings`) as a ranked Markdown list: one escaped sentence each,
    linked to the heading of the section that shows it when `anchors` names one
    (section -> heading id, as JupyterLab makes it: the heading's text, spaces as
    "-"), then how many more there are and the notes."""
    ranked = [f for f in found if f["kind"] != "note"]
    notes = [f["text"] for f in found if f["kind"] == "note"]
    anchors = anchors or {}
    lines = []
    for number, item in enumerate(ranked[:shown], start=1):
        line = f"{number}. {_md_text(item['text'])}"
        anchor = anchors.get(item["section"])
        if anchor:
            title = _md_text(anchor.replace("-", " "))
            line += f" [{title} \u2193](#{urllib.parse.quote(anchor, safe='-_.:')})"
        lines.append(line)
    if not ranked:
        lines.append("Nothing stands out: no column or pair of columns passed a threshold.")
    if len(ranked) > shown:
        more = len(ranked) - shown
        lines.append(
            f"\n{more} more finding{'s' if more > 1 else ''}: `minato.findings()` lists them all."
        )
    if notes:
        lines.append("\n> **Notes:** " + " ".join(_md_text(n) for n in notes))
    return "\n".join(lines) + "\n"
