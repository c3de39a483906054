"""Soak a site: open it N times in fresh browser contexts, run two cells, count hangs.

A hang is a cell not finished within --cell-timeout seconds (the "output shown,
prompt stuck at [*]" symptom). For each hang the evidence is printed: the
stuck cells, whether the kernel's worker thread still answers, the /drive
requests the service worker broadcast without a reply, page errors and the
last console lines.

    .venv/bin/python scripts/soak.py --sessions 50 [--isolate] [--server serve|static]
                                     [--pyodide core|scientific|PATH] [--json]

`serve` is minato-lite's own server; `static` is Python's http.server (no
COOP/COEP, so it cannot be combined with --isolate).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minato_lite import build_site  # noqa: E402
from minato_lite.serve.static import make_server  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support import lab  # noqa: E402

#: listens to the service worker's /drive broadcasts from inside the page
DRIVE_SPY = """(() => {
  const log = [];
  window.__minatoDrive = log;
  try {
    const channel = new BroadcastChannel('/sw-api.v1');
    channel.onmessage = e => {
      const d = e.data || {};
      const inner = d.data || d;
      log.push({t: performance.now() | 0, id: d.requestId || inner.requestId || '',
                method: inner.method || '', path: inner.path ?? '',
                kind: ('response' in d || 'result' in d) ? 'reply' : 'request'});
      if (log.length > 5000) log.shift();
    };
  } catch (e) { log.push({error: String(e)}); }
})();"""
CELLS = {
    "core": ["print(minato.datasets(), len(data))", "print(sum(r['units'] or 0 for r in data))"],
    "scientific": ["print(df.shape)", "print(df.groupby('region').units.sum().to_dict())"],
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
    }

    def log_message(self, *_args) -> None:
        pass


class StaticServer:
    """Python's own static file server on 127.0.0.1, the plainest possible host."""

    def __init__(self, site: Path) -> None:
        handler = functools.partial(QuietHandler, directory=str(site))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def distribution(choice: str) -> tuple[str, Path]:
    if choice == "core":
        return "core", Path(os.environ.get("MINATO_PYODIDE_DIST", ROOT / ".cache/pyodide-dist"))
    if choice == "scientific":
        from minato_lite.pyodide.choice import default_with_pandas

        return "scientific", default_with_pandas().folder
    return "scientific", Path(choice)


def evidence(page) -> dict:
    """What a hang looks like from the page: stuck cells, workers, /drive traffic.

    (Whether the worker thread itself still answers cannot be asked safely from
    Playwright's sync API: an evaluate on a blocked worker never returns. A /drive
    request without a reply says the same: the worker waits in a synchronous XHR.)
    """
    found: dict = {"stuck": lab.stuck_cells(page), "workers": len(page.workers)}
    drive = page.evaluate("window.__minatoDrive || []")
    replied = {d["id"] for d in drive if d.get("kind") == "reply"}
    found["drive_messages"] = len(drive)
    found["drive_unanswered"] = [d for d in drive if d.get("kind") == "request"
                                 and d.get("id") not in replied][-5:]  # fmt: skip
    found["isolated"] = page.evaluate("self.crossOriginIsolated")
    found["sw_controller"] = page.evaluate("navigator.serviceWorker?.controller?.scriptURL ?? null")
    return found


def session(browser, url: str, cells: list[str], timeout_s: float) -> dict:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.add_init_script(DRIVE_SPY)
    page = context.new_page()
    console: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: console.append(m.text[:200]))
    page.on("pageerror", lambda e: errors.append(str(e)[:300]))
    start = time.perf_counter()
    try:
        page.goto(url + "lab/index.html?path=analysis.ipynb")
        lab.wait_for_notebook(page)
        times = []
        for source in cells:
            result = lab.append_and_run(page, source, timeout_s=timeout_s)
            if result.errors:
                return {"outcome": "error", "errors": result.errors}
            times.append(round(result.seconds, 1))
        return {"outcome": "ok", "seconds": round(time.perf_counter() - start, 1), "cells": times}
    except TimeoutError as exc:
        return {"outcome": "hang", "detail": str(exc)[:600], **evidence(page),
                "page_errors": errors[-5:], "console": console[-15:]}  # fmt: skip
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--isolate", action="store_true", help="serve with COOP/COEP")
    parser.add_argument("--server", choices=["serve", "static"], default="serve")
    parser.add_argument("--pyodide", default="core", help="core, scientific or a folder")
    parser.add_argument("--cell-timeout", type=float, default=60)
    parser.add_argument("--cells", type=int, default=2, help="cells per session (>= 2)")
    parser.add_argument("--json", action="store_true", help="one JSON line per session")
    args = parser.parse_args()
    if args.isolate and args.server == "static":
        parser.error("the static server sends no COOP/COEP; --isolate needs --server serve")
    kind, dist = distribution(args.pyodide)
    with tempfile.TemporaryDirectory(prefix="minato-soak-") as tmp:
        site = build_site([ROOT / "examples" / "sales.csv"], Path(tmp) / "site", pyodide=dist).out
        server = (make_server(site, "127.0.0.1", 0, isolate=args.isolate).start()
                  if args.server == "serve" else StaticServer(site))  # fmt: skip
        counts = {"ok": 0, "hang": 0, "error": 0}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for number in range(1, args.sessions + 1):
                    began = time.perf_counter()
                    cells = CELLS[kind] + CELLS[kind][1:] * max(0, args.cells - 2)
                    result = session(browser, server.url, cells, args.cell_timeout)
                    result["wall"] = round(time.perf_counter() - began, 1)
                    counts[result["outcome"]] += 1
                    if args.json:
                        print(json.dumps({"session": number, **result}), flush=True)
                    elif result["outcome"] != "ok":
                        print(f"session {number}: {json.dumps(result, indent=1)}", flush=True)
                    else:
                        print(f"session {number}: ok {result['seconds']} s {result['cells']} "
                              f"(wall {result['wall']} s)", flush=True)  # fmt: skip
                browser.close()
        finally:
            server.close()
    setup = f"{kind}, {args.server}, {'isolated' if args.isolate else 'not isolated'}"
    print(f"{args.sessions} sessions ({setup}): {counts['ok']} ok, {counts['hang']} hangs, "
          f"{counts['error']} errors")  # fmt: skip
    sys.exit(1 if counts["hang"] or counts["error"] else 0)


if __name__ == "__main__":
    main()
