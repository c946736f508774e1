"""Python-side benchmark of the course widgets: what the kernel does between a move and the new image.

Run:  .venv/bin/python benchmarks/bench_widgets.py [--repeats 30] [--only A,B] [--json PATH]
                                                     [--update-docs] [--baseline] [--notebooks]
                                                     [--blas-threads N] [--strict] [--from-json PATH]
      .venv/bin/python benchmarks/bench_widgets.py --static [--static-repeats 1] [--only A,B] [--json PATH]

Every widget of the registry (``ketacourse.widgets.registry()``), no list to keep. For each: one
warm-up, then ``--repeats`` updates ``widget.set(<scrub control>=value)`` cycling over the values
of its offline scrubber, timed twice:

- **first visit**: the widget's image cache cleared before each update, so the model runs, the
  animated artists are drawn over the cached background and the PNG is encoded (what a learner
  meets on a position not seen before);
- **revisit**: the same positions again with the cache kept (what a learner meets coming back).

Wall clock and this thread's CPU time (less sensitive to other processes on a shared machine).
``--baseline`` also times ``recreate_png`` (a brand-new figure per move, what a naive widget does).
``--notebooks`` also times executing every chapter notebook of ``_toc.yml``.

The learner's target is end to end: key press to new figure <= 50 ms median in JupyterLab for every
widget (``benchmarks/bench_browser.py``). About half of that goes to the websocket, the browser's
image swap and PNG decoding, so the Python side has a budget of 25 ms (median, first visit) here.

``--static`` times instead what every *display* of a widget costs (a learner running its cell, nbval,
the book build): ``static_html()``, the stored figure with the offline scrubber's desktop and phone
frames, in this thread's CPU time, each repeat on a new widget (its construction and background
precompute not timed); the target is the registry's widgets together <= 25 CPU-s
(``STATIC_BUDGET_S``, issue 24). ``--update-docs`` writes that table between the
``<!-- bench_widgets_static:begin -->`` and ``<!-- bench_widgets_static:end -->`` markers.

``--update-docs`` writes the table into ``docs/benchmarks.md`` and ``README.md`` between the
``<!-- bench_widgets:begin -->`` and ``<!-- bench_widgets:end -->`` markers: the tables there are
this script's output, never edited by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGET_MS = 25.0  # Python side of the 50 ms key-press-to-figure target
STATIC_BUDGET_S = 25.0  # static_html of every registry widget together, CPU seconds (issue 24)
DOCS = [REPO / "docs" / "benchmarks.md", REPO / "README.md"]


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    import matplotlib
    import numpy
    import PIL

    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return {"blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"), "load_1min": load,
            "nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "numpy": numpy.__version__, "matplotlib": matplotlib.__version__,
            "pillow": PIL.__version__}


def widget_classes(only: str = "") -> list[type]:
    """The registry's widget classes in the order the book first builds them (``--only`` keeps the
    named ones); a widget no chapter builds comes last."""
    from ketacourse.widgets import registry

    classes = list(registry().values())
    if only:
        keep = set(only.split(","))
        classes = [c for c in classes if c.__name__ in keep]
    first: dict[str, tuple[int, int]] = {}
    try:
        for i, path in enumerate(toc_notebooks()):
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            for j, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
                for cls in classes:
                    if re.search(rf"\b{cls.__name__}\(", "".join(cell["source"])):
                        first.setdefault(cls.__name__, (i, j))
    except (OSError, ValueError, ImportError):  # no book here: registry order
        pass
    return sorted(classes, key=lambda c: first.get(c.__name__, (10**6, 0)))


def toc_notebooks() -> list[Path]:
    """The chapter notebooks of ``_toc.yml``, in book order (``ketacourse_tools.course``, its one reader)."""
    from ketacourse_tools import course

    return [c.path for c in course.chapters(REPO)]


def _stats(samples_ms: list[float]) -> dict:
    ms = sorted(samples_ms)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return {"median_ms": statistics.median(ms), "p90_ms": p90, "min_ms": ms[0], "max_ms": ms[-1], "n": len(ms)}


def bench_widget(cls: type, repeats: int, baseline: bool) -> dict:
    with _no_disk_cache():  # the figure drawn at construction, not its first frame read back
        w = cls()
    main = cls.scrub.control
    values = list(cls.scrub.values)
    cycle = [values[i % len(values)] for i in range(repeats)]
    if len(values) > 1 and cycle[0] == w.params[main]:  # make the first timed update a real change
        cycle = cycle[1:] + cycle[:1]
    if w.precompute_thread is not None:  # a learner meets the widget after its background precompute
        w.precompute_thread.join()
    w.set(**{main: values[-1]})  # warm-up (first draw, layout, background cache)
    png_bytes = []

    def timed(fn) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        return (time.perf_counter() - t0) * 1e3, (time.thread_time() - c0) * 1e3

    first, first_cpu, again, again_cpu, rec, rec_cpu = [], [], [], [], [], []
    for v in cycle:
        w.clear_image_cache()
        wall, cpu = timed(lambda v=v: w.set(**{main: v}))
        first.append(wall)
        first_cpu.append(cpu)
        png_bytes.append(len(w.png()))
    for v in cycle:  # every position drawn once more, then answered from the image cache
        w.set(**{main: v})
    for v in cycle:
        wall, cpu = timed(lambda v=v: w.set(**{main: v}))
        again.append(wall)
        again_cpu.append(cpu)
    if baseline:
        w.recreate_png(**{main: values[-1]})
        for v in cycle:
            wall, cpu = timed(lambda v=v: w.recreate_png(**{main: v}))
            rec.append(wall)
            rec_cpu.append(cpu)
    out = {"widget": cls.__name__, "module": cls.__module__, "control": main, "values": len(values),
           "first": {**_stats(first), "cpu_median_ms": statistics.median(first_cpu)},
           "revisit": {**_stats(again), "cpu_median_ms": statistics.median(again_cpu)},
           "png_kib": statistics.median(png_bytes) / 1024}
    if baseline:
        out["recreate"] = {**_stats(rec), "cpu_median_ms": statistics.median(rec_cpu)}
    out["pass"] = out["first"]["median_ms"] <= BUDGET_MS
    return out


@contextlib.contextmanager
def _no_disk_cache():
    """The disk cache off (``KETACOURSE_CACHE_DIR=off``) inside the block."""
    saved = os.environ.get("KETACOURSE_CACHE_DIR")
    os.environ["KETACOURSE_CACHE_DIR"] = "off"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("KETACOURSE_CACHE_DIR", None)
        else:
            os.environ["KETACOURSE_CACHE_DIR"] = saved


def bench_static(cls: type, repeats: int) -> dict:
    """CPU and wall time of ``static_html()`` (the stored figure and every scrubber frame) on
    ``repeats`` new widgets; the widget's construction and precompute are not timed."""
    cpu, wall = [], []
    html_kib = frames = phone_kib = 0.0
    for _ in range(repeats):
        with _no_disk_cache():  # drawn at construction (its first frame not read back): static_html alone is timed
            w = cls()
        if w.precompute_thread is not None:
            w.precompute_thread.join()
        t0, c0 = time.perf_counter(), time.thread_time()
        with _no_disk_cache():  # timed: drawing every frame, not reading them back (ketacourse.diskcache)
            html = w.static_html()
        cpu.append((time.thread_time() - c0) * 1e3)
        wall.append((time.perf_counter() - t0) * 1e3)
        data = json.loads(re.search(r'class="kc-data">(.*?)</script>', html, re.S).group(1).replace("<\\/", "</"))
        frames = len(data["frames"])
        phone_kib = sum(len(f) for f in data["phone"]["frames"]) * 3 / 4 / 1024  # base64 -> bytes
        html_kib = len(html) / 1024 - phone_kib * 4 / 3  # what stays in the page (the book moves phone frames out)
    return {"widget": cls.__name__, "module": cls.__module__, "frames": frames, "cpu_ms": statistics.median(cpu),
            "wall_ms": statistics.median(wall), "cpu_all_ms": cpu, "html_kib": html_kib, "phone_kib": phone_kib}


