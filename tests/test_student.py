"""Student notebooks: solutions removed, checks and exercises kept, and they run from top to bottom.

The student versions are written with the same command learners and instructors use
(``python -m ketacourse_tools.student chapters <dest>``), then executed on a fresh kernel.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from ketacourse_tools.chapter_format import EXERCISE_RE, tags
from ketacourse_tools.student import ANSWER_TAG, STUB_TAG, make_student_notebook, make_student_versions

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
PARAMS = [pytest.param(p.name, id=p.stem) for p in NOTEBOOKS] or [pytest.param(None, id="no-notebooks")]
RUN_PARAMS = [pytest.param(p.name, id=p.stem, marks=pytest.mark.xdist_group(f"student-{p.stem}")) for p in NOTEBOOKS] \
    or [pytest.param(None, id="no-notebooks")]
"""One pytest-xdist work unit per student notebook run (``make test``): the two workers share the seven
runs, longest first (tests/conftest.py), instead of one worker running all seven kernels at once."""


def text_of(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        else:
            parts += [v for v in out.get("data", {}).values() if isinstance(v, str)]
    return "\n".join(parts)


@pytest.fixture(scope="session")
def student_dir(tmp_path_factory, repo_root, chapters_dir) -> Path:
    dest = tmp_path_factory.mktemp("student")
    proc = subprocess.run(
        [sys.executable, "-m", "ketacourse_tools.student", str(chapters_dir), str(dest)],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    written = sorted(Path(line) for line in proc.stdout.split())
    assert written == sorted(dest / p.name for p in NOTEBOOKS)
    return dest


@pytest.fixture
def executed(student_dir, name) -> tuple[nbformat.NotebookNode, BaseException | None]:
    """The student notebook ``name`` executed top to bottom on a fresh kernel in the student folder,
    and the error it stopped at, if any."""
    assert name is not None, "no chapter notebooks found"
    nb = nbformat.read(student_dir / name, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(student_dir)}})
    # A fresh thread has no running event loop (the browser tests' Playwright may own this one).
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pool.submit(client.execute).result()
            error = None
        except Exception as exc:  # reported by the test, with the notebook's outputs
            error = exc
    return nb, error


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("name", PARAMS)
def test_student_notebook_keeps_exercises_and_checks_but_no_solutions(student_dir, name):
    assert name is not None, "no chapter notebooks found"
    master = nbformat.read(CHAPTERS / name, as_version=4)
    student = nbformat.read(student_dir / name, as_version=4)
    nbformat.validate(student)
    for cell in student.cells:
        assert "solution" not in tags(cell), cell.source[:80]
        assert "{solution" not in cell.source, f"solution directive left in: {cell.source[:80]!r}"
    # every check cell, in order, unchanged
    checks = [c.source for c in master.cells if "check" in tags(c)]
    assert checks, "the master has no check cells"
    assert [c.source for c in student.cells if "check" in tags(c)] == checks
    # every exercise directive
    labels = [lab for c in master.cells if c.cell_type == "markdown" for lab in EXERCISE_RE.findall(c.source)]
    assert labels
    assert [lab for c in student.cells if c.cell_type == "markdown" for lab in EXERCISE_RE.findall(c.source)] == labels
    # a stub wherever the master had one, in the same order
    stubs = [c.metadata["ketacourse"]["stub"] for c in master.cells
             if c.cell_type == "code" and "solution" in tags(c) and c.metadata.get("ketacourse", {}).get("stub")]
    assert [c.source for c in student.cells if STUB_TAG in tags(c)] == stubs
    for stub in stubs:
        answer_line = [ln for ln in stub.splitlines() if ln.startswith("answer_")]
        assert answer_line, f"a stub must assign the answer variable: {stub!r}"
        assert re.match(r"^answer_\w+ = (None|\.\.\.)(\s|$)", answer_line[-1]), (
            f"a stub leaves the answer as ... or None (read as 'no answer yet'): {answer_line[-1]!r}")
    # every non-solution cell survives in order
    kept = [c.source for c in master.cells if "solution" not in tags(c)]
    assert [c.source for c in student.cells if STUB_TAG not in tags(c) and ANSWER_TAG not in tags(c)] == kept
    # every written exercise (no stub, or marked written) is followed by a "Your answer" cell
    answer_cells = [c for c in student.cells if ANSWER_TAG in tags(c)]
    written = [lab for c in master.cells if c.cell_type == "markdown" and "solution" not in tags(c)
               for lab in EXERCISE_RE.findall(c.source)
               if c.metadata.get("ketacourse", {}).get("written")]
    for i, cell in enumerate(student.cells):
        for lab in EXERCISE_RE.findall(cell.source) if cell.cell_type == "markdown" else []:
            j = i + 1
            has_stub = STUB_TAG in tags(student.cells[j])
            while STUB_TAG in tags(student.cells[j]) or "check" in tags(student.cells[j]):
                j += 1  # the answer cell comes after the exercise's stub and checks
            if lab in written or not has_stub:
                nxt = student.cells[j]
                assert ANSWER_TAG in tags(nxt) and lab in nxt.source, f"{lab}: no answer cell after it"
    assert len(answer_cells) >= 2, "each chapter has written exercises that need an answer cell"
    # no outputs and no saved widget state
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in student.metadata


@pytest.mark.parametrize("name", RUN_PARAMS)
def test_student_notebook_runs_and_every_check_says_no_answer_yet(executed, name):
    assert name is not None, "no chapter notebooks found"
    nb, error = executed
    assert error is None, f"{name} failed to run as a student notebook:\n{error}"
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
    check_cells = [c for c in nb.cells if "check" in tags(c)]
    assert check_cells
    for cell in check_cells:
        text = text_of(cell)
        assert "no answer yet" in text, f"check cell gave {text[:200]!r}"
        assert "✓" not in text and "✗" not in text and "correct." not in text


# ----------------------------------------------------------------------------- make_student_notebook
def tiny_notebook() -> nbformat.NotebookNode:
    def tagged(cell, *t, **meta):
        cell.metadata["tags"] = list(t)
        cell.metadata.update(meta)
        return cell

    out = nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "42\n"})
    cells = [
        nbformat.v4.new_markdown_cell("# Tiny\n\n:::{exercise} E\n:label: e1\n\nCompute x.\n:::"),
        tagged(nbformat.v4.new_markdown_cell(":::{solution-start} e1\n:::"), "solution"),
        tagged(nbformat.v4.new_code_cell("x = 6 * 7\nprint(x)", execution_count=1, outputs=[out]), "solution",
               ketacourse={"stub": "x = None  # your answer"}),
        tagged(nbformat.v4.new_code_cell("helper = 1", execution_count=2), "solution"),
        tagged(nbformat.v4.new_markdown_cell("Because 6 x 7.\n\n:::{solution-end}\n:::"), "solution"),
        tagged(nbformat.v4.new_code_cell("check('k', x)", execution_count=3, outputs=[out]), "check"),
        nbformat.v4.new_code_cell("y = 1\ny", execution_count=4, outputs=[out]),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_make_student_notebook_on_a_tiny_notebook():
    master = tiny_notebook()
    before = nbformat.writes(master)
    student = make_student_notebook(master)
    assert nbformat.writes(master) == before, "the master notebook must not be modified"
    nbformat.validate(student)
    assert [c.cell_type for c in student.cells] == ["markdown", "code", "code", "code"]
    assert student.cells[0].source.startswith("# Tiny")
    stub = student.cells[1]
    assert stub.source == "x = None  # your answer" and tags(stub) == [STUB_TAG]
    assert stub.outputs == [] and stub.execution_count is None
    assert "helper" not in nbformat.writes(student), "solution code without a stub is removed"
    assert student.cells[2].source == "check('k', x)" and tags(student.cells[2]) == ["check", "remove-output"]
    assert student.cells[3].source == "y = 1\ny"
    for cell in student.cells[1:]:
        assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in student.metadata
    assert "solution" not in nbformat.writes(student).replace('"exercise-stub"', "")


def test_student_notebook_for_a_book_keeps_outputs_but_not_the_check_verdicts():
    master = tiny_notebook()
    student = make_student_notebook(master, keep_outputs=True)
    nbformat.validate(student)
    assert [c.cell_type for c in student.cells] == ["markdown", "code", "code", "code"]
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None, "a stub has no output"
    assert student.cells[2].outputs == [] and student.cells[2].execution_count is None, "the check's verdict goes"
    assert student.cells[3].outputs == master.cells[6].outputs and student.cells[3].execution_count == 4
    assert "helper" not in nbformat.writes(student) and "widgets" not in student.metadata


def test_stored_chapters_skip_execution_and_other_pages_still_run(repo_root):
    from ketacourse_tools import course
    from ketacourse_tools.student import execute_only_pages

    import yaml

    text = (repo_root / "_config.yml").read_text(encoding="utf-8")
    stored = [c.rel for c in course.chapters(repo_root)]
    got = execute_only_pages(text, stored)
    execute = yaml.safe_load(got)["execute"]
    assert execute["execute_notebooks"] == yaml.safe_load(text)["execute"]["execute_notebooks"] == "force"
    assert execute["exclude_patterns"] == sorted(stored) and len(stored) == len(course.chapters(repo_root)) > 0
    # myst-nb matches each pattern against the end of the notebook's path: only the chapters are left out
    from pathlib import PurePosixPath

    assert all(PurePosixPath(f"/tmp/book/{rel}").match(p) for rel, p in zip(sorted(stored), execute["exclude_patterns"]))
    assert not any(PurePosixPath("/tmp/book/chapters/model-validation.md").match(p) for p in execute["exclude_patterns"])
    assert len(got.splitlines()) == len(text.splitlines()) + 1  # comments and the rest kept
    with pytest.raises(ValueError, match="execute_notebooks"):
        execute_only_pages("title: x\n", stored)
    with pytest.raises(ValueError, match="stored"):
        execute_only_pages(text, [])


def test_make_student_versions_writes_every_notebook(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(tiny_notebook(), src / "a.ipynb")
    nbformat.write(tiny_notebook(), src / "b.ipynb")
    (src / "notes.md").write_text("# not a notebook")
    written = make_student_versions(src, tmp_path / "out" / "nested")
    assert written == [tmp_path / "out" / "nested" / "a.ipynb", tmp_path / "out" / "nested" / "b.ipynb"]
    for path in written:
        nb = nbformat.read(path, as_version=4)
        assert [c.source for c in nb.cells if STUB_TAG in tags(c)] == ["x = None  # your answer"]


def test_bad_source_folder_raises(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(ValueError, match=r"^src_dir must be an existing folder; got '.*nope'"):
        make_student_versions(missing, tmp_path / "out")
    file_path = tmp_path / "file.ipynb"
    file_path.write_text("{}")
    with pytest.raises(ValueError, match=r"^src_dir must be an existing folder"):
        make_student_versions(file_path, tmp_path / "out")
    proc = subprocess.run([sys.executable, "-m", "ketacourse_tools.student", str(missing), str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "src_dir must be an existing folder" in proc.stderr


@pytest.mark.slow
def test_student_book_builds_without_solutions(repo_root, tmp_path, executed_chapters):
    """`make book-student`: the book's sources with student notebooks build with zero warnings
    and no solution on any chapter page (sphinx-exercise's hide_solutions crashes on gated
    solutions, so this is how instructors publish a solution-free course book).

    The chapters are built from outputs, without executing them: the chapters nbval executed in this
    run where there are (``make test``), else the masters' stored outputs; pages without stored
    outputs (the validation page) are executed by the build, as in ``make book``. That the student notebooks
    themselves run is tested above (test_student_notebook_runs_and_every_check_says_no_answer_yet)."""
    import subprocess
    import sys
    from pathlib import Path

    from ketacourse_tools import course
    from ketacourse_tools.student import make_student_book

    masters = {}
    for chapter in course.chapters(repo_root):
        nb = executed_chapters.executed(chapter.path) if executed_chapters is not None else None
        if nb is not None:
            masters[chapter.path.name] = nb
    print(f"\nstudent book from {len(masters)} chapters executed by nbval in this run, the rest from stored outputs")
    dest = make_student_book(repo_root, tmp_path / "student-book", stored_outputs=True, masters=masters)
    assert "exclude_patterns: [" in (dest / "_config.yml").read_text()  # the chapters are not executed again
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(dest), "-W", "-n", "--keep-going"], capture_output=True,
                          text=True, timeout=900)
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines() if "WARNING" in line and "IPKernelApp" not in line]
    assert proc.returncode == 0 and not warnings, "\n".join(warnings) or log[-3000:]
    pages = sorted((dest / "_build" / "html" / "chapters").glob("0*.html"))
    assert pages, "no chapter pages were built"
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert 'class="solution' not in html, f"{page.name} still shows a solution"
        # check cells ran but their output is removed (a static page cannot take an answer), and no
        # SelfCheck shows its answer outside the per-option folds
        for leak in ("no answer yet", "✓", "✗", "correct.", "Show the answer", "SelfCheck("):
            assert leak not in html, f"{page.name} shows {leak!r}"
        assert "Your answer" in html, f"{page.name}: written exercises have no answer cell"
        assert "kc-scrub" in html, f"{page.name}: no offline scrubber (the outputs were not kept)"
    # a page that carries no outputs (the validation page, MyST markdown) is executed by the build
    validation = (dest / "_build" / "html" / "chapters" / "model-validation.html").read_text(encoding="utf-8")
    assert validation.count('class="kc-agreement') >= 2, "the validation page's tables were not computed"


def test_make_student_book_rejects_bad_folders(repo_root, tmp_path):
    from ketacourse_tools.student import make_student_book

    with pytest.raises(ValueError, match=r"^repo_dir must hold _config.yml, _toc.yml, chapters"):
        make_student_book(tmp_path, tmp_path / "out")
    with pytest.raises(ValueError, match=r"^dest_dir must differ from repo_dir"):
        make_student_book(repo_root, repo_root)


def test_written_exercises_get_an_answer_cell_and_scaffolded_blanks_run():
    nb = tiny_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(":::{exercise} Essay\n:label: e0\n\nArgue.\n:::"))
    sol = nbformat.v4.new_markdown_cell(":::{solution} e0\n:class: dropdown\n\nModel answer.\n:::")
    sol.metadata["tags"] = ["solution"]
    nb.cells.append(sol)
    nb.cells[0].metadata["ketacourse"] = {"written": True}  # e1 has a stub, but also asks for a sentence
    sc = nbformat.v4.new_code_cell('SelfCheck("Q?", ["a", "b"], 1, "because")')
    nb.cells.append(sc)
    student = make_student_notebook(nb)
    kinds = [(c.cell_type, tags(c)) for c in student.cells]
    assert kinds[:4] == [("markdown", []), ("code", [STUB_TAG]), ("code", ["check", "remove-output"]),
                         ("markdown", [ANSWER_TAG])]
    assert "(e1)" in student.cells[3].source
    essay = [i for i, c in enumerate(student.cells) if "label: e0" in c.source][0]
    assert tags(student.cells[essay + 1]) == [ANSWER_TAG] and "(e0)" in student.cells[essay + 1].source
    assert "Model answer" not in nbformat.writes(student)
    assert tags(student.cells[-1]) == ["remove-input"], "SelfCheck source hidden in the book"
