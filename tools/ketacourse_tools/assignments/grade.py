"""Grade a folder of submissions without Docker, into a CSV a learning-management system imports.

``python -m ketacourse_tools.assignments grade SUBMISSIONS`` (``make grade SUBMISSIONS=dir``):

- every ``*.ipynb`` in the folder, and every ``*.zip`` made by ``grader.export()`` (the notebook
  inside it), is one student's submission; the student is the file name without its extension
  (rename downloads from the LMS to the student's ID or e-mail before grading);
- each submission is executed and graded by otter-grader's non-containerised grading
  (:func:`otter.api.grade_submission`) against the assignment's ``autograder.zip``, in the
  instructor's environment (which has ketacourse installed), so no Docker is needed;
- ``grades.csv``: one row per student, one column per question (points), the written questions
  as empty columns to fill in by hand, then ``autograded_total``, ``autograded_possible`` and
  ``total`` (the autograded points; add the written marks in the LMS or the spreadsheet);
- ``feedback/<student>.txt``: per question, the points and the message, including the named
  mistake (``named mistake [salt-as-base]: ...``) the hidden test found.

On Gradescope, upload ``autograder.zip`` as a programming assignment's autograder instead: it
installs ``requirements.txt`` (the course's kernel pins and ketacourse at the release tag).
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
import zipfile
from pathlib import Path

__all__ = ["grade_folder", "grade_one", "submissions_in"]


def submissions_in(folder: Path) -> dict[str, Path]:
    """Student name -> submission file (``.ipynb``, or ``.zip`` from ``grader.export``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"submissions must be an existing folder; got {str(folder)!r}")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".ipynb", ".zip") and not path.name.startswith("."):
            found[path.stem] = path
    if not found:
        raise ValueError(f"submissions must hold .ipynb or .zip files; none in {str(folder)!r}")
    return found


def _notebook_of(path: Path, workdir: Path) -> Path:
    if path.suffix == ".ipynb":
        return path
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.endswith(".ipynb") and not n.startswith("__MACOSX")]
        if not names:
            raise ValueError(f"submission zip must contain a notebook; {path.name} has none")
        target = workdir / Path(names[0]).name
        target.write_bytes(zf.read(names[0]))
        return target


def _chapter_of(path: Path, workdir: Path) -> int:
    nb = json.loads(_notebook_of(path, workdir).read_text(encoding="utf-8"))
    tag = nb.get("metadata", {}).get("ketacourse", {}).get("assignment", "")
    match = re.fullmatch(r"ch(\d\d)", tag)
    if not match:
        raise ValueError(f"submission must be a ketacourse assignment notebook (metadata.ketacourse.assignment); "
                         f"{path.name} is not: pass --chapter or --autograder")
    return int(match.group(1))


def grade_one(path: Path, autograder: Path) -> tuple[dict[str, float], dict[str, str], float]:
    """Grade one submission. Returns (points per question, feedback per question, possible)."""
    from otter.api import grade_submission

    with tempfile.TemporaryDirectory() as tmp:
        nb = _notebook_of(Path(path), Path(tmp))
        results = grade_submission(str(nb), str(autograder), quiet=True)
    scores, feedback = {}, {}
    if results.has_catastrophic_failure():
        raise RuntimeError(f"grading {Path(path).name} failed: {results.catastrophic_error}")
    for name in results.test_files:
        tf = results.get_result(name)
        scores[name] = float(tf.score)
        messages = []
        for r in tf.test_case_results:
            if not r.passed:
                text = str(r.message).strip()  # otter: the failing source line, then "AssertionError: <message>"
                parts = re.split(r"^\w*Error:\s*", text, flags=re.MULTILINE)
                messages.append(" ".join(parts[-1].split()))
        feedback[name] = " ".join(messages) if messages else "passed"
    return scores, feedback, float(results.possible)


def grade_folder(submissions: Path, *, autograder: Path | None = None, chapter: int | str | None = None,
                 repo_dir: Path = Path("."), csv_path: Path | None = None, jobs: int = 1) -> Path:
    """Grade every submission in ``submissions`` and write the grades CSV and feedback files.

    ``jobs`` submissions are graded at once, each in its own process (about 20 s each for
    Chapter 2 on one core). Returns the CSV path (default ``<submissions>/grades.csv``).
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1; got {jobs!r}")
    submissions = Path(submissions)
    found = submissions_in(submissions)
    if autograder is None:
        if chapter is None:
            with tempfile.TemporaryDirectory() as tmp:
                chapter = _chapter_of(next(iter(found.values())), Path(tmp))
        ag_dir = Path(repo_dir) / "build" / "assignments" / f"ch{int(chapter):02d}"
        autograder = ag_dir / "autograder" / "autograder.zip"
    autograder = Path(autograder)
    if not autograder.exists():
        raise ValueError(f"autograder must be an existing autograder.zip (run make assignment first); "
                         f"got {str(autograder)!r}")
    questions_file = autograder.parent.parent / "questions.json"
    questions = json.loads(questions_file.read_text(encoding="utf-8"))["questions"] if questions_file.exists() else []
    written = [q["name"] for q in questions if q["kind"] == "written"]
    auto_order = [q["name"] for q in questions if q["kind"] != "written"]

    rows, feedback_dir = [], submissions / "feedback"
    feedback_dir.mkdir(exist_ok=True)
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            graded = dict(zip(found, pool.map(grade_one, found.values(), [autograder] * len(found))))
    else:
        graded = {student: grade_one(path, autograder) for student, path in found.items()}
    for student, path in found.items():
        scores, feedback, possible = graded[student]
        names = auto_order or sorted(scores)
        total = sum(scores.get(n, 0.0) for n in names)
        columns = [q["name"] for q in questions] or names  # the questions in notebook order
        row = {"student": student, **{n: ("" if n in written else f"{scores.get(n, 0.0):g}") for n in columns},
               "autograded_total": f"{total:g}", "autograded_possible": f"{possible:g}", "total": f"{total:g}"}
        rows.append(row)
        lines = [f"Feedback for {student} ({path.name}): {total:g} of {possible:g} autograded points."]
        lines += [f"- {n}: {scores.get(n, 0.0):g} point(s). {feedback.get(n, 'not graded')}" for n in names]
        if written:
            lines.append("Written answers (" + ", ".join(written) + ") are marked by hand with the rubric.")
        (feedback_dir / f"{student}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    csv_path = Path(csv_path) if csv_path is not None else submissions / "grades.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return csv_path
