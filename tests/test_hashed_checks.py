"""The student release's practice checks (hashed targets, ``ketacourse.hashed_checks``) give the
same verdicts as the course's own checks for every registered exercise: right within tolerance,
the named mistake for each mistake's value, a hint for a far-off value, the right letter right;
and the targets file holds neither an expected value nor an explanation in the clear."""

from __future__ import annotations

import json
import math
import re

from ketacourse import exercises
from ketacourse.hashed_checks import load_targets, targets_of


def test_every_check_gives_the_same_verdicts_from_hashed_targets():
    exercises.registered()
    registry = {k: exercises.get(k) for k in exercises.registered()
                if type(exercises.get(k)).__module__ == "ketacourse.exercises"}
    data = targets_of(registry, "test-salt")
    text = json.dumps(data)
    hashed = load_targets(json.loads(text))
    assert set(hashed) == set(registry)
    for key, item in registry.items():
        h = hashed[key]
        if isinstance(item, exercises.NumericCheck):
            expected = float(item.expected())
            for factor in (1.0, 1 + 0.8 * item.rel_tol, 1 - 0.8 * item.rel_tol):
                value = expected * factor if not item.abs_tol else expected + (factor - 1) / item.rel_tol * item.abs_tol \
                    if item.rel_tol else expected
                assert h(value).status == "correct", (key, value)
            far = expected * 3 + 7
            assert h(far).status == "incorrect" and h(far).mistake is None or item.diagnose(far) is not None
            for m in item.mistakes:
                wrong = float(m.value())
                if math.isfinite(wrong) and not item.is_close(wrong, expected) and item.diagnose(wrong) is m:
                    assert h(wrong).mistake in {x.name for x in item.mistakes}, (key, m.name)
            own = re.sub(r"[0-9a-f]{40,}", "", json.dumps(data["checks"][key]))  # digests and sealed texts aside
            assert not re.search(rf"(?<![\d.]){re.escape(f'{expected:.6g}')}(?![\d])", own), key
            if len(item.explanation) > 30:
                assert item.explanation[:30] not in text
            assert h(None).status == "missing" and h(True).status == "incorrect"
        else:
            assert h(item.answer).status == "correct" and h(f"({item.answer})").status == "correct"
            wrong = next(o for o in item.options if o.lower() != item.answer.lower())
            assert h(wrong).status == "incorrect"
            if wrong in item.feedback:
                assert item.feedback[wrong] in h(wrong).message


def test_targets_of_reads_checks_by_their_public_kind_and_refuses_others():
    """``hashed_checks`` does not import the exercise engine (no cycle): it reads a check by its
    public ``kind``, and a check of another kind is an error, not silently left out of the release."""
    import pytest

    key = exercises.registered()[0]
    item = exercises.get(key)
    assert item.kind in ("numeric", "choice")
    assert set(targets_of({key: item}, "s")["checks"]) == {key}

    class Other:
        kind = "essay"

    with pytest.raises(ValueError, match="kind 'numeric' or 'choice'"):
        targets_of({"x": Other()}, "s")
