"""The floor venv (``make test-floor``) installs exactly the lowest versions pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_floor_pins_equal_the_declared_lower_bounds():
    declared = {}
    for dep in tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]:
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)", dep)
        assert m, f"every runtime dependency declares a lower bound: {dep!r}"
        declared[m.group(1).lower()] = m.group(2)
    pinned = {}
    for line in (REPO / "requirements-floor.txt").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==([0-9][0-9.]*)", line.strip())
        if m:
            pinned[m.group(1).lower()] = m.group(2)

    def norm(v: str) -> tuple[int, ...]:
        parts = [int(x) for x in v.split(".")]
        return tuple(parts + [0] * (3 - len(parts)))

    assert set(pinned) == set(declared)
    for name, low in declared.items():
        assert norm(pinned[name]) == norm(low), f"{name}: floor venv has {pinned[name]}, pyproject.toml declares >={low}"
