"""Currency of time-sensitive statements: when each was last checked, and what is due again.

Every statement in a chapter that can go out of date (a regulatory status, a label figure, a
development stage, "no trial has ...", "an ongoing trial ...") is one entry in the chapter's
table ``data/currency/<notebook stem>.toml``::

    [[fact]]
    id = "esketamine-us-monotherapy"     # unique in the file, kebab-case
    statement = "FDA approved Spravato as monotherapy for TRD in adults"
    status = "approved 2025-01-21"        # the time-sensitive value as the chapter states it
    source = "janssen2025"            # bibtex key(s) in chapters/references.bib, comma-separated
    checked = 2026-12-07                 # TOML date (unquoted) the statement was last verified

:func:`evidence_checked` gives a chapter its "Evidence checked up to MONTH YEAR" line, from the
*oldest* check date among the chapter's entries (every statement was checked at least then).
:func:`stale_facts` lists entries older than twelve months; ``python -m ketacourse.currency
--stale`` prints them for a maintainer before a new term, and :func:`check_facts` is the build's
check (no missing, malformed or future date, no unknown bibliography key).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

__all__ = [
    "Fact",
    "EvidenceChecked",
    "FIELDS",
    "currency_folder",
    "chapter_stems",
    "load_file",
    "load_facts",
    "chapter_facts",
    "evidence_checked",
    "stale_facts",
    "bib_keys_in",
    "check_facts",
    "main",
]

#: Required fields of every ``[[fact]]`` entry and what each holds.
FIELDS = {
    "id": "unique kebab-case name of the statement within its chapter",
    "statement": "the time-sensitive statement as the chapter makes it",
    "status": "the time-sensitive value (for example 'approved 2025-01-21')",
    "source": "bibtex key(s) in chapters/references.bib, comma-separated",
    "checked": "TOML date (unquoted YYYY-MM-DD) on which the statement was last verified",
}
STALE_AFTER_MONTHS = 12

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY = re.compile(r"^[A-Za-z0-9_:.\-+/]+$")
_CHECKED_LINE = re.compile(r"^\s*checked\s*=\s*(.*?)\s*(?:#.*)?$")
_ID_LINE = re.compile(r"^\s*id\s*=\s*\"([^\"]*)\"")
_TOML_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


@dataclass(frozen=True)
class Fact:
    """One dated, time-sensitive statement of a chapter."""

    chapter: str
    id: str
    statement: str
    status: str
    source: tuple[str, ...]
    checked: dt.date
    file: str

    def age_months(self, as_of: dt.date) -> int:
        """Whole months from ``checked`` to ``as_of``."""
        months = (as_of.year - self.checked.year) * 12 + as_of.month - self.checked.month
        return months - (as_of.day < self.checked.day)


def currency_folder() -> Path:
    """The folder of the packaged currency tables."""
    return Path(str(resources.files("ketacourse.data").joinpath("currency")))


def _files(folder: Path | str | None) -> list[Path]:
    folder = currency_folder() if folder is None else Path(folder)
    return sorted(folder.glob("*.toml"))


def chapter_stems(folder: Path | str | None = None) -> list[str]:
    """Notebook stems that have a currency table (for example ``"01-nmda-receptor"``)."""
    return [p.stem for p in _files(folder)]


def _scan_checked_lines(path: Path, text: str) -> None:
    """Name the entry and field of a ``checked`` value TOML would reject or misread."""
    current_id = "(before the first id)"
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _ID_LINE.match(line)
        if m:
            current_id = m.group(1)
            continue
        m = _CHECKED_LINE.match(line)
        if not m:
            continue
        value = m.group(1)
        if not _TOML_DATE.match(value):
            raise ValueError(
                f"{path.name}: fact {current_id!r} field 'checked' (line {lineno}) must be an "
                f"unquoted date YYYY-MM-DD; got {value!r}"
            )
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(
                f"{path.name}: fact {current_id!r} field 'checked' (line {lineno}) is not a real "
                f"date: {value!r} ({exc})"
            ) from None


def _fact_from(path: Path, index: int, raw: Any, seen: set[str]) -> Fact:
    where = f"{path.name}: fact #{index + 1}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a table ([[fact]]); got {type(raw).__name__}")
    fid = raw.get("id")
    if not isinstance(fid, str) or not _ID.match(fid):
        raise ValueError(f"{where} field 'id' must be a kebab-case string; got {fid!r}")
    where = f"{path.name}: fact {fid!r}"
    if fid in seen:
        raise ValueError(f"{where} field 'id' is used twice in the file")
    seen.add(fid)
    unknown = sorted(set(raw) - set(FIELDS) - {"note"})
    if unknown:
        raise ValueError(
            f"{where} has unknown field(s) {unknown}; allowed: {', '.join(FIELDS)}, note"
        )
    for field in ("statement", "status", "source"):
        value = raw.get(field)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where} field {field!r} must be a non-empty string; got {value!r}")
    keys = tuple(k.strip() for k in raw["source"].split(","))
    bad = [k for k in keys if not _KEY.match(k)]
    if bad:
        raise ValueError(f"{where} field 'source' has malformed bibtex key(s) {bad}")
    checked = raw.get("checked")
    if checked is None:
        raise ValueError(f"{where} field 'checked' is missing: {FIELDS['checked']}")
    if isinstance(checked, dt.datetime) or not isinstance(checked, dt.date):
        raise ValueError(
            f"{where} field 'checked' must be a TOML date without time (unquoted YYYY-MM-DD); "
            f"got {checked!r}"
        )
    return Fact(path.stem, fid, raw["statement"].strip(), raw["status"].strip(), keys, checked,
                path.name)


def load_file(path: Path | str) -> list[Fact]:
    """Read and validate one currency table.

    Raises
    ------
    ValueError
        Naming the file, the fact's id and the field, for a missing, empty or malformed field,
        a duplicate id, an unknown field, or a file that is not valid TOML.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    _scan_checked_lines(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path.name}: not valid TOML ({exc})") from None
    extra = sorted(set(data) - {"fact"})
    if extra:
        raise ValueError(f"{path.name}: only [[fact]] tables are allowed; found {extra}")
    raw = data.get("fact", [])
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path.name}: needs at least one [[fact]] entry")
    seen: set[str] = set()
    return [_fact_from(path, i, entry, seen) for i, entry in enumerate(raw)]


