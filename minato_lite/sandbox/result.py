"""What a sandbox job returns, and the limits it ran under.

Kept free of process handling so callers (CLI, HTTP API, tests) can build and
read results without Deno around.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import EnvironmentProblem, UserError

GIB = 1024**3
MIB = 1024**2
DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY = GIB
DEFAULT_MAX_OUTPUT = 5 * MIB
#: Pyodide with pandas and matplotlib loaded holds ~450 MB before a job starts
MIN_MEMORY = 512 * MIB


class SandboxError(EnvironmentProblem):
    """The sandbox itself failed (no Deno, Pyodide did not boot, protocol broken): exit 1.

    Never raised for anything the user's code does: that is a result with an error.
    """


@dataclass(frozen=True)
class Limits:
    """Per-job limits, enforced by the host on the Deno process (not trusted to the guest)."""

    timeout: float = DEFAULT_TIMEOUT
    memory: int = DEFAULT_MEMORY
    max_output: int = DEFAULT_MAX_OUTPUT

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise UserError("the timeout must be a positive number of seconds")
        if self.memory < MIN_MEMORY:
            raise UserError(
                f"the memory limit must be at least {MIN_MEMORY // MIB} MB: Pyodide with "
                "pandas needs about 450 MB before any code runs"
            )
        if self.max_output < 1024:
            raise UserError("the output limit must be at least 1 KB")


def error_output(ename: str, evalue: str) -> dict[str, Any]:
    """An nbformat error output for a failure the host detected (no guest traceback)."""
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}


@dataclass
class SandboxResult:
    """nbformat outputs of one job; `error` is the error output that stopped it, if any."""

    outputs: list[dict[str, Any]]
    error: dict[str, Any] | None
    seconds: float
    peak_rss: int = 0
    #: the cell (1-based; None: the startup or the host) each output came from
    cells: list[int | None] = field(default_factory=list)

    def by_cell(self, count: int) -> list[list[dict[str, Any]]]:
        """Outputs per cell, for a notebook of `count` cells.

        The startup's outputs go to the first cell; an error the host added (a
        timeout, the memory cap) goes to the last cell that produced anything,
        which is the one that was running when the limit was hit.
        """
        grouped: list[list[dict[str, Any]]] = [[] for _ in range(count)]
        if not count:
            return grouped
        numbers = self.cells + [None] * (len(self.outputs) - len(self.cells))
        seen = [n for n in numbers if n is not None]
        for output, number in zip(self.outputs, numbers, strict=True):
            if number is None:
                at_end = output is self.outputs[-1] and output.get("output_type") == "error"
                number = seen[-1] if at_end and seen else 1
            grouped[min(max(number, 1), count) - 1].append(output)
        return grouped

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(
        cls,
        ename: str,
        evalue: str,
        outputs: tuple[dict[str, Any], ...] = (),
        *,
        seconds: float,
        peak_rss: int = 0,
    ) -> SandboxResult:
        error = error_output(ename, evalue)
        return cls(outputs=[*outputs, error], error=error, seconds=seconds, peak_rss=peak_rss)

    def to_json(self) -> dict[str, Any]:
        """The `--json` document: `{"ok", "outputs", "error", "seconds"}`."""
        error = None
        if self.error is not None:
            error = {k: self.error.get(k) for k in ("ename", "evalue", "traceback")}
        return {
            "ok": self.ok,
            "outputs": self.outputs,
            "error": error,
            "seconds": round(self.seconds, 3),
        }

    def text(self) -> list[str]:
        """Plain lines for a terminal: text as printed, rich outputs named and counted."""
        lines: list[str] = []
        images = 0
        for output in self.outputs:
            kind = output.get("output_type")
            if kind == "stream":
                lines.append(str(output.get("text", "")).rstrip("\n"))
            elif kind in ("display_data", "execute_result"):
                data = output.get("data") or {}
                pictures = [m for m in data if str(m).startswith("image/")]
                if pictures:
                    images += 1
                    lines.append(f"[image {images}: {pictures[0]}, {data.get('text/plain', '')}]")
                elif "text/plain" in data:
                    lines.append(str(data["text/plain"]))
            elif kind == "error":
                trace = [str(line).rstrip("\n") for line in output.get("traceback") or []]
                lines.extend(trace or [f"{output.get('ename')}: {output.get('evalue')}"])
        return lines
