"""The built book for every reader: axe-core finds nothing serious, pages stay light, code wraps.

- Every ``_toc.yml`` page (the root ``index.html`` is a meta-refresh redirect to the first of
  them) has no serious or critical axe-core violation in light mode; in dark mode, where only
  colours change, the colour-contrast rule is run again. axe-core comes bundled in the pinned
  ``axe-playwright-python`` package: nothing is fetched.
- Each chapter page's own weight (its HTML with the embedded scrubber frames, plus the local
  images it shows; the theme's shared assets are not counted) is under 1.5 MB.
- On a 390 px phone, inline code inside exercise and solution boxes is not cut off.
"""

from __future__ import annotations

import html
import re

import pytest

from .conftest import settle_theme
from .test_book import CHAPTERS, toc_pages

pytestmark = pytest.mark.browser

PAGES = [p for p in toc_pages() if p != "index.html"]
MAX_PAGE_BYTES = 1_500_000
SERIOUS = ("serious", "critical")


def _violations(page, options=None) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    # (without options: axe-playwright-python's default, {"resultTypes": ["violations"]}: axe does not
    # collect the nodes of passing rules, which on these large pages takes time; every violation and
    # each of its nodes is still reported)
    kwargs = {"options": options} if options else {}
    results = Axe().run(page, **kwargs)
    return [f"{v['id']} ({v['impact']}): {v['help']}; {len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


@pytest.mark.parametrize("entry", PAGES)
def test_axe_finds_no_serious_violation_in_light_and_dark(desktop_pages, built_book, entry):
    built_book.require_ok()
    problems = []
    page = desktop_pages.get(entry.removesuffix(".html")).page  # a 1280-px desktop in light mode
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    problems += [f"light: {v}" for v in _violations(page)]
    # the theme's own switch: the same page in dark mode; only colours change, so contrast again
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    settle_theme(page, "dark")  # contrast is read once the colour transitions have ended
    problems += [f"dark: {v}" for v in _violations(page, {"runOnly": {"type": "rule", "values": ["color-contrast"]},
                                                           "resultTypes": ["violations"]})]
    page.evaluate("document.documentElement.dataset.theme = 'light'")  # as the next test expects it
    settle_theme(page, "light")
    assert not problems, f"{entry}: axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_chapter_pages_weigh_under_the_budget(built_book):
    built_book.require_ok()
    heavy = []
    for entry in CHAPTERS:
        path = built_book.html / f"{entry}.html"
        text = path.read_text(errors="replace")
        images = {html.unescape(src) for src in re.findall(r'<img[^>]+src="(?!data:)([^"]+)"', text)}
        size = len(text.encode()) + sum((path.parent / s).stat().st_size for s in images
                                        if (path.parent / s).is_file())
        if size > MAX_PAGE_BYTES:
            heavy.append(f"{entry}: {size / 1e6:.2f} MB")
        assert "application/vnd.jupyter.widget-state+json" not in text, f"{entry}: widget state embedded"
    assert not heavy, f"chapter pages over {MAX_PAGE_BYTES / 1e6:.1f} MB: {heavy}"


_CLIPPED_CODE_JS = """() => [...document.querySelectorAll('.exercise code, .solution code, .admonition code')]
  .filter(c => c.getClientRects().length && !c.closest('pre'))
  .filter(c => { const box = c.closest('.admonition'), r = c.getBoundingClientRect(), b = box.getBoundingClientRect();
                 return r.right > b.right + 1; })
  .map(c => c.textContent.slice(0, 60))"""


@pytest.mark.parametrize("entry", CHAPTERS)
def test_inline_code_in_exercise_boxes_wraps_on_a_phone(phone_pages, built_book, entry):
    built_book.require_ok()
    page = phone_pages.get(entry).page
    clipped = page.evaluate(_CLIPPED_CODE_JS)
    assert not clipped, f"{entry}: inline code runs past its box on a 390 px phone: {clipped}"


_ZOOM_STATE = """f => { const b = f.querySelector('button.kc-zoombtn'); const r = b.getBoundingClientRect();
  return {expanded: b.getAttribute('aria-expanded'), name: b.textContent, zoom: f.classList.contains('kc-zoom'),
          focused: document.activeElement === b, controls: b.getAttribute('aria-controls'),
          controlsFrames: !!document.getElementById(b.getAttribute('aria-controls'))
                          && document.getElementById(b.getAttribute('aria-controls')).classList.contains('kc-frames'),
          onTop: document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b
                 && r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth}; }"""


def test_the_enlarge_control_is_a_keyboard_button_with_its_state(desktop_pages, built_book):
    """Every scrubber's enlarge control is a real button named for what it does on any device (no
    "tap" or "click"), with aria-expanded that follows its state (the figure itself is no second,
    nameless button). On the first scrubber: Tab reaches it after the range, Enter and Space toggle
    it, it stays on top of the enlarged figure, and Escape closes it and leaves the focus on it."""
    built_book.require_ok()
    touch_words = re.compile(r"\b(tap|taps|tapping|click|clicks|clicking|swipe)\b", re.I)
    walked = 0
    seen = 0
    for entry in [c for c in CHAPTERS if isinstance(c, str)]:
        page = desktop_pages.get(entry).page
        figures = page.locator("figure.kc-scrub")
        for i in range(figures.count()):
            f = figures.nth(i)
            buttons = f.locator("button.kc-zoombtn")
            assert buttons.count() == 1, f"{entry}: scrubber {i} has {buttons.count()} enlarge buttons"
            state = f.evaluate(_ZOOM_STATE)
            hint = f.locator(".kc-zoomhint").text_content() or ""
            assert state["expanded"] == "false" and not state["zoom"] and state["controlsFrames"], (entry, i, state)
            assert not touch_words.search(state["name"] + " " + hint), (
                f"{entry}: device-bound wording {state['name']!r} / {hint!r}")
            assert f.locator(".kc-frames[role=button], .kc-frames[tabindex]").count() == 0, (
                f"{entry}: the figure itself is still a second, nameless button")
            seen += 1
        if walked or not figures.count():
            continue
        f = figures.first
        f.scroll_into_view_if_needed()
        rng = f.locator("input[type=range]")
        if rng.count():
            rng.focus()
            page.keyboard.press("Tab")
        else:
            f.locator("button.kc-zoombtn").focus()
        assert f.evaluate(_ZOOM_STATE)["focused"], f"{entry}: Tab from the range does not reach the enlarge button"
        page.keyboard.press("Enter")
        on = f.evaluate(_ZOOM_STATE)
        assert on["expanded"] == "true" and on["zoom"] and on["onTop"] and on["focused"], f"{entry}: Enter: {on}"
        page.keyboard.press("Escape")
        off = f.evaluate(_ZOOM_STATE)
        assert off["expanded"] == "false" and not off["zoom"] and off["focused"], f"{entry}: Escape: {off}"
        assert off["name"] != on["name"], f"{entry}: the button's name does not follow its state ({off['name']!r})"
        page.keyboard.press("Space")
        assert f.evaluate(_ZOOM_STATE)["expanded"] == "true", f"{entry}: Space does not enlarge"
        page.keyboard.press("Space")
        assert f.evaluate(_ZOOM_STATE)["expanded"] == "false", f"{entry}: Space does not close"
        walked += 1
    assert seen and walked, "no scrubber in the built book"
