"""Every number in the prose carries its source (issue #15).

The first test runs the checker (``ketacourse_tools.prose_sources``) over every course page listed in
``_toc.yml`` and every ``chapters/NN-*.ipynb`` notebook, and fails with one line per uncovered
claim (file, cell number, claim, sentence). The rest test the checker itself with planted
sentences. The convention is documented in docs/prose-sources.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ketacourse_tools import prose_sources as ps

ROOT = Path(__file__).resolve().parents[1]


def test_every_course_page_and_chapter_has_a_source_for_each_number():
    files = ps.course_files(ROOT)
    names = {str(f.relative_to(ROOT)) for f in files}
    assert {"chapters/01-nmda-receptor.ipynb", "chapters/02-pharmacokinetics.ipynb", "chapters/index.md"} <= names
    assert all(f.suffix in (".ipynb", ".md") for f in files)
    findings = ps.check_course(ROOT)
    assert not findings, "\n" + ps.format_findings(findings)


def test_course_files_include_chapters_missing_from_the_toc(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: chapters/index\nchapters:\n  - file: chapters/safety\n")
    for name in ("index.md", "safety.md"):
        (tmp_path / "chapters" / name).write_text("# Page\n")
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["Clearance is 79 L/h.\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "chapters" / "07-new.ipynb").write_text(json.dumps(nb))
    files = [str(f.relative_to(tmp_path)) for f in ps.course_files(tmp_path)]
    assert files == ["chapters/07-new.ipynb", "chapters/index.md", "chapters/safety.md"]
    findings = ps.check_course(tmp_path)
    assert [(f.path, f.cell, f.claim) for f in findings] == [("chapters/07-new.ipynb", 0, "79 L/h")]
    assert "chapters/07-new.ipynb" in ps.format_findings(findings)
    assert "cell   0" in ps.format_findings(findings)


# ----------------------------------------------------------------------------- caught
CAUGHT = [
    ("At the antidepressant peak about 45 % of receptors are occupied.", "45 %"),
    ("The protocol gave 0.5 mg/kg over 40 minutes.", "0.5 mg/kg"),
    ("Peak plasma concentrations were 70–160 ng/mL in analgesia.", "70–160 ng/mL"),
    ("Clearance was 79 L/h in the meta-analysis.", "79 L/h"),
    ("Ketamine blocked the current with an IC50 of 0.71 µM.", "IC50 of 0.71"),
    ("Blood pressure rose by 15 mmHg.", "15 mmHg"),
    ("The difference was significant (p = 0.04).", "p = 0.04"),
    ("The pooled effect size was d = 0.8.", "d = 0.8"),
    ("In 12 patients the response lasted a week.", "12 patients"),
    ("The half-life is 2.5 h in adults.", "2.5 h"),
    ("Affinities span a factor of 26 between laboratories.", "factor of 26"),
    ("Entry rates were 3 × 10⁵ M⁻¹ s⁻¹.", "3 × 10⁵ M⁻¹"),
    ("- a list item with 8% oral bioavailability", "8%"),
    ("| Oral | 23% | small study |", "23%"),
]


@pytest.mark.parametrize(("sentence", "claim"), CAUGHT)
def test_planted_uncited_numbers_are_caught(sentence, claim):
    found = ps.check_text(sentence)
    assert found, sentence
    assert found[0][0] == claim
    assert found[0][1].strip("-| ").startswith(sentence.strip("-| ")[:20])


def test_a_citation_in_another_paragraph_does_not_cover():
    text = "Clearance was 79 L/h.\n\nThe meta-analysis {cite:p}`kamp2020` pooled 18 studies."
    assert [c for c, _ in ps.check_text(text)] == ["79 L/h"]


def test_a_citation_in_another_list_item_does_not_cover():
    text = "- Oral F is 20% in adults.\n- Nasal F is 45% {cite:p}`yanagihara2003`."
    assert [c for c, _ in ps.check_text(text)] == ["20%"]


def test_a_citation_in_another_table_row_does_not_cover():
    text = "| Route | F |\n|---|---|\n| Oral | 20% |\n| Nasal | 45% {cite:p}`yanagihara2003` |"
    assert [c for c, _ in ps.check_text(text)] == ["20%"]


def test_an_uncited_number_in_a_notebook_is_reported_with_its_cell(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["x = 45  # 45 % in code is not prose\n"], "outputs": [],
         "execution_count": None},
        {"cell_type": "markdown", "metadata": {}, "source": ["Text.\n\nAbout 45 % are occupied at 185 ng/mL.\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "01-x.ipynb"
    path.write_text(json.dumps(nb))
    findings = ps.check_notebook(path, tmp_path)
    assert [(f.path, f.cell, f.claim) for f in findings] == [("01-x.ipynb", 2, "45 %"), ("01-x.ipynb", 2, "185 ng/mL")]
    assert findings[0].sentence == "About 45 % are occupied at 185 ng/mL."
    assert str(findings[0]).startswith("01-x.ipynb, cell 2: '45 %' in: About 45 %")


# ----------------------------------------------------------------------------- not caught
NOT_CAUGHT = [
    # a cited range, each citation role
    "Plasma concentrations of 70–160 ng/mL are tabulated for analgesia {cite:p}`zanos2018`.",
    "{cite:t}`kamp2020` found a clearance of 79 L/h (95% CI 69–90).",
    "Clearance was 79 L/h {cite}`kamp2020`.",
    # the citation anywhere in the same paragraph, over line breaks
    "Clearance was 79 L/h at 70 kg\nand the volume 252 L, in the meta-analysis {cite:p}`kamp2020`.",
    # a computed value with its marker
    "In the model about 5% of the pore holds ketamine at −60 mV (computed by the pore model above).",
    "The simulated peak is 73 ng/mL (Computed: Widget 2.3).",
    # definitions and settings on the allowlist
    "Hold the cell at −60 mV in 1 mM Mg²⁺.",
    "Voltages from −100 to +40 mV are shown.",
    "A typical 70 kg adult is used throughout.",
    "1 ng/mL is 1 µg/L.",
    "IV dosing has a bioavailability of 100% by definition, and 0 % of a dose that is not given arrives.",
    "*About 15 minutes.*",
    "**Estimated time:** about 90 minutes, including the exercises.",
    "Then raise ketamine to 1, 5 and 20 µM, and finally set Mg²⁺ to 0.",
    "(1) Untick *Glutamate bound*; (2) set the dose to 56 mg.",
    # numbers that are not prose: code, maths, URLs, citation keys, labels, decades
    "Run `pk.infusion(dose_mg_per_kg=0.5, duration_min=40)` and compare.",
    "The half-life is $t_{1/2} = \\ln 2 \\cdot V / CL$ for one compartment.",
    "$$\nB(V) = 1/(1 + e^{-0.062 V} \\cdot 1/3.57)\n$$",
    "See [the paper](https://doi.org/10.1002/phar.2669) and doi:10.1038/s41386-020-0644-9.",
    "Ketamine was introduced in the 1960s.",
    ":::{exercise} Salt or base?\n:label: ch1-ex-salt\n\nA protocol gives 0.5 mg/kg to a 70 kg adult: 35 mg.\n:::",
    "Chapter 2 has 8 sections.",
    "```{exercise} Backtick fences too\n:label: ch9-ex\n\nGive 2 mg/kg to a 70 kg adult.\n```",
    "```python\nprint('45 % in a code block')\n```",
    "```{code-cell} ipython3\nx = '79 L/h'\n```",
    "A citation role of any flavour covers: 79 L/h {cite:ps}`kamp2020`.",
]


@pytest.mark.parametrize("text", NOT_CAUGHT)
def test_covered_or_non_claim_text_is_not_caught(text):
    assert ps.check_text(text) == []


def test_prose_inside_fenced_admonitions_is_checked():
    for text in ("```{note}\nClearance is 79 L/h.\n```", ":::{admonition} Careful\nClearance is 79 L/h.\n:::",
                 ":::{solution} ex\n:class: dropdown\n\nClearance is 79 L/h.\n:::"):
        assert [c for c, _ in ps.check_text(text)] == ["79 L/h"], text


def test_gated_exercise_statements_are_settings(tmp_path):
    def md(text):
        return {"cell_type": "markdown", "metadata": {}, "source": [text]}

    cells = [md(":::{exercise-start} A case\n:label: ex3\n:::\n"), md("A 70 kg adult gets 35 mg.\n"),
             {"cell_type": "code", "metadata": {}, "source": ["x = 1\n"], "outputs": [], "execution_count": None},
             md(":::{exercise-end}\n:::\n"), md("Outside: clearance is 79 L/h.\n")]
    path = tmp_path / "04-z.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert [(f.cell, f.claim) for f in ps.check_notebook(path)] == [(4, "79 L/h")]


def test_claims_are_still_found_when_covered():
    """quantitative_claims sees numbers whether or not they are covered: the cover is what differs."""
    text = "Clearance was 79 L/h {cite:p}`kamp2020`."
    assert [c for c, _ in ps.quantitative_claims(text)] == ["79 L/h"]
    assert ps.check_text(text) == []


def test_solution_prose_backed_by_solution_code_counts_as_computed(tmp_path):
    def md(text, tags=()):
        return {"cell_type": "markdown", "metadata": {"tags": list(tags)}, "source": [text]}

    code = {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": ["x = 1\n"], "outputs": [],
            "execution_count": None}
    cells = [
        md(":::{solution-start} ex\n:class: dropdown\n:::\n", ["solution"]),
        code,
        md("About 111 ng/mL, the computed answer.\n", ["solution"]),
        md(":::{solution-end}\n:::\n", ["solution"]),
        md(":::{solution} ex2\nWithout code: 45 % needs a source.\n:::\n", ["solution"]),
    ]
    path = tmp_path / "02-y.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert [(f.cell, f.claim) for f in ps.check_notebook(path)] == [(4, "45 %")]


def test_report_says_how_to_fix():
    finding = ps.Finding("chapters/01-x.ipynb", 3, "45 %", "About 45 % are occupied.")
    report = ps.format_findings([finding])
    assert report.startswith("1 quantitative claim(s) without a source")
    assert "chapters/01-x.ipynb" in report and "cell   3: '45 %'  <-  About 45 % are occupied." in report
    assert "{cite:p}" in report and "<!-- computed" in report and "docs/prose-sources.md" in report
    assert ps.format_findings([]) == "No uncovered quantitative claims."


def test_command_line_exit_status(tmp_path, capsys):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "01-a.md").write_text("x")
    assert ps.main([str(tmp_path)]) == 0
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["F is 8% orally.\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "chapters" / "03-b.ipynb").write_text(json.dumps(nb))
    assert ps.main([str(tmp_path)]) == 1
    assert "chapters/03-b.ipynb" in capsys.readouterr().out


def test_allowlists_are_short_and_documented():
    doc = (ROOT / "docs" / "prose-sources.md").read_text(encoding="utf-8")
    for _pattern, reason in ps.ALLOWLIST + ps.UNIT_ALLOWLIST + ps.SENTENCE_ALLOWLIST:
        assert reason in doc, f"allowlist reason not documented in docs/prose-sources.md: {reason}"
    assert len(ps.ALLOWLIST) + len(ps.UNIT_ALLOWLIST) + len(ps.SENTENCE_ALLOWLIST) <= 12


def test_a_time_plan_row_is_a_setting_but_a_measured_duration_row_is_not():
    plan = "| Section | Time |\n|---|---|\n| The ketamine model of psychosis | 25 min |"
    assert ps.check_text(plan) == []
    measured = "| Route | Onset |\n|---|---|\n| IM | 4 min after 10 mg/kg |"
    assert [c for c, _ in ps.check_text(measured)], "a duration beside another number is a claim"


# ----------------------------------------------------------------------------- hidden computed-markers
def test_a_hidden_computed_marker_covers_its_unit_and_other_comments_do_not():
    assert ps.check_text("Clearance was 79 L/h<!-- computed above -->.") == []
    assert ps.check_text("Clearance was 79 L/h<!--\ncomputed by the\nmodel -->.") == []
    assert [c for c, _ in ps.check_text("Clearance was 79 L/h<!-- see Kamp -->.")] == ["79 L/h"]
    # a hidden marker covers its own paragraph only
    assert [c for c, _ in ps.check_text("Clearance was 79 L/h.\n\nIt is high<!-- computed -->.")] == ["79 L/h"]


def test_hide_markers_hides_pointers_and_leaves_content_to_a_person():
    text = ("One more responded (computed above)\nin that trial; the interval −19 to +37\n(computed above): compatible.\n\n"
            "Mg²⁺ blocks (computed with the equation: about 92% in 1 mM Mg²⁺) most channels.")
    new, kept = ps.hide_markers(text)
    assert new.startswith("One more responded<!-- computed above -->\nin that trial; the interval −19 to +37"
                          "<!-- computed above -->: compatible.")
    assert kept == ["(computed with the equation: about 92% in 1 mM Mg²⁺)"]
    assert ps.leaked_markers(new) == ["(computed with the equation: about 92% in 1 mM Mg²⁺) most channels."]
    assert ps.hide_markers(new)[0] == new  # idempotent
    # a marker that opens a paragraph is left for a person (a comment there would start an HTML block)
    assert ps.hide_markers("Text.\n\n(computed above) more.")[1] == ["(computed above)"]
    assert ps.check_text(new.split("\n\n")[0]) == []


def _student_facing_pages():
    """Every page a learner reads: the toc's pages except the instructors' page (written for
    teachers; its measured grading figures keep their visible markers)."""
    return [f for f in ps.course_files(ROOT) if f.name != "instructors.md"]


def test_no_student_facing_text_shows_a_computed_marker():
    """The "(computed ...)" source markers are for the checker, not for learners: no chapter, page,
    JupyterLab glossary cell or student notebook shows one (hidden markers, HTML comments, are not
    rendered by the book, JupyterLab or Jupyter)."""
    import nbformat

    from ketacourse_tools.student import make_student_notebook

    leaks = []
    files = _student_facing_pages()
    assert any(f.suffix == ".ipynb" for f in files) and any(f.name == "glossary.md" for f in files)
    for f in files:
        if f.suffix == ".md":
            leaks += [f"{f.name}: {m}" for m in ps.leaked_markers(f.read_text(encoding="utf-8"))]
            continue
        nb = nbformat.read(f, as_version=4)
        for version, cells in (("chapter", nb.cells), ("student", make_student_notebook(nb).cells)):
            for i, cell in enumerate(cells):
                if cell.cell_type == "markdown":
                    leaks += [f"{f.name} ({version}) cell {i}: {m}" for m in ps.leaked_markers(cell.source)]
    selfchecks = sorted((ROOT / "src" / "ketacourse" / "data" / "selfchecks").glob("*.toml"))
    assert selfchecks, "no self-check data found"
    for f in selfchecks:  # self-check options and explanations are shown to learners as written
        leaks += [f"{f.name}: {m}" for m in ps.leaked_markers(f.read_text(encoding="utf-8"))]
    assert not leaks, ("visible '(computed' markers; run `python -m ketacourse_tools.prose_sources --hide-markers` "
                       "and reword what it lists:\n" + "\n".join(leaks))


def test_leak_check_sees_what_a_reader_sees():
    assert ps.leaked_markers("A (computed above) value.") == ["(computed above) value."]
    assert ps.leaked_markers("A value<!-- computed above -->.") == []
    assert ps.leaked_markers("<!-- (computed above) -->") == []
