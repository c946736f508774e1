"""Chapter 5 exercise checks: right answers pass, each named mistake is recognised by name, and the
expected values follow from the models (not typed in)."""

from __future__ import annotations

import math

import pytest

from ketacourse import translation
from ketacourse.exercises import check, get, registered

registered()  # load every chapter's checks before the parameter lists below read the registry
NUMERIC = ["ch5-rat-hed", "ch5-tci-dose", "ch5-gamma-db", "ch5-effect-lag"]


def test_chapter_5_checks_are_registered():
    assert set(NUMERIC) | {"ch5-fst-validity"} <= set(registered())


@pytest.mark.parametrize("key", NUMERIC)
def test_expected_value_passes_and_missing_answer_is_reported(key):
    item = get(key)
    assert check(key, item.expected()).correct
    assert check(key, None).status == "missing"


@pytest.mark.parametrize(("key", "name"), [(k, m.name) for k in NUMERIC for m in get(k).mistakes])
def test_each_named_mistake_is_recognised(key, name):
    item = get(key)
    mistake = next(m for m in item.mistakes if m.name == name)
    fb = check(key, mistake.value())
    assert fb.status == "incorrect" and fb.mistake == name, fb
    assert f"{item.expected():.3g}" not in fb.message, "feedback never reveals the answer"


def test_rat_hed_is_the_km_ratio():
    assert get("ch5-rat-hed").expected() == pytest.approx(15.0 * 6.0 / 37.0)
    assert get("ch5-rat-hed").expected() == pytest.approx(translation.human_equivalent_dose_mg_per_kg(15, "rat"))


def test_effect_lag_answer_is_between_the_from_zero_and_plasma_answers():
    e = get("ch5-effect-lag").expected()
    assert 1 - math.exp(-math.log(2) / 6.1 * 5) < e < 1.0


def test_choice_check_feedback_names_the_misconception():
    assert check("ch5-fst-validity", "c").correct
    for wrong in "abd":
        fb = check("ch5-fst-validity", wrong)
        assert fb.status == "incorrect" and fb.mistake == wrong and "validity" in fb.message.lower()
