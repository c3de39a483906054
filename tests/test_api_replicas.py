"""The API scaled out: replicas (real `minato-lite api` processes) sharing one bucket.

Everything a replica needs of another is in the store (SeaweedFS here):
metadata, deletion and expiry work from any replica, and a replica killed
with SIGKILL in the middle of a build leaves nothing a visitor can open,
which another replica's sweep removes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from minato_lite.publish.deployment import PENDING
from minato_lite.publish.shared import INVENTORY
from minato_lite.store import open_store

ROWS = [{"region": "North", "units": 3}, {"region": "South", "units": 5}]
POST = "api/insights/python-sandbox"


@dataclass
class Replica:
    process: subprocess.Popen
    client: httpx.Client
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def replicas(s3_env, tmp_path: Path) -> Iterator:
    started: list[Replica] = []

    def start(location: str, *options: str, prerender: bool = False) -> Replica:
        port = free_port()
        log = tmp_path / f"replica-{len(started)}.log"
        with open(log, "wb") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "minato_lite", "api", "--sites-dir", location,
                 "--port", str(port), *([] if prerender else ["--no-prerender"]), *options],
                stdout=handle, stderr=subprocess.STDOUT, env=dict(os.environ),
            )  # fmt: skip
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}/", timeout=120)
        replica = Replica(process, client, log)
        started.append(replica)
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("healthz").status_code == 200:
                    return replica
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the replica did not start: {log.read_text()}"
            time.sleep(0.2)

    yield start
    for replica in started:
        replica.client.close()
        if replica.process.poll() is None:
            replica.process.terminate()
            try:
                replica.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait(timeout=10)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_until(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_two_replicas_on_one_bucket_create_read_delete_and_expire(replicas, s3_env):
    location = f"s3://{s3_env.bucket}/r-{uuid.uuid4().hex[:10]}"
    one = replicas(location, "--stale-after", "5m")
    two = replicas(location, "--stale-after", "5m", "--ttl", "8s")
    created = one.client.post(POST, json={"code": "df", "data": ROWS, "title": "Shared"})
    assert created.status_code == 201, created.text
    site_id, url = created.json()["id"], created.json()["url"]
    assert url == f"{s3_env.endpoint}/{location[5:]}/{site_id}/index.html"
    assert status_of(url) == 200  # straight from the bucket, as a CDN would fetch it
    meta = two.client.get(f"api/sites/{site_id}")
    assert meta.status_code == 200 and meta.json()["title"] == "Shared", meta.text
    assert meta.json()["url"] == url
    assert two.client.get("sites/anything").status_code == 404  # a bucket serves its sites
    assert two.client.delete(f"api/sites/{site_id}").status_code == 204
    assert one.client.get(f"api/sites/{site_id}").status_code == 404
    assert status_of(url) == 404
    # expiry: the other replica's sweep removes what this one made
    later = one.client.post(POST, json={"code": "df", "data": ROWS}).json()
    assert status_of(later["url"]) == 200
    wait_until(lambda: one.client.get(f"api/sites/{later['id']}").status_code == 404,
               "the TTL sweep of the other replica", timeout=60)  # fmt: skip
    assert status_of(later["url"]) == 404
    assert list(open_store(location).list(f"{later['id']}/")) == []


def test_a_replica_killed_mid_build_leaves_no_visible_site_and_another_cleans_up(replicas, s3_env):
    # a fresh prefix: the first build stores the shared app (seconds), so the kill lands
    # in the middle of a publish
    location = f"s3://{s3_env.bucket}/k-{uuid.uuid4().hex[:10]}"
    store = open_store(location)
    doomed = replicas(location)
    survivor = replicas(location, "--stale-after", "3s")
    answers: list = []

    def post() -> None:
        try:
            answers.append(doomed.client.post(POST, json={"code": "df", "data": ROWS}))
        except httpx.TransportError as exc:
            answers.append(exc)

    poster = threading.Thread(target=post, daemon=True)
    poster.start()
    pending: list[str] = []
    wait_until(lambda: bool(pending.extend(i.key for i in store.list(PENDING)) or pending),
               "a publish to start", timeout=120)  # fmt: skip
    os.kill(doomed.process.pid, signal.SIGKILL)
    doomed.process.wait(timeout=10)
    poster.join(timeout=30)
    assert answers and isinstance(answers[0], httpx.TransportError), answers
    site_id = pending[0][len(PENDING) : -len(".json")]
    assert not store.exists(f"{site_id}/index.html")
    # the kill lands while the shared app is uploaded (seconds), which the next build finishes
    # the survivor's sweep removes the dead publish
    wait_until(lambda: not list(store.list(PENDING)), "the sweep", timeout=60)
    assert list(store.list(f"{site_id}/")) == []
    assert survivor.client.get(f"api/sites/{site_id}").status_code == 404
    # and its next build completes the half-stored app: every file its inventory lists
    created = survivor.client.post(POST, json={"code": "df", "data": ROWS})
    assert created.status_code == 201, created.text
    assert status_of(created.json()["url"]) == 200
    (inventory,) = [i.key for i in store.list() if i.key.endswith(f"/{INVENTORY}")]
    listed = json.loads(store.get(inventory))["files"]
    folder = inventory[: -len(INVENTORY)]
    stored = {i.key[len(folder) :] for i in store.list(folder)}
    assert set(listed) <= stored


@pytest.mark.parametrize("where", ["folder", "bucket"])
def test_a_replica_killed_between_the_answer_and_the_analysis_leaves_a_correct_report(
    replicas, s3_env, tmp_path: Path, where: str
):
    """The code's answer is published first; SIGKILL before the analysis is: the report
    is whole, says the analysis is on its way, and another replica says it never came."""
    from minato_lite.report import ANALYSIS_PENDING_MESSAGE

    location = (str(tmp_path / "sites") if where == "folder"
                else f"s3://{s3_env.bucket}/phases-{uuid.uuid4().hex[:8]}")  # fmt: skip
    one = replicas(location, prerender=True)
    rows = [{"station": f"s{i % 7}", "rentals": i % 97, "rain": i % 3 == 0}
            for i in range(3000)]  # fmt: skip
    code = "print('ANSWER', int(df['rentals'].sum()))"
    created = one.client.post(POST, json={"code": code, "data": rows})
    one.process.send_signal(signal.SIGKILL)  # the answer is in: the analysis is not drawn yet
    one.process.wait(timeout=10)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["pending"] == ["analysis"]
    store = open_store(location)
    report = store.get(f"{answer['id']}/index.html").decode()
    assert report.rstrip().endswith("</html>")  # whole, never torn
    assert ANALYSIS_PENDING_MESSAGE in report
    assert "<img" not in report.split('id="analysis"', 1)[1]  # not drawn: said so, not faked
    notebooks = {k.key.rsplit("/", 1)[-1] for k in store.list(f"{answer['id']}/files/")}
    assert {"analysis.ipynb", "code.ipynb", "explorer.ipynb"} <= notebooks  # live links work
    other = replicas(location, "--stale-after", "2s")
    meta = other.client.get(f"api/sites/{answer['id']}").json()
    assert meta["analysis_state"] in ("pending", "not completed"), meta
    wait_until(lambda: other.client.get(f"api/sites/{answer['id']}").json()["analysis_state"]
               == "not completed", "the analysis to be said not completed", timeout=30)  # fmt: skip
    time.sleep(3)  # past --stale-after: the sweep keeps a complete site
    assert other.client.get(f"api/sites/{answer['id']}").status_code == 200
