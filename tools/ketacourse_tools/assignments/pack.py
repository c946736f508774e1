"""The instructor pack: for every chapter in ``_toc.yml``, everything needed to plan and mark a session.

``python -m ketacourse_tools.assignments pack --out build/pack`` (``make pack``) writes, per chapter
``build/pack/chNN/``:

- ``schedule.md``: one row per section with its minutes (parsed from the chapter's
  "*About N minutes.*"), its widgets, exercises and self-checks, and the total;
- ``answer-key.md`` and ``answer-key.html`` (printable): every graded question with its points;
  numeric answers with the value the models give today, the tolerance and the named mistakes
  (the "common mistakes" to watch for); written answers with a rubric built from the master
  notebook's model answer; every self-check's right option and explanation;
- ``session-plan.md``: a 50-minute session that runs the chapter's widgets live (predict, show,
  explain), with the minutes scaled from the sections' own;
- ``figures/``: a PNG of each widget at its default settings and at the ends of its offline
  scrubber, each with its alt text in ``figures/figures.md`` (and ``figures.json``), for slides.

and ``build/pack/ketacourse.apkg``, an Anki deck (genanki) of the glossary, the key points and
the self-checks.

Everything is generated from the master notebook and the package (nothing is hand-copied), so
it stays in step with the chapter. The pack holds the answers: keep it out of the student release.
"""

from __future__ import annotations

import ast
import html
import json
import math
import re
import shutil
from pathlib import Path

import nbformat

from ketacourse import exercises
from .. import timing
from ..chapter_format import SOLUTION_TAG, Section, clean_myst, sections_of, selfchecks_of, widget_calls_of, widget_classes
from ..chapter_format import glossary_terms as _glossary_terms
from ..chapter_format import tags as _tags
from ..chapter_format import exercise_numbers
from . import chapter_notebooks
from .build import Question, questions_from_notebook

__all__ = ["Section", "clean_myst", "sections_of", "selfchecks_of", "widget_calls_of", "make_pack", "SESSION_MINUTES"]

SESSION_MINUTES = 50


def _objectives(nb: nbformat.NotebookNode) -> list[str]:
    text = next((c.source for c in nb.cells[:5] if c.cell_type == "markdown" and "Learning objectives" in c.source), "")
    part = text.split("Learning objectives", 1)[-1] if "Learning objectives" in text else ""
    part = re.split(r"^#", part, maxsplit=1, flags=re.MULTILINE)[0]
    return [clean_myst(m.group(1).replace("**", ""))
            for m in re.finditer(r"^\d+\.\s+(.+?)(?=^\d+\.|\n\s*\n|\Z)", part.strip() + "\n",
                                 re.MULTILINE | re.DOTALL)]  # an item ends at the next item or a blank line


def content_notes(nb: nbformat.NotebookNode) -> list[str]:
    """The chapter's content notes ("Content note: suicide" ...), by their titles."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in re.finditer(r"Content note(?::\s*([^\n`]+))?", cell.source):
                out.append((m.group(1) or "see the note in the chapter").strip())
    return list(dict.fromkeys(out))


def _key_points(nb: nbformat.NotebookNode) -> list[str]:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and re.match(r"^##\s+Key points", cell.source.strip()):
            body = re.split(r"^#", cell.source.strip().split("\n", 1)[-1], maxsplit=1, flags=re.MULTILINE)[0]
            return [clean_myst(m.group(1)) for m in re.finditer(r"^- (.+?)(?=^- |\Z)", body, re.MULTILINE | re.DOTALL)]
    return []


def _title(nb: nbformat.NotebookNode) -> str:
    """The h1 of the first markdown cell the book shows (cells tagged remove-cell come first in
    JupyterLab only, e.g. the chapter's glossary)."""
    shown = [c for c in nb.cells if c.cell_type == "markdown" and "remove-cell" not in c.metadata.get("tags", [])]
    m = re.search(r"^#\s+(.+)$", shown[0].source, re.MULTILINE) if shown else None
    return m.group(1).strip() if m else "Untitled chapter"


def _fmt(x: float) -> str:
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{digits}f}"


