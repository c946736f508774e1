"""The chapter format: how a master chapter notebook marks exercises, solutions, checks,
self-checks, sections and widgets, and the one parser of each.

Everything that reads a chapter's structure (the notebook guard, the student version, the
assignments and the instructor pack, the browser tests' per-chapter expectations) imports its
tags, patterns and parsers from here, so the format is defined once. ``docs/exercises.md`` describes
the format for authors.

Cell tags
---------
``solution``       worked solution (markdown or code); removed from the student version
``check``          a code cell calling ``check("key", answer_...)``; its output is removed in the book
``exercise-stub``  (student version) the blank a solution's ``metadata.ketacourse.stub`` becomes
``answer``         (student version) a "Your answer" cell after a written exercise
``remove-cell`` / ``remove-input`` / ``remove-output``  Jupyter Book's own tags
``hide-input``     Jupyter Book's tag on every widget-only cell (``from … import X`` then ``X()``,
                   :func:`is_widget_only`): the book shows the figure with the code folded
                   ("Show code cell source"), JupyterLab shows the cell as it is
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

__all__ = [
    "SOLUTION_TAG", "STUB_TAG", "ANSWER_TAG", "CHECK_TAG", "REMOVE_CELL", "REMOVE_INPUT", "REMOVE_OUTPUT",
    "HIDE_INPUT", "is_widget_only",
    "EXERCISE_RE", "EXERCISE_TITLE_RE", "SOLUTION_RE", "SOLUTION_END_RE", "CHECK_CALL_RE", "SELFCHECK_CALL_RE",
    "MINUTES_RE", "tags", "exercise_labels", "exercises", "check_call", "selfcheck", "selfchecks_of",
    "Section", "sections_of", "clean_myst", "glossary_terms", "widget_classes", "widget_calls_of",
    "widgets_in", "load", "BLANK_LINE_RE", "blanks_of", "is_scaffold", "ExerciseItem", "exercise_items",
    "no_programming_counts",
]

SOLUTION_TAG = "solution"
STUB_TAG = "exercise-stub"
ANSWER_TAG = "answer"
CHECK_TAG = "check"
REMOVE_CELL, REMOVE_INPUT, REMOVE_OUTPUT = "remove-cell", "remove-input", "remove-output"
HIDE_INPUT = "hide-input"

EXERCISE_TITLE_RE = re.compile(r"^(?::{3,}|`{3,})\{exercise(?:-start)?\}\s*(.*?)\n:label:\s*(\S+)",
                               re.MULTILINE | re.DOTALL)
"""An exercise directive: groups (title, label)."""
EXERCISE_RE = re.compile(r"^(?::{3,}|`{3,})\{exercise(?:-start)?\}.*?\n:label:\s*(\S+)", re.MULTILINE | re.DOTALL)
"""An exercise directive: group (label)."""
SOLUTION_RE = re.compile(r"^(?::{3,}|`{3,})\{solution(-start)?\}\s*(\S+)", re.MULTILINE)
"""A solution directive: groups ("-start" or "", label)."""
SOLUTION_END_RE = re.compile(r"^(?::{3,}|`{3,})\{solution-end\}", re.MULTILINE)
CHECK_CALL_RE = re.compile(r"^\s*check\(", re.MULTILINE)
SELFCHECK_CALL_RE = re.compile(r"^\s*SelfCheck(?:\.load)?\(", re.MULTILINE)
MINUTES_RE = re.compile(r"^\s*\*About (\d+) minutes?\.?\*", re.IGNORECASE | re.MULTILINE)
"""A section's time, "*About 15 minutes.*"."""
_H2 = re.compile(r"^##\s+(.+)$", re.MULTILINE)


def load(path: Path | str) -> nbformat.NotebookNode:
    """A chapter notebook (nbformat 4)."""
    return nbformat.read(Path(path), as_version=4)


def tags(cell) -> list[str]:
    """The cell's tags (a new list)."""
    return list(cell.get("metadata", {}).get("tags", []))


def exercise_labels(source: str) -> list[str]:
    """Labels of the exercise directives in a markdown source."""
    return EXERCISE_RE.findall(source)


