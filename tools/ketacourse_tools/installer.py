"""Install pinned requirement files into a venv: with uv when it can be had, else with pip.

``make venv`` and the dependency-floor venv (:mod:`ketacourse_tools.floor`) install complete, exactly
pinned closures (``requirements.txt``, ``requirements-floor.txt``) without dependency resolution
(``--no-deps``). pip takes about 85 s of wall clock and 75 CPU-s on the course's 2-core machine for
``requirements.txt`` (it unpacks one wheel after another); uv, pinned in ``requirements-uv.txt`` and
taken as a wheel from the package index, installs the same files into the same venv in about 7 s
(both measured on 2026-12-07, uv from a cold cache). What the venv holds is the same: the same pinned versions, and
``pip check`` runs afterwards either way.

uv is put under ``build/uv/`` (``pip install --target``), outside every venv, so a venv holds exactly its
requirement file. If uv cannot be installed or run (no wheel for this machine, an index it cannot reach),
pip installs instead, with the same files and the same meaning: nothing depends on uv being there.

Standard library only: it runs with the system Python, before the course's venv exists
(``python3 tools/ketacourse_tools/installer.py --python .venv/bin/python -r requirements.txt ...``).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UV_FILE = REPO / "requirements-uv.txt"
UV_DIR = REPO / "build" / "uv"
"""Where ``pip install --target`` puts uv (under ``build/``, ignored by git)."""
INSTALL_TIMEOUT_S = 1200

Runner = Callable[[list[str], float], None]


class InstallError(RuntimeError):
    """An install failed with both uv and pip; the message ends with the command's last lines."""


def _env() -> dict[str, str]:
    # No PYTHONPATH: an installer would count what it names (e.g. tools/*.egg-info) as installed.
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def run(cmd: list[str], timeout_s: float) -> None:
    """Run ``cmd`` in the repository; raise :class:`InstallError` with its last lines if it fails."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=REPO, env=_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{' '.join(cmd[:6])} ... could not finish: {exc}") from exc
    if proc.returncode:
        tail = "\n".join((proc.stdout + "\n" + proc.stderr).strip().splitlines()[-60:])
        raise InstallError(f"{' '.join(cmd[:6])} ... failed (exit {proc.returncode}); last lines:\n{tail}")


def _pip(python: Path) -> list[str]:
    """The pip that installs into the venv of ``python``: its own, else this Python's (``--python``)."""
    if (python.parent / "pip").exists():
        return [str(python), "-m", "pip"]
    return [sys.executable, "-m", "pip", "--python", str(python)]


def uv_binary(pip: Sequence[str], runner: Runner = run, uv_dir: Path = UV_DIR, uv_file: Path = UV_FILE) -> Path | None:
    """The pinned uv, installed under ``uv_dir`` by ``pip`` on first use (a lock lets parallel installs
    share it), or None if it cannot be installed here (the reason goes to stderr)."""
    binary = uv_dir / "bin" / "uv"
    stamp = uv_dir / ".ketacourse-uv"
    pins = uv_file.read_text(encoding="utf-8")
    uv_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(uv_dir.parent / f"{uv_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text(encoding="utf-8") == pins and binary.exists():
            return binary
        try:
            runner([*pip, "install", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "--only-binary", ":all:", "--upgrade", "--target", str(uv_dir),
                    "-r", str(uv_file)], 300)
        except InstallError as exc:
            print(f"uv could not be installed, pip installs instead: {exc}", file=sys.stderr)
            return None
        if not binary.exists():
            print(f"uv's wheel put no {binary}; pip installs instead", file=sys.stderr)
            return None
        stamp.write_text(pins, encoding="utf-8")
        return binary


def install(python: Path, args: Sequence[str], *, only_binary: bool = False, runner: Runner = run,
            uv: Callable[[], Path | None] | None = None) -> str:
    """Install ``args`` (``-r file``, ``-e path``: exact pins, a complete closure) into the venv of
    ``python`` without dependency resolution and without byte-compiling; wheels only with
    ``only_binary``. Returns the installer that did it (``"uv"`` or ``"pip"``).

    Raises
    ------
    InstallError
        If pip fails too (after uv failed or was not available).
    """
    pip = _pip(python)
    binary = (uv or (lambda: uv_binary(pip, runner)))()
    wheels = ["--only-binary", ":all:"] if only_binary else []
    again: list[str] = []
    if binary is not None:
        try:
            runner([str(binary), "pip", "install", "--quiet", "--system-certs", "--python", str(python), "--no-deps",
                    *wheels, *args], INSTALL_TIMEOUT_S)
            return "uv"
        except InstallError as exc:
            print(f"uv failed, pip installs instead: {exc}", file=sys.stderr)
            again = ["--force-reinstall"]  # a package uv left half-installed is not taken as installed
    runner([*pip, "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--prefer-binary",
            "--no-compile", *again, *wheels, *args], INSTALL_TIMEOUT_S)
    return "pip"


def main(argv: Sequence[str] | None = None) -> int:
    """``installer.py --python PYTHON [--only-binary] ARGS...``: install ARGS into that venv."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, type=Path, help="the venv's Python")
    parser.add_argument("--only-binary", action="store_true", help="wheels only")
    known, rest = parser.parse_known_args(argv)
    try:
        used = install(known.python, rest, only_binary=known.only_binary)
    except InstallError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"installed with {used}: {' '.join(rest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
