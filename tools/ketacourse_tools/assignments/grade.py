"""Grade a folder of submissions: each in its own sandbox, answers compared in the grader's process.

``python -m ketacourse_tools.assignments grade SUBMISSIONS`` (``make grade SUBMISSIONS=dir``):

- every file in the folder is accounted for. ``*.ipynb`` and ``*.zip`` (from ``grader.export()``
  or the LMS) are submissions; anything else (a PDF, a Word file) becomes a row whose ``error``
  says why it was not graded; LMS receipts (Blackboard's ``.txt``) and hidden files are listed
  as skipped in ``report.txt``. Student identity comes from the LMS bulk-download file name
  (Canvas, Moodle, Blackboard: :mod:`.identity`) or, failing that, the file name's stem;
- each notebook is executed by :mod:`.runner` inside :mod:`.sandbox` (no network, no view of
  other submissions, the hidden key, the course checkout or the instructor's home; CPU, memory,
  process and wall-clock limits; a fresh scratch folder deleted afterwards). Only the answer
  values come back, as JSON data; :func:`score` compares them with the hidden key
  (``autograder/key.json``) here, outside the student's interpreter;
- every submission's SHA-256 is recorded before and checked after grading;
- ``grades.csv`` gets a row as soon as each submission is graded (a crash loses nothing), and a
  second run resumes: rows whose file and hash are unchanged are kept, new or changed files are
  graded (``--regrade`` grades everything again);
- ``feedback/<student>.txt`` for each student, ``report.txt`` (skipped, duplicate, unreadable
  and changed files, errors, timings), and the LMS exports and manual-grading files of
  :mod:`.export`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import export, identity
from .notebook_file import notebook_bytes
from .rows import columns, feedback_text, finish_row, safe_name
from .sandbox import Backend, Limits

__all__ = ["grade_folder", "grade_file", "score", "discover", "Submission", "OUTPUT_NAMES"]

OUTPUT_NAMES = {"grades.csv", "report.txt", "feedback", "lms", "manual", "grades.csv.tmp"}


@dataclass
class Submission:
    """One file of the submissions folder and who it belongs to."""

    path: Path
    student: str  # the key of the student (LMS ID, roster ID or file stem)
    name: str = ""
    lms_id: str = ""
    lms: str = ""  # "canvas", "moodle", "blackboard" or ""
    late: bool = False
    submitted: str = ""
    sha256: str = ""
    problem: str = ""  # why it cannot be graded (not a notebook...), empty if it can
    warning: str = ""  # graded, but the instructor should look (not on the roster)
    duplicate_of: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def discover(folder: Path, roster: Path | None = None) -> tuple[list[Submission], list[tuple[str, str]]]:
    """Every file of ``folder``: (submissions and rejected files as :class:`Submission` rows,
    skipped files with the reason). Files of one student (duplicates, resubmissions) all get rows;
    the newest is the one exported (:func:`chosen`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"submissions must be an existing folder; got {str(folder)!r}")
    people = identity.read_roster(roster) if roster is not None else None
    subs, skipped = [], []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in OUTPUT_NAMES or any(p.startswith(".") or p == "__MACOSX" for p in rel.parts):
            continue
        if not path.is_file():
            continue
        who = identity.parse(rel.as_posix())
        if who.receipt:
            skipped.append((rel.as_posix(), f"{who.lms} submission receipt (not a submission)"))
            continue
        sub = Submission(path=path, student=who.key, name=who.name, lms_id=who.lms_id, lms=who.lms, late=who.late,
                         submitted=who.submitted, sha256=_sha256(path))
        if people is not None:
            match = identity.match(who, people)
            if match is None:
                sub.warning = "student not on the roster (graded anyway; check the file name)"
            else:
                sub.student, sub.name = match.key, match.name or sub.name
                sub.lms_id = sub.lms_id or match.lms_id
        suffix = path.suffix.lower()
        if suffix not in (".ipynb", ".zip"):
            kind = {".pdf": "a PDF", ".html": "an HTML export", ".py": "a Python script", ".docx": "a Word file",
                    ".txt": "a text file"}.get(suffix, f"a {suffix or 'file without extension'} file")
            sub.problem = sub.problem or (f"{rel.as_posix()} is {kind}, not a notebook: ask the student to upload "
                                          "the .ipynb (or the zip the submit cell makes)")
        subs.append(sub)
    by_student: dict[str, list[Submission]] = {}
    for s in subs:
        by_student.setdefault(s.student, []).append(s)
    for group in by_student.values():
        if len(group) > 1:
            for s in group:
                s.duplicate_of = [o.path.name for o in group if o is not s]
    return subs, skipped


