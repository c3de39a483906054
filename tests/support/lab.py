"""Drive a JupyterLite notebook in Chromium the way a person does: keys and clicks.

Cells are added with JupyterLab's own shortcuts, code is inserted as text (so
CodeMirror does not auto-close brackets), and outputs are read from the DOM.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from playwright.sync_api import Page

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
CELL = f"{NOTEBOOK} .jp-Cell"


@dataclass
class CellResult:
    text: str
    errors: list[str]
    seconds: float
    has_image: bool


def wait_for_notebook(page: Page, timeout_s: float = 60) -> None:
    page.wait_for_selector(f"{CELL}", timeout=timeout_s * 1000)


def current_tab(page: Page) -> str:
    """Label of the main area's current tab: which document the site opened on."""
    return page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").inner_text().strip()


def cell_count(page: Page) -> int:
    return page.locator(CELL).count()


def append_and_run(page: Page, source: str, timeout_s: float = 180) -> CellResult:
    """Add a cell at the end (the notebook's "click to add a cell" footer), type, run."""
    start = time.perf_counter()
    before = cell_count(page)
    page.locator(f"{NOTEBOOK} .jp-Notebook-footer").click()
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n", arg=[CELL, before]
    )
    editor = page.locator(CELL).nth(before).locator(".cm-content")
    editor.click()
    page.keyboard.insert_text(source)
    typed = editor.inner_text()
    if typed.strip() != source.strip():
        raise AssertionError(f"cell {before} holds {typed!r}, not the code typed")
    page.keyboard.press("Shift+Enter")
    return wait_for_cell(page, before, start, timeout_s)


def wait_for_cell(page: Page, index: int, start: float, timeout_s: float) -> CellResult:
    cell = page.locator(CELL).nth(index)
    prompt = cell.locator(".jp-InputArea-prompt")
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        text = prompt.inner_text().strip()
        if text and "*" not in text and text != "[ ]:":
            break
        page.wait_for_timeout(200)
    else:
        raise TimeoutError(f"cell {index} did not finish in {timeout_s}s")
    outputs = cell.locator(".jp-OutputArea-output")
    texts = [outputs.nth(i).inner_text() for i in range(outputs.count())]
    errors = [
        cell.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        .nth(i)
        .inner_text()
        for i in range(
            cell.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
            ).count()
        )
    ]
    return CellResult(
        text="\n".join(texts),
        errors=errors,
        seconds=time.perf_counter() - start,
        has_image=cell.locator(".jp-OutputArea-output img").count() > 0,
    )


def run_all(page: Page, timeout_s: float = 300) -> list[CellResult]:
    """Run every cell (Run > Run All Cells) and return each code cell's result."""
    start = time.perf_counter()
    page.locator(CELL).first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Shift+Enter")
    results = []
    for index in range(cell_count(page)):
        cell = page.locator(CELL).nth(index)
        if "jp-CodeCell" in (cell.get_attribute("class") or ""):
            results.append(wait_for_cell(page, index, start, timeout_s))
    return results