def load_facts(folder: Path | str | None = None) -> list[Fact]:
    """All facts of all chapters (packaged tables, or the ``*.toml`` files of ``folder``)."""
    return [fact for path in _files(folder) for fact in load_file(path)]


def chapter_facts(chapter_stem: str, folder: Path | str | None = None) -> list[Fact]:
    """The facts of one chapter, by notebook stem (for example ``"02-pharmacokinetics"``).

    Raises
    ------
    ValueError
        If ``chapter_stem`` has no currency table.
    """
    stems = chapter_stems(folder)
    if chapter_stem not in stems:
        raise ValueError(
            f"chapter_stem must be one of {', '.join(map(repr, stems)) or '(none)'}; "
            f"got {chapter_stem!r}"
        )
    base = currency_folder() if folder is None else Path(folder)
    return load_file(base / f"{chapter_stem}.toml")


def _month_year(day: dt.date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.year}"


class EvidenceChecked:
    """A chapter's "Evidence checked up to MONTH YEAR" line, with its dated statements."""

    def __init__(self, chapter_stem: str, facts: Iterable[Fact]):
        self.chapter = chapter_stem
        self.facts = sorted(facts, key=lambda f: (f.checked, f.id))
        if not self.facts:
            raise ValueError(f"chapter_stem {chapter_stem!r} has no dated statements")
        #: Oldest check date: every statement was verified on or after it.
        self.checked = self.facts[0].checked
        self.newest = self.facts[-1].checked

    @property
    def headline(self) -> str:
        return f"Evidence checked up to {_month_year(self.checked)}"

    @property
    def note(self) -> str:
        n = len(self.facts)
        span = (
            f"all checked in {_month_year(self.checked)}"
            if (self.checked.year, self.checked.month) == (self.newest.year, self.newest.month)
            else f"the oldest check; the newest is {_month_year(self.newest)}"
        )
        return (
            f"This is when the least recently verified of the chapter's {n} time-sensitive "
            f"statement{'s' if n != 1 else ''} (approvals, label figures, trial status) was "
            f"checked ({span})."
        )

    def _repr_html_(self) -> str:
        items = "".join(
            f"<li>{html.escape(f.statement)}: <em>{html.escape(f.status)}</em> "
            f"(checked {f.checked.isoformat()}; source: {html.escape(', '.join(f.source))})</li>"
            for f in self.facts
        )
        return (
            '<div role="note" class="ketacourse-currency" style="border-left:4px solid #0072B2;'
            'padding:0.4em 1em;margin:0.5em 0;background:rgba(0,114,178,0.07)">'
            f"<strong>{html.escape(self.headline)}.</strong> {html.escape(self.note)}"
            f"<details><summary>The {len(self.facts)} dated statements and when each was "
            f"checked</summary><ul>{items}</ul></details></div>"
        )

    def __repr__(self) -> str:
        return (
            f"{self.headline}. {self.note} List: python -m ketacourse.currency --list "
            f"{self.chapter}"
        )


