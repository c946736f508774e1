"""Fixtures for the real-browser tests: headless Chromium, the built book and a JupyterLab server.

Every fixture is session-scoped: Chromium starts once, the book is built once and JupyterLab
starts once for the whole run. Nothing here skips: a missing Chromium or a failed build makes the
dependent tests *fail*, with a message saying what to do.

Environment
-----------
KETACOURSE_CHROMIUM
    Path to a Chromium/Chrome binary (default: ``chromium`` on PATH, then ``/usr/bin/chromium``).
KETACOURSE_BROWSER_ROOT
    Build and serve another checkout (default: this repository). Only for developing these tests.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ketacourse_tools import chapter_format, course

from . import lab_server as _lab
from .lab_server import BIN, CHROMIUM_ARGS, REPO, LabServer, free_port, start_lab, stop_group  # noqa: F401


# ----------------------------------------------------------------------------- helpers
def toc_files(root: Path = REPO) -> list[str]:
    """Every entry of ``_toc.yml`` (root first), without suffix, in toc order (:func:`ketacourse_tools.course.pages`)."""
    return [page.entry for page in course.pages(root)]


def toc_notebooks(root: Path = REPO) -> list[str]:
    """Toc entries that are notebooks and exist, as repository-relative paths."""
    return [page.rel for page in course.pages(root) if page.is_notebook and page.path.is_file()]


def model_widgets_in(notebook: str, root: Path = REPO) -> list[str]:
    """Class names of the model widgets the chapter constructs (read from its code cells, so a new
    chapter needs no list here): the number each browser test expects to see."""
    return chapter_format.widgets_in(root / notebook)


def scrubbed_widgets_in(notebook: str, root: Path = REPO) -> list[str]:
    """The chapter's model widgets that have an offline scrubber (``scrub`` set): each shows one
    ``figure.kc-scrub`` in the book and in a stored, untrusted notebook."""
    classes = chapter_format.widget_classes()
    return [name for name in model_widgets_in(notebook, root) if classes[name].scrub is not None]


def chromium_path() -> str:
    """The Chromium binary (:func:`lab_server.chromium_path`); a missing one fails the test, saying how to install it."""
    try:
        return _lab.chromium_path()
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)


# ----------------------------------------------------------------------------- Chromium
@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download, fresh profile)."""
    exe = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
"""A 390-px phone (the width the book's phone tests read at)."""


@pytest.fixture
def phone_context(browser):
    """A fresh browser context as a 390-px touch phone (:data:`PHONE`), closed after the test."""
    ctx = browser.new_context(**PHONE)
    try:
        yield ctx
    finally:
        ctx.close()


