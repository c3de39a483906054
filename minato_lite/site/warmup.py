"""What JupyterLab loads first, read from the built app once, for the report's warm-up.

The report (`index.html`) is read without any script, but once it has
painted, `web/warmup.js` fetches at low priority what opening a live
notebook will need, so the click into JupyterLab finds it in the browser's
HTTP cache. The Pyodide half of that list is per site: the script reads
the entry module and start packages from the site's own `jupyter-lite.json`
and lockfile, and the runtime files beside the entry module (their names
change between Pyodide releases) from the site's `minato-warmup.json`,
which `site_warmup` writes from the distribution. The app half is the
same for every site that links this app, and finding it takes parsing the
app's bundles, which a page script should not do on every visit: it is
derived here, when the base app is built, and written beside the app as
`minato-warmup.json` (relative URLs, in the order the lab requests them):

* the lab page's own scripts, its preloaded bundle and the `import()` of its
  config loader, exactly as `lab/index.html` spells them (query strings
  included: the HTTP cache is keyed by the whole URL);
* the chunks the lab bundle itself names (`__webpack_require__.e(N)`: its
  entry and the factories of its shared packages), through the bundle's own
  chunk-file function. Measured on jupyterlite-core 0.8.6: 92 chunks, 6.8 MB,
  holding 61 of the 80 chunks a notebook open loads (5.5 of 6.5 MB); the
  rest are loaded by other chunks' code, whose closure is the whole app
  (274 chunks, 13.7 MB), so it is not followed;
* each federated extension's `remoteEntry`, every chunk its chunk-file
  function names (with the query string that function adds) and the scripts
  those files name as string literals, such as the kernel's worker
  (0.9 MB in all).

Nothing is listed that the app does not name, and nothing that is not a
file of the app. If the bundle cannot be read (a new bundler's format), the
list keeps the page's own files and `problems` says what was skipped, so the
site still builds and `tests/test_site_report.py` fails on the real app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from posixpath import normpath
from urllib.parse import urljoin, urlsplit

WARMUP_FILE = "minato-warmup.json"
WARMUP_FORMAT = 1
LAB_PAGE = "lab/index.html"

_CHUNK_LOAD = re.compile(r"(?<![\w$])[A-Za-z_$][\w$]*\.e\((\d+)\)")
_CHUNK_FUNCTION = re.compile(r"(?<![\w$])[A-Za-z_$][\w$]*\.u=([A-Za-z_$][\w$]*)=>")
_SCRIPT_NAME = re.compile(r"""["']([\w.-]+\.js)["']""")
_IMPORT = re.compile(r"""\bimport\(\s*(['"])([^'"]+)\1\s*\)""")


class _LabPage(HTMLParser):
    """The script sources, preload links and inline module imports of the lab page, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            if found.get("src"):
                self.urls.append(str(found["src"]))
            else:
                self._inline = found.get("type") in (None, "", "module", "text/javascript")
        elif tag == "link" and found.get("href"):
            rel = (found.get("rel") or "").lower().split()
            if {"preload", "modulepreload"} & set(rel) and found.get("as") in ("script", None):
                self.urls.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline = False

    def handle_data(self, data: str) -> None:
        if self._inline:
            self.urls.extend(match.group(2) for match in _IMPORT.finditer(data))


class ChunkFunctionError(ValueError):
    """The bundler's chunk-file function is not in a shape this module can evaluate."""


#: one part of a chunk-file function: chunk id -> its text, or None where a table has no entry
Part = Callable[[str], "str | None"]
_TOKEN = re.compile(
    r'\s*(?:("(?:[^"\\]|\\.)*")|(===|[-+(){}\[\]:?,;])|(\d+(?:e\d+)?)|([A-Za-z_$][\w$]*))'
)


def _constant(text: str) -> Part:
    return lambda _chunk: text


def _lookup(table: dict[str, str]) -> Part:
    return table.get


def _choice(number: str, then: Part, other: Part) -> Part:
    return lambda chunk: then(chunk) if chunk == number else other(chunk)


def _joined(parts: list[Part]) -> Part:
    def join(chunk: str) -> str | None:
        texts = [part(chunk) for part in parts]
        return None if None in texts else "".join(t for t in texts if t is not None)

    return join


@dataclass
class _Parser:
    """A tiny evaluator for a bundler's chunk-file function (`X.u = e => ...`).

    The shapes seen in rspack and webpack output, and nothing more:
    `""+e+"."+{1:"ab"}[e]+".js"`, `(5531===e?"jlab_core":e)`, `({...})[e]`,
    `".js?v="+{...}[e]`; anything else raises `ChunkFunctionError`.
    """

    tokens: list[str]
    param: str
    pos: int = 0
    ids: set[str] = field(default_factory=set)

    def peek(self, ahead: int = 0) -> str | None:
        at = self.pos + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ChunkFunctionError(f"expected {expected or 'a token'}, found {token!r}")
        self.pos += 1
        return token

    def expression(self) -> Part:
        parts = [self.primary()]
        while self.peek() == "+":
            self.take("+")
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else _joined(parts)

    def primary(self) -> Part:
        token = self.peek()
        if token is None:
            raise ChunkFunctionError("the function ends early")
        if token.startswith('"'):
            return _constant(json.loads(self.take()))
        if token == self.param:
            self.take()
            return lambda chunk: chunk
        if token == "{":
            return self.indexed(self.mapping())
        self.take("(")
        if self.peek() == "{":
            table = self.mapping()
            self.take(")")
            return self.indexed(table)
        if (self.peek() or "").isdigit() and self.peek(1) == "===":
            number = self.take()
            self.take("===")
            self.take(self.param)
            self.take("?")
            then = self.primary()
            self.take(":")
            other = self.primary()
            self.take(")")
            return _choice(number, then, other)
        inner = self.expression()
        self.take(")")
        return inner

    def mapping(self) -> dict[str, str]:
        self.take("{")
        table: dict[str, str] = {}
        while self.peek() != "}":
            key = self.take()
            if key.startswith('"'):
                key = json.loads(key)
            elif key[0].isdigit():  # minifiers write 1000 as 1e3
                key = str(int(float(key)))
            self.take(":")
            value = self.take()
            if not value.startswith('"'):
                raise ChunkFunctionError(f"a chunk table maps to {value!r}, not a string")
            table[key] = json.loads(value)
            if self.peek() == ",":
                self.take(",")
        self.take("}")
        self.ids.update(table)
        return table

    def indexed(self, table: dict[str, str]) -> Part:
        self.take("[")
        self.take(self.param)
        self.take("]")
        return _lookup(table)


@dataclass(frozen=True)
class ChunkFiles:
    """A bundle's chunk-file function: chunk id -> file name (with any query), and its ids."""

    name_of: Part
    ids: frozenset[str]

    def __call__(self, chunk: str) -> str | None:
        return self.name_of(chunk)


def _function_tokens(source: str, start: int) -> list[str]:
    """The tokens of an arrow function's body from `start` up to a `,`, `;` or `)` outside it."""
    tokens: list[str] = []
    pos, depth = start, 0
    while pos < len(source):
        found = _TOKEN.match(source, pos)
        if found is None:
            raise ChunkFunctionError(f"cannot read the function at {source[pos : pos + 20]!r}")
        token = next(group for group in found.groups() if group is not None)
        if depth == 0 and token in (",", ";"):
            break
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}"):
            depth -= 1
            if depth < 0:
                break
        tokens.append(token)
        pos = found.end()
    return tokens


