"""The static report: pre-rendered notebooks in, one self-contained HTML page out.

This subpackage owns the site's report page (phase 1 of issue 17): how a
notebook's cells and outputs become HTML, the one sanitizer every piece of
untrusted HTML passes through, and the page around them. It is pure: no
files, no network, no clock; the same arguments give the same bytes.

It may import only the standard library, nbformat, nh3 (`sanitize.py`, the
only place untrusted HTML is cleaned), mistune (`markdown.py`) and, from
this package, `minato_lite.errors` and `minato_lite.markup`. It never runs a
notebook: it shows the outputs a build stored.

Modules, one job each:

* `sanitize` - the nh3 policy; image `data:` URIs; the tag rewrites that
  are safe only on cleaned HTML (table scroll boxes, `th` scopes, headings);
* `markdown` - Markdown (cells and outputs) to cleaned HTML, with mistune;
* `ansi` - terminal text (streams, tracebacks) to escaped HTML;
* `output_html` - one output to HTML by MIME priority; chart numbering;
* `notebook` - one notebook's cells, in order, to its section's HTML;
* `page` - the page: head, inline CSS, landmarks, section order.

Public API:

`render_report(title, datasets, analysis=None, code=None, *, live=(), lab="lab/index.html",
lang="en", scripts=(), analysis_pending=False) -> str`

* `title`: the report's title (plain text, escaped here);
* `datasets`: one mapping per dataset with `name`, `label` (where it came
  from), `rows` and `columns` (counts);
* `analysis`, `code`: the analysis notebook and the user's `code.ipynb`, each
  an object with `.path` (its path in the site's contents, which the live
  links open) and `.notebook` (an nbformat `NotebookNode`), such as
  `minato_lite.notebooks.NotebookFile`; either may be None. The code comes
  first: when it was run at build time (`was_run`), with its outputs;
  otherwise the page says so and links to run it live. An analysis that was
  not pre-rendered is said to be so too, with its code shown open, or, with
  `analysis_pending`, said to be on its way (a site published before its
  analysis is drawn);
* `live`: more notebooks to link live, as `(label, path)`, e.g.
  `[("Explorer", "explorer.ipynb")]`;
* `lab`: the JupyterLab page, relative to the report (also linked on its own,
  for every file of the site);
* `lang`: the page's language tag;
* `scripts`: relative URLs of scripts the page loads deferred (the site's
  warm-up); the page must read the same without them.

It raises `ValueError` for a dataset mapping without those keys or counts, a
`lab` or a script that is not relative, or a `lang` that is not a language tag.

The live links are named `LIVE_ANALYSIS`, `LIVE_CODE` and `LIVE_LAB`, never
like the contents' section links. `live_url(path, lab="lab/index.html") -> str`
is the live link of a notebook,
and `clean_html`, `render_markdown` and `render_output` are the pieces, for
reuse and tests.
"""

from __future__ import annotations

from .markdown import render_markdown
from .output_html import Charts, render_output, render_outputs
from .page import (
    ANALYSIS_NOT_RUN_MESSAGE,
    ANALYSIS_PENDING_MESSAGE,
    CONFIG_SCRIPT,
    LIVE_ANALYSIS,
    LIVE_CODE,
    LIVE_LAB,
    NOT_RUN_MESSAGE,
    live_url,
    render_report,
    was_run,
)
from .sanitize import clean_html

__all__ = [
    "ANALYSIS_NOT_RUN_MESSAGE",
    "ANALYSIS_PENDING_MESSAGE",
    "CONFIG_SCRIPT",
    "LIVE_ANALYSIS",
    "LIVE_CODE",
    "LIVE_LAB",
    "NOT_RUN_MESSAGE",
    "Charts",
    "clean_html",
    "live_url",
    "render_markdown",
    "render_output",
    "render_outputs",
    "render_report",
    "was_run",
]
