"""Result tables for the chapters: a real HTML table in the book and JupyterLab, aligned text elsewhere.

A chapter cell builds a :class:`Table` from rows of values and shows it as the cell's last line::

    table(["model", "CL (L/h)"], rows, caption="Clearance at 70 kg", formats=["", ".0f"])

The HTML has a ``<caption>``, ``<th scope="col">`` header cells and right-aligned numbers, so
screen readers and narrow screens get a table, not monospaced print output. The plain-text form
(``repr``) is the same table as aligned columns: it is what nbval compares.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Sequence
from typing import Any

__all__ = ["Table", "table"]


class Table:
    """A small table of results.

    Parameters
    ----------
    columns : sequence of str
        Column headers (units in the header, e.g. ``"CL (L/h)"``).
    rows : sequence of sequences
        One sequence of cell values per row, as long as ``columns``.
    caption : str
        What the table shows (and for whom, for model output).
    formats : sequence of str, optional
        A format spec per column for numbers (e.g. ``".1f"``); ``""`` uses ``str``.
    note : str, optional
        A line under the table (source or caveat).
    """

    def __init__(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "",
                 formats: Sequence[str] | None = None, note: str = "") -> None:
        self.columns = [str(c) for c in columns]
        if not self.columns:
            raise ValueError("columns must hold at least one header; got none")
        fmts = list(formats) if formats is not None else [""] * len(self.columns)
        if len(fmts) != len(self.columns):
            raise ValueError(f"formats must hold one spec per column ({len(self.columns)}); got {len(fmts)}")
        self.rows: list[list[str]] = []
        self._numeric: list[list[bool]] = []
        for i, row in enumerate(rows):
            row = list(row)
            if len(row) != len(self.columns):
                raise ValueError(f"rows[{i}] must hold {len(self.columns)} values; got {len(row)}")
            cells, numeric = [], []
            for value, fmt in zip(row, fmts):
                is_num = isinstance(value, numbers.Real) and not isinstance(value, bool)
                cells.append(format(value, fmt) if (fmt and is_num) else str(value))
                numeric.append(is_num)
            self.rows.append(cells)
            self._numeric.append(numeric)
        self.caption, self.note = caption, note

    def _repr_html_(self) -> str:
        head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in self.columns)
        body = "".join(
            "<tr>" + "".join(
                f'<td style="text-align:{"right" if num else "left"}">{html.escape(c)}</td>'
                for c, num in zip(row, nums)
            ) + "</tr>"
            for row, nums in zip(self.rows, self._numeric)
        )
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        note = f'<p style="font-size:0.9em;margin-top:0.2em">{html.escape(self.note)}</p>' if self.note else ""
        return (f'<div class="kc-table"><table class="table">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>{note}</div>")

    def __repr__(self) -> str:
        widths = [max(len(c), *(len(r[j]) for r in self.rows)) if self.rows else len(c)
                  for j, c in enumerate(self.columns)]
        numeric_col = [bool(self.rows) and all(n[j] for n in self._numeric) for j in range(len(self.columns))]

        def line(cells):
            return "  ".join(c.rjust(w) if num else c.ljust(w)
                             for c, w, num in zip(cells, widths, numeric_col)).rstrip()

        out = [self.caption] if self.caption else []
        out += [line(self.columns), *(line(r) for r in self.rows)]
        if self.note:
            out.append(self.note)
        return "\n".join(out)


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "",
          formats: Sequence[str] | None = None, note: str = "") -> Table:
    """Build a :class:`Table` (show it as the last line of a cell)."""
    return Table(columns, rows, caption, formats, note)
