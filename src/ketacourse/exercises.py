"""Exercise checks with immediate feedback, and self-check questions.

A chapter registers its checks once (``ketacourse/checks/chNN_*.py``); the expected values are
computed from the same package functions the chapter teaches, never typed in by hand. In the
notebook the learner writes an answer and runs ``check("ch1-occupancy", answer)``:

- ``None`` (the student stub) gives "no answer yet" — the notebook still runs end to end;
- a value within tolerance gives "correct" and a short explanation;
- a value that matches a *named mistake* (a wrong answer computed with the same model functions,
  e.g. salt mass taken as base, total instead of free concentration, a ratio inverted) gives
  "not yet" and that mistake's own message;
- anything else gives "not yet" and a hint — never the answer. Hints escalate: each further
  wrong attempt gets the next rung of ``hints`` (concept, then procedure, then the calls to make).

``...`` (a blank left in a scaffolded student stub) counts as "no answer yet", like ``None``.

:class:`SelfCheck` is a multiple-choice question: live buttons in JupyterLab, and in the book
each option is its own native ``<details>`` element (no JavaScript) that reveals only that
option's feedback when the reader opens it, so the page never shows which option is right.

How the book hides answers (the tags every chapter uses; ``ketacourse_tools.student.apply_book_tags``
adds them and ``tests/test_notebook_guard.py`` enforces them): a check cell carries ``check``
and ``remove-output``; a SelfCheck cell carries ``remove-input``; solution cells carry
``solution`` and sit inside a folded ``{solution}`` dropdown.
"""

from __future__ import annotations

import html
import importlib
import math
import pkgutil
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .feedback import MISSING as _MISSING
from .feedback import STATUS_COLOUR as _COLOUR
from .feedback import Feedback
from .feedback import rung as _rung

__all__ = ["Feedback", "Mistake", "NumericCheck", "ChoiceCheck", "register", "get", "check", "registered", "SelfCheck",
           "generic_mistakes"]


