"""The one place untrusted HTML is cleaned, and what may be inlined as an image.

Everything a report shows that this package did not write itself (HTML
outputs, Markdown cells and Markdown outputs once rendered) passes through
`clean_html` on its way into the page. Notebook outputs come from code we do
not control (an LLM's, a user's, a library's repr), and a report is opened
without any of JupyterLab's own sanitizing, so the policy is an allowlist
kept to what pandas tables and prose need:

* tags: `ALLOWED_TAGS` (text, lists, headings, tables, links, images); every
  other tag is removed and its text kept, except `DROPPED_WITH_CONTENT`
  (script, style, iframe, object, embed, svg, math, form controls, ...),
  which go with everything inside them;
* attributes: `ALLOWED_ATTRIBUTES` only, each value checked by
  `_attribute_filter`: no `id`, `class`, event handlers or free `style`
  (only `text-align:<keyword>`, which pandas and Markdown tables use);
* links: `href` is http, https, relative or `#...`; `rel="noopener noreferrer"`
  is added; `javascript:`, `vbscript:`, `data:` and every other scheme go;
* images: `src` must be a base64 `data:image/png|jpeg|gif` URI, so a report
  never makes a request (`http` and relative sources are removed).

nh3 (ammonia) parses with html5ever and re-serialises, so the output is
well-formed, comments are gone, and `<`/`>` appear escaped in text and in
attribute values. `finish` and `outline_headings` rely on exactly that:
in cleaned HTML every `<` starts a real tag, so they may rewrite tags with
regular expressions without ever touching text. They must only be given
cleaned HTML, or markup this package escaped itself with `html.escape`.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import urllib.parse
from dataclasses import dataclass

import nh3

ALLOWED_TAGS = frozenset(
    {
        # text
        "p", "div", "span", "br", "hr", "b", "strong", "i", "em", "u", "s", "del", "ins",
        "code", "pre", "kbd", "samp", "var", "sub", "sup", "small", "mark", "abbr", "q",
        "cite", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
        # lists
        "ul", "ol", "li", "dl", "dt", "dd",
        # tables
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        # links and inline images
        "a", "img", "figure", "figcaption",
    }
)  # fmt: skip

#: removed together with their content: active, raw-text or foreign-content elements
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object",
        "embed", "applet", "svg", "math", "textarea", "select", "title", "xmp", "noembed",
        "noframes", "plaintext",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "th": frozenset({"colspan", "rowspan", "scope", "style"}),
    "td": frozenset({"colspan", "rowspan", "style"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "ol": frozenset({"start"}),
    "abbr": frozenset({"title"}),
}

LINK_REL = "noopener noreferrer"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif));base64,([A-Za-z0-9+/]+={0,2})")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
_TEXT_ALIGN = re.compile(r"^text-align\s*:\s*(left|right|center|justify|start|end)$", re.I)
_NUMBER = re.compile(r"^[0-9]{1,4}$")
_SCOPES = frozenset({"row", "col", "rowgroup", "colgroup"})


def image_src(mime: str, payload: str) -> str | None:
    """A `data:` URI for base64 image data, or None unless it really is that image type.

    Notebook images are base64 text, often wrapped over lines; the whitespace is
    dropped and the rest must be strict base64 whose bytes start with the
    type's signature. The bytes are never re-encoded: the URI carries the
    notebook's own base64.
    """
    if mime not in IMAGE_TYPES or not isinstance(payload, str):
        return None
    compact = "".join(payload.split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(_MAGIC[mime]):
        return None
    return f"data:{mime};base64,{compact}"


def svg_src(svg: str) -> str:
    """SVG as an image URI: in `<img>`, SVG cannot run script or load anything."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _is_image_uri(value: str) -> bool:
    match = _DATA_IMAGE.fullmatch(value.strip())
    return match is not None and image_src(match.group(1), match.group(2)) is not None


def _safe_href(value: str) -> bool:
    """http(s), relative or fragment: browsers ignore controls and spaces when reading a scheme."""
    match = _SCHEME.match(_CONTROL_OR_SPACE.sub("", value))
    return match is None or match.group(1).lower() in ("http", "https")


