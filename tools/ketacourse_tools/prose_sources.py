"""Every number in the prose carries its source: a checker over chapter markdown (issue #15).

A *quantitative claim* is a number with a unit (mg, mg/kg, ng/mL, µM, %, min, h, days, mmHg,
L/h, ...), a range, a fold-change, an effect size or p-value, or a count of patients. In the
course's markdown each claim must be covered, in the same *unit of text* (a paragraph, a list
item, a table row or a heading), by one of:

1. a citation role: ``{cite}`key```, ``{cite:p}`key``` or ``{cite:t}`key```;
2. a computed-marker: an HTML comment that starts with "computed", for example
   ``<!-- computed by the model above -->`` or ``<!-- computed: Widget 3.1 -->``. It is hidden from
   learners (the book, the student notebooks and JupyterLab do not render comments) but read here;
   the older visible form "(computed ...)" is still read, and :func:`leaked_markers` finds it in
   what learners see (``tests/test_prose_sources.py`` fails on any); :func:`hide_markers` converts
   it (``python -m ketacourse_tools.prose_sources --hide-markers``);
3. the short allowlist of definitions and settings in :data:`ALLOWLIST` (membrane voltages
   used as settings, "1 mM Mg²⁺", the 70 kg typical adult, unit identities, 0 % and 100 %).

Numbers inside code (fenced blocks, inline ``code``), maths ($...$, $$...$$), directive option
lines (``:label:``), URLs and citation keys are not prose and are ignored. The full convention
is documented in ``docs/prose-sources.md``.

Use :func:`check_course` from a test (``tests/test_prose_sources.py``) or run
``python -m ketacourse_tools.prose_sources [ROOT]`` to print every uncovered claim with its file,
cell number and sentence.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ALLOWLIST",
    "SENTENCE_ALLOWLIST",
    "UNIT_ALLOWLIST",
    "UNITS",
    "Finding",
    "course_files",
    "check_course",
    "check_markdown",
    "check_notebook",
    "check_text",
    "format_findings",
    "hide_markers",
    "hide_markers_in_file",
    "leaked_markers",
    "quantitative_claims",
]

# ----------------------------------------------------------------------------- what is a claim
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SIGNED = rf"[−\-+±]?\s?{_NUM}"
_RANGE_SEP = r"\s?(?:–|—|-|to|and|or)\s?"
# a number, optionally a range ("70–160", "20 to 40"), optionally "× 10⁴"-style powers
_QUANTITY = rf"{_SIGNED}(?:{_RANGE_SEP}[−\-+]?{_NUM})?(?:\s?[×x]\s?10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)?"

UNITS: tuple[str, ...] = (
    # concentrations and amounts
    r"ng/m[lL]", r"µg/m[lL]", r"mg/m[lL]", r"µg/L", r"mg/L", r"ng\b", r"µg\b",
    r"µmol/L", r"mmol/L", r"nmol/L", r"µM\b", r"mM\b", r"nM\b", r"pM\b", r"M⁻¹",
    r"mg/kg(?:/h|/min)?", r"mg\b", r"g/mol", r"kg\b", r"mL/min(?:/kg)?", r"m[lL]/kg", r"L/h(?:/70 ?kg)?",
    r"L/kg", r"L/70 ?kg", r"L/min", r"m[lL]\b", r"L\b",
    # time and rate
    r"s⁻¹", r"/s\b", r"ms\b", r"seconds?", r"min\b", r"minutes?", r"hours?",
    r"days?", r"weeks?", r"months?", r"years?", r"Hz\b", r"per second",
    # other physiology
    r"mmHg", r"mV\b", r"mV⁻¹", r"pS\b", r"°C",
    # proportions and multiples
    r"%", r"per ?cent", r"-fold", r"fold\b", r"times\b",
    # people
    r"patients?", r"participants?", r"people", r"persons?", r"volunteers?", r"subjects?",
    r"children", r"adults?", r"men\b", r"women\b", r"inpatients?", r"studies", r"trials?",
    r"samples", r"virtual patients",
)
"""Unit patterns that make a number a quantitative claim (regular expressions)."""

_SHORT_UNITS = (r"s\b", r"h\b", r"y\b")
"""One-letter units (seconds, hours, years of age) count only after a space, so "1960s" is not a claim."""

_UNIT_RE = "|".join(UNITS)
_CLAIM_PATTERNS = [
    # number (or range) followed by a unit
    rf"(?<![\w.])(?P<q>{_QUANTITY})\s?(?:{_UNIT_RE})",
    rf"(?<![\w.]){_QUANTITY}\s(?:{'|'.join(_SHORT_UNITS)})",
    # statistics: p-values, effect sizes, correlation, confidence intervals, odds ratios
    r"\bp\s?[=<>≤]\s?0?\.\d+",
    r"\b(?:d|g|r|OR|RR|HR|SMD|Cohen's d)\s?=\s?[−\-]?\d*\.?\d+",
    r"\b(?:95|90)\s?%\s?CI\b",
    # constants reported with a symbol: pKi 4.38, pKa 7.5, Ki 0.5, IC50 46, n = 12, δ = 0.79
    r"\bp?K[aid]\s?(?:=|of|about|near)?\s?\d+(?:\.\d+)?",
    r"\bIC50\s?(?:=|of|about)?\s?\d+(?:\.\d+)?",
    r"\b[nN]\s?=\s?\d+",
    r"δ\s?=\s?\d*\.\d+",
    # "a factor of 26", "twofold"
    r"\bfactor of (?:about )?\d+(?:\.\d+)?",
]
_CLAIM_RE = re.compile("|".join(f"(?:{p})" for p in _CLAIM_PATTERNS))

# ----------------------------------------------------------------------------- what covers it
_CITE_TOKEN = "\u27e6CITE\u27e7"  # what a citation role becomes after non-prose is stripped
_CITE_RE = re.compile(re.escape(_CITE_TOKEN))
_CITE_ROLE_RE = re.compile(r"\{cite(?::\w+)?\}`[^`]+`")
_COMPUTED_TOKEN = "\u27e6COMPUTED\u27e7"  # what a hidden computed-marker becomes after comments are stripped
_HIDDEN_MARKER_RE = re.compile(r"<!--\s*computed\b.*?-->", re.IGNORECASE | re.DOTALL)
_COMPUTED_RE = re.compile(r"\(\s*computed\b|" + re.escape(_COMPUTED_TOKEN), re.IGNORECASE)

ALLOWLIST: tuple[tuple[str, str], ...] = (
    (r"^[−\-+]?\s?\d+(?:\.\d+)?\s?mV$", "a membrane voltage used as a setting (holding potential, axis value)"),
    (r"^[−\-+]?\d+(?:\.\d+)?\s?(?:to|–|-)\s?[−\-+]?\d+(?:\.\d+)?\s?mV$", "a range of membrane voltages used as a setting"),
    (r"^[01](?:\.0)?\s?mM$", "the extracellular Mg²⁺ setting (0 or 1 mM)"),
    (r"^70\s?kg$", "the typical 70 kg adult used throughout the course"),
    (r"^0\s?%$", "zero per cent"),
    (r"^100\s?%$", "one hundred per cent (a definition: IV bioavailability, complete block)"),
    (r"^1\s?ng/m[lL]$", "a unit identity (1 ng/mL = 1 µg/L)"),
    (r"^1\s?µg/L$", "a unit identity (1 ng/mL = 1 µg/L)"),
)
"""Definitions and settings that need no source: ``(regular expression, reason)`` pairs matched
against the whole claim text."""

_ALLOW_RES = [re.compile(p) for p, _ in ALLOWLIST]

UNIT_ALLOWLIST: tuple[tuple[str, str], ...] = (
    (r"^\*?(?:About|Estimated time:?)\s.*\bminutes?\b", "a study-time estimate for the learner"),
    (r"^\*\*Estimated time:\*\*", "a study-time estimate for the learner"),
    (r"^\|[^|\d]+\|\s*(?:about\s+)?\d{1,3}\s?min(?:utes)?\s*\|$",
     "a row of a chapter's time plan: a section's name and its study time in minutes, nothing else"),
)
"""Whole units of text that need no source (matched at the start of the paragraph or table row): study-time
estimates, including a two-column time-plan row ``| Section name | 10 min |`` whose only number is the minutes."""

_UNIT_ALLOW_RES = [re.compile(p, re.IGNORECASE) for p, _ in UNIT_ALLOWLIST]

SENTENCE_ALLOWLIST: tuple[tuple[str, str], ...] = (
    (r"^(?:\(\d\)\s*|\*\*Try it\.?\*\*\s*)?(?:Then|Now|First|Next|Finally|And)?,?\s*"
     r"(?:set|raise|lower|move|change|compare|try|pick|give|run|start|drag|lengthen|shorten)\b",
     "an instruction to the reader to set a control or a model input (a setting, not a claim)"),
)
"""Sentences that need no source: instructions that tell the reader which value to set."""

_SENTENCE_ALLOW_RES = [re.compile(p, re.IGNORECASE) for p, _ in SENTENCE_ALLOWLIST]


@dataclass(frozen=True)
class Finding:
    """One uncovered quantitative claim."""

    path: str
    cell: int | None
    claim: str
    sentence: str

    def __str__(self) -> str:
        where = f"{self.path}, cell {self.cell}" if self.cell is not None else self.path
        return f"{where}: {self.claim!r} in: {self.sentence}"


# ----------------------------------------------------------------------------- text handling
def _strip_non_prose(text: str) -> str:
    """Blank out code, maths, comments, directive options, URLs and role targets."""
    # exercise statements set up hypothetical cases: their numbers are settings, not claims
    text = re.sub(r"^(:::+|```+)\s*\{exercise\}.*?^\1\s*$", " ", text, flags=re.DOTALL | re.MULTILINE)
    # fenced code and maths go; other fenced directives (```{note}, ```{admonition}) are prose
    text = re.sub(r"^(```+|~~~+)\s*(?:\{(?:code|code-block|code-cell|sourcecode|literalinclude|math|raw)\}[^\n]*|[^{\n]*)\n.*?^\1\s*$",
                  " ", text, flags=re.DOTALL | re.MULTILINE)
    text = _HIDDEN_MARKER_RE.sub(" " + _COMPUTED_TOKEN + " ", text)  # a hidden computed-marker covers its unit
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"(?<![\\$])\$[^$\n]+\$", " ", text)
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if re.match(r"^:[\w-]+:", stripped):  # directive options such as :label: or :class:
            lines.append("")
            continue
        if re.match(r"^(:::|```)\s*\{", stripped):  # directive openings keep their title
            line = re.sub(r"^(:::+|```+)\s*\{[^}]*\}", "", stripped)
        elif re.fullmatch(r"(:::+|```+)", stripped):  # directive closings
            line = ""
        lines.append(line)
    text = "\n".join(lines)
    # keep citation roles (they cover claims) but hide their keys, which contain years
    text = _CITE_ROLE_RE.sub(_CITE_TOKEN, text)
    # other roles: keep the visible text ({term}`NMDA receptor` -> NMDA receptor)
    text = re.sub(r"\{(?!cite)[\w:-]+\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", text)
    text = re.sub(r"`[^`]*`", " ", text)  # inline code
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"doi:\S+", " ", text)
    return text


def _units_of_text(text: str) -> list[str]:
    """Split markdown into paragraphs, list items, table rows and headings."""
    units: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            units.append(" ".join(s.strip() for s in current))
            current.clear()

    for line in text.splitlines():
        s = line.strip()
        if not s or s == ":::":
            flush()
        elif s.startswith("#") or s.startswith("|"):
            flush()
            if not re.fullmatch(r"\|?[\s:|-]+\|?", s):  # skip table separator rows
                units.append(s)
        elif re.match(r"^([-*+]|\d+[.)])\s+", s):
            flush()
            current.append(s)
        else:
            current.append(s)
    flush()
    return units


def _sentence_around(unit: str, start: int, end: int) -> str:
    """The sentence of ``unit`` that contains characters start..end."""
    left = max(unit.rfind(". ", 0, start), unit.rfind("? ", 0, start), unit.rfind("! ", 0, start))
    left = 0 if left < 0 else left + 2
    m = re.search(r"[.?!](\s|$)", unit[end:])
    right = len(unit) if m is None else end + m.start() + 1
    sentence = unit[left:right].strip()
    return sentence if len(sentence) <= 300 else sentence[:297] + "..."


def _clause_around(unit: str, start: int) -> str:
    """The clause that contains ``start``: from the last sentence end, ';', ':' or "(n)" before it."""
    best = -1
    for m in re.finditer(r"(?:[.?!;:]\s)|(?:\(\d\)\s)", unit[:start]):
        best = m.end() if not m.group(0).startswith("(") else m.start()
    return unit[max(best, 0):].strip()


def _allowed(claim: str) -> bool:
    c = " ".join(claim.split())
    return any(r.match(c) for r in _ALLOW_RES)


def quantitative_claims(text: str) -> list[tuple[str, str]]:
    """All quantitative claims in ``text`` as ``(claim, sentence)`` pairs, covered or not."""
    out = []
    for unit in _units_of_text(_strip_non_prose(text)):
        for m in _CLAIM_RE.finditer(unit):
            out.append((m.group(0).strip(), _sentence_around(unit, m.start(), m.end())))
    return out


def check_text(text: str) -> list[tuple[str, str]]:
    """Uncovered quantitative claims in markdown ``text``: ``(claim, sentence)`` pairs."""
    out = []
    for unit in _units_of_text(_strip_non_prose(text)):
        if _CITE_RE.search(unit) or _COMPUTED_RE.search(unit) or any(r.match(unit) for r in _UNIT_ALLOW_RES):
            continue
        for m in _CLAIM_RE.finditer(unit):
            claim = m.group(0).strip()
            sentence = _sentence_around(unit, m.start(), m.end())
            clause = _clause_around(unit, m.start())
            if not _allowed(claim) and not any(r.match(sentence) or r.match(clause) for r in _SENTENCE_ALLOW_RES):
                out.append((claim, sentence))
    return out



# ----------------------------------------------------------------------------- hidden markers
_VISIBLE_MARKER_START = re.compile(r"\(\s*computed\b", re.IGNORECASE)


def _visible_markers(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every visible "(computed ...)" parenthesis, nested brackets balanced."""
    spans = []
    for m in _VISIBLE_MARKER_START.finditer(text):
        depth = 0
        for j in range(m.start(), len(text)):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                spans.append((m.start(), j + 1))
                break
    return spans


