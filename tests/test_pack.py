"""The instructor pack (``make pack``): for every chapter in ``_toc.yml``, a schedule, a printable
answer key with points and rubrics, a 50-minute session plan and a figure pack, all generated
from the master notebooks and the models (checked here against the same sources)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import nbformat
import pytest

from ketacourse import exercises
from ketacourse_tools.assignments import chapter_notebooks
from ketacourse_tools.assignments.__main__ import main as pack_command
from ketacourse_tools.assignments.build import questions_from_notebook
from ketacourse_tools.assignments.pack import SESSION_MINUTES, _fmt, widget_classes, widget_calls_of

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = chapter_notebooks(ROOT)
PARAMS = [pytest.param(p, id=p.stem) for p in CHAPTERS]


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    """The pack the command line writes (``python -m ketacourse_tools.assignments pack``, its ``main``), run
    in this process: the models' values it computes for the answer keys (Chapter 4's wind-up train) are
    computed once for the pack and the tests below, and no second interpreter imports the stack."""
    out = tmp_path_factory.mktemp("pack") / "pack"
    assert pack_command(["pack", "--repo", str(ROOT), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def default_widget():
    """Each widget class built once with its default settings, shared by the tests of this module
    (building one draws its figure); the tests only read its settings, controls and alt text."""
    built: dict[str, object] = {}
    classes = widget_classes()
    return lambda name: built[name] if name in built else built.setdefault(name, classes[name]())


def _dir(pack: Path, path: Path) -> Path:
    return pack / f"ch{int(path.name[:2]):02d}"


def test_every_chapter_has_a_pack(pack):
    assert CHAPTERS, "no chapter in _toc.yml"
    index = (pack / "README.md").read_text()
    for path in CHAPTERS:
        d = _dir(pack, path)
        for name in ("schedule.md", "answer-key.md", "answer-key.html", "session-plan.md", "figures/figures.md"):
            assert (d / name).is_file() and (d / name).stat().st_size > 200, f"{d.name}/{name}"
        assert f"{d.name}/" in index


@pytest.mark.parametrize("path", PARAMS)
def test_schedule_minutes_are_the_chapters(pack, path):
    nb = nbformat.read(path, as_version=4)
    stated = [int(m) for c in nb.cells if c.cell_type == "markdown" and re.search(r"^##\s", c.source, re.MULTILINE)
              for m in re.findall(r"^\*About (\d+) minutes\.\*", c.source, re.MULTILINE)]
    schedule = (_dir(pack, path) / "schedule.md").read_text()
    assert stated, f"{path.name} states no section times"
    from ketacourse_tools import timing  # the chapter's own total (sections plus its framing text)

    total = max(sum(stated), timing.stated_minutes(nb) or 0)
    assert f"| **Total** | **{total}** |" in schedule
    for c in nb.cells:
        if c.cell_type == "markdown":
            m = re.search(r"^##\s+(.+)$", c.source, re.MULTILINE)
            t = re.search(r"^\*About (\d+) minutes\.\*", c.source, re.MULTILINE)
            if m and t:
                assert f"| {m.group(1).strip()} | {t.group(1)} |" in schedule


@pytest.mark.parametrize("path", PARAMS)
def test_answer_key_has_every_question_with_points_and_values(pack, path):
    key = (_dir(pack, path) / "answer-key.md").read_text()
    questions = questions_from_notebook(nbformat.read(path, as_version=4))
    total = sum(q.points for q in questions)
    assert f"Instructor only. {total} points" in key
    for q in questions:
        assert f"({q.name}) — {q.points} point" in key
        item = exercises.get(q.name, None)
        if q.kind == "numeric":
            assert f"**Answer:** {_fmt(float(item.expected()))} {item.unit}" in key  # computed, not copied
            named = [m for m in item.mistakes if math.isfinite(float(m.value()))
                     and not item.is_close(float(m.value()), float(item.expected()))]
            for m in named:
                assert f"| {m.name} | {_fmt(float(m.value()))} |" in key
        elif q.kind == "choice":
            assert f"**Answer:** option ({item.answer})" in key
        else:
            section = key.split(f"({q.name})", 1)[1].split("\n## ", 1)[0]
            assert "**Rubric.**" in section and "Points of the model answer" in section
            first_words = " ".join(re.sub(r"[{}`*]", "", q.rubric).split()[:4])
            assert first_words.split()[0] in section
    html = (_dir(pack, path) / "answer-key.html").read_text()
    assert "<table>" in html and "@media print" in html


@pytest.mark.parametrize("path", PARAMS)
def test_session_plan_fills_fifty_minutes_with_live_widgets(pack, path):
    plan = (_dir(pack, path) / "session-plan.md").read_text()
    spans = [(int(a), int(b)) for a, b in re.findall(r"^\| (\d+)–(\d+) min \|", plan, re.MULTILINE)]
    assert spans[0][0] == 0 and spans[-1][1] == SESSION_MINUTES
    assert all(b1 == a2 for (_, b1), (a2, _) in zip(spans, spans[1:])), "the blocks must be contiguous"
    nb = nbformat.read(path, as_version=4)
    classes = widget_classes()
    shown = {call.func.id for c in nb.cells if c.cell_type == "code" for call in widget_calls_of(c.source, classes)}
    for name in shown:
        assert f"live: {name}" in plan or f", {name}" in plan
    assert "Predict" in plan or not shown
    # A chapter with a content note opens with it; objectives are the list, not the introduction after it.
    if "Content note" in "".join(c.source for c in nb.cells if c.cell_type == "markdown"):
        assert "content note" in plan.split("\n| 5", 1)[0] and "crisis and support lines" in plan
    objectives = plan.split("## Objectives", 1)[-1].split("\n## ", 1)[0] if "## Objectives" in plan else ""
    assert all(len(line) < 400 for line in objectives.splitlines())


@pytest.mark.parametrize("path", PARAMS)
def test_figure_pack_has_pngs_with_alt_text(pack, path, default_widget):
    d = _dir(pack, path) / "figures"
    frames = json.loads((d / "figures.json").read_text())
    nb = nbformat.read(path, as_version=4)
    classes = widget_classes()
    shown = {call.func.id for c in nb.cells if c.cell_type == "code" for call in widget_calls_of(c.source, classes)}
    md = (d / "figures.md").read_text()
    assert set(frames) <= shown and all(name in md for name in shown)  # rendered, or listed as not included
    assert frames or not shown
    for name, items in frames.items():
        assert items and items[0]["file"] == f"{name}-default.png"
        for f in items:
            png = (d / f["file"]).read_bytes()
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
            assert len(f["alt"]) > 40 and f["alt"] in md
        # The alt text is the widget's own, for the settings of the frame.
        widget = default_widget(name)
        assert items[0]["alt"] == widget.alt_text(**widget.params) or items[0]["params"] != widget.params


def test_anki_deck_has_glossary_key_points_and_selfchecks(pack, tmp_path):
    import html as html_mod
    import sqlite3
    import zipfile

    from ketacourse_tools.assignments.pack import _key_points, glossary_terms, selfchecks_of

    with zipfile.ZipFile(pack / "ketacourse.apkg") as zf:
        zf.extract("collection.anki2", tmp_path)
    con = sqlite3.connect(tmp_path / "collection.anki2")
    fronts = [html_mod.unescape(row[0].split("\x1f")[0]) for row in con.execute("select flds from notes")]
    con.close()
    terms = glossary_terms((ROOT / "chapters" / "glossary.md").read_text())
    assert len(terms) > 20 and {t for t, _ in terms} <= set(fronts)
    expected = len(terms)
    for path in CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        checks = selfchecks_of(nb)
        expected += len(_key_points(nb)) + len(checks)
        for sc in checks:
            assert any(f.startswith(sc["question"]) for f in fronts)
    assert len(fronts) == expected


@pytest.mark.parametrize("path", PARAMS)
def test_session_plan_names_controls_as_learners_see_them(pack, path, default_widget):
    """The plan says which control to move by the label on the learner's screen (the control's
    ``description``) and the values as they are shown, never the widget's internal control name
    (the instructor review found "moving `dose_mg_per_kg`" in Chapter 3)."""
    d = _dir(pack, path)
    plan = (d / "session-plan.md").read_text()
    figures_md = (d / "figures" / "figures.md").read_text()
    frames = json.loads((d / "figures" / "figures.json").read_text())
    labels, internal = set(), set()
    for name, items in frames.items():
        widget = default_widget(name)
        labels |= {c.description for c in widget.controls.values() if getattr(c, "description", "")}
        internal |= {k for k in widget.controls if "_" in k}
        for f in items:
            if f["scrub"]:
                ctrl = widget.controls[f["control"]]
                assert f["control_label"] == ctrl.description
                assert f["value_label"] and f["control"] not in f["value_label"]
    for text in (plan, figures_md.split("## Not included")[0]):
        named = [k for k in internal if re.search(rf"(?<![\w/.-]){re.escape(k)}(?![\w.-])", text)]
        assert not named, f"internal control names in {d.name}: {named}"
    moved = re.findall(r'moving "([^"]+)"', plan)
    assert all(m in labels for m in moved), (moved, labels)
    for first in re.findall(r": first (.+?) as the prediction asks", plan):  # controls the prediction names
        assert all(m in labels for m in re.findall(r'"([^"]+)"', first)), (first, labels)
    if any(f["scrub"] for items in frames.values() for f in items):
        assert moved, "a widget with a scrubber is shown live: the plan says which control to move"


def test_control_and_value_labels_come_from_the_public_control_options():
    import ipywidgets as W

    from ketacourse_tools.assignments.pack import control_label, value_label

    class Stub:
        controls = {"dose_mg_per_kg": W.FloatSlider(value=0.5, min=0.1, max=1.0, description="Dose (mg/kg)"),
                    "schedule": W.Dropdown(options=[("Twice weekly", "twice"), ("Single", "single")], value="single",
                                           description="Schedule"),
                    "plain": W.Dropdown(options=["a", "b"], value="a"),
                    "no_label": W.IntSlider(value=1)}

    w = Stub()
    assert control_label(w, "dose_mg_per_kg") == "Dose (mg/kg)"
    assert control_label(w, "no_label") == "no_label"  # no description: nothing better to show
    assert value_label(w, "schedule", "twice") == "Twice weekly"
    assert value_label(w, "plain", "b") == "b"
    assert value_label(w, "dose_mg_per_kg", 0.25) == "0.25"


def test_chapter_3_session_plan_names_the_controls_its_prediction_asks_about(pack):
    ch3 = next(p for p in CHAPTERS if p.name.startswith("03"))
    plan = (_dir(pack, ch3) / "session-plan.md").read_text()
    assert "dose_mg_per_kg" not in plan
    line = next(ln for ln in plan.splitlines() if "live: ResponseTimeCourse" in ln)
    # The prediction asks about the schedule (the review: the plan moved the dose instead): it comes first.
    assert "Switch the schedule" in line and 'first "Schedule"' in line
    assert 'then moving "Dose per infusion (mg/kg)" from 0.1 mg/kg to 1 mg/kg' in line
