"""What one API process is told: where its sites live, who may call it, and its limits."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from ...execute.executor import DEFAULT_CELL_TIMEOUT
from ...publish.deployment import DEFAULT_STALE_SECONDS, Deployment

DEFAULT_MAX_BODY = 50 * 1024 * 1024


def default_builds() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass
class Settings:
    #: a folder or `s3://BUCKET/PREFIX`: the deployment the sites go to
    sites_dir: Path | str
    token: str | None = None
    ttl_seconds: float | None = None
    pyodide: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    #: builds at a time (CPU-bound work: preparing, the sandbox, pre-rendering)
    max_builds: int = field(default_factory=default_builds)
    #: requests that may wait for their turn before the answer is 429
    max_queue: int = 64
    #: request bodies read and held at once (each up to `max_body`): bounds the memory a
    #: burst can take, since requests beyond it wait in line before a byte is read
    max_bodies: int = 0  # 0: two per build slot
    #: open connections at once; beyond, the server answers 503 (uvicorn's limit)
    max_connections: int = 256
    #: seconds a client may take to send its body
    body_timeout: float = 60.0
    isolate: bool = False
    prerender: bool = True
    prerender_timeout: float = DEFAULT_CELL_TIMEOUT
    #: where the sites are served (a CDN, the bucket's endpoint); URLs handed out use it
    public_url: str | None = None
    #: a publish this old without an entry page was killed: a sweep removes it
    stale_seconds: float = DEFAULT_STALE_SECONDS
    #: the address the server listens on, for the warnings it gives at start
    host: str = "127.0.0.1"
    #: origins the sites' live code may reach besides their own (`--allow-connect`)
    allow_connect: tuple[str, ...] | list[str] = ()

    def deployment(self) -> Deployment:
        return Deployment.open(self.sites_dir, public_url=self.public_url,
                               stale_seconds=self.stale_seconds)  # fmt: skip

    @property
    def body_slots(self) -> int:
        """Bodies in memory at once: one building and one read ahead per build slot."""
        return self.max_bodies or 2 * self.max_builds


def is_loopback(host: str) -> bool:
    """Whether `host` (what the server binds) is reachable from this machine only."""
    if host in ("localhost", "") or host.endswith(".localhost"):
        return host != ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
