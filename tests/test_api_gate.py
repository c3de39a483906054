"""The API's gate and its answers under pressure: what it refuses before it reads, how a
burst is bounded and ordered, what a failing store answers, what it never serves, and
the answer that comes before the analysis.

Memory is measured on a real `python -m minato_lite api` process (VmRSS and VmHWM of
/proc/<pid>/status); requests whose bytes matter (a body not sent yet, a path that is
not normalised) go over raw sockets, since an HTTP client would send the body at once
or normalise the path. Everything else runs against uvicorn on 127.0.0.1 in this
process, without pre-rendering unless the analysis is the point.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import select
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import nbformat
import pytest

from minato_lite.markup import html_text
from minato_lite.report import ANALYSIS_PENDING_MESSAGE
from minato_lite.serve.api import Settings, create_app
from minato_lite.serve.api.state import ApiState
from minato_lite.serve.static import BackgroundServer
from tests.support.api_servers import api_servers
from tests.support.cli import run_cli

MB = 1024 * 1024
ROWS = [{"region": "North", "units": 3}, {"region": "South", "units": 5}]
POST = "/api/insights/python-sandbox"
TOKEN = "gate-test-token"
#: what the server may grow by while refusing three 47 MB bodies it must never hold
REFUSED_GROWTH = 60 * MB
#: what one admitted request may hold at its peak, in bodies: the body, its decoded text,
#: the parsed rows, and the site built from them (the data as CSV, its profile, the staged
#: files). Measured: one 20 MB request of long strings raises the server's peak by about
#: 8x its body, one admitted behind it (read, waiting for the build slot) by about 3x
PER_REQUEST_FACTOR = 8
MARGIN = 60 * MB


def payload(**overrides) -> dict:
    return {"code": "df.groupby('region').units.sum()", "data": ROWS,
            "analysisType": "descriptive", **overrides}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- raw HTTP/1.1, for requests whose bytes on the wire are the point -------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def open_request(
    port: int,
    method: str,
    path: str,
    *,
    length: int | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> socket.socket:
    """A connection that has sent a request's head (and `body`, if given), nothing more."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if length is not None or body:
        lines += ["Content-Type: application/json",
                  f"Content-Length: {len(body) if length is None else length}"]  # fmt: skip
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    return sock


def read_answer(sock: socket.socket, timeout: float) -> Answer:
    """One HTTP response from `sock` (with a Content-Length body)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the server closed the connection after {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Answer(int(status_line.split()[1]), headers, rest[:length])


def push(sock: socket.socket, body: bytes) -> int:
    """Send `body`, however much of it the server takes; the bytes it took."""
    sent = 0
    view = memoryview(body)
    try:
        while sent < len(body):
            sent += sock.send(view[sent : sent + MB])
    except OSError:  # the server closed the connection: fine, it refused the body
        pass
    return sent


def raw_get(base_url: str, path: str) -> int:
    """GET `path` exactly as written (no dot-segment removal, no re-encoding)."""
    host, port = base_url.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def port_of(client: httpx.Client) -> int:
    return int(client.base_url.port or 80)


def is_positive_integer(text: str | None) -> bool:
    return bool(text) and str(text).isdigit() and int(str(text)) > 0


# -- servers ------------------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path):
    with api_servers(tmp_path, prerender=False) as start:
        yield start


@dataclass
class ApiProcess:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def memory(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) of the server process, in bytes."""
        found = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) * 1024
        return found["VmRSS"], found["VmHWM"]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def api_process(tmp_path) -> Iterator:
    """`python -m minato_lite api` on a free port, sites in tmp, waited for until healthy."""
    started: list[ApiProcess] = []

    def start(*options: str, env: dict[str, str] | None = None) -> ApiProcess:
        port = free_port()
        log = tmp_path / f"api-{len(started)}.log"
        base = {k: v for k, v in os.environ.items() if k != "MINATO_LITE_TOKEN"}
        with open(log, "wb") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "minato_lite", "api", "--sites-dir",
                 str(tmp_path / f"sites-{len(started)}"), "--port", str(port), "--no-prerender",
                 *options],
                stdout=handle, stderr=subprocess.STDOUT, env={**base, **(env or {})},
            )  # fmt: skip
        server = ApiProcess(process, port, log)
        started.append(server)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(server.url + "healthz", timeout=5).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the API did not start: {log.read_text()}"
            time.sleep(0.2)

    yield start
    for server in started:
        stop(server.process)


