"""The static report (`minato_lite.report`): every output type, hostile input kept inert, one page.

The report is the site's `index.html`, read without running anything, so it
must show what the notebooks hold (text, tables, charts, errors) while no
markup from an output, a Markdown cell, a dataset name or a title can become
active. Pages are audited with `html.parser`, as a browser would see their
elements, not by searching the text.
"""

from __future__ import annotations

import ast
import base64
import copy
import re
import struct
import sys
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import pairwise

import nbformat
import pytest
from nbformat import v4

from minato_lite import report
from minato_lite.report import (
    ANALYSIS_NOT_RUN_MESSAGE,
    CONFIG_SCRIPT,
    NOT_RUN_MESSAGE,
    Charts,
    clean_html,
    live_url,
    render_markdown,
    render_output,
    render_report,
    was_run,
)
from minato_lite.report.ansi import ansi_to_html, strip_ansi
from minato_lite.report.notebook import BROWSER_ONLY, TEMPLATE_ONLY
from minato_lite.report.output_html import MAX_TEXT, WIDGET_NOTE
from minato_lite.report.sanitize import MAX_TAGS, TooComplex, outline_headings
from minato_lite.resources import REPO_DIR

SALES = REPO_DIR / "examples" / "sales.csv"
HOSTILE_NAMES = REPO_DIR / "tests" / "hostile" / "hostile_names.json"
PACKAGE = REPO_DIR / "minato_lite" / "report"


def png(width: int = 3, height: int = 2) -> str:
    """A real PNG, base64, as a notebook stores it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    raw = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(raw).decode()


JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * 16 + b"\xff\xd9").decode()
GIF = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5"/></svg>'


@dataclass(frozen=True)
class Doc:
    """What `render_report` takes for a notebook (as `notebooks.NotebookFile` is)."""

    path: str
    notebook: nbformat.NotebookNode


def display(data: dict, kind: str = "display_data", metadata: dict | None = None):
    if kind == "execute_result":
        return v4.new_output(kind, data=data, metadata=metadata or {}, execution_count=1)
    return v4.new_output(kind, data=data, metadata=metadata or {})


def code_cell(source: str, outputs=(), tags=()):
    cell = v4.new_code_cell(source, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def notebook(*cells, metadata: dict | None = None) -> nbformat.NotebookNode:
    nb = v4.new_notebook(cells=list(cells), metadata=metadata or {})
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index}"
    nbformat.validate(nb)
    return nb


DATASETS = [{"name": "sales", "label": "sales.csv", "rows": 1234, "columns": 7}]


def one(output) -> str:
    return render_output(output, charts=Charts(), context="Revenue")


class Audit(HTMLParser):
    """Every element of a page, where it sits, and the text of its scripts and styles."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], tuple[str, ...]]] = []
        self.stack: list[str] = []
        self.raw: dict[int, str] = {}
        self.headings: list[int] = []
        self.feed(page)
        self.close()

    VOID = frozenset({"meta", "img", "br", "hr", "input", "link", "base", "col", "embed", "wbr"})

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}, tuple(self.stack)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}, tuple(self.stack)))

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("script", "style"):
            self.raw[len(self.elements) - 1] = self.raw.get(len(self.elements) - 1, "") + data

    def tags(self, name: str) -> list[tuple[dict[str, str], tuple[str, ...]]]:
        return [(attrs, where) for tag, attrs, where in self.elements if tag == name]


FORBIDDEN = (
    "iframe", "frame", "frameset", "form", "input", "button", "textarea", "select", "object",
    "embed", "applet", "base", "link", "svg", "math", "template", "noscript", "video", "audio",
    "source", "track", "portal",
)  # fmt: skip
FETCHING = ("src", "srcset", "data", "poster", "background", "action", "formaction", "xlink:href")


def squeeze(value: str) -> str:
    """An attribute value as a browser reads a URL scheme: controls and spaces ignored."""
    return re.sub(r"[\x00-\x20\x7f]", "", value).lower()