def markdown_static(report: dict) -> str:
    """The ``--static`` results as the Markdown block of docs/benchmarks.md."""
    m = report["machine"]
    rows = report["static"]
    total = sum(r["cpu_ms"] for r in rows) / 1e3
    lines = [f"`static_html()`, {report['date'][:10]}: `{report['command']}`; {m['nproc']} CPUs ({m['cpu']}), "
             f"Python {m['python']}, matplotlib {m['matplotlib']}, Pillow {m['pillow']}; 1-minute load average "
             f"{report['load_start']:.1f} at the start and {report['load_end']:.1f} at the end.", "",
             "| widget | frames (desktop + phone) | CPU ms | wall ms | in the page KiB | phone frames KiB |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['widget']} | {r['frames']} + {r['frames']} | {r['cpu_ms']:.0f} | {r['wall_ms']:.0f} "
                     f"| {r['html_kib']:.0f} | {r['phone_kib']:.0f} |")
    lines.append(f"| **all {len(rows)}** | | **{total:.1f} s** | {sum(r['wall_ms'] for r in rows) / 1e3:.1f} s | | |")
    verdict = ("met." if total <= STATIC_BUDGET_S else "**not met**.") if not report.get("only") else \
        "not judged (only some widgets timed)."
    lines += ["", f"Target: all widgets together <= {STATIC_BUDGET_S:g} CPU-s: {verdict}"]
    return "\n".join(lines) + "\n"


