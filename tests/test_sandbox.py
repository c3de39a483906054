"""The sandbox's function: the seed example and a chart, through the CLI and the API.

Fast tests (no Deno) pin the contract: limits, permissions, job layout, the
JSON shape and exit codes. The rest boot real Pyodide in real Deno.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from minato_lite.errors import UserError
from minato_lite.pyodide.distribution import PyodideDistribution
from minato_lite.sandbox import Limits, SandboxResult, make_job
from minato_lite.sandbox.deno import command, environment
from tests.support.cli import run_cli as cli
from tests.support.sandbox import our_deno_processes, sandbox_pyodide, stream_text

ROOT = Path(__file__).resolve().parent.parent
SALES = ROOT / "examples" / "sales.csv"
SEED = "import pandas as pd\ndf = pd.DataFrame(data)\nprint(df.describe())\n# %%\ndf.describe()\n"
CHART = (
    "import matplotlib.pyplot as plt\n"
    "df.groupby('region')['units'].sum().plot.bar(title='units by region')\n"
    "plt.show()\n"
    "print('drawn')\n"
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return cli("run", *args, env=env)


def images(result: SandboxResult) -> list[bytes]:
    return [
        base64.b64decode(o["data"]["image/png"])
        for o in result.outputs
        if o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
    ]


# --- contract, no Deno needed ---------------------------------------------------------


def test_limits_refuse_nonsense() -> None:
    assert Limits().timeout == 30 and Limits().memory == 1024**3
    for bad in ({"timeout": 0}, {"memory": 100 * 1024**2}, {"max_output": 10}):
        with pytest.raises(UserError):
            Limits(**bad)


def test_job_splits_cells_and_carries_the_site_layout(tmp_path: Path) -> None:
    job = make_job(SEED, [SALES])
    assert job.cells == [
        "import pandas as pd\ndf = pd.DataFrame(data)\nprint(df.describe())",
        "df.describe()",
    ]
    names = set(job.files.files)
    assert {"data/catalog.json", "data/sales.csv", "minato/__init__.py", "minato/startup.py"} <= (
        names
    )
    assert all(n.startswith(("data/", "minato/")) for n in names)  # no notebooks, no app
    assert job.packages == ["pandas"]
    assert make_job("print(1)").packages == []  # no data: the runtime needs no pandas
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("y\n2\n")
    folder = make_job("", tmp_path).files.files
    assert {"data/a.csv", "data/b.csv"} <= set(folder)
    with pytest.raises(UserError):
        make_job("print(1)", [tmp_path / "missing.csv"])


def test_deno_gets_no_permission_but_reading_pyodide_and_its_job(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    local = PyodideDistribution(folder=dist)
    args = command("deno", local, tmp_path / "job")
    allows = [a for a in args if a.startswith("--allow")]
    assert allows == [f"--allow-read={tmp_path / 'job'},{dist}"]
    assert "--no-prompt" in args and "--deny-import" in args
    assert not any(a in args for a in ("-A", "--allow-all"))
    remote = PyodideDistribution.remote("https://cdn.example.org/pyodide/v0.27.7/full/pyodide.mjs")
    assert remote.index_url == "https://cdn.example.org/pyodide/v0.27.7/full/"
    args = command("deno", remote, tmp_path / "job")
    assert [a for a in args if a.startswith("--allow")] == [
        f"--allow-read={tmp_path / 'job'}",
        "--allow-net=cdn.example.org:443",
        "--allow-import=cdn.example.org:443",
    ]
    env = environment(tmp_path / "job")
    assert set(env) == {"HOME", "DENO_DIR", "DENO_NO_UPDATE_CHECK", "NO_COLOR"}


def test_result_json_and_text() -> None:
    result = SandboxResult.failed("Timeout", "too slow", outputs=[], seconds=1.25)
    assert result.to_json() == {
        "ok": False,
        "outputs": [
            {"output_type": "error", "ename": "Timeout", "evalue": "too slow", "traceback": []}
        ],
        "error": {"ename": "Timeout", "evalue": "too slow", "traceback": []},
        "seconds": 1.25,
    }
    chart = {"image/png": "iVBO", "text/plain": "<Figure size 640x480 with 1 Axes>"}
    shown = SandboxResult(
        outputs=[
            {"output_type": "stream", "name": "stdout", "text": "hello\n"},
            {"output_type": "display_data", "data": chart, "metadata": {}},
        ],
        error=None,
        seconds=0.5,
    ).text()
    assert shown == ["hello", "[image 1: image/png, <Figure size 640x480 with 1 Axes>]"]


def test_cli_bad_usage_exits_2_in_one_line(tmp_path: Path) -> None:
    code = tmp_path / "code.py"
    code.write_text("print(1)\n")
    for args in (
        [str(tmp_path / "missing.py")],
        [str(code), "--memory", "10MB"],
        [str(code), "--timeout", "0"],
        [str(code), "--data", str(tmp_path / "missing.csv")],
    ):
        done = run_cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_cli_without_deno_exits_1_saying_what_to_install(tmp_path: Path) -> None:
    code = tmp_path / "code.py"
    code.write_text("print(1)\n")
    done = run_cli(str(code), env={"MINATO_DENO": str(tmp_path / "no-deno")})
    assert done.returncode == 1
    assert "deno not installed" in done.stderr and "pip install deno" in done.stderr


def test_available_names_the_missing_piece(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from minato_lite import sandbox

    monkeypatch.setenv("MINATO_DENO", str(tmp_path / "no-deno"))
    assert sandbox.available() == (
        "deno not installed: pip install deno (or set MINATO_DENO to a deno binary)"
    )


# --- real Pyodide in real Deno ------------------------------------------------------


@pytest.fixture(scope="module")
def pyodide() -> Path:
    return sandbox_pyodide()


@pytest.fixture(scope="module")
def pool(pyodide: Path) -> Iterator:
    from minato_lite.sandbox import SandboxPool

    with SandboxPool(pyodide, workers=2, spares=2) as running:
        yield running
    assert our_deno_processes() == []


@pytest.mark.sandbox
def test_cli_seed_and_chart_json(pyodide: Path, tmp_path: Path) -> None:
    """One cold `minato-lite run --json`: the seed's cells, then a chart on sales.csv."""
    code = tmp_path / "analysis.py"
    code.write_text(SEED + "# %% chart\n" + CHART, encoding="utf-8")
    done = run_cli(str(code), "--data", str(SALES), "--pyodide", str(pyodide), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"ok", "outputs", "error", "seconds"}
    assert report["ok"] is True and report["error"] is None, report["error"]
    result = SandboxResult(outputs=report["outputs"], error=None, seconds=report["seconds"])
    assert "unit_price" in stream_text(result) and "drawn" in stream_text(result)
    described = [o for o in report["outputs"] if o["output_type"] == "execute_result"]
    assert described[0]["execution_count"] == 2
    assert "<table" in described[0]["data"]["text/html"]
    assert "count" in described[0]["data"]["text/plain"]
    pictures = images(result)
    assert len(pictures) == 1 and pictures[0].startswith(PNG_MAGIC)


