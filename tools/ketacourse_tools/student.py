"""Make student versions of the chapter notebooks: solutions removed, checks kept.

The master notebook is the one in ``chapters/``. In it, every cell that belongs to a solution
carries the tag ``solution`` (markdown and code alike). A solution *code* cell may also carry
``metadata.ketacourse.stub``: the scaffolded starter code that replaces it in the student
version: the right calls with ``...`` blanks to fill in, and the answer variable left as
``...`` or ``None`` (both read as "no answer yet" by the check, so the notebook still runs).
Check cells (tag ``check``) stay, so learners still get immediate feedback with escalating hints.
Every exercise with no stub (a written answer), and every exercise whose cell carries
``metadata.ketacourse.written = true``, gets a "Your answer" markdown cell after it (after its
stub and check cells, if it has them).

The same tags keep answers out of the *book* (master or student): check cells also carry
``remove-output`` (their stored feedback would give the answer away) and SelfCheck cells carry
``remove-input`` (their source holds the answer index); a widget-only cell (``ForestPlot()``) carries
``hide-input``, so the book folds its code above the figure. :func:`apply_book_tags` adds the tags a
notebook is missing; ``tests/test_notebook_guard.py`` fails on any chapter without them.

Usage::

    python -m ketacourse_tools.student chapters build/student          # student notebooks
    python -m ketacourse_tools.student --book . build/student-book     # a solution-free copy of the book
    python -m ketacourse_tools.student --tag chapters/03-x.ipynb       # add the answer-hiding tags in place
    python -m ketacourse_tools.student --clean-checks chapters/*.ipynb # check cells: neutral stored output

The second form copies the book's sources (``_config.yml``, ``_toc.yml``, ``chapters/``) and
replaces every chapter notebook with its student version; building that copy with
``jupyter-book`` gives a course book without solutions (``make book-student``).
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

from .chapter_format import (ANSWER_TAG, CHECK_CALL_RE, CHECK_TAG, EXERCISE_RE, HIDE_INPUT, SELFCHECK_CALL_RE,
                             SOLUTION_TAG, STUB_TAG, is_widget_only)
from .chapter_format import tags as _tags

__all__ = ["neutral_check_outputs", "check_verdict_problems", "VERDICT_MARKS", "make_student_notebook", "make_student_versions", "make_student_book", "apply_book_tags",
           "missing_book_tags", "point_config_at_branch", "SOLUTION_TAG", "STUB_TAG", "ANSWER_TAG", "STUDENT_BRANCH"]

BOOK_SOURCES = ("_config.yml", "_toc.yml", "chapters", "_static")
"""What a book build needs from the repository (the package itself is installed; `_static` holds the
book-wide stylesheet and the favicon `_config.yml` names)."""

_CHECK_CALL, _SELFCHECK_CALL, _EXERCISE = CHECK_CALL_RE, SELFCHECK_CALL_RE, EXERCISE_RE

ANSWER_CELL = ("**Your answer** ({label}). *Double-click this cell and write your answer here; "
               "the worked solution is in the instructor's version.*")


def _required_tags(cell) -> list[str]:
    """Tags ``cell`` needs so that the built book shows no answer (and folds a widget-only cell's code)."""
    if cell.cell_type != "code" or SOLUTION_TAG in _tags(cell):
        return []
    if _CHECK_CALL.search(cell.source):
        return [CHECK_TAG, "remove-output"]
    if _SELFCHECK_CALL.search(cell.source):
        return ["remove-input"]
    if is_widget_only(cell.source) and "remove-input" not in _tags(cell):
        return [HIDE_INPUT]
    return []


def missing_book_tags(nb: nbformat.NotebookNode) -> list[str]:
    """Problems: cells whose answer would be visible in the book (a check cell without
    ``check``/``remove-output``, a SelfCheck cell without ``remove-input``) or a widget-only cell
    without ``hide-input``."""
    found = []
    for i, cell in enumerate(nb.cells):
        need = [t for t in _required_tags(cell) if t not in _tags(cell)]
        if need:
            found.append(f"cell {i} needs the tags {need} (book shows no answers): {cell.source[:60]!r}")
    return found


def apply_book_tags(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Add, in place, the tags that keep answers out of the book; returns ``nb``."""
    for cell in nb.cells:
        need = [t for t in _required_tags(cell) if t not in _tags(cell)]
        if need:
            cell.metadata["tags"] = _tags(cell) + need
    return nb


VERDICT_MARKS = ("✓", "✗", "correct.", "not yet.", "Correct.", "Not quite.")
"""Text that only a check's or a self-check's verdict contains."""
MASTER_STATUS_KEY = "master_check"
"""``metadata.ketacourse.master_check`` of a check cell: the verdict the master's own solution got when
the chapter was executed ("correct"), kept as proof once the verdict itself has left the outputs."""


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return "\n".join(str(v) if isinstance(v, str) else "".join(v) for k, v in data.items()
                     if k.startswith("text/")) + "\n" + str(output.get("evalue", ""))


def _neutral_output(key: str, execution_count: int | None) -> nbformat.NotebookNode:
    """The output ``check(key, None)`` displays: the "no answer yet" message, nothing about the answer."""
    from ketacourse import exercises

    feedback = exercises.get(key)(None)
    return nbformat.v4.new_output("execute_result", execution_count=execution_count,
                                  data={"text/plain": repr(feedback), "text/html": feedback._repr_html_()})


def neutral_check_outputs(nb: nbformat.NotebookNode) -> int:
    """Give every check cell of ``nb`` (tag ``check``) the neutral output of an unanswered check, in place.

    A chapter executed top to bottom stores, under each check cell, the verdict on the master's own
    answer ("✓ ch1-molar: correct. … about 0.447 µmol/L"): the answer, in every notebook a learner opens
    from the launch buttons or downloads from the book. This replaces it by what ``check(key, None)``
    shows, and records the verdict's status in ``metadata.ketacourse.master_check`` ("correct"), so
    the notebook guard can still see that the master's solution passed. Returns the number of cells
    changed (0: nothing to do).
    """
    from .chapter_format import check_call

    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or CHECK_TAG not in _tags(cell):
            continue
        call = check_call(cell.source)
        if call is None or cell.get("execution_count") is None:
            continue
        text = "\n".join(_output_text(o) for o in cell.get("outputs", []))
        neutral = _neutral_output(call[0], cell.execution_count)
        if [dict(o) for o in cell.outputs] == [dict(neutral)]:
            continue
        if "✓" in text or "✗" in text:
            meta = cell.metadata.setdefault("ketacourse", {})
            meta[MASTER_STATUS_KEY] = "correct" if ("✓" in text and "✗" not in text) else "incorrect"
        cell.outputs = [neutral]
        changed += 1
    return changed


def check_verdict_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Stored outputs that carry a verdict or an expected value: every output of every cell except
    the worked solutions (tag ``solution``; the master notebook shows its solutions by design) must
    hold no verdict mark, and a check cell's output no expected value of its check."""
    from ketacourse import exercises

    from .chapter_format import check_call

    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or SOLUTION_TAG in _tags(cell):
            continue
        text = "\n".join(_output_text(o) for o in cell.get("outputs", []))
        # a self-check's stored HTML holds each option's feedback (the book folds it per option)
        marks = [m for m in VERDICT_MARKS if m in text and not (_SELFCHECK_CALL.search(cell.source)
                                                                   and m in ("Correct.", "Not quite."))]
        if marks:
            found.append(f"cell {i} stores a verdict {marks}: {text.strip()[:100]!r}")
        call = check_call(cell.source) if CHECK_TAG in _tags(cell) else None
        item = exercises.get(call[0], None) if call else None
        if isinstance(item, exercises.NumericCheck):
            value = float(item.expected())
            for s in {f"{value:.3g}", f"{value:.2f}"}:
                if re.search(r"(?<![\d.])" + re.escape(s) + r"(?!\d)", text):
                    found.append(f"cell {i} ({call[0]}) stores its expected value {s}")
    return found


def _written_labels(nb: nbformat.NotebookNode) -> set[str]:
    """Labels of exercises that need a written-answer cell: no stub in their solution, or
    ``metadata.ketacourse.written`` set on the exercise cell."""
    labels, with_stub, forced = [], set(), set()
    current = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = _EXERCISE.findall(cell.source)
            if found and SOLUTION_TAG not in _tags(cell):
                labels += found
                current = found[-1]
                if cell.get("metadata", {}).get("ketacourse", {}).get("written"):
                    forced.update(found)
        elif current and SOLUTION_TAG in _tags(cell) and cell.get("metadata", {}).get("ketacourse", {}).get("stub"):
            with_stub.add(current)
    return {lab for lab in labels if lab not in with_stub or lab in forced}


def make_student_notebook(nb: nbformat.NotebookNode, keep_outputs: bool = False) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` without solution cells; solution code with a stub becomes the stub.

    Outputs of every code cell are cleared, so learners start from a clean notebook. With
    ``keep_outputs`` (a book built without executing), the master's outputs stay, except those of
    the check cells (they hold the verdict on the master's own answer) and of the solutions
    (removed with them); stubs and answer cells have none.
    """
    out = copy.deepcopy(nb)
    written = _written_labels(out)
    cells = []
    pending: list[str] = []  # written exercises whose answer cell goes after their stub and checks

    def flush() -> None:
        for label in pending:
            answer = nbformat.v4.new_markdown_cell(source=ANSWER_CELL.format(label=label))
            answer.metadata["tags"] = [ANSWER_TAG]
            cells.append(answer)
        pending.clear()

    for cell in out.cells:
        tags = _tags(cell)
        if SOLUTION_TAG not in tags and CHECK_TAG not in tags:
            flush()
        if cell.cell_type == "markdown" and SOLUTION_TAG not in tags:
            cells.append(cell)
            pending.extend(label for label in _EXERCISE.findall(cell.source) if label in written)
            continue
        if SOLUTION_TAG in tags:
            stub = cell.get("metadata", {}).get("ketacourse", {}).get("stub")
            if cell.cell_type == "code" and stub:
                new = nbformat.v4.new_code_cell(source=stub)
                new.metadata["tags"] = [STUB_TAG]
                cells.append(new)
            continue
        if cell.cell_type == "code" and (not keep_outputs or CHECK_TAG in tags):
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    flush()
    out.cells = cells
    out.metadata.pop("widgets", None)
    return apply_book_tags(out)


def make_student_versions(src_dir: Path, dest_dir: Path, keep_outputs: bool = False,
                          masters: dict[str, nbformat.NotebookNode] | None = None) -> list[Path]:
    """Write a student version of every ``*.ipynb`` in ``src_dir`` to ``dest_dir``.

    ``masters`` (file name -> notebook) replaces a master read from ``src_dir``, e.g. with outputs
    just executed; ``keep_outputs`` as in :func:`make_student_notebook`.
    """
    src_dir, dest_dir = Path(src_dir), Path(dest_dir)
    if not src_dir.is_dir():
        raise ValueError(f"src_dir must be an existing folder; got {str(src_dir)!r}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(src_dir.glob("*.ipynb")):
        nb = (masters or {}).get(path.name) or nbformat.read(path, as_version=4)
        target = dest_dir / path.name
        nbformat.write(make_student_notebook(nb, keep_outputs=keep_outputs), target)
        written.append(target)
    return written


STUDENT_BRANCH = "student"
"""The branch ``make release`` writes: student notebooks at the same paths as the masters."""


def point_config_at_branch(config_text: str, branch: str) -> str:
    """``_config.yml`` text with ``repository.branch`` set to ``branch``, so the book's Binder,
    Colab and JupyterHub launch buttons open that branch's notebooks (comments kept)."""
    out, in_repo, done = [], False, False
    for line in config_text.splitlines(keepends=True):
        if re.match(r"^repository:\s*$", line):
            in_repo = True
        elif in_repo and re.match(r"^\S", line):
            in_repo = False
        if in_repo and re.match(r"^\s+branch:", line):
            line = re.sub(r"(branch:\s*)\S+", lambda m: m.group(1) + branch, line)
            done = True
        out.append(line)
    if not done:
        raise ValueError("config_text must set repository.branch (the launch buttons' branch)")
    return "".join(out)


def execute_only_pages(config_text: str, stored: list[str]) -> str:
    """``_config.yml`` text whose execution skips the notebooks in ``stored`` (paths relative to the
    book, e.g. ``chapters/01-nmda-receptor.ipynb``: they keep the outputs they carry) and still runs
    every other page with code cells (the validation page), as ``make book`` does; comments kept."""
    if not stored:
        raise ValueError("stored must name at least one notebook")
    m = list(re.finditer(r"^(\s+)execute_notebooks:[^\n]*$", config_text, flags=re.M))
    if len(m) != 1:
        raise ValueError("config_text must set execute.execute_notebooks once")
    if re.search(r"^\s+exclude_patterns:", config_text[m[0].end():].split("\n\n")[0], flags=re.M):
        raise ValueError("config_text must not set execute.exclude_patterns already")
    line = f"\n{m[0].group(1)}exclude_patterns: [{', '.join(repr(p) for p in sorted(stored))}]  # they keep their outputs"
    return config_text[:m[0].end()] + line + config_text[m[0].end():]


def make_student_book(repo_dir: Path, dest_dir: Path, branch: str = STUDENT_BRANCH, *,
                      stored_outputs: bool = False,
                      masters: dict[str, nbformat.NotebookNode] | None = None) -> Path:
    """Copy the book's sources from ``repo_dir`` to ``dest_dir`` with student notebooks.

    ``dest_dir`` is replaced if it exists. Returns ``dest_dir``; build it with
    ``jupyter-book build <dest_dir>``. The copy's ``_config.yml`` points the launch buttons at
    ``branch`` (the student branch ``make release`` produces), never at the master notebooks.

    With ``stored_outputs`` the student notebooks keep the masters' outputs (not the check cells')
    and the copy's ``_config.yml`` skips them in execution: the book builds without running any chapter
    (pages such as the validation page still execute)
    (``make book-student``; the tests pass ``masters``, the chapters nbval executed in the same run).
    """
    import shutil

    repo_dir, dest_dir = Path(repo_dir), Path(dest_dir)
    missing = [name for name in BOOK_SOURCES if not (repo_dir / name).exists()]
    if missing:
        raise ValueError(f"repo_dir must hold {', '.join(BOOK_SOURCES)}; {', '.join(missing)} missing in {str(repo_dir)!r}")
    if dest_dir.resolve() == repo_dir.resolve():
        raise ValueError(f"dest_dir must differ from repo_dir; got {str(dest_dir)!r}")
    if dest_dir.exists():
        shutil.rmtree(dest_dir)
    dest_dir.mkdir(parents=True)
    for name in BOOK_SOURCES:
        src = repo_dir / name
        if src.is_dir():
            shutil.copytree(src, dest_dir / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
        else:
            shutil.copy2(src, dest_dir / name)
    make_student_versions(repo_dir / "chapters", dest_dir / "chapters", keep_outputs=stored_outputs, masters=masters)
    config = dest_dir / "_config.yml"
    text = point_config_at_branch(config.read_text(encoding="utf-8"), branch)
    if stored_outputs:
        from . import course

        text = execute_only_pages(text, [c.rel for c in course.chapters(dest_dir)])
    config.write_text(text, encoding="utf-8")
    return dest_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, nargs="?", help="folder with master notebooks (chapters), or with --book the repository")
    parser.add_argument("--book", action="store_true", help="copy the whole book's sources with student notebooks")
    parser.add_argument("--stored-outputs", action="store_true",
                        help="with --book: keep the masters' outputs and build without executing the chapters")
    parser.add_argument("--clean-checks", type=Path, nargs="+", metavar="NOTEBOOK",
                        help="give the check cells of these notebooks the neutral 'no answer yet' output, in place")
    parser.add_argument("--tag", action="store_true",
                        help="add the answer-hiding tags to the notebook(s) SRC (and DEST, if given) in place")
    parser.add_argument("dest", type=Path, nargs="?",
                        help="output folder for student notebooks, or with --book for the book copy")
    args = parser.parse_args(argv)
    if args.clean_checks:
        for path in args.clean_checks:
            nb = nbformat.read(path, as_version=4)
            if neutral_check_outputs(nb):
                nbformat.write(nb, path)
            print(path)
        return 0
    if args.src is None:
        parser.error("src is required (except with --clean-checks)")
    if args.dest is None and not args.tag:
        parser.error("dest is required (except with --tag)")
    if args.tag:
        for path in [p for p in (args.src, args.dest) if p is not None]:
            nb = nbformat.read(path, as_version=4)
            nbformat.write(apply_book_tags(nb), path)
            print(path)
        return 0
    if args.book:
        print(make_student_book(args.src, args.dest, stored_outputs=args.stored_outputs))
        return 0
    for path in make_student_versions(args.src, args.dest):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
