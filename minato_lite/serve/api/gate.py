"""The API refuses before it reads: the token, the size and the line, checked in the ASGI layer.

Everything here runs before the application sees a request and before one
byte of a body is read:

1. `/api/` needs the bearer token (scheme matched case-insensitively, the token
   compared in constant time): a wrong one is 401 at once, the body unread.
2. A declared body over the limit is 413 at once.
3. Creating a site is admitted in arrival order (`Line`): at most
   `Settings.body_slots` bodies are read and held at a time, up to
   `max_queue` more wait their turn without a byte read, and beyond that
   the answer is 429 with a Retry-After computed from how long requests
   have recently taken. So memory under a burst is bounded by the slots,
   not by the burst.
4. An admitted body is read in full, bounded by the limit (413 while
   streaming) and by a deadline (408), then handed to the application.

Connections are bounded by the server (uvicorn's `limit_concurrency`), so the
line itself cannot grow without end either.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Awaitable, Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import Settings

#: where a request's body is read (the one route that takes a body)
CREATE_PATH = "/api/insights/python-sandbox"
AUTH_PREFIX = "/api/"


def bearer_token(authorization: bytes) -> bytes | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case)."""
    scheme, _, token = authorization.strip().partition(b" ")
    if scheme.lower() != b"bearer" or not token.strip():
        return None
    return token.strip()


class Line:
    """Requests that create sites, served in arrival order with a bounded number in memory."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots, self.queue = slots, queue
        self._free = asyncio.Semaphore(slots)  # FIFO: waiters are woken in arrival order
        self.holding = 0  # admitted: body read or being read, answer not yet sent
        self.waiting = 0
        self._seconds = 5.0  # recent time a request holds a slot (moving average)

    def full(self) -> bool:
        return self.holding + self.waiting >= self.slots + self.queue

    def retry_after(self) -> int:
        """Seconds until a new request would likely get a slot: the line ahead of it."""
        ahead = self.waiting + self.holding - self.slots + 1
        return max(1, math.ceil(max(ahead, 1) * self._seconds / self.slots))

    async def enter(self) -> None:
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
        self.holding += 1

    def leave(self, held: float) -> None:
        self.holding -= 1
        self._free.release()
        self._seconds = 0.8 * self._seconds + 0.2 * held


class Gate:
    """The ASGI middleware in front of the API (see the module's docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings
        self.token = settings.token.encode() if settings.token else None
        self.line = Line(settings.body_slots, settings.max_queue)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = dict(scope["headers"])
        if path.startswith(AUTH_PREFIX) and not self._authorized(headers):
            await _answer(401, "missing or wrong bearer token", scope, receive, send,
                          {"WWW-Authenticate": "Bearer"})  # fmt: skip
            return
        if scope["method"] != "POST" or path != CREATE_PATH:
            await self.app(scope, receive, send)
            return
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.settings.max_body:
            await _answer(413, self._too_large(), scope, receive, send)
            return
        if self.line.full():
            await _answer(429, "too many requests in progress; retry shortly", scope, receive,
                          send, {"Retry-After": str(self.line.retry_after())})  # fmt: skip
            return
        await self.line.enter()
        start = time.monotonic()
        try:
            await self._admitted(scope, receive, send)
        finally:
            self.line.leave(time.monotonic() - start)

    def _authorized(self, headers: dict[bytes, bytes]) -> bool:
        if self.token is None:
            return True
        given = bearer_token(headers.get(b"authorization", b""))
        return given is not None and secrets.compare_digest(given, self.token)

    def _too_large(self) -> str:
        return f"request body is larger than the {self.settings.max_body // (1024 * 1024)} MB limit"

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await asyncio.wait_for(self._read(receive), self.settings.body_timeout)
        except asyncio.TimeoutError:
            await _answer(408, "the request body did not arrive in time", scope, receive, send)
            return
        if body is None:  # the client went away
            return
        if isinstance(body, int):
            await _answer(413, self._too_large(), scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | int | None:
        """The whole body; its size so far once it passes the limit; None if the client left."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.settings.max_body:
                return size
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(status: int, error: str, scope: Scope, receive: Receive, send: Send,
                  headers: dict[str, str] | None = None) -> None:  # fmt: skip
    await JSONResponse({"error": error}, status_code=status, headers=headers)(scope, receive, send)