def chunk_files(source: str) -> ChunkFiles:
    """The chunk-file function a bundle defines, evaluable here; raises ChunkFunctionError."""
    match = _CHUNK_FUNCTION.search(source)
    if match is None:
        raise ChunkFunctionError("no chunk-file function (X.u=e=>...) in the bundle")
    tokens = _function_tokens(source, match.end())
    parser = _Parser(tokens, match.group(1))
    function = parser.expression()
    if parser.pos != len(tokens):
        raise ChunkFunctionError(f"unread tokens after the function: {tokens[parser.pos :]}")
    return ChunkFiles(function, frozenset(parser.ids))


def _site_path(base: str, url: str) -> str | None:
    """`url`, linked from the page at `base`, relative to the site root; None if off-site."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("/"):
        return None
    joined = urljoin(base, url)
    path, _, query = joined.partition("?")
    path = normpath(path)
    if path.startswith("../") or path == "..":
        return None
    return path + ("?" + query if query else "")


def _exists(app: Path, url: str) -> bool:
    return (app / url.partition("?")[0]).is_file()


@dataclass
class Warmup:
    """The app's warm-up list and what could not be read."""

    bundles: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, url: str | None) -> None:
        if url is not None and url not in self.bundles:
            self.bundles.append(url)

    def to_json(self) -> str:
        return json.dumps({"format": WARMUP_FORMAT, "bundles": self.bundles}, indent=1) + "\n"


