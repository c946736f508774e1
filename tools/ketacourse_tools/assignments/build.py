"""Make an otter-grader assignment from a chapter's master notebook.

``python -m ketacourse_tools.assignments assign 2`` (``make assignment CHAPTER=2``) writes::

    build/assignments/ch02/
        student/02-pharmacokinetics.ipynb   the student notebook: solutions replaced by the stubs,
                                            each practice ``check`` cell replaced by a
                                            ``grader.check("key")`` cell, an answer cell per
                                            written question, a submit cell
        student/tests/*.py                  public tests only: "is there an answer, is it a number"
        autograder/key.json                 the hidden key ``make grade`` compares answers with
        autograder/autograder.zip           otter autograder (Gradescope): the same hidden tests,
                                            computed now from the models
        solutions/02-pharmacokinetics.ipynb the master notebook with the same grader cells
        questions.json                      every graded question: kind, points, rubric

The questions come from the master notebook itself: every ``check("key", answer)`` cell is an
autograded question worth :data:`POINTS_AUTO` points, and every exercise that asks for a written
answer (``metadata.ketacourse.written`` or no code stub) is a manually graded question worth
:data:`POINTS_WRITTEN` points whose rubric is the master notebook's worked solution.

The hidden tests are plain Python with literal numbers: they import nothing from ketacourse, so
the autograder runs the same on Gradescope, and the values live only in the zip the instructor
builds and keeps (never in ``student/``). Each test names the learner's mistake with the same
message the practice check gives (``ketacourse.exercises.Mistake``).
"""

from __future__ import annotations

import copy
import json
import math
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from ketacourse import exercises
from ..chapter_format import CHECK_TAG, SOLUTION_TAG
from ..chapter_format import EXERCISE_TITLE_RE as _EXERCISE
from ..chapter_format import check_call as _check_call
from ..chapter_format import tags as _tags
from ..student import make_student_notebook
from . import find_chapter
from ..course import repository_url

__all__ = ["Question", "questions_from_notebook", "make_assignment", "POINTS_AUTO", "POINTS_WRITTEN",
           "OTTER_PIN", "INIT_TAG", "GRADER_TAG"]

POINTS_AUTO = 1
"""Points for an autograded (numeric or single-choice) question."""
POINTS_WRITTEN = 2
"""Points for a written answer, graded by hand with the rubric."""
OTTER_PIN = "otter-grader==7.0.0"
INIT_TAG, GRADER_TAG, SUBMIT_TAG = "otter-init", "otter-check", "otter-submit"

_ASKS_WRITING = re.compile(r"\b(in (?:one|a|two|a few|one or two) sentences?|say (?:what|why|how|whether|in)|"
                           r"explain|describe|justify)\b", re.IGNORECASE)
"""An exercise with a code stub that also asks for words (a mixed exercise) gets a written question too."""


def asks_writing(prompt: str) -> bool:
    """Whether an exercise with a code stub also asks for words: "then say in one sentence…",
    "explain…", or a question asked after the instruction that stores the number."""
    if _ASKS_WRITING.search(prompt):
        return True
    store = re.search(r"\b[Ss]tore (?:it|the|your)\b[^.]*\.", prompt)
    return bool(store and "?" in prompt[store.end():])


_MARKER = re.compile(r"\s*\((?:computed|calculated)[^()]*\)")
_DIRECTIVE_LINE = re.compile(r"^\s*(?::{3,}|`{3,})\s*(\{[\w-]+\}.*)?$|^:(class|label):.*$")


@dataclass
class Question:
    """One graded question of an assignment."""

    name: str
    kind: str  # "numeric", "choice" or "written"
    points: int
    exercise: str  # the exercise label, e.g. "ch2-ex-half-life"
    title: str
    section: str
    prompt: str = ""
    answer_expr: str = ""  # the expression the check cell grades, e.g. "answer_half_life_h"
    rubric: str = ""  # the model answer (written questions) or how the value is computed
    unit: str = ""
    criteria: list = field(default_factory=list)  # written: [{"id", "text", "points"}], scored one by one


