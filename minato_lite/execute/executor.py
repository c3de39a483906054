"""The warm executor: runs our generated notebooks under CPython, bounded in time and memory.

A worker process imports pandas, matplotlib and IPython once and then runs
job after job, each in a fresh namespace (`host_shell.run_job`); it is
replaced after `jobs_per_worker` jobs so leaks cannot accumulate. The parent
enforces every limit from outside: a cell that runs past its time limit, or
a job past its total, gets the worker killed (SIGKILL) and the cell marked;
memory is capped with RLIMIT_AS inside the worker before anything is
imported. So a stuck or hostile notebook costs at most its time limit, and
the build, batch or API that asked goes on.

Only minato-lite's own notebook templates run here; the user's code is never
sent to this executor (it runs in WebAssembly only).
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from ..errors import EnvironmentProblem

Output = dict[str, Any]
CellStatus = Literal["ok", "error", "timeout", "crashed", "not-run"]

#: what a worker process runs: this module
WORKER_MODULE = "minato_lite.execute.executor"
DEFAULT_CELL_TIMEOUT = 30.0
DEFAULT_MEMORY = 2 * 1024**3
DEFAULT_JOBS_PER_WORKER = 25
#: seconds a new worker may take to import pandas and matplotlib
START_TIMEOUT = 120.0
#: environment for workers: one thread per library (deterministic, 2-core friendly)
WORKER_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYTHONHASHSEED": "0",
    # the startup's `data` (records as dicts) is for code written for a page that got
    # `data: [...]`; the notebooks run here never read it (minato.PRELOAD_RECORDS)
    "MINATO_PRELOAD_RECORDS": "0",
}


@dataclass
class CellResult:
    status: CellStatus
    outputs: list[Output] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class JobResult:
    """What happened to each cell; `problem` says in one line why the job stopped early."""

    cells: list[CellResult]
    startup: list[Output]
    problem: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.problem is None and all(c.status == "ok" for c in self.cells)


def _worker_main(conn: Connection, memory: int) -> None:
    """The worker process: cap memory, import once, then run jobs until told to stop."""
    import resource

    _die_with_parent()
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from . import host_shell

    shell = host_shell.make_shell()
    host_shell.warm_up()  # pandas and the rest imported: the first job must not pay for them

    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message[0] == "stop":
            return
        _kind, folder, startup, cells = message  # startup: a path relative to folder, or None

        def report(index: int, outputs: list[Output], ok: bool) -> None:
            conn.send(("cell", index, outputs, ok))

        try:
            host_shell.run_job(shell, Path(folder), startup, cells, report)
            conn.send(("done",))
        except MemoryError:
            conn.send(("failed", "out of memory"))
            return
        except BaseException as exc:  # the worker reports and leaves; the parent starts another
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
            return


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when its parent dies, even mid-cell."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Worker:
    """One worker process and the parent's end of its socket.

    A plain `python -m minato_lite.execute.executor` child rather than multiprocessing's
    spawn, which re-imports the caller's `__main__` (a script without a main
    guard would build sites recursively).
    """

    def __init__(self, memory: int) -> None:
        parent, child = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, str(child.fileno()), str(memory)],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **WORKER_ENV},
            close_fds=True,
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.ready = False
        self.jobs = 0

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(START_TIMEOUT):
            self.kill()
            raise EnvironmentProblem(
                f"the notebook executor did not start within {START_TIMEOUT:.0f} s"
            )
        try:
            message = self.conn.recv()
        except EOFError:
            self.kill()
            raise EnvironmentProblem(
                "the notebook executor could not start (pandas, matplotlib and IPython "
                "must import); run with --no-prerender to skip pre-rendering"
            ) from None
        self.ready = message[0] == "ready"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(("stop",))
            self.process.wait(2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class WarmExecutor:
    """A small pool of warm workers; `run` blocks until one is free.

    Workers start in the background as soon as the executor is created, so a
    caller can read and profile its data while pandas is being imported.
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        memory: int = DEFAULT_MEMORY,
        jobs_per_worker: int = DEFAULT_JOBS_PER_WORKER,
    ) -> None:
        self.memory = memory
        self.jobs_per_worker = jobs_per_worker
        #: how many workers the pool keeps: jobs beyond that many wait for one
        self.size = max(1, workers)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._closed = False
        #: the one thread that starts workers (see `_spawn`); it lives until `close`
        self._starter = ThreadPoolExecutor(1, thread_name_prefix="minato-executor-starter")
        for _ in range(self.size):
            worker = self._spawn()
            assert worker is not None  # not closed yet
            self._idle.put(worker)

    def _spawn(self) -> _Worker | None:
        """A new worker, started from the executor's own thread; None once it is closed.

        A worker asks the kernel to kill it when its parent dies (`_die_with_parent`),
        and to the kernel that parent is the *thread* that started the process, not
        the program. A worker started from a thread that ends (the API's request
        threads end after 10 s idle; `prerender` runs its two notebooks in threads of
        their own) was killed with it, and the next job sent to it met a broken pipe.
        """
        try:
            worker = self._starter.submit(_Worker, self.memory).result()
        except RuntimeError:  # closed meanwhile: nothing to start
            return None
        with self._lock:
            self._all.append(worker)
        return worker

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        worker.kill() if kill else worker.stop()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def run(
        self,
        folder: Path,
        cells: list[str],
        *,
        startup: str | None,
        cell_timeout: float = DEFAULT_CELL_TIMEOUT,
        total_timeout: float | None = None,
    ) -> JobResult:
        """Run the startup file `startup` (relative to `folder`), then `cells`, in `folder`.

        Every cell is accounted for in the result.
        """
        if self._closed:
            raise RuntimeError("executor is closed")
        worker = self._idle.get()
        replacement: _Worker | None = None
        try:
            worker.wait_ready()
            result, healthy = _drive(worker, folder, startup, cells, cell_timeout, total_timeout)
            worker.jobs += 1
            if not healthy or worker.jobs >= self.jobs_per_worker:
                self._retire(worker, kill=not healthy)
                replacement = self._spawn()
            return result
        except BaseException:
            self._retire(worker, kill=True)
            replacement = self._spawn()
            raise
        finally:
            self._idle.put(replacement or worker)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
        self._starter.shutdown(wait=False)

    def __enter__(self) -> WarmExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _drive(
    worker: _Worker,
    folder: Path,
    startup: str | None,
    cells: list[str],
    cell_timeout: float,
    total_timeout: float | None,
) -> tuple[JobResult, bool]:
    """Send one job and collect its cells under the time limits; (result, worker healthy)."""
    start = time.monotonic()
    deadline = start + total_timeout if total_timeout else None
    results = [CellResult("not-run") for _ in cells]
    startup_outputs: list[Output] = []
    worker.conn.send(("job", str(folder), startup, cells))
    current = -1  # the startup, then cell 0, 1, ...
    startup_ok = True
    cell_start = time.monotonic()
    while True:
        now = time.monotonic()
        limit = cell_start + cell_timeout
        why = f"stopped: the cell ran past its {cell_timeout:g} s limit"
        if deadline is not None and deadline < limit:
            limit = deadline
            why = f"stopped: the notebook ran past its {total_timeout:g} s limit"
        if not worker.conn.poll(max(0.0, limit - now)):
            now = time.monotonic()
            _mark(results, startup_outputs, current + 1, "timeout", why, now - cell_start)
            return JobResult(results, startup_outputs, why, time.monotonic() - start), False
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            why = "stopped: the executor died (out of memory?)"
            _mark(results, startup_outputs, current + 1, "crashed", why, now - cell_start)
            return JobResult(results, startup_outputs, why, time.monotonic() - start), False
        if message[0] == "done":
            problem = None if startup_ok else "the kernel startup failed"
            return JobResult(results, startup_outputs, problem, time.monotonic() - start), True
        if message[0] == "failed":
            why = f"stopped: {message[1]}"
            _mark(results, startup_outputs, current + 1, "crashed", why, now - cell_start)
            return JobResult(results, startup_outputs, why, time.monotonic() - start), False
        _kind, index, outputs, ok = message
        seconds = time.monotonic() - cell_start
        if index < 0:
            startup_outputs, startup_ok = outputs, ok
        else:
            results[index] = CellResult("ok" if ok else "error", outputs, seconds)
        current = index
        cell_start = time.monotonic()


def _mark(
    results: list[CellResult],
    startup: list[Output],
    index: int,
    status: CellStatus,
    why: str,
    seconds: float,
) -> None:
    """Give the cell that was running an error output saying why it stopped."""
    error = {"output_type": "error", "ename": "MinatoStopped", "evalue": why, "traceback": [why]}
    if index < 0 or index >= len(results):
        startup.append(error)
        return
    results[index] = CellResult(status, [error], seconds)


if __name__ == "__main__":  # the worker: python -m minato_lite.execute.executor FD MEMORY
    _worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]))
