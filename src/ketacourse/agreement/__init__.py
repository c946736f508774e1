"""Each model of the course against its reference: rows of numbers, one figure, one verdict text.

A *report* compares one model of the package with something it did not produce itself: published
data points, a published model's output, an analytic solution or an independent open
implementation. Each report is a module of this package exposing ``report() -> Report``; the
modules are **discovered** (:func:`reports`), so the validation page of the book and
``tests/test_agreement.py`` iterate over whatever modules exist, and no list is kept by hand.

A :class:`Row` is one compared quantity with its tolerance, its source (a bibtex key of
``chapters/references.bib``) and its *expected* verdict: ``"match"`` (the model must agree within
the tolerance) or ``"miss"`` (a documented disagreement, with its reason; the tests assert that it
is still a miss, so a miss cannot silently turn into a match or the other way round).

Tolerances are ours, not the sources'. The page shows exactly the rows the tests assert.

Example
-------
>>> from ketacourse import agreement
>>> [r.key for r in agreement.reports()]  # doctest: +SKIP
['pk_iv', 'tci', ...]
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

__all__ = ["Row", "Report", "reports", "report_keys", "get_report", "show", "summary", "show_remaining",
           "REFERENCE_KINDS", "COLOURS", "new_figure"]

REFERENCE_KINDS = {
    "data": "published data points",
    "published-model": "a published model's output",
    "analytic": "an analytic solution",
    "implementation": "an independent open implementation",
}
"""What a report compares against (a report may use more than one kind)."""

COLOURS = {
    "model": "#0072B2",      # blue
    "reference": "#000000",  # black
    "miss": "#D55E00",       # vermillion
    "band": "#56B4E9",       # sky blue
    "other": "#009E73",      # green
    "extra": "#E69F00",      # orange
    "grey": "#999999",
}
"""Okabe & Ito (2008) colours, the course palette (``ketacourse.widgets.style``; repeated here
because this runtime package must not import the widget layer)."""


@dataclass(frozen=True)
class Row:
    """One quantity, the model's value against the reference value.

    Parameters
    ----------
    quantity : str
        What is compared, with its condition (for example ``"Cmax after 1 mg/kg IV, Domino"``).
    reference, model : float
        The reference value and the model's value (same unit).
    tolerance : float
        Allowed difference: relative (``0.05`` = 5 %) if ``relative`` is true, else absolute in ``unit``.
    source : str
        Bibtex key(s) of the reference (comma-separated), or ``"analytic"``.
    unit : str
        Unit of ``reference`` and ``model``.
    relative : bool
        Whether ``tolerance`` is relative to ``|reference|``.
    expected : str
        ``"match"`` or ``"miss"`` (a documented disagreement).
    reason : str
        Why a miss misses (required for misses), or a note.
    """

    quantity: str
    reference: float
    model: float
    tolerance: float
    source: str
    unit: str = ""
    relative: bool = True
    expected: str = "match"
    reason: str = ""

    def __post_init__(self) -> None:
        if self.expected not in ("match", "miss"):
            raise ValueError(f"expected must be 'match' or 'miss'; got {self.expected!r}")
        if self.expected == "miss" and not self.reason:
            raise ValueError(f"a documented miss needs a reason: {self.quantity!r}")
        if not (self.tolerance >= 0):
            raise ValueError(f"tolerance must be >= 0; got {self.tolerance!r}")

    @property
    def difference(self) -> float:
        """Model minus reference: relative (a fraction) if the tolerance is relative, else absolute."""
        if self.relative:
            if self.reference == 0:
                return math.inf if self.model != 0 else 0.0
            return (self.model - self.reference) / abs(self.reference)
        return self.model - self.reference

    @property
    def within(self) -> bool:
        """True if the model agrees with the reference within the tolerance."""
        return bool(math.isfinite(self.model) and abs(self.difference) <= self.tolerance)

    @property
    def verdict(self) -> str:
        """``"match"`` or ``"miss"``, measured now."""
        return "match" if self.within else "miss"

    @property
    def as_documented(self) -> bool:
        """True if the measured verdict is the documented one."""
        return self.verdict == self.expected

    def difference_text(self) -> str:
        d = self.difference
        if self.relative:
            return "n/a" if not math.isfinite(d) else f"{100 * d:+.2g} %" if abs(d) < 1e-3 else f"{100 * d:+.1f} %"
        return f"{d:+.3g} {self.unit}".strip()

    def tolerance_text(self) -> str:
        return f"±{100 * self.tolerance:.3g} %" if self.relative else f"±{self.tolerance:.3g} {self.unit}".strip()


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e4 or a < 1e-3:
        return f"{x:.4g}"
    return f"{x:.4g}" if a < 100 else f"{x:.1f}" if a < 1000 else f"{x:.0f}"


@dataclass
class Report:
    """One model against its reference(s).

    Attributes
    ----------
    key : str
        Short identifier (the module name).
    title : str
        Section title on the validation page.
    model : str
        The code validated (for example ``"ketacourse.pk.simulate"``).
    reference : str
        What it is compared with, in words, with bibtex keys.
    kinds : tuple of str
        Reference kinds (keys of :data:`REFERENCE_KINDS`).
    rows : list of Row
    text : str
        Markdown: what matches, by how much, what does not and why.
    figure : callable
        ``figure() -> matplotlib.figure.Figure`` (model against reference).
    alt : str
        Alt text of the figure.
    order : int
        Position on the page (the course's order of subjects).
    chapter : str
        Notebook stem of the chapter that teaches with the model.
    """

    key: str
    title: str
    model: str
    reference: str
    kinds: tuple[str, ...]
    rows: list[Row]
    text: str
    figure: Callable[[], Any]
    alt: str
    order: int = 100
    chapter: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = [k for k in self.kinds if k not in REFERENCE_KINDS]
        if bad:
            raise ValueError(f"kinds must be among {sorted(REFERENCE_KINDS)}; got {bad}")
        if not self.rows:
            raise ValueError(f"report {self.key!r} has no rows")

    @property
    def n_match(self) -> int:
        return sum(r.within for r in self.rows)

    @property
    def n_miss(self) -> int:
        return len(self.rows) - self.n_match

    @property
    def undocumented(self) -> list[Row]:
        """Rows whose measured verdict differs from the documented one (must be empty)."""
        return [r for r in self.rows if not r.as_documented]

    def summary(self) -> str:
        return (f"{self.title}: {self.n_match} of {len(self.rows)} quantities within tolerance, "
                f"{self.n_miss} documented miss{'es' if self.n_miss != 1 else ''}")

    # ---- presentation (plain HTML and text: no widget layer) --------------------------------
    def table_rows(self) -> list[dict[str, str]]:
        return [{
            "quantity": r.quantity,
            "reference": f"{_fmt(r.reference)} {r.unit}".strip(),
            "model": f"{_fmt(r.model)} {r.unit}".strip(),
            "difference": r.difference_text(),
            "tolerance": r.tolerance_text(),
            "verdict": ("✓ match" if r.within else "✗ MISS") + ("" if r.as_documented else " (undocumented!)"),
            "source": r.source,
            "note": r.reason,
        } for r in self.rows]

    def table_text(self) -> str:
        """The table as Markdown (pipe table)."""
        rows = self.table_rows()
        cols = list(rows[0])
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(r[c].replace("|", "/") for c in cols) + " |" for r in rows]
        return "\n".join(lines)

    def table_html(self) -> str:
        rows = self.table_rows()
        cols = list(rows[0])
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = []
        for r, row in zip(self.rows, rows):
            cls = "kc-match" if r.within else "kc-miss"
            cells = "".join(
                f"<td><strong>{html.escape(row[c])}</strong></td>" if (c == "verdict" and not r.within)
                else f"<td>{html.escape(row[c])}</td>" for c in cols)
            body.append(f'<tr class="{cls}">{cells}</tr>')
        return (f'<table class="kc-agreement"><caption>{html.escape(self.summary())}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")

    def png(self) -> bytes:
        fig = self.figure()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=fig.dpi)
        return buf.getvalue()

    def figure_html(self) -> str:
        data = base64.b64encode(self.png()).decode()
        return (f'<img class="dark-light" style="max-width:100%" alt="{html.escape(self.alt, quote=True)}" '
                f'src="data:image/png;base64,{data}">')

    def _repr_html_(self) -> str:
        return self.figure_html() + self.table_html()

    def __repr__(self) -> str:  # text/plain: what a reader without HTML sees
        return f"{self.summary()}\n{self.table_text()}"


def new_figure(width_in: float = 7.0, height_in: float = 3.4, ncols: int = 1):
    """A white, pyplot-free figure with ``ncols`` axes in the course's plain style."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rc = {"font.size": 9.5, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
          "grid.alpha": 0.3, "legend.fontsize": 8, "lines.linewidth": 1.8, "figure.facecolor": "white",
          "axes.facecolor": "white", "savefig.facecolor": "white"}
    with mpl.rc_context(rc):
        fig = Figure(figsize=(width_in, height_in), dpi=96, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


# ---- discovery ----------------------------------------------------------------------------------
def report_keys() -> tuple[str, ...]:
    """Names of every report module in this package (each defines ``report()``)."""
    keys = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.ispkg:
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(mod, "report", None)):
            keys.append(info.name)
    return tuple(sorted(keys))


