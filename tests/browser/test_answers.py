"""The built book shows no answer: read each chapter page in headless Chromium as a reader does.

Reuses the session's ``built_book`` and its chapter pages on a desktop (``desktop_pages``: one build
and one page load per chapter for all browser tests). For every chapter page, the *rendered* text (``innerText``: what is on screen
before any fold is opened, so closed ``<details>`` do not count) must contain no check verdict or
feedback, no expected value of that chapter's checks (to three significant figures, or two
decimals), no SelfCheck source and no SelfCheck verdict. The worked solutions must not be page text
at all before they are opened (``ketacourse_tools.sphinx_solutions``): not in the page's
``textContent`` (what a reader view or a text browser reads, hidden or not), not in its print
rendering. Opening a solution works by keyboard through a real, named button, and an opened
solution is still not printed. Opening one SelfCheck option must reveal that option's own
feedback, and only it. Without a browser: the book numbers exercises per chapter as the notebook
and the answer key do, and the page's ".ipynb" download stores no verdict.
"""

from __future__ import annotations

import html
import re

import nbformat
import pytest

from ketacourse import exercises
from ketacourse_tools.chapter_format import exercise_numbers
from ketacourse_tools.sphinx_solutions import BUTTON_CLOSE, BUTTON_OPEN, DATA_ATTR, decode_solution
from ketacourse_tools.student import check_verdict_problems

from .conftest import REPO, toc_files

pytestmark = pytest.mark.browser

CHAPTERS = [e for e in toc_files() if (REPO / f"{e}.ipynb").is_file()] or [pytest.param(None, id="no-chapters")]
VERDICTS = ("✓", "✗", "correct.", "not yet.", "no answer yet", "Show the answer", "SelfCheck(", "Correct.",
            "Not quite.")


def answer_strings(value: float) -> set[str]:
    out = {f"{value:.3g}"}
    if abs(value) < 100:
        out.add(f"{value:.2f}")
    return out


TEXT_CONTENT_JS = """() => { const b = document.body.cloneNode(true);
  b.querySelectorAll('script, style, noscript').forEach(e => e.remove()); return b.textContent; }"""
"""The page's text, hidden parts included (what a reader view or a text browser can show)."""


def solution_lines(page) -> list[str]:
    """The text of every solution on the page, decoded from its attribute: its paragraphs and code blocks
    of 40 characters or more, which must not be page text before the solution is opened."""
    encoded = page.evaluate(f"() => [...document.querySelectorAll('[{DATA_ATTR}]')].map(e => e.getAttribute('{DATA_ATTR}'))")
    lines = []
    for e in encoded:
        blocks = re.sub(r"</?(?:p|div|pre|li|ul|ol|section|table|tr|h\d|br)\b[^>]*>", "\0", decode_solution(e))
        text = html.unescape(re.sub(r"<[^>]+>", "", blocks))  # inline tags (spans of code, links) join up
        lines += [" ".join(b.split()) for b in text.split("\0") if len(" ".join(b.split())) >= 40]
    return lines


def solution_leaks(text: str, lines: list[str], where: str) -> list[str]:
    flat = " ".join(text.split())
    return [f"{where}: solution text {ln[:70]!r}" for ln in lines if ln in flat]


@pytest.mark.parametrize("entry", CHAPTERS)
def test_chapter_page_shows_no_answer(desktop_pages, entry):
    assert entry is not None, "no chapter notebooks in _toc.yml"
    reader = desktop_pages.get(entry).page  # a 1280-px desktop, offline (conftest.BookPages)
    reader.emulate_media(media="screen")
    reader.wait_for_timeout(300)
    text = reader.evaluate("() => (document.querySelector('main') || document.body).innerText")
    assert "Learning objectives" in text, "the page did not render"
    # Reader view, a text browser, find-in-page: the whole page's text, hidden or not; and its printout.
    whole = reader.evaluate(TEXT_CONTENT_JS)
    lines = solution_lines(reader)
    n_solutions = reader.locator(".kc-solution").count()
    assert n_solutions and len(lines) >= n_solutions, "no encoded solution found on the chapter page"
    assert reader.locator("div.solution").count() == n_solutions, "a solution box was left unencoded"
    reader.emulate_media(media="print")
    printed = reader.evaluate("() => document.body.innerText")
    reader.emulate_media(media="screen")
    leaks = [f"visible: {v!r}" for v in VERDICTS if v in text]
    # a closed self-check option's feedback is not page text either (find-in-page, reader views)
    leaks += [f"in the page text: {v!r}" for v in ("Correct.", "Not quite.", "✓", "✗") if v in whole]
    for where, page_text in (("textContent", whole), ("print", printed), ("innerText", text)):
        leaks += solution_leaks(page_text, lines, where)
    chapter = int(re.search(r"/(\d+)-", "/" + entry.split("/")[-1]).group(1))
    keys = [k for k in exercises.registered() if k.startswith(f"ch{chapter}-")]
    assert keys, f"no checks registered for chapter {chapter}"
    # "Exercise 4" is a number, not an answer.
    numbers = re.sub(r"(?:Solution to )?Exercise \d+(?:\.\d+)?", "Exercise N", text + "\n" + printed)
    for key in keys:
        item = exercises.get(key)
        if isinstance(item, exercises.NumericCheck):
            for s in answer_strings(float(item.expected())):
                for m in re.finditer(r"(?<![\d.])" + re.escape(s) + r"(?![\d])", numbers):
                    leaks.append(f"{key}: {s!r} in ...{numbers[max(0, m.start() - 60):m.end() + 20]!r}")
        else:
            assert f"answer=\"{item.answer}\"" not in text
    # every SelfCheck: options visible, all folds closed, no verdict outside them
    state = reader.evaluate("""() => [...document.querySelectorAll('.kc-selfcheck')].map(sc => ({
        options: sc.querySelectorAll('details.kc-option').length,
        open: sc.querySelectorAll('details[open]').length,
        text: sc.innerText}))""")
    assert state, "no self-check rendered on the page"
    for k, sc in enumerate(state):
        assert sc["options"] >= 2 and sc["open"] == 0, (k, sc)
        assert not any(v in sc["text"] for v in ("Correct", "Not quite")), (k, sc["text"])
    assert not leaks, "\n".join(leaks)