def exercises(source: str) -> list[tuple[str, str]]:
    """``(title, label)`` of the exercise directives in a markdown source (title stripped)."""
    return [(title.strip(), label) for title, label in EXERCISE_TITLE_RE.findall(source)]


def exercise_numbers(nb: nbformat.NotebookNode) -> dict[str, int]:
    """Each exercise's number in its chapter, ``{label: 1, …}``: the exercise directives of the markdown
    cells that are not solutions, counted from 1 in notebook order. The book (``sphinx_solutions``
    renumbers per page), the notebook and the instructor's answer key all use these numbers."""
    labels = [label for cell in nb.cells if cell.cell_type == "markdown" and SOLUTION_TAG not in tags(cell)
              for label in exercise_labels(cell.source)]
    return {label: k for k, label in enumerate(dict.fromkeys(labels), 1)}


__all__ += ["exercise_numbers"]


def check_call(source: str) -> tuple[str, str] | None:
    """``("ch2-csht", "answer_csht_ratio")`` for a cell ``check("ch2-csht", answer_csht_ratio)``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)):
            return str(node.args[0].value), ast.unparse(node.args[1])
    return None


def selfcheck(source: str) -> dict | None:
    """Question, options, answer index, explanation of a self-check cell: ``SelfCheck.load(key)`` (the
    self-check kept in the package's data, ``data/selfchecks/``) or ``SelfCheck(...)`` with literal args."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load" \
                and getattr(node.func.value, "id", "") == "SelfCheck" and node.args:
            from ketacourse import exercises

            sc = exercises.SelfCheck.load(ast.literal_eval(node.args[0]))
            return dict(question=sc.question, options=sc.options, answer=sc.answer, explanation=sc.explanation,
                        feedback=sc.feedback)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "SelfCheck":
            try:
                args = [ast.literal_eval(a) for a in node.args]
                kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            except ValueError:
                return None
            out = dict(zip(["question", "options", "answer", "explanation", "feedback"], args))
            out.update(kwargs)
            return out
    return None


def selfchecks_of(nb: nbformat.NotebookNode) -> list[dict]:
    """Every self-check of the notebook, with the section it sits in."""
    found, section = [], ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = _H2.search(cell.source)
            section = heading.group(1).strip() if heading else section
        elif SELFCHECK_CALL_RE.search(cell.source):
            sc = selfcheck(cell.source)
            if sc:
                sc["section"] = section
                found.append(sc)
    return found


# ----------------------------------------------------------------------------- "no programming needed"
BLANK_LINE_RE = re.compile(r"^(\w+)\s*=\s*\.\.\.\s*(?:#\s*(.*))?$")
"""A blank in a scaffold: ``name = ...  # what to type``; group 1 the name, group 2 the instruction."""


def blanks_of(stub: str) -> list[tuple[str, str]]:
    """``(name, instruction)`` of each blank (``name = ...  # instruction``) of a stub, in order."""
    return [(m.group(1), (m.group(2) or "").strip()) for m in map(BLANK_LINE_RE.match, stub.splitlines()) if m]


def is_scaffold(stub: str) -> bool:
    """True if a learner who does not program can complete ``stub`` by typing values into its blanks.

    The one classification of a numeric exercise's stub (the timing estimate and
    ``tests/test_no_programming.py`` both use it): the stub parses and runs as given (every ``...``
    is either the whole right-hand side of a top-level ``name = ...`` line, or the "not filled in yet"
    test ``x is not ...``); it has at least one blank; and its last ``answer_...`` line is a blank, so
    the learner types the answer as a number, never the code that computes it. A bare
    ``answer_x = None`` (write the code yourself) is not a scaffold, nor is a blank inside a call.
    """
    try:
        tree = ast.parse(stub)
    except SyntaxError:
        return False
    blank_lines = {i + 1 for i, line in enumerate(stub.splitlines()) if BLANK_LINE_RE.match(line)}
    allowed: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.lineno in blank_lines and isinstance(node.value, ast.Constant) \
                and node.value.value is Ellipsis:
            allowed.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and all(isinstance(op, (ast.IsNot, ast.Is)) for op in node.ops):
            allowed.update(id(c) for c in node.comparators if isinstance(c, ast.Constant) and c.value is Ellipsis)
    ellipses = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value is Ellipsis]
    if not ellipses or any(id(n) not in allowed for n in ellipses):
        return False
    answers = [line for line in stub.splitlines() if line.startswith("answer_")]
    return bool(answers) and BLANK_LINE_RE.match(answers[-1]) is not None


