"""One course (issue 22, item 4): every chapter has its key terms and ends with "Where next".

- **Key terms.** Every chapter of ``_toc.yml`` has a "Key terms in this chapter" list (the folded
  cell ``ketacourse_tools.lab_glossary`` writes from the chapter's ``{term}`` roles), with at least
  five terms; every listed term is an entry of ``chapters/glossary.md`` and is linked with a
  ``{term}`` role at least once in the chapter's own teaching text (not only inside an exercise or a
  solution, where a learner may never look).
- **Where next.** Every chapter ends with a ``## Where next`` section (its last ``##`` heading, in its
  last cell) that links at least one other course page that exists and names at least two primary
  sources with citation keys that exist in ``chapters/references.bib``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from ketacourse_tools import course
from ketacourse_tools import lab_glossary as lg

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = course.chapters(ROOT)
GLOSSARY = lg.parse_glossary((ROOT / "chapters" / "glossary.md").read_text(encoding="utf-8"))
BIB_KEYS = set(re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "chapters" / "references.bib").read_text(encoding="utf-8"),
                          re.MULTILINE))
_TERM = re.compile(r"\{term\}`([^`]+)`")
_H2 = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)
MIN_KEY_TERMS = 5


def _targets(markdown: str) -> set[str]:
    out = set()
    for body in _TERM.findall(markdown):
        explicit = re.match(r"^(.*?)\s*<([^<>]+)>\s*$", body, re.S)
        out.add(" ".join((explicit.group(2) if explicit else body).split()).lower())
    return out


def _listed_terms(cell_source: str) -> list[str]:
    """The terms of a Key terms cell: the lines before each ``: definition`` line."""
    lines = cell_source.splitlines()
    return [lines[i - 1].strip() for i, line in enumerate(lines) if line.startswith(": ") and i > 0]


def _is_teaching(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return (cell.cell_type == "markdown" and "solution" not in tags and lg.TAG not in tags
            and not re.search(r"^(?::{3,}|`{3,})\{exercise", cell.source, re.MULTILINE))


def test_the_toc_has_chapters():
    assert len(CHAPTERS) >= 7 and all(c.path.is_file() for c in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_chapter_has_a_key_terms_list_of_glossary_terms_it_links(chapter):
    nb = nbformat.read(chapter.path, as_version=4)
    cells = [c for c in nb.cells if lg.TAG in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{chapter.stem}: no 'Key terms in this chapter' cell (add {{term}} links, then run " \
                            "`python -m ketacourse_tools.lab_glossary`)"
    assert "Key terms in this chapter" in cells[0].source
    listed = _listed_terms(cells[0].source)
    assert len(listed) >= MIN_KEY_TERMS, f"{chapter.stem}: only {len(listed)} key terms: {listed}"
    taught = set().union(*(_targets(c.source) for c in nb.cells if _is_teaching(c)))
    anywhere = set().union(*(_targets(c.source) for c in nb.cells
                             if c.cell_type == "markdown" and lg.TAG not in c.get("metadata", {}).get("tags", [])))
    for term in listed:
        key = " ".join(term.split()).lower()
        assert key in GLOSSARY, f"{chapter.stem}: key term {term!r} is not in chapters/glossary.md"
        assert key in anywhere, f"{chapter.stem}: key term {term!r} is listed but never linked"
    only_in_exercises = sorted(anywhere - taught)
    assert not only_in_exercises, f"{chapter.stem}: terms linked only in exercises or solutions: {only_in_exercises}"


def test_key_terms_check_catches_an_unlinked_or_unknown_term():
    cell = "::::{dropdown} Key terms in this chapter\n:::{glossary}\nNMDA receptor\n: A channel.\n\nwobble\n: Made up.\n:::\n::::"
    assert _listed_terms(cell) == ["NMDA receptor", "wobble"]
    assert "nmda receptor" in GLOSSARY and "wobble" not in GLOSSARY
    assert _targets("The {term}`receptor <NMDA  receptor>` and {term}`odds ratio`.") == {"nmda receptor", "odds ratio"}


def where_next(nb) -> str:
    """The text of the chapter's closing ``## Where next`` section ("" if the chapter has none)."""
    last = nb.cells[-1]
    if last.cell_type != "markdown":
        return ""
    headings = list(_H2.finditer(last.source))
    if not headings or headings[-1].group(1).strip().lower() != "where next":
        return ""
    return last.source[headings[-1].end():]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_chapter_ends_with_where_next_and_primary_sources(chapter):
    nb = nbformat.read(chapter.path, as_version=4)
    text = where_next(nb)
    assert text.strip(), f"{chapter.stem}: the last cell must end with a '## Where next' section"
    later = [h for c in nb.cells if c.cell_type == "markdown" for h in _H2.findall(c.source)]
    assert later[-1].strip().lower() == "where next", f"{chapter.stem}: a section follows 'Where next': {later[-1]}"
    links = re.findall(r"\]\(([^)#\s]+\.(?:ipynb|md))(?:#[^)]*)?\)", text)
    assert links, f"{chapter.stem}: 'Where next' links no course page"
    for link in links:
        assert (chapter.path.parent / link).is_file(), f"{chapter.stem}: 'Where next' links a missing page {link}"
    assert any(link != chapter.path.name for link in links)
    keys = {k.strip() for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text) for k in group.split(",")}
    assert len(keys) >= 2, f"{chapter.stem}: 'Where next' names {len(keys)} primary source(s); give 2 or 3"
    assert keys <= BIB_KEYS, f"{chapter.stem}: unknown citation keys {sorted(keys - BIB_KEYS)}"


