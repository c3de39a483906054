"""The JupyterLite addon: a plain `jupyter lite build` with a `minato` section."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minato_lite.resources import REPO_DIR
from tests.support import lab

CONFIG = {
    "LiteBuildConfig": {"apps": ["lab"], "no_sourcemaps": True},
    "minato": {
        "inputs": ["data/sales.csv"],
        "code": ["analysis.py"],
        "analysis": "descriptive",
        "title": "Addon sales",
    },
}


def lite_project(tmp_path: Path, pyodide: Path | None = None) -> Path:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    shutil.copy(REPO_DIR / "examples/sales.csv", project / "data/sales.csv")
    shutil.copy(REPO_DIR / "examples/analysis.py", project / "analysis.py")
    (project / "jupyter_lite_config.json").write_text(json.dumps(CONFIG))
    if pyodide is not None:  # the pyodide addon's well-known place for a local distribution
        shutil.copytree(pyodide, project / "static" / "pyodide")
    return project


def jupyter_lite_build(project: Path) -> Path:
    output = project / "_output"
    result = subprocess.run(
        [sys.executable, "-m", "jupyterlite_core", "build", "--output-dir", str(output)],
        cwd=project, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return output


def test_plain_jupyter_lite_build_gets_data_notebooks_wheels_and_kernel_settings(tmp_path):
    output = jupyter_lite_build(lite_project(tmp_path))
    files = output / "files"
    for rel in (
        "analysis.ipynb",
        "code.ipynb",
        "explorer.ipynb",
        "data/sales.csv",
        "data/catalog.json",
        "minato/__init__.py",
        "minato/startup.py",
    ):
        assert (files / rel).is_file(), rel
    listing = json.loads((output / "api/contents/data/all.json").read_text())
    assert {e["name"] for e in listing["content"]} == {"sales.csv", "catalog.json"}
    assert {p.name.split("-")[0] for p in (output / "pypi").glob("*.whl")} >= {
        "ipywidgets",
        "comm",
        "jupyterlab_widgets",
    }
    data = json.loads((output / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = data["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["loadPyodideOptions"]["env"]["PYTHONSTARTUP"] == "/drive/minato/startup.py"
    assert any("pypi/all.json" in url for url in kernel["pipliteUrls"])
    assert data["contentsStorageName"].startswith("minato-lite-")
    report = (output / "index.html").read_text()  # the report, as minato-lite build writes it
    assert "lab/index.html?path=analysis.ipynb" in report and 'id="jupyter-config-data"' in report
    assert '<script src="minato-warmup.js" defer></script>' in report
    warm = json.loads((output / "minato-warmup.json").read_text())
    assert any(url.startswith("build/lab/bundle.js?") for url in warm["bundles"])
    assert warm["runtime"] == []  # the CDN's Pyodide: not the site's to warm
    assert (output / "minato-warmup.js").is_file()


def test_a_broken_minato_section_fails_the_build_clearly(tmp_path):
    project = lite_project(tmp_path)
    config = {**CONFIG, "minato": {"inputs": ["data/missing.csv"]}}
    (project / "jupyter_lite_config.json").write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "jupyterlite_core", "build", "--output-dir", "_output"],
        cwd=project, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode != 0
    assert "missing.csv: no such file" in result.stdout + result.stderr


@pytest.mark.browser
def test_addon_site_starts_its_kernel_with_the_data(
    assembled_pyodide, tmp_path, serve_site, page_for
):
    output = jupyter_lite_build(lite_project(tmp_path, pyodide=assembled_pyodide))
    # the report's warm-up names the runtime files this Pyodide release really has
    runtime = json.loads((output / "minato-warmup.json").read_text())["runtime"]
    assert "pyodide.asm.wasm" in runtime
    assert all((output / "static/pyodide" / name).is_file() for name in runtime), runtime
    server = serve_site(output)
    page, watch = page_for(server.url)
    page.goto(server.url + "lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    result = lab.append_and_run(page, "print(minato.datasets(), minato.title())")
    assert "['sales'] Addon sales" in result.text
    assert watch.outside() == []
