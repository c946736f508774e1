"""Chapter 3 content rules that the generic guards do not cover: the reusable suicide content note
is shown, word for word, before the suicidal-ideation section, and it links to the safety page."""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "chapters" / "03-rapid-antidepressant.ipynb"
SNIPPET = ROOT / "chapters" / "_snippets" / "content-note-suicide.md"


def test_content_note_precedes_suicide_material_and_matches_the_snippet():
    nb = nbformat.read(NB, as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    note = SNIPPET.read_text(encoding="utf-8").strip()
    assert "safety.md" in note and "988" in note
    i_note = md.index(note)
    i_section = next(i for i, s in enumerate(md) if s.startswith("## Suicidal ideation"))
    assert i_note == i_section - 1, "the content note must come right before the section"


def test_chapter_uses_the_evidence_engine_not_inline_models():
    nb = nbformat.read(NB, as_version=4)
    # the Colab install cell (written by `make binder-pins`) names packages to install, not model logic
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and "%pip install" not in c.source)
    for forbidden in ("def ", "class ", "scipy", "statsmodels"):
        assert forbidden not in code, f"model logic belongs in the package, not the notebook: {forbidden!r}"
    for widget in ("ForestPlot()", "TrialSimulator()", "ResponseTimeCourse()", "HypothesisDiagram()"):
        assert widget in code
