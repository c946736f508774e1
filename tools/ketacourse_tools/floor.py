"""The dependency-floor venv: ``build/venv-floor`` holding exactly ``requirements-floor.txt``.

``requirements-floor.txt`` pins each runtime dependency at the lower bound ``pyproject.toml`` declares,
plus the complete closure of what those versions need. ``tests/test_dependency_floor.py`` runs the widget
contract there; it calls :func:`floor_venv`, which reuses the venv while the file and the Python are
unchanged and else builds it again. ``make floor-venv`` (``python3 tools/ketacourse_tools/floor.py``) builds it
ahead of the tests: CI does that while ``make venv`` installs the course (both mostly wait on the package
index), so the test finds it ready. Standard library only: it runs with the system Python, before the
course's venv exists.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import sys
from pathlib import Path

try:
    from ketacourse_tools import installer
except ImportError:  # run as a script by the system Python (make floor-venv): the module beside it
    import installer  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
FLOOR_FILE = REPO / "requirements-floor.txt"
FLOOR_VENV = REPO / "build" / "venv-floor"
"""Under ``build/`` (ignored by git, the book's sources and the book-build copy), not in the repository root."""


class FloorVenvError(installer.InstallError):
    """Building the floor venv failed; the message ends with the command's last lines."""


def _run(cmd: list[str], timeout_s: float) -> None:
    try:
        installer.run(cmd, timeout_s)
    except installer.InstallError as exc:
        raise FloorVenvError(str(exc)) from exc


def floor_key(floor_file: Path = FLOOR_FILE) -> str:
    """What the venv was built from: the pinned file and this Python (its full version string)."""
    return hashlib.sha256(floor_file.read_bytes() + sys.version.encode()).hexdigest()


def floor_venv(venv: Path = FLOOR_VENV, floor_file: Path = FLOOR_FILE) -> Path:
    """The Python of ``venv`` holding exactly ``floor_file``: reused while the file and the Python are
    unchanged, else built again (uv, else this Python's pip, installs into it: wheels only, no dependency
    resolution, then ``pip check``). A lock next to the venv lets a test wait for a build under way.

    Raises
    ------
    FloorVenvError
        If creating the venv, installing the file or ``pip check`` fails.
    """
    key = floor_key(floor_file)
    stamp = venv / ".ketacourse-floor"
    python = venv / "bin" / "python"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text() == key and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        # the venv gets no pip of its own: this Python's pip installs into it (--python)
        _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], 120)
        # uv if it can be had, else this Python's pip (ketacourse_tools.installer); wheels only
        installer.install(python, ["-r", str(floor_file)], only_binary=True, runner=_run)
        _run([sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", "check"], 120)
        stamp.write_text(key)
        return python


def main() -> int:
    """Build (or confirm) the floor venv; without pip in this Python, leave it to the test."""
    import importlib.util

    if importlib.util.find_spec("pip") is None:
        print(f"{sys.executable} has no pip: tests/test_dependency_floor.py builds the floor venv itself")
        return 0
    try:
        print(f"floor venv ready: {floor_venv()}")
    except FloorVenvError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
