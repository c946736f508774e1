"""One source for the course's structure: ``_toc.yml`` (chapters), the notebooks (what each chapter
holds), ``_config.yml`` (the repository URL), and each chapter executed once per test run.

Checks :mod:`ketacourse_tools.course`, :mod:`ketacourse_tools.chapter_format` and
:mod:`ketacourse_tools.sphinx_course` against the repository as it is, and shows that each derived
expectation follows a change of its source (a new toc line, a new widget call).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from ketacourse_tools import chapter_format, course
from ketacourse_tools.sphinx_course import BLOCK, URL_PLACEHOLDER, chapter_list, parse_summaries

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = course.chapters(ROOT)
PARAMS = [pytest.param(c, id=c.stem) for c in CHAPTERS] or [pytest.param(None, id="no-chapters")]


# ----------------------------------------------------------------------------- _toc.yml
def _toc_files_by_yaml() -> list[str]:
    """Every ``file:`` of _toc.yml, read independently of ketacourse_tools.course."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [entry["file"] for part in toc["parts"] for entry in part["chapters"]]


def test_pages_are_the_toc_entries_in_order():
    pages = course.pages(ROOT)
    assert pages[0].entry == yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]
    assert [p.entry for p in pages[1:]] == _toc_files_by_yaml()
    missing = [p.rel for p in pages if not p.path.exists()]
    assert not missing, f"_toc.yml lists pages with no file: {missing}"


def test_chapters_are_the_numbered_notebooks_of_the_toc():
    assert CHAPTERS, "no chapter notebooks in _toc.yml"
    assert [c.rel for c in CHAPTERS] == [f"{f}.ipynb" for f in _toc_files_by_yaml()
                                         if re.match(r"chapters/\d\d-", f) and (ROOT / f"{f}.ipynb").exists()]
    assert [c.number for c in CHAPTERS] == sorted({c.number for c in CHAPTERS}), "chapter numbers must rise, once each"
    for c in CHAPTERS:
        assert c.path.is_file() and c.stem == c.path.stem and c.number == int(c.stem[:2])
        assert c.title and c.part, c


def test_chapter_lookup_and_its_error():
    assert course.chapter(CHAPTERS[0].number, ROOT) == CHAPTERS[0]
    assert course.chapter(str(CHAPTERS[-1].number), ROOT) == CHAPTERS[-1]
    with pytest.raises(ValueError, match=r"^chapter must be one of 1, .* \(the written chapters in _toc.yml\); got 99$"):
        course.chapter(99, ROOT)


def test_a_new_toc_line_is_a_new_chapter(tmp_path):
    """Adding a chapter is one line in _toc.yml: course.chapters() lists it, in its part."""
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    for name in ("_toc.yml", "_config.yml"):
        shutil.copy(ROOT / name, root / name)
    for c in CHAPTERS[:2]:
        shutil.copy(c.path, root / c.rel)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A new chapter\n\nText.")])
    nbformat.write(nb, root / "chapters" / "99-new-chapter.ipynb")
    toc = (root / "_toc.yml").read_text()
    toc = toc.replace("      - file: chapters/glossary", "      - file: chapters/99-new-chapter\n      - file: chapters/glossary")
    (root / "_toc.yml").write_text(toc)
    new = [c for c in course.chapters(root) if c.number == 99]
    assert len(new) == 1 and new[0].title == "A new chapter" and new[0].part == "Reference"


# ----------------------------------------------------------------------------- the repository URL
def test_repository_url_is_read_from_config():
    url = course.repository_url(ROOT)
    assert url == yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url)
    from ketacourse_tools.assignments import build, release

    assert build.REPO_URL == url and release.REPO_URL == url


def _course_repo_urls(text: str) -> set[str]:
    return set(re.findall(r"github\.com/ketacourse/[\w.-]+", text))


def test_book_pages_take_the_repository_url_from_config():
    """Markdown pages write ``{{ repository_url }}`` (filled in at build time), never the URL itself."""
    pages = [p for p in course.pages(ROOT) if p.path.suffix == ".md"]
    hard = [p.rel for p in pages if _course_repo_urls(p.path.read_text(encoding="utf-8"))]
    assert not hard, f"pages that hard-code the repository URL (write {URL_PLACEHOLDER}): {hard}"
    assert any(URL_PLACEHOLDER in p.path.read_text(encoding="utf-8") for p in pages)


