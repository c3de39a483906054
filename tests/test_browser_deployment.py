"""Two sites of one deployment, opened in Chromium straight from SeaweedFS, as a CDN would.

The browser reaches SeaweedFS's S3 endpoint through a byte meter (a TCP relay
that copies SeaweedFS's responses unchanged and counts them), so what a visit
costs is measured at the server: page, kernel worker and service worker
requests alike, headers included, compressed as stored.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from minato_lite import build_site
from minato_lite.publish.deployment import Deployment
from tests.conftest import OffOriginWatch
from tests.support.meter import ByteMeter
from tests.support.visits import visit_then_go_live

pytestmark = pytest.mark.browser

#: the issue's budget for a second site of a deployment, beyond its own data and notebooks
SECOND_VISIT_BUDGET = 1_000_000
CSV = "city,visitors\nOsaka,120\nKyoto,85\nNara,40\n"


def test_a_second_site_of_a_bucket_deployment_costs_only_its_own_files(
    s3_env, assembled_pyodide: Path, browser, outside_proxy, tmp_path: Path
):
    prefix = f"v-{uuid.uuid4().hex[:10]}"
    location = f"s3://{s3_env.bucket}/{prefix}"
    deployment = Deployment.open(location).init()
    for name in ("first", "second"):
        data = tmp_path / f"{name}.csv"
        data.write_text(CSV.replace("Kyoto", name.capitalize()), encoding="utf-8")
        build_site([data], f"{location}/{name}", pyodide=assembled_pyodide, prerender=False)
    endpoint = urlsplit(s3_env.endpoint)
    meter = ByteMeter((endpoint.hostname or "127.0.0.1", endpoint.port or 80))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        watch = OffOriginWatch(context, outside_proxy, meter.url)
        failed: list[tuple[str, int]] = []
        context.on("response", lambda r: failed.append((r.url, r.status)) if r.status >= 400
                   else None)  # fmt: skip
        costs = {}
        live_after_warmup = 0
        for name in ("first", "second"):
            start = time.perf_counter()
            warmed, live, ran = visit_then_go_live(
                context,
                f"{meter.url}/{s3_env.bucket}/{prefix}/{name}/index.html",
                meter,
                "print(minato.datasets(), minato.records(minato.datasets()[0])[1])",
            )
            assert f"'city': '{name.capitalize()}'" in ran, ran
            if name == "first":
                live_after_warmup = live
                assert warmed > 10_000_000, warmed  # the app's bundles and Pyodide with pandas
            costs[name] = (warmed + live, time.perf_counter() - start)
        own = sum(i.size for i in deployment.store.list("second/files/"))
        first, second = costs["first"][0], costs["second"][0]
        print(
            f"\nfirst visit {first / 1e6:.2f} MB in {costs['first'][1]:.0f} s; second site "
            f"{second / 1e3:.0f} KB in {costs['second'][1]:.0f} s (its data and notebooks: "
            f"{own / 1e3:.0f} KB); the first live open after the warm-up "
            f"{live_after_warmup / 1e6:.2f} MB"
        )
        assert second - own <= SECOND_VISIT_BUDGET, (first, second, own)
        # what the warm-up fetched the live open found cached: the shared URLs were the lab's
        assert live_after_warmup < 0.2 * first, (live_after_warmup, first)
        assert failed == [], failed
        assert watch.outside() == [], watch.outside()
    finally:
        context.close()
        meter.close()