def bench_notebook(nb: Path) -> dict:
    jupyter = Path(sys.executable).parent / "jupyter"
    cmd = [str(jupyter if jupyter.exists() else "jupyter"), "nbconvert", "--to", "notebook", "--execute",
           "--stdout", str(nb)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    err = "" if proc.returncode == 0 else (proc.stderr.strip().splitlines()[-1:] or ["failed"])[0]
    return {"notebook": str(nb.relative_to(REPO)), "wall_s": wall, "returncode": proc.returncode, "error": err}


def markdown(report: dict) -> str:
    """The results as the Markdown block that docs/benchmarks.md and README.md show."""
    m = report["machine"]
    lines = [f"Python side, {report['date'][:10]}: `{report['command']}`; {m['nproc']} CPUs ({m['cpu']}), "
             f"Python {m['python']}, matplotlib {m['matplotlib']}, NumPy {m['numpy']}, Pillow {m['pillow']}; "
             f"1-minute load average {report['load_start']:.1f} at the start and {report['load_end']:.1f} at the end "
             "(the machine is shared: compare CPU times across runs).", "",
             "| widget | main control | first visit: median (p90) ms | CPU ms | revisit (cached) ms | PNG KiB "
             + ("| re-create ms " if any("recreate" in r for r in report["widgets"]) else "") + f"| ≤ {BUDGET_MS:g} ms |",
             "|---|---|---|---|---|---|" + ("---|" if any("recreate" in r for r in report["widgets"]) else "") + "---|"]
    for r in report["widgets"]:
        f, a = r["first"], r["revisit"]
        row = (f"| {r['widget']} | {r['control']} | {f['median_ms']:.1f} ({f['p90_ms']:.1f}) | {f['cpu_median_ms']:.1f} "
               f"| {a['median_ms']:.2f} | {r['png_kib']:.0f} ")
        if "recreate" in r:
            row += f"| {r['recreate']['median_ms']:.1f} "
        lines.append(row + f"| {'yes' if r['pass'] else '**no**'} |")
    return "\n".join(lines) + "\n"


def update_docs(block: str, name: str = "bench_widgets") -> list[Path]:
    """Replace the text between ``<!-- {name}:begin -->`` and ``<!-- {name}:end -->`` in the docs."""
    changed = []
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
    for path in DOCS:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new, n = pattern.subn(lambda m: m.group(1) + block + m.group(2), text)
        if n and new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=30, help="timed updates per widget and kind (>= 10)")
    ap.add_argument("--only", default="", help="comma-separated widget class names")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    ap.add_argument("--update-docs", action="store_true", help="write the table into docs/benchmarks.md and README.md")
    ap.add_argument("--baseline", action="store_true", help="also time re-creating the figure on every move")
    ap.add_argument("--notebooks", action="store_true", help="also time executing every chapter notebook")
    ap.add_argument("--strict", action="store_true", help=f"exit 1 if a widget's first visit is over {BUDGET_MS:g} ms")
    ap.add_argument("--blas-threads", type=int, metavar="N",
                    help="limit BLAS/OpenMP threads (set before numpy loads; default: the library's own choice)")
    ap.add_argument("--static", action="store_true", help="time static_html() (every display of a widget) instead "
                    f"of updates; target: all widgets <= {STATIC_BUDGET_S:g} CPU-s")
    ap.add_argument("--static-repeats", type=int, default=1, help="new widgets timed per widget with --static")
    ap.add_argument("--from-json", metavar="PATH", help="no run: print (and with --update-docs write) the table of "
                                                         "a run saved with --json")
    args = ap.parse_args(argv)
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        block = markdown_static(saved) if "static" in saved else markdown(saved)
        print(block)
        if args.update_docs:
            for path in update_docs(block, "bench_widgets_static" if "static" in saved else "bench_widgets"):
                print(f"updated {path.relative_to(REPO)}")
        return 0
    repeats = max(10, args.repeats)

    os.environ.setdefault("MPLBACKEND", "Agg")
    if args.blas_threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    info = machine()
    load_start = info["load_1min"]
    print(f"Machine: {info['nproc']} CPU(s), {info['cpu']}; Python {info['python']}; numpy {info['numpy']}; "
          f"matplotlib {info['matplotlib']}; Pillow {info['pillow']}; BLAS threads {info['blas_threads']}; "
          f"load average {load_start:.2f}", flush=True)
    command = "python benchmarks/bench_widgets.py " + " ".join(a for a in (argv if argv is not None else sys.argv[1:])
                                                              if a != "--update-docs")
    if args.static:
        return run_static(args, info, command.strip())
    rows = []
    for cls in widget_classes(args.only):
        r = bench_widget(cls, repeats, args.baseline)
        rows.append(r)
        f, a = r["first"], r["revisit"]
        print(f"{r['widget']:<22} {r['control']:<21} first {f['median_ms']:6.1f} ms (p90 {f['p90_ms']:6.1f}, cpu "
              f"{f['cpu_median_ms']:5.1f})  revisit {a['median_ms']:5.2f} ms  PNG {r['png_kib']:4.0f} KiB"
              + (f"  re-create {r['recreate']['median_ms']:6.1f} ms" if "recreate" in r else "")
              + f"  {'ok' if r['pass'] else 'OVER'} (<= {BUDGET_MS:g} ms)", flush=True)
    nbs = []
    if args.notebooks:
        for path in toc_notebooks():
            res = bench_notebook(path)
            nbs.append(res)
            print(f"jupyter nbconvert --execute {res['notebook']}: {res['wall_s']:.1f} s wall, "
                  f"{'ok' if res['returncode'] == 0 else 'FAILED (' + res['error'] + ')'}", flush=True)
    report = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "machine": info,
              "command": command.strip(), "repeats": repeats, "budget_ms": BUDGET_MS, "load_start": load_start,
              "load_end": os.getloadavg()[0], "widgets": rows, "notebooks": nbs}
    block = markdown(report)
    print()
    print(block)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.update_docs:
        for path in update_docs(block):
            print(f"updated {path.relative_to(REPO)}")
    over = [r["widget"] for r in rows if not r["pass"]] + [n["notebook"] for n in nbs if n["returncode"]]
    if over:
        print(f"Over budget or failed: {', '.join(over)}")
    return 1 if (args.strict and over) else 0


