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


# ----------------------------------------------------------------------------- each chapter executed once
NBVAL_REUSE_PLUGIN = "ketacourse-executed-chapters"


def _nbval_notebook(item) -> Path | None:
    """The notebook of an nbval cell item (``chapters/NN-*.ipynb::Cell k``), else None."""
    if type(item).__name__ != "IPyNbCell" or not hasattr(item, "cell_num"):
        return None
    return Path(str(item.path)).resolve()


class ExecutedChapters:
    """Each chapter notebook is executed once per run, by nbval, and that run is reused.

    nbval runs every code cell of every chapter on a fresh kernel and keeps the outputs it got
    (``IPyNbCell.test_outputs``). This plugin moves the nbval items to the front of the session
    (so they run before the book builds) and, for a notebook whose every cell passed, gives back
    the notebook with those fresh outputs (:meth:`executed`). The book build and the student book
    then render what nbval executed in this same run instead of executing every chapter again.
    A notebook nbval did not run, or that failed, gives None: the caller executes it itself.
    """

    def __init__(self) -> None:
        self.expected: dict[Path, set[int]] = {}
        self.outputs: dict[Path, dict[int, list]] = {}
        self.failed: set[Path] = set()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        nbval_items = [item for item in items if _nbval_notebook(item) is not None]
        if not nbval_items:
            return
        others = [item for item in items if _nbval_notebook(item) is None]
        items[:] = nbval_items + others
        for item in nbval_items:
            self.expected.setdefault(_nbval_notebook(item), set()).add(item.cell_num)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        path = _nbval_notebook(item)
        if path is None:
            return
        report = outcome.get_result()
        if not report.passed:
            self.failed.add(path)
        elif report.when == "call":
            self.outputs.setdefault(path, {})[item.cell_num] = list(item.test_outputs or [])

    def executed(self, path: Path):
        """The notebook at ``path`` with the outputs nbval got in this run, or None if nbval did
        not run every one of its cells or any of them failed."""
        import nbformat

        path = Path(path).resolve()
        got = self.outputs.get(path, {})
        if path in self.failed or not self.expected.get(path) or set(got) != self.expected[path]:
            return None
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if len(code) != len(self.expected[path]):
            return None  # the file changed since collection
        count = 0
        for k, cell in enumerate(code):
            outputs = [nbformat.from_dict(dict(o)) for o in got[k]]
            if cell.source.strip():
                count += 1
                cell.execution_count = count
            else:
                cell.execution_count = None
            for out in outputs:
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = cell.execution_count
                out.setdefault("metadata", {}) if out.get("output_type") in ("display_data", "execute_result") else None
            cell.outputs = outputs
        nbformat.validate(nb)
        return nb


def pytest_configure(config):
    if not config.pluginmanager.has_plugin(NBVAL_REUSE_PLUGIN):
        config.pluginmanager.register(ExecutedChapters(), NBVAL_REUSE_PLUGIN)


# ----------------------------------------------------------------------------- the slow lane
SLOW_FIXTURES = {
    "executed",  # tests/test_student.py: runs every student notebook
    "assignment", "graded",  # tests/test_assignments.py: builds and grades the Chapter 2 assignment
    "dockerfile",  # tests/test_binder.py: repo2docker renders the Binder image
    "pack",  # tests/test_pack.py: the instructor pack of every chapter, with every widget's figures
    "run",  # tests/test_grading_redteam.py: grades hostile submissions in the sandbox (time limits)
}
"""Fixtures that execute notebooks, build books or run external builders: a test that uses one is
``slow`` (left out of ``make test-fast``, run by ``make test``). Browser tests are ``browser``."""


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def executed_chapters(request) -> ExecutedChapters:
    """The chapters nbval executed in this run (:class:`ExecutedChapters`)."""
    return request.config.pluginmanager.get_plugin(NBVAL_REUSE_PLUGIN)
