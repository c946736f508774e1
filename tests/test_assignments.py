"""Graded assignments end to end: make Chapter 2's assignment, fill in one correct and one partly
wrong submission, grade the folder without Docker, and check the CSV and the named-mistake feedback.

The wrong submission makes mistakes a learner makes (forgetting ln 2, taking ng/mL as mg/L) and
leaves one question unanswered; the hidden tests must name the first two and give no points for
the third.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from ketacourse_tools.assignments import chapter_notebooks, find_chapter
from ketacourse_tools.assignments.__main__ import main as assignments_command
from ketacourse_tools.assignments.build import GRADER_TAG, INIT_TAG, questions_from_notebook
from ketacourse_tools.student import SOLUTION_TAG, STUB_TAG

ROOT = Path(__file__).resolve().parents[1]

XDIST_UNITS = {"assignment": "chapter 2 assignment", "variants_by_chapter": "variants of every chapter"}
"""pytest-xdist work units besides the rest of the file (tests/conftest.py): the Chapter 2 assignment
(made, graded, run as a student) and the variants of every chapter each run once, on either worker."""

# (question, line appended to the master solution cell, expected named mistake or None)
WRONG = {
    "ch2-half-life": ("answer_half_life_h = answer_half_life_h / np.log(2)", "no-ln2"),
    "ch2-ssrate": ("answer_rate_mg_per_h = answer_rate_mg_per_h * 1000", "ng-as-mg"),
    "ch2-csht": ("answer_csht_ratio = None", None),
}


@pytest.fixture(scope="module")
def assignment(tmp_path_factory) -> Path:
    """Chapter 2's assignment as ``make assignment CHAPTER=2`` writes it (the command line's ``main``, run in
    this process: no second interpreter imports the stack; ``otter generate`` still runs as its own program)."""
    out = tmp_path_factory.mktemp("assign") / "ch02"
    assert assignments_command(["assign", "2", "--repo", str(ROOT), "--out", str(out)]) == 0
    return out


def _filled(student: nbformat.NotebookNode, master: nbformat.NotebookNode, extra: dict[str, str]):
    """The student notebook with each stub replaced by the master's solution code, plus ``extra``
    lines appended to the solution that stores the answer of a question."""
    solutions = [c for c in master.cells if c.cell_type == "code" and SOLUTION_TAG in c.metadata.get("tags", [])
                 and c.metadata.get("ketacourse", {}).get("stub")]
    stubs = [c for c in student.cells if STUB_TAG in c.metadata.get("tags", [])]
    assert len(stubs) == len(solutions) > 0
    nb = nbformat.from_dict(json.loads(nbformat.writes(student)))
    stubs = [c for c in nb.cells if STUB_TAG in c.metadata.get("tags", [])]
    for stub, sol in zip(stubs, solutions):
        stub.source = sol.source
        for line in extra.values():
            var = line.split("=")[0].strip()
            if f"{var} =" in sol.source:
                stub.source += "\n" + line
    return nb


@pytest.fixture(scope="module")
def graded(assignment, tmp_path_factory):
    name = find_chapter(ROOT, 2).name
    student = nbformat.read(assignment / "student" / name, as_version=4)
    master = nbformat.read(find_chapter(ROOT, 2), as_version=4)
    subs = tmp_path_factory.mktemp("submissions")
    nbformat.write(_filled(student, master, {}), subs / "alice.ipynb")
    wrong = _filled(student, master, {k: v[0] for k, v in WRONG.items()})
    # Bob submits the zip grader.export() makes.
    with zipfile.ZipFile(subs / "bob.zip", "w") as zf:
        zf.writestr(name, nbformat.writes(wrong))
    proc = subprocess.run([sys.executable, "-m", "ketacourse_tools.assignments", "grade", str(subs),
                           "--autograder", str(assignment / "autograder"), "--jobs", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    with open(subs / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    return assignment, subs, rows


def test_assignment_files(assignment):
    name = find_chapter(ROOT, 2).name
    questions = json.loads((assignment / "questions.json").read_text())["questions"]
    auto = [q["name"] for q in questions if q["kind"] != "written"]
    written = [q for q in questions if q["kind"] == "written"]
    assert set(WRONG) <= set(auto) and len(written) >= 2
    assert all(q["rubric"] for q in written), "every written question carries the master's model answer as rubric"
    student = nbformat.read(assignment / "student" / name, as_version=4)
    tags = [t for c in student.cells for t in c.metadata.get("tags", [])]
    assert tags.count(INIT_TAG) == 1 and tags.count(GRADER_TAG) == len(auto)
    assert SOLUTION_TAG not in tags
    checks = [c.source for c in student.cells if GRADER_TAG in c.metadata.get("tags", [])]
    assert checks == [f'grader.check("{q}")' for q in auto]
    # Hidden values only in the autograder: the student's public tests hold no expected value.
    for q in auto:
        public = (assignment / "student" / "tests" / f"{q}.py").read_text()
        hidden = (assignment / "autograder" / "tests" / f"{q}.py").read_text()
        assert "CASES" not in public and "ANSWER" not in public and "hidden=True" not in public
        assert "hidden=True" in hidden and ("CASES" in hidden or "ANSWER" in hidden)
        assert "ketacourse" not in hidden.split('"""', 2)[-1], "hidden tests must not import the course package"
    with zipfile.ZipFile(assignment / "autograder" / "autograder.zip") as zf:
        names = zf.namelist()
        environment = zf.read("environment.yml").decode()
    assert {f"tests/{q}.py" for q in auto} <= set(names)
    assert "ketacourse @ git+" in environment and "numpy==" in environment  # the Gradescope image
    assert "solutions" not in {p.name for p in (assignment / "student").iterdir()}
    solution = nbformat.read(assignment / "solutions" / name, as_version=4)
    assert any(SOLUTION_TAG in c.metadata.get("tags", []) for c in solution.cells)