# ----------------------------------------------------------------------------- scoring (grader's process)
def _close(a: float, b: float, rel: float, abs_: float) -> bool:
    return abs(a - b) <= max(rel * abs(b), abs_)


def score(question: dict, answer: dict, variant: str) -> tuple[float, str]:
    """Points and feedback for one answer (a runner record: ``{"type": ..., "value": ...}``).

    Only a real number (JSON int or float, not true/false) can earn a numeric question's points;
    only text or a letter a choice question's. The hidden values never leave this process."""
    case = question["cases"].get(variant)
    if case is None:
        return 0.0, "this notebook's variant is not in the key: submit the notebook you were given."
    kind, points = answer.get("type"), float(question["points"])
    if kind in ("missing", None):
        return 0.0, "no answer: the notebook never stores it."
    if kind in ("none", "ellipsis"):
        return 0.0, "no answer yet: replace None (or each ...) with your answer and run the cell."
    if kind == "error":
        return 0.0, f"the answer could not be read ({answer.get('name', '')})."
    if question["kind"] == "numeric":
        if kind not in ("int", "float"):
            shown = answer.get("value", answer.get("name", kind))
            return 0.0, f"the answer must be a number; got {kind} {shown!r}."
        value = float(answer["value"])
        if not math.isfinite(value):
            return 0.0, "the answer must be a finite number."
        rel, abs_ = float(question["rel_tol"]), float(question["abs_tol"])
        if question.get("integer"):
            if value == case["expected"]:
                return points, "correct."
        elif _close(value, case["expected"], rel, abs_):
            return points, "correct."
        for name, wrong, message in case["mistakes"]:
            if _close(value, wrong, rel, abs_):
                return 0.0, f"named mistake [{name}]: {message}"
        return 0.0, f"not within {rel:.0%} of the model's value (in {question['unit']}). {question['hint']}".strip()
    if kind != "str":
        return 0.0, f"the answer must be an option letter in quotes, e.g. \"b\"; got {kind}."
    text = str(answer["value"]).strip().lower()
    if len(text) == 3 and text[0] == "(" and text[2] == ")":
        text = text[1]
    if text == case["answer"]:
        return points, "correct."
    if text in case["feedback"]:
        return 0.0, f"named mistake [option {text}]: {case['feedback'][text]}"
    if case["options"] and text not in case["options"]:
        return 0.0, f"choose one of {', '.join(case['options'])}; got {answer['value']!r}."
    return 0.0, f"not the best option. {question['hint']}".strip()


# ----------------------------------------------------------------------------- one submission
def grade_file(sub: Submission, key: dict, limits: Limits = Limits(), cell_timeout: int = 60,
               backend: Backend = Backend()) -> dict:
    """Grade one submission in a sandbox (``backend``, from :func:`.sandbox.choose`). Never raises:
    every failure is a row with ``error``."""
    from . import sandbox

    start = time.monotonic()
    questions = key["questions"]
    row = {"student": sub.student, "name": sub.name, "lms_id": sub.lms_id, "file": sub.path.name,
           "sha256": sub.sha256, "error": "", "notes": "", "_feedback": {}, "_submitted": sub.submitted,
           "_late": sub.late, "_scores": {}}
    notes = []
    if sub.duplicate_of:
        notes.append("other files for this student: " + ", ".join(sub.duplicate_of))
    if sub.problem:
        row["error"] = f"not graded: {sub.problem}"
    else:
        try:
            data, _inner = notebook_bytes(sub.path, key.get("notebook", ""))
        except (ValueError, OSError) as exc:
            row["error"] = f"not graded: {exc}"
        else:
            job = json.dumps({"questions": {n: q["expr"] for n, q in questions.items()}, "cell_timeout": cell_timeout,
                              "handout": key.get("_handout", [])})
            try:
                res = sandbox.run(data, job, limits, backend)
            except Exception as exc:  # noqa: BLE001 - the grader's own failure, reported on the row
                row["error"] = f"not graded: the sandbox failed to start ({type(exc).__name__}: {exc})"
                res = None
            if res is not None:
                try:
                    _read_result(res, row, questions, limits, notes, sub)
                finally:
                    sandbox.cleanup(res)
    if sub.warning and not row["error"]:
        row["error"] = sub.warning
    if sub.path.exists() and _sha256(sub.path) != sub.sha256:
        row["error"] = (row["error"] + "; " if row["error"] else "") + "the file changed while it was graded"
    row["notes"] = "; ".join(notes)
    row["seconds"] = f"{time.monotonic() - start:.1f}"
    return row