def test_every_remaining_copy_of_the_repository_url_is_the_configured_one():
    """Notebooks (their Colab cell runs where no _config.yml exists) and the README (read on GitHub)
    carry the URL as text: each copy must be the one in _config.yml."""
    url = course.repository_url(ROOT).removeprefix("https://")
    files = [ROOT / "README.md", *(c.path for c in CHAPTERS)]
    wrong = {str(f.relative_to(ROOT)): sorted(_course_repo_urls(f.read_text(encoding="utf-8")) - {url})
             for f in files}
    assert not any(wrong.values()), f"repository URL differs from _config.yml ({url}): {wrong}"



def test_no_other_file_hard_codes_the_repository_url():
    """Code, pages, workflows and configuration take the URL from _config.yml: besides it, only the
    README and the chapter notebooks carry it as text (checked above to be the configured one)."""
    url = course.repository_url(ROOT)
    carriers = {"_config.yml", "README.md", *(c.rel for c in CHAPTERS)}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert len(tracked) > 100, "git ls-files listed the repository"
    hard = []
    for rel in tracked:
        path = ROOT / rel
        if rel in carriers or not path.is_file() or path.suffix in {".png", ".npz", ".ico", ".woff", ".woff2"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if url.removeprefix("https://") in text:
            hard.append(rel)
    assert not hard, f"files that hard-code {url} (read it with ketacourse_tools.course.repository_url()): {hard}"

# ----------------------------------------------------------------------------- what a chapter holds
@pytest.mark.parametrize("chapter", PARAMS)
def test_widget_calls_found_in_the_code_are_the_widgets_the_notebook_stores(chapter):
    """The per-chapter expectations of the browser tests come from the chapter's code cells
    (chapter_format.widgets_in); they must agree with the executed notebook: one stored offline
    scrubber (figure.kc-scrub) per widget with a scrubber."""
    assert chapter is not None, "no chapters"
    nb = chapter_format.load(chapter.path)
    classes = chapter_format.widget_classes()
    widgets = chapter_format.widgets_in(nb)
    assert widgets, f"{chapter.stem}: no model widget construction found in its code cells"
    stored = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            stored += "application/vnd.jupyter.widget-view+json" in out.get("data", {}) and "kc-scrub" in html
    assert stored == len([w for w in widgets if classes[w].scrub is not None]), (chapter.stem, widgets, stored)


def test_widget_calls_follow_the_source():
    classes = chapter_format.widget_classes()
    name = next(iter(classes))
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(f"w = {name}()\nw"),
        nbformat.v4.new_code_cell(f"{name}(dose_mg=1)"),
        nbformat.v4.new_code_cell(f"{name}()"),  # a solution: not what every learner meets
        nbformat.v4.new_code_cell("print('no widget')"),
    ])
    nb.cells[2].metadata["tags"] = [chapter_format.SOLUTION_TAG]
    assert chapter_format.widgets_in(nb) == [name, name]


def test_every_widget_class_is_a_model_widget():
    from ketacourse.widgets.base import ModelWidget

    classes = chapter_format.widget_classes()
    assert len(classes) >= len(CHAPTERS)
    assert all(issubclass(cls, ModelWidget) and cls is not ModelWidget for cls in classes.values())


def test_chapter_format_parsers_on_a_small_source():
    md = ":::{exercise} Half-life\n:label: ch9-ex-a\n\nDo it.\n:::\n\n```{exercise-start} Two\n:label: ch9-ex-b\n```"
    assert chapter_format.exercise_labels(md) == ["ch9-ex-a", "ch9-ex-b"]
    assert chapter_format.exercises(md) == [("Half-life", "ch9-ex-a"), ("Two", "ch9-ex-b")]
    assert chapter_format.check_call('check("ch9-x", answer_x_mg)') == ("ch9-x", "answer_x_mg")
    assert chapter_format.check_call("print(1)") is None
    sc = chapter_format.selfcheck('SelfCheck("Q?", ["a", "b"], 1, "because")')
    assert sc == {"question": "Q?", "options": ["a", "b"], "answer": 1, "explanation": "because"}
    assert chapter_format.MINUTES_RE.search("## A\n\n*About 15 minutes.*").group(1) == "15"
    glossary = "```{glossary}\n:sorted:\n\nNMDA receptor\n  A glutamate receptor\n  with a pore.\n\nKetamine\n  A drug.\n```"
    assert chapter_format.glossary_terms(glossary) == [("NMDA receptor", "A glutamate receptor with a pore."),
                                                       ("Ketamine", "A drug.")]
    from ketacourse_tools.lab_glossary import parse_glossary

    assert [v for v in parse_glossary(glossary).values()] == chapter_format.glossary_terms(glossary)


def test_glossary_page_parses():
    terms = chapter_format.glossary_terms((ROOT / "chapters" / "glossary.md").read_text(encoding="utf-8"))
    assert len(terms) > 20 and all(t and d for t, d in terms)


