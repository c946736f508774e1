"""What the instructor takes away from a grading run: LMS imports, hand marking, feedback.

Written by :func:`write_all` after ``make grade`` (and again by ``make grade ... MANUAL=marks.csv``
after the written answers are marked; nothing is re-executed for unchanged files):

- ``lms/canvas.csv``: Canvas Gradebook import ("Student", "ID", "SIS User ID", "SIS Login ID",
  "Section", then one column "<assignment>" (new assignment) with the total);
- ``lms/moodle-grading-worksheet.csv``: Moodle assignment offline grading worksheet ("Identifier"
  as "Participant N", "Full name", "Email address", "Grade", "Maximum grade",
  "Grade can be changed", "Last modified (grade)", "Feedback comments");
- ``lms/blackboard.csv``: Blackboard Grade Center upload ("Last Name", "First Name", "Username",
  then "<assignment> [Total Pts: N Score]"; every field quoted, as Blackboard's comma format asks);
- ``manual/written-marks.csv``: one row per student, one column per rubric criterion of every
  written question (``<question>/<criterion>``) and a comment column per question: fill it in and
  pass it back with ``MANUAL=`` to merge (regrade and merge: the file can be passed again any time);
- ``manual/written-answers/<student>.pdf`` and ``manual/written-answers.pdf``: each written answer on a
  page of its own, in question order (a fixed page per question, as a Gradescope template wants);
- ``feedback/<student>.txt``: rewritten with the merged marks and comments.
"""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

from .notebook_file import notebook_bytes
from .rows import chosen, columns, feedback_text, finish_row, safe_name

__all__ = ["write_all", "read_manual", "written_answers"]


def _criteria(q: dict) -> list[dict]:
    return q.get("criteria") or [{"id": "mark", "text": "overall mark", "points": q["points"]}]


def read_manual(path: Path, questions: list[dict]) -> dict[str, dict]:
    """Hand marks per student: {student: {question: (points, comment)}}. Criterion marks above a
    criterion's points, or not numbers, raise ValueError naming the cell."""
    written = [q for q in questions if q["kind"] == "written"]
    out: dict[str, dict] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for line, rec in enumerate(csv.DictReader(fh), start=2):
            marks = {}
            for q in written:
                total, seen = 0.0, False
                for c in _criteria(q):
                    raw = (rec.get(f"{q['name']}/{c['id']}") or "").strip()
                    if not raw:
                        continue
                    try:
                        value = float(raw)
                    except ValueError:
                        raise ValueError(f"mark must be a number; {path} line {line}, {q['name']}/{c['id']}: "
                                         f"{raw!r}") from None
                    if not 0 <= value <= c["points"]:
                        raise ValueError(f"mark must be between 0 and {c['points']}; {path} line {line}, "
                                         f"{q['name']}/{c['id']}: {raw}")
                    total, seen = total + value, True
                comment = (rec.get(f"{q['name']}/comment") or "").strip()
                if seen or comment:
                    marks[q["name"]] = (total if seen else None, comment)
            if marks:
                out[rec.get("student", "")] = marks
    return out


def written_answers(nb_json: dict, questions: list[dict]) -> dict[str, str]:
    """The text of each written answer cell of a notebook (cells whose
    ``metadata.ketacourse.answer`` names the question)."""
    out = {}
    for cell in nb_json.get("cells", []) if isinstance(nb_json, dict) else []:
        meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
        name = (meta.get("ketacourse") or {}).get("answer") if isinstance(meta, dict) else None
        if name:
            src = cell.get("source", "")
            out[str(name)] = ("".join(src) if isinstance(src, list) else str(src)).strip()
    return {q["name"]: out.get(q["name"], "") for q in questions if q["kind"] == "written"}


_ASCII = {"\u2192": "->", "\u2212": "-", "\u2264": "<=", "\u2265": ">=", "\u2248": "~", "\u00d7": "x",
          "\u2013": "-", "\u2014": "--", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
          "\u2026": "...", "\u03bc": "\u00b5", "\u2082": "2", "\u2070": "0", "\u207b": "-"}