def assert_inert(page: str, scripts: tuple[str, ...] = (), modules: tuple[str, ...] = ()) -> Audit:
    """No active markup anywhere: the config script, the deferred `scripts` and `modules`
    given to the page (by their URLs), our style and metas, nothing else."""
    audit = Audit(page)
    found = audit.tags("script")
    assert len(found) == 1 + len(scripts) + len(modules), found
    expected = [{"src": src, "defer": ""} for src in scripts]
    expected += [{"type": "module", "src": src} for src in modules]
    for (attrs, where), wanted in zip(found[1:], expected, strict=True):
        assert attrs == wanted and where == ("html", "head"), attrs
    attrs, where = found[0]
    assert attrs == {
        "id": "jupyter-config-data",
        "type": "application/json",
        "data-jupyter-lite-root": ".",
    }
    assert where == ("html", "head")
    assert CONFIG_SCRIPT in page
    styles = audit.tags("style")
    assert len(styles) == 1 and styles[0][1] == ("html", "head")
    assert all(where == ("html", "head") for _a, where in audit.tags("meta"))
    # charset, viewport, and a built site's Content-Security-Policy
    others = [a for a, _w in audit.tags("meta") if a.get("http-equiv") != "Content-Security-Policy"]
    assert len(others) == 2, others
    for name in FORBIDDEN:
        assert not audit.tags(name), name
    for tag, attrs, _where in audit.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            for bad in ("javascript:", "vbscript:", "data:text", "livescript:"):
                assert bad not in squeeze(value), (tag, name, value)
            if name in FETCHING and tag == "script":
                assert value in (*scripts, *modules), value
            elif name in FETCHING:
                assert tag == "img" and name == "src", (tag, name)
                assert re.match(
                    r"data:image/(png|jpeg|gif|svg\+xml);base64,[A-Za-z0-9+/=]+$", value
                )
            if name == "style":
                assert re.fullmatch(r"text-align:(left|right|center|justify|start|end)", value)
            if name == "href":
                assert re.match(r"(https?://|#|lab/index\.html(\?path=|$)|[^:]*$)", value), value
    for attrs, _where in audit.tags("img"):
        assert attrs.get("alt", "").strip(), attrs
    for name in ("h1", "script", "style"):
        assert f"<{name}>alert" not in page
    return audit


# ---------------------------------------------------------------- output types


def test_streams_are_escaped_and_stderr_is_marked():
    out = one(v4.new_output("stream", name="stdout", text="a < b & <b>c</b>\n"))
    assert out == '<pre class="stream stdout">a &lt; b &amp; &lt;b&gt;c&lt;/b&gt;\n</pre>'
    err = one(v4.new_output("stream", name="stderr", text="warning\n"))
    assert 'class="stream stderr"' in err


def test_consecutive_streams_merge_and_carriage_returns_overwrite():
    html = report.render_outputs(
        [
            v4.new_output("stream", name="stdout", text="10%\r50%\r100%\n"),
            v4.new_output("stream", name="stdout", text="done\n"),
            v4.new_output("stream", name="stderr", text="warn\n"),
        ],
        charts=Charts(),
    )
    assert html.count('class="stream stdout"') == 1
    assert "100%\ndone\n" in html and "50%" not in html
    assert 'class="stream stderr">warn' in html


def test_an_error_shows_its_name_value_and_traceback_with_ansi_colours_as_spans():
    out = one(
        v4.new_output(
            "error",
            ename="ValueError",
            evalue="bad <value>",
            traceback=[
                "\x1b[0;31m---------------------------------------------------------\x1b[0m",
                "\x1b[0;31mValueError\x1b[0m: bad <value>\x1b[38;5;208m!\x1b[0m\x1b[2K",
            ],
        )
    )
    assert "<strong>ValueError</strong>: bad &lt;value&gt;" in out
    assert '<span class="ansi-fg1">ValueError</span>: bad &lt;value&gt;!' in out
    assert "\x1b" not in out and "[0;31m" not in out
    assert 'class="traceback"' in out


def test_ansi_codes_become_classes_or_go():
    assert ansi_to_html("\x1b[1;32mok\x1b[0m \x1b[91;44mhot\x1b[39;49m x") == (
        '<span class="ansi-fg2 ansi-b">ok</span> <span class="ansi-fg9 ansi-bg4">hot</span> x'
    )
    assert ansi_to_html("\x1b[38;2;1;2;3mrgb\x1b[0m\x1b]0;title\x07\x1b[?25l<") == "rgb&lt;"
    assert strip_ansi("\x1b[1mbold\x1b[0m\x00\x08 a\n50%\r100%\r\n") == "bold a\n100%\n"


def test_html_is_cleaned_and_its_tables_scroll_with_scoped_headers():
    table = (
        '<div><style scoped>.dataframe td {color: red}</style><table border="1" '
        'class="dataframe"><thead><tr style="text-align: right;"><th></th><th>amount</th>'
        "</tr></thead><tbody><tr><th>0</th><td>1.5</td></tr></tbody></table></div>"
    )
    out = one(display({"text/html": table, "text/plain": "   amount\n0     1.5"}, "execute_result"))
    assert out.startswith('<div class="output-html">')
    assert '<div class="table-scroll"><table>' in out and "</table></div>" in out
    assert '<th scope="col">amount</th>' in out and '<th scope="row">0</th>' in out
    assert "color: red" not in out and "dataframe" not in out and "style=" not in out
    assert "<pre" not in out  # text/plain lost to text/html