@dataclass
class ExerciseItem:
    """An exercise of a chapter: its label and title, the keys of its check cells, the variable each
    check reads, its stub (``metadata.ketacourse.stub`` of its solution code, if any) and whether it
    also asks for words (``metadata.ketacourse.written``)."""

    label: str
    title: str
    checks: list[str] = field(default_factory=list)
    answer_names: list[str] = field(default_factory=list)
    stub: str | None = None
    written: bool = False

    @property
    def auto_checked(self) -> bool:
        return bool(self.checks)

    def no_programming(self) -> bool:
        """True if a learner who does not program can complete every auto-checked answer of the
        exercise: a single-choice check needs only a letter typed into its stub; a numeric check
        needs a scaffold (:func:`is_scaffold`) that assigns the variable the check reads. An exercise
        with no check (written only) is answered in words and counts as True."""
        if not self.checks:
            return True
        if not self.stub:
            return False
        from ketacourse import exercises as engine

        assigned = {m.group(1) for m in re.finditer(r"^(\w+)\s*=", self.stub, re.MULTILINE)}
        for key, name in zip(self.checks, self.answer_names):
            if name not in assigned:
                return False
            if isinstance(engine.get(key), engine.ChoiceCheck):
                continue
            if not is_scaffold(self.stub):
                return False
        return True


def exercise_items(nb: nbformat.NotebookNode) -> list[ExerciseItem]:
    """Every exercise of the chapter in order, with the check cells and stub that follow it
    (up to the next exercise)."""
    items: list[ExerciseItem] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and SOLUTION_TAG not in tags(cell):
            for title, label in exercises(cell.source):
                items.append(ExerciseItem(label, title, written=bool(cell.get("metadata", {}).get("ketacourse", {})
                                                                     .get("written"))))
        elif cell.cell_type == "code" and items:
            meta = cell.get("metadata", {}).get("ketacourse", {})
            if SOLUTION_TAG in tags(cell) and meta.get("stub"):
                items[-1].stub = (items[-1].stub + "\n" if items[-1].stub else "") + meta["stub"]
            if CHECK_TAG in tags(cell) or CHECK_CALL_RE.search(cell.source):
                call = check_call(cell.source)
                if call:
                    items[-1].checks.append(call[0])
                    items[-1].answer_names.append(call[1])
    return items


def no_programming_counts(nb: nbformat.NotebookNode | Path | str) -> tuple[int, int, list[str]]:
    """``(completable, auto_checked, labels not completable)`` over the chapter's auto-checked
    exercises: how many a learner who does not program can complete (:meth:`ExerciseItem.no_programming`)."""
    nb = load(nb) if isinstance(nb, (str, Path)) else nb
    auto = [it for it in exercise_items(nb) if it.auto_checked]
    failing = [it.label for it in auto if not it.no_programming()]
    return len(auto) - len(failing), len(auto), failing


# ----------------------------------------------------------------------------- widgets
@lru_cache(maxsize=1)
def _widget_classes() -> tuple[tuple[str, type], ...]:
    from ketacourse.widgets import registry

    return tuple(sorted(registry().items()))


def widget_classes() -> dict[str, type]:
    """Every concrete :class:`~ketacourse.widgets.base.ModelWidget` subclass, by class name."""
    return dict(_widget_classes())


def widget_calls_of(source: str, classes: dict[str, type] | None = None) -> list[ast.Call]:
    """The widget constructions (``PKExplorer(...)``) in a code cell's source."""
    classes = widget_classes() if classes is None else classes
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in classes]


def is_widget_only(source: str, classes: dict[str, type] | None = None) -> bool:
    """True if a code cell only shows a model widget: imports, then one expression that constructs
    it (``from ketacourse.widgets.evidence import ForestPlot`` / ``ForestPlot()``). Such a cell's
    code says nothing the figure does not; the book folds it (:data:`HIDE_INPUT`)."""
    classes = widget_classes() if classes is None else classes
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    if not body or not all(isinstance(stmt, (ast.Import, ast.ImportFrom)) for stmt in body[:-1]):
        return False
    last = body[-1]
    return (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name) and last.value.func.id in classes)


