"""In Chromium: live code reaches its own site and nothing else, and one site cannot touch another.

A listener on another port of this machine counts every connection it gets. From
each place live code runs (the report's page and its Python worker, JupyterLab's
page and the kernel's worker), every channel tries to send it something:
`pyodide.http.pyfetch`, `fetch` with `no-cors`, XHR, WebSocket, EventSource,
`sendBeacon`, an image and a form (the last three where there is a document).
The listener must get nothing, on `minato-lite serve` (a self-contained site,
its policy as a header and a <meta> tag) and on the API with one origin per
site (`{site}.sites.localhost`), where a second site's data, browser storage and
API deletion must stay out of the first site's reach too.

The table of what each channel did in each place is printed (`-s` shows it).
"""

from __future__ import annotations

import json
import socketserver
import threading
from pathlib import Path

import httpx
import pytest

from minato_lite.serve.api import Settings, create_app
from minato_lite.serve.static import BackgroundServer, make_server
from tests.conftest import OffOriginWatch
from tests.support import lab

pytestmark = pytest.mark.browser


class Listener(socketserver.ThreadingTCPServer):
    """Counts every connection, whatever it says, and answers as if it welcomed it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Count)
        self.received: list[str] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Count(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(4096).decode("latin-1").strip()
        self.server.received.append(line or "(a connection)")  # type: ignore[attr-defined]
        self.wfile.write(b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\n"
                         b"Content-Length: 2\r\n\r\nok")  # fmt: skip


#: JavaScript in a page: every channel, each reported as what happened (nothing must arrive)
PAGE_JS = """async (url) => {
  const r = {};
  const blocked = [];
  document.addEventListener('securitypolicyviolation', e => blocked.push(e.effectiveDirective));
  try { await fetch(url + 'fetch', {mode: 'no-cors'}); r.fetch = 'answered'; }
  catch (e) { r.fetch = 'refused'; }
  try { const x = new XMLHttpRequest(); x.open('GET', url + 'xhr');
        await new Promise(res => { x.onloadend = res; x.send(); });
        r.xhr = x.status ? 'answered' : 'refused'; } catch (e) { r.xhr = 'refused'; }
  try { const w = new WebSocket(url.replace('http', 'ws') + 'ws');
        r.websocket = await new Promise(res => { w.onopen = () => res('answered');
                                                   w.onerror = () => res('refused'); });
  } catch (e) { r.websocket = 'refused'; }
  try { const s = new EventSource(url + 'sse');
        r.eventsource = await new Promise(res => {
          s.onopen = () => res('answered');
          s.onerror = () => { s.close(); res('refused'); };
        });
  } catch (e) { r.eventsource = 'refused'; }
  r.beacon = navigator.sendBeacon(url + 'beacon', 'x') ? 'queued' : 'refused';
  r.image = await new Promise(res => { const i = new Image();
    i.onload = () => res('answered'); i.onerror = () => res('refused'); i.src = url + 'img'; });
  const form = document.createElement('form');
  form.method = 'POST'; form.action = url + 'form'; document.body.append(form);
  try { form.submit(); r.form = 'submitted'; } catch (e) { r.form = 'refused'; }
  await new Promise(res => setTimeout(res, 1500));
  r.blocked = [...new Set(blocked)].sort();
  return r;
}"""

#: Python, as live code writes it: the worker's channels (no document, so no image or form)
PYTHON = """
import asyncio, js, pyodide.http
from pyodide.ffi import to_js
url, found = {url!r}, {{}}
async def attempt(name, coro):
    try:
        await coro
        found[name] = "answered"
    except Exception:
        found[name] = "refused"
await attempt("pyfetch", pyodide.http.pyfetch(url + "pyfetch"))
no_cors = to_js({{"mode": "no-cors"}}, dict_converter=js.Object.fromEntries)
await attempt("fetch", js.fetch(url + "fetch", no_cors))
try:
    x = js.XMLHttpRequest.new(); x.open("GET", url + "xhr", False); x.send()
    found["xhr"] = "answered"
except Exception:
    found["xhr"] = "refused"
for name, make in (("websocket", lambda: js.WebSocket.new(url.replace("http", "ws") + "ws")),
                   ("eventsource", lambda: js.EventSource.new(url + "sse"))):
    try:
        make()
        found[name] = "created"
    except Exception:
        found[name] = "refused"
await asyncio.sleep(1.5)
print("CHANNELS", sorted(found.items()))
"""


def worker_attempts(output: str) -> dict[str, str]:
    line = next(line for line in output.splitlines() if line.startswith("CHANNELS"))
    return dict(eval(line.removeprefix("CHANNELS ")))  # our own printout of (str, str) pairs


def run_live_cell(page, code: str) -> str:
    """Put `code` in the report's first live cell, run it, and return its output."""
    box = page.get_by_role("textbox", name="Cell 1 of Your code")
    box.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)
    before = page.evaluate("() => Number(document.documentElement.dataset.minatoRuns || 0)")
    page.get_by_role("button", name="Run cell 1 of Your code").click()
    page.wait_for_function(
        f"() => Number(document.documentElement.dataset.minatoRuns || 0) > {before}",
        timeout=180_000,
    )
    return page.locator("[data-cell]").first.locator(".outputs").inner_text()


