"""Real JupyterLab, as a learner meets it: open each chapter, run all, move every widget by keyboard.

For every chapter notebook listed in ``_toc.yml``: open it in JupyterLab (temporary copy of
``chapters/``; JupyterLab is loaded once and each chapter opened in it after the previous one is
closed and its kernel shut down, :func:`conftest.open_in_lab`; when ``test_lab_first_open.py`` runs too,
its tests of the chapter come just before and the run goes on from their open, unrun copy instead of
opening it again), clear stored outputs, run all cells through ``window.jupyterapp.commands``, wait
until every code cell has executed and the kernel is idle, then check the DOM:

- no "Error displaying widget", "model not found", traceback or stderr error anywhere;
- every widget-view output rendered a non-empty widget, and the chapter has at least the expected
  number of model widgets (live ``ipywidgets.Image`` views);
- for each model widget: focus its main slider handle, press arrow keys, and the figure's
  ``<img>`` (a blob URL) changes;
- control layout: every slider's track is at least ``MIN_TRACK_PX`` wide whatever its label, no
  label, dropdown text or toggle button is cut off (or outside its widget), slider readouts carry
  a unit when the control has one and ``aria-valuetext`` is the formatted value (no float noise such as ``0.7999999999999999``);
- citations read as author-year text in parentheses, without warning icons (``make lab``'s
  stylesheet, ``scripts/lab-custom/custom.css``), and no "official Jupyter news" toast;
- no uncaught JavaScript error in the page (one JupyterLab-internal error allowlisted).
"""

from __future__ import annotations

import re
import time

import pytest

from ketacourse_tools import chapter_format

from .conftest import REPO, LabRun, model_widgets_in, open_in_lab, toc_notebooks

pytestmark = pytest.mark.browser

NOTEBOOKS = toc_notebooks()
NOTEBOOK_BUDGET_S = 60
MIN_TRACK_PX = 200
SCREENSHOT_DIR = REPO / "_build" / "screenshots"  # for humans, not asserted
# Console messages from rendering the chapters' MyST markdown (unresolved terms, citations, roles).
MYST_CONSOLE = re.compile(r"target was not found|cross.?reference|\{term\}|\{cite|citation|glossary|unknown role",
                          re.I)
# Uncaught page errors in JupyterLab that are not ours (see README.md). Matched on message + stack.
ALLOWED_LAB_PAGE_ERRORS = [
    # JupyterLab 4.6.6 cell toolbar: checks whether a rendered markdown cell overlaps the toolbar
    # before the cell's node exists. Lab-internal; no effect on outputs or widgets.
    re.compile(r"reading 'node'\).*_markdownOverlapsToolbar", re.S),
]


def main_control_labels(notebook: str) -> dict[str, str]:
    """``{widget title: description of its main (scrub) control}`` for the chapter's model widgets,
    read from the stored outputs (the offline scrubber's data names its control), so no widget
    class has to be listed or introspected here."""
    import html
    import json

    found: dict[str, str] = {}
    for cell in chapter_format.load(REPO / notebook).cells:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/html", "")
            text = "".join(text) if isinstance(text, list) else text
            title = re.search(r'<strong class="kc-title">(.*?)</strong>', text, re.S)
            data = re.search(r'<script type="application/json" class="kc-data">(.*?)</script>', text, re.S)
            if title and data:
                label = json.loads(data.group(1)).get("label")
                if label:
                    found[html.unescape(title.group(1))] = label
    return found


# JavaScript helpers evaluated in the page ------------------------------------------------------
JS_NOTEBOOK_READY = """(nb) => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget;
  if (!w || !w.context || !w.context.path.endsWith(nb) || !w.sessionContext) return false;
  const s = w.sessionContext;
  return !!(w.context.isReady && s.session && s.session.kernel && s.kernelDisplayStatus === 'idle');
}"""

JS_ERROR_OUTPUTS = """() => {
  const w = window.jupyterapp.shell.currentWidget, found = [];
  w.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    for (let k = 0; k < c.model.outputs.length; k++) {
      const o = c.model.outputs.get(k).toJSON();
      if (o.output_type === 'error') found.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  });
  return found;
}"""