@cache
def get_report(key: str) -> Report:
    """The report of module ``key`` (computed once per process)."""
    keys = report_keys()
    if key not in keys:
        raise ValueError(f"key must be one of {', '.join(map(repr, keys))}; got {key!r}")
    rep = importlib.import_module(f"{__name__}.{key}").report()
    if not isinstance(rep, Report):
        raise TypeError(f"{key}.report() must return a Report; got {type(rep).__name__}")
    return rep


def reports() -> list[Report]:
    """Every report, in the page's order."""
    return sorted((get_report(k) for k in report_keys()), key=lambda r: (r.order, r.key))


# ---- the validation page -------------------------------------------------------------------------
_SHOWN: set[str] = set()


class _HTML:
    """A displayable block of HTML with a plain-text fallback (no IPython import needed)."""

    def __init__(self, html_text: str, plain: str) -> None:
        self._html, self._plain = html_text, plain

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return self._plain


def show(key: str) -> Any:
    """One model's section body for the validation page: verdict text, figure (with alt text), table.

    If no report module ``key`` exists (yet), a short note says so, so the page builds without it.
    """
    if key not in report_keys():
        note = f"No report module ketacourse.agreement.{key} exists yet: this model has no agreement table."
        return _HTML(f'<p class="kc-agreement-missing"><em>{html.escape(note)}</em></p>', note)
    rep = get_report(key)
    _SHOWN.add(key)
    kinds = ", ".join(REFERENCE_KINDS[k] for k in rep.kinds)
    head = (f"<p><strong>Model:</strong> <code>{html.escape(rep.model)}</code>. <strong>Reference:</strong> "
            f"{html.escape(rep.reference)} ({html.escape(kinds)}).</p><p>{html.escape(rep.text)}</p>")
    return _HTML(head + rep.figure_html() + rep.table_html(),
                 f"{rep.title}\nModel: {rep.model}\nReference: {rep.reference}\n{rep.text}\n\n{rep!r}")


