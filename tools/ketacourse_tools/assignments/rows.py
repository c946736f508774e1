"""One graded submission as a row: the CSV columns, totals and late penalty, and the feedback text.

Shared by :mod:`.grade` (which writes a row as each submission is graded) and :mod:`.export`
(which merges hand marks into the rows and writes them again with the LMS files), so neither
imports the other's helpers.
"""

from __future__ import annotations

import math
import re

from . import identity

__all__ = ["BASE_COLUMNS", "TAIL_COLUMNS", "columns", "chosen", "finish_row", "feedback_text", "safe_name"]

BASE_COLUMNS = ["student", "name", "lms_id", "file"]
TAIL_COLUMNS = ["autograded", "autograded_possible", "written", "written_possible", "late", "late_penalty",
                "total", "possible", "error", "notes", "sha256", "seconds"]


def columns(questions: list[dict]) -> list[str]:
    """The columns of ``grades.csv``: who, one per question, then the totals and the run's notes."""
    return BASE_COLUMNS + [q["name"] for q in questions] + TAIL_COLUMNS


def chosen(rows: list[dict]) -> dict[str, dict]:
    """One row per student: the newest submission that could be graded (else the newest)."""
    best: dict[str, dict] = {}
    for row in rows:
        old = best.get(row["student"])
        rank = (not row["error"].startswith("not graded"), row.get("_submitted", ""), row["file"])
        if old is None or rank > (not old["error"].startswith("not graded"), old.get("_submitted", ""), old["file"]):
            best[row["student"]] = row
    return best


def finish_row(row: dict, questions: list[dict], due: str = "", penalty_per_day: float = 0.0) -> dict:
    """The CSV row of a graded submission: points per question, totals, late penalty."""
    out = {c: row.get(c, "") for c in BASE_COLUMNS + ["error", "notes", "sha256", "seconds"]}
    auto = [q for q in questions if q["kind"] != "written"]
    written = [q for q in questions if q["kind"] == "written"]
    scores = row.get("_scores", {})
    for q in auto:
        out[q["name"]] = f"{scores.get(q['name'], 0.0):g}"
    for q in written:
        out[q["name"]] = row.get(q["name"], "")
    got = sum(scores.get(q["name"], 0.0) for q in auto)
    written_got = sum(float(out[q["name"]]) for q in written if str(out[q["name"]]).strip())
    out["autograded"], out["autograded_possible"] = f"{got:g}", f"{sum(q['points'] for q in auto):g}"
    out["written"], out["written_possible"] = f"{written_got:g}", f"{sum(q['points'] for q in written):g}"
    out["possible"] = f"{sum(q['points'] for q in questions):g}"
    if "_late_days" in row:
        late_days = float(row["_late_days"])
    elif due and row.get("_submitted"):
        late_days = identity.days_late(row["_submitted"], due)
    else:
        late_days = 1.0 if row.get("_late") else 0.0  # the LMS says late, not by how much: one day
    late = late_days > 0
    fraction = min(1.0, penalty_per_day / 100 * math.ceil(late_days)) if late and penalty_per_day else 0.0
    out["late"] = f"{late_days:.2f}" if late else ""
    out["late_penalty"] = f"{fraction * (got + written_got):g}" if fraction else ""
    out["total"] = f"{(got + written_got) * (1 - fraction):g}"
    return out


def feedback_text(row: dict, questions: list[dict], assignment: str = "") -> str:
    """The feedback file a student gets back."""
    lines = [f"Feedback{' on ' + assignment if assignment else ''} for {row['name'] or row['student']} "
             f"({row['file']})", ""]
    if row["error"]:
        lines += [f"Problem: {row['error']}", ""]
    lines.append(f"Autograded: {row['autograded']} of {row['autograded_possible']} points.")
    fb = row.get("_feedback", {})
    for q in questions:
        if q["kind"] != "written":
            lines.append(f"- {q['name']}: {row.get(q['name'], '0')} point(s). {fb.get(q['name'], 'not graded')}")
    written = [q for q in questions if q["kind"] == "written"]
    if written:
        marked = [q for q in written if str(row.get(q["name"], "")).strip()]
        lines.append("")
        lines.append(f"Written answers: {row['written']} of {row['written_possible']} points"
                     + ("" if len(marked) == len(written) else " (some not marked yet)") + ".")
        for q in written:
            mark = row.get(q["name"], "")
            lines.append(f"- {q['name']}: {mark if str(mark).strip() else 'not marked yet'}"
                         + (f" of {q['points']}" if str(mark).strip() else "")
                         + (f". {row['_comments'][q['name']]}" if row.get("_comments", {}).get(q["name"]) else ""))
    if row.get("late"):
        lines += ["", f"Submitted late ({row['late']} day(s))" + (f": penalty {row['late_penalty']} point(s)." if row["late_penalty"] else ".")]
    lines += ["", f"Total: {row['total']} of {row['possible']} points."]
    if row.get("notes"):
        lines += ["", f"Notes: {row['notes']}"]
    return "\n".join(lines) + "\n"


def safe_name(name: str) -> str:
    """``name`` as a file name: anything but letters, digits and ``.@+-`` becomes ``_``."""
    return re.sub(r"[^\w.@+-]", "_", name) or "_"