DESKTOP = {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light"}
"""A 1280-px desktop in light mode."""


@dataclass
class BookPage:
    page: object  # a Playwright page of the built book, loaded on one device
    requests: list[str] = field(default_factory=list)  # every URL it requested since it started loading
    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (text, location url) of console errors
    page_errors: list[str] = field(default_factory=list)  # uncaught JavaScript errors
    failed: list[tuple[str, int]] = field(default_factory=list)  # (url, status) of responses with status >= 400


class BookPages:
    """Chapter pages of the built book on one device (:data:`PHONE` or :data:`DESKTOP`), each loaded
    once and kept open for the next test that reads the same chapter on that device (a chapter page
    is 0.6-1.4 MB with MathJax; every load costs Chromium several CPU-seconds).

    The tests that share a chapter's page use it in the run's order (the files' alphabetical order)
    and each leaves it as a reader who did the same would: they scroll, read, run axe-core, tap or
    press a control and close what they opened; only the last phone test steps the scrubbers and
    leaves them moved.

    - phone: ``test_book.py`` (sideways pan; a figure tapped open and closed again),
      ``test_book_a11y.py`` (inline code in exercise boxes), ``test_book_phone.py`` (figure text size,
      frames requested since the load; last, the scrubbers stepped from the keyboard);
    - desktop, offline (every request that leaves 127.0.0.1 is aborted): ``test_answers.py`` (no answer
      shown; a self-check option and a solution opened and closed again), ``test_book.py`` (the
      ``site`` fixture: errors, requests, links, images, math, contrast; each offline scrubber stepped
      by a key and back; the ``dark_site`` fixture: the system preference switched to dark, read, and
      back to light), ``test_book_a11y.py``
      (axe-core in light mode, then dark mode and back to light; the enlarge buttons),
      ``test_book_phone.py`` (figure text size, frames requested since the load).

    Only the chapter notebooks' pages are kept (another page is closed when the next is opened), and
    all are closed after the last test of the session that uses them (:func:`pytest_runtest_teardown`),
    so no idle page stays open for the rest of the run; a test run alone loads its own.
    """

    def __init__(self, browser, book_server: str, device: dict, offline: bool = False) -> None:
        self.browser, self.book_server, self.device, self.offline = browser, book_server, device, offline
        self.kept = {page.entry for page in course.pages(REPO) if page.is_notebook}
        self.context = None
        self.pages: dict[str, BookPage] = {}

    def get(self, entry: str) -> BookPage:
        """The page of toc entry ``entry`` (no suffix), loaded (``load`` event) if it is not open yet."""
        for other in [e for e in self.pages if e != entry and e not in self.kept]:
            self.pages.pop(other).page.close()
        if entry in self.pages:
            return self.pages[entry]
        if self.context is None:
            self.context = self.browser.new_context(**self.device)
            if self.offline:
                local = self.book_server.rstrip("/")
                self.context.route("**/*", lambda r: r.continue_() if r.request.url.startswith((local, "data:"))
                                   else r.abort("internetdisconnected"))
        page = self.context.new_page()
        shown = BookPage(page)
        page.on("request", lambda r: shown.requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and shown.console_errors.append(
            (m.text, (m.location or {}).get("url", ""))))
        page.on("pageerror", lambda e: shown.page_errors.append(str(e)))
        page.on("response", lambda r: r.status >= 400 and shown.failed.append((r.url, r.status)))
        page.goto(f"{self.book_server}{entry}.html", wait_until="load", timeout=20_000)
        self.pages[entry] = shown
        return shown

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        self.context, self.pages = None, {}


JS_THEME_SETTLED = """async ([theme, maxMs]) => {
  const t0 = performance.now();
  while (document.documentElement.dataset.theme !== theme && performance.now() - t0 < maxMs)
    await new Promise(r => setTimeout(r, 25));
  // the colour transitions the switch started (the theme's buttons and form fields fade for 0.15 s)
  // are run to their end: the page shows the colours a reader sees once the fade is over
  for (const a of document.getAnimations()) if (a instanceof CSSTransition) a.finish();
  return document.documentElement.dataset.theme;
}"""


def settle_theme(page, theme: str, max_ms: int = 5_000) -> str:
    """Wait until the book page shows ``theme`` (``html[data-theme]``, "light" or "dark"; at most
    ``max_ms``) and run the colour transitions the switch started to their end; return the theme it
    shows. The page is brought to the front first: a background tab gets the system's colour-scheme
    change only at its next (throttled) animation frame."""
    page.bring_to_front()
    return page.evaluate(JS_THEME_SETTLED, [theme, max_ms])


# ----------------------------------------------------------------------------- the book
@dataclass
class BookBuild:
    returncode: int
    log: str
    html: Path
    seconds: float
    command: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # chapters rendered from this run's nbval execution

    @property
    def warnings(self) -> list[str]:
        """Log lines containing "WARNING" (ANSI colours removed), minus :data:`BUILD_LOG_ALLOWLIST`."""
        lines = (re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in self.log.splitlines())
        return [ln for ln in lines if "WARNING" in ln and not any(rx.search(ln) for rx in BUILD_LOG_ALLOWLIST)]

    def require_ok(self) -> None:
        """Fail (not skip) a dependent test when the build failed."""
        if self.returncode != 0 or not (self.html / "index.html").is_file():
            tail = "\n".join(self.log.splitlines()[-40:])
            pytest.fail(f"The book build failed (exit {self.returncode}); last lines:\n{tail}", pytrace=False)


# What is not part of the book's sources: never copied into the build folder.
_NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "venv", "_build", "build", ".pytest_cache", "__pycache__",
                                      ".ipynb_checkpoints", "node_modules", ".mypy_cache", ".ruff_cache")

# Lines containing "WARNING" in the build log that are not warnings about the book (see README.md).
BUILD_LOG_ALLOWLIST = [
    # ipykernel >= 7 logs this to stderr when a local kernel starts on 127.0.0.1 TCP (nbclient's default);
    # it is about the kernel transport of the build machine, not about the book.
    re.compile(r"^\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption\."),
]


TEST_HUB_URL = "https://hub.example.edu"
"""The hub address the test build uses for the JupyterHub launch button (never contacted)."""


