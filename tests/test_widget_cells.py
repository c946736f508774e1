"""Every widget cell of every chapter runs as the first cell a learner runs (issue 23, item 1).

Each widget cell is executed alone, in a fresh namespace, as the source reads once
``ketacourse_tools.widget_imports`` has given it the import of its widget class (the tool leaves
a cell that already has it unchanged, so after the tool has run on the chapters this executes
the stored cells exactly). Also: the tool is idempotent, and the stored prompt never promises
that running one cell is enough.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pytest  # noqa: E402

from ketacourse.widgets.base import ModelWidget
from ketacourse_tools import widget_imports as wi

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLASSES = wi.widget_classes()
NOTEBOOKS = {p.relative_to(REPO).as_posix(): nbformat.read(p, as_version=4)
             for p in sorted((REPO / "chapters").glob("*.ipynb"))}
"""Each chapter read once (a chapter with its stored figures is several MB)."""
CELLS = [(nb, i) for nb, notebook in NOTEBOOKS.items() for i in wi.widget_cells(notebook, CLASSES)]


def test_widget_classes_and_cells_are_found():
    assert len(CLASSES) >= 20, sorted(CLASSES)
    assert len(CELLS) >= 20, CELLS


@pytest.mark.parametrize("nb,index", CELLS, ids=[f"{nb.rsplit('/', 1)[-1][:2]}-cell{i}" for nb, i in CELLS])
def test_widget_cell_runs_as_the_first_cell(nb, index):
    source = NOTEBOOKS[nb].cells[index].source
    fixed = wi.with_imports(source, CLASSES)
    assert wi.with_imports(fixed, CLASSES) == fixed, "the tool is not idempotent"
    namespace: dict = {"__name__": "__main__"}
    exec(compile(fixed, f"{nb}[{index}]", "exec"), namespace)  # NameError here: a missing import
    assert any(isinstance(v, ModelWidget) for v in namespace.values()) or "ModelWidget" not in fixed


def test_run_prompt_says_what_works():
    assert "Run All Cells" in ModelWidget.run_prompt and "this cell" not in ModelWidget.run_prompt
