"""JupyterLab as a learner first meets a chapter: a stored, untrusted notebook, opened and *not* run.

A fresh clone, a Binder session, nbgitpuller or a download is untrusted, so JupyterLab shows each
widget's stored ``text/html`` through its sanitiser (no scripts, no styles) instead of the live
widget. For every chapter notebook in ``_toc.yml`` (a fresh copy, never trusted or run in this
server) this test opens it without running anything and checks every stored widget output:

- at most one figure is visible (no stacked scrubber frames) and it has alt text;
- the output is no taller than one figure plus its title and a prompt (``MAX_WIDGET_OUTPUT_PX``);
- no form control is shown (nothing inert to click) and the one-line prompt to run the cell is;
- the cells really are untrusted (otherwise this would test the wrong state).

The same page then shows the exercise numbers (``test_jupyterlab_numbers_exercises_as_the_book``):
each chapter is opened once for both tests (a module-scoped fixture parametrised by chapter, so
pytest runs the two tests of one chapter one after the other), not once per test, and JupyterLab
is loaded once for all chapters (each opened as a double click in the file browser does), in the
page of ``conftest.lab_page_slot``. When ``test_lab.py`` runs too, a chapter's two tests here come just
before its Run All there (``conftest.pytest_collection_modifyitems``), which goes on from this open:
each chapter is opened in JupyterLab once for both modules, not twice. The copy opened is the Lab
server's copy of ``chapters/``, checked to be the committed file byte for byte (nothing has run or
saved it; the cells' trust flags are asserted below).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from ketacourse_tools.chapter_format import exercise_numbers

from .conftest import REPO, open_in_lab, scrubbed_widgets_in, toc_notebooks

pytestmark = pytest.mark.browser

NOTEBOOKS = toc_notebooks()
# A figure is at most about 4.1 in x 96 dpi = 394 px tall; with title, prompt and margins < 560 px.
MAX_WIDGET_OUTPUT_PX = 560
RUN_PROMPT = "Run the notebook from the top"  # never "Run this cell": run alone it can fail

JS_READY = """(nb) => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget;
  return !!(w && w.context && w.context.path.endsWith(nb) && w.context.isReady && w.content.widgets.length);
}"""

# Every code cell's output area shows as many outputs as its model holds (the stored outputs are rendered).
JS_OUTPUTS_RENDERED = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  return w.content.widgets.every(c => c.model.type !== 'code'
    || c.outputArea.node.querySelectorAll(':scope > .jp-OutputArea-child').length >= c.model.outputs.length);
}"""

# Indices (cell, output) of stored widget outputs, with the cell's trust flag.
JS_WIDGET_OUTPUTS = """() => {
  const w = window.jupyterapp.shell.currentWidget, found = [];
  w.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    for (let k = 0; k < c.model.outputs.length; k++) {
      const d = c.model.outputs.get(k).data || {};
      const h = [].concat(d['text/html'] || []).join('');
      // model widgets (their stored HTML is a figure.kc-scrub); self-checks are tested elsewhere
      if (d['application/vnd.jupyter.widget-view+json'] && h.includes('kc-scrub'))
        found.push({cell: i, out: k, trusted: !!c.model.trusted, html: !!d['text/html']});
    }
  });
  return found;
}"""

JS_MEASURE = """async ([cell, out]) => {
  const w = window.jupyterapp.shell.currentWidget, c = w.content.widgets[cell];
  // JupyterLab lays out only the cells near the viewport: scroll there and wait for the layout
  let node = null;
  for (let t = 0; t < 200; t++) {
    if (w.content.scrollToItem) { try { await w.content.scrollToItem(cell, 'start'); } catch (e) {} }
    c.node.scrollIntoView({block: 'start'});
    node = c.outputArea.node.querySelectorAll(':scope > .jp-OutputArea-child')[out];
    if (node && node.getBoundingClientRect().height > 50 && node.innerText.trim()) break;
    await new Promise(r => setTimeout(r, 50));
  }
  if (!node) return null;
  const visible = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const imgs = [...node.querySelectorAll('img')].filter(visible);
  await Promise.all(imgs.map(m => m.decode().catch(() => null)));
  return {
    height: node.getBoundingClientRect().height,
    imgs: imgs.length,
    alts: imgs.map(m => (m.getAttribute('alt') || '').trim().length),
    controls: [...node.querySelectorAll('input, select, button, textarea')].filter(visible).length,
    text: node.innerText.trim().slice(0, 400),
    mime: (node.querySelector('[data-mime-type]') || {}).dataset?.mimeType || '',
  };
}"""