def try_every_place(page, site_url: str, listener: Listener) -> dict[str, dict[str, str]]:
    """Every channel from every place of the site at `site_url`; what each did."""
    table: dict[str, dict[str, str]] = {}
    ready = "() => document.documentElement.dataset.minatoLive === 'ready'"
    page.goto(site_url + "index.html")
    page.wait_for_function(ready)
    output = run_live_cell(page, PYTHON.format(url=listener.url))
    table["report worker"] = worker_attempts(output)
    # last in each page: the refused form leaves a navigation Playwright waits for
    table["report page"] = page.evaluate(PAGE_JS, listener.url)
    page.goto(site_url + "lab/index.html?path=code.ipynb")
    lab.wait_for_notebook(page)
    result = lab.append_and_run(page, PYTHON.format(url=listener.url), timeout_s=120)
    table["kernel worker"] = worker_attempts(result.text)
    table["lab page"] = page.evaluate(PAGE_JS, listener.url)
    return table


def print_table(where: str, table: dict[str, dict[str, str]]) -> None:
    channels = sorted({c for row in table.values() for c in row if c != "blocked"})
    print(f"\n{where}: what each channel did (the listener got nothing from any)")
    print(f"{'':<15}" + "".join(f"{c:>13}" for c in channels))
    for place, row in table.items():
        print(f"{place:<15}" + "".join(f"{row.get(c, 'n/a'):>13}" for c in channels))


def test_nothing_leaves_a_site_served_by_serve_from_any_place_by_any_channel(
    code_report_site: Path, browser, outside_proxy
):
    listener = Listener()
    server = make_server(code_report_site).start()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch = OffOriginWatch(context, outside_proxy, server.url)
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        table = try_every_place(page, server.url, listener)
        print_table("minato-lite serve", table)
        assert listener.received == [], listener.received
        for place in ("report page", "lab page"):
            assert "connect-src" in table[place]["blocked"], table[place]
            assert {"img-src", "form-action"} <= set(table[place]["blocked"]), table[place]
        assert all(v != "answered" for row in table.values() for k, v in row.items()
                   if k != "blocked"), table  # fmt: skip
        assert [u for u in watch.outside() if not u.startswith(listener.url)] == []
    finally:
        context.close()
        server.close()
        listener.close()


ROWS = [{"region": region, "units": n} for n, region in enumerate(["North", "South"] * 6)]


def test_sites_on_their_own_origins_cannot_read_or_delete_each_other_nor_send_anything(
    tmp_path: Path, sandbox_site_pyodide: Path, browser, outside_proxy
):
    listener = Listener()
    api = BackgroundServer(None)  # type: ignore[arg-type]  # bound first: the URL names its port
    port = api.sock.getsockname()[1]
    origins = f"http://{{site}}.sites.localhost:{port}/"
    settings = Settings(sites_dir=tmp_path / "sites", pyodide=str(sandbox_site_pyodide),
                        public_url=origins, prerender=False)  # fmt: skip
    api.server.config.app = create_app(settings)
    api.start()
    try:
        client = httpx.Client(base_url=api.url, timeout=300)
        made = [client.post("api/insights/python-sandbox",
                            json={"code": "print(len(df))", "data": ROWS, "title": name}).json()
                for name in ("first", "second")]  # fmt: skip
        first, second = (m["url"].removesuffix("index.html") for m in made)
        assert first.startswith("http://") and ".sites.localhost:" in first and first != second
        secret = second + "files/data/data.csv"
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        watch = OffOriginWatch(context, outside_proxy, first)
        try:
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(second + "lab/index.html?path=code.ipynb")  # its storage, in this browser
            lab.wait_for_notebook(page)
            table = try_every_place(page, first, listener)
            print_table("the API, one origin per site", table)
            assert listener.received == [], listener.received
            # from the first site's kernel: the second's data, storage and deletion
            page.goto(first + "lab/index.html?path=code.ipynb")
            lab.wait_for_notebook(page)
            reach = lab.append_and_run(
                page,
                f"""
import js, pyodide.http
found = {{}}
for name, url, method in (("data", {secret!r}, "GET"),
                          ("delete", {api.url + "api/sites/" + made[1]["id"]!r}, "DELETE")):
    try:
        answer = await pyodide.http.pyfetch(url, method=method)
        found[name] = answer.status
    except Exception:
        found[name] = "refused"
names = [db.name for db in (await js.indexedDB.databases())]
print("REACH", sorted(found.items()), sorted(names))
""",
                timeout_s=120,
            )
            assert "REACH [('data', 'refused'), ('delete', 'refused')]" in reach.text, reach.text
            stores = reach.text.split("REACH", 1)[1]
            marker = tmp_path / "sites" / made[1]["id"] / "minato-site.json"
            second_storage = json.loads(marker.read_text())["site_id"]
            assert "minato-lite-" in stores, stores  # the first site's own, listed
            assert second_storage not in stores, stores  # not the second's
            assert [u for u in watch.outside()
                    if not u.startswith((listener.url, second, f"http://assets.sites.localhost:{port}"))
                    ] == []  # fmt: skip
        finally:
            context.close()
        # the second site is whole: its data is served, its metadata is there
        assert client.get(f"api/sites/{made[1]['id']}").status_code == 200
        host = secret.split("/")[2]  # Python does not resolve *.localhost names: ask by Host
        assert httpx.get(f"http://127.0.0.1:{port}/files/data/data.csv",
                         headers={"Host": host}).status_code == 200  # fmt: skip
    finally:
        api.close()
        listener.close()


@pytest.fixture(scope="session")
def sandbox_site_pyodide() -> Path:
    """A Pyodide with pandas, self-hosted (the sites' live code needs `df`)."""
    from tests.support.sandbox import sandbox_pyodide

    return sandbox_pyodide()
