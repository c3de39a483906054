"""Deployments: many sites in a folder or a bucket, the app and Pyodide stored once.

The S3 half runs against a real S3 service (SeaweedFS, started by the
session fixture); what a browser or CDN gets is read with unsigned GETs. The
one fault injected (a store whose uploads start failing half-way) is a
subclass of our own `Store`, never a stand-in for the S3 client.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.errors import EnvironmentProblem, UserError
from minato_lite.publish.deployment import DEPLOYMENT_KEY, PENDING, SITES, Deployment
from minato_lite.publish.shared import INVENTORY
from minato_lite.publish.targets import DeploymentSite, StandaloneSite, resolve_target
from minato_lite.pyodide.distribution import PyodideDistribution
from minato_lite.resources import REPO_DIR
from minato_lite.site.verify import verify_site
from minato_lite.site.warmup import WARMUP_FILE
from minato_lite.store import FolderStore, open_store
from minato_lite.store.policy import IMMUTABLE, REVALIDATE
from minato_lite.store.s3 import S3Store
from tests.support.cli import run_cli

SALES = REPO_DIR / "examples" / "sales.csv"
MB = 1_000_000


def unique(bucket: str) -> str:
    return f"s3://{bucket}/d-{uuid.uuid4().hex[:10]}"


def http_get(url: str):
    """Unsigned GET, as a browser or CDN fetches an object (bytes as sent)."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.headers, answer.read()


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- a folder deployment --------------------------------------------------------------------


