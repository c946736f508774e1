"""Copy one section (a run of cells under a heading) from one chapter notebook into another.

A merge helper for notebooks edited on parallel branches: git cannot merge executed notebooks
cell by cell, so take one branch's notebook, transplant the other branch's new section into it
and re-execute. The section runs from the markdown cell that starts with ``--section`` up to (not
including) the next cell that starts with ``--until`` (default: the ``--before`` heading). It is
inserted immediately before the cell that starts with ``--before`` in the target; a section with
the same heading already in the target is replaced. Outputs are cleared: re-execute afterwards.

Example (the dose-response section of Chapter 2 from branch i14)::

    git show i14:chapters/02-pharmacokinetics.ipynb > /tmp/ch2-i14.ipynb
    python scripts/transplant_section.py /tmp/ch2-i14.ipynb chapters/02-pharmacokinetics.ipynb \\
        --section "## From concentration to effect" --before "## Key points"
    jupyter nbconvert --to notebook --execute --inplace chapters/02-pharmacokinetics.ipynb

Objective lines and key-point bullets live in other cells; copy those by hand.
"""

from __future__ import annotations

import argparse
import sys

import nbformat


def _find(cells, prefix: str, start: int = 0) -> int:
    for i in range(start, len(cells)):
        if cells[i].cell_type == "markdown" and cells[i].source.lstrip().startswith(prefix):
            return i
    return -1


def transplant(source: nbformat.NotebookNode, target: nbformat.NotebookNode, section: str, before: str,
               until: str | None = None) -> int:
    """Insert ``source``'s section into ``target`` (in place); return the number of cells copied."""
    s0 = _find(source.cells, section)
    if s0 < 0:
        raise ValueError(f"section must be a heading in the source notebook; {section!r} not found")
    s1 = _find(source.cells, until or before, s0 + 1)
    if s1 < 0:
        raise ValueError(f"until must be a heading after the section in the source; {until or before!r} not found")
    block = [nbformat.from_dict(dict(c)) for c in source.cells[s0:s1]]
    for c in block:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    old = _find(target.cells, section)
    if old >= 0:  # replace an earlier copy
        end = _find(target.cells, until or before, old + 1)
        del target.cells[old:end if end >= 0 else len(target.cells)]
    at = _find(target.cells, before)
    if at < 0:
        raise ValueError(f"before must be a heading in the target notebook; {before!r} not found")
    target.cells[at:at] = block
    return len(block)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("target")
    ap.add_argument("--section", required=True, help="start of the section's first markdown cell, e.g. '## Hysteresis'")
    ap.add_argument("--before", required=True, help="insert before the target cell starting with this text")
    ap.add_argument("--until", help="end of the section in the source (default: --before)")
    args = ap.parse_args(argv)
    src = nbformat.read(args.source, as_version=4)
    tgt = nbformat.read(args.target, as_version=4)
    n = transplant(src, tgt, args.section, args.before, args.until)
    nbformat.write(tgt, args.target)
    print(f"copied {n} cells into {args.target}; re-execute it now")
    return 0


if __name__ == "__main__":
    sys.exit(main())