def evidence_checked(chapter_stem: str, folder: Path | str | None = None) -> EvidenceChecked:
    """The displayable "Evidence checked up to MONTH YEAR" line of a chapter.

    Show it as the last line of a cell (tag the cell ``remove-input``)::

        from ketacourse.currency import evidence_checked
        evidence_checked("01-nmda-receptor")
    """
    return EvidenceChecked(chapter_stem, chapter_facts(chapter_stem, folder))


def _minus_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def stale_facts(
    as_of: dt.date | None = None,
    months: int = STALE_AFTER_MONTHS,
    facts: Iterable[Fact] | None = None,
) -> list[Fact]:
    """Facts last checked more than ``months`` months before ``as_of`` (default: today), oldest first."""
    as_of = dt.date.today() if as_of is None else as_of
    if months < 0:
        raise ValueError(f"months must be >= 0; got {months}")
    cutoff = _minus_months(as_of, months)
    facts = load_facts() if facts is None else list(facts)
    return sorted((f for f in facts if f.checked < cutoff), key=lambda f: (f.checked, f.chapter, f.id))


def bib_keys_in(bib_path: Path | str) -> set[str]:
    """The entry keys of a bibtex file (read with a pattern; no bibtex parser needed)."""
    text = Path(bib_path).read_text(encoding="utf-8")
    return set(re.findall(r"^\s*@\s*\w+\s*\{\s*([^,\s]+)\s*,", text, flags=re.MULTILINE))


def check_facts(
    facts: Iterable[Fact], bib_keys: set[str] | None = None, today: dt.date | None = None
) -> list[str]:
    """Problems that must fail the build: future check dates and unknown bibliography keys.

    (Missing and malformed fields already fail in :func:`load_file`.) Returns one message per
    problem, naming the file, the fact and the field; an empty list means the facts pass.
    """
    today = dt.date.today() if today is None else today
    lower = None if bib_keys is None else {k.lower() for k in bib_keys}
    problems = []
    for f in facts:
        where = f"{f.file}: fact {f.id!r}"
        if f.checked > today:
            problems.append(f"{where} field 'checked' is in the future ({f.checked} > {today})")
        if lower is not None:
            unknown = [k for k in f.source if k.lower() not in lower]
            if unknown:
                problems.append(f"{where} field 'source' has unknown bibtex key(s) {unknown}")
    return problems


def _default_bib() -> Path | None:
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        candidate = base / "chapters" / "references.bib"
        if candidate.is_file():
            return candidate
    return None


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m ketacourse.currency [--stale] [--list STEM] [--as-of DATE]``."""
    parser = argparse.ArgumentParser(
        prog="python -m ketacourse.currency",
        description="Check the course's dated statements and list those due for re-verification.",
    )
    parser.add_argument("--stale", action="store_true",
                        help=f"list statements last checked more than {STALE_AFTER_MONTHS} months ago")
    parser.add_argument("--list", metavar="CHAPTER_STEM", help="list one chapter's dated statements")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                        help="date to measure staleness from (YYYY-MM-DD; default today), "
                             "e.g. the first day of next term")
    parser.add_argument("--months", type=int, default=STALE_AFTER_MONTHS)
    parser.add_argument("--bib", type=Path, default=None, help="bibliography to check keys against")
    args = parser.parse_args(argv)
    as_of = args.as_of or dt.date.today()

    facts = load_facts()
    bib = args.bib or _default_bib()
    problems = check_facts(facts, bib_keys_in(bib) if bib else None, today=dt.date.today())
    for p in problems:
        print(f"ERROR {p}")

    if args.list:
        shown = evidence_checked(args.list)
        print(shown)
        for f in shown.facts:
            print(f"  {f.checked}  {f.id}: {f.statement} [{f.status}] ({', '.join(f.source)})")
    if args.stale or not args.list:
        stale = stale_facts(as_of, args.months, facts)
        print(f"{len(stale)} of {len(facts)} dated statements were last checked more than "
              f"{args.months} months before {as_of}:")
        for f in stale:
            print(f"  {f.checked}  {f.chapter}  {f.id}: {f.statement} [{f.status}] "
                  f"({', '.join(f.source)})")
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