def run_static(args: argparse.Namespace, info: dict, command: str) -> int:
    """``--static``: time ``static_html()`` of every registry widget (``--only``: the named ones)."""
    rows = []
    for cls in widget_classes(args.only):
        r = bench_static(cls, max(1, args.static_repeats))
        rows.append(r)
        print(f"{r['widget']:<22} {r['frames']:3d} frames x2  static_html cpu {r['cpu_ms']:7.0f} ms  wall "
              f"{r['wall_ms']:7.0f} ms  page {r['html_kib']:5.0f} KiB  phone {r['phone_kib']:5.0f} KiB", flush=True)
    total = sum(r["cpu_ms"] for r in rows) / 1e3
    report = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "machine": info,
              "command": command, "repeats": max(1, args.static_repeats), "budget_s": STATIC_BUDGET_S,
              "load_start": info["load_1min"], "load_end": os.getloadavg()[0], "only": args.only, "static": rows}
    block = markdown_static(report)
    print()
    print(block)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.update_docs:
        for path in update_docs(block, "bench_widgets_static"):
            print(f"updated {path.relative_to(REPO)}")
    over = total > STATIC_BUDGET_S and not args.only
    if over:
        print(f"static_html of all widgets: {total:.1f} CPU-s, over {STATIC_BUDGET_S:g}")
    return 1 if (args.strict and over) else 0


if __name__ == "__main__":
    sys.exit(main())
