"""A site's `index.html` is its report, and the warm-up list is read from the app it links.

CPython only: the page a build writes (the site's own notebooks, its datasets,
the live links, one deferred script), the chunk-file functions of the
bundlers' output evaluated without a JavaScript engine, and the warm-up list
of the real cached app (every file exists, the lab's own URLs exactly). The
browser half (the warm-up really fills the cache) is tests/test_browser_report.py.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.build import prepare
from minato_lite.log import quiet
from minato_lite.notebooks.builders import LANGUAGE_INFO
from minato_lite.pyodide.distribution import CDN_URL
from minato_lite.report import ANALYSIS_NOT_RUN_MESSAGE, CONFIG_SCRIPT, NOT_RUN_MESSAGE
from minato_lite.resources import REPO_DIR
from minato_lite.site import warmup
from minato_lite.site.app_cache import REPORT_MODULES, REPORT_SCRIPTS, base_app
from minato_lite.site.landing import report_page
from minato_lite.site.live import LIVE_FILE, LIVE_WORKER
from minato_lite.site.warmup import ChunkFunctionError, app_bundles, chunk_files
from tests.test_report import assert_inert

SALES = REPO_DIR / "examples" / "sales.csv"
SCRIPTS = tuple(REPORT_SCRIPTS)
MODULES = tuple(REPORT_MODULES)


# ---------------------------------------------------------------- the page


def test_the_report_is_made_of_the_sites_own_notebooks_and_datasets():
    prepared = prepare([SALES], code="df.groupby('region').units.sum()", title="Sales <q1>")
    html = report_page(prepared.title, prepared.files)
    audit = assert_inert(html, scripts=SCRIPTS, modules=MODULES)
    assert "<title>Sales &lt;q1&gt;</title>" in html
    rows = [c for c in html.split("<tbody>")[1].split("</tbody>")[0].split("<td") if c]
    assert "sales.csv" in rows[1] and ">12<" in rows[2] and ">7<" in rows[3]
    # prepare() runs nothing: the page says so for both, and shows the code
    assert NOT_RUN_MESSAGE in html and ANALYSIS_NOT_RUN_MESSAGE in html
    assert "df.groupby(&#x27;region&#x27;).units.sum()" in html or (
        "df.groupby('region').units.sum()" in html
    )
    hrefs = [a["href"] for a, _where in audit.tags("a")]
    for path in ("analysis.ipynb", "code.ipynb", "explorer.ipynb"):
        assert f"lab/index.html?path={path}" in hrefs
    assert html.index('id="code"') < html.index('id="analysis"')


def test_a_custom_analysis_reports_only_the_code():
    prepared = prepare([SALES], code="print(len(df))", analysis="custom")
    html = report_page(prepared.title, prepared.files)
    assert_inert(html, scripts=SCRIPTS, modules=MODULES)
    assert 'id="code"' in html and 'id="analysis"' not in html
    assert "path=explorer.ipynb" not in html


def test_a_built_site_opens_on_its_report_with_the_warm_up_beside_it(tmp_path: Path):
    site = build_site([SALES], tmp_path / "site", code="df.head()", prerender=False).out
    html = (site / "index.html").read_text("utf-8")
    assert CONFIG_SCRIPT in html  # the lab's config loader reads it from the root page
    assert_inert(html, scripts=SCRIPTS, modules=MODULES)
    for name in (*REPORT_SCRIPTS, *REPORT_MODULES, warmup.WARMUP_FILE, LIVE_FILE, LIVE_WORKER):
        assert (site / name).is_file(), name
    # the live cells' config names files that exist: the runtime, the runner, the vendored code
    live = json.loads((site / LIVE_FILE).read_text())
    assert "minato/startup.py" in live["files"] and "data/catalog.json" in live["files"]
    assert [f for f in live["files"] if not (site / "files" / f).is_file()] == []
    for url in (live["shell"], *live["vendor"].values()):
        assert (site / url).is_file(), url
    assert live["pyodide"] == {"url": CDN_URL, "packages": ["pandas"]}  # the kernel's own
    listed = json.loads((site / warmup.WARMUP_FILE).read_text())
    assert listed["format"] == warmup.WARMUP_FORMAT and len(listed["bundles"]) > 50
    for name in ("analysis.ipynb", "code.ipynb", "explorer.ipynb"):
        nb = json.loads((site / "files" / name).read_text())
        assert nb["metadata"]["language_info"] == LANGUAGE_INFO, name


# ---------------------------------------------------------------- chunk-file functions


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # rspack, as jupyterlite-core 0.8.6 builds the lab (one named chunk, 1000 as 1e3)
        (
            'x,__webpack_require__.u=e=>""+(5531===e?"jlab_core":e)+"."+({1:"a8f",1e3:"b9"})'
            '[e]+".js",__webpack_require__.g=1',
            {"1": "1.a8f.js", "1000": "1000.b9.js", "5531": None, "7": None},
        ),
        # a labextension's remote entry: the content hash again as a query string
        (
            'I.u=e=>""+e+"."+({7:"2a0c",84:"09c6"})[e]+".js?v="+({7:"2a0c",84:"09c6"})[e],I.g=2',
            {"7": "7.2a0c.js?v=2a0c", "84": "84.09c6.js?v=09c6", "9": None},
        ),
        # webpack 5 without parentheses
        (
            'a.u=e=>e+"."+{568:"1e2f",747:"6766"}[e]+".js?v="+{568:"1e2f",747:"6766"}[e],a.g=3',
            {"568": "568.1e2f.js?v=1e2f", "747": "747.6766.js?v=6766"},
        ),
        # a $-named require and string keys
        ('$.u=t=>t+"."+{"12":"ff"}[t]+".js";', {"12": "12.ff.js"}),
    ],
)
def test_chunk_file_functions_evaluate_as_the_bundler_would(source, expected):
    name_of = chunk_files(source)
    for chunk, name in expected.items():
        assert name_of(chunk) == name, chunk
    assert {c for c, n in expected.items() if n is not None} <= name_of.ids


@pytest.mark.parametrize(
    "source",
    [
        "no function here",
        'a.u=e=>e+"."+f(e)+".js",',  # a call: not a shape we evaluate
        'a.u=e=>e+"."+{1:x}[e]+".js",',  # a table of non-strings
        'a.u=e=>e+"."+{1:"a"}[e]+".js"+',  # ends early
    ],
)
def test_other_shapes_are_refused_not_guessed(source):
    with pytest.raises(ChunkFunctionError):
        chunk_files(source)


# ---------------------------------------------------------------- the warm-up list


def mini_app(root: Path) -> Path:
    """An app as jupyterlite lays one out: lab page, bundle, one federated extension."""
    files = {
        "lab/index.html": (
            '<html><head><script src="../minato-status.js"></script>'
            '<link id="jupyter-lite-main" rel="preload" href="../build/lab/bundle.js?_=abc" '
            'main="index" as="script">'
            '<script src="https://cdn.example/x.js"></script>'
            "<script>(async function () { await import('../config-utils.js?_=abc'); })()</script>"
            "</head></html>"
        ),
        "minato-status.js": "",
        "config-utils.js": "",
        "build/lab/bundle.js": (
            'r.e(2),r.e(1),r.e(9),r.e(1);r.u=e=>""+(3===e?"core":e)+"."+'
            '({1:"aa",2:"bb",3:"cc"})[e]+".js",r.g=0;Promise.all([r.e(3)])'
        ),
        "build/1.aa.js": "",
        "build/2.bb.js": "",
        "build/core.cc.js": "",
        "build/4.dd.js": "",  # in the app, named by no bundle the lab page loads
        "ext/k/static/remoteEntry.f0.js": 'k.u=e=>e+"."+{5:"ee"}[e]+".js?v="+{5:"ee"}[e],k.g=1',
        "ext/k/static/5.ee.js": 'new Worker(new URL(k.p+"worker.99.js"));"missing.js"',
        "ext/k/static/worker.99.js": "",
        "ext/k/static/style.js": "",
        "jupyter-lite.json": json.dumps(
            {
                "jupyter-config-data": {
                    "fullStaticUrl": "./build",
                    "fullLabextensionsUrl": "./ext",
                    "federated_extensions": [{"name": "k", "load": "static/remoteEntry.f0.js"}],
                }
            }
        ),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_warm_up_lists_what_the_lab_page_and_its_bundles_name_in_order(tmp_path: Path):
    found = app_bundles(mini_app(tmp_path))
    assert found.problems == []
    assert found.bundles == [
        "minato-status.js",
        "build/lab/bundle.js?_=abc",  # the URL as the page spells it: the cache keys on it
        "config-utils.js?_=abc",
        "build/2.bb.js",  # in the order the bundle names them, each once
        "build/1.aa.js",
        "build/core.cc.js",
        "ext/k/static/remoteEntry.f0.js",
        "ext/k/static/5.ee.js?v=ee",
        "ext/k/static/worker.99.js",
    ]


def test_a_bundle_that_cannot_be_read_leaves_the_pages_own_files_and_says_why(tmp_path: Path):
    app = mini_app(tmp_path)
    (app / "build/lab/bundle.js").write_text("r.e(1);r.u=e=>lookup(e),r.g=0")
    found = app_bundles(app)
    assert found.bundles[:3] == [
        "minato-status.js",
        "build/lab/bundle.js?_=abc",
        "config-utils.js?_=abc",
    ]
    assert not any(url.startswith("build/1.") for url in found.bundles)
    assert len(found.problems) == 1 and "bundle.js" in found.problems[0]


@pytest.fixture(scope="module")
def app() -> Path:
    return base_app(log=quiet)


def test_the_real_apps_warm_up_list_is_complete_and_every_file_exists(app: Path):
    found = app_bundles(app)
    assert found.problems == []
    assert json.loads((app / warmup.WARMUP_FILE).read_text())["bundles"] == found.bundles
    urls = found.bundles
    assert len(urls) == len(set(urls)) and len(urls) > 80
    for url in urls:
        assert (app / url.partition("?")[0]).is_file(), url
    lab_page = (app / "lab/index.html").read_text()
    preload = lab_page.split('rel="preload" href="../')[1].split('"')[0]
    assert urls.index(preload) < 5 and "?_=" in preload
    assert any(url.startswith("build/jlab_core.") for url in urls)
    config = json.loads((app / "jupyter-lite.json").read_text())["jupyter-config-data"]
    for extension in config["federated_extensions"]:
        assert f"extensions/{extension['name']}/{extension['load']}" in urls
    assert any("/comlink.worker." in url for url in urls), "the kernel's worker script"
    assert not any(url.startswith(("static/pyodide/", "files/", "api/")) for url in urls)


def test_generated_notebooks_carry_the_language_info_the_kernel_answers(app: Path):
    """JupyterLab writes the kernel's language_info into the notebook when it connects; if it
    differs from what was stored, the notebook turns modified (asks to save on close)."""
    extension = app / "extensions/@jupyterlite/pyodide-kernel-extension/static"
    found = [
        source
        for path in extension.glob("*.js")
        if "language_info:{" in (source := path.read_text("utf-8"))
    ]
    assert len(found) == 1
    literal = found[0].split("language_info:", 1)[1]
    depths = itertools.accumulate({"{": 1, "}": -1}.get(char, 0) for char in literal)
    text = literal[: next(i for i, depth in enumerate(depths) if depth == 0) + 1]
    for key in ("codemirror_mode", "file_extension", "mimetype", "name", "nbconvert_exporter",
                "pygments_lexer", "version"):  # fmt: skip
        text = text.replace(f"{key}:", f'"{key}":')
    assert json.loads(text) == LANGUAGE_INFO