def _read_result(res, row: dict, questions: dict, limits: Limits, notes: list[str], sub: Submission) -> None:
    path = res.out_dir / "result.json"
    result = None
    if path.exists() and path.stat().st_size < 4 * 1024 * 1024:
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(result, dict):
                result = None
        except (ValueError, UnicodeDecodeError):
            result = None
    stopped = ""
    if res.timed_out:
        stopped = (f"stopped after {limits.wall_s:g} s (the wall-clock limit): a cell that never ends "
                   "(an endless loop, time.sleep...)")
    elif res.returncode not in (0, None):
        sig = -res.returncode if res.returncode < 0 else res.returncode - 128 if res.returncode > 128 else 0
        why = {9: "killed (CPU-time or memory limit)", 24: "CPU-time limit reached"}.get(sig, "")
        stopped = f"the notebook's process ended abnormally (exit {res.returncode}{', ' + why if why else ''})"
    if result is None:
        row["error"] = "not graded: " + (stopped or "the runner wrote no result ("
                                          + " ".join(res.stderr.split())[-300:] + ")")
        return
    if result.get("fatal"):
        row["error"] = f"not graded: {result['fatal']}"
        return
    if stopped:
        row["error"] = stopped + "; answers stored before that were graded"
    errors = [e for e in result.get("errors", []) if isinstance(e, dict)]
    by_cell = {e.get("cell"): e for e in errors}
    variant = key_variant(result, sub, questions)
    row["_variant"] = variant
    if variant and variant != sub.student:
        notes.append(f"graded as variant {variant!r}, the one the notebook names (the file name gave {sub.student!r})")
    answers = result.get("answers", {}) if isinstance(result.get("answers"), dict) else {}
    defined = result.get("defined_in", {}) if isinstance(result.get("defined_in"), dict) else {}
    for name, q in questions.items():
        answer = answers.get(name) if isinstance(answers.get(name), dict) else {"type": "missing"}
        points, message = score(q, answer, variant)
        cell = defined.get(name)
        if points == 0 and cell in by_cell and answer.get("type") in ("missing", "none", "error"):
            e = by_cell[cell]
            kind = "a syntax error" if e.get("syntax") else f"an error ({e.get('ename')})"
            where = f" at line {e.get('line')}" if e.get("line") else ""
            message = (f"cell {cell} has {kind}{where}: {str(e.get('evalue'))[:160]}. "
                       f"Your answer was not read; fix that cell (this is not \"no answer yet\").")
        row["_scores"][name] = points
        row["_feedback"][name] = message
    tried = result.get("tried") if isinstance(result.get("tried"), dict) else {}
    if tried:
        notes.append("tried inside the sandbox (it gained nothing): " + "; ".join(
            f"{what} x{entry[0]}" + (f" ({', '.join(map(str, entry[1]))})" if entry[1] else "")
            for what, entry in list(tried.items())[:8] if isinstance(entry, list) and len(entry) == 2))
    limited = [e for e in errors if e.get("ename") in ("MemoryError", "CellTimeout", "PermissionError",
                                                        "BlockingIOError", "ConnectionError", "OSError",
                                                        "gaierror", "FileNotFoundError", "TimeoutError")]
    if limited:
        notes.append("stopped by the sandbox: " + "; ".join(
            f"cell {e['cell']} {e['ename']}: {str(e.get('evalue'))[:80]}" for e in limited[:4]))
    other = [e for e in errors if e not in limited]
    if other:
        notes.append("errors in cells " + ", ".join(str(e["cell"]) for e in other[:10]))
    row["_errors"] = errors
    row["_runner_seconds"] = result.get("seconds")