@pytest.fixture(scope="module")
def first_open_page(lab_context, lab_page_slot):
    """One page for this module: each chapter's fresh copy is opened in the JupyterLab already loaded
    there (:func:`open_in_lab`: the previous notebook is closed and its kernel shut down), the page
    ``test_lab.py`` left in the session's slot (else a new page that loads JupyterLab once)."""
    page = lab_page_slot.pop() if lab_page_slot else lab_context.new_page()
    yield page
    if not page.is_closed():
        lab_page_slot.append(page)


@dataclass
class FirstOpen:
    nb: str  # the chapter, repository-relative
    path: Path  # its fresh copy in the server's root
    page: object  # the JupyterLab page showing it, not run
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def first_open(request, lab_server, first_open_page):
    """The chapter ``request.param`` as a learner first meets it: a fresh copy (never run, saved or
    trusted; stored outputs exactly as committed) opened in JupyterLab and not run. Module scope:
    the tests of this module share one page per chapter (pytest groups them by chapter)."""
    nb = request.param
    if nb is None:  # the sentinel of an empty toc: the test fails on it
        yield None
        return
    # The server's own copy of the chapter (conftest.lab_server copies chapters/ when it starts): the tests
    # of this module come before test_lab.py runs the chapter (conftest.pytest_collection_modifyitems), which
    # then goes on from this open; nothing saves it, so it is still the committed file, byte for byte.
    rel = nb
    dest = lab_server.root / rel
    assert dest.read_bytes() == (REPO / nb).read_bytes(), f"{nb}: the server's copy is not the committed notebook"
    page = first_open_page
    opened = FirstOpen(nb, dest, page)

    def on_error(e):
        opened.errors.append(e.message)

    page.on("pageerror", on_error)
    try:
        open_in_lab(page, lab_server, rel)
        page.wait_for_function(JS_READY, arg=dest.name, timeout=45_000, polling=250)
        try:  # let the output renderers finish (each check below also waits for its own output)
            page.wait_for_function(JS_OUTPUTS_RENDERED, timeout=10_000, polling=100)
        except Exception:  # the measurements report what did not render
            pass
        yield opened
    finally:
        page.remove_listener("pageerror", on_error)


# An empty list would make pytest *skip* the test; a sentinel makes it fail instead.
CHAPTER_PARAMS = NOTEBOOKS or [pytest.param(None, id="no-chapter-notebooks")]


@pytest.mark.parametrize("first_open", CHAPTER_PARAMS, indirect=True)
def test_stored_untrusted_notebook_shows_one_figure_per_widget(first_open):
    assert first_open, "no chapter notebook listed in _toc.yml exists"
    nb, page = first_open.nb, first_open.page
    outputs = page.evaluate(JS_WIDGET_OUTPUTS)
    need = len(scrubbed_widgets_in(nb))  # one per widget with a scrubber in the chapter's code
    assert len(outputs) >= need, f"{nb}: {len(outputs)} stored widget outputs, expected at least {need}"
    assert not any(o["trusted"] for o in outputs), f"{nb}: the fresh copy is trusted; this tests the wrong state"
    problems = []
    for o in outputs:
        m = page.evaluate(JS_MEASURE, [o["cell"], o["out"]])
        where = f"cell {o['cell']} output {o['out']}"
        if m is None:
            problems.append(f"{where}: not rendered")
            continue
        if m["imgs"] != 1:
            problems.append(f"{where}: {m['imgs']} visible images (expected exactly one figure); {m}")
        if any(n < 20 for n in m["alts"]):
            problems.append(f"{where}: a figure without alt text")
        if m["height"] > MAX_WIDGET_OUTPUT_PX:
            problems.append(f"{where}: {m['height']:.0f} px tall (at most {MAX_WIDGET_OUTPUT_PX} px)")
        if m["controls"]:
            problems.append(f"{where}: {m['controls']} form control(s) shown that cannot work before the run")
        if RUN_PROMPT not in m["text"]:
            problems.append(f"{where}: no prompt to run the cell ({m['text'][-120:]!r})")
    assert not problems, f"{nb} on first open (untrusted, not run):\n" + "\n".join(problems)