def criteria_from(model_answer: str, points: int) -> list[dict]:
    """Scored rubric criteria for a written answer: the model answer's sentences in ``points``
    groups, one point each ("makes the point that ..."), in the model answer's order."""
    units, paragraph = [], []
    for ln in model_answer.splitlines():
        line = ln.strip()
        if not line or line.startswith(("```", "|", "#")):
            units.append(" ".join(paragraph))
            paragraph = []
        elif re.match(r"^[-*]\s|^\d+[.)]\s", line):  # a bullet is a point of its own
            units.append(" ".join(paragraph))
            paragraph = []
            units.append(re.sub(r"^[-*]\s+|^\d+[.)]\s+", "", line))
        else:
            paragraph.append(line)
    units.append(" ".join(paragraph))
    sentences = [x.strip() for u in units for x in re.split(r"(?<=[.!?])\s+(?=[A-Z(])", u) if len(x.strip()) > 20]
    if not sentences:
        return [{"id": f"c{i + 1}", "text": "a correct, complete answer", "points": 1} for i in range(points)]
    n = min(points, len(sentences))
    bounds = [round(i * len(sentences) / n) for i in range(n + 1)]
    groups = [sentences[bounds[i]:bounds[i + 1]] for i in range(n)]  # contiguous, in order
    out = [{"id": f"c{i + 1}", "text": "makes the point: " + " ".join(g), "points": 1} for i, g in enumerate(groups)]
    if len(out) < points:
        out[-1]["points"] += points - len(out)
    return out


def _clean_markdown(text: str) -> str:
    """Markdown without MyST directive fences (for rubrics and prompts)."""
    lines = [ln for ln in text.splitlines() if not _DIRECTIVE_LINE.match(ln)]
    return "\n".join(lines).strip()


def questions_from_notebook(nb: nbformat.NotebookNode) -> list[Question]:
    """The graded questions of a master notebook, in order (see the module docstring)."""
    questions: list[Question] = []
    section, current, written, stubbed = "", None, {}, set()
    rubric: dict[str, list[str]] = {}
    for cell in nb.cells:
        tags = _tags(cell)
        if cell.cell_type == "markdown" and SOLUTION_TAG not in tags:
            heading = re.search(r"^##\s+(.+)$", cell.source, re.MULTILINE)
            if heading:
                section = heading.group(1).strip()
            for title, label in _EXERCISE.findall(cell.source):
                current = Question(name=label, kind="written", points=POINTS_WRITTEN, exercise=label,
                                   title=title.strip(), section=section, prompt=_clean_markdown(cell.source))
                written[label] = (current, bool(cell.get("metadata", {}).get("ketacourse", {}).get("written")))
                rubric[label] = []
        elif current is not None and SOLUTION_TAG in tags:
            if cell.cell_type == "code" and cell.get("metadata", {}).get("ketacourse", {}).get("stub"):
                stubbed.add(current.exercise)
            if cell.cell_type == "markdown":
                text = _clean_markdown(cell.source)
                if text:
                    rubric[current.exercise].append(text)
        elif cell.cell_type == "code" and CHECK_TAG in tags and current is not None:
            call = _check_call(cell.source)
            if call is None:
                continue
            key, expr = call
            item = exercises.get(key, None)
            if item is None:
                raise ValueError(f"check key must be registered in ketacourse.checks; got {key!r}")
            kind = "numeric" if isinstance(item, exercises.NumericCheck) else "choice"
            questions.append(Question(name=key, kind=kind, points=POINTS_AUTO, exercise=current.exercise,
                                      title=current.title, section=current.section, prompt=current.prompt,
                                      answer_expr=expr, unit=getattr(item, "unit", ""),
                                      rubric=getattr(item, "explanation", "")))
    # Written questions go after the autograded ones of the same exercise, exercises in notebook order.
    for label, (q, forced) in written.items():
        if forced or label not in stubbed or asks_writing(q.prompt):
            q.name = f"{label}-written"
            q.rubric = _MARKER.sub("", "\n\n".join(rubric[label])).replace("..", ".")
            q.criteria = criteria_from(q.rubric, q.points)
            questions.append(q)
    order = list(written)
    return sorted(questions, key=lambda q: (order.index(q.exercise), q.kind == "written"))