# -- 1, 2: the gate refuses before it reads, and a burst is bounded ----------------------------


def test_a_wrong_token_is_refused_before_any_body_byte_is_read(api_process):
    server = api_process(env={"MINATO_LITE_TOKEN": TOKEN})
    wrong = {"Authorization": "Bearer not-the-token"}
    for _ in range(3):  # warm: the refusal's own code paths are loaded before idle is measured
        assert httpx.post(server.url + POST[1:], json=payload(), headers=wrong).status_code == 401
    idle_rss, idle_hwm = server.memory()
    size = 47 * MB
    head, tail = b'{"code": "df", "data": [{"text": "', b'"}]}'
    body = head + b"x" * (size - len(head) - len(tail)) + tail  # valid JSON, 47 MB

    # three connections send a 47 MB request's head and not one byte of its body: the 401 comes
    connections = [open_request(server.port, "POST", POST, length=size, headers=wrong)
                   for _ in range(3)]  # fmt: skip
    refusals = [read_answer(sock, timeout=15) for sock in connections]
    assert [a.status for a in refusals] == [401] * 3, refusals
    assert all(a.headers.get("www-authenticate") == "Bearer" for a in refusals)
    assert all(json.loads(a.body)["error"] == "missing or wrong bearer token" for a in refusals)

    # the three clients then send their bodies anyway, at once: the server discards them
    with ThreadPoolExecutor(3) as pool:
        pushed = list(pool.map(lambda sock: push(sock, body), connections))
    # the same connections still answer: every pushed byte went through the server, unheld
    for sock, sent in zip(connections, pushed, strict=True):
        if sent == size:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert read_answer(sock, timeout=30).status == 200
        sock.close()

    # and three ordinary clients posting 47 MB each, concurrently, get the 401 (or, had the
    # server closed the connection after sending it, a closed connection)
    def ordinary() -> int | str:
        try:
            headers = {**wrong, "Content-Type": "application/json"}
            answer = httpx.post(server.url + POST[1:], content=body, headers=headers, timeout=60)
            return answer.status_code
        except httpx.TransportError as exc:
            return f"closed: {type(exc).__name__}"

    with ThreadPoolExecutor(3) as pool:
        codes = list(pool.map(lambda _: ordinary(), range(3)))
    rss, peak = server.memory()
    figures = (
        f"idle VmRSS {idle_rss / MB:.0f} MB (VmHWM {idle_hwm / MB:.0f} MB), after six 47 MB "
        f"bodies with a wrong token: VmHWM {peak / MB:.0f} MB, VmRSS {rss / MB:.0f} MB, "
        f"pushed {[p // MB for p in pushed]} MB, ordinary clients got {codes}"
    )
    print(figures)
    assert all(c == 401 or str(c).startswith("closed") for c in codes), figures
    assert peak <= max(idle_hwm, idle_rss + REFUSED_GROWTH), figures


