"""Shared fixtures for the ketacourse test suite (kept deliberately small).

Browser fixtures live in ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

# Widgets draw with Agg on figures that pyplot does not manage; make sure nothing in the test
# process ever tries to open a window.
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]

# ----------------------------------------------------------------------------- framecache: one disk cache per run
# ketacourse.diskcache keeps the widgets' offline frames (ModelWidget.static_html) and the wind-up
# trains (windup.simulate_train) under a key of their inputs and the package's code. A run of the tests
# uses one fresh folder, shared by every process of the run: this process sets KETACOURSE_CACHE_DIR
# before anything starts, and the pytest-xdist workers, the kernels of nbval, JupyterLab and the
# student runs, and any other subprocess inherit it; the first execution of a chapter draws and
# stores, the next ones read. A KETACOURSE_CACHE_DIR already set (a folder, or "off") is kept.
# The widget contract (tests/test_widget_contract.py) shares it too: a widget's stored HTML is drawn
# once per run, by whichever process shows that widget first (a chapter's kernel, or the contract);
# the key holds everything drawing reads (test_diskcache.py), so reading it back is drawing it.
if "KETACOURSE_CACHE_DIR" not in os.environ:
    import atexit
    import tempfile

    _DISK_CACHE = tempfile.mkdtemp(prefix="ketacourse-cache-")
    os.environ["KETACOURSE_CACHE_DIR"] = _DISK_CACHE
    atexit.register(shutil.rmtree, _DISK_CACHE, ignore_errors=True)


# ----------------------------------------------------------------------------- end framecache


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
EXECUTED_DIR_OPTION = "ketacourse_executed_dir"
"""Key of the folder shared by the pytest-xdist workers (``workerinput``) for executed chapters."""
EXECUTED_WAIT_S = 1800.0
"""Under pytest-xdist, how long a worker waits for a chapter that another worker's nbval runs."""


def _nbval_notebook(item) -> Path | None:
    """The notebook of an nbval cell item (``chapters/NN-*.ipynb::Cell k``), else None."""
    if type(item).__name__ != "IPyNbCell" or not hasattr(item, "cell_num"):
        return None
    return Path(str(item.path)).resolve()


class ExecutedChapters:
    """Each chapter notebook is executed once per run, by nbval, and that run is reused.

    nbval runs every code cell of every chapter on a fresh kernel and keeps the outputs it got
    (``IPyNbCell.test_outputs``). This plugin moves the nbval items to the front of the session
    (so they run before the book builds) and, when the last cell of a notebook has passed, writes
    that notebook with those fresh outputs into ``folder`` (a failed cell writes a ``.failed``
    marker instead). :meth:`executed` gives the notebook back: the book build and the student
    book then render what nbval executed in this same run instead of executing every chapter again.

    Under pytest-xdist (``make test``) each chapter's cells run on one worker (one xdist group per
    notebook, :func:`pytest_collection_modifyitems`) and ``folder`` is shared by all workers, so a
    book built on one worker waits for the chapters another worker is executing (their work units
    are handed out first: ``--no-loadscope-reorder`` keeps this order). A notebook nbval did not
    run in full, or that failed, gives None: the caller executes it itself.
    """

    def __init__(self, folder: Path, wait_s: float = 0.0) -> None:
        self.folder = Path(folder)
        self.wait_s = wait_s  # 0: one process, where nbval has already run when anyone asks
        self.expected: dict[Path, set[int]] = {}
        self.outputs: dict[Path, dict[int, list]] = {}
        self.failed: set[Path] = set()

    def _file(self, path: Path, suffix: str) -> Path:
        import hashlib

        return self.folder / f"{path.stem}-{hashlib.sha256(str(path).encode()).hexdigest()[:12]}{suffix}"

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        nbval_items = [item for item in items if _nbval_notebook(item) is not None]
        if not nbval_items:
            return
        others = [item for item in items if _nbval_notebook(item) is None]
        # timed JupyterLab tests first (under pytest-xdist their worker then keeps its priority:
        # pytest_runtest_setup), then the chapters, then everything else
        timed = [item for item in others if _groups_of(item) & TIMED_GROUPS]
        items[:] = timed + nbval_items + [item for item in others if not _groups_of(item) & TIMED_GROUPS]
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
            if path not in self.failed:
                self.failed.add(path)
                self._file(path, ".failed").write_text(f"{item.nodeid}: {report.when} {report.outcome}\n")
        elif report.when == "call":
            got = self.outputs.setdefault(path, {})
            got[item.cell_num] = list(item.test_outputs or [])
            if path not in self.failed and set(got) == self.expected.get(path):
                self._publish(path)

    def _publish(self, path: Path) -> None:
        """Write the notebook with this run's outputs (atomically), or a ``.failed`` marker."""
        import nbformat

        nb = self._assemble(path)
        if nb is None:
            self._file(path, ".failed").write_text("not every code cell was run\n")
            return
        tmp = self._file(path, ".tmp")
        nbformat.write(nb, tmp)
        tmp.replace(self._file(path, ".ipynb"))

    def _assemble(self, path: Path):
        import nbformat

        got = self.outputs.get(path, {})
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if len(code) != len(self.expected[path]) or set(got) != set(range(len(code))):
            return None  # the file changed since collection, or only some cells were selected
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

    def executed(self, path: Path):
        """The notebook at ``path`` with the outputs nbval got in this run, or None if nbval did
        not run every one of its cells or any of them failed. Under pytest-xdist it waits (up to
        :data:`EXECUTED_WAIT_S`) for a chapter that another worker is still executing."""
        import time

        import nbformat

        path = Path(path).resolve()
        if not self.expected.get(path):
            return None
        done, failed = self._file(path, ".ipynb"), self._file(path, ".failed")
        deadline = time.monotonic() + self.wait_s
        while not done.exists() and not failed.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        if failed.exists() or not done.exists():
            return None
        nb = nbformat.read(done, as_version=4)
        current = [c.source for c in nbformat.read(path, as_version=4).cells]
        if [c.source for c in nb.cells] != current:
            return None  # the file changed since nbval ran it
        return nb