# ----------------------------------------------------------------------------- test files
_HEADER = '''"""{kind} test for {name} ({title}). Generated by ketacourse_tools.assignments; do not edit."""
from otter.test_files import test_case

OK_FORMAT = False

name = {name!r}
points = {points}
EXPR = {expr!r}


def _answer(env):
    if EXPR.isidentifier():
        if EXPR not in env:
            raise AssertionError(f"no answer yet: run the cell that stores {{EXPR}}.")
        return env[EXPR]
    return eval(EXPR, dict(env))
'''

_PUBLIC_NUMERIC = '''

@test_case(points=0, hidden=False)
def answered(env):
    value = _answer(env)
    assert value is not None and value is not Ellipsis, f"no answer yet: store your answer in {EXPR}."
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{EXPR} must be a number; got {value!r}.") from None
    assert number == number and abs(number) != float("inf"), f"{EXPR} must be a finite number."
'''

_PUBLIC_CHOICE = '''

@test_case(points=0, hidden=False)
def answered(env):
    value = _answer(env)
    assert value is not None and value is not Ellipsis, f"no answer yet: store your choice in {EXPR}."
'''

_HIDDEN_NUMERIC = '''

# variant ("" for everyone, or a student's ID) -> (expected, [(mistake, value, message), ...]),
# computed from the models when the assignment was built
CASES = {cases!r}
REL_TOL, ABS_TOL = {rel_tol!r}, {abs_tol!r}
UNIT = {unit!r}
HINT = {hint!r}


def _close(a, b):
    return abs(a - b) <= max(REL_TOL * abs(b), ABS_TOL)


@test_case(points={points}, hidden=True)
def value(env):
    case = CASES.get(str(env.get("KETACOURSE_VARIANT", "")))
    assert case is not None, "this notebook's variant is not in the autograder: submit the notebook you were given."
    expected, mistakes = case
    answer = _answer(env)
    assert answer is not None and answer is not Ellipsis, "no answer given."
    number = float(answer)
    if _close(number, expected):
        return
    for mistake, wrong, message in mistakes:
        if _close(number, wrong):
            raise AssertionError(f"named mistake [{{mistake}}]: {{message}}")
    raise AssertionError(f"not within {{REL_TOL:.0%}} of the model's value (in {{UNIT}}). {{HINT}}")
'''

_HIDDEN_CHOICE = '''

# variant ("" for everyone, or a student's ID) -> (right letter, {{wrong letter: message}})
CASES = {cases!r}
HINT = {hint!r}


@test_case(points={points}, hidden=True)
def choice(env):
    case = CASES.get(str(env.get("KETACOURSE_VARIANT", "")))
    assert case is not None, "this notebook's variant is not in the autograder: submit the notebook you were given."
    ANSWER, FEEDBACK = case
    answer = _answer(env)
    assert answer is not None and answer is not Ellipsis, "no answer given."
    text = str(answer).strip().lower()
    if len(text) == 3 and text[0] == "(" and text[2] == ")":
        text = text[1]
    if text == ANSWER:
        return
    if text in FEEDBACK:
        raise AssertionError(f"named mistake [option {{text}}]: {{FEEDBACK[text]}}")
    raise AssertionError(f"not the best option. {{HINT}}")
'''


def _first_hint(item) -> str:
    ladder = [h for h in getattr(item, "hints", ()) if h] or ([item.hint] if item.hint else [])
    return ladder[0] if ladder else ""


def _case(item) -> tuple[float, list]:
    expected = float(item.expected())
    mistakes = []
    for m in item.mistakes:
        wrong = float(m.value())
        if math.isfinite(wrong) and not item.is_close(wrong, expected):
            mistakes.append((m.name, wrong, m.message))
    return expected, mistakes