@pytest.mark.sandbox
def test_api_seed_on_a_warm_pool(pool) -> None:
    pool.wait_warm()
    started = time.perf_counter()
    result = pool.run(SEED, [SALES])
    elapsed = time.perf_counter() - started
    assert result.ok, result.error
    assert "mean" in stream_text(result)
    (table,) = [o for o in result.outputs if o["output_type"] == "execute_result"]
    assert "<table" in table["data"]["text/html"]
    assert elapsed < 10, f"a warm job took {elapsed:.1f}s"


@pytest.mark.sandbox
def test_api_chart_and_runtime_names(pool) -> None:
    code = (
        "import minato\n"
        "print(sorted(frames), minato.datasets(), type(data).__name__, len(df))\n"
        "# %%\n%matplotlib inline\n"
        + CHART
        + "# %%\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])\nfig\n"
    )
    result = pool.run(code, [SALES])
    assert result.ok, result.error
    assert "['sales'] ['sales'] list 12" in stream_text(result)
    pictures = images(result)
    assert len(pictures) == 1 and pictures[0].startswith(PNG_MAGIC)  # plt.show()
    last = result.outputs[-1]
    assert last["output_type"] == "execute_result"  # `fig` as last expression: a PNG result
    assert base64.b64decode(last["data"]["image/png"]).startswith(PNG_MAGIC)


@pytest.mark.sandbox
def test_user_error_is_a_result_with_a_traceback(pool) -> None:
    result = pool.run("print('before')\n# %%\n1 / 0\n# %%\nprint('never')\n")
    assert not result.ok
    assert result.error["ename"] == "ZeroDivisionError"
    assert any("<cell 2>" in line for line in result.error["traceback"])
    assert not any("minato-sandbox" in line for line in result.error["traceback"])
    assert stream_text(result) == "before\n"


@pytest.mark.sandbox
def test_each_job_starts_from_a_fresh_interpreter(pool) -> None:
    first = pool.run(
        "import sys, types, js\n"
        "leftover = 42\n"
        "open('/drive/leftover.txt', 'w').write('x')\n"
        "open('/tmp/leftover.txt', 'w').write('x')\n"
        "sys.modules['leftover_module'] = types.ModuleType('leftover_module')\n"
        "import colorsys\n"
        "js.globalThis.leftover = 1\n"
        "print('y' * 3_000_000)  # a big result (under the 5 MB cap) arrives whole\n"
    )
    assert first.ok, first.error
    assert stream_text(first) == "y" * 3_000_000 + "\n"
    second = pool.run(
        "import os, sys, js\n"
        "print('leftover' in globals(), os.path.exists('/drive/leftover.txt'),\n"
        "      os.path.exists('/tmp/leftover.txt'), 'leftover_module' in sys.modules,\n"
        "      'colorsys' in sys.modules, hasattr(js.globalThis, 'leftover'))\n"
    )
    assert second.ok, second.error
    assert stream_text(second).split() == ["False"] * 6


