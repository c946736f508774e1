"""JupyterLab as a learner reads and operates a chapter: quiet while idle, accessible, keyboard-safe.

- ``test_plain_lab_is_quiet_and_links_open``: a *plain* ``jupyter lab`` of the course environment
  (no ``make lab`` options: only what ``scripts/install_lab_settings.py`` installed, as on Binder or
  a JupyterHub) opens the chapter with the most math, not run. While the learner only reads, the
  notebook's DOM must not change at all (jupyterlab-myst's re-render loop under the windowed
  notebook made 17-82 renders a second), citations read as author-year text without warning icons,
  and a real mouse click on a link in the text opens the linked page on the first click.
- ``test_plain_lab_citations_read_as_author_year``: in the same plain Lab, every citation of the
  chapter that had the most non-author-year keys (chapter 6) and of chapter 1 reads as
  author + year text ("(Janssen2025)"): each key has the shape of ``scripts/rename_bib_keys.py``'s
  ``KEY_SHAPE``, is in ``chapters/references.bib`` and shows capitalised, never a raw identifier
  such as "(Spravato_label)".
- ``test_run_chapter_controls_are_named_and_keyboard_safe``: a chapter with sliders, dropdowns and
  toggle buttons, run in Lab (``test_lab.py``'s Run All of it, whose page is kept for this test;
  run alone, the test runs the chapter itself): every slider handle has an accessible name, every live figure has
  alt text, ArrowDown on a dropdown changes its option and leaves the notebook's active cell where
  it is, and axe-core finds no serious or critical violation in the notebook.
"""

from __future__ import annotations

import pytest

from .conftest import JS_SETTLE, REPO, open_in_lab
from .test_lab import _open_and_run

pytestmark = pytest.mark.browser

QUIET_NB = "chapters/01-nmda-receptor.ipynb"  # the most display math of any chapter
A11Y_NB = "chapters/03-rapid-antidepressant.ipynb"  # sliders, dropdowns and toggle buttons
LINK_TEXT = "How to run this course"
SETTLE_MS = 6_000
SETTLE_QUIET_MS = 2_000
IDLE_MS = 5_000

JS_OPENED = """(nb) => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget;
  return !!(w && w.context && w.context.path.endsWith(nb) && w.context.isReady && w.content.widgets.length
            && document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown, .jp-MarkdownCell .myst').length);
}"""

JS_KERNEL_IDLE = """() => { const w = window.jupyterapp.shell.currentWidget;
  return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.kernelDisplayStatus === 'idle'); }"""

JS_COUNT_MUTATIONS = """async (ms) => {
  const root = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  let n = 0, debug = 0;
  const obs = new MutationObserver(list => { n += list.length; });
  obs.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
  const orig = console.debug;
  console.debug = function (...a) { if (String(a[0]).includes('Re-rendering')) debug++; return orig.apply(this, a); };
  await new Promise(r => setTimeout(r, ms));
  obs.disconnect(); console.debug = orig;
  return {mutations: n, renders: debug};
}"""

JS_CITATIONS = """() => {
  const groups = [...document.querySelectorAll('.jp-Notebook .cite-group')];
  const icons = groups.filter(g => [...g.querySelectorAll('svg')].some(s => s.getBoundingClientRect().width > 0));
  const warn = groups.filter(g => [...g.querySelectorAll('.text-yellow-600')].some(
      e => getComputedStyle(e).color === 'rgb(202, 138, 4)'));
  const tips = groups.filter(g => [...g.querySelectorAll('[title]')].some(e => getComputedStyle(e).pointerEvents !== 'none'));
  return {groups: groups.length, icons: icons.length, warn: warn.length, tooltips: tips.length,
          sample: groups.slice(0, 3).map(g => g.innerText)};
}"""

# Each citation's key and how the course stylesheet shows it (computed styles, since cells far
# off screen are not laid out and have no rendered text): capitalised, in parentheses when
# parenthetical. In the current tab only (the page may hold another notebook in a hidden tab).
JS_CITE_KEYS = """() => [...window.jupyterapp.shell.currentWidget.node.querySelectorAll(
    '.jp-Notebook .cite-group .text-yellow-600, .jp-Notebook cite')]
  .map(e => { const g = e.closest('.cite-group');
    return {key: e.textContent.trim(), transform: getComputedStyle(e).textTransform,
            parenthetical: !!(g && g.classList.contains('parenthetical')),
            before: g ? getComputedStyle(g, '::before').content : ''}; })"""