def test_file_source(q: Question, *, hidden: bool, item=None, cases: dict | None = None) -> str:
    """The otter exception-based test file for ``q``: public part only, or public plus hidden.
    ``item`` replaces the registered check (a seeded variant's, see :mod:`.variants`); ``cases``
    maps each student's variant ID to their check (per-student variants)."""
    item = exercises.get(q.name) if item is None else item
    cases = cases or {"": item}
    src = _HEADER.format(kind="Hidden and public" if hidden else "Public", name=q.name, title=q.title,
                         points=q.points, expr=q.answer_expr)
    if q.kind == "numeric":
        src += _PUBLIC_NUMERIC
        if hidden:
            src += _HIDDEN_NUMERIC.format(cases={k: _case(v) for k, v in cases.items()}, rel_tol=float(item.rel_tol),
                                          abs_tol=float(item.abs_tol), unit=item.unit, hint=_first_hint(item),
                                          points=q.points)
    else:
        src += _PUBLIC_CHOICE
        if hidden:
            src += _HIDDEN_CHOICE.format(hint=_first_hint(item), points=q.points, cases={
                v: (it.answer.lower(), {k.lower(): m for k, m in it.feedback.items()}) for v, it in cases.items()})
    return src


def key_entry(q: Question, cases: dict) -> dict:
    """The hidden grading key of ``q`` as data (for :mod:`.grade`, which compares answers in the
    grader's own process): ``cases`` maps each variant ("" or a student's ID) to its check."""
    first = next(iter(cases.values()))
    entry = {"kind": q.kind, "points": q.points, "expr": q.answer_expr, "title": q.title, "exercise": q.exercise,
             "hint": _first_hint(first)}
    if q.kind == "numeric":
        entry.update(rel_tol=float(first.rel_tol), abs_tol=float(first.abs_tol), unit=first.unit,
                     integer=bool(getattr(first, "integer", False)),
                     cases={v: {"expected": _case(item)[0], "mistakes": _case(item)[1]} for v, item in cases.items()})
    else:
        entry["cases"] = {v: {"answer": item.answer.lower(), "options": [o.lower() for o in item.options],
                              "feedback": {k.lower(): m for k, m in item.feedback.items()}}
                          for v, item in cases.items()}
    return entry


# ----------------------------------------------------------------------------- notebooks
def _init_cell(nb_name: str, variant: str = "") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source=(
        "# Graded assignment: otter-grader checks your answers (public tests; the graded tests are hidden).\n"
        + (f"KETACOURSE_VARIANT = {variant!r}  # your own cases: do not change this line\n" if variant else "")
        + 
        "try:\n"
        "    import otter\n"
        f"    grader = otter.Notebook({nb_name!r}, tests_dir=\"tests\")\n"
        "except ImportError:\n"
        f"    print(\"otter-grader is not installed here: run  %pip install {OTTER_PIN}  then run this cell again.\")"
    ))
    cell.metadata["tags"] = [INIT_TAG]
    return cell


def _grader_cell(key: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source=f'grader.check("{key}")')
    cell.metadata["tags"] = [GRADER_TAG]
    return cell


def _submit_cells() -> list[nbformat.NotebookNode]:
    md = nbformat.v4.new_markdown_cell(source=(
        "## Submit\n\n"
        "Save the notebook, then run the cell below. It writes a zip file next to this notebook: upload that "
        "file (or this `.ipynb`) where your instructor asked. Your written answers are marked by hand; the "
        "numeric answers are graded with hidden tests, so `grader.check` above only tells you that an answer "
        "is there, and the practice `check` cells tell you whether it is right."))
    code = nbformat.v4.new_code_cell(source="grader.export(pdf=False, run_tests=False)")
    md.metadata["tags"] = code.metadata["tags"] = [SUBMIT_TAG]
    return [md, code]


