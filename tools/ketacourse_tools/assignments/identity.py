"""Who a submission belongs to: the file names of LMS bulk downloads, and a class roster.

Bulk-download file names (as each LMS writes them):

- Canvas ("Download Submissions"): ``doejane_12345_6789012_02-pharmacokinetics.ipynb``, late ones
  ``doejane_LATE_12345_6789012_...`` (name, Canvas user ID, submission ID, the student's file
  name; a resubmission's file name may end ``-1``, ``-2``);
- Moodle (assignment "Download all submissions", flat): ``Jane Doe_81234_assignsubmission_file_02-...ipynb``
  (full name, participant ID, plugin, file); in folders: ``Jane Doe_81234_assignsubmission_file_/02-...ipynb``;
- Blackboard (Grade Center "Assignment File Download"): ``Chapter 2_jdoe_attempt_2026-12-01-10-30-00_02-...ipynb``
  and one ``..._attempt_<timestamp>.txt`` receipt per attempt (username, attempt time);
- anything else: the file name without its extension is the student's ID (or e-mail).

A roster (CSV) maps these to students: any of the columns ``ID``/``Student ID``/``SIS User ID``/
``Username``/``Email address``/``Identifier`` and a name column (``Student``, ``Full name``,
``First name`` + ``Surname``/``Last name``); the LMS gradebook export is a roster as it is.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["Identity", "parse", "read_roster", "match", "days_late"]

_CANVAS = re.compile(r"^(?P<name>[a-z0-9]+)_(?:(?P<late>LATE)_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>[^/_][^/]*?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_/?(?P<file>.*)$")
_BLACKBOARD = re.compile(r"^(?P<assignment>[^/]+?)_(?P<user>[^_/]+)_attempt_"
                         r"(?P<ts>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<file>.+))?$")


@dataclass(frozen=True)
class Identity:
    key: str  # the student's key in grades.csv
    name: str = ""
    lms_id: str = ""  # Canvas user ID, Moodle participant ID, Blackboard username
    lms: str = ""
    late: bool = False
    submitted: str = ""  # ISO time, when the file name says
    receipt: bool = False  # an LMS receipt, not a submission


def parse(relative_name: str) -> Identity:
    """The identity a bulk-download file name gives (see the module docstring)."""
    name = relative_name
    m = _CANVAS.match(Path(name).name)
    if m and "/" not in name:
        return Identity(key=m["id"], name=m["name"], lms_id=m["id"], lms="canvas", late=bool(m["late"]))
    m = _MOODLE.match(name)
    if m:
        return Identity(key=f"Participant {m['id']}", name=m["name"], lms_id=m["id"], lms="moodle")
    m = _BLACKBOARD.match(Path(name).stem if name.endswith(".txt") else name)
    if m:
        when = datetime.strptime(m["ts"], "%Y-%m-%d-%H-%M-%S").isoformat()
        receipt = name.endswith(".txt") and not m["file"]
        return Identity(key=m["user"], lms_id=m["user"], lms="blackboard", submitted=when, receipt=receipt)
    stem = Path(name).name
    stem = stem[: -len(Path(stem).suffix)] if Path(stem).suffix else stem
    return Identity(key=stem, lms_id="")


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    lms_id: str
    ids: frozenset


_ID_COLUMNS = ("id", "student id", "sis user id", "sis login id", "username", "user name", "email", "email address",
               "e-mail", "identifier", "id number", "student")
_NAME_COLUMNS = ("student", "student name", "full name", "name")


def read_roster(path: Path) -> list[Person]:
    """The students of a roster CSV (an LMS gradebook export works as it is).

    Raises
    ------
    ValueError
        If the file has no ID column.
    """
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise ValueError(f"roster must hold a header and one row per student; {path} is empty")
    header = [h.strip().lower() for h in rows[0]]
    if not any(h in _ID_COLUMNS for h in header):
        # a plain list of IDs, one a line
        return [Person(r[0].strip(), "", "", frozenset({r[0].strip().lower()})) for r in rows if r and r[0].strip()]
    people = []
    for r in rows[1:]:
        rec = {h: (r[i].strip() if i < len(r) else "") for i, h in enumerate(header)}
        if not any(rec.values()) or rec.get("student", "").lower().startswith("points possible"):
            continue
        name = next((rec[h] for h in _NAME_COLUMNS if rec.get(h)), "")
        if not name and (rec.get("first name") or rec.get("last name") or rec.get("surname")):
            name = f"{rec.get('first name', '')} {rec.get('last name', rec.get('surname', ''))}".strip()
        ids = {v.lower() for h, v in rec.items() if h in _ID_COLUMNS and v}
        ids |= {re.sub(r"^participant\s+", "", v.lower()) for v in ids}
        key = next((rec[h] for h in ("id", "student id", "sis user id", "username", "identifier", "email address",
                                     "email", "id number") if rec.get(h)), name)
        people.append(Person(key, name, rec.get("id", "") or rec.get("username", ""), frozenset(ids)))
    return people


def match(who: Identity, people: list[Person]) -> Person | None:
    """The roster entry of ``who`` (by LMS ID, username, e-mail or file stem), or None."""
    wanted = {who.key.lower(), who.lms_id.lower(), re.sub(r"^participant\s+", "", who.key.lower())} - {""}
    hits = [p for p in people if p.ids & wanted]
    if len(hits) == 1:
        return hits[0]
    if not hits and who.name:
        compact = re.sub(r"[^a-z]", "", who.name.lower())
        by_name = [p for p in people if re.sub(r"[^a-z]", "", p.name.lower()) in (compact,)
                   or "".join(sorted(re.sub(r"[^a-z ]", "", p.name.lower()).split())) == compact]
        if len(by_name) == 1:
            return by_name[0]
    return None


def days_late(submitted: str, due: str) -> float:
    """Days (fractional) between ``due`` and ``submitted`` (ISO times; 0 if on time or unknown)."""
    if not submitted or not due:
        return 0.0

    def parse_time(text: str) -> datetime:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)

    return max(0.0, (parse_time(submitted) - parse_time(due)).total_seconds() / 86400)
