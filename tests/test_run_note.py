"""Every chapter says how to run it (issue 23): one note, from ``ketacourse_tools.run_note``."""

from __future__ import annotations

import re

import nbformat
import pytest

from ketacourse_tools import chapter_format, run_note
from ketacourse_tools.course import REPO, chapters

CHAPTERS = chapters(REPO)


def test_the_note_says_run_all_from_the_top_where_to_run_and_links_the_how_to_page():
    text = run_note.NOTE
    assert "Run → Run All Cells" in text and "Runtime → Run all" in text
    for where in ("Binder", "Colab", "JupyterHub", "make lab"):
        assert where in text, where
    link = re.search(r"\]\(([^)]+)\)", text).group(1)
    assert link == "how-to-run.md" and (REPO / "chapters" / link).is_file()
    assert text.startswith(":::{admonition} How to run this chapter") and text.endswith(":::")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_every_toc_chapter_has_the_note_right_after_its_title(chapter):
    nb = chapter_format.load(chapter.path)
    notes = [i for i, c in enumerate(nb.cells) if run_note.TAG in chapter_format.tags(c)]
    assert len(notes) == 1, f"{chapter.stem}: {len(notes)} how-to-run notes; run `python -m ketacourse_tools.run_note`"
    cell = nb.cells[notes[0]]
    assert cell.cell_type == "markdown" and cell.source == run_note.NOTE, \
        f"{chapter.stem}: note differs from run_note.NOTE; run `python -m ketacourse_tools.run_note`"
    title = run_note.title_index(nb.cells)
    assert notes[0] == title + 1, f"{chapter.stem}: the note is not the cell after the title"
    assert not any(c.cell_type == "code" for c in nb.cells[:notes[0]]), "no code cell comes before the note"
    assert chapter_format.REMOVE_CELL not in chapter_format.tags(cell), "the book shows the note too"
    assert run_note.update_notebook(chapter.path, write=False) is False


def test_update_adds_moves_and_rewrites_only_the_note(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Key terms", metadata={"tags": ["remove-cell"]}),
        nbformat.v4.new_markdown_cell("# Title\n\nIntro."),
        nbformat.v4.new_code_cell("import x"),
    ])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert run_note.update_notebook(path) is True
    out = nbformat.read(path, as_version=4)
    assert [c.source for c in out.cells] == ["Key terms", "# Title\n\nIntro.", run_note.NOTE, "import x"]
    assert out.cells[2].id == run_note.CELL_ID
    assert run_note.update_notebook(path) is False
    out.cells[2].source = "old text"
    out.cells.insert(3, out.cells.pop(2))  # stale and misplaced
    out.cells.append(nbformat.v4.new_markdown_cell("dup", metadata={"tags": [run_note.TAG]}))
    nbformat.write(out, path)
    assert run_note.update_notebook(path, write=False) is True
    assert run_note.update_notebook(path) is True
    again = nbformat.read(path, as_version=4)
    assert [c.source for c in again.cells] == ["Key terms", "# Title\n\nIntro.", run_note.NOTE, "import x"]
    assert again.cells[2].id == run_note.CELL_ID