def test_plain_text_is_escaped_in_pre():
    assert one(display({"text/plain": "<Figure size 640x480>"}, "execute_result")) == (
        '<pre class="output-text">&lt;Figure size 640x480&gt;</pre>'
    )


def test_png_is_inlined_as_the_notebooks_own_base64_with_size_and_alt():
    data = png(30, 20)
    wrapped = "\n".join(data[i : i + 20] for i in range(0, len(data), 20))  # as JSON may wrap it
    out = one(display({"image/png": wrapped, "text/plain": "<Figure>"}))
    assert f'<img src="data:image/png;base64,{data}" alt="Chart 1: Revenue"' in out
    assert 'width="30" height="20"' in out and "&lt;Figure" not in out


def test_jpeg_gif_and_svg_are_images():
    assert 'src="data:image/jpeg;base64,' in one(display({"image/jpeg": JPEG}))
    assert 'src="data:image/gif;base64,' in one(display({"image/gif": GIF}))
    svg = one(display({"image/svg+xml": SVG, "text/plain": "<svg>"}))
    encoded = base64.b64encode(SVG.encode()).decode()
    assert f'<img src="data:image/svg+xml;base64,{encoded}" alt="Chart 1: Revenue">' in svg


def test_image_metadata_sizes_win_for_retina_figures():
    out = one(
        display({"image/png": png(60, 40)}, metadata={"image/png": {"width": 30, "height": 20}})
    )
    assert 'width="30" height="20"' in out


def test_an_image_that_is_not_what_it_claims_falls_back_to_text():
    not_base64 = one(display({"image/png": "not base64!", "text/plain": "fallback"}))
    assert not_base64 == '<pre class="output-text">fallback</pre>'
    wrong_bytes = one(display({"image/png": JPEG, "text/plain": "fallback"}))
    assert wrong_bytes == '<pre class="output-text">fallback</pre>'


def test_markdown_output_is_rendered_and_cleaned():
    out = one(display({"text/markdown": "**bold** <script>alert(1)</script>", "text/plain": "x"}))
    assert '<div class="output-markdown"><p><strong>bold</strong> </p>' in out
    assert "script" not in out


def test_json_is_pretty_sorted_and_escaped():
    out = one(display({"application/json": {"b": "</pre><script>", "a": [1, 2]}}))
    assert out.startswith('<pre class="output-json">{\n  "a": [\n    1,')
    assert "&lt;/pre&gt;&lt;script&gt;" in out


def test_latex_is_escaped_text():
    out = one(display({"text/latex": r"$\frac{a}{b} < 1$", "text/plain": "x"}))
    assert out == r'<pre class="output-latex">$\frac{a}{b} &lt; 1$</pre>'


def test_a_widget_view_is_a_note():
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    out = one(display({"application/vnd.jupyter.widget-view+json": view, "text/plain": "VBox()"}))
    assert WIDGET_NOTE in out.replace("&#x27;", "'") and "VBox" not in out


def test_unknown_types_fall_back_to_plain_text_or_say_what_they_were():
    plotly = {"application/vnd.plotly.v1+json": {"data": []}, "text/plain": "Figure()"}
    assert one(display(plotly)) == '<pre class="output-text">Figure()</pre>'
    only_js = one(display({"application/javascript": "alert(1)"}))
    assert "cannot show" in only_js and "application/javascript" in only_js
    assert "alert" not in only_js


def test_html_that_is_empty_once_cleaned_gives_way_to_the_next_type():
    out = one(display({"text/html": "<div><script>draw()</script></div>", "text/plain": "Chart"}))
    assert out == '<pre class="output-text">Chart</pre>'


def test_long_text_is_cut_with_a_note():
    out = one(v4.new_output("stream", name="stdout", text="x" * (MAX_TEXT + 10)))
    assert "10 more characters not shown" in out and len(out) < MAX_TEXT + 200


def test_charts_are_numbered_across_the_page_only_when_shown():
    charts = Charts()
    render_output(display({"image/png": "broken", "text/plain": "x"}), charts=charts, context="A")
    first = render_output(display({"image/png": png()}), charts=charts, context="A")
    second = render_output(display({"image/png": png()}), charts=charts, context="")
    assert 'alt="Chart 1: A"' in first and 'alt="Chart 2"' in second


# ---------------------------------------------------------------- sanitizer and Markdown

