"""Cells as nbformat v4 makes them, without its check of each cell on creation.

`v4.new_code_cell` validates every cell against the schema as it is made: 460
validations for ten sites, a fifth of a site's build without pre-rendering.
Every cell made here ends in `builders.document()`, which gives it its stable
id and validates the whole notebook once, so nothing goes unchecked.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbformat.corpus.words import generate_corpus_id


def code_cell(source: str, metadata: dict[str, Any] | None = None) -> NotebookNode:
    return NotebookNode(
        cell_type="code",
        id=generate_corpus_id(),
        metadata=NotebookNode(metadata or {}),
        execution_count=None,
        source=source,
        outputs=[],
    )


def markdown_cell(source: str) -> NotebookNode:
    return NotebookNode(
        cell_type="markdown", id=generate_corpus_id(), metadata=NotebookNode(), source=source
    )