def test_grades_csv(graded):
    assignment, _subs, rows = graded
    questions = json.loads((assignment / "questions.json").read_text())["questions"]
    auto = [q for q in questions if q["kind"] != "written"]
    possible = sum(q["points"] for q in auto)
    assert set(rows) == {"alice", "bob"}
    header = list(rows["alice"])
    assert header[:4] == ["student", "name", "lms_id", "file"]
    assert [q["name"] for q in questions] == header[4:4 + len(questions)]
    alice, bob = rows["alice"], rows["bob"]
    assert float(alice["autograded"]) == possible == float(alice["autograded_possible"]) == float(alice["total"])
    assert float(alice["possible"]) == sum(q["points"] for q in questions)  # written points count in the total
    assert not alice["error"] and not bob["error"] and not alice["notes"]  # honest code triggers no report
    assert all(float(alice[q["name"]]) == q["points"] for q in auto)
    for q in WRONG:
        assert float(bob[q]) == 0.0
    assert float(bob["autograded"]) == possible - sum(q["points"] for q in auto if q["name"] in WRONG)
    assert all(alice[q["name"]] == "" for q in questions if q["kind"] == "written")


def test_feedback_names_mistakes(graded):
    _assignment, subs, _rows = graded
    bob = (subs / "feedback" / "bob.txt").read_text()
    alice = (subs / "feedback" / "alice.txt").read_text()
    for q, (_line, mistake) in WRONG.items():
        line = next(ln for ln in bob.splitlines() if ln.startswith(f"- {q}:"))
        if mistake:
            assert f"named mistake [{mistake}]" in line
        else:
            assert "no answer" in line
    assert "ln 2" in bob and "0.14 mg/L" in bob  # the practice checks' own messages
    assert "named mistake" not in alice


def test_questions_generic_over_chapters():
    for path in chapter_notebooks(ROOT):
        qs = questions_from_notebook(nbformat.read(path, as_version=4))
        assert qs, f"{path.name} has no graded question"
        assert len({q.name for q in qs}) == len(qs)


def test_unknown_chapter_names_the_written_ones():
    with pytest.raises(ValueError, match="chapter must be one of"):
        find_chapter(ROOT, 99)


