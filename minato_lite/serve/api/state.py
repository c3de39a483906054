"""Everything one API process holds between requests, in one object on `app.state.api`.

The deployment its sites go to; the build slots (requests before analyses);
the warm executor that pre-renders analyses and the WebAssembly sandbox pool
that runs `"execute": true` code, both started off the event loop when first
needed; the analyses still being drawn after their answer was sent; and the
sweeper. Routers read it from the request, so no handler closes over state.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.concurrency import run_in_threadpool

from ...errors import MinatoError, one_line
from ...execute.executor import WarmExecutor
from ...publish.collect import collect
from ...publish.deployment import Deployment
from .settings import Settings

if TYPE_CHECKING:
    from ...sandbox import SandboxPool

log = logging.getLogger("minato_lite.api")
T = TypeVar("T")


class Slots:
    """Build slots that requests get before background analyses do.

    An analysis drawn after its answer was sent waits while any request waits:
    the person in the chat is waiting for the request, nobody for the analysis.
    """

    def __init__(self, size: int) -> None:
        self.size, self.busy = size, 0
        self._waiters: dict[int, list[asyncio.Future[None]]] = {0: [], 1: []}

    async def run(self, priority: int, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` in a slot; priority 0 (requests) goes before 1 (analyses)."""
        if self.busy >= self.size or any(self._waiters[p] for p in range(priority + 1)):
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters[priority].append(future)
            try:
                await future
            except BaseException:
                if future in self._waiters[priority]:
                    self._waiters[priority].remove(future)
                elif future.done() and not future.cancelled():
                    self._release()  # handed a slot, then cancelled: pass it on
                raise
        else:
            self.busy += 1
        try:
            return await work()
        finally:
            self._release()

    def _release(self) -> None:
        for priority in (0, 1):
            while self._waiters[priority]:
                future = self._waiters[priority].pop(0)
                if not future.done():
                    future.set_result(None)  # the slot passes on, `busy` unchanged
                    return
        self.busy -= 1


class ApiState:
    """One API process's state (see the module's docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.deployment: Deployment = settings.deployment().init()
        self.slots = Slots(settings.max_builds)
        self._executor: WarmExecutor | None = None
        self._pool: SandboxPool | None = None
        self._pool_problem: str | None = None
        self._lock = threading.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    # -- warm workers, started off the event loop ------------------------------------------

    def executor(self) -> WarmExecutor | None:
        """The warm executor that pre-renders analyses (None when pre-rendering is off)."""
        if not self.settings.prerender:
            return None
        with self._lock:
            if self._executor is None:
                self._executor = WarmExecutor(self.settings.max_builds)
            return self._executor

    def sandbox(self) -> SandboxPool | str:
        """The WebAssembly sandbox's warm pool, or why there is none; blocks while it starts,
        so call it from a thread (`await run_in_threadpool(state.sandbox)`)."""
        from ...sandbox import SandboxPool, available
        from ...sandbox.pool import adaptive_size

        with self._lock:
            if self._pool is None and self._pool_problem is None:
                problem = available(self.settings.pyodide)
                if problem:
                    self._pool_problem = problem
                else:
                    size = min(self.settings.max_builds, adaptive_size())
                    self._pool = SandboxPool(self.settings.pyodide, workers=size,
                                             spares=size).start()  # fmt: skip
            return self._pool if self._pool is not None else str(self._pool_problem)

    # -- background work ---------------------------------------------------------------------

    def in_background(self, work: Awaitable[None], name: str) -> None:
        """Run `work` after the answer was sent; kept until done, awaited at shutdown."""
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def start(self) -> None:
        if self.deployment.origins is None:
            log.warning(
                "the API's sites share one origin (no {site} in --public-url): live code in one "
                "site can read the others' files and browser storage%s; give each its own "
                "with --public-url 'https://{site}.sites.example/' (docs/security.md)",
                "" if self.settings.token else ", and call this API (no --token) to delete them",
            )
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="sweeper")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._background:
            await asyncio.wait(set(self._background), timeout=60)
        with self._lock:
            for warm in (self._executor, self._pool):
                if warm is not None:
                    warm.close()
            self._executor = self._pool = None

    def sweep(self, now: float | None = None) -> list[str]:
        """Remove sites older than the TTL and publishes that never finished; their ids."""
        result = self.deployment.sweep(self.settings.ttl_seconds, now)
        return result.expired + result.incomplete

    async def _sweep_forever(self) -> None:
        """Every replica sweeps (deletes are idempotent), and, every `stale_seconds`, collects
        shared sets no site names (`publish.collect`); an error is logged, never the end."""
        limits = [x for x in (self.settings.stale_seconds, self.settings.ttl_seconds) if x]
        interval = min(60.0, max(0.5, min(limits) / 10))
        collected = time.monotonic()
        while True:
            try:
                await run_in_threadpool(self.sweep)
                if time.monotonic() - collected >= self.settings.stale_seconds:
                    collected = time.monotonic()
                    await run_in_threadpool(collect, self.deployment)
            except MinatoError as exc:  # the store is down for a moment: next time
                log.warning("sweep failed: %s", one_line(exc))
            except Exception:  # a bug must not stop TTL deletion for good
                log.exception("sweep failed unexpectedly; sweeping again in %.0f s", interval)
            await asyncio.sleep(interval)
