"""The scientific stand-in is checked, not trusted, and distributions are read, not assumed."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.errors import EnvironmentProblem, MinatoError, UserError
from minato_lite.pyodide import scientific as sci
from minato_lite.pyodide.assemble import fetch_core, fetch_wheel
from minato_lite.pyodide.bytecode import is_compiled_name
from minato_lite.pyodide.distribution import PyodideDistribution as Distribution
from minato_lite.pyodide.lockfile import LOCKFILE, verify
from minato_lite.resources import REPO_DIR
from tests.support.cli import run_cli
from tests.support.needs import unavailable

SALES = REPO_DIR / "examples" / "sales.csv"


@pytest.fixture(scope="session")
def official_lock() -> dict:
    try:
        core = fetch_core(sci.STANDIN_VERSION)
    except MinatoError as exc:
        unavailable(f"needs the npm package pyodide@{sci.STANDIN_VERSION} (npm registry): {exc}")
    return json.loads((core / LOCKFILE).read_text("utf-8"))


@pytest.fixture(scope="session")
def micropip_wheel() -> Path:
    try:
        return fetch_wheel("micropip", "0.11.1")
    except MinatoError as exc:
        unavailable(f"needs micropip 0.11.1 from PyPI: {exc}")


def test_the_stand_in_is_the_official_0277_runtime_with_the_kernels_packages(
    pandas_pyodide, official_lock
):
    dist = Distribution.open(pandas_pyodide)
    if dist.lock["info"]["version"] != sci.STANDIN_VERSION:
        pytest.skip("MINATO_PYODIDE_FULL names an official release, not the stand-in")
    assert verify(dist.folder) == []
    assert dist.lock["info"] == official_lock["info"]
    official = official_lock["packages"]
    for name in ("numpy", "pandas", "matplotlib", "pyarrow", "scipy"):
        ours, theirs = dict(dist.lock["packages"][name]), dict(official[name])
        if is_compiled_name(ours["file_name"]):  # bytecode compiled at build: a name and sha256
            for key in ("file_name", "sha256"):  # of its own, everything else the official
                ours.pop(key), theirs.pop(key)
        assert ours == theirs, name
    packages = dist.lock["packages"]
    assert packages["micropip"]["version"] == "0.11.1"
    assert packages["ipython"]["version"].startswith("9.")
    assert "sqlite3" in packages["ipython"]["depends"], "0.27 ships sqlite3 on its own"
    assert (dist.folder / "pyodide.asm.js").is_file()
    assert "stand-in" in (dist.folder / sci.NOTE_FILE).read_text("utf-8")


def test_micropip_is_patched_for_the_027_install_api_and_its_record_matches(
    micropip_wheel, tmp_path
):
    first, second = tmp_path / "a.whl", tmp_path / "b.whl"
    sci.patch_micropip_wheel(micropip_wheel, first)
    sci.patch_micropip_wheel(micropip_wheel, second)
    assert first.read_bytes() == second.read_bytes(), "the patched wheel is reproducible"
    with zipfile.ZipFile(first) as archive:
        source = archive.read(sci.MICROPIP_COMPAT)
        record = archive.read(next(n for n in archive.namelist() if n.endswith("RECORD"))).decode()
        compile(source, sci.MICROPIP_COMPAT, "exec")
        assert f"{sci.MICROPIP_COMPAT},{sci._record_hash(source)},{len(source)}" in record
        with zipfile.ZipFile(micropip_wheel) as original:
            assert set(archive.namelist()) == set(original.namelist())
    text = source.decode()
    assert "lockfileBaseUrl = getattr(pyodide_js" in text
    assert "install = staticmethod(_install_on_pyodide_027)" in text


def test_a_micropip_that_changed_is_refused_not_half_patched():
    with pytest.raises(EnvironmentProblem, match="cannot patch micropip"):
        sci.patch_micropip_source("from pyodide_js import something_else\n")


def test_a_carrier_wheel_that_differs_from_the_official_lockfile_is_refused(
    official_lock, tmp_path, monkeypatch
):
    pandas = official_lock["packages"]["pandas"]["file_name"]
    carrier = tmp_path / "carrier.whl"
    with zipfile.ZipFile(carrier, "w") as archive:
        archive.writestr(sci.CARRIER_PREFIX + pandas, b"not the official pandas wheel")
    monkeypatch.setattr(sci, "fetch_wheel", lambda *_a, **_k: carrier)
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(EnvironmentProblem, match=f"{pandas} differs from the official"):
        sci._binary_entries(official_lock["packages"], set(), staging, log=print)


def fake_distribution(root: Path, *, micropip: str = "0.11.1", runtime=("pyodide.asm.js",)):
    root.mkdir()
    for name in ("pyodide.mjs", "python_stdlib.zip", *runtime):
        (root / name).write_text("x")
    names = ("micropip", "packaging", "ipython", "jedi", "parso")
    packages = {
        n: {"name": n, "version": micropip if n == "micropip" else "1.0", "depends": []}
        for n in names
    }
    (root / LOCKFILE).write_text(json.dumps({"info": {"version": "0.27.7"}, "packages": packages}))
    return root


def test_a_distribution_whose_micropip_the_kernel_cannot_use_is_a_one_line_build_error(
    tmp_path,
):
    old = fake_distribution(tmp_path / "old", micropip="0.9.0")
    with pytest.raises(UserError, match=r"needs micropip >= 0\.10; this one has micropip 0\.9\.0"):
        Distribution.open(old)
    result = run_cli("build", str(SALES), "-o", str(tmp_path / "site"), "--pyodide", str(old))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "micropip >= 0.10" in result.stderr
    assert not (tmp_path / "site").exists()


def test_a_distribution_without_a_runtime_module_is_refused(tmp_path):
    with pytest.raises(UserError, match=r"incomplete Pyodide runtime"):
        Distribution.open(fake_distribution(tmp_path / "bare", runtime=()))


def test_offline_pruning_keeps_the_runtime_files_the_distribution_has(pandas_pyodide, tmp_path):
    dist = Distribution.open(pandas_pyodide)
    build_site([SALES], tmp_path / "site", pyodide=pandas_pyodide, offline=True)
    shipped = tmp_path / "site" / "static" / "pyodide"
    for name in ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide.mjs"):
        assert (shipped / name).is_file(), name
    asm = sorted(p.name for p in dist.folder.glob("pyodide.asm.*js"))
    assert asm and all((shipped / name).is_file() for name in asm), asm
    lock = json.loads((shipped / LOCKFILE).read_text("utf-8"))
    assert {"pandas", "matplotlib", "micropip"} <= set(lock["packages"])
    assert "scipy" not in lock["packages"], "only what the notebooks import ships"
    assert verify(shipped) == []
