"""End-to-end latency in a real JupyterLab: key press on a slider to the new figure on screen.

Run:  .venv/bin/python benchmarks/bench_browser.py [--moves 30] [--jumps 10] [--settle-ms 250] [--json PATH]
                                                    [--only ReceptorExplorer,IVExplorer] [--cold]
                                                    [--baseline] [--update-docs] [--strict] [--from-json PATH]

Starts JupyterLab (``tests/browser/lab_server.py``, as the browser tests do: temporary copy of
``chapters/``, fresh settings) and headless Chromium, writes a benchmark notebook with every widget
of the registry (``ketacourse.widgets.registry()``), runs it, then for each widget measures on its
main slider handle:

(a) stepping: ArrowRight (ArrowLeft at the end of the slider) ``--moves`` times with a settle time
    between presses; the live figure's page-side cache holds the neighbouring positions that the
    kernel prefetched (``ketacourse.widgets.live_view``). The target is judged on this.
(b) jumping where the page has nothing: End and Home in turn ``--jumps`` times, the page's cache
    emptied before each press (``LiveFigure.forget()``), so the figure comes from the kernel (from its
    image cache when it drew that position before): the kernel round trip, measured in the same run.

Per press, in the page (``performance.now()``):

- ``sent``: key press to the first websocket message to the kernel (the slider's update);
- ``received``: to the largest message from the kernel (an image), if one came before the swap;
- ``src``: to the figure's ``<img src>`` change;
- ``shown``: to the new image decoded (``img.decode()``): the figure the learner sees;
- ``local``: the page answered from its own cache (``data-kc-answer="page"``, swap before any
  message from the kernel);
- ``swaps``: how many times the image changed per key press (1 = no double redraw);
- the PNG size, and in the kernel the wall and CPU time of each update.

``--cold`` turns the widgets' image cache off (every position the kernel answers is drawn); by
default a position drawn before, or precomputed for the book's scrubber, comes from the cache, as it
does for a learner. ``--baseline`` also measures the re-create pattern (``interactive`` whose callback
builds a new figure and ``plt.show()``s it) on the same slider. ``KC_BENCH_DEBUG=1`` prints each press.

Target (GUIDE.md): median ``shown`` of (a) <= 50 ms for every widget. ``--strict`` exits 1 if one
misses it. ``--update-docs`` writes the table into docs/benchmarks.md and README.md between the
``<!-- bench_browser:begin -->`` / ``<!-- bench_browser:end -->`` markers (``--cold``:
``bench_browser_cold``): those tables are this script's output, never edited by hand.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 50.0


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


sys.path.insert(0, str(REPO / "tests"))
from browser import lab_server as lab  # noqa: E402  (tests/browser/lab_server.py: JupyterLab + Chromium)

bench_widgets = _load(REPO / "benchmarks" / "bench_widgets.py", "_kc_bench_widgets")

SETUP = """\
%matplotlib inline
import matplotlib as mpl, matplotlib.pyplot as plt, ipywidgets as W, importlib
from ketacourse.widgets.style import RC

import json, time
_kc_times = {}

def timed(w):
    '''Record the Python side of each update (model, redraw, PNG; ms) for the benchmark.'''
    runs = _kc_times.setdefault(id(w), [])
    refresh = w.refresh
    def wrapped():
        t0, c0 = time.perf_counter(), time.thread_time()
        refresh()
        runs.append(((time.perf_counter() - t0) * 1e3, (time.thread_time() - c0) * 1e3))
    w.refresh = wrapped
    return w

SLIDERS = (W.FloatSlider, W.IntSlider, W.FloatLogSlider, W.SelectionSlider)

def main_slider(cls, controls):
    '''The scrub control if it is a slider, else the first slider.'''
    sliders = [k for k, c in controls.items() if isinstance(c, SLIDERS)]
    return cls.scrub.control if cls.scrub.control in sliders else sliders[0]