# ----------------------------------------------------------------------------- documents
def schedule_md(title: str, sections: list[Section], chapter_minutes: int | None = None) -> str:
    rows = ["| # | Section | Minutes | Widgets | Exercises | Self-checks |", "|---|---|---|---|---|---|"]
    total = 0
    for i, s in enumerate(sections, 1):
        total += s.minutes or 0
        rows.append(f"| {i} | {s.title} | {s.minutes if s.minutes is not None else '—'} | "
                    f"{', '.join(s.widgets) or '—'} | {len(s.exercises)} | {len(s.selfchecks)} |")
    if chapter_minutes is not None and chapter_minutes > total:  # the chapter's own total (ketacourse_tools.timing)
        rows.append(f"| | Introduction, objectives and key points | {chapter_minutes - total} | — | 0 | 0 |")
        total = chapter_minutes
    rows.append(f"| | **Total** | **{total}** | {sum(len(s.widgets) for s in sections)} | "
                f"{sum(len(s.exercises) for s in sections)} | {sum(len(s.selfchecks) for s in sections)} |")
    return (f"# Schedule: {title}\n\nMinutes per section are the chapter's own times (\"About N minutes\"), "
            "exercises included, estimated from the content by `ketacourse_tools.timing` (words at a stated "
            "reading rate for technical text, minutes per table, widget, self-check and exercise; rates and "
            "sources in `ketacourse_tools/data/timing_rates.toml`); the chapter total is the chapter's own. "
            "Sections without an estimate are marked —.\n\n" + "\n".join(rows) + "\n")


def _rubric(q: Question) -> str:
    """A holistic rubric: full marks for all the model answer's points, part marks for some."""
    items = [clean_myst(p) for p in re.split(r"\n\s*\n|\n\s*- |^- ", q.rubric, flags=re.MULTILINE) if p.strip()]
    lines = [f"*{q.points} points.* {q.points}: makes all the points below (or a well-argued equivalent); "
             + (f"{'1' if q.points == 2 else f'1 to {q.points - 1}'}: makes some of them, or makes them with an error; " if q.points > 1 else "")
             + "0: none, or a dosing recommendation for a person.", "",
             "Points of the model answer (from the master notebook):", ""]
    lines += [f"- {p}" for p in items]
    return "\n".join(lines)


def answer_key_md(title: str, questions: list[Question], selfchecks: list[dict],
                  numbers: dict[str, int] | None = None) -> str:
    """The answer key; ``numbers`` (``chapter_format.exercise_numbers``) numbers each question by its
    exercise, as the book and the notebook do ("Exercise 3"); without it, questions count from 1."""
    auto = sum(q.points for q in questions if q.kind != "written")
    manual = sum(q.points for q in questions if q.kind == "written")
    out = [f"# Answer key: {title}", "",
           f"Instructor only. {auto + manual} points: {auto} autograded, {manual} written (marked with the rubric). "
           "Numeric values are computed by the course models when this key was made (`make pack`), so they "
           "match the autograder built from the same version.", ""]
    for n, q in enumerate(questions, 1):
        label = f"Exercise {numbers[q.exercise]}" if numbers and q.exercise in numbers else f"{n}"
        out += [f"## {label}. {q.title} ({q.name}) — {q.points} point{'s' if q.points != 1 else ''}", "",
                f"*Section: {q.section}.*", ""]
        item = exercises.get(q.name, None)
        if q.kind == "numeric" and item is not None:
            expected = float(item.expected())
            tol = f"within {item.rel_tol:.0%}" + (f" or {item.abs_tol:g}" if item.abs_tol else "")
            out += [f"**Answer:** {_fmt(expected)} {item.unit} (`{q.answer_expr}`; accepted {tol}).", ""]
            if item.explanation:
                out += [f"Why: {clean_myst(item.explanation)}", ""]
            rows = []
            for m in item.mistakes:
                wrong = float(m.value())
                if math.isfinite(wrong) and not item.is_close(wrong, expected):
                    rows.append(f"| {m.name} | {_fmt(wrong)} | {m.message} |")
            if rows:
                out += ["Common mistakes (named in the student's feedback):", "",
                        "| Mistake | Gives | Feedback |", "|---|---|---|", *rows, ""]
        elif q.kind == "choice" and item is not None:
            out += [f"**Answer:** option ({item.answer}) (`{q.answer_expr}`).", ""]
            if item.explanation:
                out += [f"Why: {item.explanation}", ""]
            if item.feedback:
                out += ["Wrong options and what they suggest:", "",
                        *[f"- ({k}) {v}" for k, v in item.feedback.items()], ""]
        else:
            out += ["**Rubric.**", "", _rubric(q), ""]
    if selfchecks:
        out += ["## Self-checks (not graded)", ""]
        for sc in selfchecks:
            idx = sc.get("answer", 0)
            opts = sc.get("options", [])
            letter = "abcdefgh"[idx] if isinstance(idx, int) else "?"
            right = opts[idx] if isinstance(idx, int) and idx < len(opts) else ""
            out += [f"- **{sc.get('question', '')}** ({sc['section']}) Answer: ({letter}) {right}. "
                    f"{clean_myst(sc.get('explanation', ''))}"]
        out.append("")
    return "\n".join(out)


