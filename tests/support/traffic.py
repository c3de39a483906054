"""What a site's visitor downloads, counted at the server, and a slow link in front of it.

* `CountingApp` wraps the ASGI app of `minato-lite serve` and records every
  response (path, query, status, body bytes as sent, so after gzip). The
  browser's own accounting cannot tell a response served from its HTTP cache
  from one that crossed the network once a service worker sits in between;
  the server can.
* `ThrottledLink` is a TCP proxy that gives every connection through it the
  same slow link: one shared downstream rate (bytes per second across all
  connections, as one access line) and a fixed delay on every byte from the
  server. Because it sits in front of the server, it slows the page, its
  workers and the service worker alike, which Chromium's per-page network
  emulation is not documented to do.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minato_lite.serve.static import BackgroundServer, site_app


@dataclass
class Response:
    path: str
    query: str
    status: int
    bytes: int


@dataclass
class CountingApp:
    """An ASGI app that records what each response sent."""

    app: ASGIApp
    responses: list[Response] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = Response(scope["path"], scope.get("query_string", b"").decode(), 0, 0)
        self.responses.append(record)

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            elif message["type"] == "http.response.body":
                record.bytes += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counted)

    def mark(self) -> int:
        return len(self.responses)

    def since(self, mark: int) -> list[Response]:
        return self.responses[mark:]

    @staticmethod
    def total(responses: list[Response]) -> int:
        return sum(r.bytes for r in responses)


@contextmanager
def counting_server(site: Path) -> Iterator[tuple[BackgroundServer, CountingApp]]:
    """`minato-lite serve`'s app for `site` on 127.0.0.1, with every response counted."""
    counter = CountingApp(site_app(site))
    server = BackgroundServer(counter).start()
    try:
        yield server, counter
    finally:
        server.close()


class ThrottledLink:
    """A TCP proxy on 127.0.0.1 to `upstream_port`: shared downstream rate, fixed latency.

    `rate` is in bytes per second (None: unlimited), `latency` in seconds is
    added to every byte the server sends, so each request waits at least
    that long for its answer (a round trip over a link that slow). Bytes are
    released in slices of at most `SLICE`, so concurrent downloads share the
    rate instead of one waiting for another.
    """

    SLICE = 16 * 1024

    def __init__(self, upstream_port: int, rate: float | None, latency: float) -> None:
        self.upstream_port = upstream_port
        self.rate = rate
        self.latency = latency
        self.sent = 0
        self._free_at = 0.0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        self.url = f"http://127.0.0.1:{self.port}/"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _slot(self, size: int) -> float:
        """When the shared link can start sending `size` more bytes (it is booked now)."""
        now = time.monotonic()
        start = max(now, self._free_at)
        self._free_at = start + (size / self.rate if self.rate else 0.0)
        return self._free_at

    async def _connection(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter):
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_w.close()
            return
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        async def upstream() -> None:
            try:
                while data := await client_r.read(65536):
                    server_w.write(data)
                    await server_w.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                server_w.close()

        async def downstream_read() -> None:
            try:
                while data := await server_r.read(self.SLICE):
                    await queue.put((time.monotonic() + self.latency, data))
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                await queue.put(None)

        async def downstream_write() -> None:
            try:
                while (item := await queue.get()) is not None:
                    due, data = item
                    now = time.monotonic()
                    if due > now:
                        await asyncio.sleep(due - now)
                    done = await self._slot(len(data))
                    now = time.monotonic()
                    if done > now:
                        await asyncio.sleep(done - now)
                    client_w.write(data)
                    self.sent += len(data)
                    await client_w.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                client_w.close()

        try:
            await asyncio.gather(upstream(), downstream_read(), downstream_write())
        except asyncio.CancelledError:  # the link closing: end quietly, not as a cancelled task
            client_w.close()

    async def _shutdown(self) -> None:
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
