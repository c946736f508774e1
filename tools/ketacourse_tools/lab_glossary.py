"""The glossary terms a chapter uses, as a first cell that only JupyterLab shows.

In the book, ``{term}`` roles link to the course glossary (``chapters/glossary.md``). JupyterLab's
MyST renderer (jupyterlab-myst) resolves references within one notebook only, so there every term
was an unresolved link and each render logged "Cross reference target was not found" to the
browser console. This module gives each chapter a markdown cell with a MyST ``{glossary}`` of
exactly the terms that chapter uses, their definitions copied from ``glossary.md``, folded in a
dropdown. It is the notebook's first cell because jupyterlab-myst resolves references each time a
cell renders, over the cells rendered so far: a glossary at the end would still leave the earlier
renders unresolved. The cell is tagged ``remove-cell``, so the book (which has the full glossary)
never renders it; the chapter title stays the first cell the book shows.

Run ``python -m ketacourse_tools.lab_glossary`` after editing the glossary or a chapter's terms;
``--check`` only reports notebooks whose cell is missing or out of date (the tests run this).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

__all__ = ["TAG", "parse_glossary", "terms_used", "glossary_cell_source", "update_notebook"]

TAG = "kc-lab-glossary"
REPO = Path(__file__).resolve().parents[2]
GLOSSARY = REPO / "chapters" / "glossary.md"
_TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")
_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>\s*$", re.S)


def _key(term: str) -> str:
    """Glossary terms match case-insensitively with runs of white space as one space (as both
    Sphinx and MyST normalise them)."""
    return " ".join(term.split()).lower()


def parse_glossary(text: str) -> dict[str, tuple[str, str]]:
    """Terms of the ``{glossary}`` block in ``text``: normalised term -> (term, definition), the
    definition's indented lines joined into one paragraph."""
    from .chapter_format import glossary_terms

    return {_key(term): (term, definition) for term, definition in glossary_terms(text)}


def terms_used(nb) -> list[str]:
    """Normalised targets of the ``{term}`` roles in the notebook's markdown cells, in order of
    first use (``{term}`text <target>``` counts as ``target``), the glossary cell itself excluded."""
    seen: dict[str, None] = {}
    for cell in nb.cells:
        if cell.cell_type != "markdown" or TAG in cell.get("metadata", {}).get("tags", []):
            continue
        for body in _TERM_ROLE.findall(cell.source):
            explicit = _EXPLICIT.match(body)
            seen.setdefault(_key(explicit.group(2) if explicit else body))
    return list(seen)


def glossary_cell_source(nb, glossary: dict[str, tuple[str, str]]) -> str:
    """The markdown of the chapter's JupyterLab glossary cell (terms sorted as in the glossary)."""
    used = terms_used(nb)
    missing = [t for t in used if t not in glossary]
    if missing:
        raise ValueError(f"{{term}} roles with no entry in {GLOSSARY.name}: {', '.join(missing)}")
    items = sorted((glossary[t] for t in used), key=lambda entry: entry[0].lower())
    body = "\n\n".join(f"{term}\n: {definition}" for term, definition in items)
    return ("::::{dropdown} Key terms in this chapter\n"
            "The chapter's term links open these definitions, copied from the course glossary "
            "([glossary.md](glossary.md)). Hover over a term to read its definition.\n\n"
            f":::{{glossary}}\n{body}\n:::\n::::")


def update_notebook(path: Path, glossary: dict[str, tuple[str, str]], *, write: bool = True) -> bool:
    """Make the notebook's first cell its up-to-date glossary cell (or drop it when the chapter uses
    no terms). Returns True if the notebook changed (or, with ``write=False``, would change)."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if TAG not in c.get("metadata", {}).get("tags", [])]
    old = [c for c in nb.cells if TAG in c.get("metadata", {}).get("tags", [])]
    if terms_used(nb):
        cell = nbformat.v4.new_markdown_cell(glossary_cell_source(nb, glossary))
        cell.metadata["tags"] = ["remove-cell", TAG]
        if old:
            cell.id = old[0].get("id", cell.id)
        wanted = [cell] + cells
    else:
        wanted = cells
    changed = len(wanted) != len(nb.cells) or any(
        a.source != b.source or a.get("metadata") != b.get("metadata") for a, b in zip(wanted, nb.cells))
    if changed and write:
        nb.cells = wanted
        nbformat.write(nb, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path,
                    help="chapter notebooks (default: chapters/[0-9]*.ipynb)")
    ap.add_argument("--check", action="store_true", help="report out-of-date notebooks, change nothing")
    args = ap.parse_args(argv)
    glossary = parse_glossary(GLOSSARY.read_text(encoding="utf-8"))
    paths = args.notebooks or sorted((REPO / "chapters").glob("[0-9]*.ipynb"))
    stale = [p for p in paths if update_notebook(p, glossary, write=not args.check)]
    for p in stale:
        print(f"{'out of date' if args.check else 'updated'}: {p}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