def session_plan_md(title: str, nb: nbformat.NotebookNode, sections: list[Section], questions: list[Question],
                    figures: dict[str, list[dict]]) -> str:
    live = [s for s in sections if s.widgets]
    body = SESSION_MINUTES - 10  # 5 to open, 5 to close
    weights = [s.minutes or 10 for s in live] or [1]
    minutes = [max(4, round(body * w / sum(weights))) for w in weights]
    while live and sum(minutes) > body:
        minutes[minutes.index(max(minutes))] -= 1
    while live and sum(minutes) < body:
        minutes[minutes.index(min(minutes))] += 1
    objectives = _objectives(nb)
    out = [f"# A {SESSION_MINUTES}-minute session: {title}", "",
           "Run the chapter in JupyterLab on the projector (`make lab`, or Binder) and show the widgets live; "
           "the figure pack (`figures/`) is the fallback for slides. Students work in pairs on their own copy. "
           "Each widget block follows predict, observe, explain: ask the prediction first, take a show of "
           "hands, then move the sliders.", "",
           "| Time | Activity |", "|---|---|"]
    checks = selfchecks_of(nb)
    first_q = checks[0]["question"] if checks else next((p for s in live for p in s.predictions), None)
    notes = content_notes(nb)
    out.append("| 0–5 min | Open: " + (f"first the chapter's content note{'s' if len(notes) > 1 else ''} ("
                                       + "; ".join(notes) + "): say what the session covers, that anyone may step "
                                       "out, and where the crisis and support lines are (the course's safety "
                                       "page); then " if notes else "") + "the chapter's objectives" +
               (f" ({len(objectives)}); " if objectives else "; ") +
               (f"ask the chapter's first self-check, \"{first_q}\", and collect answers without discussing them." if first_q else
                "ask what students expect the first widget to show.") + " |")
    t = 5
    for s, m in zip(live, minutes):
        widgets = ", ".join(dict.fromkeys(s.widgets))
        step = f"**{s.title}** (chapter: {s.minutes or '?'} min). Predict"
        step += f": \"{s.predictions[0]}\"" if s.predictions else " what the widget will show"
        step += f"; then live: {widgets}"
        # Controls as the learner sees them (their labels and values), never their internal names: first
        # those the prediction asks about, then the one the book's scrubber moves.
        scrub = [f for w in dict.fromkeys(s.widgets) for f in figures.get(w, []) if f.get("scrub")]
        scrub_label = (scrub[0].get("control_label") or scrub[0]["control"]) if scrub else ""
        named = [lab for w in dict.fromkeys(s.widgets) for lab in (figures.get(w) or [{}])[0].get("settings", {})
                 if s.predictions and _names_control(s.predictions[0], lab) and _core(lab) != _core(scrub_label)]
        if named:
            step += ": first " + ", ".join(f"\"{lab}\"" for lab in dict.fromkeys(named)) + " as the prediction asks"
        if scrub:
            ends = [f["value_label"] for f in scrub if f.get("control") == scrub[0]["control"] and f.get("value_label")]
            step += (", then" if named else ",") + f" moving \"{scrub_label}\"" + (
                f" from {ends[0]} to {ends[-1]}" if len(ends) > 1 else " across its range")
        step += "; students explain what changed and why."
        qs = [q for q in questions if q.section == s.title and q.kind != "written"]
        if qs:
            step += f" Pairs start the exercise \"{qs[0].title}\" ({qs[0].name}); the rest is homework."
        out.append(f"| {t}–{t + m} min | {step} |")
        t += m
    key_points = _key_points(nb)
    out.append(f"| {t}–{SESSION_MINUTES} min | Close: read the key points ({len(key_points)}), answer the opening "
               "question again, and assign the exercises not done in class (`make assignment`). |")
    rest = [s.title for s in sections if not s.widgets and s.minutes]
    if rest:
        out += ["", "Sections without a widget to set as reading before or after the session: " + "; ".join(rest) + "."]
    if objectives:
        out += ["", "## Objectives", "", *[f"{i}. {o}" for i, o in enumerate(objectives, 1)]]
    if key_points:
        out += ["", "## Key points to close with", "", *[f"- {k}" for k in key_points]]
    return "\n".join(out) + "\n"


