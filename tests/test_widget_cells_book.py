"""Widget-only code cells in the book (issue 23): a cell that only imports and constructs a model widget
(``from ketacourse.widgets.evidence import ForestPlot`` / ``ForestPlot()``) showed its code as a bare
code block above the figure. Every such cell, in every chapter of ``_toc.yml``, carries
``hide-input`` (``chapter_format.is_widget_only``, added by ``python -m ketacourse_tools.student --tag``):
the book folds the code under "Show code cell source"; JupyterLab ignores the tag, so a learner there
still sees and runs the cell. A widget cell that does more than construct the widget keeps its code
visible."""

from __future__ import annotations

import nbformat
import pytest
from ketacourse_tools import course
from ketacourse_tools.chapter_format import (HIDE_INPUT, REMOVE_CELL, SOLUTION_TAG, is_widget_only, tags,
                                             widget_calls_of, widgets_in)
from ketacourse_tools.student import missing_book_tags

CHAPTERS = course.chapters()


def test_is_widget_only():
    classes = {"ForestPlot": object, "PKExplorer": object}
    assert is_widget_only("from ketacourse.widgets.evidence import ForestPlot\nForestPlot()", classes)
    assert is_widget_only("PKExplorer(dose_mg_per_kg=0.5)", classes)
    assert not is_widget_only("w = ForestPlot()\nw", classes)  # more than showing it
    assert not is_widget_only("import numpy as np\nnp.array([1])", classes)
    assert not is_widget_only("ForestPlot()\nprint(1)", classes)
    assert not is_widget_only("ForestPlot(", classes)
    assert not is_widget_only("", classes)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_widget_only_cells_fold_their_code_in_the_book(chapter):
    nb = nbformat.read(chapter.path, as_version=4)
    shown = [c for c in nb.cells if c.cell_type == "code" and not {SOLUTION_TAG, REMOVE_CELL} & set(tags(c))
             and widget_calls_of(c.source)]
    assert len(shown) >= 1 and sum(len(widget_calls_of(c.source)) for c in shown) == len(widgets_in(nb))
    only = [c for c in shown if is_widget_only(c.source)]
    assert only, f"{chapter.path.name}: no widget-only cell found (expected the one-line widget calls)"
    unfolded = [c.source.splitlines()[-1] for c in only if HIDE_INPUT not in tags(c)]
    assert not unfolded, (f"{chapter.path.name}: widget-only cells whose code the book shows above the "
                          f"figure (run `python -m ketacourse_tools.student --tag {chapter.rel}`): {unfolded}")
    assert not [p for p in missing_book_tags(nb) if HIDE_INPUT in p]
    # the tag only folds code: no widget cell hides its output
    assert not [c for c in shown if {"remove-output", "hide-output", "remove-input"} & set(tags(c))]