def test_a_folder_deployment_stores_the_app_and_pyodide_once_and_sites_only_their_own(
    tmp_path: Path, assembled_pyodide: Path
):
    root = tmp_path / "sites"
    Deployment.open(root).init()
    built = [build_site([SALES], root / name, pyodide=assembled_pyodide, prerender=False,
                        title=name) for name in ("north", "south")]  # fmt: skip
    (app,) = (root / "_shared").glob("app-*")
    (dist,) = (root / "_shared").glob("pyodide-*")
    assert built[0].pyodide_url == f"./../_shared/{dist.name}/pyodide.mjs"
    assert (app / INVENTORY).is_file() and (dist / INVENTORY).is_file()
    for name in ("north", "south"):
        site = root / name
        assert not (site / "build").exists() and not (site / "extensions").exists()
        assert not (site / "static/pyodide").exists()
        own = tree_bytes(site) - tree_bytes(site / "files")
        assert own < 300_000, own  # pages, config, index, worker modules: no app, no Pyodide
        assert verify_site(site) == []  # every shared folder and file it names is there
        data = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
        assert data["fullStaticUrl"] == f"./../_shared/{app.name}/build"
        kernel = data["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
        assert kernel["pyodideUrl"] == f"./../_shared/{dist.name}/pyodide.mjs"
        assert data["baseUrl"] == "./"  # contents, drive and the service worker stay the site's
        lab = (site / "lab/index.html").read_text()
        assert f'"../../_shared/{app.name}/build/lab/bundle.js?' in lab
        assert (site / "service-worker.js").is_file()
        shim = (site / "minato-comlink-worker.js").read_text()
        assert f'import "../_shared/{app.name}/extensions/' in shim
        meta = json.loads((root / SITES / f"{name}.json").read_text())
        assert meta["title"] == name and meta["created"] > 0
    # the shared app is the cache's files, linked, not copied
    bundle = app / "build/lab/bundle.js"
    assert bundle.stat().st_nlink > 1
    # a build into the deployment from the command line joins it: same shared folders
    result = run_cli("build", str(SALES), "-o", str(root / "west"), "--no-prerender", "-q",
                     "--pyodide", str(assembled_pyodide))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(root / "west")
    assert sorted(p.name for p in (root / "_shared").iterdir()) == sorted([app.name, dist.name])
    assert json.loads((root / "west/minato-site.json").read_text())["shared"] == [
        app.name,
        dist.name,
    ]


def warmup_targets(site: Path) -> list[Path]:
    """Every file the report's warm-up fetches, resolved as `web/warmup.js` resolves it:
    bundles from the site's root, the runtime beside the kernel's `pyodideUrl`."""
    listed = json.loads((site / WARMUP_FILE).read_text())
    data = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = data["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    entry = (site / kernel["pyodideUrl"]).resolve()
    bundles = [(site / url.partition("?")[0]).resolve() for url in listed["bundles"]]
    return [*bundles, entry, *(entry.parent / name for name in listed["runtime"])]


def test_the_warm_up_names_files_that_exist_in_a_self_contained_and_a_deployments_site(
    tmp_path: Path, assembled_pyodide: Path
):
    alone = build_site([SALES], tmp_path / "alone", pyodide=assembled_pyodide, prerender=False)
    root = tmp_path / "sites"
    Deployment.open(root).init()
    joined = build_site([SALES], root / "north", pyodide=assembled_pyodide, prerender=False)
    runtime = PyodideDistribution.open(assembled_pyodide).loader_files()
    assert runtime and "pyodide.asm.wasm" in runtime and "python_stdlib.zip" in runtime
    for site in (alone.out, joined.out):
        assert json.loads((site / WARMUP_FILE).read_text())["runtime"] == runtime
        targets = warmup_targets(site)
        assert len(targets) > 80
        assert [t for t in targets if not t.is_file()] == [], site
    # the deployment's site warms the shared app, where its lab page loads the bundle from
    shared = [t for t in warmup_targets(joined.out) if "_shared" in t.parts]
    assert any(t.name == "bundle.js" for t in shared) and len(shared) > 80


def test_in_a_folder_a_failed_rebuild_keeps_the_old_site_and_a_sweep_clears_leftovers(
    tmp_path: Path, monkeypatch
):
    from minato_lite.publish import staging as writer

    root = tmp_path / "sites"
    deployment = Deployment.open(root, stale_seconds=0.5).init()
    build_site([SALES], root / "a", prerender=False, title="old")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))

    def broken(*_args, **_kwargs):
        raise EnvironmentProblem("disk full (simulated)")

    monkeypatch.setattr(writer, "write_contents_index", broken)
    with pytest.raises(EnvironmentProblem):
        build_site([SALES], root / "a", prerender=False, title="new")
    with pytest.raises(EnvironmentProblem):
        build_site([SALES], root / "b", prerender=False, title="new")
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert deployment.metadata("a")["title"] == "old" and not deployment.exists("b")
    # what a killed build leaves in a folder: its staging folder, its pending marker
    (root / ".c.building-x1").mkdir()
    (root / PENDING).mkdir(exist_ok=True)
    (root / PENDING / "c.json").write_text("{}")
    time.sleep(1.0)
    swept = deployment.sweep()
    assert sorted(swept.incomplete) == [".c.building-x1", "c"]
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_outside_a_deployment_a_folder_stays_self_contained(tmp_path: Path):
    target = resolve_target(tmp_path / "alone")
    assert isinstance(target, StandaloneSite) and isinstance(target.store, FolderStore)
    site = build_site([SALES], tmp_path / "alone", prerender=False).out
    assert (site / "build/lab/bundle.js").is_file() and not (tmp_path / "_shared").exists()


