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
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ketacourse_tools import chapter_format, course

REPO = Path(os.environ.get("KETACOURSE_BROWSER_ROOT") or Path(__file__).resolve().parents[2]).resolve()
BIN = Path(sys.executable).parent

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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
    path = os.environ.get("KETACOURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"Chromium not found (looked for $KETACOURSE_CHROMIUM, `chromium` on PATH, {path}). "
            "Install it with: bash scripts/ensure-system.sh chromium "
            "(or set KETACOURSE_CHROMIUM to a Chromium/Chrome binary).",
            pytrace=False,
        )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a process started with ``start_new_session=True`` and all its children (its group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


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
    """Put this run's nbval-executed chapters into the book copy ``src`` and switch execution off
    in ``config``, if nbval executed every chapter of the toc without a failure; returns the chapters
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
    data.setdefault("execute", {})["execute_notebooks"] = "off"
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


# ----------------------------------------------------------------------------- JupyterLab
@dataclass
class LabServer:
    url: str  # base URL, ends with '/'
    token: str
    root: Path
    log: Path

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def start_lab(base: Path, chapters: Path = REPO / "chapters", *, plain: bool = False) -> tuple[subprocess.Popen, LabServer]:
    """Start JupyterLab 4 on a free local port serving a copy of ``chapters`` under ``base/root``.

    Settings, workspaces, runtime files and the trust database live under ``base`` (a learner's
    fresh Lab: every notebook untrusted). Raises ``RuntimeError`` if it does not answer in 60 s.
    The caller stops it with :func:`stop_group`. Used by the tests and by
    ``benchmarks/bench_browser.py``. ``plain=True`` starts it as a learner's plain ``jupyter lab``
    would: no course settings folder, no stylesheet option (only what
    ``scripts/install_lab_settings.py`` installed into the environment).
    """
    root = base / "root"
    shutil.copytree(chapters, root / "chapters", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
    for sub in ("settings", "workspaces", "runtime", "config", "ipython", "data"):
        (base / sub).mkdir(exist_ok=True)
    (base / "config" / "jupyter_lab_config.py").write_text("c.LabApp.news_url = None\n")
    if not plain:
        (base / "config" / "custom").mkdir(exist_ok=True)
        shutil.copyfile(REPO / "scripts" / "lab-custom" / "custom.css", base / "config" / "custom" / "custom.css")
    token = secrets.token_hex(16)
    port = free_port()
    jupyter = BIN / "jupyter"
    cmd = [
        str(jupyter if jupyter.exists() else "jupyter"), "lab",
        "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        # no network from the server: no update check, no PyPI extension manager (news: config below)
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        # the settings `make lab` uses: no "official Jupyter news?" toast over the figures
        f"--LabApp.app_settings_dir={REPO / 'scripts' / 'lab-settings'}",
        # and its stylesheet (copied below): MyST citations as author-year text (jupyterlab-myst
        # cannot read a .bib file)
        "--LabApp.custom_css=True",
    ]
    if plain:
        cmd = cmd[:-2]
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        # a fresh trust database: every notebook starts untrusted, as in a fresh clone
        "JUPYTER_DATA_DIR": str(base / "data"),
        "IPYTHONDIR": str(base / "ipython"),
        "PYTHONUNBUFFERED": "1",
    }
    log = base / "lab.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}/", token, root, log)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{server.tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    return proc, server
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_group(proc)
            raise RuntimeError(f"JupyterLab did not answer within 60 s:\n{server.tail()}")
        time.sleep(0.25)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """JupyterLab 4 on a free local port, serving a temporary copy of ``chapters/`` (:func:`start_lab`).

    Stopped by its process group at the end of the session.
    """
    try:
        proc, server = start_lab(tmp_path_factory.mktemp("lab"))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        stop_group(proc)
