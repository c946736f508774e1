"""Shared fixtures for the ketacourse test suite (kept deliberately small).

Browser fixtures live in ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

# Widgets draw with Agg on figures that pyplot does not manage; make sure nothing in the test
# process ever tries to open a window.
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout (the folder holding ``pyproject.toml``)."""
    assert (REPO_ROOT / "pyproject.toml").is_file(), REPO_ROOT
    return REPO_ROOT


@pytest.fixture(scope="session")
def chapters_dir(repo_root: Path) -> Path:
    """The book's ``chapters/`` folder (master notebooks, pages, ``references.bib``)."""
    return repo_root / "chapters"
