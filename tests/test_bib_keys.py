"""Bibliography keys read as author + year wherever they are shown (issue 23).

In JupyterLab, jupyterlab-myst cannot read ``chapters/references.bib``: a ``{cite:p}`key``` role
shows its key, and ``scripts/lab-custom/custom.css`` makes an author + year key read as
"(Domino1965)". So every key must have that shape, and it must be derived from the entry itself,
never invented.

The shape, ``KEY_SHAPE`` in ``scripts/rename_bib_keys.py``::

    ^(?P<name>[a-z]+)(?P<year>[0-9]{4}|nd)(?P<suffix>[a-z]?)$

``name``: the first author's family name (letters only, lower case: ``perezruixo``), or for an
organisation a part of its name or its acronym (``janssen``, ``fda``, ``nimh``); for an entry with no
author, the organisation its ``howpublished``/``organization``/``publisher`` field names
(``clinicaltrials``). ``year``: the entry's own ``year`` field; ``nd`` ("no date") only for an entry
that has none. ``suffix``: one letter telling apart entries with the same name and year.

Old keys are renamed by ``scripts/rename_bib_keys.py`` (idempotent; re-run it after merging a branch
that still cites an old key).
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from pathlib import Path

import nbformat
import pytest
from pybtex.database import parse_file

from ketacourse_tools.course import chapters

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "chapters" / "references.bib"

_spec = importlib.util.spec_from_file_location("rename_bib_keys", ROOT / "scripts" / "rename_bib_keys.py")
rbk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rbk)
KEY_SHAPE = rbk.KEY_SHAPE
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]*)`")


@pytest.fixture(scope="module")
def bib():
    return parse_file(str(BIB), bib_format="bibtex")


_TEX_LETTERS = {"l": "l", "L": "L", "o": "o", "O": "O", "aa": "a", "AA": "A", "ae": "ae", "AE": "AE",
                "oe": "oe", "OE": "OE", "ss": "ss", "i": "i", "j": "j"}


def _letters(text: str) -> str:
    """Lower-case ASCII letters of ``text``, TeX accents and braces dropped (``Ren{\\'e}`` -> ``rene``,
    ``Sa{\\l}at`` -> ``salat``)."""
    text = re.sub(r"\\([a-zA-Z]+)\s*", lambda m: _TEX_LETTERS.get(m.group(1), ""), text)
    text = re.sub(r"\\[^a-zA-Z]", "", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


def _acronym(text: str) -> str:
    """Initials of the capitalised words: ``U.S. Food and Drug Administration`` -> ``usfda``."""
    words = re.findall(r"[A-Za-z]+", text.replace("{", "").replace("}", ""))
    return "".join(w[0] for w in words if w[0].isupper()).lower()


def _name_sources(entry) -> list[str]:
    """What a key's name part may be taken from: the first author, else the publishing organisation."""
    authors = entry.persons.get("author", [])
    if authors:
        first = authors[0]
        family = " ".join(first.prelast_names + first.last_names)
        whole = str(first)
        return [_letters(family), _letters(whole), _acronym(whole)]
    fields = [entry.fields.get(f, "") for f in ("organization", "institution", "publisher", "howpublished")]
    return [s for f in fields if f for s in (_letters(f), _acronym(f))]


def test_key_shape_documented_examples():
    for good in ("domino1965", "murrough2013b", "janssen2025", "parnd", "clinicaltrials2023a"):
        assert KEY_SHAPE.fullmatch(good), good
    for bad in ("some_label", "smith2009trapping", "nct01234567", "crisis_911", "Domino1965", "smith21"):
        assert not KEY_SHAPE.fullmatch(bad), bad


def test_every_bib_key_is_author_year_taken_from_its_own_entry(bib):
    wrong = []
    for key, entry in bib.entries.items():
        m = KEY_SHAPE.fullmatch(key)
        if not m:
            wrong.append(f"{key}: not author+year shaped")
            continue
        year = entry.fields.get("year", "").strip()
        if m["year"] != (year if year else "nd"):
            wrong.append(f"{key}: year part {m['year']!r}, but the entry's year is {year or '(none)'!r}")
        sources = _name_sources(entry)
        if not any(m["name"] in s for s in sources if s):
            wrong.append(f"{key}: name {m['name']!r} is not the first author's or organisation's ({sources})")
    assert not wrong, "\n".join(wrong)


def test_letter_suffixes_follow_an_entry_without_or_with_the_previous_letter(bib):
    keys = set(bib.entries.keys())
    for key in keys:
        m = KEY_SHAPE.fullmatch(key)
        if m and m["suffix"] and m["suffix"] != "a":
            base = key[:-1]
            prev = base + chr(ord(m["suffix"]) - 1)
            assert base in keys or prev in keys, f"{key}: no {base} or {prev} it is told apart from"


def _chapter_sources() -> list[tuple[str, str]]:
    """Every chapter of _toc.yml (its markdown and code cells) and every Markdown page of chapters/."""
    out = []
    for ch in chapters(ROOT):
        nb = nbformat.read(ch.path, as_version=4)
        out.append((ch.path.name, "\n".join(c.source for c in nb.cells)))
    for path in sorted((ROOT / "chapters").rglob("*.md")):
        out.append((path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")))
    return out


def test_every_key_cited_in_a_chapter_is_author_year_and_in_the_bib(bib):
    keys = set(bib.entries.keys())
    cited, wrong = 0, []
    for name, text in _chapter_sources():
        for group in CITE.findall(text):
            for key in (k.strip() for k in re.split(r"[,;]", group)):
                if not key or key == "...":
                    continue
                cited += 1
                if not KEY_SHAPE.fullmatch(key):
                    wrong.append(f"{name}: {key} is not author+year (run scripts/rename_bib_keys.py)")
                elif key not in keys:
                    wrong.append(f"{name}: {key} is not in chapters/references.bib")
    assert cited > 500, f"only {cited} citations found"
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------------------------ the rename script itself
def _old(new: str) -> str:
    return next(o for o, n in rbk.MAPPING.items() if n == new)


def test_mapping_targets_are_author_year_and_distinct():
    targets = list(rbk.MAPPING.values())
    assert len(set(targets)) == len(targets), "two old keys renamed to one"
    assert all(KEY_SHAPE.fullmatch(t) for t in targets)
    assert not set(rbk.MAPPING) & set(targets), "a new key is also an old key: the rename would not be idempotent"
    assert not any(KEY_SHAPE.fullmatch(o) and o in targets for o in rbk.MAPPING)


def test_rename_replaces_whole_keys_only_and_is_idempotent():
    frank, label, tiva, nimh = _old("frank2026"), _old("janssen2025"), _old("selby2023"), _old("nimh2024")
    text = (f"{{cite:p}}`{label}, domino1965` and {{cite:t}}`{tiva}`\n"
            f"@misc{{{frank},\n  howpublished = {{{frank}.com}},\n}}\n"
            f'source = "{label}, {nimh}"\n[monitoring.{label}]\n'
            f"def test_{label}_tmax(): pass\n"
            f'Row(1, 2, "{tiva}", unit="x"); label="{tiva}"; import {tiva}; {tiva} 1.1.2 ({tiva})\n'
            f"https://clinicaltrials.gov/study/{nimh}\n")
    once = rbk.rename(text)
    assert once == ("{cite:p}`janssen2025, domino1965` and {cite:t}`selby2023`\n"
                    f"@misc{{frank2026,\n  howpublished = {{{frank}.com}},\n}}\n"
                    'source = "janssen2025, nimh2024"\n[monitoring.janssen2025]\n'
                    f"def test_{label}_tmax(): pass\n"
                    f'Row(1, 2, "selby2023", unit="x"); label="{tiva}"; import {tiva}; {tiva} 1.1.2 (selby2023)\n'
                    f"https://clinicaltrials.gov/study/{nimh}\n")
    assert rbk.rename(once) == once


def test_no_tracked_file_uses_an_old_key():
    """The rename has been applied everywhere (after a merge: run scripts/rename_bib_keys.py)."""
    stale = [p.relative_to(ROOT).as_posix() for p in rbk.tracked_files(ROOT)
             if rbk.rename(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]
    assert not stale, f"run `python scripts/rename_bib_keys.py`: old keys in {stale}"
