"""The built book shows no answer: read each chapter page in headless Chromium as a reader does.

Reuses the session's ``built_book`` / ``book_server`` / ``browser`` fixtures (one build for all
browser tests). For every chapter page, the *rendered* text (``innerText``: what is on screen
before any fold is opened, so closed ``<details>`` and collapsed solution dropdowns do not count)
must contain no check verdict or feedback, no expected value of that chapter's checks (to three
significant figures, or two decimals), no SelfCheck source and no SelfCheck verdict. Then opening
one SelfCheck option must reveal that option's own feedback, and only it.
"""

from __future__ import annotations

import re

import pytest

from ketacourse import exercises

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


@pytest.fixture(scope="module")
def reader(browser, book_server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    local = book_server.rstrip("/")
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith((local, "data:"))
              else r.abort("internetdisconnected"))
    page = ctx.new_page()
    yield page
    ctx.close()


@pytest.mark.parametrize("entry", CHAPTERS)
def test_chapter_page_shows_no_answer(reader, book_server, entry):
    assert entry is not None, "no chapter notebooks in _toc.yml"
    reader.goto(f"{book_server}{entry}.html", wait_until="load", timeout=20_000)
    reader.wait_for_timeout(300)
    text = reader.evaluate("() => (document.querySelector('main') || document.body).innerText")
    assert "Learning objectives" in text, "the page did not render"
    leaks = [f"visible: {v!r}" for v in VERDICTS if v in text]
    chapter = int(re.search(r"/(\d+)-", "/" + entry.split("/")[-1]).group(1))
    keys = [k for k in exercises.registered() if k.startswith(f"ch{chapter}-")]
    assert keys, f"no checks registered for chapter {chapter}"
    # The book numbers exercises across the whole book ("Exercise 47"): a number, not an answer.
    numbers = re.sub(r"(?:Solution to )?Exercise \d+(?:\.\d+)?", "Exercise N", text)
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


def test_opening_an_option_reveals_only_its_own_feedback(reader, book_server):
    entry = next(e for e in toc_files() if (REPO / f"{e}.ipynb").is_file())
    reader.goto(f"{book_server}{entry}.html", wait_until="load", timeout=20_000)
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
