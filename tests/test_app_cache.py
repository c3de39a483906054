"""The cached base app: hit, miss on config change, concurrent builds, and a faithful index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.build import prepare
from minato_lite.cache import cache_root
from minato_lite.resources import REPO_DIR, resource_dir
from minato_lite.site import app_cache
from minato_lite.site.contents_index import write_contents_index

SALES = REPO_DIR / "examples" / "sales.csv"


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch) -> Path:
    """An empty app cache that still has the downloaded wheels (no network needed)."""
    cache = tmp_path / "cache"
    (cache).mkdir()
    if (cache_root() / "wheels").exists():
        shutil.copytree(cache_root() / "wheels", cache / "wheels")
    monkeypatch.setenv("MINATO_LITE_CACHE", str(cache))
    return cache


def test_second_build_reuses_the_cached_app(fresh_cache, tmp_path, monkeypatch):
    build_site([SALES], tmp_path / "one")
    apps = [p for p in (fresh_cache / "apps").iterdir() if p.is_dir()]
    assert len(apps) == 1

    def no_rebuild(*_a, **_k):
        raise AssertionError("the app was built again")

    monkeypatch.setattr(app_cache, "build_app", no_rebuild)
    build_site([SALES], tmp_path / "two", title="other")
    one = tmp_path / "one" / "build" / "lab" / "bundle.js"
    two = tmp_path / "two" / "build" / "lab" / "bundle.js"
    assert one.stat().st_ino == two.stat().st_ino  # hard links, not copies


def test_config_change_misses_the_cache(fresh_cache, tmp_path, monkeypatch):
    build_site([SALES], tmp_path / "one")
    config = tmp_path / "lite-config"
    shutil.copytree(resource_dir("lite-config"), config)
    overrides = json.loads((config / "overrides.json").read_text())
    overrides["@jupyterlab/apputils-extension:themes"] = {"theme": "JupyterLab Dark"}
    (config / "overrides.json").write_text(json.dumps(overrides))
    real = resource_dir
    monkeypatch.setattr(
        app_cache, "resource_dir", lambda kind: config if kind == "lite-config" else real(kind)
    )
    build_site([SALES], tmp_path / "two")
    apps = sorted(p for p in (fresh_cache / "apps").iterdir() if p.is_dir())
    assert len(apps) == 2
    settings = json.loads((tmp_path / "two" / "jupyter-lite.json").read_text())
    assert "JupyterLab Dark" in json.dumps(settings["jupyter-config-data"]["settingsOverrides"])


def test_concurrent_builds_share_one_cache(fresh_cache, tmp_path):
    env = {**os.environ, "MINATO_LITE_CACHE": str(fresh_cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "minato_lite", "build", str(SALES), "-o",
             str(tmp_path / f"site{i}"), "-q"],
            env=env, stderr=subprocess.PIPE, text=True,
        )
        for i in range(4)
    ]  # fmt: skip
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    apps = [p for p in (fresh_cache / "apps").iterdir() if p.is_dir()]
    assert len(apps) == 1
    assert [p.name for p in (fresh_cache / "apps").iterdir() if p.name.startswith(".")] == []
    for i in range(4):
        assert (tmp_path / f"site{i}" / "files" / "analysis.ipynb").is_file()


def test_contents_index_matches_what_jupyter_lite_build_writes(tmp_path):
    prepared = prepare([SALES], code="print(1)")
    lite = tmp_path / "lite"
    prepared.files.write(lite / "files")
    output = tmp_path / "private" / "site"
    output.parent.mkdir()
    app_cache.run_jupyter_lite_build(lite, output, log=lambda _m: None)
    ours = tmp_path / "ours"
    write_contents_index(output / "files", ours, app_cache.source_date_epoch())

    def normal(path: Path) -> dict:
        listing = json.loads(path.read_text())
        listing["content"] = sorted(listing["content"], key=lambda e: e["name"])
        return listing

    theirs = sorted(
        p.relative_to(output / "api/contents") for p in (output / "api/contents").rglob("all.json")
    )
    assert theirs == sorted(p.relative_to(ours) for p in ours.rglob("all.json"))
    for rel in theirs:
        assert normal(ours / rel) == normal(output / "api/contents" / rel), rel


def test_page_scripts_load_first_in_the_lab_page_once_however_often_added(tmp_path):
    from minato_lite.site.app_cache import PAGE_SCRIPTS, add_page_scripts

    (tmp_path / "lab").mkdir()
    page = tmp_path / "lab" / "index.html"
    page.write_text("<html>\n<head>\n<script>app()</script>\n</head><body></body></html>")
    add_page_scripts(tmp_path)
    add_page_scripts(tmp_path)
    html = page.read_text()
    for name in PAGE_SCRIPTS:
        assert html.count(f'<script src="../{name}"></script>') == 1
        assert html.index(name) < html.index("app()"), "before the app's own scripts"
        assert (tmp_path / name).is_file()
    assert html.index("waitasync-fix") < html.index("minato-status")


def test_a_cache_entrys_files_are_walked_once_until_the_entry_is_replaced(tmp_path):
    from minato_lite.cache import entry_files

    entry = tmp_path / "apps" / "key"
    (entry / "lab").mkdir(parents=True)
    (entry / "lab" / "index.html").write_text("a")
    (entry / "b.js").write_text("b")
    first = entry_files(entry)
    assert [rel for rel, _ in first] == ["b.js", "lab/index.html"]
    assert entry_files(entry) is first  # remembered: no second walk
    # an entry is only ever replaced whole (renamed into place): the new one is walked
    staged = tmp_path / "apps" / ".staged"
    (staged / "lab").mkdir(parents=True)
    (staged / "lab" / "index.html").write_text("a")
    (staged / "c.js").write_text("c")
    shutil.rmtree(entry)
    os.replace(staged, entry)
    assert [rel for rel, _ in entry_files(entry)] == ["c.js", "lab/index.html"]
