"""Command line: ``python -m ketacourse_tools.assignments {assign,grade,release,pack} ...`` (see ``--help``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ketacourse_tools.assignments",
                                     description="Graded assignments, releases and the instructor pack.")
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("assign", help="make the otter assignment of a chapter (build/assignments/chNN)")
    a.add_argument("chapter", help="chapter number, e.g. 2")
    a.add_argument("--repo", type=Path, default=Path("."))
    a.add_argument("--out", type=Path, default=None)
    a.add_argument("--ref", default="main", help="git ref of ketacourse for the Gradescope image (a release tag)")
    a.add_argument("--seed", type=int, default=None,
                   help="make a variant: new cases for the variable exercises, answers recomputed from the models")
    a.add_argument("--roster", type=Path, default=None,
                   help="student IDs, one per line, or the LMS's gradebook export (Canvas ID, Moodle Identifier, "
                        "Blackboard Username): one variant per student, seeded by --seed and the ID")
    a.add_argument("--repo-url", default=None, help="repository the Gradescope image installs ketacourse from")
    g = sub.add_parser("grade", help="grade a folder of submissions, each in its own sandbox, into a CSV and LMS files")
    g.add_argument("submissions", type=Path)
    g.add_argument("--autograder", type=Path, default=None,
                   help="the assignment's autograder folder (or its autograder.zip / key.json); default: "
                        "build/assignments/chNN/autograder of the submissions' chapter")
    g.add_argument("--chapter", default=None, help="chapter number (default: read from the submissions)")
    g.add_argument("--repo", type=Path, default=Path("."))
    g.add_argument("--out", type=Path, default=None, help="grades CSV (default: <submissions>/grades.csv)")
    g.add_argument("--jobs", type=int, default=0, help="submissions graded at once (default 0: every core)")
    g.add_argument("--roster", type=Path, default=None, help="class roster CSV (an LMS gradebook export works)")
    g.add_argument("--due", default="", help="deadline, ISO date-time (e.g. 2026-12-14T09:00), for late flags")
    g.add_argument("--late-penalty", type=float, default=0.0, help="%% of the points taken per day or part day late")
    g.add_argument("--manual", type=Path, default=None, help="hand marks of the written answers (manual/written-marks.csv)")
    g.add_argument("--regrade", action="store_true", help="grade every file again (default: resume, keep unchanged rows)")
    g.add_argument("--timeout", type=float, default=180.0, help="wall-clock seconds per submission")
    g.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell")
    g.add_argument("--memory-mb", type=int, default=3072, help="memory (address space) per submission")
    g.add_argument("--backend", default="auto", choices=["auto", "bwrap", "podman", "docker"],
                   help="the sandbox: auto (default) is bubblewrap if it works here, else Podman, else Docker; "
                        "with none, grading is refused")
    r = sub.add_parser("release", help="write the student release (for a student branch / nbgitpuller)")
    r.add_argument("--repo", type=Path, default=Path("."))
    r.add_argument("--out", type=Path, default=Path("build/release"))
    r.add_argument("--tag", default=None, help="release tag, e.g. v2026.1 (recorded in the release)")
    r.add_argument("--seed", type=int, default=None, help="the assignments' variant (as make assignment SEED=)")
    p = sub.add_parser("pack", help="write the instructor pack for every chapter in _toc.yml")
    p.add_argument("--repo", type=Path, default=Path("."))
    p.add_argument("--out", type=Path, default=Path("build/pack"))
    p.add_argument("--no-figures", action="store_true", help="skip the widget PNGs (faster)")
    args = parser.parse_args(argv)

    if args.command == "assign":
        from .build import make_assignment

        from .build import REPO_URL

        roster = None
        if args.roster is not None:  # a list of IDs, or an LMS gradebook export (the IDs grading finds again)
            from .identity import read_roster

            roster = [p.key for p in read_roster(args.roster)]
        out = make_assignment(args.repo, args.chapter, args.out, ref=args.ref, repo_url=args.repo_url or REPO_URL,
                              seed=args.seed, roster=roster)
        print(f"Assignment written to {out}/ (student/, autograder/autograder.zip, solutions/)")
    elif args.command == "grade":
        from .grade import grade_folder
        from .sandbox import Limits

        limits = Limits(wall_s=args.timeout, cpu_s=int(args.timeout), memory_mb=args.memory_mb)
        csv_path = grade_folder(args.submissions, autograder=args.autograder, chapter=args.chapter,
                                repo_dir=args.repo, csv_path=args.out, jobs=args.jobs or None, roster=args.roster,
                                due=args.due, late_penalty=args.late_penalty, regrade=args.regrade, limits=limits,
                                cell_timeout=args.cell_timeout, manual=args.manual, backend=args.backend)
        print(f"Grades written to {csv_path} (LMS files in {csv_path.parent / 'lms'}, report in "
              f"{csv_path.parent / 'report.txt'})")
    elif args.command == "release":
        from .release import make_release

        print(f"Student release written to {make_release(args.repo, args.out, tag=args.tag, seed=args.seed)}")
    elif args.command == "pack":
        from .pack import make_pack

        print(f"Instructor pack written to {make_pack(args.repo, args.out, figures=not args.no_figures)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
