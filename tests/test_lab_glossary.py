"""The JupyterLab-only glossary cell of each chapter (``ketacourse_tools.lab_glossary``)."""

from __future__ import annotations

import nbformat
import pytest

from ketacourse_tools import lab_glossary as lg

GLOSSARY_MD = """# Glossary

```{glossary}
:sorted:

NMDA receptor
  A glutamate-gated channel.
  Blocked by Mg²⁺ at rest.

open-channel block
  Block that needs the channel open.
```
"""


def test_parse_glossary_joins_each_definition():
    entries = lg.parse_glossary(GLOSSARY_MD)
    assert entries == {"nmda receptor": ("NMDA receptor", "A glutamate-gated channel. Blocked by Mg²⁺ at rest."),
                       "open-channel block": ("open-channel block", "Block that needs the channel open.")}
    with pytest.raises(ValueError, match="no ```{glossary} block"):
        lg.parse_glossary("# nothing here")


def test_cell_lists_exactly_the_terms_used_and_names_unknown_ones():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("The {term}`open-channel block` of the {term}`receptor <NMDA  Receptor>`."),
        nbformat.v4.new_code_cell("x = 1  # {term}`not markdown`"),
    ])
    glossary = lg.parse_glossary(GLOSSARY_MD)
    assert lg.terms_used(nb) == ["open-channel block", "nmda receptor"]
    src = lg.glossary_cell_source(nb, glossary)
    assert src.count("\n: ") == 2 and src.index("NMDA receptor\n: ") < src.index("open-channel block\n: ")
    assert ":::{glossary}" in src and src.startswith("::::{dropdown}") and src.endswith(":::\n::::")
    nb.cells.append(nbformat.v4.new_markdown_cell("A {term}`wind-up` term."))
    with pytest.raises(ValueError, match="wind-up"):
        lg.glossary_cell_source(nb, glossary)


def test_every_chapter_glossary_cell_is_current_and_removed_from_the_book():
    glossary = lg.parse_glossary(lg.GLOSSARY.read_text(encoding="utf-8"))
    from ketacourse_tools.course import chapters

    paths = sorted((lg.REPO / "chapters").glob("[0-9]*.ipynb"))
    assert paths and paths == sorted(c.path for c in chapters(lg.REPO)), "every chapter notebook, as _toc.yml lists them"
    stale = [p.name for p in paths if lg.update_notebook(p, glossary, write=False)]
    assert not stale, f"run `python -m ketacourse_tools.lab_glossary`: out of date in {stale}"
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        cells = [c for c in nb.cells if lg.TAG in c.metadata.get("tags", [])]
        if lg.terms_used(nb):
            assert len(cells) == 1 and nb.cells[0] is cells[0], path.name
            assert "remove-cell" in cells[0].metadata["tags"], path.name
        else:
            assert not cells, path.name
