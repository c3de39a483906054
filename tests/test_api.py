"""The web API against a real uvicorn server on 127.0.0.1, and serve's headers."""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from minato_lite.report import LIVE_ANALYSIS
from minato_lite.resources import REPO_DIR
from minato_lite.serve.api import prefers_html, sweep
from minato_lite.serve.static import make_server
from tests.support import lab
from tests.support.api_servers import api_servers

ROWS = [{"region": "North", "units": 3}, {"region": "South", "units": 5}]
POST = "api/insights/python-sandbox"


@pytest.fixture
def api(tmp_path):
    with api_servers(tmp_path) as start:
        yield start


def payload(**overrides) -> dict:
    return {"code": "df.groupby('region').units.sum()", "data": ROWS,
            "analysisType": "descriptive", **overrides}  # fmt: skip


class OpeningPage(HTMLParser):
    """The parts of the HTML answer that open the site, with entities decoded."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.refresh = self.href = None
        self.title = self.link_text = ""
        self._in: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            self.refresh = attrs["content"].split("url=", 1)[1]
        elif tag == "a":
            self.href = attrs["href"]
        self._in = tag if tag in ("title", "a") else self._in

    def handle_endtag(self, tag):
        self._in = None if tag == self._in else self._in

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "a":
            self.link_text += data


HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends


def test_create_fetch_and_delete_a_site(api):
    client, settings = api()
    created = client.post(POST, json=payload(title="Units"))
    assert created.status_code == 201, created.text
    site_id, url = created.json()["id"], created.json()["url"]
    assert re.fullmatch(r"[a-z2-7]{26}", site_id)
    assert url.endswith(f"/sites/{site_id}/index.html")  # a file name: any static host serves it
    page = client.get(url)
    assert page.status_code == 200 and "lab/index.html?path=analysis.ipynb" in page.text
    assert "<h1>Units</h1>" in page.text  # the report
    assert page.headers["cross-origin-resource-policy"] == "same-origin"
    base = url.removesuffix("index.html")
    data = client.get(base + "files/data/data.csv")
    assert data.text.splitlines() == ["region,units", "North,3", "South,5"]
    meta = client.get(f"api/sites/{site_id}").json()
    assert meta["title"] == "Units" and meta["datasets"] == ["data"]
    assert meta["notebooks"] == ["analysis.ipynb", "code.ipynb", "explorer.ipynb"]
    assert client.delete(f"api/sites/{site_id}").status_code == 204
    assert client.get(f"api/sites/{site_id}").status_code == 404
    assert client.get(url).status_code == 404
    assert not (settings.sites_dir / site_id).exists()


def test_named_datasets_and_nothing_lists_the_sites(api):
    client, _ = api()
    created = client.post(POST, json=payload(data={"orders": ROWS, "more": ROWS}))
    assert created.status_code == 201
    assert client.get(f"api/sites/{created.json()['id']}").json()["datasets"] == ["orders", "more"]
    for path in ("sites/", "sites", "api/sites", "api/sites/", "sites/_minato/deployment.json"):
        assert client.get(path, follow_redirects=True).status_code in (404, 405), path
    assert client.get("api/sites/..%2f..%2fetc").status_code == 404


def test_token_is_required_when_configured(api):
    client, _ = api(token="s3cret")
    assert client.post(POST, json=payload()).status_code == 401
    wrong = client.post(POST, json=payload(), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]
    ok = client.post(POST, json=payload(), headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 201
    assert client.get("healthz").json() == {"status": "ok"}


def test_bodies_over_the_limit_are_413_declared_or_streamed(api):
    client, settings = api(max_body=1024 * 1024)
    big = payload(data=[{"text": "x" * 1000} for _ in range(2000)])
    declared = client.post(POST, json=big)
    assert declared.status_code == 413 and "1 MB" in declared.json()["error"]
    body = json.dumps(big).encode()
    streamed = client.post(POST, content=(body[i:i + 65536] for i in range(0, len(body), 65536)),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert streamed.status_code == 413
    # nothing but the deployment's own bookkeeping
    assert [p.name for p in settings.sites_dir.iterdir()] == ["_minato"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "x", "analysisType": "descriptive"}, "data"),
        (payload(analysisType="magic"), "analysisType"),
        (payload(colour="red"), "colour"),
        (payload(data=[1, 2]), "data"),
        (payload(data={"empty": []}), "data"),
        (payload(code=5), "code"),
    ],
)
def test_bad_requests_are_422_naming_the_field(api, body, field):
    client, _ = api()
    answer = client.post(POST, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"].startswith(field)


def test_twenty_concurrent_posts_give_twenty_complete_sites(api):
    client, settings = api()
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda i: client.post(POST, json=payload(title=f"t{i}")),
                                range(20)))  # fmt: skip
    assert [a.status_code for a in answers] == [201] * 20
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 20
    for site_id in ids:
        site = settings.sites_dir / site_id
        assert (site / "minato-site.json").is_file() and (site / "files/data/data.csv").is_file()
        assert (site / "api/contents/all.json").is_file()


def test_a_burst_beyond_the_queue_gets_429_not_errors(api):
    client, _ = api(max_builds=1, max_queue=0)
    with ThreadPoolExecutor(8) as pool:
        codes = [a.status_code for a in pool.map(lambda _: client.post(POST, json=payload()),
                                                  range(8))]  # fmt: skip
    assert set(codes) <= {201, 429} and 201 in codes and 429 in codes


def test_submitted_code_is_never_executed_on_the_host(api, tmp_path):
    client, settings = api()
    canary = Path("/tmp") / f"minato-canary-{uuid.uuid4().hex}"
    code = (f"open({str(canary)!r}, 'w').write('ran')\n"
            f"import os\nos.system('touch {canary}-2')\n"
            f"__import__('pathlib').Path({str(canary)!r} + '-3').touch()")  # fmt: skip
    for analysis in ("custom", "comprehensive"):
        created = client.post(POST, json=payload(code=code, analysisType=analysis))
        assert created.status_code == 201
        notebook = settings.sites_dir / created.json()["id"] / "files/code.ipynb"
        assert str(canary) in notebook.read_text()
    time.sleep(0.5)
    assert not list(Path("/tmp").glob(f"{canary.name}*"))


def test_sites_older_than_the_ttl_are_removed(api):
    client, settings = api(ttl_seconds=1.0)
    created = client.post(POST, json=payload()).json()
    assert client.get(f"api/sites/{created['id']}").status_code == 200
    deadline = time.monotonic() + 15
    while client.get(f"api/sites/{created['id']}").status_code == 200:
        assert time.monotonic() < deadline, "the sweeper did not remove the site"
        time.sleep(0.3)
    assert sweep(settings) == []


def test_openapi_schema_is_served(api):
    client, _ = api()
    schema = client.get("openapi.json").json()
    assert "/api/insights/python-sandbox" in schema["paths"]
    assert "/api/sites/{site_id}" in schema["paths"]
    created = schema["paths"]["/api/insights/python-sandbox"]["post"]["responses"]["201"]
    assert set(created["content"]) == {"application/json", "text/html"}


def test_a_client_preferring_html_gets_a_page_that_opens_the_absolute_site_url(api):
    client, _ = api()
    site_url = re.escape(str(client.base_url)) + r"sites/[a-z2-7]{26}/index\.html"
    as_json = client.post(POST, json=payload())
    assert re.fullmatch(site_url, as_json.json()["url"]), as_json.json()
    answer = client.post(POST, json=payload(title="Units by region"), headers=HTML)
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "accept" in answer.headers["vary"].lower()
    page = OpeningPage(answer.text)
    assert re.fullmatch(site_url, page.refresh), page.refresh
    assert page.href == page.refresh == answer.headers["location"]
    assert page.title == page.link_text == "Units by region"
    site = client.get(page.href)
    assert site.status_code == 200 and "lab/index.html?path=analysis.ipynb" in site.text
    site_id = page.href.split("/sites/")[1].split("/")[0]
    assert client.get(f"api/sites/{site_id}").json()["title"] == "Units by region"


def test_the_html_page_escapes_the_title_and_the_url(api):
    client, _ = api()
    hostile = "</title><script>alert(1)</script>"
    answer = client.post(POST, json=payload(title=hostile), headers=HTML)
    assert answer.status_code == 201, answer.text
    assert "<script" not in answer.text.lower()
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert OpeningPage(answer.text).link_text == hostile
    # the URL comes from the request's Host header, so it is the caller's text too
    odd_host = client.post(POST, json=payload(), headers={**HTML, "Host": "x&y"})
    assert odd_host.headers["location"].startswith("http://x&y/sites/")
    assert 'href="http://x&amp;y/sites/' in odd_host.text


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json, text/plain, */*", "application/json, text/html",
     "text/html;q=0.5, application/json"],
)  # fmt: skip
def test_clients_not_preferring_html_still_get_json(api, accept):
    client, _ = api()
    headers = {"Accept": accept} if accept else {}
    answer = client.post(POST, json=payload(), headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert "location" not in answer.headers
    assert set(answer.json()) == {"id", "url", "pending"}
    assert answer.json()["pending"] == ["analysis"]


@pytest.mark.parametrize(
    ("accept", "html"),
    [(None, False), ("", False), ("*/*", False), ("text/html", True), ("TEXT/HTML", True),
     ("text/*", True), ("application/json, text/html", False),
     ("text/html;q=0.9, application/json;q=0.8", True),
     ("text/html;q=0.5, */*;q=0.6", False), ("application/*;q=0.2, text/html;q=0.3", True),
     ("application/json;q=0, text/html;q=0.1", True), ("text/html;q=0", False),
     ("text/html;q=nonsense", False), ("nonsense", False)],
)  # fmt: skip
def test_accept_q_values_decide_and_ties_keep_json(accept, html):
    assert prefers_html(accept) is html


def test_errors_stay_json_when_html_is_preferred(api):
    client, _ = api(token="s3cret")
    refused = client.post(POST, json=payload(), headers={**HTML, "Authorization": "Bearer nope"})
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["error"] == "missing or wrong bearer token"
    invalid = client.post(POST, json=payload(analysisType="magic"),
                          headers={**HTML, "Authorization": "Bearer s3cret"})  # fmt: skip
    assert invalid.status_code == 422 and invalid.json()["field"] == "analysisType"
    allowed = client.post(POST, json=payload(), headers={**HTML, "Authorization": "Bearer s3cret"})
    assert allowed.status_code == 201 and allowed.headers["content-type"].startswith("text/html")


def test_serve_sends_the_headers_pyodide_and_jupyterlite_need(tmp_path):
    from minato_lite import build_site

    build_site([REPO_DIR / "examples/sales.csv"], tmp_path / "site")
    server = make_server(tmp_path / "site").start()
    isolated = make_server(tmp_path / "site", isolate=True).start()
    try:
        client = httpx.Client(base_url=server.url)
        bundle = next((tmp_path / "site/build").glob("[0-9]*.*.js")).name
        hashed = client.get(f"build/{bundle}", headers={"Accept-Encoding": "gzip"})
        assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert hashed.headers["content-type"].startswith("text/javascript")
        assert hashed.headers.get("content-encoding") == "gzip"
        config = client.get("jupyter-lite.json")
        assert config.headers["cache-control"] == "no-cache"
        assert client.get("files/data/sales.csv").headers["cache-control"] == "no-cache"
        wheel = next((tmp_path / "site/pypi").glob("ipywidgets-*.whl")).name
        whl = client.get(f"pypi/{wheel}", headers={"Accept-Encoding": "gzip"})
        assert whl.headers["cache-control"].endswith("immutable")
        assert "content-encoding" not in whl.headers
        part = client.get("files/data/sales.csv", headers={"Range": "bytes=0-9"})
        assert part.status_code == 206 and part.content == b"order_id,d"
        assert part.headers["content-range"].startswith("bytes 0-9/")
        page = client.get("index.html")
        assert "cross-origin-embedder-policy" not in page.headers
        assert page.headers["x-content-type-options"] == "nosniff"
        # the site's policy on every response, workers' scripts included, with what only a
        # header can say; the page carries the same policy in a <meta> tag
        marker = json.loads((tmp_path / "site/minato-site.json").read_text())
        policy = marker["content_security_policy"]
        worker = next((tmp_path / "site/extensions").rglob("comlink.worker.*.js"))
        for path in ("index.html", "lab/index.html", worker.relative_to(tmp_path / "site")):
            header = client.get(str(path)).headers["content-security-policy"]
            assert header == policy + "; frame-ancestors 'self'", path
        assert "connect-src 'self' https://" in policy  # the CDN's Pyodide, and nothing else
        assert html.escape(policy) in page.text and "frame-ancestors" not in page.text
        strict = httpx.get(isolated.url + "index.html")
        assert strict.headers["cross-origin-opener-policy"] == "same-origin"
        assert strict.headers["cross-origin-embedder-policy"] == "credentialless"
    finally:
        server.close()
        isolated.close()


@pytest.mark.browser
def test_a_site_made_by_the_api_opens_and_runs_in_chromium(api, assembled_pyodide, page_for):
    client, _ = api(pyodide=str(assembled_pyodide))
    created = client.post(POST, json=payload(title="From the API"))
    assert created.status_code == 201
    url = created.json()["url"]
    page, watch = page_for(url.split("/sites/")[0] + "/")
    page.goto(url)  # the report
    assert page.locator("h1").inner_text() == "From the API"
    page.get_by_role("link", name=LIVE_ANALYSIS, exact=True).click()
    lab.wait_for_notebook(page)
    assert lab.current_tab(page) == "analysis.ipynb"
    result = lab.append_and_run(page, "print(minato.title(), minato.records()[1])")
    assert "From the API {'region': 'South', 'units': 5}" in result.text
    assert watch.outside() == []


SEED_CODE = "import pandas as pd\ndf = pd.DataFrame(data)\nprint(df.describe())"


@pytest.mark.browser
def test_the_seeds_request_opens_from_its_html_answer_and_its_code_runs_with_pandas(
    api, pandas_pyodide, page_for
):
    """The seed's backend posts LLM code written for a page where `data` is the records."""
    # not pre-rendered: every output must come from the browser's kernel
    client, _ = api(pyodide=str(pandas_pyodide), prerender=False)
    seed = {"code": SEED_CODE, "data": ROWS, "analysisType": "comprehensive"}
    created = client.post(POST, json=seed, headers={"Accept": "text/html"})
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    base = url.removesuffix("index.html")
    page, watch = page_for(url.split("/sites/")[0] + "/")
    with page.expect_navigation(url=url, timeout=60_000):
        page.set_content(created.text)  # the new window the seed's UI opens: the report
    page.goto(base + "lab/index.html?path=code.ipynb")
    lab.wait_for_notebook(page)
    lab.run_all_cells(page, timeout_s=240)
    outputs = "\n".join(page.locator(f"{lab.NOTEBOOK} .jp-OutputArea-output").all_inner_texts())
    assert page.locator(lab.STDERR).all_inner_texts() == [], outputs
    assert "NameError" not in outputs
    assert "count" in outputs and "mean" in outputs and "units" in outputs, outputs
    assert watch.outside() == []