def test_where_next_must_be_last():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Key points\n\n- x\n\n## Where next\n\nRead on.")])
    assert where_next(nb).strip() == "Read on."
    nb.cells.append(nbformat.v4.new_markdown_cell("## Exercises\n\nMore."))
    assert where_next(nb) == ""
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    assert where_next(nb) == ""


# ----------------------------------------------------------------------------- model mathematics folded
CURIOUS = "For the curious: "
_ADMONITION = re.compile(r"^(:{3,})\{admonition\}[ \t]*([^\n]*)\n((?::[\w-]+:[^\n]*\n)*)(.*?)^\1[ \t]*$", re.M | re.S)


def curious_boxes(markdown: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, title, options)`` of every admonition in ``markdown``."""
    return [(m.start(), m.end(), m.group(2).strip(), m.group(3)) for m in _ADMONITION.finditer(markdown)]


def unfolded_equations(markdown: str) -> list[str]:
    """Display equations (``$$ ... $$``) that are not inside a folded "For the curious: ..." box."""
    boxes = [(a, b) for a, b, title, opts in curious_boxes(markdown)
             if title.startswith(CURIOUS) and "dropdown" in opts]
    return [" ".join(m.group(0).split())[:60] for m in re.finditer(r"\$\$.*?\$\$", markdown, re.S)
            if not any(a <= m.start() < b for a, b in boxes)]


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if c.number >= 3], ids=lambda c: c.stem)
def test_model_mathematics_of_chapters_3_to_7_is_in_folded_boxes(chapter):
    nb = nbformat.read(chapter.path, as_version=4)
    problems = []
    for i, cell in enumerate(nb.cells):
        if not _is_teaching(cell):
            continue
        problems += [f"cell {i}: equation outside a folded 'For the curious' box: {e}" for e in unfolded_equations(cell.source)]
        for _a, _b, title, opts in curious_boxes(cell.source):
            if "curious" in title.lower():
                if not title.startswith(CURIOUS):
                    problems.append(f"cell {i}: title {title!r} must start with {CURIOUS!r}")
                if "dropdown" not in opts:
                    problems.append(f"cell {i}: {title!r} is not folded (:class: dropdown)")
    assert not problems, f"{chapter.stem}:\n" + "\n".join(problems)


def test_fold_check_finds_an_unfolded_equation():
    box = ":::{admonition} For the curious: x\n:class: dropdown\n\n$$\na = b\n$$\n:::\n"
    assert unfolded_equations(box) == []
    assert unfolded_equations("Text\n\n$$\na = b\n$$\n") == ["$$ a = b $$"]
    assert unfolded_equations(box.replace(":class: dropdown\n", "")) == ["$$ a = b $$"]
    assert unfolded_equations(box.replace("For the curious: x", "Maths")) == ["$$ a = b $$"]


# ----------------------------------------------------------------------------- a prediction before every widget
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_every_widget_is_preceded_by_a_prediction(chapter):
    """Each interactive figure has its "**Predict first.**" prompt (or a self-check) before it, in the
    same section, as ``chapter_format.sections_of`` reads them (the instructor pack's session plans
    use the same predictions)."""
    from ketacourse_tools.chapter_format import sections_of

    nb = nbformat.read(chapter.path, as_version=4)
    missing = [f"{s.title}: {len(s.widgets)} widget(s) {s.widgets}, {len(s.predictions)} prediction(s)"
               for s in sections_of(nb) if len(s.predictions) != len(s.widgets)]
    assert not missing, f"{chapter.stem}:\n" + "\n".join(missing)


# ----------------------------------------------------------------------------- nothing reads as unfinished
STALE = re.compile(r"\((?:coming|coming soon|planned)\)|\bplanned chapter\b|\bcoming chapters?\b|\bchapters? to come\b|"
                   r"\bnot yet written\b|\bTODO\b|\bTBD\b", re.IGNORECASE)


def test_no_page_promises_material_that_does_not_exist():
    """Every chapter and page of the book refers to chapters that exist, not to "coming" ones (the
    landing page lists planned chapters from ``_toc.yml`` on purpose and is not checked here)."""
    found = []
    for page in course.pages(ROOT):
        if not page.path.is_file() or page.path.name == "index.md":
            continue
        if page.is_notebook:
            nb = nbformat.read(page.path, as_version=4)
            texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
        else:
            texts = [page.path.read_text(encoding="utf-8")]
        found += [f"{page.rel}: {m.group(0)!r}" for t in texts for m in STALE.finditer(t)]
    assert not found, "\n".join(found)
    assert STALE.search("the psychiatry chapter (coming)") and STALE.search("The coming chapters use these")