def key_variant(result: dict, sub: Submission, questions: dict) -> str:
    """The variant to grade against: the student's own ID when the key has per-student cases
    (never the notebook's claim alone), else the notebook's variant, else "" (everyone)."""
    cases = next(iter(questions.values()))["cases"] if questions else {}
    if sub.student in cases:
        return sub.student
    claimed = result.get("variant", "") if isinstance(result.get("variant"), str) else ""
    if "" in cases:
        return ""
    return claimed


# ----------------------------------------------------------------------------- the folder
def load_key(autograder: Path) -> tuple[dict, list[dict]]:
    """The hidden key (``autograder/key.json``) and the assignment's questions (``questions.json``)."""
    autograder = Path(autograder)
    key_path = autograder / "key.json" if autograder.is_dir() else \
        autograder if autograder.name == "key.json" else autograder.parent / "key.json"
    if not key_path.exists():
        raise ValueError(f"autograder must be an assignment's autograder folder with key.json (run make assignment "
                         f"again); got {str(autograder)!r}")
    key = json.loads(key_path.read_text(encoding="utf-8"))
    key["_handout"] = sorted(handout_hashes(key_path.parent.parent / "student"))
    qfile = key_path.parent.parent / "questions.json"
    questions = json.loads(qfile.read_text(encoding="utf-8"))["questions"] if qfile.exists() else [
        {"name": n, "kind": q["kind"], "points": q["points"]} for n, q in key["questions"].items()]
    return key, questions


def handout_hashes(student_dir: Path) -> set[str]:
    """SHA-256 of every code cell's source in the notebooks handed out (``student/``): cells a
    submission left unchanged are course code, which the runner may skip when nothing needs them."""
    out: set[str] = set()
    if not student_dir.is_dir():
        return out
    for path in student_dir.rglob("*.ipynb"):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            continue
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "code":
                src = cell.get("source", "")
                src = "".join(src) if isinstance(src, list) else str(src)
                out.add(hashlib.sha256(src.encode()).hexdigest())
    return out


