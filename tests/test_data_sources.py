"""Every published number in the package's data tables carries a source that is in the bibliography,
and every citation in the chapters resolves."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from pybtex.database import parse_file

from ketacourse.data import FLAGS, iter_sourced_entries, load_table, table_names

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "chapters" / "references.bib"
TABLES = table_names()


@pytest.fixture(scope="module")
def bib_keys() -> set[str]:
    data = parse_file(str(BIB), bib_format="bibtex")
    return set(data.entries.keys())


def test_tables_are_all_toml_files_in_the_data_folder():
    on_disk = sorted(p.stem for p in (ROOT / "src" / "ketacourse" / "data").glob("*.toml"))
    assert TABLES == on_disk
    assert {"affinities", "channel", "concentration_bands", "molecules"} <= set(TABLES)


def test_flags_are_the_documented_four():
    assert set(FLAGS) == {"P", "L", "S", "D"}


def test_unknown_table_name_raises():
    with pytest.raises(ValueError, match=r"^name must be one of 'affinities', .*; got 'affinity'"):
        load_table("affinity")


def test_bibliography_parses_without_duplicate_keys(bib_keys):
    text = BIB.read_text(encoding="utf-8")
    keys = re.findall(r"^\s*@\s*\w+\s*\{\s*([^,\s]+)\s*,", text, flags=re.MULTILINE)
    assert keys, "no entries found"
    dupes = [k for k, n in Counter(k.lower() for k in keys).items() if n > 1]
    assert not dupes, f"duplicate bibtex keys (keys are case-insensitive): {dupes}"
    assert {k.lower() for k in keys} == {k.lower() for k in bib_keys}
    data = parse_file(str(BIB), bib_format="bibtex")
    for key, entry in data.entries.items():
        assert entry.fields.get("title"), f"{key} has no title"


@pytest.mark.parametrize("table", TABLES)
def test_every_sourced_entry_cites_a_bib_key_with_a_flag(table, bib_keys):
    entries = list(iter_sourced_entries(load_table(table)))
    assert entries, f"table {table} has no sourced entries"
    for path, entry in entries:
        where = f"{table}.toml [{path or '(top level)'}]"
        source = entry["source"]
        assert isinstance(source, str) and source, f"{where}: source must be a bibtex key"
        assert source in bib_keys, f"{where}: source {source!r} is not in chapters/references.bib"
        assert entry.get("flag") in FLAGS, f"{where}: flag {entry.get('flag')!r} is not one of P, L, S, D"


def _unsourced_numbers(obj, path: str = ""):
    """Yield the path of every table that holds numbers directly but has no ``source`` of its own.

    Stricter than "some enclosing table has a source": each set of numbers carries its own
    provenance, so a sub-table cannot inherit a source that was meant for its parent.
    """
    if isinstance(obj, dict):
        if "source" not in obj and any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in obj.values()):
            yield path or "<top level>"
        for key, val in obj.items():
            yield from _unsourced_numbers(val, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for i, val in enumerate(obj):
            if isinstance(val, (int, float)) and not isinstance(val, bool):
                continue  # a list of numbers belongs to the table that holds the list
            yield from _unsourced_numbers(val, f"{path}[{i}]")


@pytest.mark.parametrize("table", TABLES)
def test_every_number_has_its_own_source(table):
    missing = list(_unsourced_numbers(load_table(table)))
    assert not missing, f"{table}.toml: tables with numbers but no `source`: {missing}"


def test_unsourced_number_walker_catches_a_bare_number():
    table = {"a": {"source": "x", "k": 1.0, "range": [1, 2], "sub": {"v": 2}}, "b": {"n": 3},
             "c": [{"m": 2.5}], "d": {"source": "y", "flag": True}}
    assert list(_unsourced_numbers(table)) == ["a.sub", "b", "c[0]"]


def _cite_keys(text: str) -> list[str]:
    keys = []
    for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]*)`", text):
        keys += [k.strip() for k in group.split(",") if k.strip()]
    return keys


def _chapter_texts():
    chapters = ROOT / "chapters"
    for path in sorted(chapters.rglob("*.md")):
        if ".ipynb_checkpoints" not in path.parts:
            yield path, path.read_text(encoding="utf-8")
    for path in sorted(chapters.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        yield path, "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_cite_key_extraction():
    text = "see {cite}`a2020` and {cite:p}`b1, c2` or {cite:t}`d3`; not `{cite}` alone"
    assert _cite_keys(text) == ["a2020", "b1", "c2", "d3"]


def test_every_citation_in_the_chapters_is_in_the_bibliography(bib_keys):
    unknown, total = [], 0
    for path, text in _chapter_texts():
        for key in _cite_keys(text):
            total += 1
            if key not in bib_keys:
                unknown.append(f"{path.relative_to(ROOT)}: {key}")
    assert total > 0, "no citations found in the chapters"
    assert not unknown, f"citation keys missing from references.bib: {unknown}"
