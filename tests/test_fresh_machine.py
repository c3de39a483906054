"""A machine whose user cache is empty: the commands fill it themselves, or say how.

CI on a warm machine once hid that `check --include-code` looked for the default
Pyodide with pandas in one place while `run` built it in another. These tests
start from an empty cache and no Pyodide named in the environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from minato_lite.pyodide.choice import PANDAS_ENV
from minato_lite.resources import REPO_DIR
from tests.support.cli import run_cli


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache and no Pyodide with pandas named in the environment."""
    monkeypatch.setenv("MINATO_LITE_CACHE", str(tmp_path / "cache"))
    for variable in PANDAS_ENV:
        monkeypatch.delenv(variable, raising=False)
    return tmp_path / "cache"


@pytest.mark.sandbox
def test_build_and_check_include_code_on_an_empty_cache(tmp_path: Path, empty_cache) -> None:
    site = tmp_path / "site"
    built = run_cli(
        "build",
        str(REPO_DIR / "examples/sales.csv"),
        "--code",
        str(REPO_DIR / "examples/analysis.py"),
        "-o",
        str(site),
        timeout=900,
    )
    assert built.returncode == 0, built.stderr
    checked = run_cli("check", str(site), "--execute", "--include-code", timeout=900)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert any(line.startswith("PASS code.ipynb") for line in lines), checked.stdout
    assert any(line.startswith("PASS analysis.ipynb") for line in lines), checked.stdout
    # the default Pyodide with pandas was built where the next command will find it
    from minato_lite.pyodide.scientific import RECIPE, STANDIN_VERSION

    standin = tmp_path / "cache" / "scientific" / f"pyodide-{STANDIN_VERSION}-r{RECIPE}"
    assert (standin / "pyodide-lock.json").is_file()


def test_the_default_is_the_environment_first(tmp_path: Path, empty_cache, monkeypatch) -> None:
    from minato_lite.errors import UserError
    from minato_lite.pyodide.choice import default_with_pandas

    monkeypatch.setenv("MINATO_PYODIDE_SCIENTIFIC", str(tmp_path / "missing"))
    with pytest.raises(UserError, match=r"MINATO_PYODIDE_SCIENTIFIC.*does not exist"):
        default_with_pandas(build=False)


def test_without_a_default_and_without_building_the_error_names_a_fix(empty_cache) -> None:
    from minato_lite.pyodide.choice import NotBuiltYet, default_with_pandas

    with pytest.raises(NotBuiltYet) as caught:
        default_with_pandas(build=False)
    # the command it names fills exactly the folder it looked in
    assert "minato-lite pyodide assemble --scientific'" in str(caught.value)


def test_the_sandbox_counts_a_default_it_will_build_as_available(empty_cache) -> None:
    from minato_lite import sandbox

    if sandbox.find_deno() is None:
        pytest.skip("needs deno: pip install deno (the minato-lite dependency)")
    assert sandbox.available() is None
    assert not empty_cache.exists()  # asking builds nothing
