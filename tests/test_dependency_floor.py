"""The declared dependency ranges are tested: the lowest versions pyproject.toml allows run the widgets.

``requirements-floor.txt`` pins each runtime dependency at the lower bound ``pyproject.toml`` declares,
plus the complete closure of what those versions need. :func:`test_widgets_work_at_the_declared_floor`
installs exactly that file into a venv of its own (``build/venv-floor``, rebuilt whenever the file or the
Python changes: :func:`ketacourse_tools.floor.floor_venv`; CI builds it ahead, while ``make venv`` runs)
and runs the widget contract test and the public-matplotlib check there, against the package's source. ``make test`` (hence CI) runs it, in a pytest-xdist work unit of its own (one per
file, tests/conftest.py); ``make test-floor`` runs this file alone.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ketacourse_tools.floor import FLOOR_FILE, FloorVenvError, floor_venv

REPO = Path(__file__).resolve().parents[1]
FLOOR_TESTS = ("tests/test_widget_contract.py", "tests/test_public_matplotlib.py")
FLOOR_SELECTION = "valid_change_updates or mimebundle or public"
"""At the floor, the contract's tests that build every widget, move it and draw it as a new widget would, and
produce its whole display (live view, PNG and the offline frames), plus every public-matplotlib check: about
110 CPU-s. The whole contract there took 7.5 CPU-minutes, a third of a 10-minute run on 2 cores; every test
of it runs at the pinned versions in the same run."""
RUN_TIMEOUT_S = 3600
"""The contract test at the floor took more than 5.5 CPU-minutes (unfinished after 30 min of wall clock at load 17-22)."""
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([0-9][0-9a-z.]*)$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, str]:
    """Each runtime dependency of pyproject.toml and its declared lower bound."""
    declared = {}
    for dep in tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]:
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)", dep)
        assert m, f"every runtime dependency declares a lower bound: {dep!r}"
        declared[_norm(m.group(1))] = m.group(2)
    return declared


def _pins() -> dict[str, str]:
    pins = {}
    for line in FLOOR_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = PIN.match(line)
        assert m, f"requirements-floor.txt pins every line exactly (name==version): {line!r}"
        assert _norm(m.group(1)) not in pins, f"pinned twice: {line!r}"
        pins[_norm(m.group(1))] = m.group(2)
    return pins


def _vtuple(v: str) -> tuple[int, ...]:
    parts = [int(x) for x in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def test_floor_pins_equal_the_declared_lower_bounds():
    declared, pins = _declared(), _pins()
    missing = sorted(set(declared) - set(pins))
    assert not missing, f"requirements-floor.txt does not pin {missing}"
    for name, low in declared.items():
        assert _vtuple(pins[name]) == _vtuple(low), f"{name}: floor venv has {pins[name]}, pyproject.toml declares >={low}"
    assert "pytest" in pins, "the floor venv runs pytest"


def test_floor_venv_is_reused_while_the_file_and_python_are_unchanged(tmp_path, monkeypatch):
    """A floor venv built ahead (``make floor-venv``, CI) is what the test uses: nothing is installed again;
    a changed requirements-floor.txt makes it stale, and it is built again from nothing."""
    from ketacourse_tools import floor

    pins = tmp_path / "requirements-floor.txt"
    pins.write_text("numpy==1.26.0\n")
    venv = tmp_path / "venv-floor"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / "stale-file").write_text("")
    (venv / ".ketacourse-floor").write_text(floor.floor_key(pins))
    calls: list[list[str]] = []

    def run(cmd, timeout_s):
        calls.append(cmd)
        if cmd[1:3] == ["-m", "venv"]:
            (venv / "bin").mkdir(parents=True)
            (venv / "bin" / "python").write_text("")

    monkeypatch.setattr(floor, "_run", run)
    monkeypatch.setattr(floor.installer, "uv_binary", lambda pip, runner: Path("/opt/uv/bin/uv"))
    assert floor.floor_venv(venv, pins) == venv / "bin" / "python" and not calls
    pins.write_text("numpy==1.26.1\n")
    assert floor.floor_venv(venv, pins) == venv / "bin" / "python"
    assert calls[0][1:3] == ["-m", "venv"] and calls[1][:3] == ["/opt/uv/bin/uv", "pip", "install"]
    assert calls[2][-1] == "check" and len(calls) == 3
    assert str(pins) in calls[1] and "--no-deps" in calls[1] and "--only-binary" in calls[1]
    assert not (venv / "stale-file").exists(), "a stale floor venv is removed before it is built again"
    assert (venv / ".ketacourse-floor").read_text() == floor.floor_key(pins)


def _run(cmd: list[str], timeout_s: float, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=REPO, **kw)


def _fail(what: str, proc: subprocess.CompletedProcess) -> None:
    tail = "\n".join((proc.stdout + "\n" + proc.stderr).strip().splitlines()[-60:])
    pytest.fail(f"{what} (exit {proc.returncode}); last lines:\n{tail}", pytrace=False)


@pytest.mark.slow
def test_widgets_work_at_the_declared_floor(tmp_path):
    """Every widget keeps its contract, and the package uses public matplotlib only, with the lowest
    versions pyproject.toml declares. Nothing of these tests may be skipped there."""
    try:
        python = floor_venv()
    except FloorVenvError as exc:
        pytest.fail(str(exc), pytrace=False)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "MPLBACKEND": "Agg"}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)

    # the floor venv really holds the floors, and the package is imported from this checkout
    probe = ("import importlib.metadata as m, json, ketacourse; "
             "print(json.dumps({'file': ketacourse.__file__, "
             "'versions': {d.metadata['Name']: d.version for d in m.distributions()}}))")
    proc = _run([str(python), "-c", probe], 120, env=env)
    if proc.returncode:
        _fail("the floor venv cannot import ketacourse", proc)
    import json

    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(got["file"]).resolve().is_relative_to(REPO / "src"), got["file"]
    versions = {_norm(k): v for k, v in got["versions"].items() if _norm(k) != "ketacourse"}  # src/*.egg-info
    assert versions == _pins(), "the floor venv holds exactly requirements-floor.txt"

    junit = tmp_path / "floor.xml"
    proc = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                 "-k", FLOOR_SELECTION, f"--junitxml={junit}", *FLOOR_TESTS], RUN_TIMEOUT_S, env=env)
    if proc.returncode or not junit.is_file():
        _fail("the widget tests fail at the declared dependency floor", proc)
    cases = ET.parse(junit).getroot().iter("testcase")
    outcome: dict[str, list[str]] = {"passed": [], "skipped": [], "failed": []}
    for case in cases:
        kind = "skipped" if case.find("skipped") is not None else (
            "failed" if case.find("failure") is not None or case.find("error") is not None else "passed")
        outcome[kind].append(f"{case.get('classname')}::{case.get('name')}")
    assert not outcome["failed"] and not outcome["skipped"], {k: v[:20] for k, v in outcome.items() if k != "passed"}
    for path in FLOOR_TESTS:
        module = Path(path).stem
        assert any(f".{module}::" in c or c.startswith(f"{module}::") for c in outcome["passed"]), f"{path} ran nothing"

    from ketacourse.widgets import registry

    untested = [name for name in registry() if not any(f"[{name}" in c for c in outcome["passed"])]
    assert not untested, f"widgets the floor run did not build: {untested}"
