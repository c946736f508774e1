"""Make student versions of the chapter notebooks: solutions removed, checks kept.

The master notebook is the one in ``chapters/``. In it, every cell that belongs to a solution
carries the tag ``solution`` (markdown and code alike). A solution *code* cell may also carry
``metadata.ketacourse.stub``: the starter code that replaces it in the student version (for
example ``answer = None  # your answer in %``). Check cells (tag ``check``) stay, so learners
still get immediate feedback, and the student notebook still runs from top to bottom.

Usage::

    python -m ketacourse.student chapters build/student          # student notebooks
    python -m ketacourse.student --book . build/student-book     # a solution-free copy of the book

The second form copies the book's sources (``_config.yml``, ``_toc.yml``, ``chapters/``) and
replaces every chapter notebook with its student version; building that copy with
``jupyter-book`` gives a course book without solutions (``make book-student``).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

__all__ = ["make_student_notebook", "make_student_versions", "make_student_book", "SOLUTION_TAG", "STUB_TAG"]

BOOK_SOURCES = ("_config.yml", "_toc.yml", "chapters")
"""What a book build needs from the repository (the package itself is installed)."""

SOLUTION_TAG = "solution"
STUB_TAG = "exercise-stub"


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def make_student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` without solution cells; solution code with a stub becomes the stub.

    Outputs of every code cell are cleared, so learners start from a clean notebook.
    """
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        tags = _tags(cell)
        if SOLUTION_TAG in tags:
            stub = cell.get("metadata", {}).get("ketacourse", {}).get("stub")
            if cell.cell_type == "code" and stub:
                new = nbformat.v4.new_code_cell(source=stub)
                new.metadata["tags"] = [STUB_TAG]
                cells.append(new)
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    out.cells = cells
    out.metadata.pop("widgets", None)
    return out


def make_student_versions(src_dir: Path, dest_dir: Path) -> list[Path]:
    """Write a student version of every ``*.ipynb`` in ``src_dir`` to ``dest_dir``."""
    src_dir, dest_dir = Path(src_dir), Path(dest_dir)
    if not src_dir.is_dir():
        raise ValueError(f"src_dir must be an existing folder; got {str(src_dir)!r}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(src_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        target = dest_dir / path.name
        nbformat.write(make_student_notebook(nb), target)
        written.append(target)
    return written


def make_student_book(repo_dir: Path, dest_dir: Path) -> Path:
    """Copy the book's sources from ``repo_dir`` to ``dest_dir`` with student notebooks.

    ``dest_dir`` is replaced if it exists. Returns ``dest_dir``; build it with
    ``jupyter-book build <dest_dir>``.
    """
    import shutil

    repo_dir, dest_dir = Path(repo_dir), Path(dest_dir)
    missing = [name for name in BOOK_SOURCES if not (repo_dir / name).exists()]
    if missing:
        raise ValueError(f"repo_dir must hold {', '.join(BOOK_SOURCES)}; {', '.join(missing)} missing in {str(repo_dir)!r}")
    if dest_dir.resolve() == repo_dir.resolve():
        raise ValueError(f"dest_dir must differ from repo_dir; got {str(dest_dir)!r}")
    if dest_dir.exists():
        shutil.rmtree(dest_dir)
    dest_dir.mkdir(parents=True)
    for name in BOOK_SOURCES:
        src = repo_dir / name
        if src.is_dir():
            shutil.copytree(src, dest_dir / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
        else:
            shutil.copy2(src, dest_dir / name)
    make_student_versions(repo_dir / "chapters", dest_dir / "chapters")
    return dest_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="folder with master notebooks (chapters), or with --book the repository")
    parser.add_argument("dest", type=Path, help="output folder for student notebooks, or with --book for the book copy")
    parser.add_argument("--book", action="store_true", help="copy the whole book's sources with student notebooks")
    args = parser.parse_args(argv)
    if args.book:
        print(make_student_book(args.src, args.dest))
        return 0
    for path in make_student_versions(args.src, args.dest):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