def _is_pointer(body: str) -> bool:
    """A marker that only says where the number was computed ("computed above", "computed by the
    widget", "computed: table above"), with no content of its own a learner would miss."""
    return not re.search(r"[\d$=×/]|\b(?:about|check|read|assumption)\b", body, re.IGNORECASE)


def hide_markers(text: str) -> tuple[str, list[str]]:
    """Markdown ``text`` with each visible pointer marker "(computed above)" turned into the hidden
    marker ``<!-- computed above -->``, attached to the word before it (so the comment never starts a
    line, where CommonMark would read it as an HTML block). Returns the new text and the markers
    left visible because they carry content (numbers, an equation, an instruction): reword those by
    hand, keeping the content visible and adding a hidden marker."""
    out, kept, last = [], [], 0
    for start, end in _visible_markers(text):
        body = " ".join(text[start + 1:end - 1].split())
        if not _is_pointer(body) or "--" in body:
            kept.append(text[start:end])
            continue
        before = text[last:start].rstrip()
        if not before.strip() or "\n\n" in text[last:start][len(before):]:
            kept.append(text[start:end])  # it starts a paragraph: a comment there would be an HTML block
            continue
        out += [before, f"<!-- {body[0].lower()}{body[1:]} -->"]
        last = end
    out.append(text[last:])
    return "".join(out), kept


