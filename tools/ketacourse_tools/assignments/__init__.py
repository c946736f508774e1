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
    from ..course import chapters

    return [c.path for c in chapters(repo_dir) if c.path.exists()]


def find_chapter(repo_dir: Path, chapter: int | str) -> Path:
    """The master notebook of chapter ``chapter`` (e.g. 2 -> ``chapters/02-pharmacokinetics.ipynb``).

    Raises
    ------
    ValueError
        If no chapter with that number is listed in ``_toc.yml``.
    """
    from ..course import chapter as _chapter

    return _chapter(chapter, repo_dir).path
