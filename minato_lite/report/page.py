"""The report page: head, inline CSS, landmarks, and the order of its sections.

The page is the site's `index.html`, read without running anything: CSS
inline, images inline, no fonts or files fetched, and the only links of ours
relative ones into the live notebooks (`live_url`) and JupyterLab. Its
scripts are the empty `jupyter-config-data` block that JupyterLite's config
loader reads from the root `index.html` (a JSON data block, never executed)
and the caller's deferred `scripts` and `modules` (the site's warm-up and live
cells), relative URLs only, which the page never needs: with JavaScript off it
reads the same. Order: title, then the user's code and its outputs (or a plain
statement that it was not run at build time, with a link to run it live), so
the first screen answers; then the contents, the datasets, and the analysis
notebook cell by cell.

Headings form one outline: the title is the only `h1`, each section an `h2`,
notebook headings from `h3` down (`sanitize.outline_headings`). Everything
from a notebook arrives here already cleaned or escaped; everything from the
caller (title, dataset names, labels, paths) is escaped here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from nbformat import NotebookNode

from ..markup import html_text
from .notebook import INTRO, TEMPLATE_ONLY, render_notebook
from .output_html import Charts
from .sanitize import Heading

LAB = "lab/index.html"
#: the element JupyterLite's config loader requires in the root index.html, byte for byte
CONFIG_SCRIPT = (
    '<script id="jupyter-config-data" type="application/json" '
    'data-jupyter-lite-root=".">{}</script>'
)
NOT_RUN_MESSAGE = (
    "This code was not run when the site was built, so there are no outputs to show here."
)
ANALYSIS_PENDING_MESSAGE = (
    "This analysis is being computed now; its charts and tables replace this note when it is "
    "done (reload in a few seconds). If this note stays, the analysis was not completed."
)
ANALYSIS_NOT_RUN_MESSAGE = (
    "This analysis was not run when the site was built, so it has no charts or tables here."
)
#: the live links' names: distinct from the contents' section links, whose names they would
#: otherwise repeat with another destination (a screen reader lists links by name)
LIVE_ANALYSIS = "the analysis notebook"
LIVE_CODE = "your code's notebook"
LIVE_LAB = "JupyterLab, with every file of this site"
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
_LANG = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")


class NotebookFileLike(Protocol):
    """A notebook and its path in the site's contents (`notebooks.NotebookFile` is one)."""

    @property
    def path(self) -> str: ...

    @property
    def notebook(self) -> NotebookNode: ...


@dataclass(frozen=True)
class DatasetRow:
    """One line of the dataset summary, checked: name, where it came from, its size."""

    name: str
    label: str
    rows: int
    columns: int

    @classmethod
    def from_mapping(cls, item: Mapping[str, Any]) -> DatasetRow:
        try:
            name, label, rows, columns = (item[k] for k in ("name", "label", "rows", "columns"))
        except KeyError as exc:
            raise ValueError(f"a dataset summary needs name, label, rows, columns: {exc}") from exc
        for value in (rows, columns):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"rows and columns are counts, got {value!r}")
        return cls(str(name), str(label), rows, columns)


def _relative(url: str, what: str) -> str:
    if _SCHEME.match(url) or url.startswith(("/", "\\")) or not url:
        raise ValueError(f"{what} must be a relative URL, got {url!r}")
    return url


def live_url(path: str, lab: str = LAB) -> str:
    """The live notebook in JupyterLab: `lab/index.html?path=<path, URL-encoded>` (not escaped).

    `lab` must be relative (no scheme, no leading slash): a site is served
    under any prefix, and the report links nowhere else.
    """
    return f"{_relative(lab, 'the JupyterLab page')}?path={quote(path, safe='/')}"


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html_text(text)}</a>'


def was_run(nb: NotebookNode) -> bool:
    """Whether a notebook was run at build time: marked pre-rendered, or holding outputs.

    A build marks what it pre-rendered (`metadata.minato.prerendered`); the user's
    code run in the sandbox may still print nothing, so the mark comes first.
    """
    minato = nb.get("metadata", {}).get("minato", {})
    if isinstance(minato, Mapping) and "prerendered" in minato:
        return True
    return any(
        cell.get("outputs") or cell.get("execution_count")
        for cell in nb.get("cells", [])
        if cell.get("cell_type") == "code"
    )