def _pdf_text(text: str) -> bytes:
    text = "".join(_ASCII.get(ch, ch) for ch in text)
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _pdf(path: Path, pages: list[tuple[str, str]]) -> None:
    """A PDF with one A4 page per (title, text), in Helvetica (a PDF's standard font: nothing to
    embed, so thousands of pages take a second); text beyond a page is cut with a note."""
    path.parent.mkdir(parents=True, exist_ok=True)
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"]
    kids = []
    for title, text in pages or [("(no written answers)", "")]:
        lines = []
        for para in (text or "(no answer)").splitlines() or [""]:
            lines += textwrap.wrap(para, 95) or [""]
        if len(lines) > 64:
            lines = lines[:63] + ["[... the answer continues: see the student's notebook]"]
        ops = [b"BT /F2 12 Tf 50 800 Td 15 TL"]
        for t in title.splitlines():
            ops.append(b"(" + _pdf_text(t) + b") Tj T*")
        ops.append(b"/F1 10 Tf 12 TL T*")
        ops += [b"(" + _pdf_text(ln) + b") Tj T*" for ln in lines]
        ops.append(b"ET")
        stream = b"\n".join(ops)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>" % content)
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def write_all(folder: Path, rows: list[dict], questions: list[dict], key: dict, *, manual: Path | None = None,
              due: str = "", late_penalty: float = 0.0, assignment: str = "") -> None:
    """Merge hand marks and write every export (see the module docstring)."""
    folder = Path(folder)
    assignment = assignment or f"ketacourse Chapter {key.get('chapter', '')}"
    written = [q for q in questions if q["kind"] == "written"]
    marks = read_manual(Path(manual), questions) if manual else {}
    # Rows back to raw form: autograded points are kept, written marks merged in.
    merged = []
    for row in rows:
        raw = dict(row)
        raw["_scores"] = {q["name"]: float(row.get(q["name"]) or 0) for q in questions if q["kind"] != "written"}
        raw["_late_days"] = float(row.get("late") or 0)
        raw["_comments"] = {}
        for qname, (points, comment) in marks.get(row["student"], {}).items():
            if points is not None:
                raw[qname] = f"{points:g}"
            raw["_comments"][qname] = comment
        new = finish_row(raw, questions, due, late_penalty)
        new["_feedback"] = row.get("_feedback") or _old_feedback(folder, row)
        new["_comments"] = raw["_comments"]
        merged.append(new)
    cols = columns(questions)
    tmp = folder / "grades.csv.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in merged:
            w.writerow({c: r.get(c, "") for c in cols})
    tmp.replace(folder / "grades.csv")
    best = chosen(merged)
    for r in merged:  # the exported file's feedback is <student>.txt; another file of theirs gets its own
        name = safe_name(r["student"]) if best[r["student"]] is r else f"{safe_name(r['student'])}.{safe_name(r['file'])}"
        (folder / "feedback" / f"{name}.txt").write_text(feedback_text(r, questions, assignment), encoding="utf-8")

    possible = sum(q["points"] for q in questions)
    lms = folder / "lms"
    lms.mkdir(exist_ok=True)
    with open(lms / "canvas.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
        w.writerow(["    Points Possible", "", "", "", "", f"{possible:g}"])
        for r in best.values():
            w.writerow([r["name"] or r["student"], r["lms_id"] if r["lms_id"].isdigit() else "",
                        "" if r["lms_id"].isdigit() else r["student"], "", "", r["total"]])
    with open(lms / "moodle-grading-worksheet.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                    "Feedback comments"])
        for r in best.values():
            ident = r["student"] if r["student"].startswith("Participant ") else f"Participant {r['lms_id'] or r['student']}"
            w.writerow([ident, r["name"], r["student"] if "@" in r["student"] else "", "", r["total"], f"{possible:g}",
                        "Yes", "", "", _comment(r, questions)])
    with open(lms / "blackboard.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(["Last Name", "First Name", "Username", f"{assignment} [Total Pts: {possible:g} Score]"])
        for r in best.values():
            parts = (r["name"] or "").split()
            w.writerow([parts[-1] if parts else "", " ".join(parts[:-1]), r["lms_id"] or r["student"], r["total"]])

    if written:
        man = folder / "manual"
        man.mkdir(exist_ok=True)
        crit_cols = [f"{q['name']}/{c['id']}" for q in written for c in _criteria(q)] + \
            [f"{q['name']}/comment" for q in written]
        template = man / "written-marks.csv"
        existing = {}
        if template.exists():
            with open(template, newline="", encoding="utf-8") as fh:
                existing = {r["student"]: r for r in csv.DictReader(fh)}
        with open(template, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=["student", "name", "file", *crit_cols])
            w.writeheader()
            for r in best.values():
                old = existing.get(r["student"], {})
                w.writerow({"student": r["student"], "name": r["name"], "file": r["file"],
                            **{c: old.get(c, "") for c in crit_cols}})
        (man / "rubric.md").write_text(_rubric(written), encoding="utf-8")
        all_pages = []
        for r in best.values():
            path = _find(folder, r["file"])
            answers = {}
            if path is not None and not r["error"].startswith("not graded"):
                try:
                    answers = written_answers(json.loads(notebook_bytes(path, key.get("notebook", ""))[0]), questions)
                except ValueError:
                    answers = {}
            pages = [(f"{r['name'] or r['student']} - {q['name']} ({q['points']} points)\n{q['title']}",
                      answers.get(q["name"], "") or "(no answer)") for q in written]
            _pdf(man / "written-answers" / f"{safe_name(r['student'])}.pdf", pages)
            all_pages += pages
        _pdf(man / "written-answers.pdf", all_pages)


def _find(folder: Path, name: str) -> Path | None:
    hits = [p for p in folder.rglob(name) if "feedback" not in p.parts and "manual" not in p.parts]
    return hits[0] if hits else None


def _old_feedback(folder: Path, row: dict) -> dict:
    path = folder / "feedback" / f"{safe_name(row['student'])}.txt"
    out = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("- ") and " point(s). " in line:
                name, rest = line[2:].split(":", 1)
                out[name] = rest.split(" point(s). ", 1)[1]
    return out


def _comment(row: dict, questions: list[dict]) -> str:
    fb = row.get("_feedback", {})
    parts = [f"{q['name']}: {row.get(q['name'], '')} - {fb.get(q['name'], '')}" for q in questions
             if q["kind"] != "written"]
    parts += [f"{q}: {c}" for q, c in row.get("_comments", {}).items() if c]
    if row.get("error"):
        parts.insert(0, f"Problem: {row['error']}")
    return " | ".join(parts)[:4000]


def _rubric(written: list[dict]) -> str:
    lines = ["# Rubric for the written answers", "",
             "Mark each criterion in `written-marks.csv` (0 up to its points; halves allowed), then run "
             "`make grade SUBMISSIONS=... MANUAL=manual/written-marks.csv`.", ""]
    for q in written:
        lines += [f"## {q['name']} ({q['points']} points): {q['title']}", ""]
        for c in _criteria(q):
            lines.append(f"- `{q['name']}/{c['id']}` ({c['points']} point{'s' if c['points'] != 1 else ''}): {c['text']}")
        if q.get("rubric"):
            lines += ["", "Model answer:", "", q["rubric"]]
        lines.append("")
    return "\n".join(lines)
