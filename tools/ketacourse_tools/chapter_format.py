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
    "EXERCISE_RE", "EXERCISE_TITLE_RE", "SOLUTION_RE", "SOLUTION_END_RE", "CHECK_CALL_RE", "SELFCHECK_CALL_RE",
    "MINUTES_RE", "tags", "exercise_labels", "exercises", "check_call", "selfcheck", "selfchecks_of",
    "Section", "sections_of", "clean_myst", "glossary_terms", "widget_classes", "widget_calls_of",
    "widgets_in", "load",
]

SOLUTION_TAG = "solution"
STUB_TAG = "exercise-stub"
ANSWER_TAG = "answer"
CHECK_TAG = "check"
REMOVE_CELL, REMOVE_INPUT, REMOVE_OUTPUT = "remove-cell", "remove-input", "remove-output"

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