def _read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def grade_folder(submissions: Path, *, autograder: Path | None = None, chapter: int | str | None = None,
                 repo_dir: Path = Path("."), csv_path: Path | None = None, jobs: int | None = None,
                 roster: Path | None = None, due: str = "", late_penalty: float = 0.0, regrade: bool = False,
                 limits: Limits = Limits(), cell_timeout: int = 60, progress: bool = True,
                 manual: Path | None = None, backend: str = "auto") -> Path:
    """Grade every file in ``submissions`` (see the module docstring). Returns the CSV path.

    ``jobs`` submissions run at once (default: every core). ``due`` (ISO date-time) and
    ``late_penalty`` (% of the points per day or part day late) set late flags and penalties.
    ``manual`` is a CSV of hand marks for the written questions (see :mod:`.export`).
    ``backend`` is the sandbox: ``"auto"`` (bubblewrap if it works here, else Podman, else Docker),
    or one of :data:`.sandbox.BACKENDS`; with none working, grading is refused (RuntimeError).
    """
    from . import sandbox

    if jobs is None:
        jobs = os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1; got {jobs!r}")
    box = sandbox.choose(backend)  # raises, naming each reason, when no sandbox works here
    submissions = Path(submissions)
    subs, skipped = discover(submissions, roster)
    if not subs:
        raise ValueError(f"submissions must hold at least one file to grade; none in {str(submissions)!r}")
    if autograder is None:
        if chapter is None:
            chapter = _chapter_of(subs)
        autograder = Path(repo_dir) / "build" / "assignments" / f"ch{int(chapter):02d}" / "autograder"
    key, questions = load_key(Path(autograder))
    csv_path = Path(csv_path) if csv_path is not None else submissions / "grades.csv"
    cols = columns(questions)
    done = {} if regrade else {(r["file"], r["sha256"]): r for r in _read_rows(csv_path)
                               if list(r) == cols and not r["error"].startswith("not graded: the sandbox")}
    todo = [s for s in subs if (s.path.name, s.sha256) not in done]
    kept = [dict(done[(s.path.name, s.sha256)]) for s in subs if (s.path.name, s.sha256) in done]
    tmp = csv_path.with_name(csv_path.name + ".tmp")
    feedback_dir = submissions / "feedback"
    feedback_dir.mkdir(exist_ok=True)
    rows: list[dict] = []
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for r in kept:
            writer.writerow(r)
            rows.append(r)
        fh.flush()
        os.replace(tmp, csv_path)  # the kept rows are on disk before anything runs
        fh_append = open(csv_path, "a", newline="", encoding="utf-8")
    writer = csv.DictWriter(fh_append, fieldnames=cols)
    start, n = time.monotonic(), 0

    def record(raw: dict) -> None:
        nonlocal n
        n += 1
        row = finish_row(raw, questions, due, late_penalty)
        row["_feedback"] = raw.get("_feedback", {})
        writer.writerow({c: row.get(c, "") for c in cols})
        fh_append.flush()
        rows.append(row)
        (feedback_dir / f"{safe_name(row['student'])}.txt").write_text(
            feedback_text(row, questions, f"Chapter {key.get('chapter', '')}"), encoding="utf-8")
        if progress:
            elapsed = time.monotonic() - start
            eta = elapsed / n * (len(todo) - n)
            print(f"[{n}/{len(todo)}] {row['file']}: {row['autograded']}/{row['autograded_possible']}"
                  f"{'  ERROR ' + row['error'][:70] if row['error'] else ''}  ({elapsed:.0f} s, ~{eta:.0f} s left)",
                  file=sys.stderr, flush=True)

    try:
        if jobs == 1 or len(todo) <= 1:
            for s in todo:
                record(grade_file(s, key, limits, cell_timeout, box))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(grade_file, s, key, limits, cell_timeout, box): s for s in todo}
                for fut in as_completed(futures):
                    s = futures[fut]
                    try:
                        raw = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a worker died: a row, not a lost run
                        raw = {"student": s.student, "name": s.name, "lms_id": s.lms_id, "file": s.path.name,
                               "sha256": s.sha256, "error": f"not graded: the sandbox failed ({exc})", "notes": ""}
                    record(raw)
    finally:
        fh_append.close()
    report = [f"Graded {len(todo)} file(s) in {time.monotonic() - start:.0f} s with {jobs} job(s) in the "
              f"{box.name} sandbox; "
              f"{len(kept)} kept from an earlier run (unchanged files).", ""]
    errors = [r for r in rows if r["error"]]
    report.append(f"Files with a problem ({len(errors)}):")
    report += [f"- {r['file']} ({r['student']}): {r['error']}" for r in errors] or ["- none"]
    stopped = [r for r in rows if "stopped" in r.get("notes", "") or "tried inside" in r.get("notes", "")
               or r["error"].startswith("stopped")]
    report += ["", f"Submissions the sandbox stopped or refused something ({len(stopped)}: time, memory, "
               "processes, files or network; they gained nothing):"]
    report += [f"- {r['file']}: {(r['error'] + ' ' + r['notes']).strip()[:300]}" for r in stopped] or ["- none"]
    dups = [s for s in subs if s.duplicate_of]
    report += ["", f"Students with more than one file ({len({s.student for s in dups})}; the newest gradable one "
               "is exported, all are in grades.csv):"]
    report += [f"- {s.student}: {s.path.name}" for s in dups] or ["- none"]
    report += ["", f"Skipped files ({len(skipped)}):"] + ([f"- {f}: {why}" for f, why in skipped] or ["- none"])
    (submissions / "report.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    export.write_all(submissions, rows, questions, key, manual=manual, due=due, late_penalty=late_penalty)
    return csv_path


def _chapter_of(subs: list[Submission]) -> int:
    import re

    for s in subs:
        if s.problem:
            continue
        try:
            nb = json.loads(notebook_bytes(s.path)[0])
        except ValueError:
            continue
        tag = nb.get("metadata", {}).get("ketacourse", {}).get("assignment", "")
        match = re.fullmatch(r"ch(\d\d)", str(tag))
        if match:
            return int(match.group(1))
    raise ValueError("submissions must include a ketacourse assignment notebook (metadata.ketacourse.assignment) "
                     "to tell the chapter: pass --chapter or --autograder")
