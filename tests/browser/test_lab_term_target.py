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


pytestmark = pytest.mark.browser

NB = "chapters/01-nmda-receptor.ipynb"
SETTLE_MS = 4_000

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


def test_term_link_shows_its_glossary_entry_in_full(browser, plain_lab):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{plain_lab.url}lab/tree/{NB}?reset&token={plain_lab.token}", wait_until="domcontentloaded")
        page.wait_for_function(JS_OPENED, arg=NB.rsplit("/", 1)[-1], timeout=60_000, polling=250)
        page.wait_for_timeout(SETTLE_MS)
        links = page.locator(".jp-MarkdownCell a[href^='#term-']")
        assert links.count() >= 5, f"{NB}: expected term links, found {links.count()}"
        # a term used after the first screen, so the click has to scroll back up to the Key terms cell
        link = links.nth(3)
        target = link.get_attribute("href")[1:]
        link.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        link.click()  # a real mouse click
        page.wait_for_timeout(1_500)
        box = page.evaluate(JS_TARGET, target)
        assert box and box["height"] > 0, f"{NB}: the term link's target #{target} is not rendered: {box}"
        assert box["top"] >= max(box["areaTop"], box["toolbarBottom"]) - 0.5 and box["bottom"] <= box["areaBottom"] + 0.5, (
            f"{NB}: after clicking the term link, the entry '{box['text']}' is not fully visible: top {box['top']:.0f} px, "
            f"bottom {box['bottom']:.0f} px; the notebook shows {box['areaTop']:.0f}-{box['areaBottom']:.0f} px below "
            f"the toolbar ending at {box['toolbarBottom']:.0f} px (scroll-margin-top in scripts/lab-custom/custom.css, "
            "installed by scripts/install_lab_settings.py?)")
    finally:
        ctx.close()
