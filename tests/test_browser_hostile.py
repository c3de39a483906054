"""In Chromium: hostile names and titles render as text, and no injected script runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from minato_lite import build_site
from minato_lite.report import LIVE_ANALYSIS
from tests.support import lab

pytestmark = pytest.mark.browser
CORPUS = Path(__file__).parent / "hostile"
# window.name survives navigation within the tab, so a script that ran on the report is
# still seen in JupyterLab
TITLE = '<img src=x onerror="window.name=10"></title><script>window.name="pwned"</script>'
INERT_JS = """() => ({pwned: window.__pwned ?? null, name: window.name,
  images: document.querySelectorAll('img[src="x"]').length,
  scripts: document.querySelectorAll("a[href^='javascript']").length})"""


def test_hostile_names_and_title_stay_text_in_the_browser(
    assembled_pyodide, tmp_path, serve_site, page_for
):
    site = tmp_path / "site"
    build_site(
        {'<img src=x onerror="window.__pwned=12">': CORPUS / "hostile_names.json"},
        site,
        title=TITLE,
        pyodide=assembled_pyodide,
    )
    server = serve_site(site)
    page, watch = page_for(server.url)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server.url + "index.html")  # the report
    assert page.locator("h1").inner_text() == " ".join(TITLE.split())
    origin = page.locator("table.datasets tbody td").first.inner_text()
    assert origin == '<img src=x onerror="window.__pwned=12"> (hostile_names.json)', origin
    assert page.evaluate(INERT_JS) == {"pwned": None, "name": "", "images": 0, "scripts": 0}

    page.get_by_role("link", name=LIVE_ANALYSIS, exact=True).click()
    lab.wait_for_notebook(page)
    page.wait_for_selector(f"{lab.NOTEBOOK} .jp-RenderedMarkdown h1")
    heading = page.locator(f"{lab.NOTEBOOK} .jp-RenderedMarkdown h1").first.inner_text()
    assert heading.startswith('<img src=x onerror="window.name=10">')

    result = lab.append_and_run(
        page, "for key in minato.records(limit=1)[0]:\n    print(repr(key))"
    )
    assert "'<img src=x onerror=\"window.__pwned=1\">'" in result.text
    assert "'`rm -rf /`'" in result.text

    assert page.evaluate(INERT_JS) == {"pwned": None, "name": "", "images": 0, "scripts": 0}
    assert dialogs == []
    assert watch.outside() == []
