"""Drive a JupyterLite notebook in Chromium the way a person does: keys and clicks.

Cells are added with the notebook's own "click to add a cell" footer, code is
inserted as text (so CodeMirror does not auto-close brackets), and outputs are
read from the DOM. The notebook renders only the cells in view, so a cell is
found by a mark put on it while it is active, never by its position.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
CELL = f"{NOTEBOOK} .jp-Cell"
ACTIVE = f"{NOTEBOOK} .jp-Cell.jp-mod-active"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


@dataclass
class CellResult:
    text: str
    errors: list[str]
    seconds: float
    has_image: bool


def wait_for_notebook(page: Page, timeout_s: float = 60) -> None:
    page.wait_for_selector(CELL, timeout=timeout_s * 1000)


def current_tab(page: Page) -> str:
    """Label of the main area's current tab: which document the site opened on."""
    return page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").inner_text().strip()


def mark_active_cell(page: Page) -> Locator:
    mark = f"cell-{time.monotonic_ns()}"
    page.eval_on_selector(ACTIVE, "(el, mark) => el.setAttribute('data-minato-test', mark)", mark)
    return page.locator(f'[data-minato-test="{mark}"]')


def append_and_run(page: Page, source: str, timeout_s: float = 90) -> CellResult:
    """Add a cell at the end, type `source`, run it, wait for its prompt, return its output."""
    start = time.perf_counter()
    return wait_for_cell(start_cell(page, source), start, timeout_s)


def start_cell(page: Page, source: str) -> Locator:
    """Add a cell at the end, type `source` and run it without waiting; the cell.

    The footer is clicked again if the notebook was not ready for the first click
    (seen with JupyterLab's default windowed rendering).
    """
    new_cell = f"{NOTEBOOK} .jp-Cell.jp-mod-active.jp-CodeCell .cm-content"
    for _attempt in range(6):
        page.locator(f"{NOTEBOOK} .jp-Notebook-footer").click()
        try:
            page.wait_for_selector(new_cell, timeout=10_000)
        except PlaywrightTimeout:
            continue
        if not page.locator(new_cell).inner_text().strip():
            break
    else:
        raise AssertionError("the notebook footer did not add an empty code cell")
    cell = mark_active_cell(page)
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.insert_text(source)
    typed = editor.inner_text()
    if typed.strip() != source.strip():
        raise AssertionError(f"the new cell holds {typed!r}, not the code typed")
    wait_for_kernel_connection(page)
    page.keyboard.press("Shift+Enter")
    return cell


#: JupyterLab's CodeCell.execute drops a run request while the session has no kernel
#: connection yet (the prompt stays "[ ]" and nothing is queued), so a test, like a
#: visitor, must press Shift+Enter once the kernel exists (it may still be starting)
KERNEL_CONNECTED_JS = """() => {
  const widget = window.jupyterapp?.shell?.currentWidget;
  return !!widget?.sessionContext?.session?.kernel;
}"""


def wait_for_kernel_connection(page: Page, timeout_s: float = 60) -> None:
    page.wait_for_function(KERNEL_CONNECTED_JS, timeout=timeout_s * 1000)


def wait_for_cell(cell: Locator, start: float, timeout_s: float) -> CellResult:
    """Wait until the cell's prompt shows an execution count, then read its outputs."""
    prompt = cell.locator(".jp-InputArea-prompt")
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        text = prompt.inner_text().strip()
        if text and "*" not in text and text != "[ ]:":
            break
        cell.page.wait_for_timeout(200)
    else:
        own = {"prompt": prompt.inner_text(), "output": cell.locator(".jp-OutputArea").inner_text()}
        raise TimeoutError(
            f"cell did not finish in {timeout_s}s: {own}; running: {stuck_cells(cell.page)}"
        )
    outputs = cell.locator(".jp-OutputArea-output")
    stderr = cell.locator(STDERR)
    return CellResult(
        text="\n".join(outputs.nth(i).inner_text() for i in range(outputs.count())),
        errors=[stderr.nth(i).inner_text() for i in range(stderr.count())],
        seconds=time.perf_counter() - start,
        has_image=cell.locator(".jp-OutputArea-output img").count() > 0,
    )


def run_all_cells(page: Page, timeout_s: float = 180) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running.

    Not a sentinel cell: after an error JupyterLab drops the queued cells, so
    a sentinel would never run.
    """
    wait_for_kernel_connection(page)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    prompts = page.locator(f"{CELL}.jp-CodeCell .jp-InputArea-prompt")
    deadline = time.perf_counter() + timeout_s
    settled = 0
    seen_busy = False  # pre-rendered prompts already hold numbers: wait for the run to begin
    while time.perf_counter() < deadline:
        texts = prompts.all_inner_texts()
        busy = any("*" in t for t in texts)
        seen_busy = seen_busy or busy
        settled = settled + 1 if seen_busy and not busy else 0
        if settled >= 3:
            return
        page.wait_for_timeout(300)
    raise TimeoutError(f"cells still running after {timeout_s}s: {stuck_cells(page)}")


def stuck_cells(page: Page) -> list[dict]:
    """The cells still queued or running, with what they showed: evidence for a hang."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
          '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')].map((cell, index) => ({
            index,
            prompt: cell.querySelector('.jp-InputArea-prompt')?.innerText ?? '',
            source: (cell.querySelector('.cm-content')?.innerText ?? '').slice(0, 60),
            output: (cell.querySelector('.jp-OutputArea')?.innerText ?? '').slice(0, 200),
            kernel: document.querySelector('.jp-Notebook-ExecutionIndicator')
              ?.getAttribute('data-status') ?? '',
          })).filter(c => c.prompt.includes('*'))"""
    )