def _first_error(nb: NotebookNode) -> str | None:
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                return str(output.get("ename", "an error"))
    return None


def _code_status(nb: NotebookNode, href: str, path: str) -> str:
    link = _link(href, f"open {path} in JupyterLab")
    if not was_run(nb):
        return (
            f'<p class="status not-run"><strong>{html_text(NOT_RUN_MESSAGE)}</strong> '
            f"To run it, {link}: it runs live in your browser's Python sandbox.</p>"
        )
    prerendered = nb.get("metadata", {}).get("minato", {}).get("prerendered", {})
    where = (
        " in a WebAssembly sandbox (Pyodide), never in the server's Python"
        if isinstance(prerendered, Mapping) and "sandbox" in prerendered
        else ""
    )
    error = _first_error(nb)
    stopped = (
        f" It raised {html_text(error)}; the error is shown where it happened." if error else ""
    )
    return (
        f'<p class="status ran">This code ran when the site was built{where}; '
        f"its outputs are below.{stopped} To run it again or change it, {link}.</p>"
    )


def _datasets(rows: Sequence[DatasetRow]) -> str:
    body = "".join(
        f'<tr><th scope="row"><code>{html_text(r.name)}</code></th><td>{html_text(r.label)}</td>'
        f'<td class="num">{r.rows:,}</td><td class="num">{r.columns:,}</td></tr>'
        for r in rows
    )
    return (
        '<div class="table-scroll"><table class="datasets"><caption>Datasets loaded in this '
        'site</caption><thead><tr><th scope="col">Dataset</th><th scope="col">From</th>'
        '<th scope="col" class="num">Rows</th><th scope="col" class="num">Columns</th></tr>'
        f"</thead><tbody>{body}</tbody></table></div>"
    )


def _nav(
    sections: Sequence[tuple[str, str, list[Heading]]], live: Sequence[tuple[str, str]], lab: str
) -> str:
    items = []
    for ident, name, headings in sections:
        sub = "".join(
            f'<li><a href="#{h.id}">{html_text(h.text)}</a></li>'
            for h in headings
            if h.level == 3 and h.text
        )
        items.append(
            f'<li><a href="#{ident}">{html_text(name)}</a>'
            + (f"<ul>{sub}</ul>" if sub else "")
            + "</li>"
        )
    links = " · ".join(_link(href, label) for label, href in live)
    everything = _link(lab, LIVE_LAB)
    return (
        f'<nav aria-label="Contents"><ul class="toc">{"".join(items)}</ul>'
        + (
            '<p class="live">Run it live in your browser, with the data already loaded: '
            f"{links}; or open {everything}.</p>"
            if links
            else f'<p class="live">Run it live in your browser: open {everything}.</p>'
        )
        + "</nav>"
    )


def _section(ident: str, name: str, body: str) -> str:
    return (
        f'<section id="{ident}" aria-labelledby="{ident}-title">'
        f'<h2 id="{ident}-title">{html_text(name)}</h2>{body}</section>'
    )


def _analysis_intro(link: str, *, ran: bool, pending: bool) -> str:
    """What the analysis section says first: computed at build, still being drawn, or not run."""
    if ran:
        return (
            '<p class="live-note">The charts and tables below were computed when this site '
            f"was built. Code is folded under each step; to run or change it, {link}.</p>"
        )
    if pending:
        return (
            f'<p class="status pending" role="status"><strong>'
            f"{html_text(ANALYSIS_PENDING_MESSAGE)}</strong> Meanwhile, {link}: it runs "
            "live in your browser.</p>"
        )
    return (
        f'<p class="status not-run"><strong>{html_text(ANALYSIS_NOT_RUN_MESSAGE)}'
        f"</strong> To see them, {link}: it runs live in your browser.</p>"
    )


