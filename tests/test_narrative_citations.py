"""Narrative citations read as author + year in JupyterLab too (issue 23).

jupyterlab-myst 2.7 shows every citation role as its key (docs/jupyterlab-myst.md), so
``{cite:t}`kamp2020``` read "the meta-analysis of Kamp2020" in Lab. Chapters write a narrative
citation as the author in the prose plus a year citation, ``Kamp et al. {cite:yearpar}`kamp2020```
(``scripts/narrative_citations.py``): the book shows "Kamp et al. [2020]", Lab "Kamp et al.
(Kamp2020)". This checks every page of ``_toc.yml``: no ``{cite:t}`` role is left, and each year
citation follows the author text the bibliography gives for its key.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from ketacourse_tools import course

REPO = Path(__file__).resolve().parents[1]

_spec = importlib.util.spec_from_file_location("narrative_citations", REPO / "scripts" / "narrative_citations.py")
nc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nc)

PAGES = [p for p in course.pages() if p.path.suffix in (".ipynb", ".md")]
ENTRIES = nc.load_entries()


def _markdown(path):
    if path.suffix == ".ipynb":
        return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    return [path.read_text(encoding="utf-8")]


def test_author_text_follows_the_book():
    assert nc.author_text(ENTRIES["kamp2020"]) == "Kamp et al."
    assert nc.author_text(ENTRIES["jahr1990"]) == "Jahr and Stevens"
    assert nc.author_text(ENTRIES["schuttler1987"]) == "Schüttler et al."
    assert nc.author_text(ENTRIES["parnd"]) == "Par Pharmaceutical"
    assert nc.rewrite("of {cite:t}`kamp2020`.", ENTRIES) == "of Kamp et al. {cite:yearpar}`kamp2020`."
    assert nc.rewrite("{cite:t}`kamp2020,jahr1990`", ENTRIES) == (
        "Kamp et al. {cite:yearpar}`kamp2020`; Jahr and Stevens {cite:yearpar}`jahr1990`")


@pytest.mark.parametrize("page", PAGES, ids=[p.path.stem for p in PAGES])
def test_narrative_citations_name_their_authors(page):
    texts = _markdown(page.path)
    left = [m.group(0) for t in texts for m in nc.NARRATIVE.finditer(t)]
    assert not left, (f"{page.rel}: {{cite:t}} roles read as a bare key in JupyterLab; run "
                      f"`python scripts/narrative_citations.py`: {left[:5]}")
    for text in texts:
        for m in re.finditer(r"\{cite:yearpar\}`([^`]+)`", text):
            key = m.group(1)
            author = nc.author_text(ENTRIES[key])
            assert text[:m.start()].rstrip().endswith(author), (
                f"{page.rel}: the year citation of {key} does not follow its author text {author!r}: "
                f"{text[max(0, m.start() - 60):m.end()]!r}")
