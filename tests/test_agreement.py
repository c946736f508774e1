"""Every model against its reference: the rows the validation page shows are asserted here.

The reports are discovered (``ketacourse.agreement.report_keys``), so a new report module is tested
without editing this file. Each row must agree within its stated tolerance, and each documented miss
must still be a miss (with its reason): the page (chapters/model-validation.md) shows the same rows,
computed by the same code, so it cannot drift from these tests.
"""

from __future__ import annotations

import html
import math
import re

import pytest

from ketacourse import agreement
from ketacourse.agreement import REFERENCE_KINDS, Report, Row

KEYS = agreement.report_keys()
BIB = (agreement.__file__.rsplit("src", 1)[0] + "chapters/references.bib")


@pytest.fixture(scope="module")
def bib_keys() -> set[str]:
    with open(BIB, encoding="utf-8") as fh:
        return set(re.findall(r"^\s*@\s*\w+\s*\{\s*([^,\s]+)\s*,", fh.read(), flags=re.MULTILINE))


def _rows(key):
    rep = agreement.get_report(key)
    return [pytest.param(key, i, id=f"{key}-{i}") for i in range(len(rep.rows))]


@pytest.mark.parametrize("key", KEYS)
def test_report_is_well_formed(key, bib_keys):
    rep = agreement.get_report(key)
    assert isinstance(rep, Report) and rep.key == key
    assert rep.rows and rep.text.strip() and rep.alt.strip() and rep.title.strip()
    assert set(rep.kinds) <= set(REFERENCE_KINDS)
    for row in rep.rows:
        for src in (s.strip() for s in row.source.split(",")):
            assert src == "analytic" or src in bib_keys, f"{key}: {row.quantity}: source {src!r} not in the bibliography"
        assert math.isfinite(row.reference), f"{key}: {row.quantity}: reference is not finite"


@pytest.mark.parametrize("key", KEYS)
def test_every_row_is_as_documented(key):
    """Matches agree within tolerance; documented misses still miss (one message lists every offender)."""
    rep = agreement.get_report(key)
    bad = [f"{r.quantity}: reference {r.reference:g}, model {r.model:g}, difference {r.difference_text()} "
           f"(tolerance {r.tolerance_text()}), documented {r.expected}, measured {r.verdict}" for r in rep.undocumented]
    assert not bad, f"{key}:\n" + "\n".join(bad)


@pytest.mark.parametrize("key", KEYS)
def test_figure_and_html_render(key):
    rep = agreement.get_report(key)
    fig = rep.figure()
    assert fig.axes, f"{key}: the figure has no axes"
    page = rep._repr_html_()
    assert page.count("<tr") == len(rep.rows) + 1 and 'alt="' in page and "data:image/png;base64," in page



def _scroll_boxes(page: str) -> list[str]:
    return re.findall(r"<div[^>]*overflow-x:\s*auto[^>]*>", page)


@pytest.mark.parametrize("key", KEYS)
def test_wide_tables_scroll_in_a_named_region_the_keyboard_reaches(key):
    # a box that scrolls sideways must be reachable without a mouse (axe-core's serious rule
    # scrollable-region-focusable, found on the executed validation page) and say what it holds
    for page in (agreement.get_report(key)._repr_html_(), agreement.summary()._repr_html_()):
        boxes = _scroll_boxes(page)
        assert boxes, f"{key}: no scrolling table box found"
        for box in boxes:
            assert 'tabindex="0"' in box and 'role="region"' in box, box
            label = re.search(r'aria-label="([^"]+)"', box)
            assert label and "table" in label.group(1), box


@pytest.mark.parametrize("key", KEYS)
def test_figure_text_is_readable_on_a_phone(key):
    """Issue 23: figure text >= 9 CSS px on a 390 px phone (the book's content is 332 CSS px wide there)
    and on a desktop (the image is never enlarged). Panels are stacked, so the alt text never says
    left or right."""
    from matplotlib.text import Text

    rep = agreement.get_report(key)
    fig = rep.figure()
    agreement.floor_text(fig)
    width_px = fig.get_figwidth() * fig.dpi
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
    assert sizes, f"{key}: the figure has no text"
    shown = min(1.0, agreement.PHONE_SHOWN_PX / width_px)
    smallest_css_px = min(sizes) * fig.dpi / 72 * shown
    assert smallest_css_px >= 9.0, f"{key}: smallest figure text {smallest_css_px:.1f} CSS px on a phone"
    assert not re.search(r"\b(Left|Right):", rep.alt), f"{key}: the alt text speaks of side-by-side panels"

def test_discovery_finds_the_reports_without_a_list():
    assert "meta_analysis" in KEYS
    assert [r.key for r in agreement.reports()] == sorted(KEYS, key=lambda k: (agreement.get_report(k).order, k))
    with pytest.raises(ValueError, match=r"^key must be one of .*; got 'nope'"):
        agreement.get_report("nope")


