"""The web API against a real uvicorn server on 127.0.0.1, and serve's headers."""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from minato_lite.api import Settings, create_app, sweep
from minato_lite.resources import REPO_DIR
from minato_lite.server import BackgroundServer, make_server
from tests.support import lab

ROWS = [{"region": "North", "units": 3}, {"region": "South", "units": 5}]
POST = "api/insights/python-sandbox"


@pytest.fixture
def api(tmp_path):
    servers = []

    def start(**options) -> tuple[httpx.Client, Settings]:
        settings = Settings(sites_dir=tmp_path / "sites", **options)
        server = BackgroundServer(create_app(settings)).start()
        servers.append(server)
        return httpx.Client(base_url=server.url, timeout=120), settings

    yield start
    for server in servers:
        server.close()


def payload(**overrides) -> dict:
    return {"code": "df.groupby('region').units.sum()", "data": ROWS,
            "analysisType": "descriptive", **overrides}  # fmt: skip


def test_create_fetch_and_delete_a_site(api):
    client, settings = api()
    created = client.post(POST, json=payload(title="Units"))
    assert created.status_code == 201, created.text
    site_id, url = created.json()["id"], created.json()["url"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", site_id) and url.endswith(f"/sites/{site_id}/")
    page = client.get(url)
    assert page.status_code == 200 and "lab/index.html?path=analysis.ipynb" in page.text
    assert page.headers["cross-origin-resource-policy"] == "same-origin"
    data = client.get(url + "files/data/data.csv")
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
    for path in ("sites/", "sites", "api/sites", "api/sites/"):
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
    assert not settings.sites_dir.exists() or list(settings.sites_dir.iterdir()) == []


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
    page.goto(url + "index.html")
    lab.wait_for_notebook(page)
    result = lab.append_and_run(page, "print(minato.title(), minato.records()[1])")
    assert "From the API {'region': 'South', 'units': 5}" in result.text
    assert watch.outside() == []
