"""What the instructor takes to the LMS: identities from bulk-download names, a roster, late
penalties, hand marks merged into the totals, per-student feedback, and import files whose columns
are the ones each LMS documents for its grade upload:

- Canvas Gradebook import: "Student", "ID", "SIS User ID", "SIS Login ID", "Section", then one
  column per assignment (a new column creates an assignment); an optional "Points Possible" row;
- Moodle assignment "Upload grading worksheet": "Identifier" ("Participant N", the number in the
  bulk-download file names), "Grade", "Feedback comments" (the offline-grading worksheet columns);
- Blackboard Grade Center upload: "Username" identifies the student; a column without a column ID
  creates a new column; comma files have every value in quotes.
"""

from __future__ import annotations

import csv
import re

import nbformat
import pytest

from grading_fixtures import correct, make_assignment, notebook
from ketacourse_tools.assignments import identity
from ketacourse_tools.assignments.grade import grade_folder
from ketacourse_tools.assignments.runner import skippable
from ketacourse_tools.assignments.sandbox import Limits

LIMITS = Limits(wall_s=25, cpu_s=20, memory_mb=1024, processes=32)


def test_bulk_download_names():
    c = identity.parse("doejane_LATE_12345_678901_09-synthetic-1.ipynb")
    assert (c.lms, c.key, c.lms_id, c.late, c.name) == ("canvas", "12345", "12345", True, "doejane")
    assert not identity.parse("doejane_12345_678901_09-synthetic.ipynb").late
    m = identity.parse("Jane Doe_81234_assignsubmission_file_09-synthetic.ipynb")
    assert (m.lms, m.key, m.name) == ("moodle", "Participant 81234", "Jane Doe")
    assert identity.parse("Jane Doe_81234_assignsubmission_file_/09-synthetic.ipynb").key == "Participant 81234"
    b = identity.parse("Chapter 9_jdoe_attempt_2026-12-15-10-30-00_09-synthetic.ipynb")
    assert (b.lms, b.key, b.submitted) == ("blackboard", "jdoe", "2026-12-15T10:30:00")
    assert identity.parse("Chapter 9_jdoe_attempt_2026-12-15-10-30-00.txt").receipt
    assert identity.parse("ana@uni.edu.ipynb").key == "ana@uni.edu"
    assert identity.days_late("2026-12-15T10:30:00", "2026-12-14T09:00") == pytest.approx(1 + 1.5 / 24)


@pytest.fixture(scope="module")
def lms_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("lms")
    ag = make_assignment(root)
    subs = root / "subs"
    subs.mkdir()
    nbformat.write(correct(written="Midazolam is the control; the interval is wide."),
                   subs / "doejane_12345_678901_09-synthetic.ipynb")
    nbformat.write(correct(), subs / "smithbob_LATE_22222_678902_09-synthetic.ipynb")
    nbformat.write(notebook("answer_num = 0.3", "answer_choice = 'a'"),
                   subs / "Chapter 9_kim_attempt_2026-12-15-10-30-00_09-synthetic.ipynb")
    (subs / "Chapter 9_kim_attempt_2026-12-15-10-30-00.txt").write_text("receipt")
    nbformat.write(correct(), subs / "stranger_99999_678903_09-synthetic.ipynb")
    roster = root / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n"
                      "\"Doe, Jane\",12345,s1,jdoe,A\n\"Smith, Bob\",22222,s2,bsmith,A\nKim Lee,33333,s3,kim,B\n",
                      encoding="utf-8")
    grade_folder(subs, autograder=ag, jobs=2, limits=LIMITS, cell_timeout=4, progress=False, roster=roster,
                 due="2026-12-14T09:00", late_penalty=10)
    return root, ag, subs, roster


def _rows(path, **kw):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh, **kw))


def test_identity_roster_and_late(lms_run):
    _root, _ag, subs, _roster = lms_run
    rows = {r["student"]: r for r in csv.DictReader(open(subs / "grades.csv", encoding="utf-8"))}
    assert {"12345", "22222", "33333"} <= set(rows)  # Blackboard's kim matched by username
    assert rows["12345"]["name"] == "Doe, Jane" and rows["12345"]["total"] == "2" and not rows["12345"]["late"]
    assert rows["22222"]["late"] == "1.00" and rows["22222"]["late_penalty"] == "0.2" and rows["22222"]["total"] == "1.8"
    assert float(rows["33333"]["late"]) > 1 and rows["33333"]["late_penalty"] == "0"
    stranger = next(r for r in rows.values() if r["file"].startswith("stranger"))
    assert "not on the roster" in stranger["error"] and stranger["autograded"] == "2"  # graded anyway
    report = (subs / "report.txt").read_text()
    assert "receipt" in report and "stranger" in report
    assert "Submitted late" in (subs / "feedback" / "22222.txt").read_text()


def test_canvas_import_columns(lms_run):
    _root, _ag, subs, _roster = lms_run
    rows = _rows(subs / "lms" / "canvas.csv")
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] and len(rows[0]) == 6
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "4"
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["12345"][0] == "Doe, Jane" and by_id["12345"][5] == "2" and by_id["22222"][5] == "1.8"