def widgets_in(nb: nbformat.NotebookNode | Path | str, classes: dict[str, type] | None = None) -> list[str]:
    """Class names of the model widgets a learner meets in the chapter, in order: one per
    construction in a code cell that is not a solution and not removed."""
    nb = load(nb) if isinstance(nb, (str, Path)) else nb
    classes = widget_classes() if classes is None else classes
    return [call.func.id for cell in nb.cells
            if cell.cell_type == "code" and not {SOLUTION_TAG, REMOVE_CELL} & set(tags(cell))
            for call in widget_calls_of(cell.source, classes)]


# ----------------------------------------------------------------------------- sections
@dataclass
class Section:
    """A ``##`` section of a chapter and what it holds."""

    title: str
    minutes: int | None
    widgets: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    selfchecks: list[str] = field(default_factory=list)
    predictions: list[str] = field(default_factory=list)  # self-check questions asked before a widget


def sections_of(nb: nbformat.NotebookNode, classes: dict[str, type] | None = None) -> list[Section]:
    """The chapter's ``##`` sections with minutes, widgets, exercises and self-checks."""
    classes = widget_classes() if classes is None else classes
    sections: list[Section] = []
    last_selfcheck = None  # the prediction asked before the next widget, in this section
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = _H2.search(cell.source)
            if heading and not cell.source.lstrip().startswith("# "):
                minutes = MINUTES_RE.search(cell.source)
                sections.append(Section(heading.group(1).strip(), int(minutes.group(1)) if minutes else None))
                last_selfcheck = None
            if sections and SOLUTION_TAG not in tags(cell):
                sections[-1].exercises += [title for title, _ in exercises(cell.source)]
                predict = re.search(r"\*\*Predict first\.?\*\*\s*(.+?)(?:\n\s*\n|\Z)", cell.source, re.DOTALL)
                if predict:
                    sentences = re.split(r"(?<=[.?!])\s+", clean_myst(predict.group(1)))
                    last_selfcheck = " ".join(x for x in sentences if not re.search(r"folded|before you|down", x))
        elif sections and cell.cell_type == "code" and SOLUTION_TAG not in tags(cell):
            calls = widget_calls_of(cell.source, classes)
            for call in calls:
                sections[-1].widgets.append(call.func.id)
                if last_selfcheck:
                    sections[-1].predictions.append(last_selfcheck)
            sc = selfcheck(cell.source) if SELFCHECK_CALL_RE.search(cell.source) else None
            if sc:
                sections[-1].selfchecks.append(sc["question"])
            last_selfcheck = sc["question"] if sc else (None if calls else last_selfcheck)
    return sections


def clean_myst(text: str) -> str:
    """Plain Markdown from MyST: ``{term}`x``` -> x, ``{cite:p}`a,b``` -> (a, b), directive lines dropped."""
    text = re.sub(r"\{term\}`([^`<]+?)(?:\s*<[^>]+>)?`", r"\1", text)
    text = re.sub(r"\{cite(?::[pt])?\}`([^`]+)`", lambda m: "(" + ", ".join(m.group(1).split(",")) + ")", text)
    text = re.sub(r"\{\w+\}`([^`]+)`", r"\1", text)
    return " ".join(text.split())


# ----------------------------------------------------------------------------- glossary
def glossary_terms(glossary_md: str) -> list[tuple[str, str]]:
    """``(term, definition)`` pairs of the ``{glossary}`` directive of ``chapters/glossary.md``, in
    file order; a definition's indented lines joined into one paragraph (MyST kept)."""
    match = re.search(r"```\{glossary\}\n(.*?)\n```", glossary_md, re.S)
    if match is None:
        raise ValueError("no ```{glossary} block found in the glossary page")
    terms: list[list[str]] = []
    for line in match.group(1).splitlines():
        if not line.strip() or line.startswith(":"):
            continue  # directive options, blank lines
        if not line[0].isspace():
            terms.append([line.strip(), ""])
        elif terms:
            terms[-1][1] = (terms[-1][1] + " " + line.strip()).strip()
    return [(t, d) for t, d in terms]
