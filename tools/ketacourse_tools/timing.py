"""Study-time estimates computed from a chapter's own content, and the chapter's stated times.

One convention for the whole course: **every time includes the exercises**. A section's time is

    words / reading rate + tables × t_table + widgets × t_widget + self-checks × t_self_check
    + numeric exercises × (t_scaffolded or t_unscaffolded) + choice exercises × t_choice
    + written exercises × t_written

with the rates and their sources in ``data/timing_rates.toml`` (reading speed for studying
technical text from the reading-rate literature; the activity allowances from the course's
pedagogy review, labelled as uncalibrated). A chapter's time is the sum of its sections plus the
reading of its framing text (introduction, objectives, key points).

Sections are those of :func:`ketacourse_tools.assignments.pack.sections_of` (a ``##`` heading in a
markdown cell), so the instructor pack, this estimate and the tests agree on what a section is.

Command line::

    python -m ketacourse_tools.timing chapters/01-nmda-receptor.ipynb ...          # report
    python -m ketacourse_tools.timing --write chapters/01-nmda-receptor.ipynb ...  # rewrite stated times

``--write`` is idempotent: it rewrites each section's "*About N minutes.*" (adding one where a
timed section has none) and the chapter's "**Estimated time:** about ..." from the estimate,
rounded (whole minutes under 15, else to 5), and touches only markdown.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .chapter_format import EXERCISE_RE as _EXERCISE  # the one exercise-cell pattern
from .chapter_format import tags as _tags

__all__ = ["RATES", "SectionTime", "ChapterTime", "estimate", "rounded", "format_minutes", "rewrite", "UNTIMED", "stated_minutes"]

RATES: dict = tomllib.loads((Path(__file__).parent / "data" / "timing_rates.toml").read_text(encoding="utf-8"))

#: Sections that frame the chapter rather than teach (no time of their own; their reading counts
#: towards the chapter's total).
UNTIMED = re.compile(r"^(learning objectives|key points|key terms|where next|references|summary)\b", re.IGNORECASE)

SECTION_MINUTES = re.compile(r"^(\s*)\*About (\d+) minutes?\.?\*", re.IGNORECASE | re.MULTILINE)
CHAPTER_MINUTES = re.compile(r"(\*\*Estimated time:\*\*\s*)about\s+(?:(\d+)\s+hours?)?\s*(?:(\d+)\s+minutes?)?[^;.\n]*"
                             r"(?:\([^)]*\))?", re.IGNORECASE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}", re.MULTILINE)
_CHECK = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")


def words_of(markdown: str) -> int:
    """Words a learner reads in a markdown cell: prose outside tables, citations, links, HTML and
    MyST directive option lines."""
    text = "\n".join(line for line in markdown.splitlines()
                     if not line.lstrip().startswith("|") and not re.match(r"^\s*:\w[\w-]*:", line)
                     and not re.match(r"^\s*(?::{3,}|`{3,})", line))
    text = re.sub(r"\{cite(?::\w+)?\}`[^`]*`", " ", text)
    text = re.sub(r"\{term\}`([^`<]+?)(?:\s*<[^>]+>)?`", r"\1", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return len(re.findall(r"[A-Za-zÀ-ÿ0-9µα-ωΑ-Ω]+(?:[-'’][A-Za-z0-9]+)*", text))


def tables_of(markdown: str) -> int:
    return len(_TABLE_RULE.findall(markdown))


@dataclass
class SectionTime:
    """What a section holds and the minutes it needs; ``stated`` is its "*About N minutes.*"."""

    title: str
    stated: int | None
    words: int = 0
    tables: int = 0
    widgets: int = 0
    self_checks: int = 0
    numeric_scaffolded: int = 0
    numeric_unscaffolded: int = 0
    choice: int = 0
    written: int = 0
    cells: list[int] = field(default_factory=list)

    @property
    def timed(self) -> bool:
        return not UNTIMED.match(self.title)

    @property
    def estimate(self) -> float:
        r, p = RATES["reading"], RATES["per_item"]
        return (self.words / r["words_per_minute"] + self.tables * p["table"] + self.widgets * p["widget"]
                + self.self_checks * p["self_check"] + self.numeric_scaffolded * p["numeric_exercise_scaffolded"]
                + self.numeric_unscaffolded * p["numeric_exercise_unscaffolded"] + self.choice * p["choice_exercise"]
                + self.written * p["written_exercise"])

    @property
    def exercises(self) -> int:
        return self.numeric_scaffolded + self.numeric_unscaffolded + self.choice + self.written


@dataclass
class ChapterTime:
    path: Path
    stated: int | None
    sections: list[SectionTime]
    framing_words: int

    @property
    def estimate(self) -> float:
        return sum(s.estimate for s in self.sections) + self.framing_words / RATES["reading"]["words_per_minute"]

    @property
    def stated_sections(self) -> int:
        return sum(s.stated or 0 for s in self.sections)


def rounded(minutes: float) -> int:
    """Whole minutes under 15, else the nearest 5."""
    return max(1, round(minutes)) if minutes < 15 else int(5 * math.floor(minutes / 5 + 0.5))


def format_minutes(minutes: int) -> str:
    """``95`` → ``"1 hour 35 minutes"``; ``45`` → ``"45 minutes"``."""
    h, m = divmod(minutes, 60)
    hours = f"{h} hour{'s' if h > 1 else ''}" if h else ""
    mins = f"{m} minute{'s' if m != 1 else ''}" if m or not h else ""
    return " ".join(x for x in (hours, mins) if x)


def stated_minutes(nb) -> int | None:
    """The chapter's own total (\"**Estimated time:** about ...\") in minutes, or None."""
    for cell in nb.cells[:6]:
        if cell.cell_type == "markdown":
            m = CHAPTER_MINUTES.search(cell.source)
            if m and (m.group(2) or m.group(3)):
                return int(m.group(2) or 0) * 60 + int(m.group(3) or 0)
    return None


