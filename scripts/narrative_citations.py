"""Write each narrative citation so that it reads as author + year in JupyterLab too (issue 23).

``{cite:t}`kamp2020``` becomes ``Kamp et al. {cite:yearpar}`kamp2020```: the author in the prose,
the year as a parenthetical citation. The book shows the same words as before, "Kamp et al.
[2020]" (sphinxcontrib-bibtex), with the year linked to the reference. JupyterLab cannot resolve a
citation at all (jupyterlab-myst 2.7 shows every ``{cite}`` role as its key; docs/jupyterlab-myst.md),
and no stylesheet can split a key, so ``{cite:t}`kamp2020``` read "the meta-analysis of Kamp2020"
there; it now reads "the meta-analysis of Kamp et al. (Kamp2020)" (``scripts/lab-custom/custom.css``
adds the parentheses).

The author text is built from ``chapters/references.bib`` as sphinxcontrib-bibtex's author-year
labels are: one author's family name, two joined by "and", three or more as the first's "et al.";
an organisation is named in full. Rewrites the markdown cells of the notebooks (nbformat; cell ids,
metadata and outputs untouched) and the Markdown pages in ``chapters/``. Idempotent.

    python scripts/narrative_citations.py            # rewrite, print what changed
    python scripts/narrative_citations.py --check    # exit 1 if a {cite:t} role is left

The coordinator re-runs it after merging branches that add ``{cite:t}`` roles.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "chapters" / "references.bib"
NARRATIVE = re.compile(r"\{cite:t\}`([^`]+)`")


def _plain(name: str) -> str:
    """A BibTeX name as text: TeX accents decoded (``Sch\\"uttler`` -> "Schüttler"), braces dropped."""
    import codecs

    import latexcodec  # noqa: F401  (registers the "ulatex" codec; a dependency of pybtex)

    return re.sub(r"[{}]", "", codecs.decode(name, "ulatex")).strip()


def author_text(entry) -> str:
    """The author part of an author-year citation of ``entry`` (a pybtex Entry)."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_plain(" ".join(p.prelast_names + p.last_names)) for p in persons]
    if not names:
        return _plain(entry.fields.get("howpublished", "")) or "Anonymous"
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def load_entries(bib: Path = BIB) -> dict:
    from pybtex.database import parse_file

    return parse_file(str(bib), bib_format="bibtex").entries


def rewrite(text: str, entries) -> str:
    """``text`` with every ``{cite:t}`a,b``` role written as author + ``{cite:yearpar}`` per key."""

    def one(m: re.Match) -> str:
        keys = [k.strip() for k in re.split(r"[,;]", m.group(1)) if k.strip()]
        return "; ".join(f"{author_text(entries[k])} {{cite:yearpar}}`{k}`" for k in keys)

    return NARRATIVE.sub(one, text)


def targets(repo: Path = REPO) -> list[Path]:
    from ketacourse_tools import course

    return [page.path for page in course.pages(repo) if page.path.suffix in (".ipynb", ".md")]


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a {cite:t} role is left")
    args = parser.parse_args(argv)
    entries = load_entries()
    changed = []
    for path in targets():
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            hit = False
            for cell in nb.cells:
                if cell.cell_type == "markdown" and NARRATIVE.search(cell.source):
                    cell.source = rewrite(cell.source, entries)
                    hit = True
            if hit and not args.check:
                nbformat.write(nb, path)
        else:
            text = path.read_text(encoding="utf-8")
            hit = bool(NARRATIVE.search(text))
            if hit and not args.check:
                path.write_text(rewrite(text, entries), encoding="utf-8")
        if hit:
            changed.append(path.relative_to(REPO).as_posix())
    verb = "still hold {cite:t}" if args.check else "rewritten"
    print(f"{len(changed)} file(s) {verb}" + "".join(f"\n  {p}" for p in changed))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
