"""A warm pool: pre-booted Deno workers waiting for jobs, one job each.

Booting Pyodide and importing pandas costs seconds; a job on a booted worker
costs well under one. The pool keeps `spares` workers booted (or booting) and
runs at most `workers` jobs at once, so at most `workers + spares` Deno
processes exist: memory stays bounded however many jobs are queued. A worker
is killed after its job, so no job sees names, files or modules of another.

The replacement boots while the next request is served, on the same cores; it
boots at a lower CPU priority (`BOOT_NICE`), so the request's own work (its
sandbox job, its pre-render) goes first, and a worker is raised back to normal
priority when it takes a job. `adaptive_size` sizes a pool by cores and memory.

A boot has two steps: Pyodide with the packages loaded and pandas imported
(ready), then matplotlib imported (warm), which only jobs that draw need.
A job already waiting takes a worker as soon as it is ready: in a burst, a
worker's boot costs 2.4 s instead of 3.9 s on this machine, and only the jobs
that draw pay the import, each in its own time. While no job waits, a worker
is warmed before it is offered, so in a conversation's pace every job finds
matplotlib imported.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from ..errors import MinatoError
from ..inputs.readers import Input
from ..log import Log, quiet
from ..pyodide.distribution import PyodideDistribution
from ..site.contents import SiteFiles
from .deno import PyodideSpec, deno_or_fail, sandbox_pyodide
from .job import make_job
from .process import BOOT_TIMEOUT, WorkerProcess
from .result import Limits, SandboxError, SandboxResult

POOL_PRELOAD = ("pandas", "matplotlib")
#: spares boot this much below the priority of requests (`nice`): a replacement booting
#: beside a request's job or pre-render takes the CPU it leaves
BOOT_NICE = 10
#: what one booted worker holds (Pyodide with pandas and matplotlib imported, plus a job)
WORKER_BYTES = 600 * 1024 * 1024


def adaptive_size(cores: int | None = None, available: int | None = None) -> int:
    """Workers (and spares) for this machine: one per core, fewer when memory is short
    (each takes `WORKER_BYTES`; half of the available memory is left for the rest).

    Not more spares than cores: tried with two per core (benchmarks/api_load.py --chat),
    a burst of 10 was answered later (p95 17.8 s against 14.0-15.5 s), as four boots at
    once on two cores each finish later than two.
    """
    cores = cores or os.cpu_count() or 1
    if available is None:
        available = _available_memory()
    by_memory = max(1, (available // 2) // WORKER_BYTES) if available else cores
    return max(1, min(cores, by_memory))


def _available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class SandboxPool:
    """Runs jobs on pre-booted workers. Use as a context manager, or `start()`/`close()`."""

    def __init__(
        self,
        pyodide: PyodideSpec = None,
        *,
        workers: int = 2,
        spares: int = 2,
        preload: Iterable[str] = POOL_PRELOAD,
        limits: Limits | None = None,
        boot_nice: int = BOOT_NICE,
        log: Log = quiet,
    ) -> None:
        if workers < 1 or spares < 1:
            raise ValueError("a pool needs at least one worker and one spare")
        self.pyodide = pyodide
        self.workers = workers
        self.spares = spares
        self.preload = tuple(preload)
        self.limits = limits or Limits()
        self.boot_nice = boot_nice
        self.log = log
        #: boots finished, and how long each took (the pool's boot rate, for benchmarks)
        self.boots: list[float] = []
        #: warm steps finished (matplotlib imported), and how long each took
        self.warms: list[float] = []
        self._source: PyodideDistribution | None = None
        self._deno = ""
        self._ready: queue.Queue[WorkerProcess | BaseException] = queue.Queue()
        self._lock = threading.Lock()
        self._booting = 0
        self._boots: set[WorkerProcess] = set()
        self._idle = 0
        #: jobs waiting in `_take` for a worker
        self._waiting = 0
        self._closed = False
        self._jobs: ThreadPoolExecutor | None = None

    def start(self) -> SandboxPool:
        """Find Deno and Pyodide (raising at once if either is missing), start booting."""
        self._deno = deno_or_fail()
        self._source = sandbox_pyodide(self.pyodide, log=self.log)
        self._jobs = ThreadPoolExecutor(self.workers, thread_name_prefix="sandbox-job")
        self._refill()
        return self

    def __enter__(self) -> SandboxPool:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _refill(self) -> None:
        with self._lock:
            missing = 0 if self._closed else self.spares - self._booting - self._idle
            self._booting += max(0, missing)
        for _ in range(missing):
            threading.Thread(target=self._boot_one, daemon=True, name="sandbox-boot").start()

    def _boot_one(self) -> None:
        assert self._source is not None
        worker = None
        try:
            worker = WorkerProcess(self._deno, self._source, preload=self.preload,
                                   nice=self.boot_nice)  # fmt: skip
            with self._lock:
                self._boots.add(worker)
                if self._closed:
                    worker.kill()
            worker.wait_ready(BOOT_TIMEOUT)
            self.boots.append(worker.boot_seconds or 0.0)
            with self._lock:
                wanted = self._waiting > self._idle  # a job waits for this very worker
            if not wanted:
                worker.warm(BOOT_TIMEOUT)
                self.warms.append(worker.warm_seconds or 0.0)
            item: WorkerProcess | BaseException = worker
            warmed = f", warmed in {worker.warm_seconds:.1f}s" if worker.warm_seconds else ""
            self.log(f"sandbox worker {worker.pid} ready in {worker.boot_seconds:.1f}s{warmed}")
        except BaseException as exc:
            item = exc
        with self._lock:
            self._booting -= 1
            self._boots.discard(worker)
            if self._closed:
                if isinstance(item, WorkerProcess):
                    item.kill()
                return
            self._idle += 1
        self._ready.put(item)

    def _take(self) -> WorkerProcess:
        with self._lock:
            self._waiting += 1
        try:
            item = self._ready.get(timeout=BOOT_TIMEOUT + 60)
        finally:
            with self._lock:
                self._waiting -= 1
        with self._lock:
            self._idle -= 1
        if isinstance(item, BaseException):
            self._refill()  # let a later job try again: the failure may have been passing
            if isinstance(item, MinatoError):
                raise item
            raise SandboxError(f"a sandbox worker failed to start: {item}")
        return item

    def wait_warm(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Block until every spare is booted (for benchmarks and tests that time jobs)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._idle >= self.spares and self._booting == 0:
                    return
            time.sleep(0.05)
        raise SandboxError(f"the pool did not warm up within {timeout:.0f} s")

    def _run(self, code: str, data, files: SiteFiles | None, limits: Limits) -> SandboxResult:
        job = make_job(code, data, files=files)
        worker = self._take()
        worker.promote()
        try:
            return worker.run(job, limits)
        finally:
            worker.kill()
            self._refill()

    def submit(
        self,
        code: str,
        data: Input | Iterable[Input] | None = None,
        *,
        files: SiteFiles | None = None,
        limits: Limits | None = None,
    ) -> Future[SandboxResult]:
        """Queue a job; the future's result is a SandboxResult (or UserError/SandboxError)."""
        if self._jobs is None or self._closed:
            raise SandboxError("the sandbox pool is not running (call start() first)")
        return self._jobs.submit(self._run, code, data, files, limits or self.limits)

    def run(
        self,
        code: str,
        data: Input | Iterable[Input] | None = None,
        *,
        files: SiteFiles | None = None,
        limits: Limits | None = None,
    ) -> SandboxResult:
        return self.submit(code, data, files=files, limits=limits).result()

    def close(self) -> None:
        """Kill idle and booting workers, cancel queued jobs and wait for running ones."""
        with self._lock:
            self._closed = True
            booting = list(self._boots)
        for worker in booting:
            worker.kill()
        # a killed boot puts nothing on the queue: wake each job thread that may be waiting
        # for a worker, or shutdown() would wait out its whole `_take` timeout
        for _ in range(self.workers):
            self._ready.put(SandboxError("the sandbox pool was closed"))
        if self._jobs is not None:
            self._jobs.shutdown(wait=True, cancel_futures=True)
        while True:
            try:
                item = self._ready.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, WorkerProcess):
                item.kill()