def hide_markers_in_file(path: Path | str) -> list[str]:
    """Apply :func:`hide_markers` to every markdown cell of a notebook (sources only, ids and
    outputs untouched) or to a markdown page; returns the markers left visible."""
    path = Path(path)
    kept: list[str] = []
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(path, as_version=4)
        changed = False
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                new, k = hide_markers(cell.source)
                kept += k
                if new != cell.source:
                    cell.source, changed = new, True
        if changed:
            nbformat.write(nb, path)
    else:
        text = path.read_text(encoding="utf-8")
        new, kept = hide_markers(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
    return kept


def leaked_markers(text: str) -> list[str]:
    """Visible "(computed ..." markers in markdown ``text`` as a learner sees it (HTML comments,
    which no renderer shows, removed), each as its first 80 characters."""
    visible = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    return [" ".join(visible[m.start():m.start() + 80].split()) for m in _VISIBLE_MARKER_START.finditer(visible)]


# ----------------------------------------------------------------------------- files
def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _gated_cells(cells: list[dict], name: str, *, need_code: bool) -> set[int]:
    """Markdown cells inside a ``{name-start}`` ... ``{name-end}`` group (sphinx-exercise gated
    directives), optionally only groups that contain a code cell."""
    covered: set[int] = set()
    start = None
    for i, cell in enumerate(cells):
        text = _source(cell)
        if cell.get("cell_type") == "markdown" and "{" + name + "-start}" in text:
            start = i
        if start is not None and cell.get("cell_type") == "markdown" and "{" + name + "-end}" in text:
            group = range(start, i + 1)
            if not need_code or any(cells[j].get("cell_type") == "code" for j in group):
                covered |= {j for j in group if cells[j].get("cell_type") == "markdown"}
            start = None
    return covered


def _computed_solution_cells(cells: list[dict]) -> set[int]:
    """Markdown cells that need no source: prose inside a ``{solution-start}`` ... ``{solution-end}``
    group with a code cell (it explains the answer that code computes; the code is the marker), and
    the statement of a gated ``{exercise-start}`` ... ``{exercise-end}`` exercise (its numbers set up
    a hypothetical case)."""
    return _gated_cells(cells, "solution", need_code=True) | _gated_cells(cells, "exercise", need_code=False)


def check_notebook(path: Path | str, root: Path | str | None = None) -> list[Finding]:
    """Uncovered claims in every markdown cell of a notebook (cells numbered from 0, as in
    ``nbformat`` and the course's tests)."""
    path = Path(path)
    name = str(path.relative_to(root)) if root is not None else str(path)
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    computed = _computed_solution_cells(cells)
    findings = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "markdown" or i in computed:
            continue
        findings += [Finding(name, i, c, s) for c, s in check_text(_source(cell))]
    return findings


def check_markdown(path: Path | str, root: Path | str | None = None) -> list[Finding]:
    """Uncovered claims in a markdown page (``cell`` is None)."""
    path = Path(path)
    name = str(path.relative_to(root)) if root is not None else str(path)
    text = path.read_text(encoding="utf-8")
    from .sphinx_course import BLOCK, parse_summaries

    # the landing page's chapter summaries sit in a fenced block the build turns into a list: check them as prose
    text = BLOCK.sub(lambda m: "\n\n".join(f"- {s}" for s in parse_summaries(m.group("body")).values()), text)
    return [Finding(name, None, c, s) for c, s in check_text(text)]


def _toc_files(root: Path) -> list[Path]:
    from .course import pages

    if not (root / "_toc.yml").exists():
        return []
    return [p.path for p in pages(root) if p.path.exists()]


def course_files(root: Path | str) -> list[Path]:
    """Every page listed in ``_toc.yml`` plus every ``chapters/NN-*.ipynb`` (sorted, no repeats)."""
    root = Path(root)
    files = set(_toc_files(root))
    files |= {p for p in (root / "chapters").glob("[0-9][0-9]-*.ipynb")}
    return sorted(files)


def check_course(root: Path | str) -> list[Finding]:
    """Uncovered claims in every course page and chapter notebook under ``root``."""
    root = Path(root)
    findings: list[Finding] = []
    for f in course_files(root):
        findings += check_notebook(f, root) if f.suffix == ".ipynb" else check_markdown(f, root)
    return findings


def format_findings(findings: list[Finding]) -> str:
    """A report for people: one block per file, one line per claim, and how to fix it."""
    if not findings:
        return "No uncovered quantitative claims."
    lines = [f"{len(findings)} quantitative claim(s) without a source in the same paragraph or list item:"]
    last = None
    for f in findings:
        if f.path != last:
            lines.append(f"\n{f.path}")
            last = f.path
        cell = f"  cell {f.cell:>3}: " if f.cell is not None else "  "
        lines.append(f"{cell}{f.claim!r}  <-  {f.sentence}")
    lines.append(
        "\nFix each by adding a {cite:p}`key` (a key in chapters/references.bib) to the same paragraph or "
        "list item, or a hidden marker '<!-- computed ... -->' naming the cell or widget that produced the number, "
        "or, for a definition or setting, see the allowlist in docs/prose-sources.md."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the report for a course root (default: the current directory); exit 1 if any claim is uncovered.

    ``--hide-markers`` first turns every visible pointer marker "(computed above)" in the course's
    pages and chapters into a hidden one (``<!-- computed above -->``) and lists the markers that
    carry content and must be reworded by hand."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--hide-markers" in args:
        args.remove("--hide-markers")
        root = Path(args[0]) if args else Path.cwd()
        for f in course_files(root):
            for marker in hide_markers_in_file(f):
                print(f"{f.relative_to(root)}: reword by hand: {' '.join(marker.split())}")
    findings = check_course(Path(args[0]) if args else Path.cwd())
    print(format_findings(findings))
    return 1 if findings else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