def figure_pack(nb: nbformat.NotebookNode, dest: Path, classes: dict[str, type]) -> dict[str, list[dict]]:
    """PNG frames of each widget the chapter shows (default settings, then the ends of its
    offline scrubber), each with its alt text. Returns ``{widget: [frame, ...]}``."""
    dest.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[dict]] = {}
    skipped: list[str] = []
    namespace = dict(classes)
    for cell in nb.cells:
        if cell.cell_type != "code" or SOLUTION_TAG in _tags(cell):
            continue
        for call in widget_calls_of(cell.source, classes):
            name = call.func.id
            if name in found:
                continue
            try:
                widget = eval(compile(ast.Expression(call), "<widget>", "eval"), namespace)  # literal args only
            except Exception:
                try:
                    widget = classes[name]()
                except Exception as exc:  # needs the notebook's variables: leave it out, say so
                    skipped.append(f"{name}: could not be built outside the notebook ({type(exc).__name__}: {exc})")
                    continue
            frames = [("default", {}, None)]
            if widget.scrub is not None and len(widget.scrub.values) > 1:
                values = widget.scrub.values
                frames += [(f"{widget.scrub.control}-low", {widget.scrub.control: values[0]}, widget.scrub.control),
                           (f"{widget.scrub.control}-high", {widget.scrub.control: values[-1]}, widget.scrub.control)]
            found[name] = []
            for suffix, params, scrub in frames:
                png = widget.png() if not params else widget.frame_png(**params)
                state = {**widget.params, **params}
                file = f"{name}-{suffix}.png"
                (dest / file).write_bytes(png)
                found[name].append({"file": file, "title": widget.title, "params": {k: _jsonable(v) for k, v in state.items()},
                                    "settings": {control_label(widget, k): value_label(widget, k, v) for k, v in state.items()},
                                    "alt": widget.alt_text(**state), "scrub": bool(scrub), "control": scrub or "",
                                    "control_label": control_label(widget, scrub) if scrub else "",
                                    "value_label": _scrub_label(widget, scrub, params[scrub]) if scrub else ""})
    lines = ["# Figure pack", "", "PNG frames of the chapter's widgets for slides, each with its alt text "
             "(paste it into the slide's alt-text field).", ""]
    for name, frames in found.items():
        lines += [f"## {name}: {frames[0]['title']}", ""]
        for f in frames:
            settings = "; ".join(f"{k}: {v}" for k, v in f["settings"].items())
            lines += [f"![{f['alt']}]({f['file']})", "", f"*{f['file']}* ({settings}). Alt text: {f['alt']}", ""]
    if skipped:
        lines += ["## Not included", "", *[f"- {x}" for x in skipped], ""]
    (dest / "figures.md").write_text("\n".join(lines), encoding="utf-8")
    (dest / "figures.json").write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return found


def _core(label: str) -> str:
    """A control label's words before any comma or parenthesis: "Ceiling" of "Ceiling, an assumption (SD)"."""
    return re.split(r"[,(]", label, maxsplit=1)[0].strip().lower()


def _names_control(text: str, label: str) -> bool:
    """Whether ``text`` (a prediction) speaks of the control labelled ``label`` (by its :func:`_core`).
    The scrubber's own control, and a control sharing its core words ("Dose (mg)" beside
    "Dose (mg/kg)"), are left to the scrubber step."""
    core = _core(label)
    return len(core) >= 4 and re.search(rf"(?<!\w){re.escape(core)}(?!\w)", text, re.IGNORECASE) is not None


def _scrub_label(widget, name: str, value) -> str:
    """A scrubber frame's value as the book's scrubber shows it: the scrub spec's format applied to the
    option's label for a named choice (a string value), else to the value itself."""
    return widget.scrub.label.format(value_label(widget, name, value) if isinstance(value, str) else value)


def control_label(widget, name: str) -> str:
    """The label a learner sees beside control ``name`` (its public ``description``), e.g.
    ``"Dose per infusion (mg/kg)"`` for ``dose_mg_per_kg``; the name itself if it has none."""
    return str(getattr(widget.controls[name], "description", "") or name)


def value_label(widget, name: str, value) -> str:
    """``value`` of control ``name`` as the learner sees it: a choice control's option label (from its
    public ``options``, ``(label, value)`` pairs or plain values), else the value."""
    for opt in getattr(widget.controls[name], "options", None) or ():
        label, val = opt if isinstance(opt, tuple) and len(opt) == 2 else (opt, opt)
        if val == value:
            return str(label)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _jsonable(v):
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return str(v)


def _html(title: str, markdown: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>"
            "body{font:11pt/1.4 system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em}"
            "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .5em;vertical-align:top}"
            "h2{break-before:auto;break-after:avoid;border-top:1px solid #ccc;padding-top:.5em}"
            "@media print{body{margin:0;max-width:none}a{color:inherit}}"
            f"</style></head><body>\n{body}</body></html>\n")