def add_grader_cells(nb: nbformat.NotebookNode, nb_name: str, keys: set[str],
                     drop_practice: set[str] = frozenset(), variant: str = "") -> nbformat.NotebookNode:
    """Insert the otter init cell (after the first code cell that imports ketacourse), a
    ``grader.check`` cell after each check cell of ``keys``, and the submit cells at the end.
    The practice check cells of ``drop_practice`` (questions a variant changed) are replaced by
    their ``grader.check`` cell."""
    cells, init_done = [], False
    for cell in nb.cells:
        call = _check_call(cell.source) if cell.cell_type == "code" and CHECK_TAG in _tags(cell) else None
        if call and call[0] in drop_practice:
            cells.append(_grader_cell(call[0]))
            continue
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        if not init_done and "ketacourse" in cell.source and "import" in cell.source \
                and "remove-cell" not in _tags(cell):
            cells.append(_init_cell(nb_name, variant))
            init_done = True
        call = _check_call(cell.source) if CHECK_TAG in _tags(cell) else None
        if call and call[0] in keys:
            cells.append(_grader_cell(call[0]))
    if not init_done:
        cells.insert(0, _init_cell(nb_name, variant))
    nb.cells = cells + _submit_cells()
    return nb


def mark_answer_cells(nb: nbformat.NotebookNode, questions: list[Question]) -> nbformat.NotebookNode:
    """Give every written question its own answer cell (``metadata.ketacourse.answer`` = the
    question's name, read by ``make grade`` for the manual-grading PDF): the student version's
    "Your answer" cell of that exercise, or, for a mixed exercise (a number and a sentence), a new
    one after the exercise's last grader cell."""
    from ..student import ANSWER_CELL, ANSWER_TAG

    for q in (q for q in questions if q.kind == "written"):
        cell = next((c for c in nb.cells if c.cell_type == "markdown" and ANSWER_TAG in _tags(c)
                     and f"({q.exercise})" in c.source), None)
        if cell is None:
            keys = [x.name for x in questions if x.exercise == q.exercise and x.kind != "written"]
            at = max((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                      and any(f'grader.check("{k}")' in c.source for k in keys)), default=None)
            if at is None:
                at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                          and re.search(rf":label:\s*{re.escape(q.exercise)}\b", c.source))
            cell = nbformat.v4.new_markdown_cell(source=ANSWER_CELL.format(label=q.exercise).replace(
                "**Your answer**", "**Your written answer**"))
            cell.metadata["tags"] = [ANSWER_TAG]
            nb.cells.insert(at + 1, cell)
        cell.metadata.setdefault("ketacourse", {})["answer"] = q.name
        cell.source = cell.source.replace("**Your answer**", "**Your written answer**") + \
            f" *({q.points} points, marked by hand.)*"
    return nb


REPO_URL = repository_url()
"""The course repository, ``repository.url`` of ``_config.yml``."""


def _requirements(repo_dir: Path, ref: str, url: str = REPO_URL) -> str:
    """Requirements for the Gradescope image: the kernel's pins and the course package at ``ref``."""
    pins = (repo_dir / "binder" / "requirements.txt").read_text(encoding="utf-8").strip().splitlines()
    return "\n".join([*pins, f"ketacourse @ git+{url}@{ref}"]) + "\n"


def _answer_text(item) -> str:
    return item.answer if isinstance(item, exercises.ChoiceCheck) else f"{float(item.expected()):.6g}"


def _fmt(value) -> str:
    return " ".join(f"{v:g}" for v in value) if isinstance(value, (tuple, list)) else f"{value:g}"


def student_seed(seed: int, student: str) -> int:
    """The seed of ``student``'s variant: fixed by the assignment's seed and the student's ID."""
    import hashlib

    return int(hashlib.sha256(f"{seed}:{student}".encode()).hexdigest()[:12], 16)


def _folder_name(student: str) -> str:
    return re.sub(r"[^\w.@+-]", "_", student.strip()) or "_"


