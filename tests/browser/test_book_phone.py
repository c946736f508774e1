"""Figures readable on a phone and on a desktop (issue 23, item 4).

- Every figure of every chapter page (each widget's offline scrubber, and any other figure image)
  shows its smallest text at 9 CSS px or more, on a 390 px phone and at 1280 px on a desktop.
  A figure's smallest font, in the image's own pixels, is recorded when the figure is drawn
  (``data-text-px``: matplotlib's font size x dpi / 72, ``ketacourse.widgets.phone_layout``); the
  browser gives the scale it is shown at (shown width / natural width). This is what
  ``scripts/figure_text_on_phone.py`` estimated by hand for the review.
- A phone shows the narrow phone frames and requests them; a desktop shows the desktop frames and
  never requests a phone frame (they are separate files, ``ketacourse_tools.sphinx_scrub``).
- On a phone the scrubbers still step from the keyboard, showing another phone frame with its own
  alt text.
"""

from __future__ import annotations

import pytest

from .test_book import CHAPTERS

pytestmark = pytest.mark.browser

MIN_CSS_PX = 9.0

# Every figure image of the page's content: the visible frame of each scrubber, and any other
# image in a cell output or a figure (the chapters' static figures).
_FIGURES_JS = """async () => {
  const shown = [...document.querySelectorAll('figure.kc-scrub')].map(f =>
      [...f.querySelectorAll('img.kc-frame')].find(m => !m.hidden));
  const other = [...document.querySelectorAll('.bd-content .cell_output img, .bd-content figure img')]
      .filter(m => !m.closest('figure.kc-scrub'));
  const out = [];
  for (const m of [...shown, ...other]) {
    if (!m) { out.push({name: 'a scrubber without a visible frame', textPx: NaN, shown: 0, natural: 0}); continue; }
    m.scrollIntoView({block: 'center'});
    if (!m.complete || !m.naturalWidth) { try { await m.decode(); } catch (e) {} }
    const f = m.closest('figure.kc-scrub');
    out.push({name: f ? f.dataset.widget : (m.getAttribute('alt') || '').slice(0, 60),
              textPx: parseFloat(m.dataset.textPx), shown: m.getBoundingClientRect().width,
              natural: m.naturalWidth, phone: m.classList.contains('kc-phone'), alt: (m.getAttribute('alt') || '')});
  }
  return out;
}"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("entry", CHAPTERS)
def test_figure_text_is_at_least_9_css_px(phone_pages, desktop_pages, built_book, entry, device):
    """Smallest figure text x the scale the figure is shown at >= 9 CSS px, for every figure."""
    assert entry, "no chapter notebook listed in _toc.yml exists"
    built_book.require_ok()
    # the chapter's page on a 390-px phone or a 1280-px desktop, as the other book tests read it
    shown = (phone_pages if device == "phone" else desktop_pages).get(entry)
    figures, requests = shown.page.evaluate(_FIGURES_JS), shown.requests
    assert figures, f"{entry}: no figure measured"
    small, sizes = [], []
    for f in figures:
        if not (f["textPx"] > 0 and f["natural"] > 0):
            small.append(f"{f['name']}: no recorded text size (data-text-px) or the image did not load: {f}")
            continue
        css_px = f["textPx"] * f["shown"] / f["natural"]
        sizes.append((round(css_px, 1), f["name"]))
        if css_px < MIN_CSS_PX:
            small.append(f"{f['name']}: smallest text {css_px:.1f} CSS px ({f['textPx']:.1f} px in a "
                         f"{f['natural']} px image shown {f['shown']:.0f} px wide)")
    print(f"\n{entry} ({device}): smallest figure text, CSS px: {sorted(sizes)}")
    assert not small, f"{entry} ({device}): figure text under {MIN_CSS_PX:g} CSS px:\n" + "\n".join(small)
    scrub = [f for f in figures if f.get("phone") is not None and f["name"] and not f["name"].startswith("a ")]
    phone_frames = [u for u in requests if "/kc-phone/" in u]
    if device == "phone":
        assert all(f["phone"] for f in scrub if f["alt"]), f"{entry}: a scrubber shows a desktop frame on a phone"
        assert phone_frames, f"{entry}: the phone requested no phone frame"
    else:
        assert not any(f["phone"] for f in scrub), f"{entry}: a phone frame shown on a desktop"
        assert not phone_frames, f"{entry}: the desktop requested phone frames: {phone_frames[:3]}"


_STEP_JS = """(f) => { const m = [...f.querySelectorAll('img.kc-frame')].filter(i => !i.hidden);
  return {n: m.length, src: m.length ? m[0].currentSrc : '', alt: m.length ? m[0].alt : '',
          phone: m.length ? m[0].classList.contains('kc-phone') : false, out: f.querySelector('output').textContent}; }"""


@pytest.mark.parametrize("entry", CHAPTERS)
def test_phone_scrubbers_step_through_phone_frames_from_the_keyboard(phone_pages, built_book, entry):
    assert entry, "no chapter notebook listed in _toc.yml exists"
    built_book.require_ok()
    page = phone_pages.get(entry).page
    figures = page.locator("figure.kc-scrub")
    failures = []
    for k in range(figures.count()):
        fig = figures.nth(k)
        rng = fig.locator('input[type="range"]')
        if rng.count() == 0:
            continue
        before = fig.evaluate(_STEP_JS)
        at_max = rng.evaluate("(r) => +r.value >= +r.max")
        rng.focus()
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        page.wait_for_timeout(50)
        after = fig.evaluate(_STEP_JS)
        name = fig.get_attribute("data-widget")
        if after["n"] != 1 or not after["phone"]:
            failures.append(f"{name}: {after['n']} visible frames after a key press (phone frame: {after['phone']})")
        elif after["src"] == before["src"] or after["alt"] == before["alt"] or after["out"] == before["out"]:
            failures.append(f"{name}: the frame, its alt text or the readout did not change: {before} -> {after}")
    assert not failures, f"{entry} on a phone:\n" + "\n".join(failures)
