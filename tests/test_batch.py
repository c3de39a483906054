"""`minato-lite batch`: manifests, one bad entry, the index page, and a batch site in Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minato_lite.report import LIVE_ANALYSIS
from minato_lite.resources import REPO_DIR
from tests.support import lab
from tests.support.cli import run_cli
from tests.test_cli import assert_one_line_error

SALES = REPO_DIR / "examples" / "sales.csv"


def manifest(tmp_path: Path, entries: list, name: str = "batch.json") -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "sales.csv").write_bytes(SALES.read_bytes())
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps({"analyses": entries}))
    else:
        import yaml

        path.write_text(yaml.safe_dump({"analyses": entries}))
    return path


def test_one_bad_entry_fails_alone_and_the_batch_exits_1(tmp_path):
    path = manifest(tmp_path, [
        {"name": "good", "inputs": ["data/sales.csv"], "title": "<b>Good</b>"},
        {"name": "broken", "inputs": ["data/missing.csv"]},
        {"name": "also-good", "inputs": ["data/sales.csv"], "analysis": "descriptive"},
    ])  # fmt: skip
    out = tmp_path / "sites"
    result = run_cli("batch", str(path), "-o", str(out), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert (report["ok"], report["failed"]) == (2, 1)
    failed = [a for a in report["analyses"] if a["status"] == "failed"]
    assert failed[0]["name"] == "broken" and "no such file" in failed[0]["error"]
    assert (out / "good" / "files" / "analysis.ipynb").is_file()
    assert (out / "also-good" / "index.html").is_file()
    assert not (out / "broken").exists()
    index = (out / "index.html").read_text()
    assert '<a href="./good/index.html">&lt;b&gt;Good&lt;/b&gt;</a>' in index
    assert "broken: <em>failed</em>" in index


def test_yaml_manifests_work(tmp_path):
    path = manifest(tmp_path, [{"name": "y", "inputs": ["data/sales.csv"]}], "batch.yaml")
    result = run_cli("batch", str(path), "-o", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "y" / "minato-site.json").is_file()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"name": "a", "inputs": ["data/sales.csv"], "colour": "red"}], "unknown key(s) colour"),
        ([{"name": "../up", "inputs": ["data/sales.csv"]}], "invalid site name '../up'"),
        ([{"name": "_shared", "inputs": ["data/sales.csv"]}], "invalid site name '_shared'"),
        ([{"name": "a", "inputs": ["data/sales.csv"]}] * 2, "used twice"),
        ([{"name": "a"}], "'inputs' is required"),
        ([{"name": "a", "inputs": "data/sales.csv"}], "must be a list of paths"),
        ([{"name": "a", "inputs": ["data/sales.csv"], "analysis": "magic"}], "analysis must be"),
    ],
)
def test_invalid_manifests_are_one_line_exit_2(tmp_path, entries, message):
    path = manifest(tmp_path, entries)
    result = run_cli("batch", str(path), "-o", str(tmp_path / "out"))
    assert_one_line_error(result, 2, message)
    assert not (tmp_path / "out").exists()


@pytest.fixture
def served_batch(assembled_pyodide, tmp_path, serve_site, page_for):
    """Two sites with identical content in one batch, served, and a watched page."""
    from minato_lite.batch import run_batch

    path = manifest(tmp_path, [
        {"name": "first", "inputs": ["data/sales.csv"]},
        {"name": "second", "inputs": ["data/sales.csv"]},
    ])  # fmt: skip
    out = tmp_path / "sites"
    assert {r.status for r in run_batch(path, out, pyodide=str(assembled_pyodide))} == {"ok"}
    server = serve_site(out)
    page, watch = page_for(server.url)
    return server, page, watch


@pytest.mark.browser
def test_a_batch_site_opens_from_the_index_and_runs(served_batch):
    server, page, watch = served_batch
    page.goto(server.url + "index.html")
    page.get_by_role("link", name="second").click()
    page.get_by_role("link", name=LIVE_ANALYSIS, exact=True).click()  # its report
    lab.wait_for_notebook(page)
    assert "/second/lab/" in page.url
    result = lab.append_and_run(page, "print(minato.datasets(), len(minato.records()))")
    assert "['sales'] 12" in result.text
    assert watch.outside() == []


@pytest.mark.browser
def test_sibling_sites_keep_their_own_browser_storage(served_batch):
    """A file saved in one site is kept for that site and never shows in its identical sibling."""
    server, page, watch = served_batch
    listing = "import os\nprint(sorted(os.listdir('/drive')))"

    page.goto(server.url + "first/lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    saved = lab.append_and_run(page, "open('/drive/kept.txt', 'w').write('mine')\n" + listing)
    assert "kept.txt" in saved.text, saved.text + "".join(saved.errors)

    # each visit in its own tab of the same browser (same storage), as a person would
    page = page.context.new_page()
    page.goto(server.url + "second/lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    sibling = lab.append_and_run(page, listing)
    assert "analysis.ipynb" in sibling.text and "kept.txt" not in sibling.text

    page = page.context.new_page()
    page.goto(server.url + "first/lab/index.html?path=analysis.ipynb")
    lab.wait_for_notebook(page)
    again = lab.append_and_run(page, listing)
    assert "kept.txt" in again.text  # the control: the write really was stored
    assert watch.outside() == []
