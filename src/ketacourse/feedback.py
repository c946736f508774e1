"""What a check says back: :class:`Feedback`, the "no answer yet" message and the hint ladder.

Shared by the exercise engine (:mod:`ketacourse.exercises`, checks computed from the models) and
its release form (:mod:`ketacourse.hashed_checks`, checks from hashed targets), so that both give
the learner the same messages and neither has to import the other's internals.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Feedback", "MISSING", "STATUS_COLOUR", "rung"]

_SYMBOL = {"correct": "✓", "incorrect": "✗", "missing": "…"}
STATUS_COLOUR = {"correct": "#009E73", "incorrect": "#D55E00", "missing": "#0072B2"}

MISSING = "no answer yet: replace None (or each ...) with your answer and run the cell again."
"""The message for ``None`` or ``...`` (a blank left in a student stub)."""


@dataclass(frozen=True)
class Feedback:
    """Result of a check: ``status`` is ``"correct"``, ``"incorrect"`` or ``"missing"``."""

    key: str
    status: str
    message: str
    mistake: str | None = None

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        return f"{_SYMBOL[self.status]} {self.key}: {self.message}"

    def _repr_html_(self) -> str:
        return (
            f'<div role="status" style="border-left:4px solid {STATUS_COLOUR[self.status]};padding:0.3em 0.8em">'
            f"<strong>{_SYMBOL[self.status]} {html.escape(self.key)}</strong>: {html.escape(self.message)}</div>"
        )


def rung(hints: Sequence[str], hint: str, attempt: int) -> str:
    """The hint for wrong attempt number ``attempt`` (1-based): escalating, the last one repeats.

    Parameters
    ----------
    hints : sequence of str
        The ladder (concept, then procedure, then the calls to make); empty entries are ignored.
    hint : str
        The single hint used when ``hints`` is empty.
    attempt : int
        How many wrong attempts matched no named mistake so far, counting this one.
    """
    ladder = [h for h in hints if h] or ([hint] if hint else [])
    if not ladder:
        return ""
    k = min(attempt, len(ladder))
    return ladder[k - 1] if len(ladder) == 1 else f"Hint {k} of {len(ladder)}: {ladder[k - 1]}"