def baseline(cls):
    '''The re-create pattern: interactive() whose callback builds a new figure and plt.show()s it.'''
    w = cls()
    name = main_slider(cls, w.controls)
    src = w.controls[name]
    kw = dict(value=src.value, description=src.description, continuous_update=True,
              style={'description_width': 'initial'}, layout=W.Layout(width='40em'))
    if isinstance(src, W.SelectionSlider):
        kw['options'] = src.options
    else:
        kw.update(min=src.min, max=src.max, step=src.step)
    if isinstance(src, W.FloatLogSlider):
        kw['base'] = src.base
    ctrl = type(src)(**kw)
    if hasattr(src, 'readout_format'):
        ctrl.readout_format = src.readout_format
    def draw(**value):
        with mpl.rc_context(RC):
            fig = plt.figure(figsize=cls.figsize, dpi=96, layout='constrained')
            w._build_figure(fig)
            for a in fig.findobj():
                a.set_animated(False)
            w._update(**{**w.params, **value})
            plt.show()
    ui = W.interactive(draw, **{name: ctrl})
    ui.add_class('kc-baseline')
    return ui
"""


def write_notebook(path: Path, classes: list[type], *, cold: bool, baseline: bool) -> None:
    setup = SETUP + ("\nfrom ketacourse.widgets import ModelWidget\nModelWidget.image_cache_size = 0\n" if cold else "")
    cells = [nbformat.v4.new_code_cell(setup)]
    for k, cls in enumerate(classes):
        cells.append(nbformat.v4.new_code_cell(
            f"_w{k} = timed(importlib.import_module({cls.__module__!r}).{cls.__name__}())\n_w{k}"))
        if baseline:
            cells.append(nbformat.v4.new_code_cell(
                f"baseline(importlib.import_module({cls.__module__!r}).{cls.__name__})"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


# Installed before the page loads: records websocket traffic and key presses with performance.now().
INIT_JS = """
(() => {
  window.__kc = {ws: [], key: 0};
  addEventListener('keydown', () => { window.__kc.key = performance.now(); }, true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (d) {
    window.__kc.ws.push({dir: 'out', t: performance.now(), n: d.byteLength || d.size || d.length || 0});
    return send.call(this, d);
  };
  const add = WebSocket.prototype.addEventListener;
  const rec = e => { const d = e.data; window.__kc.ws.push({dir: 'in', t: performance.now(),
      n: d.byteLength || d.size || d.length || 0}); };
  WebSocket.prototype.addEventListener = function (type, fn, opts) {
    if (type === 'message' && !this.__kcHooked) { this.__kcHooked = true; add.call(this, 'message', rec); }
    return add.call(this, type, fn, opts);
  };
  const desc = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    set(fn) { if (!this.__kcHooked) { this.__kcHooked = true; add.call(this, 'message', rec); } desc.set.call(this, fn); },
    get() { return desc.get.call(this); }, configurable: true});
})();
"""

# Arm a watcher on box k (live widget: its figure <img>; baseline: its Output area), then the key
# press happens from Python; the promise resolves with the timings of that press.
JS_ARM = """([sel, k, baseline]) => {
  const box = document.querySelectorAll(sel)[k];
  window.__kc.ws = [];
  window.__kc.swaps = 0;
  window.__kc.answer = '';
  window.__kc.done = new Promise(resolve => {
    const finish = async (img) => {
      const src = performance.now();
      window.__kc.answer = img.dataset.kcAnswer || '';
      try { await img.decode(); } catch (e) {}
      const shown = performance.now();
      resolve({src, shown});
    };
    if (!baseline) {
      const img = box.querySelector('img.widget-image');
      const obs = new MutationObserver(() => { window.__kc.swaps++; if (window.__kc.swaps === 1) finish(img); });
      obs.observe(img, {attributes: true, attributeFilter: ['src']});
      window.__kc.stop = () => obs.disconnect();
    } else {
      const out = box.querySelector('.widget-output');
      const old = new Set(out.querySelectorAll('img'));
      const obs = new MutationObserver(() => {
        const fresh = [...out.querySelectorAll('img')].filter(m => !old.has(m));
        if (fresh.length) { fresh.forEach(m => old.add(m)); window.__kc.swaps++; if (window.__kc.swaps === 1) finish(fresh[0]); }
      });
      obs.observe(out, {childList: true, subtree: true});
      window.__kc.stop = () => obs.disconnect();
    }
  });
}"""

# Python-side update times recorded in the kernel by timed() (one list per live widget)
JS_PY_TIMES = """async (k) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const fut = kernel.requestExecute({code: `print(json.dumps(_kc_times[id(_w${k})]))`, silent: false, store_history: false});
  let text = '';
  fut.onIOPub = msg => { if (msg.header.msg_type === 'stream') text += msg.content.text; };
  await fut.done;
  return JSON.parse(text);
}"""

JS_COLLECT = """async () => {
  const r = await window.__kc.done;
  const k = window.__kc.key, ws = window.__kc.ws;
  const out = ws.find(m => m.dir === 'out' && m.t >= k);
  const ins = ws.filter(m => m.dir === 'in' && m.t >= k && m.t <= r.src + 1);
  const big = ins.reduce((a, m) => (!a || m.n > a.n) ? m : a, null);
  const first = ws.find(m => m.dir === 'in' && m.t >= k);
  return {sent: out ? out.t - k : null, received: big && big.n > 4096 ? big.t - k : null,
          bytes: big && big.n > 4096 ? big.n : null, src: r.src - k, shown: r.shown - k,
          local: window.__kc.answer === 'page' && (!first || first.t > r.src)};
}"""

JS_HANDLE_STATE = """(h) => ({now: +h.getAttribute('aria-valuenow'), min: +h.getAttribute('aria-valuemin'),
                               max: +h.getAttribute('aria-valuemax')})"""

JS_IDLE = """() => { const w = window.jupyterapp.shell.currentWidget;
  return w.sessionContext.kernelDisplayStatus === 'idle'; }"""


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    i = (len(s) - 1) * q
    lo, hi = int(i), min(int(i) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (i - lo)


def summary(rows: list[dict], key: str) -> dict:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return {"median": statistics.median(vals) if vals else float("nan"), "p90": pct(vals, 0.9), "n": len(vals)}


JS_FORGET = """async (k) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const fut = kernel.requestExecute({code: `_w${k}.image.forget()`, silent: true, store_history: false});
  await fut.done;
}"""


def measure(page, sel: str, k: int, label: str, moves: int, settle_ms: int, baseline: bool,
            jump: bool = False) -> list[dict]:
    """Press keys on widget ``k``'s slider ``label``, one at a time, and time each new figure.

    ``jump=False``: ArrowRight (ArrowLeft from the end), the neighbours prefetched as a learner
    steps. ``jump=True``: End and Home in turn, the page's frame cache emptied before each press
    (``LiveFigure.forget``), so every figure comes from the kernel (its image cache is on).
    """
    box = page.locator(sel).nth(k)
    box.scroll_into_view_if_needed()
    sliders = box.locator(".widget-slider")
    named = sliders.filter(has=page.locator(".widget-label", has_text=label))
    slider = named.first if named.count() else sliders.first
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    key = "ArrowRight"
    rows = []
    for _ in range(moves):
        state = handle.evaluate(JS_HANDLE_STATE)
        if jump:
            key = "Home" if state["now"] >= state["max"] - 1e-9 else "End"
            page.evaluate(JS_FORGET, k)
            page.wait_for_timeout(100)
            handle.focus()
        elif key == "ArrowRight" and state["now"] >= state["max"] - 1e-9:
            key = "ArrowLeft"
        elif key == "ArrowLeft" and state["now"] <= state["min"] + 1e-9:
            key = "ArrowRight"
        page.evaluate(JS_ARM, [sel, k, baseline])
        page.keyboard.press(key)
        try:
            row = page.evaluate(f"() => Promise.race([({JS_COLLECT})(), new Promise(r => setTimeout(() => r(null), 5000))])")
        except Exception:
            row = None
        page.wait_for_timeout(settle_ms)
        try:
            page.wait_for_function(JS_IDLE, timeout=10_000, polling=50)
        except Exception:
            pass
        swaps = page.evaluate("() => { window.__kc.stop(); return window.__kc.swaps; }")
        rows.append({**(row or {"timeout": True}), "swaps": swaps})
        if os.environ.get("KC_BENCH_DEBUG"):
            print(key, rows[-1], page.evaluate("(el) => ({...el.dataset})",
                                                box.locator("img.widget-image").element_handle()), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--settle-ms", type=int, default=250)
    ap.add_argument("--jumps", type=int, default=10, help="End/Home presses to positions the page has not cached")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--only", default="", help="comma-separated class names")
    ap.add_argument("--cold", action="store_true", help="image cache off: every position drawn")
    ap.add_argument("--baseline", action="store_true", help="also measure the re-create pattern")
    ap.add_argument("--update-docs", action="store_true", help="write the table into docs/benchmarks.md and README.md")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--from-json", type=Path, help="no run: print (and with --update-docs write) the table of a "
                                                   "run saved with --json")
    args = ap.parse_args(argv)
    if args.from_json:
        report = json.loads(args.from_json.read_text(encoding="utf-8"))
        block = markdown(report)
        print(block)
        if args.update_docs:
            for path in bench_widgets.update_docs(block, "bench_browser_cold" if report["cold"] else "bench_browser"):
                print(f"updated {path.relative_to(REPO)}")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop JupyterLab (finally below)

    classes = bench_widgets.widget_classes(args.only)
    import ipywidgets as W
    from playwright.sync_api import sync_playwright

    load_start = os.getloadavg()[0]
    per_widget = 2 if args.baseline else 1
    run_timeout_ms = max(120_000, 15_000 * len(classes))  # the notebook builds every widget (twice with --baseline)
    results = []
    with tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
        proc, server = lab.start_lab(Path(tmp))
        try:
            nb_rel = "chapters/_bench_latency.ipynb"
            write_notebook(server.root / nb_rel, classes, cold=args.cold, baseline=args.baseline)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=lab.chromium_path(), args=lab.CHROMIUM_ARGS,
                                            headless=True)
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                ctx.add_init_script(INIT_JS)
                page = ctx.new_page()
                page.goto(f"{server.url}lab/tree/{nb_rel}?reset&token={server.token}", wait_until="domcontentloaded")
                page.wait_for_function("""() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                    return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel
                              && w.sessionContext.kernelDisplayStatus === 'idle'); }""", timeout=60_000, polling=250)
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
                page.wait_for_timeout(500)
                page.wait_for_function("""() => { const w = window.jupyterapp.shell.currentWidget;
                    return w.sessionContext.kernelDisplayStatus === 'idle' && w.content.widgets.every(
                      c => c.model.type !== 'code' || c.model.executionCount !== null); }""", timeout=run_timeout_ms, polling=250)
                errors = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets.flatMap(c =>
                    c.model.type !== 'code' ? [] : [...Array(c.model.outputs.length).keys()].map(i => c.model.outputs.get(i).toJSON())
                      .filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue))""")
                if errors:
                    raise RuntimeError("the benchmark notebook failed: " + "; ".join(errors))
                for k in range(len(classes)):  # JupyterLab renders outputs near the viewport only
                    page.evaluate(f"() => window.jupyterapp.shell.currentWidget.content.widgets[{per_widget * k + per_widget}]"
                                  ".node.scrollIntoView()")
                    page.wait_for_timeout(150)
                page.wait_for_function(f"""() => document.querySelectorAll('.kc-widget img.widget-image').length >= {len(classes)}
                    && document.querySelectorAll('.kc-baseline .widget-output img').length >= {len(classes) if args.baseline else 0}
                    && window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus === 'idle'""",
                                       timeout=run_timeout_ms, polling=250)
                page.wait_for_timeout(3000)  # background precomputes (RouteLogistics) finish, as while a learner reads
                for k, cls in enumerate(classes):
                    controls = cls().controls  # some widgets build their controls from their data
                    sliders = [n for n, c in controls.items()
                               if isinstance(c, (W.FloatSlider, W.IntSlider, W.FloatLogSlider, W.SelectionSlider))]
                    control = cls.scrub.control if cls.scrub.control in sliders else sliders[0]
                    label = controls[control].description
                    live = measure(page, ".jp-Notebook .kc-widget", k, label, args.moves, args.settle_ms, False)
                    py = page.evaluate(JS_PY_TIMES, k)[-args.moves:]
                    py_ms, py_cpu = [t[0] for t in py], [t[1] for t in py]
                    jumps = measure(page, ".jp-Notebook .kc-widget", k, label, args.jumps, args.settle_ms, False,
                                    jump=True) if args.jumps else []
                    res = {"widget": cls.__name__, "control": control,
                           **{f"live_{key}": summary(live, key) for key in ("sent", "received", "src", "shown")},
                           "live_local": sum(1 for r in live if r.get("local")) / max(1, len(live)),
                           **{f"jump_{key}": summary(jumps, key) for key in ("received", "shown")},
                           "jump_local": sum(1 for r in jumps if r.get("local")) / max(1, len(jumps)),
                           "python_update": {"median": statistics.median(py_ms) if py_ms else float("nan"),
                                             "p90": pct(py_ms, 0.9), "n": len(py_ms)},
                           "python_update_cpu": {"median": statistics.median(py_cpu) if py_cpu else float("nan"),
                                                 "p90": pct(py_cpu, 0.9), "n": len(py_cpu)},
                           "live_png_bytes": statistics.median([r["bytes"] for r in live + jumps if r.get("bytes")] or [0]),
                           "live_swaps_per_move": sum(r["swaps"] for r in live) / len(live),
                           "timeouts": sum(1 for r in live if r.get("timeout"))}
                    if args.baseline:
                        base = measure(page, ".jp-Notebook .kc-baseline", k, label, args.moves, args.settle_ms, True)
                        res.update({f"base_{key}": summary(base, key) for key in ("src", "shown")})
                    res["pass"] = res["live_shown"]["median"] <= TARGET_MS
                    results.append(res)
                    print(f"{cls.__name__:24s} shown {res['live_shown']['median']:6.1f} ms (p90 "
                          f"{res['live_shown']['p90']:6.1f}; {res['live_local']:.0%} from the page's cache)  "
                          f"jump {res['jump_shown']['median']:6.1f} ms  [kernel {res['python_update']['median']:.1f} (cpu "
                          f"{res['python_update_cpu']['median']:.1f}), sent {res['live_sent']['median']:.1f}, "
                          f"image in {res['live_received']['median']:.1f}, src {res['live_src']['median']:.1f} ms; "
                          f"PNG {res['live_png_bytes'] / 1024:.0f} KiB; {res['live_swaps_per_move']:.2f} swaps/move]"
                          + (f"  baseline {res['base_shown']['median']:.1f} ms" if args.baseline else "")
                          + f"  {'PASS' if res['pass'] else 'FAIL'}", flush=True)
                browser.close()
        finally:
            lab.stop_group(proc)

    load_end = os.getloadavg()[0]
    command = "python benchmarks/bench_browser.py " + " ".join(a for a in (argv if argv is not None else sys.argv[1:])
                                                              if a != "--update-docs")
    report = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "machine": bench_widgets.machine(), "command": command.strip(), "moves": args.moves,
              "settle_ms": args.settle_ms, "cold": args.cold, "target_ms": TARGET_MS, "load_start": load_start,
              "load_end": load_end, "results": results}
    block = markdown(report)
    print()
    print(block)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if args.update_docs:
        for path in bench_widgets.update_docs(block, "bench_browser_cold" if args.cold else "bench_browser"):
            print(f"updated {path.relative_to(REPO)}")
    return 1 if args.strict and not all(r["pass"] for r in results) else 0