def make_assignment(repo_dir: Path, chapter: int | str, out_dir: Path | None = None, *, ref: str = "main",
                    repo_url: str = REPO_URL, zip_autograder: bool = True, seed: int | None = None,
                    roster: list[str] | None = None) -> Path:
    """Write the assignment of ``chapter`` under ``out_dir`` (default ``build/assignments/chNN``).

    With ``seed``, the assignment is a variant (:mod:`.variants`): new cases for the chapter's
    variable exercises, their answers and named mistakes recomputed from the models, so the graded
    values differ from the practice checks'. With ``roster`` (student IDs), every student gets
    their own variant (seeded by ``seed`` and their ID) in ``student/<ID>/``, and the one
    autograder holds every student's answers. Returns the assignment folder. ``ref`` is the git
    ref of ``repo_url`` (the course repository or a fork) whose ketacourse package the Gradescope
    image installs.
    """
    repo_dir = Path(repo_dir)
    master_path = find_chapter(repo_dir, chapter)
    number = int(master_path.name[:2])
    out = Path(out_dir) if out_dir is not None else repo_dir / "build" / "assignments" / f"ch{number:02d}"
    if out.exists():
        shutil.rmtree(out)
    master = nbformat.read(master_path, as_version=4)
    questions = questions_from_notebook(master)
    auto = [q for q in questions if q.kind != "written"]
    keys = {q.name for q in auto}
    if not auto:
        raise ValueError(f"chapter must have at least one check cell to grade; {master_path.name} has none")
    if roster is not None:
        roster = [str(r).strip() for r in roster if str(r).strip()]
        if not roster or len({_folder_name(r) for r in roster}) != len(roster):
            raise ValueError("roster must list at least one student, each ID once (after removing spaces and "
                             "symbols other than . @ + - _)")
        seed = 0 if seed is None else seed

    # One "case" per variant: "" (everyone) or a student's ID -> (checks, notebook, constants).
    cases: dict[str, tuple[dict, nbformat.NotebookNode, dict]] = {}
    varied: set[str] = set()
    for variant in (roster or [""]):
        items, constants, nb = {}, {}, copy.deepcopy(master)
        if seed is not None:
            from . import variants

            modules = {exercises.get(k).expected.__module__ for k in keys
                       if isinstance(exercises.get(k), exercises.NumericCheck)}
            own_seed = int(seed) if not variant else student_seed(int(seed), variant)
            for module in sorted(m for m in modules if m in variants.SPECS):
                chosen = variants.choose(module, own_seed)
                constants.update(chosen)
                items.update({k: v for k, v in variants.variant_checks(module, chosen).items() if k in keys})
                varied |= variants.varied_keys(module, chosen) & keys
                variants.apply_to_notebook(nb, module, chosen)
            # Every single-choice question: options shuffled, the right one under a new letter.
            import random

            for k in sorted(keys):
                if isinstance(exercises.get(k), exercises.ChoiceCheck):
                    items[k] = variants.shuffle_choice(nb, exercises.get(k), random.Random(f"{k}:{own_seed}"))
                    varied.add(k)
        cases[variant] = (items, nb, constants)
    if seed is not None and not varied:
        raise ValueError(f"seed {seed} varies no question of {master_path.name}: its checks have no variant "
                         "specification (ketacourse_tools.assignments.variants.SPECS) and no choice question; "
                         "an assignment with this seed would grade the installed package's own answers")
    if seed is None:
        print(f"warning: no SEED: the graded answers of {master_path.name} are those of the practice checks in "
              "the students' installed package. Use  make assignment CHAPTER=N SEED=<number>  (new cases and "
              "shuffled options) for marks.", file=sys.stderr)
    items, master, constants = cases[""] if "" in cases else (cases[roster[0]][0], master, {})
    if seed is not None and not roster:
        questions = questions_from_notebook(master)  # the prompts now name the variant's cases

    student_dir, ag_dir, sol_dir = out / "student", out / "autograder", out / "solutions"
    for d in (ag_dir / "tests", sol_dir / "tests"):
        d.mkdir(parents=True)
    key = {"chapter": number, "notebook": master_path.name, "questions": {}}
    for q in auto:
        (sol_dir / "tests" / f"{q.name}.py").write_text(test_file_source(q, hidden=False), encoding="utf-8")
        per_variant = {v: c[0].get(q.name, exercises.get(q.name)) for v, c in cases.items()}
        (ag_dir / "tests" / f"{q.name}.py").write_text(test_file_source(q, hidden=True, cases=per_variant),
                                                        encoding="utf-8")
        key["questions"][q.name] = key_entry(q, per_variant)
    # The hidden key as data, read by ``make grade`` (compared outside the sandbox); never in student/.
    (ag_dir / "key.json").write_text(json.dumps(key, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for variant, (_items, nb, _constants) in cases.items():
        dest = student_dir / _folder_name(variant) if variant else student_dir
        shutil.copytree(sol_dir / "tests", dest / "tests")
        # Graded notebooks carry no practice checks (unlimited "correct" attempts): grader.check only.
        student = add_grader_cells(make_student_notebook(nb), master_path.name, keys, drop_practice=keys,
                                   variant=variant)
        mark_answer_cells(student, questions)
        student.metadata["ketacourse"] = {"assignment": f"ch{number:02d}", "source": master_path.name}
        if seed is not None:
            student.metadata["ketacourse"]["variant"] = variant or int(seed)
        nbformat.write(student, dest / master_path.name)
    solution = copy.deepcopy(master)
    for cell in solution.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    solution.metadata.pop("widgets", None)
    solution = add_grader_cells(solution, master_path.name, keys, drop_practice=varied)
    if varied:
        where = ("`answers.csv` (one row per student)" if roster else "`questions.json` (`expected`)")
        note = nbformat.v4.new_markdown_cell(source=(
            (f"**Variant {seed}** of this assignment: " + ", ".join(f"{k} = {_fmt(v)}" for k, v in constants.items())
             + ". The exercise texts above give the variant's cases; " if not roster else
             "**Per-student variants**: each student's notebook gives their own cases; ")
            + "the worked code keeps the chapter's own numbers, so use the values in " + where + " to mark "
            + ", ".join(sorted(varied)) + "."))
        solution.cells.insert(0, note)
    nbformat.write(solution, sol_dir / master_path.name)
    if roster:
        import csv

        numeric = list(auto)
        with open(out / "answers.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["student", *[q.name for q in numeric], *sorted(cases[roster[0]][2])])
            for variant, (its, _nb, consts) in cases.items():
                writer.writerow([variant, *[_answer_text(its.get(q.name, exercises.get(q.name))) for q in numeric],
                                 *[_fmt(consts[k]) for k in sorted(consts)]])

    (ag_dir / "requirements.txt").write_text(_requirements(repo_dir, ref, repo_url), encoding="utf-8")
    (ag_dir / "otter_config.json").write_text(json.dumps({
        "lang": "python", "show_stdout": True, "show_hidden": True, "pdf": False,
        "points_possible": sum(q.points for q in auto),
    }, indent=2) + "\n", encoding="utf-8")
    if zip_autograder:
        proc = subprocess.run(
            [str(Path(sys.executable).with_name("otter")), "generate", "-t", "tests", "-o", "autograder.zip",
             "-r", "requirements.txt", "-c", "otter_config.json", "--no-environment",
             "--python-version", f"{sys.version_info.major}.{sys.version_info.minor}"],
            cwd=ag_dir, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"otter generate failed:\n{proc.stdout}\n{proc.stderr}")
    def record(q: Question) -> dict:
        row = asdict(q)
        item = items.get(q.name, exercises.get(q.name, None))
        if q.kind == "numeric" and not roster:
            row["expected"] = float(item.expected())
        return row

    (out / "questions.json").write_text(json.dumps({
        "chapter": number, "notebook": master_path.name, "variant": seed, "constants": constants,
        "roster": roster or [], "varied": sorted(varied), "questions": [record(q) for q in questions],
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
