"""One Deno worker process: boot it, hand it one job, watch it, kill it.

The host never trusts the guest: every read has a deadline, the process's
memory is polled from /proc and the process killed when it passes the limit
(RLIMIT_AS cannot be used: V8 reserves tens of GB of address space for its
heap cage and wasm memories and dies at start under any useful cap), stdout is
capped in bytes, and stderr is kept only as a short tail for diagnostics.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import one_line
from ..pyodide.distribution import PyodideDistribution
from ..site.contents import DRIVE
from .deno import PYODIDE_SHELL, command, environment
from .fontcache import FontCache
from .job import Job
from .result import MIB, Limits, SandboxError, SandboxResult, error_output

BOOT_TIMEOUT = 240.0
POLL_SECONDS = 0.05
STDERR_TAIL = 4096
#: the guest counts characters of output; JSON escaping can double them (quotes in HTML),
#: and low-level (fd) output has its own cap of the same size
PROTOCOL_FACTOR = 3
PROTOCOL_SLACK = 2 * MIB
_EOF = object()


def rss_bytes(pid: int) -> int:
    """Resident memory of `pid` (0 when it is gone or /proc is unavailable)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class _Lines(threading.Thread):
    """Reads the worker's stdout into JSON messages, stopping at a byte cap."""

    def __init__(self, stream, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.cap = cap
        self.total = 0
        self.overflow = False
        self.messages: queue.Queue[Any] = queue.Queue()

    def run(self) -> None:
        parts: list[bytes] = []
        try:
            while True:
                # bounded reads: a guest writing one endless line must not grow the host;
                # a line longer than one read arrives in parts (the cap may rise meanwhile)
                chunk = self.stream.readline(max(1, self.cap - self.total + 1))
                if not chunk:
                    break
                self.total += len(chunk)
                if self.total > self.cap:
                    self.overflow = True
                    break
                parts.append(chunk)
                if not chunk.endswith(b"\n"):
                    continue
                line, parts = b"".join(parts), []
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # not ours: the protocol lines are JSON objects
                if isinstance(message, dict):
                    self.messages.put(message)
        except (OSError, ValueError):
            pass
        self.messages.put(_EOF)


class _Tail(threading.Thread):
    """Drains stderr so the worker never blocks on it; keeps the last few KB."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.tail = b""

    def run(self) -> None:
        try:
            while chunk := self.stream.read1(65536):
                self.tail = (self.tail + chunk)[-STDERR_TAIL:]
        except (OSError, ValueError):
            pass

    def reason(self) -> str:
        """The line of the worker's stderr that says what went wrong, if any."""
        lines = [line.strip() for line in self.tail.decode("utf-8", "replace").splitlines()]
        lines = [line for line in lines if line]
        for number, line in enumerate(lines[:-1]):
            if line.startswith("The cause of the fatal error was"):
                return "Pyodide fatal error: " + one_line(lines[number + 1])[:300]
        for line in reversed(lines):
            if not line.startswith(("at ", "^", "await ")):
                return one_line(line)[:300]
        return ""


class WorkerProcess:
    """A Deno process that boots Pyodide, then serves exactly one job and exits."""

    def __init__(
        self,
        deno: str,
        pyodide: PyodideDistribution,
        *,
        preload: tuple[str, ...],
        root: Path | None = None,
        nice: int = 0,
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="minato-sandbox-", dir=root)).resolve()
        self.nice = nice
        self.files = self.folder / "files"
        self.started = time.perf_counter()
        self.boot_seconds: float | None = None
        #: seconds `warm` took (None: not warmed)
        self.warm_seconds: float | None = None
        self.peak_rss = 0
        matplotlib = pyodide.entry("matplotlib") or {}
        self._fonts = FontCache.for_wheel(matplotlib.get("sha256"))
        # a spare boots at a lower CPU priority than the requests it will serve; `nice`
        # (not preexec_fn: pools boot from threads) makes every thread of Deno inherit it
        renice = shutil.which("nice") if nice else None
        prefix = [renice, "-n", str(nice)] if renice else []
        self._proc = subprocess.Popen(
            [*prefix, *command(deno, pyodide, self.folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(self.folder),
            cwd=self.folder,
            start_new_session=True,
        )
        self._lines = _Lines(self._proc.stdout, PROTOCOL_SLACK)
        self._stderr = _Tail(self._proc.stderr)
        self._lines.start()
        self._stderr.start()
        self._send(
            {
                "module": pyodide.module_url,
                "index": pyodide.index_url,
                "preload": list(preload),
                "executor": PYODIDE_SHELL.read_text(encoding="utf-8"),
                "mplbackend": "module://minato_inline",
                "fontlist": self._fonts.read() if "matplotlib" in preload else None,
            }
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def promote(self) -> bool:
        """Back to normal priority for its job; False where the OS refuses (raising priority
        needs root or CAP_SYS_NICE), and the job then runs at the boot's priority."""
        if not self.nice:
            return True
        try:
            threads = [int(t) for t in os.listdir(f"/proc/{self.pid}/task")]
            for thread in threads:
                os.setpriority(os.PRIO_PROCESS, thread, 0)
        except (OSError, ValueError):
            return False
        self.nice = 0
        return True

    def _send(self, message: dict[str, Any]) -> None:
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(message).encode() + b"\n")
            self._proc.stdin.flush()
        except OSError:
            pass  # the worker died: the next read says so

    def _close_stdin(self) -> None:
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        except OSError:
            pass

    def _next(self, deadline: float, memory: int | None) -> Any:
        """The next message, or a string saying why none came (timeout, memory, exit)."""
        while True:
            rss = rss_bytes(self._proc.pid)
            self.peak_rss = max(self.peak_rss, rss)
            if memory is not None and rss > memory:
                return "memory"
            if self._lines.overflow:
                return "output"
            if time.perf_counter() > deadline:  # checked every turn: a trickle of lines
                return "timeout"  # from the guest must not keep the wait alive
            try:
                message = self._lines.messages.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if message is _EOF:
                return "output" if self._lines.overflow else "exit"
            return message

    def wait_ready(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Block until Pyodide has booted with its packages; SandboxError if it cannot."""
        message = self._next(time.perf_counter() + timeout, memory=None)
        if isinstance(message, dict) and message.get("type") == "ready":
            self.boot_seconds = time.perf_counter() - self.started
            return
        self.kill()
        if isinstance(message, dict) and message.get("type") == "boot_error":
            why = f"Pyodide did not boot: {one_line(message.get('message', ''))[:300]}"
        elif message == "timeout":
            why = f"Pyodide did not boot within {timeout:.0f} s"
        else:
            detail = self._stderr.reason() or f"exit code {self._proc.wait()}"
            why = f"the Deno worker stopped while booting ({detail})"
        raise SandboxError(why)

    def warm(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Import what only some jobs need (matplotlib), before any job; a booted worker
        that is not warmed still runs any job, importing it then. SandboxError if it died."""
        started = time.perf_counter()
        self._send({"type": "warm"})
        message = self._next(started + timeout, memory=None)
        if isinstance(message, dict) and message.get("type") == "warmed":
            if message.get("fontlist"):
                self._fonts.keep(message["fontlist"])
            self.warm_seconds = time.perf_counter() - started
            return
        self.kill()
        detail = self._stderr.reason() or str(message)
        raise SandboxError(f"the Deno worker stopped while warming ({detail})")

    def run(self, job: Job, limits: Limits) -> SandboxResult:
        """Give the booted worker `job`; the result, whatever the code does."""
        started = time.perf_counter()
        job.files.write(self.files)
        nonce = secrets.token_hex(16)
        self._lines.cap = PROTOCOL_FACTOR * limits.max_output + PROTOCOL_SLACK
        self._send(
            {
                "nonce": nonce,
                "files": str(self.files),
                "cells": job.cells,
                "packages": job.packages,
                "max_output": limits.max_output,
                # where the browser kernel sees the site's files, and the startup it runs
                "drive": DRIVE,
                "startup": job.startup,
            }
        )
        self._close_stdin()  # nothing more will come: code that reads stdin sees its end
        deadline = started + limits.timeout
        try:
            while True:
                message = self._next(deadline, limits.memory)
                if not isinstance(message, dict):
                    break
                if message.get("type") == "result" and message.get("nonce") == nonce:
                    break
        finally:
            self.kill()
        seconds = time.perf_counter() - started
        if isinstance(message, dict):
            return _from_guest(message, seconds=seconds, peak_rss=self.peak_rss)
        ename, evalue = _host_stop(message, limits, self._stderr)
        return SandboxResult.failed(ename, evalue, seconds=seconds, peak_rss=self.peak_rss)

    def kill(self) -> None:
        """Stop the worker (its whole process group) and remove its folder."""
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self._proc.kill()
        self._proc.wait()
        self._stderr.join(timeout=1)  # its last lines say why a worker died
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


def _host_stop(why: str, limits: Limits, stderr: _Tail) -> tuple[str, str]:
    if why == "timeout":
        return "Timeout", f"the code ran longer than the {limits.timeout:g} s limit and was stopped"
    if why == "memory":
        return (
            "MemoryLimitExceeded",
            f"the sandbox used more than the {limits.memory / MIB:,.0f} MB memory limit "
            "and was stopped",
        )
    if why == "output":
        return "OutputLimitExceeded", "the code produced more output than allowed; it was stopped"
    detail = stderr.reason()
    return "SandboxCrashed", "the sandbox process ended before returning a result" + (
        f" ({detail})" if detail else ""
    )


def _from_guest(message: dict[str, Any], *, seconds: float, peak_rss: int) -> SandboxResult:
    """A result message, checked: only well-formed output dicts pass."""
    if "fatal" in message:
        return SandboxResult.failed(
            "SandboxCrashed",
            f"the Python interpreter failed: {one_line(str(message['fatal']))[:500]}",
            seconds=seconds,
            peak_rss=peak_rss,
        )
    raw = message.get("outputs") or []
    cells = message.get("cells") or []
    if not isinstance(raw, list) or not isinstance(cells, list) or len(cells) != len(raw):
        cells = [None] * len(raw) if isinstance(raw, list) else []
        raw = raw if isinstance(raw, list) else []
    kept = [(o, c) for o, c in zip(raw, cells, strict=True) if isinstance(o, dict)]
    outputs = [o for o, _ in kept]
    cell_numbers = [c if isinstance(c, int) and not isinstance(c, bool) else None for _, c in kept]
    error = message.get("error")
    if not isinstance(error, dict) or not valid_output(error):
        error = None if not isinstance(error, dict) else malformed_output(error)
    malformed = [i for i, output in enumerate(outputs) if not valid_output(output)]
    if malformed:
        # guest code can write anything into its output list: what nbformat refuses is the
        # code's own error, said as such, never a notebook the host cannot store
        for i in malformed:
            outputs[i] = malformed_output(outputs[i])
        error = error or outputs[malformed[0]]
    return SandboxResult(
        outputs=outputs, error=error, cells=cell_numbers, seconds=seconds, peak_rss=peak_rss
    )


def valid_output(output: dict[str, Any]) -> bool:
    """Whether nbformat 4 accepts `output` as a code cell's output."""
    import nbformat

    try:
        nbformat.validate(output, ref="output", version=4)
    except nbformat.ValidationError:
        return False
    return True


def malformed_output(output: dict[str, Any]) -> dict[str, Any]:
    kind = str(output.get("output_type"))[:40]
    return error_output(
        "MalformedOutput",
        f"the code produced an output that is not a valid notebook output (type {kind!r}); "
        "it was dropped",
    )
