"""Graded assignments, releases and the instructor pack, built from the master chapter notebooks.

- :mod:`.build` turns a chapter's master notebook into an otter-grader assignment: a student
  notebook with ``grader.check`` cells, public tests (is there an answer?), an autograder zip with
  hidden tests whose expected values and named mistakes are computed from the models *at build
  time*, and a solutions notebook (``make assignment CHAPTER=N``).
- :mod:`.grade` grades a folder of submissions, each in its own sandbox (:mod:`.sandbox`, running
  :mod:`.runner`), comparing the answers with the hidden key (``autograder/key.json``) in its own
  process; :mod:`.identity` tells who each file belongs to (LMS bulk-download names, a roster),
  :mod:`.export` writes the LMS imports, the marking sheet and the PDF of written answers
  (``make grade SUBMISSIONS=dir``).
- :mod:`.variants` gives every chapter seeded new cases and shuffled options.
- :mod:`.release` writes the student release (notebooks, the solution-free book's sources, the
  assignments' student folders) that a ``student`` branch and nbgitpuller links point at
  (``make release``).
- :mod:`.pack` writes the instructor pack for every chapter in ``_toc.yml`` (``make pack``).

Nothing here is imported by the chapters; these modules are instructor tooling. The graded
expected values exist only inside the autograder zip the instructor builds and keeps.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["chapter_notebooks", "find_chapter"]


def chapter_notebooks(repo_dir: Path) -> list[Path]:
    """The chapter notebooks listed in ``_toc.yml`` (``chapters/NN-*.ipynb``), in book order."""
    import re

    import yaml

    repo_dir = Path(repo_dir)
    toc = yaml.safe_load((repo_dir / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    out = []
    for f in files:
        path = repo_dir / (f if f.endswith(".ipynb") else f + ".ipynb")
        if path.exists() and re.match(r"\d\d-", path.name):
            out.append(path)
    return out


def find_chapter(repo_dir: Path, chapter: int | str) -> Path:
    """The master notebook of chapter ``chapter`` (e.g. 2 -> ``chapters/02-pharmacokinetics.ipynb``).

    Raises
    ------
    ValueError
        If no chapter with that number is listed in ``_toc.yml``.
    """
    books = chapter_notebooks(repo_dir)
    try:
        number = int(chapter)
    except (TypeError, ValueError):
        number = -1
    for path in books:
        if int(path.name[:2]) == number:
            return path
    raise ValueError(f"chapter must be one of {', '.join(str(int(p.name[:2])) for p in books)} (the written "
                     f"chapters in _toc.yml); got {chapter!r}")