HOSTILE_HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  java\tscript:alert(1)">x</a>',
    '<a href="JaVaScRiPt&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<iframe src="javascript:alert(1)"></iframe><iframe srcdoc="<script>alert(1)</script>">',
    '<form action="https://evil.example/"><input name=a><button formaction="javascript:alert(1)">'
    "go</button></form>",
    "<style>body{background:url(https://evil.example/x)}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<svg><a xlink:href=javascript:alert(1)><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    '<img src="data:text/html,<script>alert(1)</script>">',
    '<img src="https://evil.example/track.png"><img src="/local.png" srcset="a.png 1x">',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/x.css">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<table><tr><td background="javascript:alert(1)" onclick="alert(1)">x</td></tr></table>',
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<video><source onerror=alert(1)></video><audio src=x onerror=alert(1)>",
    '<p id="main" class="status">spoofed</p><h1>second title</h1>',
    "<!--<img src=x onerror=alert(1)>-->",
    "<xmp><script>alert(1)</script></xmp><plaintext><script>alert(1)</script>",
]


@pytest.mark.parametrize("fragment", HOSTILE_HTML)
def test_hostile_html_is_inert_once_cleaned(fragment):
    cleaned = clean_html(fragment)
    audit = Audit(cleaned)
    for tag, attrs, _where in audit.elements:
        assert tag not in (*FORBIDDEN, "script", "style", "meta", "details"), tag
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in ("id", "srcset")
            assert name != "class" or value == "table-scroll"  # the scroll box is ours
            assert "script:" not in squeeze(value) and "data:text" not in squeeze(value)
            if name == "src":
                assert value.startswith("data:image/")
    assert "<script" not in cleaned and "<img src=x" not in cleaned


def test_the_cleaner_keeps_what_tables_and_prose_need():
    fragment = (
        "<p>a <b>b</b> <strong>c</strong> <i>d</i> <em>e</em> <code>f</code></p><pre>g</pre>"
        '<ul><li>h</li></ul><ol start="3"><li>i</li></ol><h2>j</h2><br><hr>'
        '<a href="https://example.org/x?y=1">k</a> <a href="other.html#z">l</a> <a href="#m">m</a>'
        '<table><caption>n</caption><thead><tr><th colspan="2" scope="colgroup">o</th></tr>'
        '</thead><tbody><tr><td rowspan="2" style="text-align: right">p</td></tr></tbody></table>'
        f'<img src="data:image/png;base64,{png()}" alt="q">'
    )
    cleaned = clean_html(fragment)
    for kept in (
        "<b>b</b>", "<strong>c</strong>", "<i>d</i>", "<em>e</em>", "<code>f</code>",
        "<pre>g</pre>", "<li>h</li>", '<ol start="3">', "<h2>j</h2>", "<br>", "<hr>",
        '<a href="https://example.org/x?y=1" rel="noopener noreferrer">k</a>',
        '<a href="other.html#z" rel="noopener noreferrer">', '<a href="#m"',
        "<caption>n</caption>", '<th colspan="2" scope="colgroup">o</th>',
        '<td rowspan="2" style="text-align:right">p</td>', 'alt="q"',
    ):  # fmt: skip
        assert kept in cleaned, kept


def test_cleaned_html_escapes_angle_brackets_in_attributes_which_the_rewrites_rely_on():
    cleaned = clean_html('<img alt="<h1>x</h1><table>" src="data:image/gif;base64,' + GIF + '">')
    assert cleaned.count("<") == 1 and "&lt;h1&gt;" in cleaned
    assert "table-scroll" not in cleaned


