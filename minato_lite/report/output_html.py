"""One notebook output -> HTML: the richest type the report can show inertly.

A display output carries one value in several MIME types; as in Jupyter's
renderers and nbconvert's exporters the first type in `MIME_PRIORITY` that
renders wins. A type that cannot render here (HTML that is empty once
cleaned, say a plotly figure that is all script, or too large to clean; an
image that is not valid base64) gives way to the next, and `text/plain`, which every IPython display
carries, is the last resort. An output with nothing we know says which types
it had.

What each type becomes:

* `text/html`, `text/markdown`: through `sanitize.clean_html` (Markdown after
  `markdown.render_markdown`);
* `image/png|jpeg|gif`: the notebook's own base64 as a `data:` URI, after
  checking it decodes to that image type (it is never re-encoded), with an
  `alt` from `Charts`;
* `image/svg+xml`: base64 in an `<img>`, where SVG cannot run script;
* `application/json`: pretty-printed, keys sorted, escaped;
* `text/latex`, `text/plain`, streams and tracebacks: escaped text, ANSI
  colours as spans (`ansi.ansi_to_html`);
* widget views: a note that the live kernel is needed.

Long text is cut at `MAX_TEXT` characters with a note: a report is read, and
a megabyte of printed rows belongs in the live notebook.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .ansi import ansi_to_html, strip_ansi
from .markdown import render_markdown
from .sanitize import TooComplex, clean_html, image_src, svg_src, tag_text

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: (value, its metadata, the alt text: asked for only once an image is certain to be shown)
Renderer = Callable[[object, Mapping[str, Any], Callable[[], str]], "str | None"]
MIME_PRIORITY = (
    WIDGET_VIEW,
    "text/html",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/svg+xml",
    "text/markdown",
    "application/json",
    "text/latex",
    "text/plain",
)
MAX_TEXT = 100_000
WIDGET_NOTE = (
    "Interactive widget: it needs the live Python kernel. Open this notebook live to use it."
)


class Charts:
    """Numbers the images of one page in order and names each for its `alt` text."""

    def __init__(self) -> None:
        self.count = 0

    def alt(self, context: str) -> str:
        """`Chart N: <context>`; the context is where the image stands (a heading, a comment)."""
        self.count += 1
        return f"Chart {self.count}: {context}" if context else f"Chart {self.count}"


def _text(value: object) -> str | None:
    """A MIME bundle's text: nbformat stores it as a string or a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def _cap(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    rest = len(text) - MAX_TEXT
    return (
        text[:MAX_TEXT]
        + f"\n… ({rest:,} more characters not shown: the live notebook has them all)"
    )


def _pre(kind: str, text: str) -> str:
    return f'<pre class="{kind}">{ansi_to_html(_cap(text))}</pre>'


