"""Offline sites: only imported packages ship, PyPI requirements work, check catches damage."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.errors import MinatoError, UserError
from minato_lite.pyodide.assemble import assemble, fetch_core
from minato_lite.pyodide.distribution import PyodideDistribution as Distribution
from minato_lite.pyodide.offline import code_imports, plan
from minato_lite.resources import REPO_DIR
from tests.support import lab
from tests.support.cli import run_cli
from tests.support.needs import unavailable

SALES = REPO_DIR / "examples" / "sales.csv"


@pytest.fixture(scope="session")
def full_lockfile() -> Distribution:
    """The npm core's lockfile lists every Pyodide package (the wheels are not needed here)."""
    try:
        return Distribution.open(fetch_core())
    except MinatoError as exc:
        unavailable(f"needs the npm package pyodide (npm and the npm registry): {exc}")


@pytest.fixture(scope="session")
def dist_with_pytz(tmp_path_factory) -> Path:
    """An assembled distribution with one pure-Python package the kernel does not need."""
    try:
        dist = assemble(tmp_path_factory.mktemp("pytz") / "dist", extra_packages=["pytz"])
    except MinatoError as exc:
        unavailable(f"cannot assemble (needs npm and PyPI): {exc}")
    assert dist.folder is not None
    return dist.folder


def test_imports_are_parsed_not_run():
    code = "import os, json\nfrom pandas import DataFrame\n%matplotlib inline\nfrom . import x\n"
    assert code_imports(code) == {"os", "json", "pandas"}
    assert code_imports("import numpy as np\nif (:\n") == {"numpy"}  # does not parse


def test_the_dependency_closure_comes_from_the_lockfile(full_lockfile):
    only_json = plan(full_lockfile, generated=[], user_code=["import json"])
    assert "scipy" not in only_json.packages and "matplotlib" not in only_json.packages
    assert {"micropip", "ipython", "jedi"} <= only_json.packages
    assert "pandas" in only_json.packages  # the runtime's minato.load and the preloaded df
    with_pandas = plan(full_lockfile, generated=[], user_code=["import sklearn, pandas"])
    assert {"pandas", "numpy", "python-dateutil", "pytz", "scikit-learn", "scipy"} <= (
        with_pandas.packages
    )
    assert len(with_pandas.packages) < len(full_lockfile.packages) / 5


def test_names_that_cannot_be_found_are_build_errors(full_lockfile):
    with pytest.raises(UserError, match="imports notapackage"):
        plan(full_lockfile, generated=[], user_code=["import notapackage"])
    with pytest.raises(UserError, match="--packages nope"):
        plan(full_lockfile, generated=[], user_code=[], packages=["nope"])


def shipped(site: Path) -> set[str]:
    lock = json.loads((site / "static/pyodide/pyodide-lock.json").read_text())
    files = {p.name for p in (site / "static/pyodide").glob("*.whl")}
    assert files == {e["file_name"] for e in lock["packages"].values()}
    return set(lock["packages"])


def test_a_site_ships_a_package_only_when_its_code_imports_it(dist_with_pytz, tmp_path):
    build_site(
        [SALES], tmp_path / "plain", code="import json", offline=True, pyodide=dist_with_pytz
    )
    build_site([SALES], tmp_path / "tz", code="import pytz", offline=True, pyodide=dist_with_pytz)
    assert "pytz" not in shipped(tmp_path / "plain")
    assert "pytz" in shipped(tmp_path / "tz")
    assert shipped(tmp_path / "tz") - shipped(tmp_path / "plain") == {"pytz"}


def test_check_passes_a_clean_site_and_catches_damage(dist_with_pytz, tmp_path):
    site = tmp_path / "site"
    build_site([SALES], site, offline=True, pyodide=dist_with_pytz)
    assert run_cli("check", str(site)).returncode == 0

    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    (broken / "files/data/sales.csv").unlink()
    wheel = next((broken / "static/pyodide").glob("jedi-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    config = json.loads((broken / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"
    ]
    kernel["pyodideUrl"] = "https://cdn.example.invalid/pyodide/pyodide.mjs"
    (broken / "jupyter-lite.json").write_text(json.dumps(config))
    result = run_cli("check", str(broken))
    assert result.returncode == 1
    assert "files/data/sales.csv is in the contents index but missing" in result.stdout
    assert "dataset sales: data/sales.csv is missing" in result.stdout
    assert "offline site names an external URL" in result.stdout

    tampered = tmp_path / "tampered"
    shutil.copytree(site, tampered)
    wheel = next((tampered / "static/pyodide").glob("jedi-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    result = run_cli("check", str(tampered))
    assert result.returncode == 1 and re.search(r"jedi-0\.19\.2-\S+\.whl does not match",
                                                result.stdout), result.stdout  # fmt: skip


def test_offline_options_are_checked(tmp_path):
    result = run_cli("build", str(SALES), "-o", str(tmp_path / "s"), "--packages", "pytz")
    assert result.returncode == 2 and "go with --offline" in result.stderr


@pytest.mark.browser
def test_a_pypi_requirement_works_in_the_browser_with_no_network(
    assembled_pyodide, tmp_path, serve_site, page_for
):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tabulate==0.9.0\n")
    site = tmp_path / "site"
    try:
        build_site(
            [SALES],
            site,
            offline=True,
            pyodide=assembled_pyodide,
            requirements=requirements,
            code="import tabulate",
        )
    except UserError as exc:
        unavailable(f"cannot fetch tabulate from PyPI: {exc}")
    server = serve_site(site)
    page, watch = page_for(server.url)
    page.goto(server.url + "lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    result = lab.append_and_run(
        page,
        "import tabulate\nprint(tabulate.tabulate(minato.records()[:2], headers='keys')[:40])",
    )
    assert "order_id" in result.text, result.text + "".join(result.errors)
    widget = lab.append_and_run(
        page,
        'await minato.ensure("ipywidgets")\nimport ipywidgets\nipywidgets.Button(description="ok")',
    )
    assert widget.errors == []
    page.wait_for_selector(".jupyter-widgets.widget-button", timeout=30_000)
    assert watch.outside() == []