def test_a_deployment_will_not_adopt_a_folder_of_other_files(tmp_path: Path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    result = run_cli("batch", str(tmp_path / "m.yaml"), "-o", str(tmp_path / "mine"))
    assert result.returncode == 2  # the manifest is missing: checked first
    (tmp_path / "m.yaml").write_text("analyses:\n  - {name: a, inputs: [a.csv]}\n")
    (tmp_path / "a.csv").write_text("x\n1\n")
    result = run_cli("batch", str(tmp_path / "m.yaml"), "-o", str(tmp_path / "mine"))
    assert result.returncode == 2 and "thesis.tex" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["thesis.tex"]


# -- a bucket -------------------------------------------------------------------------------


def test_a_bucket_deployment_sends_the_shared_sets_once_with_the_right_headers(
    s3_env, assembled_pyodide: Path
):
    location = unique(s3_env.bucket)
    deployment = Deployment.open(location).init()
    store = deployment.store
    first = build_site([SALES], f"{location}/a", pyodide=assembled_pyodide, prerender=False)
    assert first.url and first.url.endswith("/a/index.html") and first.out == f"{location}/a/"
    shared_objects = {i.key for i in store.list("_shared/")}
    second = build_site([SALES], f"{location}/b", pyodide=assembled_pyodide, prerender=False)
    assert {i.key for i in store.list("_shared/")} == shared_objects  # nothing sent again
    site_b = list(store.list("b/"))
    data = sum(i.size for i in site_b if i.key.startswith("b/files/"))
    assert sum(i.size for i in site_b) - data < 300_000  # what a site adds beyond its own files
    assert {k.split("/")[1] for k in shared_objects} == {
        n for n in json.loads(store.get("b/minato-site.json"))["shared"]
    }
    # what a browser or CDN is sent
    status, headers, _ = http_get(second.url)
    assert status == 200 and headers["Cache-Control"] == REVALIDATE
    assert headers["Content-Type"].startswith("text/html")
    app = next(k for k in shared_objects if k.endswith("/build/lab/bundle.js"))
    _, headers, _ = http_get(store.url_for(app))
    assert headers["Cache-Control"] == IMMUTABLE and headers["Content-Encoding"] == "gzip"
    wasm = next(k for k in shared_objects if k.endswith("pyodide.asm.wasm"))
    _, headers, _ = http_get(store.url_for(wasm))
    assert headers["Content-Type"] == "application/wasm" and headers["Cache-Control"] == IMMUTABLE
    _, headers, body = http_get(store.url_for("b/minato-comlink-worker.js"))
    assert headers["Content-Type"].startswith("text/javascript") and b"import" in body
    # bookkeeping, readable by any process
    other = Deployment.open(location)
    assert other.metadata("a")["datasets"] == ["sales"] and other.exists("b")
    assert list(store.list(PENDING)) == []
    # a rebuild in place: the same URL, old keys it no longer has are gone
    store.put("b/files/stale.txt", b"old", content_type="text/plain", cache_control=REVALIDATE)
    build_site([SALES], f"{location}/b", pyodide=assembled_pyodide, prerender=False, title="B2")
    assert not store.exists("b/files/stale.txt")
    assert json.loads(store.get("b/minato-site.json"))["title"] == "B2"


def test_a_self_contained_site_in_a_bucket_and_its_public_url(s3_env, tmp_path: Path):
    location = unique(s3_env.bucket)
    result = run_cli("build", str(SALES), "-o", location, "--no-prerender", "-q",
                     "--public-url", "https://cdn.example/reports/q1")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://cdn.example/reports/q1/index.html"
    store = open_store(location)
    assert store.exists("index.html") and store.exists("build/lab/bundle.js")
    assert not store.exists(DEPLOYMENT_KEY)
    # a prefix holding something else is never overwritten
    other = unique(s3_env.bucket)
    open_store(other).put("notes.txt", b"mine", content_type="text/plain", cache_control="x")
    refused = run_cli("build", str(SALES), "-o", other, "--no-prerender", "-q")
    assert refused.returncode == 2 and "not a minato-lite site" in refused.stderr
    assert [i.key for i in open_store(other).list()] == ["notes.txt"]


class FailingStore(S3Store):
    """Our store, failing its uploads once `fail_after` objects went through (a dying link)."""

    def __init__(self, *args, fail_after: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fail_after = fail_after

    def _put(self, key, data, content_type, cache_control, content_encoding) -> None:
        if self.fail_after <= 0:
            raise EnvironmentProblem(f"S3 upload of {key} failed: connection reset (injected)")
        self.fail_after -= 1
        super()._put(key, data, content_type, cache_control, content_encoding)


def test_a_publish_that_fails_half_way_leaves_no_page_and_the_next_cleans_up(s3_env):
    location = unique(s3_env.bucket)
    bucket, prefix = s3_env.bucket, location.split("/", 3)[3] + "/"
    Deployment.open(location).init()
    healthy = Deployment(S3Store(bucket, prefix))
    build_site([SALES], DeploymentSite(healthy, "ok"), prerender=False)  # stores the shared app
    keys = [i.key for i in healthy.store.list("ok/")]
    files = len([k for k in keys if not k.endswith(".html")])
    # two pending-marker writes, then: among the site's files; among its other pages
    for fail_after in (3, 2 + files + 2):
        dying = Deployment(FailingStore(bucket, prefix, fail_after=fail_after))
        with pytest.raises(EnvironmentProblem, match="injected"):
            build_site([SALES], DeploymentSite(dying, "half"), prerender=False)
        assert not healthy.exists("half")
        assert list(healthy.store.list("half/")) == []  # what it wrote was removed
        assert list(healthy.store.list(PENDING)) == []
    # a re-publish that fails: the old version is gone (never mixed with the new), nothing
    # of the new one is visible
    dying = Deployment(FailingStore(bucket, prefix, fail_after=5))
    with pytest.raises(EnvironmentProblem):
        build_site([SALES], DeploymentSite(dying, "ok"), prerender=False, title="new")
    assert not healthy.exists("ok") and list(healthy.store.list("ok/")) == []
    # a failure before the site's keys are touched (its shared set) keeps the old site
    build_site([SALES], DeploymentSite(healthy, "ok"), prerender=False)
    fresh = Deployment(FailingStore(bucket, prefix, fail_after=0))
    with pytest.raises(EnvironmentProblem):
        build_site([SALES], DeploymentSite(fresh, "ok"), prerender=False, title="x")
    assert healthy.exists("ok")
    assert json.loads(healthy.store.get("ok/minato-site.json"))["title"] == "sales"


def test_sweep_removes_killed_publishes_and_expired_sites_from_any_process(s3_env):
    location = unique(s3_env.bucket)
    one = Deployment.open(location).init()
    build_site([SALES], DeploymentSite(one, "kept"), prerender=False)
    # what a replica killed half-way leaves: a pending marker, some files, no entry page
    store = one.store
    store.put(f"{PENDING}ghost.json", b"{}", content_type="application/json", cache_control="x")
    store.put("ghost/files/data/sales.csv", b"x", content_type="text/csv", cache_control="x")
    store.put("ghost/lab/index.html", b"<p>", content_type="text/html", cache_control="x")
    # another process; S3 times are whole seconds, hence seconds of margin
    other = Deployment.open(location, stale_seconds=5.0)
    assert other.sweep().incomplete == []  # not stale yet: it may still be publishing
    time.sleep(6.0)
    swept = other.sweep(ttl_seconds=3600)
    assert swept.incomplete == ["ghost"] and swept.expired == []
    assert list(store.list("ghost/")) == [] and list(store.list(PENDING)) == []
    assert other.exists("kept")
    assert other.sweep(ttl_seconds=0.5).expired == ["kept"]
    assert list(store.list("kept/")) == [] and list(store.list(SITES)) == []


def test_a_50_site_batch_publishes_to_a_bucket_with_the_app_once(s3_env, tmp_path: Path):
    entries = []
    for i in range(50):
        (tmp_path / f"s{i}.csv").write_text(f"region,units\nNorth,{i}\nSouth,{i + 1}\n")
        entries.append(f"  - {{name: site{i:02d}, inputs: [s{i}.csv], analysis: descriptive}}")
    manifest = tmp_path / "m.yaml"
    manifest.write_text("analyses:\n" + "\n".join(entries) + "\n")
    location = unique(s3_env.bucket)
    start = time.perf_counter()
    result = run_cli("batch", str(manifest), "-o", location, "--no-prerender", "--json",
                     timeout=600)  # fmt: skip
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] == 50 and report["failed"] == 0
    assert all(a["url"].endswith(f"/{a['name']}/index.html") for a in report["analyses"])
    store = open_store(location)
    keys = [i.key for i in store.list()]
    assert len([k for k in keys if k.endswith(f"/{INVENTORY}")]) == 1  # the app, once
    assert len([k for k in keys if k.endswith("/index.html") and k.count("/") == 1]) == 50
    status, _, index = http_get(report["index"])
    assert status == 200 and index.count(b'/index.html">') == 50
    print(f"\n50-site batch to SeaweedFS: {seconds:.1f} s, {len(keys)} objects")


# -- hostile outputs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["build", str(SALES), "-o", "s3://Bad_Bucket/x"], 2, "invalid S3 bucket name"),
        (["build", str(SALES), "-o", "ftp://host/x"], 2, "s3://BUCKET/PREFIX"),
        (["build", str(SALES), "-o", "s3://minato-test/a/../b"], 2, "invalid prefix"),
        (["batch", "m.yaml", "-o", "s3://"], 2, "names no bucket"),
        (["api", "--sites-dir", "s3://x"], 2, "invalid S3 bucket name"),
        (["build", str(SALES), "-o", "x", "--public-url", "cdn.example"], 2, "not an http"),
    ],
)
def test_bad_output_locations_are_one_line_errors(tmp_path: Path, args, code, says):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_missing_bucket_or_missing_keys_fail_before_any_work(s3_env, tmp_path: Path, monkeypatch):
    missing = run_cli("build", str(SALES), "-o", "s3://no-such-bucket-here/x")
    assert missing.returncode == 2 and "does not exist" in missing.stderr, missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    api = run_cli("api", "--sites-dir", "s3://no-such-bucket-here/sites", timeout=60)
    assert api.returncode == 2 and "no-such-bucket-here" in api.stderr, api.stderr
    assert len(api.stderr.strip().splitlines()) == 1
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down_env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    start = time.monotonic()
    manifest = tmp_path / "m.yaml"
    down = run_cli("batch", str(manifest), "-o", f"s3://{s3_env.bucket}/x", env=down_env)
    assert down.returncode == 2  # the manifest is checked before the bucket
    manifest.write_text("analyses:\n  - {name: a, inputs: [a.csv]}\n")
    (tmp_path / "a.csv").write_text("x\n1\n")
    down = run_cli("batch", str(manifest), "-o", f"s3://{s3_env.bucket}/x", env=down_env)
    assert down.returncode == 1 and "AWS_ENDPOINT_URL" in down.stderr, down.stderr
    assert len(down.stderr.strip().splitlines()) == 1
    assert time.monotonic() - start < 60
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    no_keys = run_cli("build", str(SALES), "-o", f"s3://{s3_env.bucket}/x")
    assert no_keys.returncode == 1 and "AWS_ACCESS_KEY_ID" in no_keys.stderr, no_keys.stderr
    assert len(no_keys.stderr.strip().splitlines()) == 1


def test_urls_end_in_a_file_name_and_use_the_public_url(tmp_path: Path):
    deployment = Deployment.open(tmp_path / "d", public_url="https://cdn.example/d/").init()
    assert deployment.site_url("abc") == "https://cdn.example/d/abc/index.html"
    assert Deployment.open(tmp_path / "d").site_url("abc") is None  # a folder has no URL
    target = resolve_target(tmp_path / "d" / "q1", public_url="https://cdn.example/d/q1/")
    assert isinstance(target, DeploymentSite) and target.name == "q1"
    assert target.url == "https://cdn.example/d/q1/index.html"
    for reserved in ("_shared", "_minato", ".hidden", "a/b", ""):
        with pytest.raises(UserError, match="invalid site name"):
            DeploymentSite(deployment, reserved)