# The number JupyterLab (jupyterlab-myst) shows on each exercise, in notebook order, read until it is the
# expected list or maxMs pass. jupyterlab-myst numbers a notebook's exercises in passes over the cells it has
# parsed so far (one pass per rendered markdown cell), so while a chapter is still rendering an exercise can
# show no number, or an earlier one's; on the project's CI that took more than the five seconds per
# exercise this used to wait. Each exercise's latest number is kept and the poll ends as soon as all are
# right; a failure reports them and what a wrong one reads.
JS_LAB_EXERCISE_NUMBERS = """async ([labels, expected, maxMs]) => {
  const t0 = performance.now(), w = window.jupyterapp.shell.currentWidget, cells = [];
  for (const [i, c] of w.content.widgets.entries()) {
    if (c.model.type !== 'markdown') continue;
    const src = c.model.sharedModel.getSource();
    if (/\\{exercise(-start)?\\}/.test(src) && labels.some(l => src.includes(':label: ' + l))) cells.push([i, c]);
  }
  for (const [i] of cells)  // as a reader scrolls past each exercise
    if (w.content.scrollToItem) { try { await w.content.scrollToItem(i, 'start'); } catch (e) {} }
  // each exercise's latest number (a cell re-rendered at the moment of reading shows none for a while)
  const shown = cells.map(() => null);
  const read = () => cells.forEach(([, c], k) => {
    const m = (c.node.innerText || '').match(/Exercise\\s+(\\d+)/);
    if (m) shown[k] = Number(m[1]);
  });
  read();
  while (JSON.stringify(shown) !== JSON.stringify(expected) && performance.now() - t0 < maxMs) {
    await new Promise(r => setTimeout(r, 100));
    read();
  }
  const bad = cells.find(([, c], k) => shown[k] !== expected[k]);  // what a wrong one shows, for the report
  return {shown, waited_ms: Math.round(performance.now() - t0),
          first_wrong: bad ? (bad[1].node.innerText || '').slice(0, 240) : null};
}"""
# The longest JupyterLab may take to number one chapter's exercises before the test fails.
MAX_NUMBERING_MS = 90_000


@pytest.mark.parametrize("first_open", CHAPTER_PARAMS, indirect=True)
def test_jupyterlab_numbers_exercises_as_the_book(first_open):
    """The third place a learner meets the numbers: the notebook in JupyterLab (jupyterlab-myst numbers
    the exercise directives per notebook) shows the same "Exercise N" as the book and the answer key
    (``tests/browser/test_answers.py``: the book; ``tests/test_answers_before_effort.py``: the key).
    Read on the page of the first-open test: the same fresh, unrun copy, opened once."""
    assert first_open, "no chapter notebook listed in _toc.yml exists"
    expected = exercise_numbers(nbformat.read(first_open.path, as_version=4))
    got = first_open.page.evaluate(JS_LAB_EXERCISE_NUMBERS, [list(expected), list(expected.values()), MAX_NUMBERING_MS])
    shown = got["shown"]
    assert shown == list(expected.values()), (
        f"JupyterLab shows {shown} after {got['waited_ms']} ms; the book and the answer key use {expected}; "
        f"the first wrong exercise reads {got['first_wrong']!r}")
