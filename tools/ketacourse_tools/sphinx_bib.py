"""Sphinx extension: the book's bibliography style (``bibtex_default_style: ketacourse``).

The plain style of sphinxcontrib-bibtex, with two changes for readers:

- the ``note`` field is not printed. In ``chapters/references.bib`` it records how each entry was
  checked (what was seen, what remains to verify; see ``docs/source-checks.md``): provenance for
  the authors and reviewers, kept with the data, not text for learners;
- inline TeX superscripts and subscripts in titles (``Mg$^{2+}$``, ``$_{50}$``) are printed as
  Unicode (Mg²⁺), which pybtex would otherwise show as the literal ``Mg$^2+$``.

Enabled in ``_config.yml`` under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

import re

from pybtex.backends.plaintext import Backend as PlaintextBackend
from pybtex.database import Entry
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle

__all__ = ["Style", "tex_scripts_to_unicode"]

_SUP = str.maketrans("0123456789+-−=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿ")
_SUB = str.maketrans("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎")
_SCRIPT = re.compile(r"\$\s*([\^_])\s*\{?\s*([0-9+\-−=()n]+)\s*\}?\s*\$")
HIDDEN_FIELDS = ("note",)


def tex_scripts_to_unicode(text: str) -> str:
    """Replace inline TeX super/subscripts of digits and signs by Unicode: ``Mg$^{2+}$`` -> ``Mg²⁺``."""
    return _SCRIPT.sub(lambda m: m.group(2).translate(_SUP if m.group(1) == "^" else _SUB), text)


class Style(PlainStyle):
    """sphinxcontrib-bibtex's plain style without internal notes and with TeX scripts as Unicode."""

    def format_entry(self, label, entry, bib_data=None):
        fields = {k: tex_scripts_to_unicode(v) for k, v in entry.fields.items() if k.lower() not in HIDDEN_FIELDS}
        clean = Entry(entry.type, fields=fields, persons=entry.persons)
        clean.key = getattr(entry, "key", None)
        return super().format_entry(label, clean, bib_data=bib_data)


register_plugin("pybtex.style.formatting", "ketacourse", Style)

# sphinxcontrib-bibtex asks pybtex for its "plaintext" backend once per citation (its domain's
# resolve_xref: about 700 in the book), and pybtex looks a name up in every installed package's entry
# points each time unless it was registered at run time (0.05-0.1 s each, about a fifth of the build's
# CPU time). Registered here, as the class pybtex's own "plaintext" entry point names, it is found at once.
register_plugin("pybtex.backends", "plaintext", PlaintextBackend, force=True)


def setup(app):
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
