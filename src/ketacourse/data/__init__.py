"""Published values as data: one TOML table per topic, every entry with its source.

Each table lives in this folder (``<name>.toml``) and is read with :func:`load_table`. Every
numeric entry carries a ``source`` (a bibtex key in ``chapters/references.bib``), a ``flag``
(evidence level: ``P`` primary, ``L`` label, ``S`` secondary transcription, ``D`` derived here
from other sourced values) and, where sources disagree, a ``note`` saying so. The tests check
that every ``source`` key exists in the bibliography.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

FLAGS = {
    "P": "primary source (paper: abstract, table or full text)",
    "L": "regulatory label or official product information",
    "S": "secondary transcription of a primary table (review, code repository); see note",
    "D": "derived in this package from other sourced values; see note",
}


def table_names() -> list[str]:
    """Names of all data tables shipped with the package."""
    return sorted(
        p.name[: -len(".toml")]
        for p in resources.files(__name__).iterdir()
        if p.name.endswith(".toml")
    )


@cache
def load_table(name: str) -> dict[str, Any]:
    """Load the data table ``name`` (for example ``"affinities"``) as a dict.

    Raises
    ------
    ValueError
        If no table has that name.
    """
    names = table_names()
    if name not in names:
        raise ValueError(f"name must be one of {', '.join(map(repr, names))}; got {name!r}")
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def iter_sourced_entries(obj: Any, path: str = ""):
    """Yield ``(path, entry)`` for every dict in a table that has a ``source`` key."""
    if isinstance(obj, dict):
        if "source" in obj:
            yield path, obj
        for key, val in obj.items():
            yield from iter_sourced_entries(val, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for i, val in enumerate(obj):
            yield from iter_sourced_entries(val, f"{path}[{i}]")
