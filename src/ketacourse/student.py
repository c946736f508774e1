"""Make student versions of the chapter notebooks: solutions removed, checks kept.

The master notebook is the one in ``chapters/``. In it, every cell that belongs to a solution
carries the tag ``solution`` (markdown and code alike). A solution *code* cell may also carry
``metadata.ketacourse.stub``: the starter code that replaces it in the student version (for
example ``answer = None  # your answer in %``). Check cells (tag ``check``) stay, so learners
still get immediate feedback, and the student notebook still runs from top to bottom.

Usage::

    python -m ketacourse.student chapters build/student
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

__all__ = ["make_student_notebook", "make_student_versions", "SOLUTION_TAG", "STUB_TAG"]

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="folder with master notebooks (chapters)")
    parser.add_argument("dest", type=Path, help="output folder for student notebooks")
    args = parser.parse_args(argv)
    for path in make_student_versions(args.src, args.dest):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