def test_a_burst_of_large_posts_is_bounded_by_the_body_slots_and_the_rest_get_429(api_process):
    builds, waiting, burst, size = 1, 4, 12, 20 * MB
    slots = Settings(sites_dir="unused", max_builds=builds).body_slots  # 2 per build slot
    assert slots == 2 * builds
    server = api_process("--max-body", "50MB", "--max-builds", str(builds), "--max-queue",
                         str(waiting), env={"MINATO_LITE_TOKEN": TOKEN})  # fmt: skip
    auth = {"Authorization": f"Bearer {TOKEN}"}
    warm = httpx.post(server.url + POST[1:], json=payload(), headers=auth, timeout=120)
    assert warm.status_code == 201, warm.text  # the build's code is loaded before idle
    idle_rss, idle_hwm = server.memory()
    rows = [{"region": "North", "note": "x" * 100_000} for _ in range(size // 100_000)]
    body = json.dumps(payload(data=rows, code="df.describe()")).encode()
    assert size - MB < len(body) < size + MB

    # twelve requests arrive, one after another, heads first: the first `slots` are read, the
    # next `waiting` wait without a byte read, and the rest are refused at once
    connections = []
    for _ in range(burst):
        connections.append(open_request(server.port, "POST", POST, length=len(body), headers=auth))
        time.sleep(0.05)
    admitted, refused = connections[: slots + waiting], connections[slots + waiting :]
    answers = [read_answer(sock, timeout=15) for sock in refused]
    assert [a.status for a in answers] == [429] * len(refused), answers
    assert all(is_positive_integer(a.headers.get("retry-after")) for a in answers), answers
    early, _, _ = select.select(admitted, [], [], 0.3)
    assert early == []  # nothing admitted has been answered: its body is not even sent

    # now every client sends its 20 MB at once
    started = time.monotonic()
    with ThreadPoolExecutor(burst) as pool:
        pushes = [pool.submit(push, sock, body) for sock in connections]
        results = [read_answer(sock, timeout=180) for sock in admitted]
        pushed = [p.result() for p in pushes]
    seconds = time.monotonic() - started
    for sock in connections:
        sock.close()
    rss, peak = server.memory()
    # at most `slots` requests are past the gate at once, whatever the burst
    bound = idle_rss + slots * PER_REQUEST_FACTOR * size + MARGIN
    figures = (
        f"idle VmRSS {idle_rss / MB:.0f} MB (VmHWM {idle_hwm / MB:.0f} MB); {burst} POSTs of "
        f"{len(body) / MB:.0f} MB, {slots} body slots: peak VmHWM {peak / MB:.0f} MB, bound "
        f"{bound / MB:.0f} MB, VmRSS after {rss / MB:.0f} MB, {seconds:.1f} s; Retry-After "
        f"{[a.headers['retry-after'] for a in answers]}"
    )
    print(figures)
    assert [r.status for r in results] == [201] * len(admitted), [r.body[:300] for r in results]
    assert pushed[: len(admitted)] == [len(body)] * len(admitted)
    # twelve held bodies would be at least twelve times the body twice over (bytes + rows)
    assert bound < idle_rss + burst * 2 * size
    assert peak <= bound, figures


# -- 3, 4: the token's scheme, and the order of the line ---------------------------------------


def test_bearer_is_matched_case_insensitively_and_other_schemes_are_refused(api):
    client, _ = api(token=TOKEN)
    missing = "api/sites/no-such-site"  # past the gate: 404; stopped at it: 401
    for scheme in ("Bearer", "bearer", "BEARER", "bEaReR"):
        answer = client.get(missing, headers={"Authorization": f"{scheme} {TOKEN}"})
        assert answer.status_code == 404, (scheme, answer.text)
    created = client.post(POST[1:], json=payload(), headers={"Authorization": f"bearer {TOKEN}"})
    assert created.status_code == 201, created.text
    for refused in (f"Token {TOKEN}", f"Basic {TOKEN}", TOKEN, f"Bearer{TOKEN}", "Bearer",
                    f"Bearer {TOKEN.upper()}", f"Bearer {TOKEN}x"):  # fmt: skip
        answer = client.get(missing, headers={"Authorization": refused})
        assert answer.status_code == 401, refused
    assert client.get(missing).status_code == 401


def test_requests_are_answered_in_the_order_they_arrived(api):
    client, settings = api(max_builds=1)
    assert settings.body_slots == 2
    port, count = port_of(client), 6

    def answered(sock: socket.socket) -> tuple[float, Answer]:
        assert select.select([sock], [], [], 120)[0], "no answer"  # its first byte is here
        when = time.monotonic()
        return when, read_answer(sock, timeout=30)

    connections = []
    with ThreadPoolExecutor(count) as pool:
        waits = []
        for i in range(count):  # one after another, a little apart: the order they arrive in
            body = json.dumps(payload(title=f"request {i}")).encode()
            connections.append(open_request(port, "POST", POST, body=body))
            waits.append(pool.submit(answered, connections[-1]))
            time.sleep(0.05)
        results = [w.result() for w in waits]
    for sock in connections:
        sock.close()
    assert [a.status for _, a in results] == [201] * count, [a.body for _, a in results]
    times = [when for when, _ in results]
    assert times == sorted(times), times
    ids = [json.loads(a.body)["id"] for _, a in results]
    created = [client.get(f"api/sites/{site_id}").json()["created"] for site_id in ids]
    assert created == sorted(created), created


# -- 5, 6: a failing store -----------------------------------------------------------------------


class _Pump(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        relay: Relay = self.server  # type: ignore[assignment]
        if not relay.up:
            return  # cut: the connection is closed without a byte
        upstream = socket.create_connection(relay.upstream, timeout=30)
        relay.track(self.request, upstream)

        def copy(source: socket.socket, sink: socket.socket) -> None:
            try:
                while chunk := source.recv(65536):
                    sink.sendall(chunk)
            except OSError:
                pass
            finally:
                for sock in (source, sink):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=copy, args=(upstream, self.request), daemon=True)
        back.start()
        copy(self.request, upstream)
        back.join(timeout=30)
        upstream.close()


class Relay(socketserver.ThreadingTCPServer):
    """A TCP relay to the S3 service that can be cut (every connection through it closed, new
    ones closed at once) and restored: the store failing under a running API."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _Pump)
        self.upstream = upstream
        self.up = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._open.update(socks)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.shutdown()
        self.server_close()


#: one prefix for the module: the shared app is stored once, by the first test that needs it
S3_PREFIX = f"gate-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def s3_api(s3_env, monkeypatch, api) -> Iterator[tuple[httpx.Client, Relay, str]]:
    """An API whose sites are in SeaweedFS, reached through a relay the test can cut."""
    host, port = s3_env.endpoint.removeprefix("http://").split(":")
    relay = Relay((host, int(port)))
    monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)
    client, _ = api(sites_dir=f"s3://{s3_env.bucket}/{S3_PREFIX}")
    try:
        yield client, relay, s3_env.endpoint
    finally:
        relay.close()


def assert_store_unavailable(answer: httpx.Response, *internals: str) -> None:
    assert answer.status_code == 503, answer.text
    assert is_positive_integer(answer.headers.get("retry-after")), answer.headers
    error = answer.json()["error"]
    assert "store" in error and "retry" in error, error
    for internal in internals:
        assert internal not in answer.text, (internal, answer.text)
    assert "/" not in error and "s3" not in error.lower(), error


def test_a_store_failure_is_503_with_retry_after_and_no_internals(s3_api, s3_env):
    client, relay, endpoint = s3_api
    created = client.post(POST[1:], json=payload())
    assert created.status_code == 201, created.text
    site_id = created.json()["id"]
    ports = (relay.url.rsplit(":", 1)[1], endpoint.rsplit(":", 1)[1])
    internals = (s3_env.bucket, S3_PREFIX, endpoint, relay.url, "127.0.0.1", *ports, "_minato",
                 site_id)  # fmt: skip
    relay.cut()
    assert_store_unavailable(client.get(f"api/sites/{site_id}"), *internals)
    assert_store_unavailable(client.delete(f"api/sites/{site_id}"), *internals)
    assert_store_unavailable(client.post(POST[1:], json=payload()), *internals)
    relay.restore()
    assert client.get(f"api/sites/{site_id}").status_code == 200  # nothing was lost


def test_404_is_only_for_a_site_that_does_not_exist_never_for_a_failing_store(s3_api):
    client, relay, _ = s3_api
    created = client.post(POST[1:], json=payload())
    assert created.status_code == 201, created.text
    site_id, missing = created.json()["id"], "A" * 22  # a well-formed id no site has
    assert client.get(f"api/sites/{missing}").status_code == 404
    assert client.delete(f"api/sites/{missing}").status_code == 404
    relay.cut()
    for answer in (client.get(f"api/sites/{site_id}"), client.delete(f"api/sites/{site_id}"),
                   client.get(f"api/sites/{missing}")):  # fmt: skip
        assert answer.status_code == 503, answer.text  # unknown, so never "gone"
    for not_a_name in ("_minato", "_shared", ".hidden", "x" * 65):  # no site can have it
        assert client.get(f"api/sites/{not_a_name}").status_code == 404, not_a_name
    relay.restore()
    assert client.get(f"api/sites/{site_id}").status_code == 200
    assert client.get(f"api/sites/{missing}").status_code == 404


# -- 7: the sandbox boots off the event loop -----------------------------------------------------


@dataclass
class SandboxApi:
    client: httpx.Client
    settings: Settings
    state: ApiState
    server: BackgroundServer


@pytest.fixture(scope="module")
def sandbox_api(tmp_path_factory) -> Iterator:
    """An API with the WebAssembly sandbox, shared by the tests that execute code (its pool
    boots once); `cold=True` gives one whose pool has not started yet."""
    from tests.support.sandbox import sandbox_pyodide

    pyodide = str(sandbox_pyodide())
    started: list[SandboxApi] = []

    def get(cold: bool = False) -> SandboxApi:
        if started and not (cold and started[-1].state._pool is not None):
            return started[-1]
        settings = Settings(sites_dir=tmp_path_factory.mktemp("sandbox") / "sites",
                            pyodide=pyodide, max_builds=2, prerender=False)  # fmt: skip
        gate = create_app(settings)
        state = gate.app.state.api  # type: ignore[attr-defined]
        server = BackgroundServer(gate).start()
        client = httpx.Client(base_url=server.url, timeout=300)
        started.append(SandboxApi(client, settings, state, server))
        return started[-1]

    yield get
    for api in started:
        api.client.close()
        api.server.close()


@pytest.mark.sandbox
def test_healthz_answers_at_once_while_the_sandbox_boots(sandbox_api):
    api = sandbox_api(cold=True)
    client = api.client
    assert api.state._pool is None  # the first "execute" request boots it
    result: list[httpx.Response] = []
    poster = threading.Thread(target=lambda: result.append(client.post(
        POST[1:], json=payload(code="print(len(df))", execute=True), timeout=300)))  # fmt: skip
    poster.start()
    latencies = []
    with httpx.Client(base_url=str(client.base_url), timeout=5) as health:
        while poster.is_alive():
            start = time.monotonic()
            answer = health.get("healthz")
            latencies.append(time.monotonic() - start)
            assert answer.status_code == 200
            time.sleep(0.1)
    poster.join()
    assert result and result[0].status_code == 201, result
    assert result[0].json()["ok"] is True, result[0].json()
    print(f"{len(latencies)} health checks while the sandbox booted and ran, slowest "
          f"{max(latencies):.3f} s")  # fmt: skip
    assert len(latencies) >= 5  # the boot took a while, and the loop answered throughout
    assert max(latencies) < 0.5, sorted(latencies)[-5:]


# -- 8, 9: never served, never echoed -------------------------------------------------------------


def test_bookkeeping_is_refused_after_the_path_is_normalised(api):
    client, settings = api()
    created = client.post(POST[1:], json=payload())
    assert created.status_code == 201
    site_id = created.json()["id"]
    assert (settings.sites_dir / "_minato" / "deployment.json").is_file()
    base, folder = str(client.base_url), settings.sites_dir.name
    assert raw_get(base, f"/sites/{site_id}/index.html") == 200
    assert raw_get(base, f"/sites/{site_id}/./index.html") == 200  # normalised, still a site
    for path in (
        "/sites/_minato/deployment.json",
        "/sites/./_minato/deployment.json",
        "/sites/%2e/_minato/deployment.json",
        "/sites/%2E/_minato/deployment.json",
        "/sites//_minato/deployment.json",
        "/sites/%2f_minato/deployment.json",
        "/sites/x/../_minato/deployment.json",
        "/sites/x/%2e%2e/_minato/deployment.json",
        f"/sites/{site_id}/../_minato/deployment.json",
        f"/sites/{site_id}/../_minato/sites/{site_id}.json",
        "/sites/%5f%6dinato/deployment.json",
        # out of the folder and back in through its own name, as the static server resolves it
        f"/sites/.%2e/{folder}/_minato/deployment.json",
        f"/sites/%2e%2e/{folder}/_minato/deployment.json",
        f"/sites/x/../../{folder}/_minato/deployment.json",
    ):
        assert raw_get(base, path) == 404, path


def test_a_422_names_the_field_and_does_not_echo_the_input(api):
    client, _ = api()
    marker = "ECHO" + "x" * (MB - 4)
    cases = {
        "code": {**payload(), "code": [marker]},  # a megabyte string where a string goes, in a list
        "padding": {**payload(), "padding": marker},  # an unknown field with a large value
        "data": {**payload(), "data": marker},
        "title": {**payload(), "title": marker},  # too long
    }
    for field, body in cases.items():
        answer = client.post(POST[1:], json=body)
        assert answer.status_code == 422, answer.text[:300]
        assert answer.json()["field"].startswith(field), answer.json()
        assert answer.json()["error"].startswith(field)
        assert len(answer.content) < 2048, (field, len(answer.content))
        assert "ECHOxxx" not in answer.text and "xxxxxxxx" not in answer.text, field
    # the input's own keys are input too: a long unknown name is named, not echoed whole,
    # and many of them make an answer of bounded size (at most 20 details)
    long_name = "K" * 100_000
    many = {f"{i}{long_name}": i for i in range(30)}
    for body, limit in (({**payload(), long_name: 1}, 2048), ({**payload(), **many}, 8192)):
        answer = client.post(POST[1:], json=body)
        assert answer.status_code == 422, answer.text[:300]
        assert len(answer.content) < limit, (len(answer.content), answer.text[:300])
        assert "K" * 100 not in answer.text, answer.text[:300]


# -- 10: the guest's malformed output --------------------------------------------------------------


@pytest.mark.sandbox
def test_a_malformed_output_appended_by_the_guest_is_the_users_error_not_a_500(sandbox_api):
    api = sandbox_api()
    client, settings = api.client, api.settings
    # the running job's Outputs is the cell runner's `_current`, reachable from the
    # namespace's `display` (the runner is run into a dict, not imported as a module)
    code = ("print('before')\n"
            "display.__globals__['_current'].append({'output_type': 'bogus', 'x': 1})\n"
            "print('after')")  # fmt: skip
    created = client.post(POST[1:], json=payload(code=code, execute=True), timeout=300)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["ok"] is False and answer["error"]["ename"] == "MalformedOutput", answer
    assert all(o.get("output_type") != "bogus" for o in answer["outputs"])
    text = (settings.sites_dir / answer["id"] / "files" / "code.ipynb").read_text("utf-8")
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    shown = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert any(o.get("ename") == "MalformedOutput" for o in shown), shown


# -- 11: the answer before the analysis ----------------------------------------------------------


CHART = re.compile(r'<img src="data:image/(png|svg\+xml);base64,')


def test_the_answer_comes_before_the_analysis_and_the_analysis_follows(api):
    client, _ = api(prerender=True, max_builds=1)
    pending = html_text(ANALYSIS_PENDING_MESSAGE)
    started = time.monotonic()
    created = client.post(POST[1:], json=payload(analysisType="comprehensive"))
    answered_in = time.monotonic() - started
    assert created.status_code == 201, created.text
    site = created.json()
    assert site["pending"] == ["analysis"]
    report = client.get(site["url"]).text
    meta = client.get(f"api/sites/{site['id']}").json()
    assert pending in report and not CHART.search(report)
    assert meta["analysis_state"] == "pending" and meta["pending"] == ["analysis"], meta
    deadline = time.monotonic() + 180
    while (meta := client.get(f"api/sites/{site['id']}").json())["analysis_state"] != "done":
        assert meta["analysis_state"] == "pending", meta
        assert time.monotonic() < deadline, "the analysis never finished"
        time.sleep(0.5)
    drawn_in = time.monotonic() - started
    assert meta["pending"] == []
    report = client.get(site["url"]).text
    assert pending not in report and CHART.search(report), report[:500]
    print(f"answered in {answered_in:.1f} s, the analysis drawn {drawn_in:.1f} s after the POST")

    whole = client.post(POST[1:], json=payload(analysisType="comprehensive", wait="analysis"))
    assert whole.status_code == 201, whole.text
    assert whole.json()["pending"] == []
    report = client.get(whole.json()["url"]).text
    assert pending not in report and CHART.search(report)
    assert client.get(f"api/sites/{whole.json()['id']}").json()["analysis_state"] == "done"


# -- 12: the token of the command line -------------------------------------------------------------


class Lines:
    """A process's stdout, line by line, read in a thread (a pipe read ahead defeats select)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.seen.append(line)
            self.lines.put(line)

    def until(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first line (from here on) that matches `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no line matched {pattern!r} in {self.seen}"
            try:
                found = re.fullmatch(pattern, self.lines.get(timeout=left).rstrip("\n"))
            except queue.Empty:
                continue
            if found:
                return found

    def all(self) -> str:
        self._thread.join(timeout=30)
        return "".join(self.seen)


def launch(tmp_path: Path, name: str, *options: str) -> tuple[subprocess.Popen, Lines, str]:
    """`minato-lite api` on all interfaces without MINATO_LITE_TOKEN; its output read as it
    comes (stderr with stdout), and the URL to reach it on 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if k != "MINATO_LITE_TOKEN"}
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "minato_lite", "api", "--sites-dir", str(tmp_path / name),
         "--host", "0.0.0.0", "--port", str(port), "--no-prerender", *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    return process, Lines(process), f"http://127.0.0.1:{port}/"


def test_the_cli_generates_a_token_beyond_loopback_reads_a_token_file_and_refuses_an_empty_one(
    tmp_path,
):
    missing = "api/sites/no-such-site"  # past the gate: 404
    token_file, empty = tmp_path / "token", tmp_path / "empty-token"
    token_file.write_text("  from-a-file\n")
    empty.write_text(" \n")
    # both servers start at once (each start is seconds of imports)
    generating, generated_out, generating_url = launch(tmp_path, "open")
    filed, filed_out, filed_url = launch(tmp_path, "filed", "--token-file", str(token_file))
    try:
        generated_out.until(r"minato-lite API at http://0\.0\.0\.0:\d+/ .*", 60)
        shown = r"minato-lite API token \(generated, shown once\): (\S+)"
        token = generated_out.until(shown, 30)[1]
        assert len(token) >= 32
        assert httpx.get(generating_url + missing).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(generating_url + missing, headers=wrong).status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(generating_url + missing, headers=auth).status_code == 404
        created = httpx.post(generating_url + POST[1:], json=payload(), headers=auth, timeout=120)
        assert created.status_code == 201, created.text

        filed_out.until(r"minato-lite API at http://0\.0\.0\.0:\d+/ .*", 60)
        assert httpx.get(filed_url + missing).status_code == 401
        auth = {"Authorization": "Bearer from-a-file"}
        assert httpx.get(filed_url + missing, headers=auth).status_code == 404
    finally:
        stop(generating)
        stop(filed)
    assert generated_out.all().count(token) == 1  # shown once, and only once
    # the file's token, never shown, and none generated although it listened beyond loopback
    assert "from-a-file" not in filed_out.all() and "generated" not in filed_out.all()

    result = run_cli("api", "--sites-dir", str(tmp_path / "never"), "--token-file", str(empty),
                     "--port", str(free_port()), env={"MINATO_LITE_TOKEN": ""},
                     timeout=60)  # fmt: skip
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and "is empty" in result.stderr, result.stderr
    assert result.stderr.startswith("minato-lite: error: --token-file ")
    assert result.stdout == ""
