"""The "How to run this chapter" note: one text, the same near the top of every chapter.

A learner who opens a chapter in JupyterLab or Colab and runs only a widget's cell gets a
``NameError``: the figures and the answer checks need the cells above them. Every chapter of
``_toc.yml`` therefore carries, straight after its title cell, one markdown cell tagged
:data:`TAG` whose source is :data:`NOTE`: run the notebook from the top (Run → Run All Cells), where
to open it (the book's launch buttons for Binder, Colab or a JupyterHub; ``make lab`` locally) and a
link to ``chapters/how-to-run.md``. The book shows it too (there it says how to get a runnable copy).

``python -m ketacourse_tools.run_note`` adds or updates the cell in every chapter (edits that cell
only, keeps its id); ``--check`` only lists the chapters whose note is missing, misplaced or out of
date (``tests/test_run_note.py`` runs the same check).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from .course import REPO, chapters

__all__ = ["TAG", "CELL_ID", "NOTE", "title_index", "update_notebook", "main"]

TAG = "kc-how-to-run"
CELL_ID = "kc-how-to-run"

NOTE = """:::{admonition} How to run this chapter
:class: tip
**Run the notebook from the top** before you use it: in JupyterLab choose **Run → Run All Cells**
(in Colab, **Runtime → Run all**). Each figure's controls and each answer check use the cells
above them, so a cell run on its own stops with an error such as `NameError`; after restarting
the kernel, run all the cells again. To get a runnable copy, use the launch button at the top of
the book's page (Binder, Colab or your university's JupyterHub) or run `make lab` on your own
computer: [How to run the course](how-to-run.md) gives the steps. In the online book nothing needs
to run: a slider under each figure steps through versions drawn in advance.
:::"""


def title_index(cells: list) -> int:
    """Index in ``cells`` of the chapter's title cell (the first markdown cell with a ``# `` line).

    Raises
    ------
    ValueError
        If no markdown cell has an h1.
    """
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and any(line.startswith("# ") for line in cell.source.splitlines()):
            return i
    raise ValueError("the notebook has no markdown cell with an h1 ('# Title')")


def update_notebook(path: Path | str, *, write: bool = True) -> bool:
    """Give the notebook at ``path`` exactly one note cell, right after its title cell, with
    :data:`NOTE` as its source. Returns whether anything changed (or, with ``write=False``, would)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    notes = [c for c in nb.cells if TAG in c.get("metadata", {}).get("tags", [])]
    cell = notes[0] if notes else None
    want_at = title_index([c for c in nb.cells if c is not cell]) + 1
    current_at = nb.cells.index(cell) if cell is not None else None
    ok = (len(notes) == 1 and cell.cell_type == "markdown" and cell.source == NOTE
          and current_at == want_at)
    if ok:
        return False
    if write:
        for extra in notes[1:]:
            nb.cells.remove(extra)
        if cell is None or cell.cell_type != "markdown":
            if cell is not None:
                nb.cells.remove(cell)
            ids = {c.get("id") for c in nb.cells}
            cell = nbformat.v4.new_markdown_cell(NOTE, metadata={"tags": [TAG]})
            cell["id"] = CELL_ID if CELL_ID not in ids else f"{CELL_ID}-{len(ids)}"
        else:
            nb.cells.remove(cell)
            cell.source = NOTE
        nb.cells.insert(title_index(nb.cells) + 1, cell)
        nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a chapter's note is not current")
    args = parser.parse_args(argv)
    changed = [ch.path.name for ch in chapters(REPO) if update_notebook(ch.path, write=not args.check)]
    if args.check and changed:
        print("run `python -m ketacourse_tools.run_note`: the how-to-run note is missing or stale in " + ", ".join(changed))
        return 1
    print(f"{len(changed)} chapter(s) {'would change' if args.check else 'updated'}" + "".join(f"\n  {c}" for c in changed))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