def _text_align(value: str) -> str | None:
    for declaration in value.split(";"):
        match = _TEXT_ALIGN.match(declaration.strip())
        if match:
            return f"text-align:{match.group(1).lower()}"
    return None


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Second line of the policy: every kept attribute's value, checked on its own terms.

    nh3 calls this for attributes it is about to keep (and a few it will drop
    anyway); it must never raise, and anything unexpected is dropped.
    """
    if tag == "a" and attribute == "rel":
        return value if value == LINK_REL else None  # the one nh3 itself adds
    if attribute not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return None
    if attribute == "href":
        return value if _safe_href(value) else None
    if attribute == "src":
        return value if _is_image_uri(value) else None
    if attribute == "style":
        return _text_align(value)
    if attribute in ("width", "height", "colspan", "rowspan", "span", "start"):
        return value if _NUMBER.match(value.strip()) else None
    if attribute == "scope":
        return value.lower() if value.lower() in _SCOPES else None
    return value  # alt, title: text, escaped by the serialiser


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes={"http", "https", "data"},  # data: only survives _attribute_filter on img
    filter_style_properties={"text-align"},
)

_FINISHED_TAG = re.compile(r"<(/?)(table|thead|tbody|tfoot|th|img)(?=[\s>/])([^>]*)>")
#: attribute names in a cleaned tag (values are double-quoted, `"` inside them escaped)
_ATTRIBUTE_NAME = re.compile(r'\s([^\s="/>]+)(?:="[^"]*")?')
#: alt text for an image inside an HTML output that came without one
IMAGE_ALT = "Image in an output"


def finish(cleaned: str) -> str:
    """Cleaned HTML made fit for the page: tables scroll, header cells scoped, images named.

    Each table goes in its own horizontal scroll box (a wide frame must not
    widen a phone's page). pandas writes `<th>` without `scope`: one in
    `<thead>` heads a column, one in a body row heads its row; a `scope`
    already given is kept. An image whose source was removed is dropped, and
    one without `alt` gets `IMAGE_ALT`.
    """
    section = ""
    parts: list[str] = []
    last = 0
    for match in _FINISHED_TAG.finditer(cleaned):
        closing, name, attrs = match.groups()
        parts.append(cleaned[last : match.start()])
        last = match.end()
        tag = match.group(0)
        names = set(_ATTRIBUTE_NAME.findall(attrs))
        if name == "table":
            tag = tag + "</div>" if closing else '<div class="table-scroll">' + tag
        elif name == "th" and not closing and "scope" not in names:
            tag = f'<th scope="{"col" if section == "thead" else "row"}"{attrs}>'
        elif name == "img":
            if "src" not in names:
                tag = ""
            elif "alt" not in names:
                tag = f'<img alt="{IMAGE_ALT}"{attrs}>'
        elif name in ("thead", "tbody", "tfoot"):
            section = "" if closing else name
        parts.append(tag)
    parts.append(cleaned[last:])
    return "".join(parts)


#: Limits on a fragment given to the cleaner. html5ever's tree building is quadratic in
#: nesting depth for some patterns (measured: 20,000 nested `<div>` 5 s, 5,000 `<b id=n>`
#: then 5,000 `<p>` 3 s), and outputs come from code we do not control. A pandas table
#: at the default 60 rows x 20 columns is about 1,500 tags.
MAX_TAGS = 5_000
MAX_CHARS = 1_000_000
_START_TAG = re.compile(r"<[A-Za-z]")


class TooComplex(ValueError):
    """A fragment over `MAX_TAGS` or `MAX_CHARS`: the caller shows something plainer."""


def clean_html(fragment: str) -> str:
    """Untrusted HTML as inert HTML under the policy above, tables finished.

    Raises `TooComplex` rather than spend seconds on a pathological fragment.
    """
    if len(fragment) > MAX_CHARS:
        raise TooComplex(f"{len(fragment):,} characters of HTML")
    tags = sum(1 for _ in _START_TAG.finditer(fragment))
    if tags > MAX_TAGS:
        raise TooComplex(f"{tags:,} tags")
    return finish(_CLEANER.clean(fragment))


@dataclass(frozen=True)
class Heading:
    """A heading as placed on the page: for the table of contents and chart names."""

    id: str
    level: int
    text: str


_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])([^>]*)>")
_ANY_TAG = re.compile(r"<[^>]*>")


def tag_text(markup: str) -> str:
    """The text of cleaned or escaped markup, on one line."""
    return " ".join(html.unescape(_ANY_TAG.sub("", markup)).split())


def heading_texts(markup: str) -> list[str]:
    """The text of each heading in cleaned markup, in order."""
    return [tag_text(m.group(2)) for m in re.finditer(r"<h([1-6])[^>]*>(.*?)</h\1>", markup, re.S)]


def outline_headings(markup: str, *, top: int, id_prefix: str) -> tuple[str, list[Heading]]:
    """Re-level headings so they nest under an `h{top-1}` with no level skipped.

    A notebook's headings start wherever its author started them (`#`, or `##`
    under a title the report drops) and may skip levels; on the page they sit
    under the report's own `h1` and `h2`s. Each heading goes one level below
    the nearest earlier heading that was higher in the notebook, starting at
    `top` and capped at `h6`, and gets an id (`{id_prefix}-{n}`) for the
    table of contents. Headings never nest in cleaned HTML, so a closing tag
    belongs to the last opening one.
    """
    stack: list[tuple[int, int]] = []  # (level in the notebook, level on the page)
    parts: list[str] = []
    last = 0
    current = top
    count = 0
    for match in _HEADING_TAG.finditer(markup):
        closing, level_text, attrs = match.groups()
        parts.append(markup[last : match.start()])
        last = match.end()
        if closing:
            parts.append(f"</h{current}>")
            continue
        level = int(level_text)
        while stack and stack[-1][0] >= level:
            stack.pop()
        current = min(6, stack[-1][1] + 1 if stack else top)
        stack.append((level, current))
        count += 1
        parts.append(f'<h{current} id="{id_prefix}-{count}"{attrs}>')
    parts.append(markup[last:])
    out = "".join(parts)
    found = re.finditer(
        rf'<h([1-6]) id="({re.escape(id_prefix)}-[0-9]+)"[^>]*>(.*?)</h\1>', out, re.S
    )
    headings = [Heading(m.group(2), int(m.group(1)), tag_text(m.group(3))) for m in found]
    return _retarget_anchors(out, headings), headings


def _jupyterlab_anchor(text: str) -> str:
    """The fragment that links to a heading in JupyterLab: its text, spaces as "-", quoted."""
    return urllib.parse.quote(text.replace(" ", "-"), safe="-_.:")


def _retarget_anchors(markup: str, headings: list[Heading]) -> str:
    """Point in-notebook links (`#Heading-text`, as JupyterLab names headings) at the ids
    the headings have on the page, so a notebook's links (the key findings' links to
    their sections) work in the report too; the first heading of a text wins, as in
    the notebook. Links to anything else are left as they are."""
    targets: dict[str, str] = {}
    for heading in headings:
        targets.setdefault(_jupyterlab_anchor(heading.text), heading.id)

    def swap(match: re.Match[str]) -> str:
        ident = targets.get(match.group(1))
        return f'href="#{ident}"' if ident is not None else match.group(0)

    return re.sub(r'href="#([^"]*)"', swap, markup) if targets else markup
