"""Fold every "What to notice" explanation after its prediction (issue 22, item 3): idempotent,
markdown only.

    python scripts/learner_fold_notices.py chapters/0N-*.ipynb

A markdown cell that starts with "**What to notice.**" becomes the folded admonition Chapters 1-2
use (``:::{admonition} What to notice (open after you have tried it)`` with ``:class: dropdown``),
so the book and JupyterLab show the explanation only when the learner opens it.
"""
import re
import sys

import nbformat

TITLE = "What to notice (open after you have tried it)"


def fold(source: str) -> str:
    body = re.sub(r"^\s*\*\*What to notice\.?\*\*\s*", "", source).strip()
    fence = ":" * (max([len(m) for m in re.findall(r"^(:{3,})", body, re.MULTILINE)] or [2]) + 1)
    return f"{fence}{{admonition}} {TITLE}\n:class: dropdown\n\n{body}\n{fence}"


def main(paths: list[str]) -> int:
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        n = 0
        for cell in nb.cells:
            if cell.cell_type == "markdown" and re.match(r"\s*\*\*What to notice\.?\*\*", cell.source):
                cell.source = fold(cell.source)
                n += 1
        if n:
            nbformat.write(nb, path)
        print(f"{path}: {n} explanation(s) folded")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