def reuse_executed_chapters(src: Path, executed_chapters, config: Path) -> list[str]:
    """Put this run's nbval-executed chapters into the book copy ``src`` and leave them out of the
    build's execution in ``config`` (other pages with code cells still execute), if nbval executed every chapter of the toc without a failure; returns the chapters
    reused (an empty list: the build executes every chapter itself, as ``make book`` does)."""
    import nbformat
    import yaml

    found = {}
    for chapter in course.chapters(src):
        nb = executed_chapters.executed(REPO / chapter.rel) if executed_chapters is not None else None
        if nb is None:
            return []
        found[chapter.rel] = nb
    for rel, nb in found.items():
        nbformat.write(nb, src / rel)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    # the chapters keep nbval's outputs; every other page with code cells (the validation page) is
    # still executed by the build, as `make book` does
    data.setdefault("execute", {})["exclude_patterns"] = sorted(found)
    config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return list(found)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, executed_chapters) -> BookBuild:
    """Build the book once: ``jupyter-book build <copy> -W -n --keep-going --all``.

    The build runs on a temporary copy of the repository's sources (no ``.venv``, ``.git``,
    ``_build`` or caches), so local leftovers cannot change the result and a concurrent
    ``make book`` is not disturbed. Each chapter is executed once per run: when nbval has run
    every chapter in this session (``make test``), the copy gets the outputs nbval produced and the
    build does not execute them again; otherwise (e.g. ``pytest tests/browser`` alone) the build
    executes every chapter in the copy. The package is the installed one.
    """
    src = tmp_path_factory.mktemp("book") / "src"
    shutil.copytree(REPO, src, ignore=_NOT_SOURCES, symlinks=True)
    jb = BIN / "jupyter-book"
    # Build the way `make book HUB_URL=...` does, so the JupyterHub launch button is tested too.
    hub_config = src / "_build" / "_config.hub.yml"
    subprocess.run([sys.executable, str(src / "scripts" / "book_config.py"), TEST_HUB_URL,
                    str(src / "_config.yml"), str(hub_config)], check=True, capture_output=True)
    reused = reuse_executed_chapters(src, executed_chapters, hub_config)
    cmd = [str(jb if jb.exists() else "jupyter-book"), "build", str(src), "-W", "-n", "--keep-going", "--all",
           "--config", str(hub_config)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=src, capture_output=True, text=True, timeout=900,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
        rc, log = proc.returncode, proc.stdout + "\n" + proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc, log = -1, f"jupyter-book build timed out after {exc.timeout} s\n{exc.stdout or ''}{exc.stderr or ''}"
    return BookBuild(rc, log, src / "_build" / "html", time.perf_counter() - t0, cmd, reused)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="session")
