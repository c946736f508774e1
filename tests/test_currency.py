"""Currency is something the build checks (issue 19 §3).

Every chapter's time-sensitive statements (``src/ketacourse/data/currency/*.toml``) must carry a
check date that is a real date, not in the future, and sources that are in the bibliography.
Entries older than twelve months are listed (a warning, not a failure) so a maintainer knows what
to re-verify before a new term: ``python -m ketacourse.currency --stale``.
"""

from __future__ import annotations

import datetime as dt
import textwrap
import warnings
from pathlib import Path

import pytest

from ketacourse import currency
from ketacourse.currency import (
    bib_keys_in,
    check_facts,
    evidence_checked,
    load_facts,
    load_file,
    stale_facts,
)

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "chapters" / "references.bib"
FOLDER = ROOT / "src" / "ketacourse" / "data" / "currency"
TODAY = dt.date.today()


def _write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GOOD = """\
    [[fact]]
    id = "alpha-approval"
    statement = "Drug A is approved for B"
    status = "approved 2019-03-05"
    source = "janssen2025"
    checked = 2026-11-02

    [[fact]]
    id = "beta-trial"
    statement = "No trial has tested C"
    status = "none found"
    source = "janssen2025, janssen2025"
    checked = 2025-06-15
"""


# --- the real tables ------------------------------------------------------------------------


def test_packaged_folder_is_the_source_folder():
    assert currency.currency_folder().resolve() == FOLDER.resolve()


def test_every_real_entry_is_dated_sourced_and_not_in_the_future():
    facts = load_facts()  # raises on a missing or malformed field
    problems = check_facts(facts, bib_keys_in(BIB), today=TODAY)
    assert not problems, "\n".join(problems)


def test_every_currency_table_belongs_to_a_chapter_notebook():
    notebooks = {p.stem for p in (ROOT / "chapters").glob("*.ipynb")}
    for stem in currency.chapter_stems():
        assert stem in notebooks, f"{stem}.toml does not name a notebook in chapters/"


def test_stale_real_entries_are_listed_not_failed():
    stale = stale_facts(TODAY)
    if stale:
        lines = "\n".join(f"  {f.checked} {f.chapter} {f.id}" for f in stale)
        msg = (f"{len(stale)} dated statements are older than 12 months; re-verify before the "
               f"next term (python -m ketacourse.currency --stale):\n{lines}")
        print(msg)
        warnings.warn(msg, stacklevel=1)


def test_chapters_with_a_table_show_the_line_near_the_top():
    import nbformat

    missing = []
    for stem in currency.chapter_stems():
        nb = nbformat.read(ROOT / "chapters" / f"{stem}.ipynb", as_version=4)
        cells = [c for c in nb.cells[:12] if c.cell_type == "code" and "evidence_checked(" in c.source]
        if not cells:
            missing.append(stem)  # the coordinator adds the cell after merging a chapter's table
            continue
        cell = cells[0]
        assert f'evidence_checked("{stem}")' in cell.source, stem
        assert "remove-input" in cell.metadata.get("tags", []), stem
        assert cell.get("outputs"), f"{stem}: the evidence_checked cell has no stored output"
    if missing:
        warnings.warn(f"chapters with a currency table but no evidence_checked cell yet: {missing}",
                      stacklevel=1)


# --- planted entries that must be caught ----------------------------------------------------


def test_good_file_loads(tmp_path):
    _write(tmp_path, "99-demo.toml", GOOD)
    facts = load_facts(tmp_path)
    assert [f.id for f in facts] == ["alpha-approval", "beta-trial"]
    assert facts[1].source == ("janssen2025", "janssen2025")
    assert facts[0].checked == dt.date(2026, 11, 2)
    assert check_facts(facts, bib_keys_in(BIB), today=dt.date(2026, 12, 7)) == []


def test_undated_entry_is_caught(tmp_path):
    path = _write(tmp_path, "99-demo.toml", GOOD.replace("    checked = 2025-06-15\n", ""))
    with pytest.raises(ValueError, match=r"99-demo\.toml: fact 'beta-trial' field 'checked' is missing"):
        load_file(path)


@pytest.mark.parametrize(
    "value, message",
    [
        ('"2025-06-15"', r"must be an unquoted date YYYY-MM-DD; got '\"2025-06-15\"'"),
        ("2025-13-01", r"is not a real date: '2025-13-01'"),
        ("2025-02-30", r"is not a real date"),
        ("15/06/2025", r"must be an unquoted date"),
        ("2025-06", r"must be an unquoted date"),
        ("2025-06-15T10:00:00", r"must be an unquoted date"),
    ],
)
def test_malformed_date_is_caught_with_file_id_and_field(tmp_path, value, message):
    path = _write(tmp_path, "99-demo.toml", GOOD.replace("2025-06-15", value, 1))
    with pytest.raises(ValueError, match=r"99-demo\.toml: fact 'beta-trial' field 'checked'.*" + message):
        load_file(path)


