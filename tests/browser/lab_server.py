"""A JupyterLab server and headless Chromium for the browser tests and ``benchmarks/bench_browser.py``.

Plain helpers with no pytest fixtures (those are in ``conftest.py``, which imports these), so a
script imports them as ``browser.lab_server`` with ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["REPO", "BIN", "CHROMIUM_ARGS", "chromium_path", "free_port", "stop_group", "LabServer", "start_lab"]

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


def chromium_path() -> str:
    """The Chromium binary to drive (raises ``FileNotFoundError`` saying how to install one)."""
    path = os.environ.get("KETACOURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file() or not os.access(path, os.X_OK):
        raise FileNotFoundError(
            f"Chromium not found (looked for $KETACOURSE_CHROMIUM, `chromium` on PATH, {path}). "
            "Install it with: bash scripts/ensure-system.sh chromium "
            "(or set KETACOURSE_CHROMIUM to a Chromium/Chrome binary).")
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
