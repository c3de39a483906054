"""Start-up modules compiled once, at build time, by the distribution's own Pyodide.

The stand-in (Pyodide 0.27.7, Python 3.12) and the assembled core (314.0.6,
Python 3.14) are built twice into temporary folders, with and without
bytecode, from the downloads in the user cache; the compiled ones are booted in
Deno and must import IPython (and pandas) without compiling a module from
source, while a user's own traceback keeps its lines.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from minato_lite.errors import EnvironmentProblem, MinatoError
from minato_lite.pyodide import bytecode as bc
from minato_lite.pyodide.assemble import assemble, assembled_cache_path
from minato_lite.pyodide.lockfile import LOCKFILE, sha256_of, verify
from minato_lite.pyodide.scientific import RECIPE, build_scientific, scientific_cache_path
from tests.support.needs import unavailable

#: the bytecode magic of each Python a Pyodide here runs (never the host's)
MAGIC = {"3.12": "cb0d0d0a", "3.14": "2b0e0d0a"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Pair:
    source: Path
    compiled: Path
    python: str  # "3.12"

    def lock(self, which: str) -> dict:
        folder = self.source if which == "source" else self.compiled
        return json.loads((folder / LOCKFILE).read_text("utf-8"))["packages"]


def _needs_deno() -> None:
    if bc.find_deno() is None:
        unavailable("needs deno: pip install deno (or set MINATO_DENO to a deno binary)")


@pytest.fixture(scope="session")
def standin(tmp_path_factory) -> Pair:
    """The scientific stand-in built without and with bytecode (the product's own hook)."""
    _needs_deno()
    root = tmp_path_factory.mktemp("bytecode-standin")
    try:
        source = build_scientific(root / "source", bytecode=False).folder
        compiled = build_scientific(root / "compiled").folder
    except MinatoError as exc:
        unavailable(f"cannot build the stand-in (npm registry and PyPI, or their cache): {exc}")
    assert source is not None and compiled is not None
    return Pair(source, compiled, "3.12")


@pytest.fixture(scope="session")
def core(tmp_path_factory) -> Pair:
    """The assembled 314.0.6 core built without and with bytecode."""
    _needs_deno()
    root = tmp_path_factory.mktemp("bytecode-core")
    try:
        source = assemble(root / "source", bytecode=False).folder
        compiled = assemble(root / "compiled").folder
    except MinatoError as exc:
        unavailable(f"cannot assemble Pyodide (npm registry and PyPI, or their cache): {exc}")
    assert source is not None and compiled is not None
    return Pair(source, compiled, "3.14")


def linked_copy(source: Path, target: Path) -> Path:
    """`source` hard-linked into `target` (compiling renames files, never writes in place)."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file():
            os.link(path, target / path.name)
    return target


# --- in Deno: what a kernel start imports, and what a user sees -------------------------

PROBE_JS = r"""
const encoder = new TextEncoder();
const log = (...parts) => Deno.stderr.writeSync(encoder.encode(parts.join(" ") + "\n"));
const config = JSON.parse(await new Response(Deno.stdin.readable).text());
const { loadPyodide } = await import(config.module);
const py = await loadPyodide({
  indexURL: config.index, packages: config.packages, stdout: log, stderr: log,
});
const reply = encoder.encode(await py.runPythonAsync(config.code) + "\n");
let offset = 0;
while (offset < reply.length) offset += Deno.stdout.writeSync(reply.subarray(offset));
Deno.exit(0);
"""

#: runs in the compiled Pyodide: micropip installs the kernel's packages from the
#: lockfile (renamed wheels), every later source compilation is counted, a user's file
#: and an IPython cell fail, and what they print is returned
PROBE_PY = r"""
import builtins, importlib._bootstrap_external as external, io, json, sys, traceback, zipimport
from importlib import metadata

from_source = []
def counting(source, filename, mode, *args, **kwargs):
    from_source.append(str(filename))
    return builtins.compile(source, filename, mode, *args, **kwargs)
external.compile = zipimport.compile = counting

import micropip
await micropip.install(["ipython", "jedi", "parso", "packaging"])
import IPython, IPython.core.completer, jedi, parso, packaging.version
modules = ["IPython", "jedi", "parso", "packaging", "micropip", "json", "asyncio"]
if WITH_PANDAS:
    import pandas
    modules.append("pandas")
imported_from_source = sorted(
    name for name, module in list(sys.modules.items())
    if str(getattr(getattr(module, "__spec__", None), "origin", None)).endswith(".py")
)
library_calls = len(from_source)

with open("/home/pyodide/analysis.py", "w") as handle:
    handle.write(USER_FILE)
sys.path.append("/home/pyodide")
import analysis
try:
    analysis.summarise()
except Exception:
    user_traceback = traceback.format_exc()

from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
captured, sys.stdout = sys.stdout, io.StringIO()
try:
    shell.run_cell(CELL)
    cell_output = sys.stdout.getvalue()
finally:
    sys.stdout = captured

json.dumps({
    "library_calls": library_calls,
    "from_source": from_source,
    "imported_from_source": imported_from_source,
    "files": {name: sys.modules[name].__file__ for name in modules},
    "versions": {name: metadata.version(name) for name in ("ipython", "jedi", "micropip")},
    "installed": sorted(micropip.list()),
    "user_traceback": user_traceback,
    "cell_output": cell_output,
})
"""

USER_FILE_PANDAS = """import pandas as pd


def summarise():
    frame = pd.DataFrame({"region": ["north"], "revenue": [10]})
    return frame["profit_margin"].sum()  # the user's own line
"""
USER_FILE_CORE = """import json


def summarise():
    row = json.loads('{"region": "north"}')
    return json.dumps(row, indent=object())  # the user's own line
"""
CELL_PANDAS = "import pandas as pd\ntable = pd.DataFrame({'a': [1]})\ntable['no_such_column']\n"
CELL_CORE = "import json\nvalues = {'a': 1}\njson.dumps(values, indent=object())\n"


def probe(dist: Path, *, pandas: bool, tmp: Path) -> dict:
    script = tmp / "probe.mjs"
    script.write_text(PROBE_JS, encoding="utf-8")
    code = (
        f"WITH_PANDAS = {pandas!r}\n"
        f"USER_FILE = {(USER_FILE_PANDAS if pandas else USER_FILE_CORE)!r}\n"
        f"CELL = {(CELL_PANDAS if pandas else CELL_CORE)!r}\n" + PROBE_PY
    )
    config = {
        "module": (dist / "pyodide.mjs").as_uri(),
        "index": f"{dist}/",
        # the kernel's own path: loadPyodide({packages}); ipython comes through micropip
        "packages": ["micropip", *(["pandas"] if pandas else [])],
        "code": code,
    }
    deno = bc.find_deno()
    assert deno is not None
    command = [
        deno, "run", "--no-prompt", "--no-config", "--no-lock", "--no-npm",
        "--unstable-detect-cjs", "--deny-net", "--deny-import", f"--allow-read={dist}",
        str(script),
    ]  # fmt: skip
    env = {"HOME": str(tmp), "DENO_DIR": str(tmp / "deno"), "NO_COLOR": "1"}
    done = subprocess.run(
        command, input=json.dumps(config), capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0 and done.stdout.strip(), done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def standin_probe(standin, tmp_path_factory) -> dict:
    return probe(standin.compiled, pandas=True, tmp=tmp_path_factory.mktemp("probe-standin"))


@pytest.fixture(scope="session")
def core_probe(core, tmp_path_factory) -> dict:
    return probe(core.compiled, pandas=False, tmp=tmp_path_factory.mktemp("probe-core"))


@pytest.mark.sandbox
@pytest.mark.parametrize("which", ["standin", "core"])
def test_ipython_and_pandas_import_with_no_module_compiled_from_source(which, request):
    result = request.getfixturevalue(f"{which}_probe")
    assert result["from_source"] == ["/home/pyodide/analysis.py"], "only the user's own file"
    assert result["library_calls"] == 0
    assert result["imported_from_source"] == []
    for name, path in result["files"].items():
        assert path.endswith(".pyc"), (name, path)
    assert result["versions"]["ipython"].startswith("9.")
    assert {"ipython", "jedi", "micropip"} <= set(result["installed"])
    if which == "standin":
        assert result["files"]["pandas"] == "/lib/python3.12/site-packages/pandas/__init__.pyc"
        assert result["files"]["json"] == "/lib/python312.zip/json/__init__.pyc"
    else:
        assert result["files"]["json"] == "/lib/python314.zip/json/__init__.pyc"


@pytest.mark.sandbox
def test_a_users_traceback_still_shows_the_users_line(standin_probe, core_probe):
    for result, site in ((standin_probe, "python3.12"), (core_probe, "python314.zip")):
        text = result["user_traceback"]
        assert 'File "/home/pyodide/analysis.py", line 6, in summarise' in text, text
        assert "# the user's own line" in text, text
        # library frames keep their installed file names and line numbers, not their code
        assert f"/lib/{site}/" in text, text
    cell = ANSI.sub("", standin_probe["cell_output"])
    assert "----> 3 table['no_such_column']" in cell, cell
    assert "/lib/python3.12/site-packages/pandas/core/frame.py:" in cell, cell
    assert "KeyError: 'no_such_column'" in cell, cell
    cell = ANSI.sub("", core_probe["cell_output"])
    assert "----> 3 json.dumps(values, indent=object())" in cell, cell
    assert "TypeError" in cell, cell


# --- what the compiled distribution holds ----------------------------------------------


def record_ok(archive: zipfile.ZipFile) -> None:
    """RECORD lists every file the wheel holds, with its sha256 and size."""
    record = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
    rows = {row[0]: row[1:] for row in csv.reader(archive.read(record).decode().splitlines())}
    files = [n for n in archive.namelist() if not n.endswith("/")]
    assert set(rows) == set(files)
    for name in files:
        if name == record:
            continue
        data = archive.read(name)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert rows[name] == [f"sha256={digest}", str(len(data))], name


@pytest.mark.sandbox
@pytest.mark.parametrize("which", ["standin", "core"])
def test_compiled_wheels_are_renamed_and_the_lockfile_verifies(which, request):
    pair: Pair = request.getfixturevalue(which)
    assert verify(pair.compiled) == []
    before, after = pair.lock("source"), pair.lock("compiled")
    assert set(before) == set(after)
    startup = bc.startup_packages(before)
    assert {"ipython", "jedi", "micropip", "six"} <= set(startup)
    python_tag = "cp" + pair.python.replace(".", "")
    for name, entry in before.items():
        new = after[name]
        if name not in startup:
            assert new == entry, f"{name} is not imported at start: left as it was"
            continue
        assert {k: v for k, v in new.items() if k not in ("file_name", "sha256")} == {
            k: v for k, v in entry.items() if k not in ("file_name", "sha256")
        }
        assert new["file_name"] != entry["file_name"]
        assert new["sha256"] == sha256_of(pair.compiled / new["file_name"])
        expected = bc.compiled_wheel_name(entry["file_name"], new["sha256"], python_tag)
        assert new["file_name"] == expected
        assert not (pair.compiled / entry["file_name"]).exists()
        with zipfile.ZipFile(pair.compiled / new["file_name"]) as archive:
            names = archive.namelist()
            assert names == sorted(names)
            assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            sources = [n for n in names if n.endswith(".py") and ".dist-info/" not in n]
            assert sources == [], f"{name}: sourceless"
            pycs = [n for n in names if n.endswith(".pyc")]
            assert pycs and {archive.read(n)[:4].hex() for n in pycs} == {MAGIC[pair.python]}
            record_ok(archive)
            wheel = next(n for n in names if n.endswith(".dist-info/WHEEL"))
            tags = re.findall(r"^Tag: (\S+)$", archive.read(wheel).decode(), re.M)
            if bc.is_pure(entry["file_name"]):
                assert tags == [f"{python_tag}-none-any"], (name, tags)
    with zipfile.ZipFile(pair.compiled / bc.STDLIB) as stdlib:
        names = stdlib.namelist()
        assert not [n for n in names if n.endswith(".py")]
        with zipfile.ZipFile(pair.source / bc.STDLIB) as original:
            count = sum(n.endswith(".py") for n in original.namelist())
        assert sum(n.endswith(".pyc") for n in names) == count


@pytest.mark.sandbox
def test_binary_wheels_keep_their_tags_and_get_a_content_build_tag(standin):
    before, after = standin.lock("source"), standin.lock("compiled")
    pandas_old, pandas_new = before["pandas"]["file_name"], after["pandas"]["file_name"]
    assert pandas_old == "pandas-2.2.3-cp312-cp312-pyodide_2024_0_wasm32.whl"
    build = after["pandas"]["sha256"][:12]
    assert pandas_new == f"pandas-2.2.3-1pyc{build}-cp312-cp312-pyodide_2024_0_wasm32.whl"
    assert after["scipy"] == before["scipy"], "not imported at kernel start: untouched"
    note = (standin.compiled / "MINATO-STANDIN.md").read_text("utf-8")
    assert "compiled to Python 3.12 bytecode" in note


@pytest.mark.sandbox
def test_the_same_inputs_give_the_same_bytes_and_compiling_again_changes_nothing(standin, tmp_path):
    """Compiled again from a copy, and with only some packages: byte-identical files."""
    again = linked_copy(standin.source, tmp_path / "again")
    wanted = ["micropip", "pandas", "six"]
    inputs = {name: sha256_of(again / standin.lock("source")[name]["file_name"]) for name in wanted}
    inputs["stdlib"] = sha256_of(again / bc.STDLIB)
    result = bc.compile_distribution(again, packages=wanted)
    assert sorted(result.renamed) == wanted and result.stdlib and result.python == "3.12.7"
    assert result.magic == MAGIC["3.12"]
    compiled = standin.lock("compiled")
    for name in wanted:
        file_name = compiled[name]["file_name"]
        assert (again / file_name).read_bytes() == (standin.compiled / file_name).read_bytes()
    assert (again / bc.STDLIB).read_bytes() == (standin.compiled / bc.STDLIB).read_bytes()
    # the hard-linked inputs (as in a cache) were replaced, never written through
    source_lock = standin.lock("source")
    for name in wanted:
        assert sha256_of(standin.source / source_lock[name]["file_name"]) == inputs[name]
    assert sha256_of(standin.source / bc.STDLIB) == inputs["stdlib"]

    untouched = {p.name: sha256_of(p) for p in standin.compiled.iterdir()}
    redo = linked_copy(standin.compiled, tmp_path / "redo")
    repeat = bc.compile_distribution(redo)
    assert repeat.renamed == {} and not repeat.stdlib and repeat.modules == 0
    assert {p.name: sha256_of(p) for p in redo.iterdir()} == untouched


@pytest.mark.sandbox
def test_a_compiler_that_runs_too_long_is_stopped_and_leaves_the_folder_as_it_was(core, tmp_path):
    folder = linked_copy(core.source, tmp_path / "slow")
    before = {p.name: sha256_of(p) for p in folder.iterdir()}
    with pytest.raises(EnvironmentProblem, match=r"took longer than 0.2 s; stopped") as caught:
        bc.compile_distribution(folder, timeout=0.2)
    assert "\n" not in str(caught.value)
    assert {p.name: sha256_of(p) for p in folder.iterdir()} == before


@pytest.mark.sandbox
def test_a_pyodide_that_does_not_boot_is_a_one_line_environment_problem(tmp_path):
    _needs_deno()
    folder = fake_distribution(tmp_path / "broken")
    (folder / "pyodide.mjs").write_text('throw new Error("this Pyodide is broken");\n')
    with pytest.raises(EnvironmentProblem, match=r"to bytecode failed: .*this Pyodide is broken"):
        bc.compile_distribution(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["pyodide.mjs", LOCKFILE, bc.STDLIB, "micropip-0.11.1-py3-none-any.whl"]
    )


# --- without Deno ------------------------------------------------------------------------


def fake_distribution(folder: Path) -> Path:
    folder.mkdir()
    (folder / "pyodide.mjs").write_text("export {};\n")
    with zipfile.ZipFile(folder / bc.STDLIB, "w") as archive:
        archive.writestr("json/__init__.py", "x = 1\n")
    (folder / "micropip-0.11.1-py3-none-any.whl").write_bytes(b"PK")
    entry = {"name": "micropip", "version": "0.11.1", "depends": [], "sha256": "0"}
    entry["file_name"] = "micropip-0.11.1-py3-none-any.whl"
    lock = {"info": {"python": "3.12.7"}, "packages": {"micropip": entry}}
    (folder / LOCKFILE).write_text(json.dumps(lock))
    return folder


def test_without_deno_compiling_is_a_one_line_environment_problem(tmp_path, monkeypatch):
    monkeypatch.setenv(bc.DENO_ENV, str(tmp_path / "no-such-deno"))
    folder = fake_distribution(tmp_path / "dist")
    with pytest.raises(EnvironmentProblem, match="needs deno: pip install deno") as caught:
        bc.compile_distribution(folder)
    assert "\n" not in str(caught.value)


def test_wheel_names_carry_a_build_tag_from_the_content_and_pure_ones_the_python():
    digest = "0123456789abcdef" * 4
    assert (
        bc.compiled_wheel_name("six-1.17.0-py2.py3-none-any.whl", digest, "cp312")
        == "six-1.17.0-1pyc0123456789ab-cp312-none-any.whl"
    )
    binary = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    assert (
        bc.compiled_wheel_name(binary, digest, "cp312")
        == "numpy-2.0.2-1pyc0123456789ab-cp312-cp312-pyodide_2024_0_wasm32.whl"
    )
    renamed = bc.compiled_wheel_name("six-1.17.0-1pycffffffffffff-cp312-none-any.whl", digest, "x")
    assert renamed == "six-1.17.0-1pyc0123456789ab-cp312-none-any.whl", "one build tag, replaced"
    assert bc.is_compiled_name(renamed) and not bc.is_compiled_name(binary)
    assert not bc.is_pure(binary) and bc.is_pure("a-1-py3-none-any.whl")
    with pytest.raises(ValueError):
        bc.compiled_wheel_name("python_stdlib.zip", digest, "cp312")


def test_startup_packages_are_the_closure_of_what_the_kernel_imports():
    def entry(name: str, *depends: str) -> dict:
        return {"name": name, "file_name": f"{name}-1-py3-none-any.whl", "depends": list(depends)}

    packages = {
        name: entry(name)
        for name in ("micropip", "packaging", "jedi", "parso", "numpy", "scipy", "six")
    }
    packages["ipython"] = entry("ipython", "traitlets")
    packages["traitlets"] = entry("traitlets")
    packages["pandas"] = entry("pandas", "numpy", "python_dateutil")
    packages["python-dateutil"] = entry("python-dateutil", "six")
    packages["openblas"] = {"name": "openblas", "file_name": "openblas-1.zip", "depends": []}
    packages["numpy"]["depends"] = ["openblas"]
    expected = ["ipython", "jedi", "micropip", "numpy", "packaging", "pandas", "parso"]
    expected += ["python-dateutil", "six", "traitlets"]
    assert bc.startup_packages(packages) == sorted(expected), "not scipy; openblas is no wheel"


def test_caches_made_before_bytecode_are_not_reused():
    assert assembled_cache_path().name.endswith(f"-bc{bc.FORMAT}")
    assert RECIPE >= 3 and scientific_cache_path().name.endswith(f"-r{RECIPE}")


def test_a_build_tagged_name_pyodide_would_not_match_to_its_metadata_is_refused():
    tagged = "python_dateutil-2.9.0.post0-1pyc0123456789ab-cp312-none-any.whl"
    bc._check_installable(tagged, "python_dateutil-2.9.0.post0.dist-info")
    with pytest.raises(EnvironmentProblem, match="versions differ"):
        bc._check_installable("foo-1.0.0-1pyc0123456789ab-cp312-none-any.whl", "foo-1.0.dist-info")