@dataclass(frozen=True)
class Mistake:
    """A likely wrong answer, computed from the same model functions as the expected value.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"salt-as-base"`` (reported in :attr:`Feedback.mistake`).
    value : callable
        Returns the value a learner making this mistake would get.
    message : str
        Feedback naming the mistake (never the answer).
    """

    name: str
    value: Callable[[], float]
    message: str


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
        Shown after a wrong answer that matches no named mistake (used when ``hints`` is empty).
    hints : sequence of str
        Escalating hints (concept → procedure → the calls to make): the n-th wrong attempt that
        matches no named mistake gets rung n (the last rung repeats).
    explanation : str
        Shown after a correct answer.
    mistakes : sequence of Mistake
        Likely wrong answers, each with its own message; checked in order with the same
        tolerance. A mistake whose value falls within tolerance of the expected value is ignored
        (it cannot be told apart from the right answer); ``tests/test_exercises_mistakes.py``
        fails if any registered check has such a mistake, or two mistakes that collide.
    weight_kg : float, optional
        The body weight the exercise states, if any: adds the generic "forgot the weight"
        mistakes (expected × or ÷ weight).
    integer : bool
        The answer is a count (patients, devices): checked exactly, no tolerance.

    After the named mistakes, :func:`generic_mistakes` names the slips any number can suffer
    (per cent vs fraction, factors of 1000, a forgotten weight, the sign), each computed from
    the expected value and used only where it cannot be confused with the answer or a named mistake.
    """

    kind: ClassVar[str] = "numeric"  # what the release form (hashed_checks.targets_of) dispatches on
    key: str
    expected: Callable[[], float]
    unit: str = ""
    rel_tol: float = 0.02
    abs_tol: float = 0.0
    hint: str = ""
    explanation: str = ""
    mistakes: Sequence[Mistake] = ()
    hints: Sequence[str] = ()
    weight_kg: float | None = None
    integer: bool = False
    _attempts: int = field(default=0, init=False, repr=False, compare=False)

    def is_close(self, value: float, target: float) -> bool:
        """True if ``value`` is within this check's tolerance of ``target``:
        ``|value − target| <= max(rel_tol·|target|, abs_tol)``, or exactly equal for an integer answer
        (how answers and mistakes are matched)."""
        if self.integer:
            return value == target
        return abs(value - target) <= max(self.rel_tol * abs(target), self.abs_tol)

    def _tol(self, target: float) -> float:
        return 0.0 if self.integer else max(self.rel_tol * abs(target), self.abs_tol)

    def _apart(self, wrong: float, exp: float) -> bool:
        """A wrong value the right answer cannot be mistaken for: neither lies within tolerance of the
        other (the answer is checked first, so overlapping windows are resolved in its favour)."""
        return not self.is_close(wrong, exp) and not self.is_close(exp, wrong)

    def _distinct(self, a: float, b: float) -> bool:
        """No answer can lie within tolerance of both values (their tolerance windows do not overlap)."""
        return abs(a - b) > self._tol(a) + self._tol(b) if not self.integer else round(a) != round(b)

    def all_mistakes(self) -> list[tuple[Mistake, float]]:
        """Named mistakes, then the generic ones that can be told apart from the answer and from
        every mistake before them, each with its value."""
        exp = float(self.expected())
        found: list[tuple[Mistake, float]] = []
        for m in self.mistakes:
            wrong = float(m.value())
            if math.isfinite(wrong) and self._apart(wrong, exp):
                found.append((m, wrong))
        for m in generic_mistakes(exp, self.unit, self.weight_kg):
            wrong = float(m.value())
            if math.isfinite(wrong) and self._apart(wrong, exp) and all(self._distinct(wrong, v) for _, v in found):
                found.append((m, wrong))
        return found

    def diagnose(self, value: float) -> Mistake | None:
        """The first mistake (named, then generic) that ``value`` matches, or None."""
        for m, wrong in self.all_mistakes():
            if self.is_close(value, wrong):
                return m
        return None

    def __call__(self, answer: Any) -> Feedback:
        if answer is None or answer is Ellipsis:
            return Feedback(self.key, "missing", _MISSING)
        if isinstance(answer, bool) or type(answer).__name__ == "bool_":
            return Feedback(self.key, "incorrect", f"expected a number (in {self.unit or 'the stated unit'}); got "
                                                   f"{answer!r}, a yes/no value.")
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return Feedback(self.key, "incorrect", f"expected a number (in {self.unit or 'the stated unit'}); got {answer!r}.")
        if not math.isfinite(value):
            return Feedback(self.key, "incorrect", f"expected a finite number; got {answer!r}.")
        exp = float(self.expected())
        if self.is_close(value, exp):
            return Feedback(self.key, "correct", f"correct. {self.explanation}".strip())
        mistake = self.diagnose(value)
        if mistake is not None:
            return Feedback(self.key, "incorrect", f"not yet. {mistake.message}".strip(), mistake=mistake.name)
        self._attempts += 1
        return Feedback(self.key, "incorrect", f"not yet. {_rung(self.hints, self.hint, self._attempts)}".strip())


def generic_mistakes(expected: float, unit: str = "", weight_kg: float | None = None) -> list[Mistake]:
    """Slips any numeric answer can suffer, computed from the expected value: per cent vs fraction
    (× or ÷ 100), a unit slip by a factor of 1000 (mg/L vs ng/mL, µM vs nM, g vs mg), a forgotten
    body weight (× or ÷ the weight, when the exercise states one) and the sign. Messages never
    give the answer."""
    per_cent = unit.strip() in ("%", "per cent", "percent") or "%" in unit
    out = [
        Mistake("generic-x100", lambda: expected * 100.0,
                "your answer is 100 times too large: "
                + ("give a fraction between 0 and 1, not a per cent." if "fraction" in unit
                   or (not unit.strip() and abs(expected) <= 1) else "a factor of 100 has slipped in (a per cent multiplied by 100 again?).")),
        Mistake("generic-div100", lambda: expected / 100.0,
                "your answer is 100 times too small: "
                + ("you gave a fraction; give the answer in per cent (multiply by 100)." if per_cent
                   else "a per cent was divided by 100, or a factor of 100 is missing.")),
        Mistake("generic-x1000", lambda: expected * 1000.0,
                f"your answer is 1000 times too large: a unit slip (mg/L for ng/mL, nM for µM, mg for g?). "
                f"Check your answer in {unit or 'the stated unit'}."),
        Mistake("generic-div1000", lambda: expected / 1000.0,
                f"your answer is 1000 times too small: a unit slip (ng/mL for mg/L, µM for nM, g for mg?). "
                f"Check your answer in {unit or 'the stated unit'}."),
    ]
    if weight_kg:
        out += [
            Mistake("generic-no-weight", lambda: expected / weight_kg,
                    f"your answer looks like a per-kilogram value: multiply by the body weight ({weight_kg:g} kg)."),
            Mistake("generic-times-weight", lambda: expected * weight_kg,
                    f"your answer is the body weight ({weight_kg:g} kg) times too large: was a total "
                    "dose multiplied by the weight again, or a per-kg value asked for?"),
        ]
    if expected != 0:
        out.append(Mistake("generic-sign", lambda: -expected,
                           "right size, wrong sign: check the direction of the subtraction (which is taken from which)."))
    return out


@dataclass
class ChoiceCheck:
    """A single-choice answer (a letter or short string), case-insensitive.

    ``feedback`` maps a wrong option to its own message (what choosing it suggests the learner
    believes); wrong options without an entry get ``hint`` (or the next rung of ``hints``).
    """

    kind: ClassVar[str] = "choice"  # what the release form (hashed_checks.targets_of) dispatches on
    key: str
    answer: str
    options: Sequence[str] = field(default_factory=tuple)
    hint: str = ""
    explanation: str = ""
    feedback: Mapping[str, str] = field(default_factory=dict)
    hints: Sequence[str] = ()
    _attempts: int = field(default=0, init=False, repr=False, compare=False)

    def __call__(self, answer: Any) -> Feedback:
        if answer is None or answer is Ellipsis:
            return Feedback(self.key, "missing", _MISSING.replace("your answer", "your choice"))
        text = str(answer).strip().lower()
        if len(text) == 3 and text[0] == "(" and text[2] == ")":  # "(c)", as the options are printed
            text = text[1]
        allowed = [o.lower() for o in self.options]
        if allowed and text not in allowed:
            return Feedback(self.key, "incorrect", f"choose one of {', '.join(self.options)}; got {answer!r}.")
        if text == self.answer.lower():
            return Feedback(self.key, "correct", f"correct. {self.explanation}".strip())
        specific = {k.lower(): v for k, v in self.feedback.items()}
        if text in specific:
            return Feedback(self.key, "incorrect", f"not yet. {specific[text]}".strip(), mistake=text)
        self._attempts += 1
        return Feedback(self.key, "incorrect", f"not yet. {_rung(self.hints, self.hint, self._attempts)}".strip())


_REGISTRY: dict[str, NumericCheck | ChoiceCheck] = {}
_LOADED = False


def register(item: NumericCheck | ChoiceCheck) -> NumericCheck | ChoiceCheck:
    """Add a check to the registry (keys must be unique)."""
    if item.key in _REGISTRY:
        raise ValueError(f"check key must be unique; {item.key!r} is registered twice")
    _REGISTRY[item.key] = item
    return item


_CHAPTER_KEY = re.compile(r"^ch(\d+)-")
"""A check key's chapter: ``ch2-half-life`` is Chapter 2's, registered by ``checks/ch02_*.py``."""


def _load_chapter_of(key: str) -> None:
    """Import the check modules of ``key``'s chapter only (``checks/chNN_*.py``).

    A chapter's checks need only its own models: a Chapter 1, 2 or 5 notebook's first check no
    longer imports every chapter's (the evidence engine with scipy.stats, the wind-up and E-I
    circuits): 1.9 -> 0.4-1.1 CPU-s, measured 2026-12-08. Every other lookup still loads them all
    (:func:`_load_all`)."""
    found = _CHAPTER_KEY.match(key)
    if _LOADED or found is None:
        return
    from . import checks

    prefix = f"ch{int(found.group(1)):02d}_"
    for mod in pkgutil.iter_modules(checks.__path__):
        if mod.name.startswith(prefix):
            importlib.import_module(f"{checks.__name__}.{mod.name}")


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    from . import checks

    modules = list(pkgutil.iter_modules(checks.__path__))
    for mod in modules:
        importlib.import_module(f"{checks.__name__}.{mod.name}")
    if not modules:  # the student release: hashed targets instead of the answer-computing modules
        import os

        from .hashed_checks import read_targets

        targets = os.path.join(list(checks.__path__)[0], "targets.json")
        if os.path.exists(targets):
            _REGISTRY.update(read_targets(targets))
    _LOADED = True


def registered() -> list[str]:
    """Keys of all registered checks."""
    _load_all()
    return sorted(_REGISTRY)


_NO_DEFAULT: Any = object()


def get(key: str, default: Any = _NO_DEFAULT) -> NumericCheck | ChoiceCheck:
    """The registered check ``key`` (its expected value, tolerance, hints and named mistakes).

    ``default``, if given, is returned for a key that is not registered (as ``dict.get``).

    Raises
    ------
    ValueError
        If ``key`` is not a registered exercise and no ``default`` is given.
    """
    if key not in _REGISTRY:
        _load_chapter_of(key)
    if key not in _REGISTRY:
        _load_all()
    if key not in _REGISTRY:
        if default is not _NO_DEFAULT:
            return default
        raise ValueError(f"key must be one of {', '.join(map(repr, sorted(_REGISTRY)))}; got {key!r}")
    return _REGISTRY[key]


def check(key: str, answer: Any) -> Feedback:
    """Check ``answer`` for exercise ``key`` and return feedback (never raises for a wrong answer).

    Raises
    ------
    ValueError
        If ``key`` is not a registered exercise.
    """
    return get(key)(answer)


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
        Why the answer is right (shown after choosing it; in the book, only inside that option).
    feedback : sequence of str, optional
        One message per option, shown when that option is chosen: for a wrong option, what
        choosing it suggests the learner believes. Options without a message (``""``) get a
        generic "not quite".
    """

    def __init__(self, question: str, options: Sequence[str], answer: int, explanation: str,
                 feedback: Sequence[str] | None = None) -> None:
        if not 2 <= len(options) <= 8:
            raise ValueError(f"options must hold 2 to 8 choices; got {len(options)}")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
            raise ValueError(f"answer must be an option index from 0 to {len(options) - 1}; got {answer!r}")
        if feedback is not None and len(feedback) != len(options):
            raise ValueError(f"feedback must hold one message per option ({len(options)}); got {len(feedback)}")
        self.question, self.options, self.answer, self.explanation = question, list(options), answer, explanation
        self.feedback = list(feedback) if feedback is not None else [""] * len(options)
        self._view = None

    @classmethod
    def load(cls, key: str) -> "SelfCheck":
        """The self-check ``key`` (``"<chapter stem>-<n>"``) from ``data/selfchecks/<chapter stem>.toml``.

        Chapters call ``SelfCheck.load(key)`` so that no notebook a learner opens holds the right
        option, its explanation or the per-option feedback (issue 22)."""
        import tomllib
        from importlib.resources import files

        stem = key.rsplit("-", 1)[0]
        try:
            table = tomllib.loads((files("ketacourse") / "data" / "selfchecks" / f"{stem}.toml").read_text("utf-8"))
        except FileNotFoundError:
            raise ValueError(f"key must name a chapter with self-checks (data/selfchecks/<stem>.toml); got {key!r}") from None
        found = {sc["id"]: sc for sc in table.get("selfcheck", [])}
        if key not in found:
            raise ValueError(f"key must be one of {', '.join(map(repr, sorted(found)))}; got {key!r}")
        sc = found[key]
        return cls(sc["question"], sc["options"], sc["answer"], sc["explanation"], sc.get("feedback"))

    def respond(self, choice: int) -> tuple[bool, str]:
        """Whether option ``choice`` is right, and the message the learner sees for it."""
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(self.options):
            raise ValueError(f"choice must be an option index from 0 to {len(self.options) - 1}; got {choice!r}")
        if choice == self.answer:
            return True, " ".join(x for x in ("Correct.", self.feedback[choice], self.explanation) if x)
        return False, " ".join(x for x in ("Not quite.", self.feedback[choice] or "Try another option.") if x)

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
                    ok, message = self.respond(i)
                    colour = _COLOUR["correct" if ok else "incorrect"]
                    feedback.value = f"<span role='status' style='color:{colour}'>{html.escape(message)}</span>"

                b.on_click(on_click)
                buttons.append(b)
            self._view = W.VBox([W.HTML(f"<b>Self-check.</b> {html.escape(self.question)}"), *buttons, feedback])
        return self._view

    def static_html(self) -> str:
        """The book's form: every option is its own ``<details>``; opening one reveals only that
        option's feedback (and, for the right one, the explanation). Nothing on the closed page
        says which option is right."""
        items = []
        for i, opt in enumerate(self.options):
            ok, message = self.respond(i)
            items.append(
                f'<li><details class="kc-option"><summary>({self._letter(i)}) {html.escape(opt)}</summary>'
                f'<p style="margin:0.2em 0 0.4em 1.5em">{html.escape(message)}</p></details></li>'
            )
        return (
            '<div class="kc-selfcheck" style="border-left:4px solid #0072B2;padding:0.3em 1em;margin:0.5em 0">'
            f"<p><strong>Self-check.</strong> {html.escape(self.question)}</p>"
            "<p><em>Choose an option, then open it to see whether it is right and why.</em></p>"
            f'<ul style="list-style:none;padding-left:0">{"".join(items)}</ul></div>'
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle = dict(self.view._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"<SelfCheck: {self.question}>"
