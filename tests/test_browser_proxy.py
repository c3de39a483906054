"""In Chromium: sites in a bucket, each on its own origin behind the documented nginx proxy.

The nginx block of `docs/deployment.md` runs as written, with its names, ports and
endpoint swapped for this machine's (`*.sites.localhost`, a free port, a real
SeaweedFS). A site the API stored in the bucket opens on its own origin through
it: its report's live cell and JupyterLab's kernel run with the data, every
response carries the policy (the documented one is the one sites record), and
no channel from any place sends a byte to a listener on another port.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from minato_lite.publish.deployment import Deployment
from minato_lite.resources import REPO_DIR
from minato_lite.site.csp import content_security_policy
from tests.support.api_servers import api_servers
from tests.support.meter import ByteMeter
from tests.support.needs import unavailable
from tests.support.visits import visit_then_go_live
from tests.test_browser_exfiltration import Listener, print_table, try_every_place

pytestmark = pytest.mark.browser

BEGIN = "# minato-lite: one origin per site, in front of an S3 bucket (begin)"
END = "# minato-lite: one origin per site, in front of an S3 bucket (end)"


def documented_block() -> str:
    text = (REPO_DIR / "docs" / "deployment.md").read_text("utf-8")
    return text[text.index(BEGIN) : text.index(END) + len(END)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_documented_policy_is_the_one_sites_record():
    documented = re.search(r'set \$csp "([^"]+)";', documented_block()).group(1)
    assert documented == content_security_policy(assets="https://assets.sites.example/")


@pytest.fixture
def nginx(tmp_path: Path):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).is_file():
        unavailable("needs nginx (the documented proxy): apt-get install -y nginx")
    processes = []

    def start(port: int, endpoint: str, bucket_prefix: str) -> None:
        block = (documented_block()
                 .replace("https://assets.sites.example", f"http://assets.sites.localhost:{port}")
                 .replace(r"\.sites\.example", r"\.sites\.localhost")
                 .replace("sites.example", "sites.localhost")
                 .replace("listen 80;", f"listen 127.0.0.1:{port};")
                 .replace("https://s3.example.net", endpoint)
                 .replace("/sites-bucket/sites", "/" + bucket_prefix))  # fmt: skip
        folder = tmp_path / "nginx"
        folder.mkdir()
        conf = folder / "nginx.conf"
        # run as root, nginx's workers become `nobody`, who cannot enter pytest's 0700
        # temporary folders: a response larger than its memory buffers, read slowly by
        # the browser, was cut short where nginx failed to open its temp file
        workers = "user root;\n" if os.geteuid() == 0 else ""
        conf.write_text(
            f"daemon off;\n{workers}pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            "events {}\nhttp {\n"
            f"  access_log {folder}/access.log;\n"
            f"  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;\n"
            f"  fastcgi_temp_path {folder}/fcgi; uwsgi_temp_path {folder}/uwsgi;\n"
            f"  scgi_temp_path {folder}/scgi;\n"
            f"{block}\n}}\n",
            "utf-8",
        )
        process = subprocess.Popen([binary, "-c", str(conf), "-p", str(folder)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        processes.append(process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(process.stderr.read().decode()[-2000:]) from None
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
    # a failure of nginx's own (a temp file it cannot write) cuts responses short
    log = tmp_path / "nginx" / "error.log"
    serious = re.findall(r".*\[(?:crit|alert|emerg)\].*", log.read_text()) if log.exists() else []
    assert serious == [], serious


@pytest.fixture
def api(tmp_path: Path):
    """In-process APIs that store in the bucket and pre-render nothing (the browser opens them)."""
    with api_servers(tmp_path, prerender=False) as start:
        yield start


ROWS = [{"region": region, "units": n} for n, region in enumerate(["North", "South"] * 6)]


def test_a_bucket_site_behind_the_documented_proxy_runs_on_its_origin_and_sends_nothing_out(
    s3_env, nginx, api, code_report_site: Path, browser, outside_proxy
):
    from tests.support.sandbox import sandbox_pyodide

    port = free_port()
    prefix = f"proxy-{uuid.uuid4().hex[:8]}"
    origins = f"http://{{site}}.sites.localhost:{port}/"
    client, _ = api(sites_dir=f"s3://{s3_env.bucket}/{prefix}", public_url=origins,
                    pyodide=str(sandbox_pyodide()))  # fmt: skip
    nginx(port, s3_env.endpoint, f"{s3_env.bucket}/{prefix}")
    listener = Listener()
    try:
        made = client.post("api/insights/python-sandbox", timeout=300,
                           json={"code": "print(len(df))", "data": ROWS}).json()  # fmt: skip
        site = made["url"].removesuffix("index.html")
        assert site == f"http://{made['id']}.sites.localhost:{port}/"
        host = site.split("/")[2]
        # through the proxy: the policy on pages and workers' scripts, nothing of the rest
        via = httpx.Client(base_url=f"http://127.0.0.1:{port}/")
        page = via.get("/index.html", headers={"Host": host})
        assert page.status_code == 200 and "content-security-policy" in page.headers
        assert via.get("/minato-comlink-worker.js", headers={"Host": host}).headers[
            "content-security-policy"].startswith("default-src 'none'")  # fmt: skip
        assert via.get("/_minato/deployment.json", headers={"Host": host}).status_code == 404
        assert via.get("/index.html", headers={"Host": f"_minato.sites.localhost:{port}"}
                       ).status_code == 404  # fmt: skip
        shared = via.get("/_shared/", headers={"Host": f"assets.sites.localhost:{port}"})
        assert shared.headers.get("access-control-allow-origin") == "*"
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            table = try_every_place(page, site, listener)
            print_table("a bucket behind the documented nginx proxy", table)
            assert listener.received == [], listener.received
        finally:
            context.close()
    finally:
        listener.close()


#: the issue's budget for a second site on its own origin, beyond its own data and notebooks
SIBLING_VISIT_BUDGET = 300_000


def test_a_second_site_on_its_own_origin_costs_its_own_files_and_at_most_0_3_mb_more(
    s3_env, nginx, api, assembled_pyodide: Path, browser
):
    """The shared copy on `assets.sites.localhost` serves every `*.sites.localhost` site.

    The meter sits between the proxy and SeaweedFS, so it counts what the browser
    did not find in its cache (a revalidation's answer included).
    """
    port = free_port()
    prefix = f"sib-{uuid.uuid4().hex[:8]}"
    location = f"s3://{s3_env.bucket}/{prefix}"
    client, _ = api(sites_dir=location, public_url=f"http://{{site}}.sites.localhost:{port}/",
                    pyodide=str(assembled_pyodide))  # fmt: skip
    endpoint = urlsplit(s3_env.endpoint)
    meter = ByteMeter((endpoint.hostname or "127.0.0.1", endpoint.port or 80))
    nginx(port, meter.url, f"{s3_env.bucket}/{prefix}")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        made = [client.post("api/insights/python-sandbox", timeout=300,
                            json={"code": "print(len(df))", "execute": False,
                                  "data": [{**row, "site": name} for row in ROWS]}).json()
                for name in ("first", "second")]  # fmt: skip
        urls = [m["url"] for m in made]
        assert all(u.startswith("http://") and ".sites.localhost:" in u for u in urls), urls
        failed: list[tuple[str, int]] = []
        hosts: set[str] = set()
        context.on("response", lambda r: failed.append((r.url, r.status)) if r.status >= 400
                   else None)  # fmt: skip
        context.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
        costs = []
        for name, url in zip(("first", "second"), urls, strict=True):
            warmed, live, ran = visit_then_go_live(
                context, url, meter, "print(minato.records(minato.datasets()[0])[0]['site'])"
            )
            assert ran.strip().endswith(name), ran
            costs.append(warmed + live)
        store = Deployment.open(location).store
        own = sum(i.size for i in store.list(f"{made[1]['id']}/files/"))
        print(f"\nfirst site {costs[0] / 1e6:.2f} MB; second site {costs[1] / 1e3:.0f} KB "
              f"(its data and notebooks: {own / 1e3:.0f} KB)")  # fmt: skip
        assert costs[0] > 10_000_000, costs  # the app's bundles and Pyodide, once
        assert costs[1] - own <= SIBLING_VISIT_BUDGET, (costs, own)
        assert failed == [], failed
        expected = {urlsplit(u).netloc for u in urls} | {f"assets.sites.localhost:{port}"}
        assert hosts - {""} <= expected, hosts
    finally:
        context.close()
        meter.close()