@pytest.mark.sandbox
def test_execute_true_answers_with_the_sandboxs_outputs_and_the_site_opens_with_them(api, tmp_path):
    from tests.support.sandbox import sandbox_pyodide

    canary = tmp_path / "canary.txt"
    code = (
        "import pandas as pd\ndf = pd.DataFrame(data)\nprint(df.describe())\n# %%\n"
        f"open({str(canary)!r}, 'w').write('escaped')"
    )
    client, settings = api(pyodide=str(sandbox_pyodide()))
    created = client.post(POST, json={"code": code, "data": ROWS, "execute": True})
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["ok"] is False and answer["error"]["ename"] == "FileNotFoundError"
    printed = "".join(o.get("text", "") for o in answer["outputs"] if o["output_type"] == "stream")
    assert "mean" in printed and "units" in printed
    assert not canary.exists()
    site = settings.sites_dir / answer["id"]
    notebook = json.loads((site / "files" / "code.ipynb").read_text())
    assert "ran when the site was built in a WebAssembly sandbox" in notebook["cells"][0]["source"]
    shown = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert any("mean" in o.get("text", "") for o in shown)
    plain = client.post(POST, json={"code": code, "data": ROWS}).json()
    assert set(plain) == {"id", "url", "pending"}  # without "execute" the code is never run
