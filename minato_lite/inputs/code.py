"""The user's code as an input: read as given, split into cells, parsed but never run.

Code arrives as text or files (UTF-8), possibly written by an LLM. It becomes
`code.ipynb` cells verbatim and, where asked, a job for the WebAssembly
sandbox; nothing here executes it. `# %%` lines (the percent format) split it
into cells the same way for both.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

CELL_MARKER = "# %%"


@dataclass(frozen=True)
class CodeSource:
    """User or LLM code: `label` says where it came from (a file name or 'code')."""

    label: str
    text: str


def read_code(code: str | Path | Iterable[str | Path] | None) -> list[CodeSource]:
    """Code as given: a `str` is code text, a `Path` is a file to read (UTF-8)."""
    if code is None:
        return []
    items = [code] if isinstance(code, (str, Path)) else list(code)
    sources = []
    for item in items:
        if isinstance(item, Path):
            if not item.is_file():
                raise UserError(f"{item}: no such code file")
            try:
                text = item.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise UserError(
                    f"{item}: code file is not UTF-8 (byte {exc.start}); save it as UTF-8"
                ) from None
            sources.append(CodeSource(label=item.name, text=text))
        else:
            sources.append(CodeSource(label="code", text=str(item)))
    return sources


def split_cells(text: str) -> list[str]:
    """Split on `# %%` lines (the percent format); a marker's own comment is kept."""
    cells: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip().startswith(CELL_MARKER):
            cells.append([])
            rest = line.strip()[len(CELL_MARKER) :].strip()
            if rest:
                cells[-1].append(f"# {rest}")
            continue
        cells[-1].append(line)
    return ["\n".join(lines).strip("\n") for lines in cells if "\n".join(lines).strip()]


def join_cells(cells: Iterable[str]) -> str:
    """The inverse of `split_cells` for cells that hold no marker themselves."""
    return f"\n{CELL_MARKER}\n".join(cells)


def syntax_problem(text: str) -> str | None:
    """Why `text` does not parse as Python (it is parsed, never run), or None."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # e.g. null bytes
        return str(exc)
    return None