def render_report(
    title: str,
    datasets: Sequence[Mapping[str, Any]],
    analysis: NotebookFileLike | None = None,
    code: NotebookFileLike | None = None,
    *,
    live: Sequence[tuple[str, str]] = (),
    lab: str = LAB,
    lang: str = "en",
    scripts: Sequence[str] = (),
    modules: Sequence[str] = (),
    analysis_pending: bool = False,
    policy: str | None = None,
) -> str:
    """The report as one HTML page (see the package docstring for what each argument is)."""
    if not _LANG.match(lang):
        raise ValueError(f"not a language tag: {lang!r}")
    _relative(lab, "the JupyterLab page")
    deferred = "".join(
        f'<script src="{html.escape(_relative(src, "a script"))}" defer></script>\n'
        for src in scripts
    ) + "".join(
        f'<script type="module" src="{html.escape(_relative(src, "a module"))}"></script>\n'
        for src in modules
    )
    title = " ".join(str(title).split()) or "Report"
    rows = [DatasetRow.from_mapping(d) for d in datasets]
    charts = Charts()
    sections: list[tuple[str, str, list[Heading]]] = []
    bodies: list[str] = []
    live_links: list[tuple[str, str]] = []

    answer = ""  # the user's code and its outputs: the first thing on the page
    if code is not None:
        href = live_url(code.path, lab)
        rendered = render_notebook(
            code.notebook.cells,
            charts=charts,
            id_prefix="code",
            live_href=href,
            show_code=True,
            skip_tags=frozenset({TEMPLATE_ONLY, INTRO}),
        )
        status = _code_status(code.notebook, href, code.path)
        sections.append(("code", "Your code", rendered.headings))
        answer = _section("code", "Your code", status + rendered.html)
        live_links.append((LIVE_CODE, href))
    if rows:
        sections.append(("data", "Data", []))
        bodies.append(_section("data", "Data", _datasets(rows)))
    if analysis is not None:
        href = live_url(analysis.path, lab)
        ran = was_run(analysis.notebook)
        rendered = render_notebook(
            analysis.notebook.cells,
            charts=charts,
            id_prefix="analysis",
            live_href=href,
            show_code=not ran,  # without outputs, the code is all there is to read
        )
        link = _link(href, f"open {analysis.path} in JupyterLab")
        intro = _analysis_intro(link, ran=ran, pending=analysis_pending)
        sections.append(("analysis", "Analysis", rendered.headings))
        bodies.append(_section("analysis", "Analysis", intro + rendered.html))
        live_links.insert(0, (LIVE_ANALYSIS, href))
    live_links += [(label, live_url(path, lab)) for label, path in live]

    safe_title = html_text(title)
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        + (
            f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">\n'
            if policy
            else ""
        )
        + '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{safe_title}</title>\n{CONFIG_SCRIPT}\n{deferred}<style>{CSS}</style>\n"
        "</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to the report</a>\n'
        f'<header><h1>{safe_title}</h1><p class="lede">A report of this site\'s notebooks, '
        "with the outputs they had when the site was built; Python also runs live in your "
        "browser.</p></header>\n"
        f'<main id="main">\n{answer}\n{_nav(sections, live_links, lab)}\n'
        + "\n".join(bodies)
        + "\n</main>\n"
        "<footer><p>Made with minato-lite: a static report of notebooks run at build time. "
        "Outputs shown here are inert; the live notebooks recompute them.</p></footer>\n"
        "</body>\n</html>\n"
    )


