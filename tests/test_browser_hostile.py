"""In Chromium: hostile names and titles render as text, and no injected script runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from minato_lite import build_site
from tests.support import lab

pytestmark = pytest.mark.browser
CORPUS = Path(__file__).parent / "hostile"
# window.name survives the landing page's redirect, so a script that ran there is still seen
TITLE = '<img src=x onerror="window.name=10"></title><script>window.name="pwned"</script>'


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
    page.goto(server.url + "index.html")
    lab.wait_for_notebook(page)
    page.wait_for_selector(f"{lab.NOTEBOOK} .jp-RenderedMarkdown h1")
    heading = page.locator(f"{lab.NOTEBOOK} .jp-RenderedMarkdown h1").first.inner_text()
    assert heading.startswith('<img src=x onerror="window.name=10">')

    result = lab.append_and_run(
        page, "for key in minato.records(limit=1)[0]:\n    print(repr(key))"
    )
    assert "'<img src=x onerror=\"window.__pwned=1\">'" in result.text
    assert "'`rm -rf /`'" in result.text

    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => window.name") == ""
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert watch.outside() == []