# Done when the kernel is idle and every non-empty code cell has run, or as soon as a cell failed
# (JupyterLab then stops running the cells below it).
JS_ALL_EXECUTED = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (w.sessionContext.kernelDisplayStatus !== 'idle') return false;
  if ((""" + JS_ERROR_OUTPUTS + """)().length) return true;
  const cells = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  if (!cells.every(c => c.model.executionCount !== null)) return false;
  return ![...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')].some(p => p.textContent.includes('[*]'));
}"""

JS_MODEL_WIDGET_OUTPUTS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  let n = 0;
  for (const c of w.content.widgets) {
    if (c.model.type !== 'code') continue;
    for (let i = 0; i < c.model.outputs.length; i++) {
      const d = c.model.outputs.get(i).data || {};
      if (d['application/vnd.jupyter.widget-view+json']) n++;
    }
  }
  return n;
}"""

# Layout of every control in the live model widgets (views with class kc-widget).
JS_LAYOUT = """async () => {
  const out = [];
  const canvas = document.createElement('canvas').getContext('2d');
  for (const v of document.querySelectorAll('.jp-Notebook .kc-widget')) {
    v.scrollIntoView({block: 'center'});
    await new Promise(r => setTimeout(r, 60));
    const title = (v.querySelector('.widget-html b') || {}).textContent || '';
    for (const s of v.querySelectorAll('.widget-slider')) {
      const label = s.querySelector('.widget-label'), track = s.querySelector('.slider-container');
      const readout = s.querySelector('.widget-readout'), handle = s.querySelector('.noUi-handle');
      const after = readout ? getComputedStyle(readout, '::after').content : '';
      out.push({kind: 'slider', title, label: label ? label.textContent : '',
                track: track ? track.getBoundingClientRect().width : 0,
                labelCut: label ? label.scrollWidth > label.clientWidth + 1 : false,
                unitClass: [...s.classList].some(c => c.startsWith('kc-unit=')),
                readout: readout ? readout.textContent : '', after,
                aria: handle ? handle.getAttribute('aria-valuetext') : null});
    }
    for (const d of v.querySelectorAll('.widget-dropdown')) {
      const sel = d.querySelector('select'), label = d.querySelector('.widget-label');
      const cs = getComputedStyle(sel);
      canvas.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const text = sel.options[sel.selectedIndex] ? sel.options[sel.selectedIndex].text : '';
      // the arrow and padding take about 32 px of the box
      out.push({kind: 'dropdown', title, label: label ? label.textContent : '', text,
                room: sel.getBoundingClientRect().width - 32, need: canvas.measureText(text).width,
                labelCut: label ? label.scrollWidth > label.clientWidth + 1 : false});
    }
    // toggle buttons: the whole label inside the button, the button inside the widget
    const box = v.getBoundingClientRect();
    for (const b of v.querySelectorAll('.widget-toggle-button')) {
      const r = b.getBoundingClientRect();
      out.push({kind: 'button', title, label: b.textContent.trim(),
                labelCut: b.scrollWidth > b.clientWidth + 1 || r.width < 1 || r.left < box.left - 1 || r.right > box.right + 1});
    }
  }
  return out;
}"""

# A widget-view output: the output area's child is the widget's own element (class jupyter-widgets).
WIDGET_OUT = ".jp-Notebook .jp-OutputArea-output:has(> .jupyter-widgets)"


# The page shows chapter ``nb`` (its server copy), loaded: test_lab_first_open.py opened it there, not run,
# just before (conftest.pytest_collection_modifyitems puts a chapter's first-open tests right before its run
# here), and the run goes on from that open instead of closing the chapter and opening it a second time.
JS_SHOWS = """(nb) => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget;
  return !!(w && w.context && w.context.path === nb && w.context.isReady && w.content.widgets.length);
}"""