def test_opening_an_option_reveals_only_its_own_feedback(desktop_pages):
    entry = next(e for e in toc_files() if (REPO / f"{e}.ipynb").is_file())
    reader = desktop_pages.get(entry).page
    first = reader.locator(".kc-selfcheck").first
    options = first.locator("details.kc-option")
    n = options.count()
    verdicts = []
    for i in range(n):
        options.nth(i).locator("summary").click()
        shown = first.inner_text()
        verdicts.append(("Correct." in shown, "Not quite." in shown))
        assert shown.count("Correct.") + shown.count("Not quite.") == 1, "exactly one option's feedback is shown"
        options.nth(i).locator("summary").click()  # close it again
    assert sum(c for c, _ in verdicts) == 1 and sum(w for _, w in verdicts) == n - 1


def test_solution_opens_by_keyboard_and_is_never_printed(desktop_pages):
    entry = next(e for e in toc_files() if (REPO / f"{e}.ipynb").is_file())
    reader = desktop_pages.get(entry).page
    reader.emulate_media(media="screen")
    lines = solution_lines(reader)
    buttons = reader.get_by_role("button", name=BUTTON_OPEN, exact=True)
    assert buttons.count() == reader.locator(".kc-solution").count() > 0, "every solution needs its named button"
    button = reader.locator("button.kc-solution-toggle").first
    body = reader.locator(".kc-solution-body").first
    assert button.get_attribute("aria-expanded") == "false" and body.is_hidden()
    assert button.get_attribute("aria-controls") == body.get_attribute("id")
    # reach it with the keyboard: Tab from the element just before it
    button.focus()
    reader.keyboard.press("Shift+Tab")
    reader.keyboard.press("Tab")
    assert reader.evaluate("() => document.activeElement.classList.contains('kc-solution-toggle')")
    reader.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true" and button.inner_text() == BUTTON_CLOSE
    shown = body.inner_text()
    assert body.is_visible() and any(ln in " ".join(shown.split()) for ln in lines), "Enter did not open the solution"
    reader.emulate_media(media="print")
    assert not solution_leaks(reader.evaluate("() => document.body.innerText"), lines, "print"), \
        "an opened solution is printed"
    reader.emulate_media(media="screen")
    button.focus()
    reader.keyboard.press("Space")
    assert button.get_attribute("aria-expanded") == "false" and button.inner_text() == BUTTON_OPEN
    assert not solution_leaks(reader.evaluate(TEXT_CONTENT_JS), lines, "closed again"), \
        "closing must take the solution out of the page again"


def _chapter_html(built_book, entry: str) -> str:
    built_book.require_ok()
    return (built_book.html / f"{entry}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("entry", CHAPTERS)
def test_book_numbers_exercises_per_chapter_as_the_notebook(built_book, entry):
    """The book's "Exercise N" is the exercise's number in its chapter (the notebook's order, which the
    answer key uses too: tests/test_answers_before_effort.py)."""
    assert entry is not None, "no chapter notebooks in _toc.yml"
    page = _chapter_html(built_book, entry)
    found = {label: int(n) for label, n in re.findall(
        r'<div class="exercise admonition" id="([^"]+)">\s*<p class="admonition-title">'
        r'<span class="caption-number">Exercise (\d+) </span>', page)}
    expected = exercise_numbers(nbformat.read(REPO / f"{entry}.ipynb", as_version=4))
    assert found == expected


@pytest.mark.parametrize("entry", CHAPTERS)
def test_book_notebook_download_stores_no_verdict(built_book, entry):
    """The page's ".ipynb" download (``_sources/``) holds the neutral check outputs, even when the book
    was built from freshly executed chapters."""
    assert entry is not None, "no chapter notebooks in _toc.yml"
    built_book.require_ok()
    download = built_book.html / "_sources" / f"{entry}.ipynb"
    assert download.is_file(), f"no notebook download at {download}"
    problems = check_verdict_problems(nbformat.read(download, as_version=4))
    assert not problems, "\n".join(problems)


# JupyterLab shows the same exercise numbers: tests/browser/test_lab_first_open.py,
# test_jupyterlab_numbers_exercises_as_the_book (read on the first-open page of each chapter).
