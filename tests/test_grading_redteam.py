"""Red team: every attack the instructor review tried (and a few more) against ``make grade``, each
graded in one folder next to honest classmates, with the real sandbox (bubblewrap; installed by
``scripts/ensure-system.sh grader``; never skipped), and again with every container backend that
works on this machine (Podman where it is installed; ``make test-grading-podman`` installs it and
sets ``KETACOURSE_GRADER_BACKENDS=bwrap,podman``, which makes a listed backend required: the suite
then fails, never shrinks, when it cannot run).

For every attack: it gains nothing (no point it did not earn), it is reported (on its row or in
its feedback), every classmate's grade is what it would be alone, no file is changed or lost,
and nothing it started survives the run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading_fixtures import EXPECTED, correct, make_assignment, notebook
from ketacourse_tools.assignments import sandbox
from ketacourse_tools.assignments.grade import grade_folder, score
from ketacourse_tools.assignments.sandbox import Limits

LIMITS = Limits(wall_s=15, cpu_s=6, memory_mb=1024, processes=32)
"""The sandbox's limits here. The CPU-time limit is what a spinning cell that blocks the per-cell alarm
(spin_forever) burns before it is stopped on an idle machine (a busy one meets the wall-clock limit first), so
it is kept low: the runner on an honest submission of this synthetic assignment uses about 0.6 CPU-seconds
(Python, IPython and NumPy starting), a tenth of it."""
MARK = "ketacourse-redteam-marker"
REQUIRED = [b for b in os.environ.get("KETACOURSE_GRADER_BACKENDS", "bwrap").split(",") if b]
# bwrap always; a container engine when its program is installed and it runs the grading container here
BACKENDS = [b for b in sandbox.BACKENDS if b in REQUIRED or (b != "bwrap" and shutil.which(b) and sandbox.available(b))]


def _attacks(key_path: Path, victim: Path, subs: Path) -> dict[str, tuple[str, ...]]:
    """Submission name -> its code cells. Each knows the real paths (the strongest attacker)."""
    k, v, s = str(key_path), str(victim), str(subs)
    return {
        # Reads the hidden key / tests and answers with what it finds.
        "read_hidden": (
            "import json, glob\nfound = glob.glob('/work/**/key.json', recursive=True) + glob.glob('/tmp/**/key.json', "
            "recursive=True) + glob.glob('/root/**/key.json', recursive=True)",
            f"key = json.load(open({k!r}))\nq = key['questions']",
            "answer_num = q['q-num']['cases']['']['expected']",
            "answer_choice = q['q-choice']['cases']['']['answer']",
        ),
        # Patches built-ins and hands over an object that claims to equal everything.
        "patch_builtins": (
            "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.float = lambda x=0: 3.18\nbuiltins.max = lambda *a: 1e9",
            "class Liar(float):\n    def __eq__(self, other): return True\n    def __sub__(self, other): return 0.0\n"
            "    def __abs__(self): return 0.0\n    def __float__(self): return 3.18\nanswer_num = Liar(123.0)",
            "class Letter(str):\n    def __eq__(self, other): return True\n    def lower(self): return 'c'\n"
            "    def strip(self): return self\nanswer_choice = Letter('z')",
        ),
        # Shells out: copies the key and the course checkout's answers, reads the process table.
        "shell_out": (
            f"import os, subprocess\nos.system('cp {k} /tmp/stolen.json; ls -R /work /root /home > /tmp/w 2>/dev/null; "
            f"cat /proc/*/cmdline > /tmp/cmdlines 2>/dev/null')",
            "out = subprocess.run(['sh', '-c', 'ls /proc; cat /tmp/stolen.json; ls /work /root /home'], "
            "capture_output=True, text=True).stdout\nimport re\nm = re.search(r'\"expected\": ([0-9.]+)', out)\n"
            "answer_num = float(m.group(1)) if m else -1.0",
        ),
        # Copies answer files from wherever it can see them.
        "copy_answers": (
            "import pathlib, shutil\nhits = []\nfor root in ['/work', '/tmp', '/root', '/home', '/in', '/out', '/']:\n"
            "    p = pathlib.Path(root)\n    if p.is_dir():\n"
            "        hits += [x for x in p.glob('**/*.json') if 'questions' in x.name or 'key' in x.name][:5]\n"
            "stolen = [h.read_text() for h in hits]\n"
            "answer_num = next((float(t.split('expected\": ')[1].split(',')[0]) for t in stolen if 'expected' in t), -1.0)",
        ),
        # Overwrites a classmate's submission (and every notebook it can reach).
        "overwrite_classmate": (
            f"import glob, os\nfor p in [{v!r}] + glob.glob({s!r} + '/*') + glob.glob('/**/*.ipynb', recursive=True):\n"
            "    try:\n        open(p, 'w').write('{}')\n    except OSError:\n        pass",
            f"try:\n    os.remove({v!r})\nexcept OSError:\n    pass\nanswer_num = 1.0",
        ),
        # Sleeps forever in one cell (stopped per cell; the later answer still counts)...
        "sleep_forever": ("import time\ntime.sleep(10**6)", "answer_choice = 'c'"),
        # ...and blocks the per-cell alarm, spinning until the wall-clock limit kills it.
        "spin_forever": ("answer_choice = 'c'",
                         "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass"),
        # Allocates without bound.
        "unbounded_memory": ("blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))",
                             "x = bytearray(10**12)", f"answer_num = {EXPECTED}"),
        # Fork bomb (children sleep, so the shared test machine is spared the CPU).
        "fork_bomb": ("import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
                      "        time.sleep(0.5)",),
        # Calls the network (exfiltration), by IP and by name.
        "network": ("import socket\ns = socket.create_connection(('1.1.1.1', 80), timeout=3)",
                    "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=3).read()",
                    "answer_choice = 'a'"),
        # Leaves things behind: a daemon process and files outside its scratch folder.
        "leave_behind": (
            f"import subprocess, os\nsubprocess.Popen(['sleep', '600', '{MARK}'], start_new_session=True)\n"
            f"open('/tmp/{MARK}', 'w').write('x')",
            f"open(os.path.expanduser('~/{MARK}'), 'w').write('x')",
            f"for p in ['/usr/{MARK}', '/in/{MARK}', '/etc/{MARK}']:\n    try:\n        open(p, 'w')\n    except OSError:\n        pass",
        ),
        # Forges its own result file: it can only claim answers it does not know.
        "forge_result": (
            "import json, os\njson.dump({'answers': {'q-num': {'type': 'float', 'value': '1.0'}}}, open('/out/result.json', 'w'))\n"
            "os._exit(0)",
        ),
    }


@pytest.fixture(scope="module", params=BACKENDS)
def run(request, tmp_path_factory):
    backend = request.param
    why = sandbox.why_unavailable(backend)
    assert not why, why  # the sandbox must work here (CI installs bubblewrap); never skipped
    root = tmp_path_factory.mktemp(f"redteam-{backend}")
    ag = make_assignment(root)
    subs = root / "subs"
    subs.mkdir()
    victim = subs / "zz_victim.ipynb"
    nbformat.write(correct(), victim)
    nbformat.write(correct(), subs / "aa_honest.ipynb")
    for name, cells in _attacks(ag / "key.json", victim, subs).items():
        nbformat.write(notebook(*cells), subs / f"{name}.ipynb")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()}
    key_before = (ag / "key.json").read_bytes()
    # this run's sandboxes in a /tmp folder of their own, so test_nothing_survives looks at what this
    # grading left, not at a grading that another pytest-xdist worker is running at the same moment
    sandboxes = Path(tempfile.mkdtemp(prefix="ketacourse-redteam-sandboxes-"))
    request.addfinalizer(lambda: shutil.rmtree(sandboxes, ignore_errors=True))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(sandboxes))
        mp.setattr(tempfile, "tempdir", str(sandboxes))
        grade_folder(subs, autograder=ag, jobs=2, limits=LIMITS, cell_timeout=4, progress=False, backend=backend)
    with open(subs / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    return {"subs": subs, "rows": rows, "before": before, "ag": ag, "key_before": key_before, "backend": backend,
            "sandboxes": sandboxes}


def test_the_required_backends_are_tested():
    assert "bwrap" in BACKENDS and set(REQUIRED) <= set(BACKENDS)


def test_run_used_the_backend_it_names(run):
    assert f"in the {run['backend']} sandbox" in (run["subs"] / "report.txt").read_text()


ATTACKS = ["read_hidden", "patch_builtins", "shell_out", "copy_answers", "overwrite_classmate", "sleep_forever",
           "spin_forever", "unbounded_memory", "fork_bomb", "network", "leave_behind", "forge_result"]
# What each attack honestly earns: (q-num, q-choice) points.
EARNED = {"sleep_forever": (0, 1), "spin_forever": (0, 1), "unbounded_memory": (1, 0)}


def test_nothing_lost_every_file_has_a_row(run):
    assert set(run["rows"]) == {"aa_honest", "zz_victim", *ATTACKS}


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_gains_nothing(run, attack):
    row = run["rows"][attack]
    assert (float(row["q-num"]), float(row["q-choice"])) == EARNED.get(attack, (0, 0) if attack != "network" else (0, 0))


def test_classmates_grades_unchanged(run):
    for name in ("aa_honest", "zz_victim"):
        row = run["rows"][name]
        assert row["autograded"] == "2" and not row["error"] and not row["notes"], row


def test_no_submission_changed_and_key_intact(run):
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in run["subs"].iterdir()
             if p.name in run["before"]}
    assert after == run["before"]
    assert (run["ag"] / "key.json").read_bytes() == run["key_before"]
    for row in run["rows"].values():
        assert row["sha256"] == run["before"][row["file"]]


@pytest.mark.parametrize("attack,reported", [
    ("read_hidden", "FileNotFoundError"), ("shell_out", "a shell command x1"), ("sleep_forever", "CellTimeout"),
    ("spin_forever", "wall-clock"), ("unbounded_memory", "MemoryError"), ("fork_bomb", "stopped"),
    ("network", "a network connection"), ("overwrite_classmate", "deleting a file x1"),
    ("leave_behind", "a program x1"), ("copy_answers", "stopped by the sandbox"),
])
def test_attack_is_reported(run, attack, reported):
    row = run["rows"][attack]
    text = row["error"] + " " + row["notes"] + " " + (run["subs"] / "feedback" / f"{attack}.txt").read_text()
    # A spinning cell meets the CPU-time limit first on an idle machine and the wall-clock limit first
    # on a busy one; a whole-filesystem search may meet either before its permission errors. Each is a
    # report (and the attack earns nothing either way: test_attack_gains_nothing). A container's process
    # killed at the hard CPU-time limit ends with SIGKILL, as one killed for memory does: the grader
    # then names both ("killed (CPU-time or memory limit)", seen under Podman on an idle machine).
    limits = ("wall-clock", "CPU-time limit", "CPU-time or memory limit")
    if attack == "spin_forever":
        assert any(x in text for x in limits), text
        assert row["error"].startswith("stopped after") or "CPU-time" in row["error"], row
    elif attack == "copy_answers":  # a permission error, a limit, or the search itself is reported
        assert any(x in text for x in (reported, "listing folders outside its own", *limits)), text
    else:
        assert reported in text, text
    assert f"- {attack}.ipynb" in (run["subs"] / "report.txt").read_text()
    if attack == "network":
        assert "OSError" in text or "URLError" in text or "gaierror" in text or "ConnectionError" in text


def test_nothing_survives(run):
    import glob

    assert not glob.glob(f"/tmp/**/{MARK}", recursive=True)
    assert not Path(f"/usr/{MARK}").exists() and not Path(f"/etc/{MARK}").exists()
    # every sandbox of the run is deleted, home and all (the grader's own font cache, ketacourse-grader-mpl-*,
    # holds nothing of a submission)
    assert list(run["sandboxes"].glob("ketacourse-grade-*")) == []
    left = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if MARK.encode() in cmd and b"pytest" not in cmd:
                left.append(cmd)
            if 61000 <= os.stat(f"/proc/{pid}").st_uid < 64000:  # a sandbox's own user: fork bomb leftovers
                left.append(cmd)
    assert not left, left
    if run["backend"] != "bwrap":  # no container is left, running or stopped
        names = subprocess.run([run["backend"], "ps", "--all", "--format", "{{.Names}}"], capture_output=True,
                               text=True, timeout=60)
        assert names.returncode == 0 and "ketacourse-grade-" not in names.stdout, names


def test_score_compares_plain_data_only():
    from grading_fixtures import KEY

    q = KEY["questions"]["q-num"]
    assert score(q, {"type": "float", "value": str(EXPECTED)}, "")[0] == 1
    assert score(q, {"type": "bool", "value": True}, "")[0] == 0
    assert score(q, {"type": "str", "value": "3.18"}, "")[0] == 0
    assert score(q, {"type": "float", "value": "nan"}, "")[0] == 0
    assert "named mistake [inverted]" in score(q, {"type": "float", "value": str(1 / EXPECTED)}, "")[1]
    c = KEY["questions"]["q-choice"]
    assert score(c, {"type": "str", "value": "(c)"}, "")[0] == 1
    assert "named mistake [option a]" in score(c, {"type": "str", "value": "a"}, "")[1]
    assert score(c, {"type": "int", "value": 3}, "")[0] == 0


# ----------------------------------------------------------------------------- malformed inputs
@pytest.fixture(scope="module")
def malformed(tmp_path_factory):
    root = tmp_path_factory.mktemp("malformed")
    ag = make_assignment(root)
    subs = root / "subs"
    subs.mkdir()
    nbformat.write(correct(), subs / "b01_correct.ipynb")
    (subs / "b02_not_a_notebook.ipynb").write_text("I could not get Jupyter to work, so here is my answer: 3.18")
    with zipfile.ZipFile(subs / "b04_zip_without_notebook.zip", "w") as zf:
        zf.writestr("answers.txt", "3.18")
    (subs / "essay.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    nbformat.write(notebook("answer_num = 0.3", "answer_choice = 'b'"), subs / "dup.ipynb")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("09-synthetic.ipynb", nbformat.writes(correct()))
    (subs / "dup.zip").write_bytes(buf.getvalue())
    nbformat.write(notebook("answer_num = (3.18", "answer_choice = 'c'"), subs / "syntax_error.ipynb")
    nbformat.write(notebook("answer_num = None", "answer_choice = None"), subs / "blank.ipynb")
    (subs / "binary.ipynb").write_bytes(bytes(range(256)) * 4)
    (subs / "json_not_notebook.ipynb").write_text('{"hello": 1}')
    (subs / "empty.ipynb").write_bytes(b"")
    (subs / "damaged.zip").write_bytes(b"PK\x03\x04garbage")
    (subs / ".DS_Store").write_bytes(b"\x00")
    grade_folder(subs, autograder=ag, jobs=2, limits=LIMITS, cell_timeout=4, progress=False)
    with open(subs / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    return root, ag, subs, rows


def test_every_malformed_file_is_a_row_with_its_reason(malformed):
    _root, _ag, subs, rows = malformed
    expect = {
        "b02_not_a_notebook.ipynb": "is not a notebook: it is not JSON (it starts 'I could not get Jupyter",
        "b04_zip_without_notebook.zip": "zip file with no notebook inside (it holds answers.txt)",
        "essay.pdf": "essay.pdf is a PDF, not a notebook",
        "binary.ipynb": "binary, not text",
        "json_not_notebook.ipynb": "JSON but not a Jupyter notebook",
        "empty.ipynb": "not JSON",
        "damaged.zip": "not a readable zip file",
    }
    for name, reason in expect.items():
        assert reason in rows[name]["error"], (name, rows[name]["error"])
        assert rows[name]["error"].startswith("not graded")
        feedback = (subs / "feedback" / f"{rows[name]['student']}.txt").read_text()
        assert reason in feedback
    assert rows["b01_correct.ipynb"]["autograded"] == "2"
    assert ".DS_Store" not in rows


def test_duplicate_stems_both_graded_and_listed(malformed):
    _root, _ag, subs, rows = malformed
    assert rows["dup.ipynb"]["autograded"] == "0" and rows["dup.zip"]["autograded"] == "2"
    assert "dup.zip" in rows["dup.ipynb"]["notes"] and "dup.ipynb" in rows["dup.zip"]["notes"]
    report = (subs / "report.txt").read_text()
    assert "- dup: dup.ipynb" in report and "- dup: dup.zip" in report
    # feedback/dup.txt is the exported file's (the last by name when the LMS gives no time); the other has its own
    assert "(dup.zip)" in (subs / "feedback" / "dup.txt").read_text()
    assert "(dup.ipynb)" in (subs / "feedback" / "dup.dup.ipynb.txt").read_text()


def test_syntax_error_is_not_no_answer_yet(malformed):
    _root, _ag, subs, rows = malformed
    feedback = (subs / "feedback" / "syntax_error.txt").read_text()
    line = next(ln for ln in feedback.splitlines() if ln.startswith("- q-num:"))
    assert "cell 3 has a syntax error at line 1" in line and "not \"no answer yet\"" in line
    assert rows["syntax_error.ipynb"]["q-choice"] == "1"
    blank = (subs / "feedback" / "blank.txt").read_text()
    assert "no answer yet" in blank and "syntax" not in blank


def test_report_lists_problems_and_resume_keeps_graded_rows(malformed):
    _root, ag, subs, rows = malformed
    report = (subs / "report.txt").read_text()
    for name in ("b02_not_a_notebook.ipynb", "essay.pdf", "damaged.zip"):
        assert f"- {name}" in report
    # Resume: a second run grades only the changed file; every row is kept.
    nbformat.write(notebook("answer_num = 0.3", "answer_choice = 'c'"), subs / "blank.ipynb")
    grade_folder(subs, autograder=ag, jobs=1, limits=LIMITS, cell_timeout=4, progress=False)
    with open(subs / "grades.csv", newline="", encoding="utf-8") as fh:
        again = {r["file"]: r for r in csv.DictReader(fh)}
    assert set(again) == set(rows)
    assert again["blank.ipynb"]["q-choice"] == "1"
    assert again["b01_correct.ipynb"]["seconds"] == rows["b01_correct.ipynb"]["seconds"]
    assert "Graded 1 file(s)" in (subs / "report.txt").read_text()