CITE_NBS = ("chapters/01-nmda-receptor.ipynb", "chapters/06-safety-and-practice.ipynb")
"""Chapter 1 first: the quiet test leaves it open and settled in the module's page (:func:`plain_page`)."""

# Makes the already open notebook ``nb`` the current tab (true), or false if it is not open in this page.
JS_ACTIVATE = """(nb) => {
  const app = window.jupyterapp; if (!app) return false;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === nb && w.context.isReady) { app.shell.activateById(w.id); return true; }
  }
  return false;
}"""

QUIET_MS = 1_000

JS_TABS = "() => [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tab')].map(t => t.textContent)"


def test_plain_lab_is_quiet_and_links_open(plain_page, plain_lab):
    page = plain_page
    page.goto(f"{plain_lab.url}lab/tree/{QUIET_NB}?reset&token={plain_lab.token}", wait_until="domcontentloaded")
    page.wait_for_function(JS_OPENED, arg=QUIET_NB.rsplit("/", 1)[-1], timeout=60_000, polling=250)
    # let the opening finish (at most SETTLE_MS, as long as before): the kernel started and idle, every
    # markdown cell rendered and the DOM unchanged for SETTLE_QUIET_MS; a re-render loop never
    # settles, and then shows in the idle count below
    try:
        page.wait_for_function(JS_KERNEL_IDLE, timeout=SETTLE_MS, polling=100)
    except Exception:  # the idle count below reports what keeps changing
        pass
    page.evaluate(JS_SETTLE, [SETTLE_QUIET_MS, SETTLE_MS])
    idle = page.evaluate(JS_COUNT_MUTATIONS, IDLE_MS)
    assert idle == {"mutations": 0, "renders": 0}, (
        f"{QUIET_NB}: the notebook keeps changing while the learner only reads "
        f"({idle['mutations']} DOM mutations, {idle['renders']} MyST re-renders in {IDLE_MS / 1000:.0f} s); "
        "is windowingMode 'none' installed (scripts/install_lab_settings.py)?\n" + plain_lab.tail(10))
    cites = page.evaluate(JS_CITATIONS)
    assert cites["groups"] >= 10, f"{QUIET_NB}: expected rendered citations, found {cites}"
    assert cites["icons"] == 0 and cites["warn"] == 0 and cites["tooltips"] == 0, (
        f"{QUIET_NB}: citations show MyST's warning icon, colour or 'Citation Not Found' tooltip in a "
        f"plain jupyter lab: {cites} "
        "(custom.css not installed into the environment?)")
    link = page.locator(".jp-MarkdownCell a", has_text=LINK_TEXT).first
    link.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    link.click()  # a real mouse click, once
    page.wait_for_function(f"() => ({JS_TABS})().some(t => t.includes('how-to-run'))", timeout=10_000)


