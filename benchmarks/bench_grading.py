"""Grading time for a class: 120 generated Chapter 2 submissions, each in its own sandbox.

    .venv/bin/python benchmarks/bench_grading.py [--students 120] [--chapter 2] [--jobs 0]

Builds the chapter's assignment (``make assignment``) in a temporary folder, writes ``--students``
submissions from its student notebook (a third fully answered from the master solutions, a third
with the named mistakes learners make, the rest blank, with a syntax error, or as the zip the
submit cell makes), grades the folder with every core (``make grade``), checks every row, and
prints the wall-clock time, the machine's core count and load average. Issue 21 asks for at most
10 minutes for 120 submissions on a 2-core machine.

Measured 2026-12-07 (``nice -n 10 .venv/bin/python benchmarks/bench_grading.py``, 2 cores shared
with other jobs, load average 12 to 14): 120 submissions in 373 s (6.2 min) and, with the final
code (audit hook), 432 s (7.2 min); 6 to 7 s each in its sandbox. Again at 09:09-09:22 UTC
(``nice .venv/bin/python benchmarks/bench_grading.py --students 120 --backend bwrap``, after the
backend choice was added; ``uptime`` load average 12.7 at the start, 14.4 at the end and up to 17 in
between, nine sessions sharing the 2 cores): 737 s (12.3 min), 12.2 s each in its sandbox: the
10-minute target was not met on that machine at that load; the per-submission sandbox time doubled
with the load, so the earlier, less loaded runs are the better guide to a machine of your own.
``--backend podman`` measures the container backend the same way (not measured here).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def _filled(student, master, wrong: bool):
    from ketacourse_tools.student import SOLUTION_TAG, STUB_TAG

    solutions = [c for c in master.cells if c.cell_type == "code" and SOLUTION_TAG in c.metadata.get("tags", [])
                 and c.metadata.get("ketacourse", {}).get("stub")]
    nb = nbformat.from_dict(json.loads(nbformat.writes(student)))
    stubs = [c for c in nb.cells if STUB_TAG in c.metadata.get("tags", [])]
    for i, (stub, sol) in enumerate(zip(stubs, solutions)):
        stub.source = sol.source
        if wrong and i % 2 == 0:
            var = next((ln.split("=")[0].strip() for ln in sol.source.splitlines() if ln.startswith("answer_")), None)
            if var:
                stub.source += f"\n{var} = {var} * 1000"
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=120)
    parser.add_argument("--chapter", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=0, help="0: every core")
    parser.add_argument("--backend", default="auto", choices=["auto", "bwrap", "podman", "docker"],
                        help="the sandbox (as make grade BACKEND=); auto: bubblewrap if it works here")
    args = parser.parse_args(argv)

    from ketacourse_tools.assignments import find_chapter
    from ketacourse_tools.assignments.build import make_assignment
    from ketacourse_tools.assignments.grade import grade_folder

    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    t0 = time.perf_counter()
    out = make_assignment(ROOT, args.chapter, work / "assignment", zip_autograder=False)
    build_s = time.perf_counter() - t0
    name = find_chapter(ROOT, args.chapter).name
    student = nbformat.read(out / "student" / name, as_version=4)
    master = nbformat.read(find_chapter(ROOT, args.chapter), as_version=4)
    subs = work / "submissions"
    subs.mkdir()
    kinds = {}
    for i in range(args.students):
        sid = f"s{i:03d}"
        kind = ("correct", "mistakes", "blank", "syntax", "zip")[i % 6 if i % 6 < 5 else 1]
        kinds[sid] = kind
        if kind == "blank":
            nbformat.write(student, subs / f"{sid}.ipynb")
            continue
        nb = _filled(student, master, wrong=kind == "mistakes")
        if kind == "syntax":
            stub = next(c for c in nb.cells if "answer_" in c.source and c.cell_type == "code")
            stub.source += "\nanswer_oops = (1 +"
        if kind == "zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                zf.writestr(name, nbformat.writes(nb))
            (subs / f"{sid}.zip").write_bytes(buf.getvalue())
        else:
            nbformat.write(nb, subs / f"{sid}.ipynb")
    jobs = args.jobs or os.cpu_count() or 1
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    grade_folder(subs, autograder=out / "autograder", jobs=jobs, progress=True, backend=args.backend)
    grade_s = time.perf_counter() - t0
    load_after = os.getloadavg()
    with open(subs / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(kinds), "a submission is missing from grades.csv"
    full = [s for s, k in kinds.items() if k in ("correct", "zip")]
    assert all(rows[s]["autograded"] == rows[s]["autograded_possible"] for s in full), "a correct submission lost points"
    assert all(float(rows[s]["autograded"]) == 0 for s, k in kinds.items() if k == "blank")
    per = [float(r["seconds"]) for r in rows.values()]
    print(f"\nbuild assignment (chapter {args.chapter}): {build_s:.0f} s")
    print(f"grade {args.students} submissions with {jobs} job(s) on {os.cpu_count()} core(s): {grade_s:.0f} s "
          f"({grade_s / 60:.1f} min; {grade_s / args.students:.1f} s per submission of wall-clock, "
          f"{sum(per) / len(per):.1f} s each in its sandbox)")
    print(f"sandbox: {(subs / 'report.txt').read_text().split(' sandbox;')[0].rsplit(' ', 1)[-1]}")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min)")
    print(f"target: <= 600 s on 2 cores: {'met' if grade_s <= 600 else 'NOT met'}")
    print(f"(files left in {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
