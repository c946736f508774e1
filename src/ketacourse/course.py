"""Course-wide texts shown in the chapters: the disclaimer and the model-illustration label.

Kept in one place so every chapter shows the same words. Each object renders as HTML in
JupyterLab and in the book, and has a short, fixed plain-text form.
"""

from __future__ import annotations

import html

__all__ = ["Disclaimer", "disclaimer", "model_illustration_note"]

_DISCLAIMER_TITLE = "Education, not dosing advice"
_DISCLAIMER_TEXT = (
    "This chapter is for education. Doses and concentrations are quoted from the cited sources "
    "or produced by models for a stated typical adult; they are not recommendations for any "
    "person. Clinical use of ketamine needs qualified clinicians, monitoring and local protocols. "
    "See the course's safety page for scope and for support if you are affected by the topics "
    "discussed."
)


class Disclaimer:
    """The course disclaimer as a displayable object."""

    def _repr_html_(self) -> str:
        return (
            '<div role="note" style="border-left:4px solid #D55E00;padding:0.6em 1em;'
            'margin:0.5em 0;background:rgba(213,94,0,0.08)">'
            f"<strong>{html.escape(_DISCLAIMER_TITLE)}.</strong> {html.escape(_DISCLAIMER_TEXT)}</div>"
        )

    def __repr__(self) -> str:
        return f"{_DISCLAIMER_TITLE}: {_DISCLAIMER_TEXT}"


def disclaimer() -> Disclaimer:
    """Return the course disclaimer (display it as the last line of a cell)."""
    return Disclaimer()


def model_illustration_note(patient: str) -> str:
    """Label for simulator output, e.g. ``model_illustration_note("a 70 kg adult")``."""
    return f"Model illustration for {patient}; not a prediction for any individual."
