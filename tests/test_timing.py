"""Honest study times (issue 22, item 2): every chapter's stated times agree with an estimate
computed from its content (``ketacourse_tools.timing``), one convention (exercises included)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from ketacourse_tools import timing

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("0*.ipynb"))
TOL = timing.RATES["tolerance"]["relative"]
MAX_SITTING = timing.RATES["sitting"]["max_section_minutes"]
#: Chapters whose times are rewritten by the coordinator after merging (other streams edit them
#: until then): ``python -m ketacourse_tools.timing --write chapters/0[4-7]-*.ipynb``. Empty it then.
PENDING_REWRITE: set[str] = set()


def _param(p):
    marks = [pytest.mark.xfail(reason="times rewritten by the coordinator after merging", strict=False)] \
        if p.name[:2] in PENDING_REWRITE else []
    return pytest.param(p, id=p.stem, marks=marks)


PARAMS = [_param(p) for p in NOTEBOOKS]


def off(stated: float, estimate: float) -> bool:
    """More than the tolerance from the estimate (with one minute's grace for the shortest sections)."""
    return abs(stated - estimate) > max(TOL * estimate, 1.0)


@pytest.mark.parametrize("path", PARAMS)
def test_stated_times_match_the_estimate(path):
    est = timing.estimate(path)
    problems = []
    assert est.stated is not None, "no '**Estimated time:** about ...' in the chapter's opening cells"
    if off(est.stated, est.estimate):
        problems.append(f"chapter: stated {est.stated} min, estimated {est.estimate:.0f}")
    for s in est.sections:
        if not s.timed:
            continue
        if s.stated is None:
            problems.append(f"{s.title!r}: no '*About N minutes.*' (estimated {s.estimate:.0f})")
        elif off(s.stated, s.estimate):
            problems.append(f"{s.title!r}: stated {s.stated} min, estimated {s.estimate:.0f}")
        if s.estimate > MAX_SITTING:
            problems.append(f"{s.title!r}: {s.estimate:.0f} min is more than one sitting ({MAX_SITTING}); split it")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", PARAMS)
def test_one_convention_exercises_included(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells[:6] if c.cell_type == "markdown")
    line = re.search(r"\*\*Estimated time:\*\*[^\n]*", text)
    assert line, "no estimated time"
    assert not re.search(r"plus (the )?exercises", line.group(0), re.IGNORECASE), line.group(0)


def test_rates_have_sources():
    bib = (ROOT / "chapters" / "references.bib").read_text(encoding="utf-8")
    for key in timing.RATES["reading"]["source"].split(","):
        assert re.search(r"@\w+\{" + re.escape(key.strip()) + ",", bib), key
    for table in ("reading", "per_item", "sitting", "tolerance"):
        assert timing.RATES[table]["source"], table
    assert 100 <= timing.RATES["reading"]["words_per_minute"] <= 240


def test_rounding_and_format():
    assert [timing.rounded(x) for x in (0.2, 6.4, 14.4, 17.4, 17.6, 62)] == [1, 6, 14, 15, 20, 60]
    assert timing.format_minutes(45) == "45 minutes"
    assert timing.format_minutes(60) == "1 hour"
    assert timing.format_minutes(125) == "2 hours 5 minutes"


def test_words_ignore_citations_tables_and_directives():
    assert timing.words_of("A b c {cite:p}`x2020,y2021` d.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n:::{admonition} T\n:class: dropdown") == 4
    assert timing.words_of("{term}`NMDA receptor <nmda>` opens") == 3
    assert timing.tables_of("| a |\n|---|\n| 1 |") == 1


def test_rewrite_is_idempotent_and_brings_times_within_tolerance(tmp_path):
    """On a copy of a chapter with wrong times: one rewrite fixes them, a second changes nothing."""
    src = NOTEBOOKS[0]
    copy = tmp_path / src.name
    shutil.copy(src, copy)
    nb = nbformat.read(copy, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"\*About \d+ minutes\.\*", "*About 2 minutes.*", cell.source)
            cell.source = cell.source.replace("**Estimated time:** about", "**Estimated time:** about 7 minutes, plus the exercises. Was about", 1)
    nbformat.write(nb, copy)
    assert timing.rewrite(copy)
    assert timing.rewrite(copy) == []
    est = timing.estimate(copy)
    assert not off(est.stated, est.estimate)
    assert all(not off(s.stated, s.estimate) for s in est.sections if s.timed)
    before = [c.source for c in nbformat.read(src, as_version=4).cells if c.cell_type == "code"]
    assert before == [c.source for c in nbformat.read(copy, as_version=4).cells if c.cell_type == "code"]


def test_pack_schedule_total_is_the_chapters_own():
    from ketacourse_tools.assignments.pack import schedule_md, sections_of

    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    stated = timing.stated_minutes(nb)
    text = schedule_md("T", sections_of(nb), stated)
    assert f"**Total** | **{stated}**" in text
