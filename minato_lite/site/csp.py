"""The Content-Security-Policy every page and worker of a site is sent: nothing leaves the site.

Live code runs in the report's page and its worker, in JupyterLab's page and in the
kernel's worker. Whatever it is (an LLM's, a visitor's), it may reach only the
site's own origin, the deployment's shared-assets origin and the origin its
Pyodide comes from (a CDN), plus the origins the builder allowed on purpose
(`--allow-connect`). What the policy closes, by directive:

* `connect-src`: `fetch` (also `no-cors`, also Pyodide's `pyfetch`), XHR,
  WebSocket, EventSource, `sendBeacon`;
* `img-src`, `media-src`, `font-src`, `style-src`: a request hidden in an image,
  a sound, a font or a stylesheet;
* `form-action`: a form submitted elsewhere; `frame-src`, `child-src`: a frame;
* `script-src`, `worker-src`: code from elsewhere; `object-src 'none'`,
  `base-uri 'self'`; `frame-ancestors 'self'`: no other page frames the site.

`'wasm-unsafe-eval'` lets Pyodide compile WebAssembly; JupyterLab needs
`'unsafe-eval'` (its settings validation compiles JSON schemas into functions) and
inline styles. A policy cannot stop a top-level navigation (`location = url`,
`window.open`): no directive governs it, so live code can still leave the page
for another site carrying data in the URL; that, and what a plain static host
without headers allows, is in `docs/security.md`.

A dedicated worker takes its policy from its own response, not from the page:
the policy therefore travels as a header (`minato-lite serve`, the API, the
documented proxy for a bucket), on every response. The report and the lab pages
also carry it in a `<meta>` tag, so a page opened from a host that sends no
headers is still held, though its workers are not.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from ..errors import UserError


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"{url!r} is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(
    *, assets: str | None = None, pyodide: str | None = None, connect: Sequence[str] = (),
    scripts: Sequence[str] = (), frame_ancestors: bool = True,
) -> str:  # fmt: skip
    """The policy for a site whose shared files and Pyodide come from those URLs (None: its
    own origin), that may also connect to the `connect` origins; `scripts` are the inline
    scripts its pages carry (JupyterLite's lab page has one), allowed by their hashes."""
    others = _unique(origin_of(u) for u in (assets, pyodide) if u and "://" in u)
    extra = " ".join(others)
    reach = " ".join(_unique([*others, *(origin_of(u) for u in connect)]))
    hashes = " ".join(script_hash(s) for s in _unique(scripts))
    directives = {
        "default-src": "'none'",
        "script-src": f"'self' {extra} {hashes} 'wasm-unsafe-eval' 'unsafe-eval'",
        # a module worker's imports are checked against worker-src in Chromium, not script-src
        "worker-src": f"'self' {extra} blob:",
        "connect-src": f"'self' {reach}",
        "style-src": f"'self' {extra} 'unsafe-inline'",
        "img-src": f"'self' {extra} data: blob:",
        "font-src": f"'self' {extra} data:",
        "media-src": "'self' data: blob:",
        "manifest-src": f"'self' {extra}",
        "frame-src": "'self' blob:",
        "child-src": "'self' blob:",
        "form-action": "'self'",
        "base-uri": "'self'",
        "object-src": "'none'",
    }
    if frame_ancestors:  # ignored (and warned about) in a <meta> policy
        directives["frame-ancestors"] = "'self'"
    return "; ".join(f"{name} {' '.join(value.split())}" for name, value in directives.items())


#: an executed inline <script> (no src, no non-JavaScript type): JupyterLite's loader
_INLINE = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
_SRC_OR_DATA = re.compile(r"\bsrc\s*=|\btype\s*=\s*[\"']?application/(?:json|ld\+json)", re.I)


def inline_scripts(page: str) -> list[str]:
    """The inline scripts a page runs (JSON data blocks are not run, so need no hash)."""
    return [m.group("body") for m in _INLINE.finditer(page)
            if not _SRC_OR_DATA.search(m.group("attrs"))]  # fmt: skip


def script_hash(body: str) -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


#: the app's pages a site serves, which get the policy as a <meta> tag too
APP_PAGES = (
    "lab/index.html",
    "lab/tree/index.html",
    "lab/workspaces/index.html",
    "doc/tree/index.html",
    "doc/workspaces/index.html",
)


def meta_tag(policy: str) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">'


def with_policy(page: str, policy: str) -> str:
    """`page` with the policy as the first element of its head (a <meta> policy applies
    only to what comes after it)."""
    if "Content-Security-Policy" in page:
        return page
    head = page.find("<head>")
    if head < 0:
        raise ValueError("a page without <head>")
    return page[: head + 6] + "\n    " + meta_tag(policy) + page[head + 6 :]


def externalize_scripts(page: str) -> tuple[str, dict[str, str]]:
    """`page` with each inline script it runs moved to a file beside it; the files.

    A policy without `'unsafe-inline'` would need each inline script's hash, and the
    hash changes with the page (a deployment rewrites the lab page's loader); moved
    to files, the scripts are allowed by `'self'`, and one policy fits every site, as a
    proxy in front of a bucket can send it. A classic script's relative imports resolve
    against its own URL: beside the page, they reach what they reached before.
    """
    files: dict[str, str] = {}

    def move(match: re.Match[str]) -> str:
        if _SRC_OR_DATA.search(match.group("attrs")) or not match.group("body").strip():
            return match.group(0)
        body = match.group("body")
        name = f"minato-inline-{hashlib.sha256(body.encode()).hexdigest()[:12]}.js"
        files[name] = body
        return f'<script{match.group("attrs")} src="./{name}"></script>'

    return _INLINE.sub(move, page), files
