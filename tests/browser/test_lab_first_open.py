"""JupyterLab as a learner first meets a chapter: a stored, untrusted notebook, opened and *not* run.

A fresh clone, a Binder session, nbgitpuller or a download is untrusted, so JupyterLab shows each
widget's stored ``text/html`` through its sanitiser (no scripts, no styles) instead of the live
widget. For every chapter notebook in ``_toc.yml`` (a fresh copy, never trusted or run in this
server) this test opens it without running anything and checks every stored widget output:

- at most one figure is visible (no stacked scrubber frames) and it has alt text;
- the output is no taller than one figure plus its title and a prompt (``MAX_WIDGET_OUTPUT_PX``);
- no form control is shown (nothing inert to click) and the one-line prompt to run the cell is;
- the cells really are untrusted (otherwise this would test the wrong state).
"""

from __future__ import annotations

import shutil

import pytest

from .conftest import REPO, scrubbed_widgets_in, toc_notebooks

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
    await new Promise(r => setTimeout(r, 50));
    node = c.outputArea.node.querySelectorAll(':scope > .jp-OutputArea-child')[out];
    if (node && node.getBoundingClientRect().height > 50 && node.innerText.trim()) break;
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
def first_open_context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


@pytest.mark.parametrize("nb", NOTEBOOKS or [pytest.param(None, id="no-chapter-notebooks")])
def test_stored_untrusted_notebook_shows_one_figure_per_widget(nb, lab_server, first_open_context):
    assert nb, "no chapter notebook listed in _toc.yml exists"
    # A copy no other test runs or saves: stored outputs exactly as committed, never trusted.
    rel = f"first-open/{nb.replace('/', '__')}"
    dest = lab_server.root / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / nb, dest)
    page = first_open_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(e.message))
    try:
        page.goto(f"{lab_server.url}lab/tree/{rel}?reset&token={lab_server.token}", wait_until="domcontentloaded")
        page.wait_for_function(JS_READY, arg=dest.name, timeout=45_000, polling=250)
        page.wait_for_timeout(800)  # let the output renderers finish
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
    finally:
        page.close()
