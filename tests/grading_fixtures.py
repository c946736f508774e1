"""A small synthetic assignment (two autograded questions and one written one) for the grading
tests: the sandbox, the red-team attacks, malformed files and the LMS exports do not need a whole
chapter, so these tests run in seconds. Its hidden key has the same format ``make assignment``
writes (``autograder/key.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

EXPECTED = 3.18
KEY = {
    "chapter": 9, "notebook": "09-synthetic.ipynb",
    "questions": {
        "q-num": {"kind": "numeric", "points": 1, "expr": "answer_num", "title": "A number", "exercise": "e1",
                  "hint": "Think about the ratio.", "rel_tol": 0.02, "abs_tol": 0.0, "unit": "patients",
                  "integer": False,
                  "cases": {"": {"expected": EXPECTED, "mistakes": [["inverted", 1 / EXPECTED, "You inverted it."]]}}},
        "q-choice": {"kind": "choice", "points": 1, "expr": "answer_choice", "title": "A choice", "exercise": "e2",
                     "hint": "Reread the design.",
                     "cases": {"": {"answer": "c", "options": ["a", "b", "c", "d"], "feedback": {"a": "Too small."}}}},
    },
}
QUESTIONS = [
    {"name": "q-num", "kind": "numeric", "points": 1, "title": "A number"},
    {"name": "q-choice", "kind": "choice", "points": 1, "title": "A choice"},
    {"name": "q-written", "kind": "written", "points": 2, "title": "Explain",
     "criteria": [{"id": "c1", "text": "names the control", "points": 1},
                  {"id": "c2", "text": "says what the interval allows", "points": 1}],
     "rubric": "Model answer."},
]
HANDOUT_SETUP = "import math\nimport numpy as np"
HANDOUT_WIDGET = "np.linspace(0, 1, 5).sum()"


def make_assignment(root: Path) -> Path:
    """Write the synthetic assignment under ``root``; returns its autograder folder."""
    ag = root / "assignment" / "autograder"
    ag.mkdir(parents=True)
    (ag / "key.json").write_text(json.dumps(KEY), encoding="utf-8")
    (root / "assignment" / "questions.json").write_text(json.dumps({"questions": QUESTIONS}), encoding="utf-8")
    handout = notebook("answer_num = None", "answer_choice = None")
    (root / "assignment" / "student").mkdir()
    nbformat.write(handout, root / "assignment" / "student" / KEY["notebook"])
    return ag


def notebook(*code: str, written: str = "My written answer.") -> nbformat.NotebookNode:
    """A submission: the handout's set-up cells, then ``code`` cells, then a written answer cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(HANDOUT_SETUP), nbformat.v4.new_code_cell(HANDOUT_WIDGET)]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in code]
    answer = nbformat.v4.new_markdown_cell(written)
    answer.metadata["ketacourse"] = {"answer": "q-written"}
    nb.cells.append(answer)
    nb.metadata["ketacourse"] = {"assignment": "ch09"}
    return nb


def correct(**extra) -> nbformat.NotebookNode:
    return notebook(f"answer_num = {EXPECTED}", "answer_choice = 'c'", **extra)