def _open_and_run(page, lab_server, nb: str) -> float:
    t0 = time.perf_counter()
    if not (page.url.startswith(lab_server.url) and page.evaluate(JS_SHOWS, nb)):
        open_in_lab(page, lab_server, nb)
    try:
        page.wait_for_function(JS_NOTEBOOK_READY, arg=nb.rsplit("/", 1)[-1], timeout=45_000, polling=250)
    except Exception:
        pytest.fail(f"{nb}: the notebook or its kernel did not become ready in JupyterLab.\n"
                    f"Server log:\n{lab_server.tail()}", pytrace=False)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    # no pause needed here: the outputs were just cleared, which resets every execution count, so
    # JS_ALL_EXECUTED cannot hold before the Run All has executed every cell
    try:
        page.wait_for_function(JS_ALL_EXECUTED, timeout=50_000, polling=250)
    except Exception:
        pytest.fail(f"{nb}: not every cell executed (kernel busy or a cell failed to run) within 50 s.",
                    pytrace=False)
    errors = page.evaluate(JS_ERROR_OUTPUTS)
    assert not errors, f"{nb}: cells raised errors in JupyterLab:\n" + "\n".join(errors)
    return time.perf_counter() - t0


# An empty list would make pytest *skip* the test; a sentinel makes it fail instead.
@pytest.mark.parametrize("nb", NOTEBOOKS or [pytest.param(None, id="no-chapter-notebooks")])
def test_chapter_runs_and_widgets_respond_in_jupyterlab(nb, lab_server, lab_context, lab_runs, lab_page_slot):
    assert nb, "no chapter notebook listed in _toc.yml exists"
    page = lab_page_slot.pop() if lab_page_slot else lab_context.new_page()
    page_errors: list[str] = []
    console: list[tuple[str, str]] = []

    def on_error(e):
        page_errors.append(f"{e.message}\n{e.stack or ''}")

    def on_console(m):
        if m.type in ("error", "warning"):
            console.append((m.type, m.text))

    page.on("pageerror", on_error)
    page.on("console", on_console)
    t_start = time.perf_counter()  # the chapter is opened (open_in_lab) from here
    kept = passed = False
    try:
        run_s = _open_and_run(page, lab_server, nb)
        # let widget views finish rendering (they render after their comm messages arrive; on a busy
        # machine that takes a while): every widget-view output of the notebook model rendered
        expected = page.evaluate(JS_MODEL_WIDGET_OUTPUTS)
        try:
            page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length >= n",
                                   arg=[WIDGET_OUT, expected], timeout=30_000, polling=100)
        except Exception:  # step 2 below reports the counts
            pass

        # 1. No error anywhere in the notebook
        # textContent, not innerText: JupyterLab skips rendering off-screen cells (content-visibility)
        text = page.locator(".jp-Notebook").text_content()
        for needle in ("Error displaying widget", "model not found"):
            assert needle not in text, f"{nb}: {needle!r} in the notebook:\n{_context(text, needle)}"
        outputs = page.locator(".jp-Notebook .jp-OutputArea").all_text_contents()
        tb = [o for o in outputs if "Traceback" in o]
        assert not tb, f"{nb}: a traceback in the outputs:\n{tb[0][:2000]}"
        stderr = [s for s in page.locator(
            '.jp-Notebook .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]').all_text_contents()
            if "Error" in s]
        assert not stderr, f"{nb}: an error on stderr:\n{stderr[0][:2000]}"

        # 2. Every widget-view output rendered a non-empty widget (waited for above); enough model widgets
        rendered = page.locator(WIDGET_OUT)
        assert rendered.count() == expected, (
            f"{nb}: {expected} widget outputs in the notebook model but {rendered.count()} rendered")
        empty = page.evaluate(f"""() => [...document.querySelectorAll('{WIDGET_OUT}')]
            .filter(o => !o.textContent.trim() && !o.querySelector('img, canvas, svg')).length""")
        assert empty == 0, f"{nb}: {empty} widget output(s) rendered empty"
        views = page.locator(f"{WIDGET_OUT}:has(img.widget-image)")
        n_views = views.count()
        need = len(model_widgets_in(nb))  # one per widget construction in the chapter's code cells
        assert n_views >= need, f"{nb}: {n_views} live model widgets (figure images), expected at least {need}"

        # 3. Control layout: usable tracks, nothing cut, units, clean aria-valuetext
        layout = page.evaluate(JS_LAYOUT)
        assert any(c["kind"] == "slider" for c in layout) or n_views == 0, f"{nb}: no slider measured"
        bad = []
        for c in layout:
            where = f"{c['title']!r} / {c['label']!r}"
            if c["labelCut"]:
                bad.append(f"{where}: label cut off")
            if c["kind"] == "button":  # toggle buttons: fully visible (checked above), nothing more
                continue
            if c["kind"] == "dropdown":
                if c["need"] > c["room"]:
                    bad.append(f"{where}: dropdown text {c['text']!r} needs {c['need']:.0f} px, has {c['room']:.0f}")
                continue
            if c["track"] < MIN_TRACK_PX:
                bad.append(f"{where}: slider track {c['track']:.0f} px (at least {MIN_TRACK_PX})")
            if c["unitClass"] and c["after"] in ("none", "normal", ""):
                bad.append(f"{where}: readout {c['readout']!r} shows no unit")
            aria = c["aria"] or ""
            if re.search(r"\d\.\d{5,}", aria) or not aria.startswith(c["readout"].strip()):
                bad.append(f"{where}: aria-valuetext {aria!r} (readout {c['readout']!r})")
        assert not bad, f"{nb}: control layout:\n" + "\n".join(bad)
        tracks = [c["track"] for c in layout if c["kind"] == "slider"]
        print(f"\n{nb}: {len(tracks)} sliders, narrowest track {min(tracks, default=0):.0f} px; "
              f"e.g. {[(c['label'], c['readout'], c['aria']) for c in layout if c['kind'] == 'slider'][:3]}")
        if SCREENSHOT_DIR:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.locator(".jp-Notebook .kc-widget").first.screenshot(path=str(SCREENSHOT_DIR / f"lab-{nb.rsplit('/', 1)[-1]}.png"))
        # Citations (jupyterlab-myst cannot read the .bib): plain author-year keys in parentheses,
        # no warning icons (scripts/lab-custom/custom.css)
        cites = page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .cite-group')].map(g => ({
            text: g.textContent, icons: [...g.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().width > 0).length,
            before: getComputedStyle(g, '::before').content, paren: g.classList.contains('parenthetical')}))""")
        bad_cites = [c for c in cites if c["icons"] or (c["paren"] and c["before"] != '"("')]
        assert not bad_cites, f"{nb}: citations not shown as author-year text: {bad_cites[:3]}"
        # Glossary terms (jupyterlab-myst resolves references within the notebook): each {term}
        # links to the chapter's JupyterLab-only glossary cell (ketacourse_tools.lab_glossary), and
        # rendering logs no unresolved-reference messages
        terms = page.evaluate("""() => { const ids = new Set([...document.querySelectorAll('.jp-Notebook [id^="term-"]')]
              .map(e => e.id));
            const links = [...document.querySelectorAll('.jp-Notebook a[href^="#term-"]')].map(a => a.getAttribute('href').slice(1));
            return {defined: ids.size, links: links.length, dangling: links.filter(h => !ids.has(h))}; }""")
        assert not terms["dangling"], f"{nb}: term links to no definition: {terms['dangling'][:5]}"
        myst_console = [t for kind, t in console if MYST_CONSOLE.search(t)]
        assert not myst_console, f"{nb}: MyST rendering messages in the console: {myst_console[:3]}"
        toast = page.locator(".Toastify__toast", has_text="Jupyter news")
        assert toast.count() == 0, f"{nb}: the 'official Jupyter news' toast is shown"

        # 4. Each model widget: keyboard on its main slider changes the figure
        labels = main_control_labels(nb)
        failures, moved = [], []
        for i in range(n_views):
            failures += _move_and_check(page, views.nth(i), labels, i, moved)
        assert not failures, f"{nb}:\n" + "\n".join(failures)
        elapsed = time.perf_counter() - t_start
        print(f"\n{nb}: opened + ran in {run_s:.1f} s; {n_views} widgets moved ({'; '.join(moved)}); "
              f"{elapsed:.1f} s in all")
        print(f"{nb}: {terms['links']} term links to {terms['defined']} glossary entries in the notebook; "
              f"console errors/warnings: {len(console)}" + "".join(f"\n  {k}: {t[:160]}" for k, t in console[:8]))
        unexpected = [e for e in page_errors if not any(rx.search(e) for rx in ALLOWED_LAB_PAGE_ERRORS)]
        assert not unexpected, f"{nb}: uncaught JavaScript error(s) in JupyterLab:\n" + "\n\n".join(unexpected)
        assert elapsed < NOTEBOOK_BUDGET_S * 1.5, f"{nb}: took {elapsed:.0f} s (budget {NOTEBOOK_BUDGET_S} s)"
        # a later test checks more on this run (e.g. test_lab_quiet_a11y.py): hand the page over
        kept = lab_runs.keep(LabRun(nb, page, run_s))
        passed = True
    finally:
        page.remove_listener("pageerror", on_error)
        page.remove_listener("console", on_console)
        if passed and not kept:
            lab_page_slot.append(page)  # the next chapter opens in this JupyterLab
        elif not kept:
            page.close()


def _context(text: str, needle: str, width: int = 300) -> str:
    i = text.find(needle)
    return text[max(0, i - width): i + width]


def _move_and_check(page, view, labels: dict[str, str], index: int, moved: list[str]) -> list[str]:
    """Focus the main slider handle of one widget view, press keys, expect a new figure image."""
    view.scroll_into_view_if_needed()
    title = (view.locator(".widget-html b").first.text_content() or "").strip() if view.locator(".widget-html b").count() else ""
    sliders = view.locator(".widget-slider")
    if sliders.count() == 0:  # a widget driven only by menus (e.g. a forest plot): use its first dropdown
        return _move_dropdown_and_check(page, view, title, index, moved)
    main = labels.get(title)
    chosen = sliders.first
    if main:
        named = sliders.filter(has=page.locator(".widget-label", has_text=main))
        if named.count():
            chosen = named.first
    label = (chosen.locator(".widget-label").first.text_content() or "").strip()
    handle = chosen.locator(".noUi-handle").first
    img = view.locator("img.widget-image").first
    before = img.get_attribute("src")
    readout_before = chosen.locator(".widget-readout").first.text_content()
    for keys in (["ArrowRight"] * 3, ["ArrowLeft"] * 6, ["PageUp"]):
        handle.focus()
        for k in keys:
            page.keyboard.press(k)
            page.wait_for_timeout(50)
        try:
            page.wait_for_function("([el, src]) => el.getAttribute('src') !== src",
                                   arg=[img.element_handle(), before], timeout=8_000, polling=100)
            moved.append(label)
            return []
        except Exception:
            continue
    readout_after = chosen.locator(".widget-readout").first.text_content()
    return [f"widget {index} ({title!r}): the image did not change after keyboard moves of {label!r} "
            f"(readout {readout_before!r} -> {readout_after!r})"]


def _move_dropdown_and_check(page, view, title: str, index: int, moved: list[str]) -> list[str]:
    """Focus the first dropdown of a widget view, step its choice by keyboard, expect a new figure image."""
    selects = view.locator("select")
    if selects.count() == 0:
        return [f"widget {index} ({title!r}): no slider or dropdown found"]
    select = selects.first
    img = view.locator("img.widget-image").first
    before = img.get_attribute("src")
    n_options = select.locator("option").count()
    moves = [lambda: page.keyboard.press("ArrowDown"), lambda: page.keyboard.press("ArrowUp"),
             lambda: select.select_option(index=(n_options - 1))]  # last resort: choose as with the mouse
    for move in moves:
        select.focus()
        move()
        try:
            page.wait_for_function("([el, src]) => el.getAttribute('src') !== src",
                                   arg=[img.element_handle(), before], timeout=8_000, polling=100)
            moved.append("dropdown")
            return []
        except Exception:
            continue
    return [f"widget {index} ({title!r}): the image did not change after keyboard moves of its first dropdown"]