HOSTILE = ROOT / "tests" / "hostile"


def test_cli_hostile_inputs_fail_in_one_line(tmp_path: Path, capsys) -> None:
    """Bad data and bad code files are refused before any sandbox starts: exit 2, one line."""
    from minato_lite.cli import main

    code = tmp_path / "code.py"
    code.write_text("print(1)\n")
    cases = json.loads((HOSTILE / "cases.json").read_text(encoding="utf-8"))["cases"]
    refused = [
        (name, case["message"])
        for name, case in cases.items()
        if case["exit"] == 2 and not name.endswith(".py")  # .py cases are code files
    ]
    assert refused
    runs = [([str(code), "--data", str(HOSTILE / name)], message) for name, message in refused]
    runs.append(([str(HOSTILE / "code_not_utf8.py")], "not UTF-8"))
    runs.append(([str(code), "--memory", "lots"], "cannot read size"))
    for args, message in runs:
        assert main(["run", *args]) == 2, args
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and message in err, (args, err)


@pytest.mark.sandbox
def test_hostile_names_stay_data_and_bad_code_is_a_result(pool) -> None:
    marker = Path("/tmp/minato-pwned")
    code = (HOSTILE / "code_syntax_error.py").read_text(encoding="utf-8")
    result = pool.run(
        "print(len(df.columns), any('os.system' in c for c in df.columns))\n# %%\n" + code,
        [HOSTILE / "hostile_names.json"],
    )
    assert stream_text(result).split()[1] == "True"  # the name arrived, as text
    assert result.error["ename"] == "SyntaxError"
    assert not marker.exists()


@pytest.mark.sandbox
def test_pyodide_from_a_url_boots_or_fails_in_one_line(pyodide: Path, tmp_path: Path) -> None:
    """A URL distribution gets network to its host only. Pyodide 0.27 takes Node's code
    path in Deno and resolves the URL as a file path: a one-line boot error, exit 1."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(pyodide))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = tmp_path / "code.py"
    code.write_text("print('from a url')\n")
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        done = run_cli(str(code), "--pyodide", url, "--json")
    finally:
        server.shutdown()
    if done.returncode == 0:
        assert json.loads(done.stdout)["ok"] is True
    else:
        assert done.returncode == 1, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert "Pyodide did not boot" in done.stderr


@pytest.mark.sandbox
def test_closing_a_pool_while_a_job_waits_for_a_boot_returns_at_once(pyodide: Path) -> None:
    from minato_lite.sandbox import SandboxError, SandboxPool

    pool = SandboxPool(pyodide, workers=1, spares=1).start()
    waiting = pool.submit("print(1)")  # no worker is booted yet: the job waits for the boot
    time.sleep(0.5)
    start = time.monotonic()
    pool.close()  # kills the boot; the job must not wait out its boot timeout (300 s)
    assert time.monotonic() - start < 10
    with pytest.raises(SandboxError, match="closed"):
        waiting.result(timeout=1)


@pytest.mark.sandbox
def test_a_job_waiting_for_a_boot_takes_it_unwarmed_and_still_draws_and_idle_ones_are_warmed(
    pyodide: Path,
) -> None:
    from minato_lite.sandbox import SandboxPool

    said: list[str] = []
    with SandboxPool(pyodide, workers=1, spares=1, log=said.append) as pool:
        # submitted while the only worker boots: it takes it as soon as pandas is in
        drawn = pool.run(CHART, [SALES])
        assert drawn.ok, drawn.error
        assert len(images(drawn)) == 1  # matplotlib imported by the job itself
        pool.wait_warm()
        # nothing waited for the replacement: it imported matplotlib before it was offered
        again = pool.run(CHART, [SALES])
        assert again.ok and len(images(again)) == 1
    boots = [line for line in said if line.startswith("sandbox worker")]
    assert "warmed" not in boots[0] and "warmed in" in boots[1], boots


def test_the_pool_is_sized_by_cores_and_memory() -> None:
    from minato_lite.sandbox.pool import WORKER_BYTES, adaptive_size

    assert adaptive_size(cores=2, available=23 * 1024**3) == 2  # one per core
    assert adaptive_size(cores=16, available=12 * WORKER_BYTES) == 6  # half the memory
    assert adaptive_size(cores=8, available=WORKER_BYTES) == 1  # never none
    assert adaptive_size(cores=3, available=0) == 3  # memory unknown: by cores