# ----------------------------------------------------------------------------- the landing page
def _index_block() -> str:
    m = BLOCK.search((ROOT / "chapters" / "index.md").read_text(encoding="utf-8"))
    assert m, "chapters/index.md must hold the ```{chapter-list} block (filled in from _toc.yml at build time)"
    return m.group("body")


def test_landing_page_lists_every_toc_chapter_under_its_part():
    summaries = parse_summaries(_index_block())
    text, unknown = chapter_list(ROOT, summaries, ROOT / "chapters")
    assert not unknown, f"summaries for chapters not in _toc.yml: {unknown}"
    items = re.findall(r"^(\d+)\. \[([^\]]+)\]\(([^)]+)\)", text, re.MULTILINE)
    assert [(int(n), link) for n, _, link in items] == [(c.number, f"{c.stem}.ipynb") for c in CHAPTERS]
    assert [t for _, t, _ in items] == [c.title for c in CHAPTERS]
    captions = re.findall(r"^### (.+)$", text, re.MULTILINE)
    assert captions == list(dict.fromkeys(c.part for c in CHAPTERS))
    for stem, summary in summaries.items():
        assert f"({stem}.ipynb): {summary}" in text


def test_landing_page_gets_a_new_chapter_without_an_edit_and_flags_a_stale_summary(tmp_path):
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Chapter eight")])
    nbformat.write(nb, root / "chapters" / "99-eight.ipynb")
    for c in CHAPTERS:
        shutil.copy(c.path, root / c.rel)
    toc = (root / "_toc.yml").read_text().replace("  - caption: Reference",
                                                  "  - caption: New part\n    chapters:\n      - file: chapters/99-eight\n"
                                                  "  - caption: Reference")
    (root / "_toc.yml").write_text(toc)
    text, unknown = chapter_list(root, {"99-eight": "a summary.", "98-gone": "stale"}, root / "chapters")
    assert "### New part\n\n99. [Chapter eight](99-eight.ipynb): a summary.\n" in text
    assert unknown == ["98-gone"]
    text, _ = chapter_list(root, {}, root / "chapters")
    assert "99. [Chapter eight](99-eight.ipynb)\n" in text, "no summary yet: the title alone"


def test_summary_block_parses_continuation_lines_and_rejects_stray_text():
    assert parse_summaries("01-a: one\n  two\n02-b: three\n") == {"01-a": "one two", "02-b": "three"}
    with pytest.raises(ValueError, match="stem: summary"):
        parse_summaries("  no key here\n")


# ----------------------------------------------------------------------------- executed once per run
XDIST = ["-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder"]  # as `make test` runs


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], XDIST], ids=["one-process", "two-workers"])
def test_nbval_execution_is_reused_in_the_same_run(tmp_path, workers):
    """A pytest run with nbval gives later tests the notebook with the outputs nbval just produced
    (tests/conftest.py ExecutedChapters): the book builds from them instead of executing again.
    With two pytest-xdist workers the notebook and the test are separate work units, so the test
    may run on the other worker: it gets the notebook through the shared folder."""
    work = tmp_path / "run"
    (work / "chapters").mkdir(parents=True)
    (work / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", work / "tests" / "conftest.py")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# T"),
        nbformat.v4.new_code_cell("x = 40 + 2\nprint('stale')", execution_count=1,
                                  outputs=[nbformat.v4.new_output("stream", name="stdout", text="stale\n")]),
        nbformat.v4.new_code_cell("x", execution_count=2, outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "0"}, execution_count=2)]),
        nbformat.v4.new_code_cell(""),
    ])
    nb.cells[1].source = "x = 40 + 2\nprint('fresh')"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, work / "chapters" / "01-t.ipynb")
    (work / "tests" / "test_after.py").write_text(textwrap.dedent("""
        from pathlib import Path

        def test_reuse(executed_chapters):
            nb = executed_chapters.executed(Path(__file__).parents[1] / "chapters" / "01-t.ipynb")
            assert nb is not None
            code = [c for c in nb.cells if c.cell_type == "code"]
            assert code[0].outputs[0]["text"] == "fresh\\n" and code[0].execution_count == 1
            assert code[1].outputs[0]["data"]["text/plain"] == "42" and code[1].outputs[0]["execution_count"] == 2
            assert code[2].execution_count is None and code[2].outputs == []
            assert executed_chapters.executed(Path(__file__)) is None  # not a notebook nbval ran
    """))
    (work / "pytest.ini").write_text("[pytest]\n")
    # the tests are named first, as in `make test`; the plugin still runs the notebook before them
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers, "--nbval-lax",
                           "tests", "chapters"], cwd=work, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "4 passed" in proc.stdout, proc.stdout[-1000:]
