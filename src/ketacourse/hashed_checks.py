"""Practice checks from hashed targets: what the student release ships instead of ``checks/``.

The student release (``make release``) leaves out the modules that compute the answers
(``ketacourse/checks/ch*.py``) and ships ``ketacourse/checks/targets.json`` instead, written by
:func:`targets_of`. For each check it holds no value, only salted SHA-256 digests:

- numeric: the answer axis is cut into bins (relative ones, a quarter of the tolerance wide, or
  absolute ones when the check has an absolute tolerance); the file holds the digests of the bins
  within tolerance of the expected value, and of those around each named mistake with the
  mistake's message. An answer is right if its bin's digest is among the right ones, so the
  accepted band is the tolerance give or take a quarter of it;
- single choice: the digest of the right letter, and the feedback of each wrong letter;
- hints are plain text; the explanation shown after a right answer is encrypted with a key that
  only a right answer's bin gives.

``ketacourse.exercises.check`` uses these when ``checks/`` holds no modules. A determined
student can still find a practice target by trying bins one by one (a few thousand digests);
that is why graded assignments use variants whose answers are never in the release.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HashedNumericCheck", "HashedChoiceCheck", "targets_of", "load_targets"]

_QUARTER = 4  # bins per tolerance


def _digest(salt: str, key: str, token: str) -> str:
    return hashlib.sha256(f"{salt}|{key}|{token}".encode()).hexdigest()


def _bin(value: float, rel_tol: float, abs_tol: float) -> str:
    """The bin token of ``value`` (sign and index on a log axis, or on a linear axis)."""
    if abs_tol > 0:
        return f"lin:{math.floor(value / (abs_tol / _QUARTER))}"
    if value == 0:
        return "zero"
    width = math.log1p(rel_tol / _QUARTER)
    return f"{'+' if value > 0 else '-'}{math.floor(math.log(abs(value)) / width)}"


def _bins_around(target: float, rel_tol: float, abs_tol: float) -> list[str]:
    """Tokens of every bin that overlaps [target - tol, target + tol]."""
    tol = max(rel_tol * abs(target), abs_tol)
    lo, hi = target - tol, target + tol
    tokens, steps = [], 4 * _QUARTER + 4
    for k in range(steps + 1):
        tokens.append(_bin(lo + (hi - lo) * k / steps, rel_tol, abs_tol))
    return sorted(set(tokens))


def _keystream_xor(key: str, data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 32):
        block = hashlib.sha256(f"{key}|{i}".encode()).digest()
        out += bytes(a ^ b for a, b in zip(data[i:i + 32], block))
    return bytes(out)


def _seal(text: str, key: str) -> str:
    return _keystream_xor(key, text.encode()).hex()


def _open(cipher: str, key: str) -> str:
    return _keystream_xor(key, bytes.fromhex(cipher)).decode("utf-8", errors="replace")


@dataclass
class HashedNumericCheck:
    """A numeric practice check that holds digests, not values (see the module docstring)."""

    key: str
    salt: str
    rel_tol: float
    abs_tol: float
    right: dict  # digest -> sealed explanation
    mistakes: list  # [(name, [digests], message)]
    unit: str = ""
    hints: Sequence[str] = ()
    _attempts: int = field(default=0, init=False, repr=False, compare=False)

    def __call__(self, answer: Any):
        from .exercises import _MISSING, Feedback, _rung

        if answer is None or answer is Ellipsis:
            return Feedback(self.key, "missing", _MISSING)
        if isinstance(answer, bool):
            return Feedback(self.key, "incorrect", f"expected a number (in {self.unit or 'the stated unit'}); got {answer!r}.")
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return Feedback(self.key, "incorrect", f"expected a number (in {self.unit or 'the stated unit'}); got {answer!r}.")
        if not math.isfinite(value):
            return Feedback(self.key, "incorrect", f"expected a finite number; got {answer!r}.")
        token = _bin(value, self.rel_tol, self.abs_tol)
        digest = _digest(self.salt, self.key, token)
        if digest in self.right:
            explanation = _open(self.right[digest], token + self.salt)
            return Feedback(self.key, "correct", f"correct. {explanation}".strip())
        for name, digests, message in self.mistakes:
            if digest in digests:
                return Feedback(self.key, "incorrect", f"not yet. {message}".strip(), mistake=name)
        self._attempts += 1
        return Feedback(self.key, "incorrect", f"not yet. {_rung(self.hints, '', self._attempts)}".strip())


@dataclass
class HashedChoiceCheck:
    """A single-choice practice check that holds the digest of the right letter."""

    key: str
    salt: str
    right: str
    sealed: str
    options: Sequence[str]
    feedback: dict  # digest of a wrong letter -> message
    hints: Sequence[str] = ()
    _attempts: int = field(default=0, init=False, repr=False, compare=False)

    def __call__(self, answer: Any):
        from .exercises import _MISSING, Feedback, _rung

        if answer is None or answer is Ellipsis:
            return Feedback(self.key, "missing", _MISSING.replace("your answer", "your choice"))
        text = str(answer).strip().lower()
        if len(text) == 3 and text[0] == "(" and text[2] == ")":
            text = text[1]
        if self.options and text not in [o.lower() for o in self.options]:
            return Feedback(self.key, "incorrect", f"choose one of {', '.join(self.options)}; got {answer!r}.")
        digest = _digest(self.salt, self.key, text)
        if digest == self.right:
            return Feedback(self.key, "correct", f"correct. {_open(self.sealed, text + self.salt)}".strip())
        if digest in self.feedback:
            return Feedback(self.key, "incorrect", f"not yet. {self.feedback[digest]}".strip(), mistake=text)
        self._attempts += 1
        return Feedback(self.key, "incorrect", f"not yet. {_rung(self.hints, '', self._attempts)}".strip())


def targets_of(registry: dict, salt: str) -> dict:
    """The hashed targets of every check in ``registry`` (``ketacourse.exercises._REGISTRY``)."""
    from .exercises import ChoiceCheck, NumericCheck

    out = {"salt": salt, "checks": {}}
    for key, item in sorted(registry.items()):
        hints = [h for h in getattr(item, "hints", ()) if h] or ([item.hint] if getattr(item, "hint", "") else [])
        if isinstance(item, NumericCheck):
            expected = float(item.expected())
            rel, abs_ = float(item.rel_tol), float(item.abs_tol)
            right = {_digest(salt, key, t): _seal(item.explanation, t + salt) for t in _bins_around(expected, rel, abs_)}
            mistakes = []
            for m in item.mistakes:
                wrong = float(m.value())
                if math.isfinite(wrong) and not item.is_close(wrong, expected):
                    digests = [_digest(salt, key, t) for t in _bins_around(wrong, rel, abs_)]
                    mistakes.append([m.name, [d for d in digests if d not in right], m.message])
            out["checks"][key] = {"kind": "numeric", "rel_tol": rel, "abs_tol": abs_, "unit": item.unit,
                                  "hints": hints, "right": right, "mistakes": mistakes}
        elif isinstance(item, ChoiceCheck):
            letter = item.answer.lower()
            out["checks"][key] = {"kind": "choice", "options": list(item.options), "hints": hints,
                                  "right": _digest(salt, key, letter), "sealed": _seal(item.explanation, letter + salt),
                                  "feedback": {_digest(salt, key, k.lower()): v for k, v in item.feedback.items()}}
    return out


def load_targets(data: dict) -> dict:
    """Check objects from :func:`targets_of`'s output."""
    salt, out = data["salt"], {}
    for key, c in data["checks"].items():
        if c["kind"] == "numeric":
            out[key] = HashedNumericCheck(key, salt, c["rel_tol"], c["abs_tol"], c["right"],
                                          [(n, set(d), m) for n, d, m in c["mistakes"]], c["unit"], c["hints"])
        else:
            out[key] = HashedChoiceCheck(key, salt, c["right"], c["sealed"], c["options"], c["feedback"], c["hints"])
    return out


def read_targets(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return load_targets(json.load(fh))