def pytest_configure(config):
    import tempfile

    if config.pluginmanager.has_plugin(NBVAL_REUSE_PLUGIN):
        return
    shared = getattr(config, "workerinput", {}).get(EXECUTED_DIR_OPTION)
    if shared:  # a pytest-xdist worker: the controller's folder, shared with the other workers
        plugin = ExecutedChapters(Path(shared), wait_s=EXECUTED_WAIT_S)
    else:  # one process, or the xdist controller (which hands the folder to its workers)
        folder = Path(tempfile.mkdtemp(prefix="ketacourse-executed-"))
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        plugin = ExecutedChapters(folder)
    config.pluginmanager.register(plugin, NBVAL_REUSE_PLUGIN)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist controller: give every worker the shared folder of executed chapters."""
    plugin = node.config.pluginmanager.get_plugin(NBVAL_REUSE_PLUGIN)
    node.workerinput[EXECUTED_DIR_OPTION] = str(plugin.folder)


UNIT_SECONDS_KEY = "ketacourse/xdist-unit-seconds"
"""pytest's cache key (``.pytest_cache``) of each work unit's measured seconds in the last run: the
scheduler's estimates where they exist (a fresh clone has none and uses :func:`unit_estimate_s`)."""
_scheduler = None  # the controller's scheduler, for pytest_terminal_summary and pytest_sessionfinish


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` that reads each test's ``xdist_group`` from the workers and hands out the
    longest work units first.

    pytest-xdist 3.8 marks a test's group by appending ``@group`` to ``item._nodeid``, which pytest 9
    no longer reads (the node id lives elsewhere), so its own loadgroup puts every test in a unit of
    its own. Here the workers write, at collection (:func:`pytest_collection_modifyitems`), each
    test's group, each unit's estimated seconds and the units that wait for the chapters nbval
    executes, into the shared folder, and this scheduler groups by it. Order (list scheduling,
    longest processing time first): the timed JupyterLab units (:data:`TIMED_GROUPS`), then the
    chapters' nbval units, longest first, then every other unit, longest first; a unit that renders
    the chapters nbval executed (the book, the student book: fixture ``executed_chapters``) is not
    handed out while a chapter is still running elsewhere if any other unit is left, so no worker
    waits for the other. Estimates are last run's measured seconds (pytest's cache) where there are
    any, else :func:`unit_estimate_s`."""
    if config.getvalue("dist") != "loadgroup":
        return None
    import json

    from xdist.scheduler import LoadScopeScheduling

    folder = config.pluginmanager.get_plugin(NBVAL_REUSE_PLUGIN).folder
    cache = getattr(config, "cache", None)
    measured = dict(cache.get(UNIT_SECONDS_KEY, {}) if cache is not None else {})

    class LongestFirstGroups(LoadScopeScheduling):
        info: dict | None = None

        def _read(self) -> dict:
            if self.info is None:
                found = sorted(folder.glob("xdist-groups-*.json"))
                self.info = json.loads(found[0].read_text(encoding="utf-8")) if found else {}
                self.info.setdefault("groups", {})
                self.info.setdefault("estimate_s", {})
                self.info["after_chapters"] = set(self.info.get("after_chapters", ()))
                self.ordered = False
                self.seconds: dict[str, float] = {}  # measured in this run
                self.worker_of: dict[str, str] = {}
            return self.info

        def _split_scope(self, nodeid: str) -> str:
            return self._read()["groups"].get(nodeid) or nodeid.split("::")[0]

        def estimate(self, unit: str) -> float:
            return float(measured.get(unit, self._read()["estimate_s"].get(unit, 0.0)))

        def _order(self) -> None:
            def tier(unit: str) -> int:
                if unit in TIMED_GROUPS:
                    return 0
                return 1 if unit.startswith("nbval-") else 2

            units = list(self.workqueue.items())
            units.sort(key=lambda kv: (tier(kv[0]), -self.estimate(kv[0])))  # stable: ties keep collection order
            self.workqueue.clear()
            self.workqueue.update(units)
            self.ordered = True

        def _chapters_running(self) -> bool:
            if any(u.startswith("nbval-") for u in self.workqueue):
                return True
            return any(u.startswith("nbval-") and not all(done.values())
                       for work in self.assigned_work.values() for u, done in work.items())

        def _assign_work_unit(self, node) -> None:
            self._read()
            if not self.ordered:
                self._order()
            after = self.info["after_chapters"]
            if self._chapters_running():
                first = next((u for u in self.workqueue if u not in after), None)
                if first is not None:
                    self.workqueue.move_to_end(first, last=False)
            unit = next(iter(self.workqueue))
            self.worker_of[unit] = node.gateway.id
            super()._assign_work_unit(node)

        def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
            unit = self._split_scope(self.registered_collections[node][item_index])
            self.seconds[unit] = self.seconds.get(unit, 0.0) + float(duration)
            super().mark_test_complete(node, item_index, duration)

    global _scheduler
    _scheduler = LongestFirstGroups(config, log)
    return _scheduler


def pytest_sessionfinish(session, exitstatus):
    """The controller keeps each work unit's measured seconds for the next run's order."""
    sched = _scheduler
    cache = getattr(session.config, "cache", None)
    if sched is None or cache is None or not getattr(sched, "seconds", None):
        return
    measured = dict(cache.get(UNIT_SECONDS_KEY, {}))
    measured.update({unit: round(s, 2) for unit, s in sched.seconds.items()})
    cache.set(UNIT_SECONDS_KEY, measured)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Under pytest-xdist: each worker's busy seconds and the longest work units (where the time went)."""
    sched = _scheduler
    if sched is None or not getattr(sched, "seconds", None):
        return
    tr = terminalreporter
    tr.write_sep("=", "xdist work units (longest first; estimate in parentheses)")
    busy: dict[str, float] = {}
    for unit, secs in sched.seconds.items():
        busy[sched.worker_of.get(unit, "?")] = busy.get(sched.worker_of.get(unit, "?"), 0.0) + secs
    tr.write_line("busy: " + ", ".join(f"{w} {s:.0f} s" for w, s in sorted(busy.items())))
    for unit, secs in sorted(sched.seconds.items(), key=lambda kv: -kv[1])[:25]:
        tr.write_line(f"{secs:8.1f} s ({sched.estimate(unit):6.1f})  {sched.worker_of.get(unit, '?'):4s} {unit}")


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


# ----------------------------------------------------------------------------- two cores (pytest-xdist)
TIMED_GROUPS = {"lab"}
"""Work units whose tests wait on wall-clock budgets (a chapter's Run All in JupyterLab within 50 s).
Under pytest-xdist they are handed out first, and every other worker lowers its own CPU priority by
:data:`OTHERS_NICE` (with the kernels and builds it starts), so the other worker's load does not eat
into those budgets on a 2-core machine."""
OTHERS_NICE = 5
_niced = False


def _groups_of(item) -> set[str]:
    return {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}


def pytest_runtest_setup(item):
    global _niced
    if _niced or not getattr(item.config, "workerinput", None) or _groups_of(item) & TIMED_GROUPS:
        return
    try:
        os.nice(OTHERS_NICE)
    except OSError:
        pass
    _niced = True


def xdist_group_of(item) -> str:
    """The pytest-xdist work unit of a test without an ``xdist_group`` mark (``make test`` runs
    ``--dist loadgroup``, :func:`pytest_xdist_make_scheduler`): one per
    chapter for nbval (its cells share one kernel), ``book`` for every test of the built book and
    ``lab`` for every test of a JupyterLab server (each worker starts its session fixtures once:
    the book is built once, Lab and Chromium start once), else one per test file (module-scoped
    fixtures run once). A test file whose module-scoped fixtures are long and independent splits
    itself: ``XDIST_UNITS = {fixture: unit name}`` in the module puts every test that uses the fixture
    (directly or through another fixture) in a unit of its own, so the workers share the file."""
    notebook = _nbval_notebook(item)
    if notebook is not None:
        return f"nbval-{notebook.name}"
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & {"built_book", "book_server"}:
        return "book"
    if fixtures & {"lab_server", "plain_lab"}:
        return "lab"
    file = str(item.path.relative_to(item.config.rootpath) if item.path.is_relative_to(item.config.rootpath)
               else item.path)
    for fixture, unit in getattr(getattr(item, "module", None), "XDIST_UNITS", {}).items():
        if fixture in fixtures:
            return f"{file}::{unit}"
    return file


CHAPTER_BASE_S = 5.0
"""Estimate: starting a kernel and the chapter's imports (seconds)."""
CHAPTER_OUTPUT_BYTES_PER_S = 100_000.0
"""Estimate: a chapter's stored outputs per second of executing it (most of a chapter's time goes
into drawing its widgets' figures and frames, which is what its stored outputs hold)."""
FIXTURE_S = {"built_book": 120.0, "lab_server": 20.0, "browser": 5.0, "pack": 35.0, "assignment": 10.0,
             "graded": 25.0, "run": 25.0, "dockerfile": 20.0, "variants_by_chapter": 20.0, "student_dir": 5.0,
             "fresh_runs": 30.0}
"""Estimate: seconds of a fixture that executes, builds or simulates, once per work unit (a fresh
clone's guess; a measured run replaces every estimate, pytest's cache)."""
TEST_S = {"slow": 20.0, "browser": 5.0}
"""Estimate: seconds of a test marked ``slow`` or ``browser`` beyond its fixtures; any other test 0.05 s."""


@functools.lru_cache(maxsize=None)
def _output_bytes(path: Path) -> tuple[int, ...]:
    """Size of each code cell's stored outputs in notebook ``path`` (an unreadable file: none)."""
    import json

    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return tuple(len(json.dumps(c.get("outputs", []))) for c in nb.get("cells", []) if c.get("cell_type") == "code")


def _chapter_estimate_s(path: Path, cell: int | None = None) -> float:
    """Estimated seconds to execute notebook ``path`` (or only its code cell number ``cell``) from the
    size of its stored outputs."""
    sizes = _output_bytes(Path(path))
    if cell is None:
        return CHAPTER_BASE_S + sum(sizes) / CHAPTER_OUTPUT_BYTES_PER_S
    return CHAPTER_BASE_S * (cell == 0) + (sizes[cell] if cell < len(sizes) else 0) / CHAPTER_OUTPUT_BYTES_PER_S


def unit_estimate_s(items) -> float:
    """A fresh clone's estimate of the seconds a work unit takes (no measured run yet): its nbval
    cells and student-notebook runs from each chapter's stored outputs, its expensive fixtures once
    (:data:`FIXTURE_S`), its slow and browser tests (:data:`TEST_S`), every other test 0.05 s. Only the
    order of the units depends on it (:func:`pytest_xdist_make_scheduler`)."""
    seconds, fixtures = 0.0, set()
    for item in items:
        notebook = _nbval_notebook(item)
        if notebook is not None:
            seconds += _chapter_estimate_s(notebook, item.cell_num)
            continue
        names = set(getattr(item, "fixturenames", ()))
        fixtures |= names & set(FIXTURE_S)
        if "executed" in names and "name" in getattr(getattr(item, "callspec", None), "params", {}):
            seconds += _chapter_estimate_s(REPO_ROOT / "chapters" / str(item.callspec.params["name"]))
            continue  # a student notebook's run: the chapter's estimate
        marks = {m.name for m in item.iter_markers()}
        seconds += max([TEST_S[m] for m in marks & set(TEST_S)], default=0.05)
    return seconds + sum(FIXTURE_S[f] for f in fixtures)


def pytest_collection_modifyitems(config, items):
    import json

    groups: dict[str, str] = {}
    members: dict[str, list] = {}
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        names = sorted(_groups_of(item))
        if not names:
            names = [xdist_group_of(item)]
            item.add_marker(pytest.mark.xdist_group(names[0]))
        groups[item.nodeid] = "_".join(names)
        members.setdefault(groups[item.nodeid], []).append(item)
    worker = getattr(config, "workerinput", {})
    if worker.get(EXECUTED_DIR_OPTION):  # for the controller's scheduler (pytest_xdist_make_scheduler)
        info = {"groups": groups,
                "estimate_s": {unit: round(unit_estimate_s(its), 1) for unit, its in members.items()},
                "after_chapters": sorted(unit for unit, its in members.items()
                                         if any("executed_chapters" in getattr(i, "fixturenames", ()) for i in its))}
        out = Path(worker[EXECUTED_DIR_OPTION]) / f"xdist-groups-{worker.get('workerid', 'gw')}.json"
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(info), encoding="utf-8")
        tmp.replace(out)


@pytest.fixture(scope="session")
def executed_chapters(request) -> ExecutedChapters:
    """The chapters nbval executed in this run (:class:`ExecutedChapters`)."""
    return request.config.pluginmanager.get_plugin(NBVAL_REUSE_PLUGIN)