def _ms(stat: dict | None) -> str:
    if not stat or not stat.get("n"):
        return "n/a"
    return f"{stat['median']:.1f} ({stat['p90']:.1f})"


def markdown(report: dict) -> str:
    """The results as the Markdown block that docs/benchmarks.md and README.md show."""
    m = report["machine"]
    base = any("base_shown" in r for r in report["results"])
    lines = [f"End to end, {report['date'][:10]}: `{report['command']}`; JupyterLab and headless Chromium on "
             f"{m['nproc']} CPUs ({m['cpu']}); image cache {'off (every position drawn)' if report['cold'] else 'on'}; "
             f"1-minute load average {report['load_start']:.1f} at the start and {report['load_end']:.1f} at the end.", "",
             "| widget | slider | (a) arrow key, neighbours prefetched: median (p90) ms | answered in the page "
             "| (b) jump (End/Home), not in the page: median (p90) ms | kernel update ms (CPU) | PNG KiB "
             + ("| re-create baseline ms " if base else "") + f"| (a) ≤ {report['target_ms']:g} ms |",
             "|---|---|---|---|---|---|---|" + ("---|" if base else "") + "---|"]
    for r in report["results"]:
        row = (f"| {r['widget']} | {r['control']} | {_ms(r['live_shown'])} | {r.get('live_local', 0):.0%} "
               f"| {_ms(r.get('jump_shown'))} "
               f"| {r['python_update']['median']:.1f} ({r['python_update_cpu']['median']:.1f}) "
               f"| {r['live_png_bytes'] / 1024:.0f} ")
        if base:
            row += f"| {r['base_shown']['median']:.1f} "
        lines.append(row + f"| {'yes' if r['pass'] else '**no**'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