def _exercise_kinds(cells) -> dict[str, dict]:
    """Per exercise label: its check keys and whether its solution code has a fill-in scaffold
    (:func:`ketacourse_tools.chapter_format.is_scaffold`, the course's one classification)."""
    from .chapter_format import is_scaffold

    found: dict[str, dict] = {}
    current = None
    for cell in cells:
        if cell.cell_type == "markdown" and "solution" not in _tags(cell):
            labels = _EXERCISE.findall(cell.source)
            if labels:
                current = labels[-1]
                found.setdefault(current, {"checks": [], "scaffold": False, "stub": False})
        elif cell.cell_type == "code" and current:
            stub = cell.get("metadata", {}).get("ketacourse", {}).get("stub")
            if stub and "solution" in _tags(cell):
                found[current]["stub"] = True
                found[current]["scaffold"] |= is_scaffold(stub)
            if "check" in _tags(cell):
                found[current]["checks"] += _CHECK.findall(cell.source)
    return found


def estimate(path: str | Path) -> ChapterTime:
    """Parse a chapter notebook into timed sections (the sections of ``pack.sections_of``)."""
    from ketacourse import exercises
    from .chapter_format import sections_of, widget_calls_of, widget_classes

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    classes = widget_classes()
    parsed = sections_of(nb, classes)
    sections: list[SectionTime] = []
    framing = 0
    groups: list[list] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and re.search(r"^##\s+(.+)$", cell.source, re.MULTILINE) \
                and not cell.source.lstrip().startswith("# "):
            groups.append([])
        if groups:
            groups[-1].append((i, cell))
        elif cell.cell_type == "markdown" and "remove-cell" not in _tags(cell):
            framing += words_of(cell.source)
    if len(groups) != len(parsed):
        raise ValueError(f"path {path}: {len(groups)} sections found, pack.sections_of gives {len(parsed)}")
    for sec, group in zip(parsed, groups):
        st = SectionTime(sec.title, sec.minutes, widgets=len(sec.widgets), self_checks=len(sec.selfchecks),
                         cells=[i for i, _ in group])
        for _, cell in group:
            if cell.cell_type == "markdown" and "solution" not in _tags(cell) and "remove-cell" not in _tags(cell):
                st.words += words_of(cell.source)
                st.tables += tables_of(cell.source)
            elif cell.cell_type == "code" and "solution" not in _tags(cell) and "remove-output" not in _tags(cell) \
                    and "check" not in _tags(cell) and not widget_calls_of(cell.source, classes):
                st.tables += any("<table" in str(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", []))
        for label, info in _exercise_kinds([c for _, c in group]).items():
            kinds = [c for c in (exercises.get(k, None) for k in info["checks"]) if c is not None]
            numeric = [k for k in kinds if isinstance(k, exercises.NumericCheck)]
            if numeric:
                if info["scaffold"]:
                    st.numeric_scaffolded += len(numeric)
                else:
                    st.numeric_unscaffolded += len(numeric)
            st.choice += len(kinds) - len(numeric)
            if not kinds:
                st.written += 1
        if UNTIMED.match(st.title):
            framing += st.words
            st.words = 0
        sections.append(st)
    return ChapterTime(path, stated_minutes(nb), sections, framing)


def rewrite(path: str | Path) -> list[str]:
    """Rewrite the stated times of a chapter from its estimate (idempotent). Returns what changed."""
    path = Path(path)
    est = estimate(path)
    nb = nbformat.read(path, as_version=4)
    changes = []
    total = 0
    for sec in est.sections:
        if not sec.timed:
            continue
        n = rounded(sec.estimate)
        total += n
        cell = nb.cells[sec.cells[0]]
        new = f"*About {n} minutes.*"
        if SECTION_MINUTES.search(cell.source):
            src = SECTION_MINUTES.sub(lambda m: m.group(1) + new, cell.source, count=1)
        else:
            src = re.sub(r"^(##\s+.+)$", lambda m: m.group(1) + "\n\n" + new, cell.source, count=1, flags=re.MULTILINE)
        if src != cell.source:
            changes.append(f"{sec.title}: {sec.stated} -> {n} min")
            cell.source = src
        # a time-plan table row "| Section | N min |" elsewhere in the chapter's opening cells
        for head in nb.cells[:4]:
            if head.cell_type == "markdown":
                head.source = re.sub(r"^(\|\s*" + re.escape(sec.title) + r"\s*\|\s*)\d+( min\s*\|)$",
                                     lambda m: f"{m.group(1)}{n}{m.group(2)}", head.source, flags=re.MULTILINE)
    total = rounded(total + est.framing_words / RATES["reading"]["words_per_minute"])
    for cell in nb.cells[:6]:
        if cell.cell_type == "markdown" and CHAPTER_MINUTES.search(cell.source):
            src = CHAPTER_MINUTES.sub(lambda m: f"{m.group(1)}about {format_minutes(total)}, including the exercises",
                                      cell.source, count=1)
            if src != cell.source:
                changes.append(f"chapter: {est.stated} -> {total} min")
                cell.source = src
            break
    if changes:
        nbformat.write(nb, path)
    return changes


def report(path: str | Path) -> str:
    est = estimate(path)
    lines = [f"{Path(path).name}: stated {est.stated} min (sections sum {est.stated_sections}), "
             f"estimated {est.estimate:.0f} min"]
    for s in est.sections:
        lines.append(f"  {s.title[:60]:60s} stated {str(s.stated):>4s}  est {s.estimate:5.1f}  "
                     f"({s.words} words, {s.tables} tables, {s.widgets} widgets, {s.self_checks} self-checks, "
                     f"{s.numeric_scaffolded}+{s.numeric_unscaffolded} numeric, {s.choice} choice, {s.written} written)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--write", action="store_true", help="rewrite the stated times from the estimate")
    args = parser.parse_args(argv)
    for nb in args.notebooks:
        if args.write:
            for change in rewrite(nb):
                print(f"{nb}: {change}")
        print(report(nb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