# ----------------------------------------------------------------------------- releases
def test_release_is_a_student_branch(tmp_path):
    from ketacourse_tools.assignments.release import make_release

    out = make_release(ROOT, tmp_path / "release", tag="v2026.1")
    git = lambda *a: subprocess.run(["git", *a], cwd=out, capture_output=True, text=True, check=True).stdout
    assert git("branch", "--show-current").strip() == "student"
    assert "student-v2026.1" in git("branch") and git("tag").split() == ["v2026.1-student"]
    assert git("status", "--porcelain") == ""
    # Launch buttons of the release (and of the solution-free book) open the student branch.
    config = (out / "_config.yml").read_text()
    assert "\n  branch: student\n" in config and "branch: main" not in config
    for path in chapter_notebooks(ROOT):
        nb = nbformat.read(out / "chapters" / path.name, as_version=4)
        assert not any(SOLUTION_TAG in c.metadata.get("tags", []) for c in nb.cells), path.name
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assignments = sorted(p.name for p in (out / "assignments").iterdir())
    assert "ch02" in assignments
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and ".git/" not in p.as_posix()}
    assert not any("autograder" in f or "solutions" in f or f.endswith("questions.json") for f in files)
    assert not any(f.startswith("tests/") for f in files)
    for f in (out / "assignments" / "ch02" / "tests").iterdir():
        assert "CASES" not in f.read_text() and "ANSWER" not in f.read_text()
    assert "otter-grader==" in (out / "binder" / "requirements.txt").read_text()
    release = (out / "RELEASE.md").read_text()
    assert "branch=student-v2026.1&" in release and "branch=student&" not in release  # the pinned branch
    assert "repo=https%3A%2F%2Fgithub.com%2Fketacourse%2Fketacourse&" in release  # _config.yml's repository
    # No module that computes the answers; the practice checks work from hashed targets.
    assert not list((out / "src" / "ketacourse" / "checks").glob("ch*.py"))
    assert not any(f.startswith(("tools/", "src/ketacourse_tools")) or "assignments/build" in f for f in files)
    assert '"checks/targets.json"' in (out / "pyproject.toml").read_text()
    targets = (out / "src" / "ketacourse" / "checks" / "targets.json").read_text()
    from ketacourse import exercises

    exercises.registered()
    nnt = exercises.get("ch3-nnt")
    expected = float(nnt.expected())
    assert f"{expected:.3g}" not in targets and nnt.explanation[:40] not in targets
    wrong = float(nnt.mistakes[0].value())
    probe = ("from ketacourse.exercises import check, get; import sys\n"
             f"print(check('ch3-nnt', {expected!r}).status, type(get('ch3-nnt')).__name__)\n"
             f"print(check('ch3-nnt', {expected * 1.015!r}).status, check('ch3-nnt', {expected * 1.2!r}).status)\n"
             f"print(check('ch3-nnt', {wrong!r}).mistake)\n"
             f"print(check('ch3-masked-trial', {exercises.get('ch3-masked-trial').answer!r}).message[:20])\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(out / "src")}, cwd=out)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "correct HashedNumericCheck" and lines[1] == "correct incorrect"
    assert lines[2] == nnt.mistakes[0].name and lines[3].startswith("correct.")


def test_student_book_points_launch_buttons_at_student_branch(tmp_path):
    from ketacourse_tools.student import make_student_book

    make_student_book(ROOT, tmp_path / "book")
    assert "\n  branch: student\n" in (tmp_path / "book" / "_config.yml").read_text()


def test_nbgitpuller_link():
    from ketacourse_tools.assignments.release import nbgitpuller_link

    link = nbgitpuller_link("https://hub.example.edu/", "chapters/02-pharmacokinetics.ipynb", branch="student-v1")
    assert link.startswith("https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com")
    assert "&branch=student-v1&" in link and link.endswith("lab%2Ftree%2Fketacourse%2Fchapters%2F02-pharmacokinetics.ipynb")


# ----------------------------------------------------------------------------- seeded variants
def test_seeded_variant_grades_new_cases_not_the_practice_values(tmp_path):
    from otter.test_files.exception_test import ExceptionTestFile

    from ketacourse import exercises
    from ketacourse_tools.assignments.build import make_assignment
    from ketacourse_tools.assignments.variants import variant_checks

    exercises.registered()  # load every chapter's checks
    before = {k: float(v.expected()) for k, v in ((k, exercises.get(k)) for k in exercises.registered()) if isinstance(v, exercises.NumericCheck)}
    out = make_assignment(ROOT, 2, tmp_path / "v", seed=7, zip_autograder=False)
    meta = json.loads((out / "questions.json").read_text())
    assert meta["variant"] == 7 and "ch2-ssrate" in meta["varied"]
    module = exercises.get("ch2-ssrate").expected.__module__
    variant = variant_checks(module, meta["constants"])
    # The course registry is untouched.
    assert before == {k: float(v.expected()) for k, v in ((k, exercises.get(k)) for k in exercises.registered())
                      if isinstance(v, exercises.NumericCheck)}
    name = find_chapter(ROOT, 2).name
    student = nbformat.read(out / "student" / name, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    weight, target = meta["constants"]["SS_WEIGHT_KG"], meta["constants"]["SS_TARGET_NG_ML"]
    assert f"**{weight:g} kg** adult" in text and f"at **{target:g} ng/mL**" in text
    for key in meta["varied"]:
        assert not re.search(rf'^check\("{key}"', text, re.MULTILINE), "a practice check would grade the default case"
        assert f'grader.check("{key}")' in text
    for key in [k for k in meta["varied"] if k in variant and k in before]:
        practice, graded = before[key], float(variant[key].expected())
        assert not exercises.get(key).is_close(practice, graded)
        q = next(q for q in meta["questions"] if q["name"] == key)
        assert q["expected"] == pytest.approx(graded)
        tests = ExceptionTestFile.from_file(str(out / "autograder" / "tests" / f"{key}.py"))
        tests.run({q["answer_expr"]: graded})
        assert tests.score == q["points"]
        tests = ExceptionTestFile.from_file(str(out / "autograder" / "tests" / f"{key}.py"))
        tests.run({q["answer_expr"]: practice})  # the value the installed package gives
        assert tests.score == 0
    # A named mistake is recomputed for the variant, with the variant's own message.
    tests = ExceptionTestFile.from_file(str(out / "autograder" / "tests" / "ch2-ssrate.py"))
    tests.run({"answer_rate_mg_per_h": 1000 * float(variant["ch2-ssrate"].expected())})
    message = " ".join(str(r.message) for r in tests.test_case_results)
    assert "named mistake [ng-as-mg]" in message and f"{target:g} ng/mL is {target / 1000:g} mg/L" in message


def test_student_assignment_runs_top_to_bottom_unanswered(assignment, tmp_path):
    """A student who has answered nothing yet can still run every cell: grader.check says "no
    answer yet" and the submit cell writes the zip to upload."""
    import shutil

    from nbclient import NotebookClient

    work = tmp_path / "student"
    shutil.copytree(assignment / "student", work)
    name = find_chapter(ROOT, 2).name
    nb = nbformat.read(work / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    outputs = []
    for cell in nb.cells:
        if GRADER_TAG in cell.metadata.get("tags", []):
            text = " ".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
            outputs.append(text)
    assert outputs and all("no answer yet" in t for t in outputs)
    assert list(work.glob("*.zip")), "the submit cell writes the zip to upload"


def test_per_student_variants_one_autograder(tmp_path):
    from otter.test_files.exception_test import ExceptionTestFile

    from ketacourse_tools.assignments.build import make_assignment

    out = make_assignment(ROOT, 2, tmp_path / "r", seed=3, roster=["ana@uni.edu", "ben"], zip_autograder=False)
    name = find_chapter(ROOT, 2).name
    with open(out / "answers.csv", newline="", encoding="utf-8") as fh:
        answers = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(answers) == {"ana@uni.edu", "ben"}
    texts = {}
    for sid in answers:
        nb = nbformat.read(out / "student" / sid / name, as_version=4)
        init = next(c for c in nb.cells if INIT_TAG in c.metadata.get("tags", []))
        assert f"KETACOURSE_VARIANT = {sid!r}" in init.source
        texts[sid] = "\n".join(c.source for c in nb.cells)
        assert (out / "student" / sid / "tests" / "ch2-ssrate.py").exists()
        w = float(answers[sid]["SS_WEIGHT_KG"])
        assert f"**{w:g} kg** adult" in texts[sid]
    for sid, row in answers.items():
        other = next(s for s in answers if s != sid)
        mine, theirs = float(row["ch2-ssrate"]), float(answers[other]["ch2-ssrate"])
        tf = ExceptionTestFile.from_file(str(out / "autograder" / "tests" / "ch2-ssrate.py"))
        tf.run({"KETACOURSE_VARIANT": sid, "answer_rate_mg_per_h": mine})
        assert tf.score == 1
        if abs(mine - theirs) > 0.02 * abs(mine):  # copying a classmate's answer earns nothing
            tf = ExceptionTestFile.from_file(str(out / "autograder" / "tests" / "ch2-ssrate.py"))
            tf.run({"KETACOURSE_VARIANT": sid, "answer_rate_mg_per_h": theirs})
            assert tf.score == 0
    tf = ExceptionTestFile.from_file(str(out / "autograder" / "tests" / "ch2-ssrate.py"))
    tf.run({"KETACOURSE_VARIANT": "nobody", "answer_rate_mg_per_h": 1.0})
    assert "variant is not in the autograder" in " ".join(str(r.message) for r in tf.test_case_results)


def test_every_variant_spec_still_matches_its_chapter_and_module():
    from ketacourse import exercises
    from ketacourse_tools.assignments.variants import SPECS, apply_to_notebook, choose, variant_checks, varied_keys

    exercises.registered()
    for module in SPECS:
        keys = {k for k, v in ((k, exercises.get(k)) for k in exercises.registered())
                if getattr(getattr(v, "expected", None), "__module__", "") == module}
        books = [p for p in chapter_notebooks(ROOT)
                 if any(f'check("{k}"' in c.source for c in nbformat.read(p, as_version=4).cells for k in keys)]
        assert len(books) == 1, f"{module}: no chapter (or several) uses its checks"
        for seed in range(3):
            constants = choose(module, seed)
            assert set(variant_checks(module, constants)) >= keys and keys
            assert varied_keys(module, constants), f"{module}: seed {seed} changes no answer"
            apply_to_notebook(nbformat.read(books[0], as_version=4), module, constants)  # raises if a text is gone


# ----------------------------------------------------------------------------- variants for every chapter
@pytest.fixture(scope="module")
def variants_by_chapter(tmp_path_factory):
    from ketacourse_tools.assignments.build import make_assignment

    out = {}
    for path in chapter_notebooks(ROOT):
        number = int(path.name[:2])
        folder = make_assignment(ROOT, number, tmp_path_factory.mktemp(f"v{number}"), seed=11, zip_autograder=False)
        out[number] = (path, folder, json.loads((folder / "questions.json").read_text()),
                       json.loads((folder / "autograder" / "key.json").read_text()))
    return out


def test_every_chapter_varies_and_the_installed_package_does_not_hold_the_answers(variants_by_chapter):
    from ketacourse import exercises

    exercises.registered()
    for number, (path, folder, meta, key) in variants_by_chapter.items():
        auto = [q for q in meta["questions"] if q["kind"] != "written"]
        kinds = {q["kind"] for q in auto}
        varied = set(meta["varied"])
        assert varied, f"chapter {number}: seed 11 varies nothing"
        if "numeric" in kinds:
            assert any(q["name"] in varied for q in auto if q["kind"] == "numeric"), f"chapter {number}: no numeric case varies"
        for q in auto:
            item = exercises.get(q["name"])
            case = key["questions"][q["name"]]["cases"][""]
            if q["kind"] == "choice":  # every choice question: options shuffled, the package's letter is wrong
                assert q["name"] in varied and case["answer"] != item.answer.lower()
            elif q["name"] in varied:
                assert not item.is_close(float(item.expected()), case["expected"]), q["name"]
        nb = nbformat.read(folder / "student" / path.name, as_version=4)
        practice = [c.source for c in nb.cells if c.cell_type == "code" and re.search(r"^check\(", c.source, re.M)]
        assert not practice, f"chapter {number}: the graded notebook keeps practice checks {practice[:2]}"
        assert [c.source for c in nb.cells if GRADER_TAG in c.metadata.get("tags", [])] == \
            [f'grader.check("{q["name"]}")' for q in auto]


def test_shuffled_options_keep_their_feedback(variants_by_chapter):
    from ketacourse import exercises

    for number, (path, folder, meta, key) in variants_by_chapter.items():
        nb = nbformat.read(folder / "student" / path.name, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        for name, q in key["questions"].items():
            if q["kind"] != "choice":
                continue
            item = exercises.get(name)
            case = q["cases"][""]
            # the right option's text now follows the new letter
            master = nbformat.read(path, as_version=4)
            right_text = next(re.search(rf"^\s*-\s*\({item.answer}\)\s(.{{0,40}})", c.source, re.M).group(1)
                              for c in master.cells if c.cell_type == "markdown"
                              and re.search(rf"^\s*-\s*\({item.answer}\)\s", c.source, re.M)
                              and "solution" not in c.metadata.get("tags", []) and f"({item.answer})" in c.source
                              and any(re.search(rf"^\s*-\s*\({o}\)", c.source, re.M) for o in "abcd"))
            assert f"({case['answer']}) {right_text}" in text, (name, case["answer"], right_text)
            assert set(case["feedback"].values()) == set(item.feedback.values())


def test_seed_that_varies_nothing_fails_loudly(tmp_path, monkeypatch):
    from ketacourse_tools.assignments import variants
    from ketacourse_tools.assignments.build import make_assignment

    monkeypatch.setattr(variants, "SPECS", {})
    no_choice = next(int(p.name[:2]) for p in chapter_notebooks(ROOT)
                     if not re.search(r"^- \([a-d]\)", "\n".join(c.source for c in nbformat.read(p, as_version=4).cells),
                                      re.M))
    with pytest.raises(ValueError, match="varies no question"):
        make_assignment(ROOT, no_choice, tmp_path / "x", seed=5, zip_autograder=False)