def test_future_date_is_caught(tmp_path):
    _write(tmp_path, "99-demo.toml", GOOD.replace("2026-11-02", "2027-01-01"))
    problems = check_facts(load_facts(tmp_path), today=dt.date(2026, 12, 7))
    assert problems == [
        "99-demo.toml: fact 'alpha-approval' field 'checked' is in the future (2027-01-01 > 2026-12-07)"
    ]


def test_unknown_bib_key_is_caught(tmp_path):
    _write(tmp_path, "99-demo.toml", GOOD.replace("janssen2025, janssen2025",
                                                   "janssen2025, nosuch2099"))
    problems = check_facts(load_facts(tmp_path), bib_keys_in(BIB), today=dt.date(2026, 12, 7))
    assert problems == ["99-demo.toml: fact 'beta-trial' field 'source' has unknown bibtex key(s) ['nosuch2099']"]


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('id = "beta-trial"', 'id = "Beta Trial"', r"fact #2 field 'id' must be a kebab-case string"),
        ('id = "beta-trial"', 'id = "alpha-approval"', r"fact 'alpha-approval' field 'id' is used twice"),
        ('status = "none found"', 'status = ""', r"fact 'beta-trial' field 'status' must be a non-empty"),
        ('statement = "No trial has tested C"\n', "", r"fact 'beta-trial' field 'statement' must be"),
        ('source = "janssen2025, janssen2025"', 'source = "a b"', r"field 'source' has malformed"),
        ('status = "none found"', 'status = "none found"\nchecked_by = "x"', r"unknown field\(s\) \['checked_by'\]"),
    ],
)
def test_other_malformed_entries_name_file_id_and_field(tmp_path, old, new, message):
    path = _write(tmp_path, "99-demo.toml", GOOD.replace(old, new))
    with pytest.raises(ValueError, match=r"99-demo\.toml: .*" + message):
        load_file(path)


def test_empty_and_invalid_files_are_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"empty\.toml: needs at least one \[\[fact\]\]"):
        load_file(_write(tmp_path, "empty.toml", "# nothing yet\n"))
    with pytest.raises(ValueError, match=r"bad\.toml: not valid TOML"):
        load_file(_write(tmp_path, "bad.toml", "[[fact]]\nid = \n"))


def test_stale_entries_are_listed_oldest_first(tmp_path):
    _write(tmp_path, "99-demo.toml", GOOD)
    facts = load_facts(tmp_path)
    # beta-trial was checked 2025-06-15: fresh until 2026-06-15, stale the day after
    assert stale_facts(dt.date(2026, 6, 15), facts=facts) == []
    assert [f.id for f in stale_facts(dt.date(2026, 6, 16), facts=facts)] == ["beta-trial"]
    assert [f.id for f in stale_facts(dt.date(2027, 11, 3), facts=facts)] == ["beta-trial", "alpha-approval"]
    assert facts[1].age_months(dt.date(2026, 12, 7)) == 17
    with pytest.raises(ValueError, match=r"months must be >= 0; got -1"):
        stale_facts(dt.date(2026, 1, 1), months=-1, facts=facts)


def test_stale_cutoff_handles_month_ends():
    assert currency._minus_months(dt.date(2024, 2, 29), 12) == dt.date(2023, 2, 28)
    assert currency._minus_months(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)


def test_evidence_checked_uses_the_oldest_date(tmp_path):
    _write(tmp_path, "99-demo.toml", GOOD)
    shown = evidence_checked("99-demo", folder=tmp_path)
    assert shown.headline == "Evidence checked up to June 2025"
    text = repr(shown)
    assert text.startswith("Evidence checked up to June 2025. ")
    assert "2 time-sensitive statements" in text and "newest is November 2026" in text
    assert "python -m ketacourse.currency --list 99-demo" in text
    page = shown._repr_html_()
    assert "Evidence checked up to June 2025." in page
    assert page.count("<li>") == 2 and "No trial has tested C" in page and "2025-06-15" in page
    assert page.index("2025-06-15") < page.index("2026-11-02")  # oldest listed first


def test_evidence_checked_escapes_html(tmp_path):
    _write(tmp_path, "99-demo.toml", GOOD.replace("Drug A is approved for B", "A <b> & C"))
    assert "A &lt;b&gt; &amp; C" in evidence_checked("99-demo", folder=tmp_path)._repr_html_()


def test_unknown_chapter_is_a_clear_error(tmp_path):
    _write(tmp_path, "99-demo.toml", GOOD)
    with pytest.raises(ValueError, match=r"^chapter_stem must be one of '99-demo'; got '98-nope'"):
        evidence_checked("98-nope", folder=tmp_path)


def test_command_line_lists_stale_entries(capsys):
    code = currency.main(["--stale", "--as-of", "2099-01-01"])
    out = capsys.readouterr().out
    n = len(load_facts())
    assert code == 0
    assert f"{n} of {n} dated statements were last checked more than 12 months before 2099-01-01" in out
