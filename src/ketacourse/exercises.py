"""Exercise checks with immediate feedback, and self-check questions.

A chapter registers its checks once (``ketacourse/checks/chNN_*.py``); the expected values are
computed from the same package functions the chapter teaches, never typed in by hand. In the
notebook the learner writes an answer and runs ``check("ch1-occupancy", answer)``:

- ``None`` (the student stub) gives "no answer yet" — the notebook still runs end to end;
- a value within tolerance gives "correct" and a short explanation;
- anything else gives "not yet" and a hint — never the answer.

:class:`SelfCheck` is a multiple-choice question: live buttons in JupyterLab, and in the book
the options with the answer folded in a native ``<details>`` element (no JavaScript).
"""

from __future__ import annotations

import html
import importlib
import math
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Feedback", "NumericCheck", "ChoiceCheck", "register", "check", "registered", "SelfCheck"]

_SYMBOL = {"correct": "✓", "incorrect": "✗", "missing": "…"}
_COLOUR = {"correct": "#009E73", "incorrect": "#D55E00", "missing": "#0072B2"}


@dataclass(frozen=True)
class Feedback:
    """Result of a check: ``status`` is ``"correct"``, ``"incorrect"`` or ``"missing"``."""

    key: str
    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        return f"{_SYMBOL[self.status]} {self.key}: {self.message}"

    def _repr_html_(self) -> str:
        return (
            f'<div role="status" style="border-left:4px solid {_COLOUR[self.status]};padding:0.3em 0.8em">'
            f"<strong>{_SYMBOL[self.status]} {html.escape(self.key)}</strong>: {html.escape(self.message)}</div>"
        )


@dataclass
class NumericCheck:
    """A numeric answer compared with a value computed by the package.

    Attributes
    ----------
    key : str
        Exercise identifier, e.g. ``"ch1-occupancy"``.
    expected : callable
        Returns the expected value (computed from the package's models).
    unit : str
        Unit the learner is asked to use (shown in messages).
    rel_tol, abs_tol : float
        Accepted if ``|answer − expected| <= max(rel_tol·|expected|, abs_tol)``.
    hint : str
        Shown after a wrong answer.
    explanation : str
        Shown after a correct answer.
    """

    key: str
    expected: Callable[[], float]
    unit: str = ""
    rel_tol: float = 0.02
    abs_tol: float = 0.0
    hint: str = ""
    explanation: str = ""

    def __call__(self, answer: Any) -> Feedback:
        if answer is None:
            return Feedback(self.key, "missing", "no answer yet: replace None with your answer and run the cell again.")
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return Feedback(self.key, "incorrect", f"expected a number (in {self.unit or 'the stated unit'}); got {answer!r}.")
        if not math.isfinite(value):
            return Feedback(self.key, "incorrect", f"expected a finite number; got {answer!r}.")
        exp = float(self.expected())
        if abs(value - exp) <= max(self.rel_tol * abs(exp), self.abs_tol):
            return Feedback(self.key, "correct", f"correct. {self.explanation}".strip())
        return Feedback(self.key, "incorrect", f"not yet. {self.hint}".strip())


@dataclass
class ChoiceCheck:
    """A single-choice answer (a letter or short string), case-insensitive."""

    key: str
    answer: str
    options: Sequence[str] = field(default_factory=tuple)
    hint: str = ""
    explanation: str = ""

    def __call__(self, answer: Any) -> Feedback:
        if answer is None:
            return Feedback(self.key, "missing", "no answer yet: replace None with your choice and run the cell again.")
        text = str(answer).strip().lower()
        allowed = [o.lower() for o in self.options]
        if allowed and text not in allowed:
            return Feedback(self.key, "incorrect", f"choose one of {', '.join(self.options)}; got {answer!r}.")
        if text == self.answer.lower():
            return Feedback(self.key, "correct", f"correct. {self.explanation}".strip())
        return Feedback(self.key, "incorrect", f"not yet. {self.hint}".strip())


_REGISTRY: dict[str, NumericCheck | ChoiceCheck] = {}
_LOADED = False


def register(item: NumericCheck | ChoiceCheck) -> NumericCheck | ChoiceCheck:
    """Add a check to the registry (keys must be unique)."""
    if item.key in _REGISTRY:
        raise ValueError(f"check key must be unique; {item.key!r} is registered twice")
    _REGISTRY[item.key] = item
    return item


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    from . import checks

    for mod in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{mod.name}")
    _LOADED = True


def registered() -> list[str]:
    """Keys of all registered checks."""
    _load_all()
    return sorted(_REGISTRY)


def check(key: str, answer: Any) -> Feedback:
    """Check ``answer`` for exercise ``key`` and return feedback (never raises for a wrong answer).

    Raises
    ------
    ValueError
        If ``key`` is not a registered exercise.
    """
    _load_all()
    if key not in _REGISTRY:
        raise ValueError(f"key must be one of {', '.join(map(repr, sorted(_REGISTRY)))}; got {key!r}")
    return _REGISTRY[key](answer)


class SelfCheck:
    """A multiple-choice self-check question.

    Parameters
    ----------
    question : str
        The question (plain text).
    options : sequence of str
        The choices, shown as (a), (b), ...
    answer : int
        Index of the correct option (0-based).
    explanation : str
        Why the answer is right (shown after answering; folded in the book).
    """

    def __init__(self, question: str, options: Sequence[str], answer: int, explanation: str) -> None:
        if not 2 <= len(options) <= 8:
            raise ValueError(f"options must hold 2 to 8 choices; got {len(options)}")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
            raise ValueError(f"answer must be an option index from 0 to {len(options) - 1}; got {answer!r}")
        self.question, self.options, self.answer, self.explanation = question, list(options), answer, explanation
        self._view = None

    @staticmethod
    def _letter(i: int) -> str:
        return "abcdefgh"[i]

    @property
    def view(self):
        """Live version: one button per option and a feedback line."""
        if self._view is None:
            import ipywidgets as W

            feedback = W.HTML()
            buttons = []
            for i, opt in enumerate(self.options):
                b = W.Button(description=f"({self._letter(i)}) {opt}", layout=W.Layout(width="auto"))

                def on_click(_b, i=i):
                    ok = i == self.answer
                    colour = _COLOUR["correct" if ok else "incorrect"]
                    verdict = "Correct." if ok else "Not quite — try another option."
                    extra = f" {html.escape(self.explanation)}" if ok else ""
                    feedback.value = f"<span style='color:{colour}'><b>{verdict}</b></span>{extra}"

                b.on_click(on_click)
                buttons.append(b)
            self._view = W.VBox([W.HTML(f"<b>Self-check.</b> {html.escape(self.question)}"), *buttons, feedback])
        return self._view

    def static_html(self) -> str:
        items = "".join(f"<li>({self._letter(i)}) {html.escape(o)}</li>" for i, o in enumerate(self.options))
        return (
            '<div class="kc-selfcheck" style="border-left:4px solid #0072B2;padding:0.3em 1em;margin:0.5em 0">'
            f"<p><strong>Self-check.</strong> {html.escape(self.question)}</p>"
            f'<ul style="list-style:none;padding-left:0">{items}</ul>'
            f"<details><summary>Show the answer</summary><p>({self._letter(self.answer)}) "
            f"{html.escape(self.options[self.answer])}. {html.escape(self.explanation)}</p></details></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle = dict(self.view._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"<SelfCheck: {self.question}>"