def _bib_keys_and_shape():
    import importlib.util

    from pybtex.database import parse_file

    spec = importlib.util.spec_from_file_location("rename_bib_keys", REPO / "scripts" / "rename_bib_keys.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    keys = set(parse_file(str(REPO / "chapters" / "references.bib"), bib_format="bibtex").entries)
    return keys, mod.KEY_SHAPE


def test_plain_lab_citations_read_as_author_year(plain_page, plain_lab):
    import re

    keys, shape = _bib_keys_and_shape()
    page = plain_page
    for nb in CITE_NBS:
        # already open and settled in this page (the quiet test's chapter): read it there
        if not page.evaluate(JS_ACTIVATE, nb):
            open_in_lab(page, plain_lab, nb)  # in the JupyterLab already loaded in this page, if any
            page.wait_for_function(JS_OPENED, arg=nb.rsplit("/", 1)[-1], timeout=60_000, polling=250)
            settled = page.evaluate(JS_SETTLE, [QUIET_MS, SETTLE_MS])
            assert not settled["pending"], f"{nb}: markdown cells not rendered after {SETTLE_MS} ms: {settled}"
        page.wait_for_function(JS_OPENED, arg=nb.rsplit("/", 1)[-1], timeout=10_000, polling=100)
        cites = page.evaluate(JS_CITE_KEYS)
        assert len(cites) >= 30, f"{nb}: expected the chapter's citations rendered, found {len(cites)}"
        raw = sorted({c["key"] for c in cites if not shape.fullmatch(c["key"]) or c["key"] not in keys})
        assert not raw, f"{nb}: citations that read as a raw or unknown key in Lab: {raw}"
        # shown as author-year text: the key capitalised by custom.css ("Janssen2025", "Parnd"),
        # in parentheses when parenthetical
        shown = [c["key"][:1].upper() + c["key"][1:] if c["transform"] == "capitalize" else c["key"] for c in cites]
        odd = sorted({s for s in shown if not re.fullmatch(r"[A-Z][a-z]+(?:[0-9]{4}|nd)[a-z]?", s)})
        assert not odd, f"{nb}: citations not shown as Author+year text (custom.css installed?): {odd}"
        bare = [c["key"] for c in cites if c["parenthetical"] and c["before"] != '"("']
        assert not bare, f"{nb}: parenthetical citations without their parentheses: {bare[:5]}"


JS_CONTROLS = """() => {
  const views = [...document.querySelectorAll('.jp-Notebook .kc-widget')];
  const unnamed = [], noAlt = [];
  views.forEach((v, i) => {
    v.querySelectorAll('.noUi-handle').forEach(h => { if (!(h.getAttribute('aria-label') || '').trim())
      unnamed.push(i + ': slider ' + (h.getAttribute('aria-valuetext') || '')); });
    v.querySelectorAll('img.widget-image').forEach(m => { if (!(m.getAttribute('alt') || '').trim()) noAlt.push(i); });
    v.querySelectorAll('select, button, input').forEach(c => {
      if (c.type === 'hidden' || c.getClientRects().length === 0) return;
      const lab = (c.getAttribute('aria-label') || '').trim() || (c.tagName === 'BUTTON' && c.textContent.trim())
                  || [...(c.labels || [])].map(l => l.textContent).join(' ').trim() || c.title;
      if (!lab) unnamed.push(i + ': ' + c.tagName.toLowerCase());
    });
  });
  return {views: views.length, unnamed, noAlt};
}"""

JS_ACTIVE_CELL = "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"


@pytest.mark.reuses_lab_run(A11Y_NB)
def test_run_chapter_controls_are_named_and_keyboard_safe(lab_server, lab_context, lab_runs):
    """On test_lab.py's Run All of the chapter (its page, kept for this test), else on a Run All of its own."""
    from axe_playwright_python.sync_playwright import Axe

    run = lab_runs.take(A11Y_NB)
    page = run.page if run else lab_context.new_page()
    try:
        if run is None:
            _open_and_run(page, lab_server, A11Y_NB)
        page.wait_for_function("() => document.querySelectorAll('.kc-widget[data-kc-aria]').length >= 3",
                               timeout=20_000, polling=250)
        page.wait_for_timeout(500)
        found = page.evaluate(JS_CONTROLS)
        assert found["views"] >= 3, f"{A11Y_NB}: expected live model widgets, found {found['views']}"
        assert not found["unnamed"], f"{A11Y_NB}: controls without an accessible name: {found['unnamed']}"
        assert not found["noAlt"], f"{A11Y_NB}: live figures without alt text in widget views {found['noAlt']}"

        select = page.locator(".jp-Notebook .kc-widget select").first
        select.scroll_into_view_if_needed()
        select.focus()
        cell_before = page.evaluate(JS_ACTIVE_CELL)
        value_before = select.evaluate("s => s.selectedIndex")
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(400)
        assert page.evaluate(JS_ACTIVE_CELL) == cell_before, (
            "ArrowDown on a widget dropdown moved the notebook to another cell (command-mode shortcut)")
        assert select.evaluate("s => s.selectedIndex") != value_before, "ArrowDown did not change the dropdown"

        # the course's content (outputs, widgets, rendered markdown), not JupyterLab's own editor chrome
        handle = page.locator(".jp-Notebook .kc-widget .noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        cell_before = page.evaluate(JS_ACTIVE_CELL)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowUp")
        page.wait_for_timeout(400)
        assert page.evaluate(JS_ACTIVE_CELL) == cell_before, "ArrowDown/ArrowUp on a slider moved the notebook"

        results = Axe().run(page, context={"include": [[".jp-Notebook .jp-OutputArea"], [".jp-Notebook .jp-RenderedMarkdown"]]})
        bad = [f"{v['id']} ({v['impact']}): {v['help']}; e.g. {v['nodes'][0]['target']} x{len(v['nodes'])}"
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{A11Y_NB} in JupyterLab after Run All, axe-core:\n" + "\n".join(bad)
    finally:
        page.close()
