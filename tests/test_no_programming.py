"""Issue 22, point 1: every auto-checked exercise, in every chapter of ``_toc.yml``, can be completed
by a learner who does not program (``chapter_format.ExerciseItem.no_programming``: a letter typed
into a choice stub, or numbers typed into the blanks of a scaffold that makes the calls itself)."""

from __future__ import annotations

import nbformat
import pytest
from ketacourse_tools import course
from ketacourse_tools.chapter_format import exercise_items, is_scaffold, no_programming_counts

CHAPTERS = course.chapters()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.path.stem for c in CHAPTERS])
def test_every_auto_checked_exercise_is_completable_without_programming(chapter):
    ok, total, failing = no_programming_counts(chapter.path)
    assert total > 0, f"{chapter.path.name} has no auto-checked exercise"
    assert ok == total, (f"{chapter.path.name}: {ok}/{total} auto-checked exercises completable without "
                         f"programming; give these a scaffold (name = ...  # what to type): {failing}")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.path.stem for c in CHAPTERS])
def test_every_scaffold_says_what_to_type_in_each_blank(chapter):
    from ketacourse_tools.chapter_format import blanks_of

    for item in exercise_items(nbformat.read(chapter.path, as_version=4)):
        if item.stub and is_scaffold(item.stub):
            unexplained = [name for name, says in blanks_of(item.stub) if not says]
            assert not unexplained, f"{item.label}: blanks without a comment saying what to type: {unexplained}"


@pytest.mark.parametrize("stub, expected", [
    ("answer_x = None  # your answer", False),                                   # write the code yourself
    ("answer_x = ...  # your answer", True),                                     # type a number
    ("w = ...  # weight, kg\nif w is not ...:\n    print(w * 2)\nanswer_x = ...  # the value printed", True),
    ("r = f(..., 3)\nanswer_x = ...  # r", False),                               # a blank inside a call
    ("w = ...  # weight\nanswer_x = w * 2", False),                              # the answer is code, not a blank
    ("x = ...  # a number\nprint(x", False),                                     # does not parse
    ("print('no blank at all')\nanswer_x = 3", False),
])
def test_the_classification(stub, expected):
    assert is_scaffold(stub) is expected


def test_a_choice_exercise_needs_only_a_letter_and_a_numeric_one_a_scaffold():
    def nb(stub: str, key: str, var: str) -> nbformat.NotebookNode:
        ex = nbformat.v4.new_markdown_cell(":::{exercise} T\n:label: ex1\n\nQ?\n:::")
        sol = nbformat.v4.new_code_cell(f"{var} = 1")
        sol.metadata["tags"] = ["solution"]
        sol.metadata["ketacourse"] = {"stub": stub}
        chk = nbformat.v4.new_code_cell(f'check("{key}", {var})')
        chk.metadata["tags"] = ["check", "remove-output"]
        return nbformat.v4.new_notebook(cells=[ex, sol, chk])

    assert no_programming_counts(nb('answer_fst = None  # "a", "b", "c" or "d"', "ch5-fst-validity", "answer_fst"))[:2] == (1, 1)
    assert no_programming_counts(nb("answer_nnt = None  # your answer", "ch4-hardy-nnt", "answer_nnt"))[:2] == (0, 1)
    assert no_programming_counts(nb("answer_nnt = ...  # the NNT", "ch4-hardy-nnt", "answer_nnt"))[:2] == (1, 1)
    # the check must read a variable the stub assigns
    assert no_programming_counts(nb("answer_other = ...  # the NNT", "ch4-hardy-nnt", "answer_nnt"))[:2] == (0, 1)