def test_moodle_worksheet_columns(lms_run):
    _root, _ag, subs, _roster = lms_run
    rows = _rows(subs / "lms" / "moodle-grading-worksheet.csv")
    for column in ("Identifier", "Full name", "Grade", "Maximum grade", "Feedback comments"):
        assert column in rows[0]
    ident = rows[0].index("Identifier")
    assert all(re.fullmatch(r"Participant \S+", r[ident]) for r in rows[1:])


def test_blackboard_upload_columns(lms_run):
    _root, _ag, subs, _roster = lms_run
    text = (subs / "lms" / "blackboard.csv").read_text()
    rows = _rows(subs / "lms" / "blackboard.csv")
    assert "Username" in rows[0] and re.fullmatch(r".+ \[Total Pts: 4 Score\]", rows[0][-1])
    assert all(line.startswith('"') and line.endswith('"') for line in text.splitlines())  # every value quoted
    assert {r[rows[0].index("Username")] for r in rows[1:]} >= {"12345", "22222", "kim"}


def test_written_marks_merge_into_totals_feedback_and_pdf(lms_run):
    _root, ag, subs, _roster = lms_run
    marks = subs / "manual" / "written-marks.csv"
    header = _rows(marks)[0]
    assert {"q-written/c1", "q-written/c2", "q-written/comment"} <= set(header)
    rubric = (subs / "manual" / "rubric.md").read_text()
    assert "`q-written/c1` (1 point): names the control" in rubric
    pdf = (subs / "manual" / "written-answers.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(_rows(marks)) - 1
    assert (subs / "manual" / "written-answers" / "12345.pdf").exists()
    rows = list(csv.DictReader(open(marks, encoding="utf-8")))
    for r in rows:
        if r["student"] == "12345":
            r.update({"q-written/c1": "1", "q-written/c2": "0.5", "q-written/comment": "Say why the interval matters."})
    with open(marks, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    grade_folder(subs, autograder=ag, jobs=1, limits=LIMITS, progress=False, roster=_roster, due="2026-12-14T09:00",
                 late_penalty=10, manual=marks)
    graded = {r["student"]: r for r in csv.DictReader(open(subs / "grades.csv", encoding="utf-8"))}
    assert graded["12345"]["q-written"] == "1.5" and graded["12345"]["written"] == "1.5"
    assert graded["12345"]["total"] == "3.5" and graded["12345"]["possible"] == "4"
    feedback = (subs / "feedback" / "12345.txt").read_text()
    assert "q-written: 1.5 of 2" in feedback and "Say why the interval matters." in feedback
    assert "Total: 3.5 of 4 points." in feedback
    canvas = {r[1]: r for r in _rows(subs / "lms" / "canvas.csv")[2:]}
    assert canvas["12345"][5] == "3.5"
    assert "Graded 0 file(s)" in (subs / "report.txt").read_text()  # merging re-executes nothing
    bad = subs / "bad-marks.csv"
    bad.write_text("student,q-written/c1\n12345,3\n")
    with pytest.raises(ValueError, match="between 0 and 1"):
        grade_folder(subs, autograder=ag, jobs=1, limits=LIMITS, progress=False, manual=bad)


def test_skipping_keeps_every_cell_an_answer_needs():
    src = ["import numpy as np", "hidden = 3.18", "Widget()", "x = 1\nx = x + 1", "answer_num = hidden",
           "rows = [r for r in range(3)]", "answer_choice = 'c'"]
    handout = set(range(len(src)))
    skip = skippable(src, handout, {"answer_num", "answer_choice"})
    assert 1 not in skip  # hidden is read by the answer cell
    assert 2 in skip and 5 in skip  # a widget, a result nobody reads
    assert 4 not in skip and 6 not in skip  # they store the answers
    assert not skippable(src[:5] + ["globals()['answer_num'] = rows"], handout, {"answer_num"}) & {0, 1, 2, 3}


def test_per_student_variant_follows_the_file_not_the_notebooks_claim(tmp_path):
    import json

    ag = make_assignment(tmp_path)
    key = json.loads((ag / "key.json").read_text())
    q = key["questions"]["q-num"]
    q["cases"] = {"ana": {"expected": 1.0, "mistakes": []}, "ben": {"expected": 2.0, "mistakes": []}}
    c = key["questions"]["q-choice"]
    c["cases"] = {"ana": c["cases"][""], "ben": {**c["cases"][""], "answer": "b"}}
    (ag / "key.json").write_text(json.dumps(key))
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(notebook("answer_num = 1.0", "answer_choice = 'c'"), subs / "ana.ipynb")
    # Ben copies Ana's answers and even claims her variant in his notebook.
    nbformat.write(notebook("KETACOURSE_VARIANT = 'ana'\nanswer_num = 1.0", "answer_choice = 'c'"), subs / "ben.ipynb")
    grade_folder(subs, autograder=ag, jobs=1, limits=LIMITS, progress=False)
    rows = {r["student"]: r for r in csv.DictReader(open(subs / "grades.csv", encoding="utf-8"))}
    assert rows["ana"]["autograded"] == "2" and rows["ben"]["autograded"] == "0"
