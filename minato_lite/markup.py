"""Escaping for text from user data that lands in Markdown, HTML or code.

Names and values from user data reach Markdown cells and the site's HTML
pages through these escapers, and generated code only as `repr` literals in a
template's parameters cell (`templates.literal`); generators use nothing else.
"""

from __future__ import annotations

import html
import re

#: Markdown's specials but ">", which HTML escaping turns into an inert &gt;
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def md_text(text: object) -> str:
    """User text as inert Markdown: no links, emphasis, HTML, math or line breaks."""
    flat = " ".join(str(text).split())
    # Markdown's specials first, then HTML's: the other way round, the "#" of the
    # entity for a quote (&#x27;) was escaped too and the page showed "&#x27;"
    return html.escape(_MD_SPECIAL.sub(r"\\\1", flat), quote=True)


def md_code(text: object) -> str:
    """User text shown as inline code; backtick runs cannot close the span."""
    flat = " ".join(str(text).split())
    fence = "`" * (max((len(m) for m in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"  # code spans render their content literally


def html_text(text: object) -> str:
    """User text for an HTML page body or attribute."""
    return html.escape(str(text), quote=True)
