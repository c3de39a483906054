"""In-process API servers for a test: started on free ports, closed when the test ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from minato_lite.serve.api import Settings, create_app
from minato_lite.serve.static import BackgroundServer

Start = Callable[..., tuple[httpx.Client, Settings]]


@contextmanager
def api_servers(tmp_path: Path, **defaults) -> Iterator[Start]:
    """`start(**settings)` -> a client of a new API and its settings; `defaults` fill gaps.

    Sites go to `tmp_path / "sites"` unless `sites_dir` is given.
    """
    servers: list[BackgroundServer] = []

    def start(**options) -> tuple[httpx.Client, Settings]:
        options = {"sites_dir": tmp_path / "sites", **defaults, **options}
        settings = Settings(**options)
        server = BackgroundServer(create_app(settings)).start()
        servers.append(server)
        return httpx.Client(base_url=server.url, timeout=120), settings

    try:
        yield start
    finally:
        for server in servers:
            server.close()