def _config(app: Path) -> dict:
    return json.loads((app / "jupyter-lite.json").read_text("utf-8")).get("jupyter-config-data", {})


def _folder(config: dict, key: str, default: str) -> str:
    value = str(config.get(key) or default)
    return normpath(value.removeprefix("./")).strip("/")


def app_bundles(app: Path) -> Warmup:
    """What the lab page of the built app at `app` loads first (see the module docstring)."""
    found = Warmup()
    page = _LabPage()
    page.feed((app / LAB_PAGE).read_text("utf-8"))
    urls = list(page.urls)
    for url in page.urls:  # the page's inline loader, moved to a file beside it: its imports
        path = _site_path(LAB_PAGE, url)
        if path is not None and "/minato-inline-" in path and _exists(app, path):
            urls += [m.group(2) for m in _IMPORT.finditer((app / path).read_text("utf-8"))]
    bundle: str | None = None
    for url in urls:
        path = _site_path(LAB_PAGE, url)
        if path is not None and _exists(app, path):
            found.add(path)
            if bundle is None and path.partition("?")[0].endswith("bundle.js"):
                bundle = path.partition("?")[0]
    config = _config(app)
    static = _folder(config, "fullStaticUrl", "build")
    if bundle is None:
        found.problems.append(f"{LAB_PAGE} preloads no bundle.js")
    else:
        source = (app / bundle).read_text("utf-8")
        try:
            name_of = chunk_files(source)
        except ChunkFunctionError as exc:
            found.problems.append(f"{bundle}: {exc}")
        else:
            for chunk in dict.fromkeys(_CHUNK_LOAD.findall(source)):
                name = name_of(chunk)
                if name is not None and _exists(app, f"{static}/{name}"):
                    found.add(f"{static}/{name}")
    extensions = _folder(config, "fullLabextensionsUrl", "extensions")
    for extension in config.get("federated_extensions", []):
        folder = f"{extensions}/{extension['name']}"
        entry = f"{folder}/{extension['load']}"
        if not _exists(app, entry):
            found.problems.append(f"{entry} is missing")
            continue
        found.add(entry)
        chunk_dir = entry.rpartition("/")[0]
        try:
            name_of = chunk_files((app / entry).read_text("utf-8"))
        except ChunkFunctionError as exc:
            found.problems.append(f"{entry}: {exc}")
            continue
        for chunk in sorted(name_of.ids, key=lambda c: (len(c), c)):
            name = name_of(chunk)
            if name is not None and _exists(app, f"{chunk_dir}/{name}"):
                found.add(f"{chunk_dir}/{name}")
        sources = [(app / url.partition("?")[0]).read_text("utf-8") for url in found.bundles
                   if url.startswith(chunk_dir + "/")]  # fmt: skip
        for source in sources:  # scripts loaded by name, not as chunks: the kernel's worker
            for name in _SCRIPT_NAME.findall(source):
                if _exists(app, f"{chunk_dir}/{name}"):
                    found.add(f"{chunk_dir}/{name}")
    return found


def site_warmup(
    app: Path,
    runtime: Sequence[str],
    bundle_url: Callable[[str], str] | None = None,
    assets: str | None = None,
) -> bytes:
    """A site's `minato-warmup.json`: the app's list, each bundle named by `bundle_url`
    (where this site's lab page loads it from: a deployment's shared app), and
    `runtime`, the files Pyodide's loader fetches beside the site's entry module;
    `assets`, the deployment's shared-assets origin, which the warm-up may fetch from
    besides the site's own (one origin per site)."""
    listed = json.loads((app / WARMUP_FILE).read_text("utf-8"))
    if bundle_url is not None:
        listed["bundles"] = [bundle_url(url) for url in listed.get("bundles", [])]
    listed["runtime"] = list(runtime)
    if assets:
        listed["assets"] = [assets]
    return (json.dumps(listed, indent=1) + "\n").encode("utf-8")


def write_warmup(app: Path) -> Warmup:
    """Write `minato-warmup.json` into the built app; the list and its problems."""
    found = app_bundles(app)
    (app / WARMUP_FILE).write_text(found.to_json(), "utf-8")
    return found