def book_server(built_book):
    """Serve the built HTML on 127.0.0.1 from a thread; yields the base URL (ends with '/')."""
    built_book.require_ok()
    handler = functools.partial(_QuietHandler, directory=str(built_book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


BOOK_PAGES = ("phone_pages", "desktop_pages")
"""The fixtures holding a :class:`BookPages`."""


def _chapter_param(item, module: str, param: str, test: str | None = None) -> str | None:
    """The chapter parameter ``param`` of ``item`` if it is a test of ``module`` (and named ``test``)."""
    callspec = getattr(item, "callspec", None)
    if (callspec is None or param not in callspec.params or getattr(item, "module", None) is None
            or item.module.__name__.rsplit(".", 1)[-1] != module
            or (test is not None and getattr(item, "originalname", None) != test)):
        return None
    return callspec.params[param]


def _first_open_of(item) -> str | None:
    """The chapter a first-open test opens in JupyterLab, not run (``test_lab_first_open.py``)."""
    return _chapter_param(item, "test_lab_first_open", "first_open")


def _lab_run_of(item) -> str | None:
    """The chapter ``test_lab.py`` runs (Run All) in JupyterLab."""
    return _chapter_param(item, "test_lab", "nb", "test_chapter_runs_and_widgets_respond_in_jupyterlab")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Each chapter's first-open tests (``test_lab_first_open.py``) run just before its Run All in
    ``test_lab.py``, which goes on from their open, unrun copy: every chapter is opened in JupyterLab
    once for both modules (the open and render of a chapter, 6-18 CPU-s, is not paid twice). Without a
    Run All of a chapter in the run, its first-open tests keep their place."""
    runs = {_lab_run_of(item) for item in items} - {None}
    first_open: dict[str, list] = {}
    for item in items:
        nb = _first_open_of(item)
        if nb in runs:
            first_open.setdefault(nb, []).append(item)
    if not first_open:
        return
    moved = {id(i) for its in first_open.values() for i in its}
    reordered = []
    for item in items:
        if id(item) in moved:
            continue
        nb = _lab_run_of(item)
        if nb is not None:
            reordered += first_open.pop(nb, [])
        reordered.append(item)
    items[:] = reordered


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Close a :class:`BookPages`' pages after the last test of the session that uses it."""
    funcargs = getattr(item, "funcargs", {})
    for name in BOOK_PAGES:
        pool = funcargs.get(name)
        if isinstance(pool, BookPages):
            last = [i for i in item.session.items if name in getattr(i, "fixturenames", ())][-1]
            if item is last:
                pool.close()


@pytest.fixture(scope="session")
def phone_pages(browser, book_server):
    """Chapter pages on a phone, shared by the book's phone tests (:class:`BookPages`)."""
    pages = BookPages(browser, book_server, PHONE)
    yield pages
    pages.close()


@pytest.fixture(scope="session")
def desktop_pages(browser, book_server):
    """Chapter pages on a desktop in light mode, offline, shared by several book tests (:class:`BookPages`)."""
    pages = BookPages(browser, book_server, DESKTOP, offline=True)
    yield pages
    pages.close()


# ----------------------------------------------------------------------------- JupyterLab
def _serve_lab(folder: Path, plain: bool = False):
    """Start JupyterLab on ``folder`` (:func:`start_lab`), yield its server, stop its process group."""
    try:
        proc, server = start_lab(folder, plain=plain)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        stop_group(proc)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """JupyterLab 4 on a free local port, serving a temporary copy of ``chapters/`` (:func:`start_lab`).

    Stopped by its process group at the end of the session.
    """
    yield from _serve_lab(tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="session")
def plain_lab(tmp_path_factory):
    """A plain ``jupyter lab`` of the course environment (no course Lab settings on the command line, as on
    Binder), on a temporary copy of ``chapters/`` (:func:`start_lab` with ``plain=True``). Started once per
    session: its tests (``test_lab_quiet_a11y.py``, ``test_lab_term_target.py``) only open chapters, never
    run, save or trust them, so they share it (a server start and a JupyterLab load less)."""
    yield from _serve_lab(tmp_path_factory.mktemp("plain-lab"), plain=True)


@pytest.fixture(scope="session")
def plain_page(browser, plain_lab):
    """One browser page (1400 x 1000) on the plain Lab for the session: JupyterLab is loaded in it once;
    a chapter one test opened and let settle is read again by the next (the quiet test's Chapter 1 by the
    citation test), and a later test opens its chapter in the loaded JupyterLab (:func:`open_in_lab`)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    yield page
    ctx.close()


# ----------------------------------------------------------------------------- JupyterLab pages shared by tests
JS_LAB_LOADED = "() => !!(window.jupyterapp && window.jupyterapp.shell && window.jupyterapp.commands)"

# Close every open document (unsaved changes dropped, as its copy is the test's own), a notebook after
# shutting down its kernel, so the page shows one document at a time and no kernel is left running.
JS_CLOSE_NOTEBOOKS = """async () => {
  const app = window.jupyterapp, open = [...app.shell.widgets('main')].filter(w => w.context);
  for (const w of open) {
    if (w.sessionContext) { try { await w.sessionContext.shutdown(); } catch (e) {} }
    try { w.context.model.dirty = false; } catch (e) {}
    w.dispose();
  }
  return open.length;
}"""

JS_OPEN_NOTEBOOK = """async (path) => { await window.jupyterapp.commands.execute('docmanager:open', {path}); return true; }"""


def open_in_lab(page, server: LabServer, rel: str) -> None:
    """Show the notebook ``rel`` (relative to the server's root) in the JupyterLab of ``page``.

    In a page that already holds this server's JupyterLab, its open documents are closed (notebooks'
    kernels shut down) and ``rel`` is opened there, as a double click in the file browser does: the
    JupyterLab application (several MB of JavaScript) is not loaded again for every chapter.
    Otherwise the page loads ``lab/tree/<rel>?reset`` (a fresh workspace). The caller waits for
    the notebook to be ready."""
    if page.url.startswith(server.url) and page.evaluate(JS_LAB_LOADED):
        page.evaluate(JS_CLOSE_NOTEBOOKS)
        page.evaluate(JS_OPEN_NOTEBOOK, rel)
    else:
        page.goto(f"{server.url}lab/tree/{rel}?reset&token={server.token}", wait_until="domcontentloaded")


# Waits (at most maxMs) until every non-empty markdown cell of the current notebook shows rendered text
# and the notebook's DOM has not changed for quietMs: the rendering is done. Returns how long it waited
# and how many markdown cells are still unrendered.
JS_SETTLE = """async ([quietMs, maxMs]) => {
  const t0 = performance.now(), w = window.jupyterapp.shell.currentWidget;
  const root = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  let last = performance.now();
  const obs = new MutationObserver(() => { last = performance.now(); });
  obs.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
  const pending = () => w.content.widgets.filter(c => c.model.type === 'markdown' && c.model.sharedModel.getSource().trim()
      && !((c.node.querySelector('.jp-RenderedMarkdown, .myst') || {}).textContent || '').trim()).length;
  while (performance.now() - t0 < maxMs && (pending() || performance.now() - last < quietMs))
    await new Promise(r => setTimeout(r, 100));
  obs.disconnect();
  return {waited_ms: Math.round(performance.now() - t0), pending: pending()};
}"""


@pytest.fixture(scope="session")
def lab_page_slot():
    """The page of the course JupyterLab (:func:`lab_server`) the next chapter opens in (:func:`open_in_lab`):
    JupyterLab is loaded once and each chapter opened in it after the previous one is closed and its kernel
    shut down, by ``test_lab_first_open.py`` (not run) and then ``test_lab.py`` (run, from that open). A test
    that fails, or hands its page to a later test (:class:`LabRuns`), leaves the slot empty: the next one
    loads JupyterLab in a new page (of :func:`lab_context`)."""
    slot: list = []
    yield slot
    for page in slot:
        page.close()


REUSES_LAB_RUN = "reuses_lab_run"
"""Marker ``@pytest.mark.reuses_lab_run(nb)``: the test reads chapter ``nb`` as ``test_lab.py`` left it after
its Run All and checks (:class:`LabRuns`), instead of running the chapter in JupyterLab a second time."""


def pytest_configure(config):
    config.addinivalue_line("markers", f"{REUSES_LAB_RUN}(nb): the test reuses test_lab.py's Run All of chapter nb "
                                       "(its page is kept open for it; alone, the test runs the chapter itself)")


@pytest.fixture(scope="session")
def lab_context(browser):
    """The browser context of the JupyterLab run tests (1400 x 1000), shared by the session so that a
    run chapter's page can be handed from one test to a later one (:class:`LabRuns`)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


@dataclass
class LabRun:
    nb: str
    page: object  # the JupyterLab page, the chapter run (Run All) and checked
    run_s: float  # open + Run All, seconds


class LabRuns:
    """Chapters run in JupyterLab whose page a later test reads again.

    ``test_lab.py`` runs every chapter (open, clear outputs, Run All) and checks it; a test marked
    ``@pytest.mark.reuses_lab_run(nb)`` checks more on that same run instead of a second Run All of
    the chapter (about 40 s each on 2 cores). Only pages that a collected test asks for are kept
    (:attr:`wanted`), each until that test takes it; a test run without ``test_lab.py`` finds
    nothing kept and runs the chapter itself."""

    def __init__(self, wanted: set[str]) -> None:
        self.wanted = set(wanted)
        self.kept: dict[str, LabRun] = {}

    def keep(self, run: LabRun) -> bool:
        """Keep ``run``'s page open for a later test; False (the caller closes it) if none asks for it."""
        if run.nb not in self.wanted or run.nb in self.kept:
            return False
        self.kept[run.nb] = run
        return True

    def take(self, nb: str) -> LabRun | None:
        """The kept run of chapter ``nb`` (the caller then owns and closes its page), or None."""
        self.wanted.discard(nb)
        return self.kept.pop(nb, None)

    def close(self) -> None:
        for run in self.kept.values():
            run.page.close()
        self.kept.clear()


@pytest.fixture(scope="session")
def lab_runs(request):
    """The session's :class:`LabRuns`: which chapters' run pages later tests reuse (their markers)."""
    wanted = {str(m.args[0]) for item in request.session.items for m in item.iter_markers(REUSES_LAB_RUN) if m.args}
    runs = LabRuns(wanted)
    yield runs
    runs.close()