def test_row_verdicts():
    assert Row("x", 100.0, 104.0, 0.05, "analytic").verdict == "match"
    assert Row("x", 100.0, 106.0, 0.05, "analytic").verdict == "miss"
    assert Row("x", 1.0, 1.2, 0.1, "analytic", relative=False).verdict == "miss"
    miss = Row("x", 1.0, 2.0, 0.1, "analytic", expected="miss", reason="because")
    assert miss.as_documented and not Row("x", 1.0, 2.0, 0.1, "analytic").as_documented
    assert Row("x", 1.0, math.nan, 0.1, "analytic").verdict == "miss"
    with pytest.raises(ValueError, match="needs a reason"):
        Row("x", 1.0, 2.0, 0.1, "analytic", expected="miss")
    with pytest.raises(ValueError, match="expected must be"):
        Row("x", 1.0, 2.0, 0.1, "analytic", expected="maybe")


def test_page_shows_missing_reports_as_a_note_and_catches_unsectioned_ones(monkeypatch):
    """The page builds before a report module exists (a note instead of a table), and any discovered report
    that has no section of its own is shown by show_remaining()."""
    missing = agreement.show("no_such_model")
    assert "No report module" in missing._repr_html_() and "no_such_model" in repr(missing)
    monkeypatch.setattr(agreement, "_SHOWN", set())
    rest = agreement.show_remaining()._repr_html_()
    for key in KEYS:
        assert html.escape(agreement.get_report(key).title) in rest
    summary = agreement.summary()._repr_html_()
    assert all(html.escape(agreement.get_report(k).title) in summary for k in KEYS)


def test_validation_page_uses_the_package_and_every_report_can_appear():
    """chapters/model-validation.md calls the package only, lists itself in _toc.yml, and ends with
    show_remaining() so a report module added later is on the page without editing it."""
    root = agreement.__file__.rsplit("src", 1)[0]
    with open(root + "chapters/model-validation.md", encoding="utf-8") as fh:
        page = fh.read()
    from ketacourse_tools import course

    assert "chapters/model-validation" in [p.entry for p in course.pages(root)]
    assert page.count("\n# ") == 1 and "agreement.summary()" in page and "agreement.show_remaining()" in page
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", page, flags=re.DOTALL)
    code = [line for c in cells for line in c.splitlines() if line.strip() and not line.startswith(":")]
    assert all(line.startswith(("from ketacourse import agreement", "agreement.")) for line in code), code
    for key in re.findall(r'agreement\.show\("([a-z_]+)"\)', page):
        assert key in KEYS or key in ("windup", "ei_network"), f"the page shows an unknown report {key!r}"


def test_agreement_package_imports_no_widgets():
    """The runtime report package sits below the presentation layer: no module of it imports widgets."""
    import pathlib

    pkg = pathlib.Path(agreement.__file__).parent
    for path in sorted(pkg.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(\.\.|ketacourse\.)widgets", text, flags=re.MULTILINE), path.name


def test_validation_page_cells_run_and_render():
    """Each code cell of the page runs (reports are cached, so this is cheap) and its result renders as
    HTML with a plain-text fallback: what the book build executes, checked without Sphinx."""
    import ast

    root = agreement.__file__.rsplit("src", 1)[0]
    with open(root + "chapters/model-validation.md", encoding="utf-8") as fh:
        page = fh.read()
    namespace: dict = {}
    for cell in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", page, flags=re.DOTALL):
        source = "\n".join(line for line in cell.splitlines() if not line.startswith(":"))
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<page>", "exec"), namespace)
        if last is not None:
            shown = eval(compile(ast.Expression(last.value), "<page>", "eval"), namespace)
            assert "<" in shown._repr_html_() and repr(shown).strip()


@pytest.mark.parametrize("key", KEYS)
def test_figures_use_only_the_colour_blind_safe_palette(key):
    """Every drawn line, marker, patch and collection uses an Okabe-Ito colour (or black, white, grey)."""
    from matplotlib.colors import to_hex

    allowed = {c.lower() for c in agreement.COLOURS.values()} | {
        "#000000", "#ffffff", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#999999"}
    fig = agreement.get_report(key).figure()
    used = set()
    for ax in fig.axes:
        for line in ax.lines:
            for c in (line.get_color(), line.get_markerfacecolor(), line.get_markeredgecolor()):
                if c is not None and str(c).lower() != "none":
                    used.add(to_hex(c))
        for coll in ax.collections:
            for arr in (coll.get_facecolor(), coll.get_edgecolor()):
                used |= {to_hex(c) for c in arr if c[3] > 0}
        for patch in ax.patches:
            if patch.get_facecolor()[3] > 0:
                used.add(to_hex(patch.get_facecolor()))
    assert used <= allowed, f"{key}: colours outside the palette: {sorted(used - allowed)}"