def _stable_id(text: str) -> int:
    import hashlib

    return 1 << 30 | int(hashlib.sha256(text.encode()).hexdigest()[:7], 16)


def glossary_terms(glossary_md: str) -> list[tuple[str, str]]:
    """(term, definition) pairs from the ``{glossary}`` directive of ``chapters/glossary.md``."""
    return [(t, clean_myst(d)) for t, d in _glossary_terms(glossary_md) if d]


def anki_deck(repo_dir: Path, out_path: Path) -> int:
    """An Anki deck (genanki) of the glossary, each chapter's key points and its self-checks.
    Returns the number of notes."""
    import genanki

    model = genanki.Model(
        _stable_id("ketacourse-basic"), "ketacourse basic",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Source"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}",
                    "afmt": "{{FrontSide}}<hr id=answer>{{Back}}<br><small>{{Source}}</small>"}])

    def note(front: str, back: str, source: str) -> genanki.Note:
        return genanki.Note(model=model, fields=[html.escape(front), html.escape(back), html.escape(source)],
                            guid=genanki.guid_for(front, source))

    decks, count = [], 0
    glossary = Path(repo_dir) / "chapters" / "glossary.md"
    if glossary.exists():
        deck = genanki.Deck(_stable_id("ketacourse::Glossary"), "ketacourse::Glossary")
        for term, definition in glossary_terms(glossary.read_text(encoding="utf-8")):
            deck.add_note(note(term, definition, "Glossary"))
        decks.append(deck)
    for path in chapter_notebooks(repo_dir):
        nb = nbformat.read(path, as_version=4)
        name = f"ketacourse::{int(path.name[:2])}. {_title(nb)}"
        deck = genanki.Deck(_stable_id(name), name)
        for point in _key_points(nb):
            bold = re.findall(r"\*\*(.+?)\*\*", point)
            front = f"Key point: {bold[0]}?" if bold else "Key point: " + " ".join(point.split()[:8]) + " …"
            deck.add_note(note(front, point.replace("**", ""), _title(nb)))
        for sc in selfchecks_of(nb):
            opts = sc.get("options", [])
            idx = sc.get("answer", 0)
            front = sc.get("question", "") + " " + " ".join(f"({'abcdefgh'[i]}) {o}" for i, o in enumerate(opts))
            back = f"({'abcdefgh'[idx]}) {opts[idx]}. {clean_myst(sc.get('explanation', ''))}"
            deck.add_note(note(front, back, f"{_title(nb)}: {sc['section']}"))
        decks.append(deck)
    count = sum(len(d.notes) for d in decks)
    genanki.Package(decks).write_to_file(str(out_path))
    return count


def make_pack(repo_dir: Path, out_dir: Path, *, figures: bool = True) -> Path:
    """Write the instructor pack for every chapter in ``_toc.yml`` to ``out_dir`` (replaced)."""
    repo_dir, out_dir = Path(repo_dir), Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    classes = widget_classes()
    index = ["# Instructor pack", "", "Generated by `make pack` from the master notebooks. Instructor only: it "
             "holds the answers.", "", "| Chapter | Minutes | Points | Files |", "|---|---|---|---|"]
    for path in chapter_notebooks(repo_dir):
        nb = nbformat.read(path, as_version=4)
        title, number = _title(nb), int(path.name[:2])
        dest = out_dir / f"ch{number:02d}"
        dest.mkdir()
        sections = sections_of(nb, classes)
        questions = questions_from_notebook(nb)
        found = figure_pack(nb, dest / "figures", classes) if figures else {}
        chapter_minutes = timing.stated_minutes(nb)
        (dest / "schedule.md").write_text(schedule_md(title, sections, chapter_minutes), encoding="utf-8")
        key = answer_key_md(title, questions, selfchecks_of(nb), exercise_numbers(nb))
        (dest / "answer-key.md").write_text(key, encoding="utf-8")
        (dest / "answer-key.html").write_text(_html(f"Answer key: {title}", key), encoding="utf-8")
        (dest / "session-plan.md").write_text(session_plan_md(title, nb, sections, questions, found), encoding="utf-8")
        index.append(f"| {number}. {title} | {chapter_minutes or sum(s.minutes or 0 for s in sections)} | "
                     f"{sum(q.points for q in questions)} | ch{number:02d}/ |")
    notes = anki_deck(repo_dir, out_dir / "ketacourse.apkg")
    index += ["", f"`ketacourse.apkg`: an Anki deck of {notes} cards (glossary, key points, self-checks) for revision; "
              "it holds the self-checks' answers, so share it after the sessions."]
    (out_dir / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return out_dir