def test_pathological_html_is_refused_quickly_and_the_output_falls_back_to_text():
    import time

    nested = "<div>" * 50_000 + "x"
    formatting = "".join(f"<b id={i}>" for i in range(20_000)) + "<p>x</p>" * 20_000
    started = time.monotonic()
    for fragment in (nested, formatting, "<p>x</p>" * 200_000):
        with pytest.raises(TooComplex):
            clean_html(fragment)
        out = one(display({"text/html": fragment, "text/plain": "DataFrame (huge)"}))
        assert out == '<pre class="output-text">DataFrame (huge)</pre>'
    markdown = render_markdown("*a* " * 10_000)  # 10,000 <em> once rendered
    assert markdown.startswith('<pre class="markdown-source">*a* *a*') and "<em>" not in markdown
    assert time.monotonic() - started < 5
    assert clean_html("<div>" * (MAX_TAGS // 2) + "x").count("<div>") == MAX_TAGS // 2


def test_json_too_deep_to_print_falls_back():
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    output = {"output_type": "display_data", "metadata": {}, "data": {"application/json": deep}}
    output["data"]["text/plain"] = "deep"
    assert one(output) == '<pre class="output-text">deep</pre>'


def test_markdown_renders_gfm_tables_and_stays_inert():
    html = render_markdown(
        "| dataset | rows |\n|---|---:|\n| `sales` | 12 |\n\n"
        "[click](javascript:alert(1)) <a href='javascript:alert(2)'>raw</a> "
        "<script>alert(3)</script> ![x](javascript:alert(4)) &lt;img src=x onerror=1&gt; "
        "sales\\.csv ~~old~~"
    )
    assert '<th scope="col" style="text-align:right">rows</th>' in html
    assert '<td style="text-align:right">12</td>' in html and "<code>sales</code>" in html
    assert "javascript" not in html and "<script" not in html
    assert (
        "&lt;img src=x onerror=1&gt;" in html and "sales.csv" in html and "<del>old</del>" in html
    )


def test_markdown_attachments_become_data_uris_and_other_schemes_go():
    cell_png = png()
    html = render_markdown(
        "![a chart](attachment:c.png) ![svg](attachment:s.svg) ![gone](attachment:missing.png)",
        {"c.png": {"image/png": cell_png}, "s.svg": {"image/svg+xml": SVG}},
    )
    assert f'<img src="data:image/png;base64,{cell_png}" alt="a chart">' in html
    assert html.count("<img") == 1 and "svg" in html and "gone" in html


def test_headings_are_relevelled_without_gaps():
    markup, headings = outline_headings(
        "<h2>a</h2><h4>b</h4><h5>c</h5><h3>d</h3><h1>e</h1><h6>f</h6>", top=3, id_prefix="n"
    )
    assert [h.level for h in headings] == [3, 4, 5, 4, 3, 4]
    assert markup.startswith('<h3 id="n-1">a</h3><h4 id="n-2">b</h4>')
    assert [h.text for h in headings] == list("abcdef")


# ---------------------------------------------------------------- the page


def analysis_nb() -> nbformat.NotebookNode:
    return notebook(
        v4.new_markdown_cell("# sales\n\nIntro with a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
        code_cell("setup()", tags=[TEMPLATE_ONLY]),
        v4.new_markdown_cell("## Distributions"),
        code_cell(
            "# Distribution of amount\nplot()",
            [display({"image/png": png(), "text/plain": "<Figure>"})],
        ),
        code_cell(
            "frame",
            [display({"text/html": "<table><tr><th>x</th></tr></table>"}, "execute_result")],
        ),
        v4.new_markdown_cell("### Deeper"),
        code_cell(
            "controls()",
            [display({"text/markdown": "*placeholder*", "text/plain": "placeholder"})],
            tags=[BROWSER_ONLY],
        ),
        v4.new_raw_cell("<script>alert(1)</script>"),
        metadata={"minato": {"prerendered": {"python": "3.11"}}},
    )


def ran_code_nb() -> nbformat.NotebookNode:
    return notebook(
        v4.new_markdown_cell("# Your code\n\nIt ran."),
        v4.new_markdown_cell("## From `analysis.py`"),
        code_cell(
            "# Revenue per region\nprint('hi')\nplot()",
            [
                v4.new_output("stream", name="stdout", text="CODE-OUTPUT\n"),
                display({"image/png": png(), "text/plain": "<Figure>"}),
            ],
        ),
        code_cell(
            "1/0",
            [
                v4.new_output(
                    "error",
                    ename="ZeroDivisionError",
                    evalue="division by zero",
                    traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
                )
            ],
        ),
        metadata={"minato": {"prerendered": {"sandbox": "pyodide-in-deno"}}},
    )


def not_run_code_nb() -> nbformat.NotebookNode:
    return notebook(
        v4.new_markdown_cell("# Your code\n\nNot run."),
        code_cell("df.groupby('region').size()"),
    )


def page(**kwargs) -> str:
    args = {
        "title": "Sales",
        "datasets": DATASETS,
        "analysis": Doc("analysis.ipynb", analysis_nb()),
        "code": Doc("code.ipynb", ran_code_nb()),
        "live": [("Explorer", "explorer.ipynb")],
    }
    args.update(kwargs)
    return render_report(**args)


def test_the_page_has_one_h1_landmarks_alt_text_headers_and_no_level_gaps():
    html = page()
    audit = assert_inert(html)
    assert audit.headings.count(1) == 1 and audit.headings[0] == 1
    assert all(b <= a + 1 for a, b in pairwise(audit.headings)), audit.headings
    assert len(audit.tags("main")) == 1 and len(audit.tags("nav")) == 1
    assert audit.tags("html")[0][0]["lang"] == "en"
    assert audit.tags("nav")[0][0]["aria-label"] == "Contents"
    alts = [attrs["alt"] for attrs, _w in audit.tags("img")]
    assert alts == [
        "Chart 1: From analysis.py, Revenue per region",
        "Chart 2: Distributions, Distribution of amount",
    ]
    assert all(attrs.get("scope") in ("col", "row") for attrs, _w in audit.tags("th"))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media print" in html and "@media (max-width:40rem)" in html
    assert "overflow-x:auto" in html


def test_sections_come_in_order_the_code_answer_first_then_contents_data_and_analysis():
    html = page()
    positions = [
        html.index(marker)
        for marker in (
            'id="code"',
            "CODE-OUTPUT",
            'aria-label="Contents"',
            'id="data"',
            'id="analysis"',
            ">Distributions</h3>",
        )
    ]
    assert positions == sorted(positions)
    assert "ran when the site was built in a WebAssembly sandbox" in html
    assert "It raised ZeroDivisionError" in html
    assert NOT_RUN_MESSAGE not in html


def test_code_that_was_not_run_is_said_plainly_with_a_live_link():
    html = page(code=Doc("code.ipynb", not_run_code_nb()))
    assert_inert(html)
    assert NOT_RUN_MESSAGE in html
    at = html.index(NOT_RUN_MESSAGE)
    assert html.index('<a href="lab/index.html?path=code.ipynb">', at) < html.index('id="analysis"')
    assert "df.groupby(&#x27;region&#x27;).size()" in html or "df.groupby('region').size()" in html
    assert not was_run(not_run_code_nb()) and was_run(ran_code_nb())


def test_a_real_code_notebook_as_built_without_a_sandbox_counts_as_not_run():
    from minato_lite.inputs.code import CodeSource
    from minato_lite.notebooks.builders import code_notebook

    doc = code_notebook([CodeSource("analysis.py", "df.head()")], ["sales"])
    assert not was_run(doc.notebook)
    assert NOT_RUN_MESSAGE in page(code=doc)


def test_an_analysis_that_was_not_pre_rendered_says_so_and_shows_its_code():
    plain = notebook(v4.new_markdown_cell("# t\n\n## Distributions"), code_cell("frame.describe()"))
    html = page(analysis=Doc("analysis.ipynb", plain))
    assert_inert(html)
    assert ANALYSIS_NOT_RUN_MESSAGE in html and "were computed when this site" not in html
    analysis_section = html[html.index('id="analysis"') :]
    assert "<details" not in analysis_section and "frame.describe()" in analysis_section


def test_without_code_or_analysis_the_sections_are_left_out():
    html = page(code=None)
    assert 'id="code"' not in html and 'id="analysis"' in html
    custom = page(analysis=None)
    assert 'id="analysis"' not in custom and 'id="code"' in custom
    assert_inert(custom)


def test_code_in_the_analysis_is_folded_and_the_users_code_is_open():
    html = page()
    assert '<details class="source"><summary>Code</summary><pre class="source"><code>' in html
    assert "# Distribution of amount\nplot()" in html
    code_section = html[html.index('id="code"') : html.index('id="analysis"')]
    assert "<details" not in code_section and '<pre class="source"><code># Revenue' in code_section


def test_template_only_cells_are_skipped_and_browser_only_cells_point_to_the_live_kernel():
    html = page()
    assert "setup()" not in html and "placeholder" not in html
    assert "needs the live Python kernel" in html
    assert '<a href="lab/index.html?path=analysis.ipynb">open the notebook live</a>' in html
    assert "alert(1)" not in html  # the raw cell


def test_the_notebooks_own_title_is_not_repeated_and_the_toc_lists_its_sections():
    html = page()
    assert ">sales</h" not in html  # "# sales" named what the page title names
    assert '<a href="#analysis-1">Distributions</a>' in html
    assert '<h3 id="analysis-1">Distributions</h3>' in html
    assert '<h4 id="analysis-2">Deeper</h4>' in html


def test_dataset_summary():
    html = page(datasets=[*DATASETS, {"name": "b", "label": "b.xlsx", "rows": 5, "columns": 1}])
    assert (
        '<th scope="row"><code>sales</code></th><td>sales.csv</td><td class="num">1,234</td>'
        in html
    )
    assert "<code>b</code>" in html
    with pytest.raises(ValueError, match="name, label, rows, columns"):
        page(datasets=[{"name": "x"}])
    with pytest.raises(ValueError, match="counts"):
        page(datasets=[{"name": "x", "label": "x", "rows": "12", "columns": 1}])


def test_live_links_are_url_encoded_then_escaped_and_only_relative():
    assert live_url("my notebook & <x>#?.ipynb") == (
        "lab/index.html?path=my%20notebook%20%26%20%3Cx%3E%23%3F.ipynb"
    )
    assert live_url("sub/dir/ü.ipynb", "../lab/index.html") == (
        "../lab/index.html?path=sub/dir/%C3%BC.ipynb"
    )
    html = page(live=[("Explorer <b>", 'a"b.ipynb')], lab="./lab/index.html")
    assert '<a href="./lab/index.html?path=a%22b.ipynb">Explorer &lt;b&gt;</a>' in html
    for lab in ("https://evil.example/lab", "javascript:alert(1)", "//evil.example/lab", "/lab"):
        with pytest.raises(ValueError):
            live_url("a.ipynb", lab)
    with pytest.raises(ValueError):
        page(lang='en" onload="x')


def test_deferred_scripts_are_relative_escaped_and_in_the_head():
    html = page(scripts=["minato-warmup.js", 'a"b.js'])
    assert_inert(html, scripts=("minato-warmup.js", 'a"b.js'))
    assert '<script src="a&quot;b.js" defer></script>' in html
    # the page reads the same without them: nothing but the script tags differs
    bare = page()
    assert re.sub(r'<script src="[^"]*" defer></script>\n', "", html) == bare
    for src in ("https://cdn.example/x.js", "//cdn.example/x.js", "/x.js", "javascript:alert(1)"):
        with pytest.raises(ValueError, match="relative"):
            page(scripts=[src])


def test_every_live_link_and_jupyterlab_itself_are_linked_from_the_contents():
    audit = Audit(page())
    nav = [a["href"] for a, where in audit.tags("a") if "nav" in where]
    for path in ("analysis.ipynb", "code.ipynb", "explorer.ipynb"):
        assert f"lab/index.html?path={path}" in nav
    assert "lab/index.html" in nav
    with pytest.raises(ValueError, match="relative"):
        page(lab="https://evil.example/lab/index.html")


def test_hostile_titles_names_and_outputs_stay_inert():
    hostile_outputs = [display({"text/html": h, "text/plain": "p"}) for h in HOSTILE_HTML]
    hostile_outputs += [
        display({"image/svg+xml": "<svg onload=alert(1)><script>alert(1)</script></svg>"}),
        display({"text/markdown": "[x](javascript:alert(1)) <img src=x onerror=alert(1)>"}),
        display({"text/plain": "</pre><script>alert(1)</script>"}),
        display({"text/latex": "</pre><script>alert(1)</script>"}),
        display({"application/json": {"k": "</pre><script>alert(1)</script>"}}),
        v4.new_output("stream", name="stdout", text="</pre><script>alert(1)</script>"),
        v4.new_output(
            "error",
            ename="<script>alert(1)</script>",
            evalue='<img src=x onerror="alert(1)">',
            traceback=["\x1b[31m<script>alert(1)</script>\x1b[0m"],
        ),
    ]
    analysis = notebook(
        v4.new_markdown_cell(
            "# <script>alert(1)</script>\n\n## Section <img src=x onerror=alert(1)>\n\n"
            '[click](javascript:window.__pwned=3) <a href="javascript:alert(1)">raw</a>\n\n'
            "<iframe src=javascript:alert(1)></iframe><style>*{}</style><form><input></form>"
        ),
        code_cell("</code></pre><script>alert(1)</script>", hostile_outputs),
    )
    name = '<img src=x onerror="window.__pwned=1">'
    html = render_report(
        '"><script>alert(1)</script><h1>x</h1>',
        [{"name": name, "label": "</td><script>alert(1)</script>", "rows": 1, "columns": 1}],
        Doc("analysis.ipynb", analysis),
        Doc('code"<script>.ipynb', not_run_code_nb()),
        live=[('"><script>', "x.ipynb")],
    )
    audit = assert_inert(html)
    assert audit.headings.count(1) == 1
    assert (
        "<title>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;h1&gt;x&lt;/h1&gt;</title>"
        in html
    )
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html
    assert 'href="lab/index.html?path=code%22%3Cscript%3E.ipynb"' in html


def test_rendering_twice_gives_identical_bytes_and_leaves_the_notebooks_alone():
    analysis, code = analysis_nb(), ran_code_nb()
    before = copy.deepcopy((analysis, code))
    first = page(analysis=Doc("analysis.ipynb", analysis), code=Doc("code.ipynb", code))
    second = page(analysis=Doc("analysis.ipynb", analysis), code=Doc("code.ipynb", code))
    assert first == second and (analysis, code) == before
    assert page() == first


# ---------------------------------------------------------------- boundaries


def test_the_cell_tags_match_the_templates():
    from minato_lite.notebooks import builders, templates
    from minato_lite.report.notebook import INTRO

    assert (TEMPLATE_ONLY, BROWSER_ONLY) == (templates.TEMPLATE_ONLY, templates.BROWSER_ONLY)
    assert INTRO == builders.INTRO


def test_the_subpackage_imports_only_what_its_docstring_allows():
    allowed = {"nbformat", "nh3", "mistune"}
    allowed_local = {"minato_lite.errors", "minato_lite.markup"}
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1:
                    continue  # within the subpackage
                names = [f"minato_lite.{node.module}" if node.level == 2 else node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                ok = top in sys.stdlib_module_names or top in allowed or name in allowed_local
                assert ok or top == "__future__", f"{path.name} imports {name}"


# ---------------------------------------------------------------- real pre-rendered notebooks


@pytest.fixture(scope="module")
def prerendered(tmp_path_factory):
    """The sales and hostile-names analyses as a build pre-renders them (warm executor)."""
    from minato_lite.build import prepare
    from minato_lite.execute.executor import WarmExecutor
    from minato_lite.execute.prerender import prerender_notebook, provenance
    from minato_lite.notebooks.builders import ANALYSIS_NOTEBOOK

    docs = {}
    with WarmExecutor(workers=1) as warm:
        for key, source in (("sales", SALES), ("hostile", HOSTILE_NAMES)):
            prepared = prepare([source], code="x = 1")
            folder = tmp_path_factory.mktemp(key)
            prepared.files.write(folder)
            doc = next(d for d in prepared.notebooks if d.path == ANALYSIS_NOTEBOOK)
            rendered, result = prerender_notebook(
                doc,
                folder,
                warm,
                cell_timeout=60,
                versions=provenance(),
            )
            assert result.errors == 0 and not result.stopped
            code_doc = next(d for d in prepared.notebooks if d.path == "code.ipynb")
            datasets = [
                {"name": p.name, "label": p.source, "rows": p.rows, "columns": len(p.columns)}
                for p in prepared.profiles
            ]
            docs[key] = (prepared.title, datasets, rendered, code_doc)
    return docs


def test_a_real_prerendered_analysis_renders_its_charts_and_tables(prerendered):
    title, datasets, analysis, code = prerendered["sales"]
    html = render_report(title, datasets, analysis, code, live=[("Explorer", "explorer.ipynb")])
    audit = assert_inert(html)
    images = audit.tags("img")
    assert len(images) >= 3
    stored = [
        o.data["image/png"]
        for c in analysis.notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert [a["src"] for a, _w in images] == [f"data:image/png;base64,{s}" for s in stored]
    assert {a["alt"] for a, _w in images} >= {"Chart 1: Missing data", "Chart 2: Distributions"}
    assert len(audit.tags("th")) > 20 and "Outputs below were computed" in html
    assert NOT_RUN_MESSAGE in html
    # lean: besides the charts, the page is text (tables, code, CSS)
    image_bytes = sum(len(a["src"]) for a, _w in images)
    assert len(html.encode()) - image_bytes < 64 * 1024


def test_a_real_prerendered_analysis_of_hostile_names_stays_inert(prerendered):
    title, datasets, analysis, code = prerendered["hostile"]
    html = render_report(title, datasets, analysis, code)
    assert_inert(html)
    assert "window.__pwned" in html  # shown, as text
    assert render_report(title, datasets, analysis, code) == html


def test_the_key_findings_links_reach_their_sections_on_the_page():
    from minato_lite.notebooks.builders import heading_anchor
    from minato_lite.runtime.minato.insights import findings_markdown

    heading = "Correlations (sales & returns)"
    found = [
        {"kind": "high_correlation", "text": "a and b move together", "section": "correlations"},
        {"kind": "skewed", "text": "c is skewed", "section": "nowhere"},
    ]
    listed = findings_markdown(found, {"correlations": heading_anchor(heading)})
    analysis = notebook(
        v4.new_markdown_cell("# sales\n\n## Key findings\n\n" + listed),
        v4.new_markdown_cell(f"## {heading}"),
        v4.new_markdown_cell("[elsewhere](#not-a-heading)"),
    )
    html = page(analysis=Doc("analysis.ipynb", analysis), code=None)
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    section = re.search(r'<h\d id="([^"]+)"[^>]*>Correlations \(sales &amp; returns\)</h', html)
    assert section is not None, html
    links = re.findall(r'href="#([^"]*)"', html)
    assert section.group(1) in links  # the finding's link, retargeted to the heading's id
    assert "not-a-heading" in links  # a link to no heading is left as written
    assert [link for link in links if link not in ids] == ["not-a-heading"]
