"""How the chapters read: the code a reader sees is most of the code, fits the page's column, and what is hidden
only presents numbers computed in the open (a Markdown sentence from the chapter's module or
:mod:`auxlib.verdicts`)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from auxlib.book import book_chapters

ROOT = Path(__file__).resolve().parents[1]
#: The widest line of shown code, in characters: the page's column.
COLUMN = 88
#: The largest share of the chapters' code lines that may be hidden.
HIDDEN_SHARE = 0.15
HIDING = {"remove-input", "remove-cell"}


def code_cells() -> list[tuple[str, list[str], str]]:
    """(chapter, tags, source) of every code cell of the book's notebooks, papermill's injected cells left out."""
    cells = []
    for name in book_chapters(ROOT):
        path = ROOT / "book" / f"{name}.ipynb"
        if not path.exists():
            continue
        for cell in json.loads(path.read_text())["cells"]:
            tags = cell["metadata"].get("tags", [])
            if cell["cell_type"] == "code" and "injected-parameters" not in tags:
                cells.append((name, tags, "".join(cell["source"])))
    return cells


def lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if line.strip()]


def test_hidden_code_is_a_small_share_of_the_chapters_code():
    total = sum(len(lines(source)) for _, _, source in code_cells())
    hidden = sum(len(lines(source)) for _, tags, source in code_cells() if HIDING & set(tags))
    assert total and hidden / total <= HIDDEN_SHARE, f"{hidden} of {total} code lines are hidden"


@pytest.mark.parametrize("name", [n for n in book_chapters(ROOT) if (ROOT / "book" / f"{n}.ipynb").exists()])
def test_shown_code_fits_the_page_column(name):
    wide = [line for chapter, _, source in code_cells() if chapter == name for line in source.splitlines()
            if len(line) > COLUMN]
    assert not wide, f"{name}: {len(wide)} lines wider than {COLUMN} characters, the first: {wide[0]!r}"


def test_hidden_cells_only_present_a_sentence():
    for name, tags, source in code_cells():
        if HIDING & set(tags) and "parameters" not in tags:  # a page's parameters are plumbing
            assert "remove-cell" not in tags, f"{name} removes a whole cell: {source[:60]!r}"
            *imports, last = ast.parse(source).body
            assert all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in imports) and isinstance(
                last, ast.Expr) and isinstance(last.value, ast.Call) and getattr(
                last.value.func, "id", None) == "Markdown", f"{name} hides more than a sentence: {source[:60]!r}"
