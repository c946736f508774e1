"""A glossary term link in JupyterLab shows its entry in full (issue 23).

In a plain ``jupyter lab`` of the course environment (what ``scripts/install_lab_settings.py``
installed, as on Binder), a real click on a ``{term}`` link in Chapter 1 scrolls the notebook to the
entry in the Lab-only "Key terms" cell (``ketacourse_tools.lab_glossary``). The entry must then lie
entirely inside the notebook's visible scroll area, below the notebook toolbar: before the
``scroll-margin-top`` rule in ``scripts/lab-custom/custom.css`` it sat 35 px above that area, under
the toolbar.
"""

from __future__ import annotations

import pytest

from .conftest import JS_SETTLE, open_in_lab

pytestmark = pytest.mark.browser

NB = "chapters/01-nmda-receptor.ipynb"
SETTLE_MS = 4_000
SETTLE_QUIET_MS = 1_000
SCROLL_MS = 1_500

JS_OPENED = """(nb) => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget;
  return !!(w && w.context && w.context.path.endsWith(nb) && w.context.isReady && w.content.widgets.length
            && document.querySelectorAll('.jp-MarkdownCell .myst').length);
}"""

JS_TARGET = """(id) => {
  const t = document.getElementById(id);
  if (!t) return null;
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const area = panel.querySelector('.jp-WindowedPanel-outer') || panel.querySelector('.jp-Notebook');
  const a = area.getBoundingClientRect(), r = t.getBoundingClientRect();
  const bar = panel.querySelector('.jp-NotebookPanel-toolbar').getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, height: r.height, areaTop: a.top, areaBottom: a.bottom, toolbarBottom: bar.bottom,
          text: t.innerText.trim()};
}"""


def test_term_link_shows_its_glossary_entry_in_full(plain_page, plain_lab):
    page = plain_page
    # the chapter freshly opened (any other document closed) in the plain Lab's page, loaded once per session
    open_in_lab(page, plain_lab, NB)
    page.wait_for_function(JS_OPENED, arg=NB.rsplit("/", 1)[-1], timeout=60_000, polling=250)
    # rendered: every markdown cell shows its text and the DOM is quiet (at most SETTLE_MS, as long as before)
    page.evaluate(JS_SETTLE, [SETTLE_QUIET_MS, SETTLE_MS])
    links = page.locator(".jp-MarkdownCell a[href^='#term-']")
    assert links.count() >= 5, f"{NB}: expected term links, found {links.count()}"
    # a term used after the first screen, so the click has to scroll back up to the Key terms cell
    link = links.nth(3)
    target = link.get_attribute("href")[1:]
    link.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    before = page.evaluate(JS_TARGET, target)
    link.click()  # a real mouse click
    # the scroll is done when the entry has moved from where it was and then stays put for 300 ms
    # (at most SCROLL_MS, as long as before; the assertion below then reports where it is)
    try:
        page.wait_for_function(JS_SCROLLED, arg=[target, before["top"] if before else None], timeout=SCROLL_MS,
                               polling="raf")
    except Exception:
        pass
    box = page.evaluate(JS_TARGET, target)
    assert box and box["height"] > 0, f"{NB}: the term link's target #{target} is not rendered: {box}"
    assert box["top"] >= max(box["areaTop"], box["toolbarBottom"]) - 0.5 and box["bottom"] <= box["areaBottom"] + 0.5, (
        f"{NB}: after clicking the term link, the entry '{box['text']}' is not fully visible: top {box['top']:.0f} px, "
        f"bottom {box['bottom']:.0f} px; the notebook shows {box['areaTop']:.0f}-{box['areaBottom']:.0f} px below "
        f"the toolbar ending at {box['toolbarBottom']:.0f} px (scroll-margin-top in scripts/lab-custom/custom.css, "
        "installed by scripts/install_lab_settings.py?)")


# True once the entry ``id`` is rendered, away from where it was before the click (``top0``; null: it was
# not rendered then) and has not moved for 300 ms: the scroll the click started is over.
JS_SCROLLED = """([id, top0]) => {
  const t = document.getElementById(id);
  if (!t) return false;
  const top = t.getBoundingClientRect().top, now = performance.now(), s = window.__kcScroll;
  if (top0 !== null && Math.abs(top - top0) < 0.5) return false;
  if (!s || s.id !== id || Math.abs(s.top - top) >= 0.5) { window.__kcScroll = {id, top, since: now}; return false; }
  return now - s.since >= 300;
}"""