#: the 16 terminal colours, darkened where needed to read on white (classes from `ansi`)
ANSI_COLOURS = (
    "#3e424d #c4281c #2f7d32 #9a6700 #1f5fbf #8e3fa8 #0f7c8c #6e7781 "
    "#606877 #d03b33 #2e8540 #8a6d00 #2563eb #a04bc0 #137f8c #7a828c"
)
CSS = (
    ":root{color-scheme:light;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;"
    "--accent:#0b5cad;--bad:#b42318}"
    "*{box-sizing:border-box}"
    "html{-webkit-text-size-adjust:100%}"
    "body{margin:0 auto;max-width:62rem;padding:0 1.25rem 3rem;color:var(--ink);background:#fff;"
    "font:16px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "a{color:var(--accent)}"
    ".skip{position:absolute;left:-10000px}.skip:focus{left:1rem;top:1rem;background:#fff;"
    "padding:.25rem .5rem}"
    "header{padding:1.5rem 0 .5rem;border-bottom:1px solid var(--line)}"
    "h1{font-size:2rem;line-height:1.2;margin:0 0 .5rem;overflow-wrap:anywhere}"
    "h2{font-size:1.5rem;margin:2.5rem 0 1rem;padding-bottom:.25rem;"
    "border-bottom:1px solid var(--line)}"
    "h3{font-size:1.25rem;margin:2rem 0 .75rem}h4,h5,h6{font-size:1.05rem;margin:1.5rem 0 .5rem}"
    "h2,h3,h4,h5,h6{overflow-wrap:anywhere}"
    ".lede,.live,.live-note,footer{color:var(--muted)}"
    "nav{margin:1rem 0;font-size:.95rem}nav ul{margin:.25rem 0;padding-left:1.25rem}"
    "nav .toc>li{margin:.15rem 0}nav ul ul{display:flex;flex-wrap:wrap;gap:.1rem 1rem;"
    "padding-left:0;list-style:none}"
    ".status{padding:.75rem 1rem;border-left:4px solid var(--accent);background:var(--soft)}"
    ".status.not-run{border-color:var(--bad)}"
    ".cell{margin:.75rem 0}"
    "pre{margin:.5rem 0;padding:.6rem .75rem;overflow-x:auto;background:var(--soft);"
    "border-radius:4px;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
    "code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}"
    "pre code{font-size:inherit}"
    "details.source summary{cursor:pointer;color:var(--muted);font-size:.9rem}"
    ".stream.stderr{background:#fff4f2}"
    ".output-error{border-left:4px solid var(--bad);padding-left:.75rem}"
    ".output-error p{margin:.25rem 0;color:var(--bad)}"
    ".note{color:var(--muted);font-style:italic}"
    ".output-image img,.cell img{max-width:100%;height:auto}"
    ".table-scroll{overflow-x:auto;margin:.5rem 0;max-width:100%}"
    "table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}"
    "th,td{padding:.3rem .6rem;border-bottom:1px solid var(--line);vertical-align:top;"
    "text-align:left}"
    "thead th{border-bottom:2px solid var(--line)}"
    "caption{text-align:left;color:var(--muted);padding:.25rem 0}"
    ".output-html th,.output-html td,.num{text-align:right}"
    ".output-html th,.output-html td{white-space:nowrap}"
    ".output-html tbody th,.datasets th{text-align:left}"
    "blockquote{margin:.75rem 0;padding:.25rem 1rem;border-left:4px solid var(--line);"
    "color:var(--muted)}"
    "footer{margin-top:3rem;padding-top:1rem;border-top:1px solid var(--line);font-size:.9rem}"
    ".ansi-b{font-weight:700}.ansi-i{font-style:italic}.ansi-u{text-decoration:underline}"
    # the live cells (minato-live.js adds these elements; without script none exist)
    ".live-bar{position:sticky;top:0;z-index:2;display:flex;gap:1rem;align-items:center;"
    "margin:.5rem 0;padding:.35rem .75rem;background:#fff;border:1px solid var(--line);"
    "border-radius:4px;font-size:.9rem}"
    ".live-status{margin:0;color:var(--muted);flex:1}"
    ".live-status[data-state=running],.live-status[data-state=starting]{color:var(--accent)}"
    ".live-status[data-state=stopped]{color:var(--bad)}"
    ".live-editor{margin:.5rem 0;border:1px solid var(--line);border-radius:4px;"
    "background:var(--soft);font-size:13px}"
    ".live-toolbar{display:flex;gap:.5rem;margin:.25rem 0 .5rem}"
    ".live-run,.live-stop{font:inherit;font-size:.85rem;padding:.2rem .7rem;cursor:pointer;"
    "border:1px solid var(--accent);border-radius:4px;background:#fff;color:var(--accent)}"
    ".live-run:focus-visible,.live-stop:focus-visible{outline:2px solid var(--accent);"
    "outline-offset:2px}"
    ".live-waiting .outputs{opacity:.5}"
    + "".join(
        f".ansi-fg{i}{{color:{c}}}.ansi-bg{i}{{background:{c}}}"
        for i, c in enumerate(ANSI_COLOURS.split())
    )
    + "@media (max-width:40rem){body{padding:0 .75rem 2rem;font-size:15px}"
    "h1{font-size:1.6rem}h2{font-size:1.3rem}pre{font-size:12px}}"
    "@media print{body{max-width:none;padding:0;font-size:11pt}nav,.skip,.live,.live-note,"
    "details.source,.live-bar,.live-toolbar{display:none}a{color:inherit;text-decoration:none}"
    ".table-scroll{overflow:visible}pre{white-space:pre-wrap;overflow:visible}"
    ".cell,.output-image,tr,h2,h3,h4{break-inside:avoid}h2,h3,h4{break-after:avoid}}"
)
