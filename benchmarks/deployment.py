"""Sites at scale, measured: storage per site, a 50-site batch, and what visits download.

Three parts, each on this machine's cores with SeaweedFS (`weed mini`) on
127.0.0.1 as the object store:

* `storage`: bytes a site adds to the store, self-contained (every site its own
  app and Pyodide, as before deployments) against a site of a deployment (only
  its own files; the app and Pyodide once), in a folder and in the bucket (as
  stored there, gzip included);
* `batch`: `minato-lite batch` of 50 analyses to SeaweedFS against a folder
  (`--prerender` to pre-render them as the product does by default);
* `visits` (Chromium; run it under the shared browser lock): a first and a
  second site of a deployment opened straight from SeaweedFS through a byte
  meter, against two self-contained sites stored the same way (today).

Pyodide: the scientific stand-in (pandas) when it is there, else the
assembled core distribution (`MINATO_PYODIDE_DIST`).

    .venv/bin/python benchmarks/deployment.py [storage] [batch [--prerender]] [visits]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.store_upload import scientific_dist  # noqa: E402
from minato_lite import build_site  # noqa: E402
from minato_lite.publish.deployment import Deployment  # noqa: E402
from minato_lite.store import open_store  # noqa: E402
from tests.support.seaweedfs import running_seaweedfs  # noqa: E402

SALES = REPO / "examples" / "sales.csv"


def pyodide() -> Path:
    dist = scientific_dist() or (Path(os.environ["MINATO_PYODIDE_DIST"])
                                 if os.environ.get("MINATO_PYODIDE_DIST") else None)  # fmt: skip
    if dist is None:
        sys.exit("needs the scientific stand-in or MINATO_PYODIDE_DIST")
    return dist


def stored(location: str, prefix: str = "") -> tuple[int, int]:
    """(bytes, objects) under `prefix` of a store, as stored."""
    infos = list(open_store(location).list(prefix))
    return sum(i.size for i in infos), len(infos)


def mb(n: float) -> str:
    return f"{n / 1e6:7.2f} MB"


def storage(bucket: str, dist: Path, work: Path) -> None:
    print(f"\n== bytes a site adds to the store (demo data, pre-rendered, Pyodide {dist.name})")
    run = uuid.uuid4().hex[:8]
    solo = [f"s3://{bucket}/solo-{run}-{i}" for i in range(2)]
    for i, place in enumerate(solo):
        build_site([SALES], place, pyodide=dist)
        build_site([SALES], work / f"solo{i}", pyodide=dist)
    folder_solo = sum(p.stat().st_size for p in (work / "solo1").rglob("*") if p.is_file())
    s3_solo, s3_solo_n = stored(solo[1])
    deployment = f"s3://{bucket}/dep-{run}"
    Deployment.open(deployment).init()
    Deployment.open(work / "dep").init()
    for i in range(2):
        build_site([SALES], f"{deployment}/site{i}", pyodide=dist)
        build_site([SALES], work / "dep" / f"site{i}", pyodide=dist)
    s3_site, s3_site_n = stored(deployment, "site1/")
    s3_data, _ = stored(deployment, "site1/files/")
    s3_shared, s3_shared_n = stored(deployment, "_shared/")
    site1 = work / "dep" / "site1"
    folder_site = sum(p.stat().st_size for p in site1.rglob("*") if p.is_file())
    folder_data = sum(p.stat().st_size for p in (site1 / "files").rglob("*") if p.is_file())
    print(f"  self-contained, folder        {mb(folder_solo)} per site")
    print(f"  self-contained, S3 (gzip)     {mb(s3_solo)} per site ({s3_solo_n} objects)")
    print(
        f"  deployment site, folder       {mb(folder_site)} per site "
        f"(data + notebooks {mb(folder_data)}, the rest {mb(folder_site - folder_data)})"
    )
    print(
        f"  deployment site, S3 (gzip)    {mb(s3_site)} per site ({s3_site_n} objects; "
        f"data + notebooks {mb(s3_data)}, the rest {mb(s3_site - s3_data)})"
    )
    print(f"  shared once per deployment    {mb(s3_shared)} in S3 ({s3_shared_n} objects)")


def batch(bucket: str, work: Path, prerender: bool) -> None:
    label = "pre-rendered" if prerender else "--no-prerender"
    print(f"\n== 50-site batch ({label}, CDN Pyodide), SeaweedFS against a folder")
    lines = []
    for i in range(50):
        rows = "\n".join(f"{r},{(i * 7 + r) % 13},{r * 1.5}" for r in range(200))
        (work / f"b{i}.csv").write_text("id,group,value\n" + rows + "\n")
        lines.append(f"  - {{name: site{i:02d}, inputs: [b{i}.csv]}}")
    manifest = work / "batch.yaml"
    manifest.write_text("analyses:\n" + "\n".join(lines) + "\n")
    extra = [] if prerender else ["--no-prerender"]
    for label, out in (("folder", str(work / "batch-out")),
                       ("SeaweedFS", f"s3://{bucket}/batch-{uuid.uuid4().hex[:8]}")):  # fmt: skip
        start = time.perf_counter()
        command = [sys.executable, "-m", "minato_lite", "batch", str(manifest), "-o", out, "-q"]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        subprocess.run([*command, *extra], check=True, env=env)
        print(f"  {label:<10} {time.perf_counter() - start:6.1f} s", flush=True)


def visits(bucket: str, endpoint: str, dist: Path, work: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.support import lab
    from tests.support.meter import ByteMeter

    print(f"\n== what a visit downloads, from SeaweedFS (Pyodide {dist.name})")
    run = uuid.uuid4().hex[:8]
    Deployment.open(f"s3://{bucket}/v-{run}").init()
    layouts = {
        "deployment": [f"v-{run}/a", f"v-{run}/b"],
        "self-contained (before)": [f"solo-{run}-a", f"solo-{run}-b"],
    }
    for prefixes in layouts.values():
        for i, prefix in enumerate(prefixes):
            data = work / f"visit{i}.csv"
            data.write_text(SALES.read_text().replace("North", f"North{i}"))
            build_site([data], f"s3://{bucket}/{prefix}", pyodide=dist, title=f"site {i}")
    parts = urlsplit(endpoint)
    meter = ByteMeter((parts.hostname or "127.0.0.1", parts.port or 80))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for layout, prefixes in layouts.items():
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            for nth, prefix in zip(("first", "second"), prefixes, strict=True):
                own, _ = stored(f"s3://{bucket}/{prefix}", "files/")
                meter.reset()
                page = context.new_page()
                page.set_default_timeout(120_000)
                start = time.perf_counter()
                page.goto(f"{meter.url}/{bucket}/{prefix}/index.html")
                lab.wait_for_notebook(page)
                code = "print(df.shape if 'df' in globals() else minato.datasets())"
                lab.append_and_run(page, code, timeout_s=180)
                seconds = time.perf_counter() - start
                page.close()
                sent = meter.reset()
                print(f"  {layout:<24} {nth} site: {mb(sent)} in {seconds:4.0f} s "
                      f"(its data + notebooks {mb(own)}; beyond them {mb(sent - own)})",
                      flush=True)  # fmt: skip
            context.close()
        browser.close()
    meter.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("parts", nargs="*", default=["storage", "batch", "visits"])
    parser.add_argument("--prerender", action="store_true", help="batch: pre-render (default off)")
    args = parser.parse_args()
    dist = pyodide()
    with running_seaweedfs() as weed, tempfile.TemporaryDirectory(prefix="minato-dep-") as tmp:
        os.environ.update(weed.env())
        work = Path(tmp)
        print(f"SeaweedFS at {weed.endpoint} (up in {weed.started_in:.1f} s); "
              f"{os.cpu_count()} cores")  # fmt: skip
        if "storage" in args.parts:
            storage(weed.bucket, dist, work)
        if "batch" in args.parts:
            batch(weed.bucket, work, args.prerender)
        if "visits" in args.parts:
            visits(weed.bucket, weed.endpoint, dist, work)


if __name__ == "__main__":
    main()
