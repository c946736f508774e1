"""Small Lab findings of the browser review (review-browser-turn3.md, items B and 8-9), held by tests.

- A control that has no effect in the current state is disabled and says why in its label (it
  never moves silently): TrialSimulator's "Patients guessing their arm" while the expectancy boost
  is 0, ResponseTimeCourse's "Course length (weeks)" with one infusion. Both come back when they
  matter.
- HypothesisDiagram's toggle buttons are narrower than their labels: each carries its full label
  as a tooltip.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from ketacourse.widgets.depression import HypothesisDiagram, ResponseTimeCourse  # noqa: E402
from ketacourse.widgets.evidence import TrialSimulator  # noqa: E402


def test_guessing_control_is_disabled_with_its_reason_until_expectancy_matters():
    w = TrialSimulator()
    guess = w.controls["guess_correct"]
    label = "Patients guessing their arm (hypothetical)"
    assert w.controls["expectancy_d"].value == 0
    assert guess.disabled and guess.description.startswith(label) and "expectancy boost is 0" in guess.description
    w.controls["expectancy_d"].value = 0.3
    assert not guess.disabled and guess.description == label
    w.controls["expectancy_d"].value = 0.0
    assert guess.disabled


def test_course_length_is_disabled_for_one_infusion_only():
    w = ResponseTimeCourse()
    weeks, schedule = w.controls["weeks"], w.controls["schedule"]
    assert schedule.value == "single"
    assert weeks.disabled and "only for repeated infusions" in weeks.description
    for value in ("twice", "thrice"):
        schedule.value = value
        assert not weeks.disabled and weeks.description == "Course length (weeks)"
    schedule.value = "single"
    assert weeks.disabled


def test_hypothesis_toggles_carry_their_full_label_as_tooltip():
    toggles = HypothesisDiagram().controls["hypothesis"]
    labels = [label for label, _value in toggles.options]
    assert len(labels) == 6 and list(toggles.tooltips) == labels