def _dimension(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _png_size(payload: str) -> tuple[int, int] | None:
    """Width and height from a PNG's header (the first 24 bytes), for a stable layout."""
    try:
        head = base64.b64decode("".join(payload[:64].split())[:32], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _img(src: str, alt: str, width: int | None, height: int | None) -> str:
    size = f' width="{width}" height="{height}"' if width and height else ""
    return f'<div class="output-image"><img src="{src}" alt="{html.escape(alt)}"{size}></div>'


def _image(mime: str) -> Renderer:
    def render(value: object, metadata: Mapping[str, Any], alt: Callable[[], str]) -> str | None:
        text = _text(value)
        src = image_src(mime, text) if text is not None else None
        if src is None or text is None:
            return None
        width, height = _dimension(metadata.get("width")), _dimension(metadata.get("height"))
        if not (width and height) and mime == "image/png":
            width, height = _png_size(text) or (None, None)
        return _img(src, alt(), width, height)

    return render


def _svg(value: object, metadata: Mapping[str, Any], alt: Callable[[], str]) -> str | None:
    text = _text(value)
    if text is None or "<svg" not in text:
        return None
    return _img(svg_src(text), alt(), _dimension(metadata.get("width")),
                _dimension(metadata.get("height")))  # fmt: skip


def _html(value: object, _metadata: Mapping[str, Any], _alt: Callable[[], str]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        cleaned = clean_html(text)
    except TooComplex:
        return None  # a huge or pathological fragment: the next type (text/plain) instead
    if not tag_text(cleaned) and "<img" not in cleaned:
        return None  # nothing left to see (all script, an empty div): try the next type
    return f'<div class="output-html">{cleaned}</div>'


def _markdown(value: object, _metadata: Mapping[str, Any], _alt: Callable[[], str]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return f'<div class="output-markdown">{render_markdown(text)}</div>'


def _json(value: object, _metadata: Mapping[str, Any], _alt: Callable[[], str]) -> str | None:
    if isinstance(value, str):  # some writers store JSON as its text
        raw = value
        try:
            value = json.loads(raw)
        except ValueError:
            return _pre("output-json", raw)
    try:
        text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    except (RecursionError, TypeError, ValueError):  # too deep, or keys that do not sort
        return None
    return _pre("output-json", text)


def _latex(value: object, _metadata: Mapping[str, Any], _alt: Callable[[], str]) -> str | None:
    text = _text(value)
    return None if text is None else _pre("output-latex", text)


def _plain(value: object, _metadata: Mapping[str, Any], _alt: Callable[[], str]) -> str | None:
    text = _text(value)
    return None if text is None else _pre("output-text", text)


def _widget(_value: object, _metadata: Mapping[str, Any], _alt: Callable[[], str]) -> str | None:
    return f'<p class="note widget-note">{html.escape(WIDGET_NOTE)}</p>'


_RENDERERS: dict[str, Renderer] = {
    WIDGET_VIEW: _widget,
    "text/html": _html,
    "image/png": _image("image/png"),
    "image/jpeg": _image("image/jpeg"),
    "image/gif": _image("image/gif"),
    "image/svg+xml": _svg,
    "text/markdown": _markdown,
    "application/json": _json,
    "text/latex": _latex,
    "text/plain": _plain,
}


def render_data(
    data: Mapping[str, Any], metadata: Mapping[str, Any], *, charts: Charts, context: str
) -> str:
    """A MIME bundle (execute_result / display_data) as HTML, by `MIME_PRIORITY`."""
    for mime in MIME_PRIORITY:
        if mime not in data:
            continue
        meta = metadata.get(mime)
        meta = meta if isinstance(meta, Mapping) else {}
        rendered = _RENDERERS[mime](data[mime], meta, lambda: charts.alt(context))
        if rendered is not None:
            return rendered
    kinds = ", ".join(sorted(str(k) for k in data)) or "none"
    return f'<p class="note">An output this report cannot show (types: {html.escape(kinds)}).</p>'


def _error(output: Mapping[str, Any]) -> str:
    name = strip_ansi(str(output.get("ename", "Error")))
    value = strip_ansi(str(output.get("evalue", "")))
    traceback = output.get("traceback") or []
    lines = "\n".join(str(line) for line in traceback) if isinstance(traceback, list) else ""
    head = f"<strong>{html.escape(name)}</strong>" + (f": {html.escape(value)}" if value else "")
    body = _pre("traceback", lines) if lines.strip() else ""
    return f'<div class="output-error" role="group" aria-label="Error"><p>{head}</p>{body}</div>'


def _merged_streams(outputs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Consecutive stream outputs of one name as one, as a notebook shows them."""
    merged: list[Mapping[str, Any]] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            text = (_text(previous.get("text")) or "") + (_text(output.get("text")) or "")
            merged[-1] = {"output_type": "stream", "name": output.get("name"), "text": text}
        else:
            merged.append(output)
    return merged


def render_output(output: Mapping[str, Any], *, charts: Charts, context: str = "") -> str:
    """One nbformat output as HTML; `context` names any chart in it (see `Charts`)."""
    kind = output.get("output_type")
    if kind == "stream":
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return _pre(f"stream {name}", _text(output.get("text")) or "")
    if kind == "error":
        return _error(output)
    if kind in ("execute_result", "display_data"):
        data = output.get("data")
        metadata = output.get("metadata")
        return render_data(
            data if isinstance(data, Mapping) else {},
            metadata if isinstance(metadata, Mapping) else {},
            charts=charts,
            context=context,
        )
    return ""


def render_outputs(
    outputs: Sequence[Mapping[str, Any]], *, charts: Charts, context: str = ""
) -> str:
    """A cell's outputs in order, consecutive streams merged; empty when there are none."""
    parts = [render_output(o, charts=charts, context=context) for o in _merged_streams(outputs)]
    body = "".join(p for p in parts if p)
    return f'<div class="outputs">{body}</div>' if body else ""