def summary() -> Any:
    """Table of every discovered report: reference kinds, rows, matches and documented misses."""
    reps = reports()
    head = "<tr><th>model</th><th>reference kinds</th><th>quantities</th><th>within tolerance</th><th>documented misses</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(r.title)}</td><td>{html.escape(', '.join(REFERENCE_KINDS[k] for k in r.kinds))}</td>"
        f"<td>{len(r.rows)}</td><td>{r.n_match}</td><td>{r.n_miss}</td></tr>" for r in reps)
    total = sum(len(r.rows) for r in reps)
    misses = sum(r.n_miss for r in reps)
    cap = f"{len(reps)} models, {total} compared quantities, {misses} documented misses"
    plain = cap + "\n" + "\n".join(f"{r.title}: {r.n_match}/{len(r.rows)} within tolerance, {r.n_miss} misses" for r in reps)
    return _HTML(f'<table class="kc-agreement-summary"><caption>{html.escape(cap)}</caption><thead>{head}</thead>'
                 f"<tbody>{body}</tbody></table>", plain)


def show_remaining() -> Any:
    """Every discovered report not yet shown on this page (a report module added later appears here)."""
    rest = [r.key for r in reports() if r.key not in _SHOWN]
    if not rest:
        return _HTML("<p><em>Every report module has its own section above.</em></p>",
                     "Every report module has its own section above.")
    parts = [show(k) for k in rest]
    return _HTML("".join(f"<h3>{html.escape(get_report(k).title)}</h3>{p._repr_html_()}" for k, p in zip(rest, parts)),
                 "\n\n".join(repr(p) for p in parts))
