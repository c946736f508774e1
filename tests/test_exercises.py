"""Exercise checks (immediate feedback) and self-check questions."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import nbformat
import pytest

from ketacourse import exercises
from ketacourse.exercises import ChoiceCheck, Feedback, NumericCheck, SelfCheck, check, register, registered

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
KEYS = registered()
NO_CHECKS = "<no exercise checks registered: ketacourse/checks/ch*.py must register some>"


def _wrong_value(item):
    if isinstance(item, NumericCheck):
        exp = float(item.expected())
        return exp + max(10 * abs(exp), 10 * item.abs_tol, 1.0)
    others = [o for o in item.options if o.lower() != item.answer.lower()]
    return others[0] if others else item.answer + "-not-the-answer"


def _right_value(item):
    return float(item.expected()) if isinstance(item, NumericCheck) else item.answer


@pytest.fixture
def scratch_key():
    """Register throw-away checks under unique keys and remove them afterwards."""
    exercises._load_all()
    added = []

    def add(item):
        register(item)
        added.append(item.key)
        return item

    yield add
    for key in added:
        exercises._REGISTRY.pop(key, None)


# ----------------------------------------------------------------------------- every registered check
@pytest.mark.parametrize("key", KEYS or [NO_CHECKS])
def test_registered_check_gives_all_three_statuses(key):
    assert key != NO_CHECKS, NO_CHECKS
    item = exercises._REGISTRY[key]
    assert item.key == key
    missing = check(key, None)
    assert isinstance(missing, Feedback) and missing.status == "missing" and not missing.correct
    assert "no answer yet" in missing.message
    right = check(key, _right_value(item))
    assert right.status == "correct" and right.correct, right
    wrong = check(key, _wrong_value(item))
    assert wrong.status == "incorrect", wrong
    for junk in ("not a number", [1, 2], {"a": 1}):
        fb = check(key, junk)
        assert fb.status == "incorrect", (junk, fb)
    if isinstance(item, NumericCheck):
        assert check(key, math.nan).status == "incorrect"
        assert check(key, str(_right_value(item))).status == "correct", "a numeric string is read as a number"
        exp = float(item.expected())
        assert math.isfinite(exp)
        shown = f"{exp:.3g}"
        if len(shown.strip("-0.")) > 2:
            assert shown not in wrong.message, "a wrong answer must get a hint, never the answer"
    else:
        assert check(key, _right_value(item).upper()).status == "correct", "choices are case-insensitive"
    for fb in (missing, right, wrong):
        assert fb.key == key and key in repr(fb)


def test_registered_keys_are_unique_and_well_formed():
    assert KEYS, NO_CHECKS
    assert len(KEYS) == len(set(KEYS))
    for key in KEYS:
        assert re.fullmatch(r"ch\d+-[a-z0-9-]+", key), f"check keys look like 'ch1-occupancy'; got {key!r}"


def _keys_used_in_chapters() -> set[str]:
    used = set()
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                used |= set(re.findall(r"\bcheck\(\s*[\"']([^\"']+)[\"']", cell.source))
    return used


def test_every_check_key_used_in_a_chapter_is_registered():
    unknown = _keys_used_in_chapters() - set(KEYS)
    assert not unknown, f"chapter notebooks call check() with unregistered keys: {sorted(unknown)}"


# ----------------------------------------------------------------------------- registry mechanics
def test_duplicate_registration_raises(scratch_key):
    item = scratch_key(NumericCheck("zz-test-dup", lambda: 1.0))
    with pytest.raises(ValueError, match=r"^check key must be unique; 'zz-test-dup' is registered twice"):
        register(NumericCheck("zz-test-dup", lambda: 2.0))
    assert exercises._REGISTRY["zz-test-dup"] is item
    for key in KEYS:
        with pytest.raises(ValueError, match="is registered twice"):
            register(ChoiceCheck(key, "a"))


def test_unknown_key_lists_registered_keys(scratch_key):
    scratch_key(NumericCheck("zz-test-a", lambda: 1.0))
    scratch_key(ChoiceCheck("zz-test-b", "a", ("a", "b")))
    with pytest.raises(ValueError, match=r"^key must be one of .*'zz-test-a', 'zz-test-b'.*; got 'zz-nope'$") as err:
        check("zz-nope", 1.0)
    for key in KEYS:
        assert repr(key) in str(err.value)
    assert "zz-test-a" in registered()


# ----------------------------------------------------------------------------- NumericCheck / ChoiceCheck
def test_numeric_check_tolerances_and_messages():
    item = NumericCheck("zz-num", lambda: 40.0, unit="%", rel_tol=0.05, hint="Use the free fraction.",
                        explanation="Free, not total.")
    assert item(None).status == "missing"
    assert item(40.0).status == "correct" and item(41.9).status == "correct" and item(38.1).status == "correct"
    assert item(42.1).status == "incorrect" and item(37.9).status == "incorrect"
    assert item(40.0).message == "correct. Free, not total."
    assert item(50.0).message == "not yet. Use the free fraction."
    assert item("forty").message == "expected a number (in %); got 'forty'."
    assert item(math.inf).message == "expected a finite number; got inf."
    absolute = NumericCheck("zz-abs", lambda: 0.0, abs_tol=0.01)
    assert absolute(0.009).status == "correct" and absolute(0.011).status == "incorrect"


def test_choice_check():
    item = ChoiceCheck("zz-choice", "b", ("a", "b", "c"), hint="Think of Mg2+.", explanation="Yes.")
    assert item(None).status == "missing"
    assert item("b").correct and item(" B ").correct
    assert item("a").status == "incorrect" and item("a").message == "not yet. Think of Mg2+."
    assert item("d").message == "choose one of a, b, c; got 'd'."
    free = ChoiceCheck("zz-free", "trapping")
    assert free("Trapping").correct and not free("block").correct


def test_feedback_reprs():
    fb = Feedback("ch1-x", "incorrect", "not yet <b>")
    assert repr(fb) == "✗ ch1-x: not yet <b>"
    assert "&lt;b&gt;" in fb._repr_html_() and 'role="status"' in fb._repr_html_()
    assert repr(Feedback("k", "correct", "m")).startswith("✓") and repr(Feedback("k", "missing", "m")).startswith("…")


# ----------------------------------------------------------------------------- SelfCheck
def make_selfcheck():
    return SelfCheck("Which ion blocks the pore at rest?", ["Na+", "Mg2+", "Cl-"], 1, "Mg2+ <blocks> at -60 mV.")


def test_selfcheck_bundle_is_static_html_with_details_and_no_script():
    sc = make_selfcheck()
    bundle = sc._repr_mimebundle_()
    assert {"text/html", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(bundle)
    text = bundle["text/html"]
    assert text.count("<details>") == 1 and "<summary>" in text
    assert "<script" not in text.lower() and "http" not in text
    assert "&lt;blocks&gt;" in text, "user text is escaped"
    hidden = text.split("<details>", 1)[1]
    assert "(b) Mg2+" in hidden, "the answer sits inside the folded <details>"
    for letter, option in zip("abc", ["Na+", "Mg2+", "Cl-"]):
        assert f"({letter}) {html.escape(option)}" in text
    assert bundle["text/plain"] == repr(sc) == "<SelfCheck: Which ion blocks the pore at rest?>"


def test_selfcheck_live_buttons_give_feedback():
    sc = make_selfcheck()
    view = sc.view
    assert sc.view is view
    buttons = [c for c in view.children if c.__class__.__name__ == "Button"]
    feedback = view.children[-1]
    assert [b.description for b in buttons] == ["(a) Na+", "(b) Mg2+", "(c) Cl-"]
    buttons[0].click()
    assert "Not quite" in feedback.value and "blocks" not in feedback.value
    buttons[1].click()
    assert "Correct." in feedback.value and "&lt;blocks&gt;" in feedback.value


@pytest.mark.parametrize(
    ("options", "answer", "msg"),
    [
        (["only one"], 0, r"^options must hold 2 to 8 choices; got 1$"),
        ([str(i) for i in range(9)], 0, r"^options must hold 2 to 8 choices; got 9$"),
        (["a", "b", "c"], 3, r"^answer must be an option index from 0 to 2; got 3$"),
        (["a", "b", "c"], -1, r"^answer must be an option index from 0 to 2; got -1$"),
        (["a", "b", "c"], "b", r"^answer must be an option index from 0 to 2; got 'b'$"),
        (["a", "b", "c"], 1.0, r"^answer must be an option index from 0 to 2; got 1.0$"),
        (["a", "b", "c"], True, r"^answer must be an option index from 0 to 2; got True$"),
    ],
)
def test_selfcheck_bad_arguments(options, answer, msg):
    with pytest.raises(ValueError, match=msg):
        SelfCheck("Q?", options, answer, "because")


# ----------------------------------------------------------------------------- named mistakes
def test_numeric_check_names_the_mistake_it_recognises():
    from ketacourse.exercises import Mistake

    item = NumericCheck(
        "zz-mistake", lambda: 30.4, unit="mg", rel_tol=0.01, hint="Convert salt to base.",
        mistakes=(Mistake("no-conversion", lambda: 35.0, "You kept the salt mass."),
                  Mistake("inverted", lambda: 40.3, "You multiplied by the ratio instead of dividing.")),
    )
    assert item(30.4).correct and item(30.4).mistake is None
    salt = item(35.0)
    assert salt.status == "incorrect" and salt.mistake == "no-conversion" and "kept the salt" in salt.message
    inverted = item(40.3)
    assert inverted.mistake == "inverted" and "multiplied" in inverted.message
    other = item(12.0)
    assert other.mistake is None and "Convert salt to base." in other.message


def test_a_mistake_equal_to_the_answer_is_never_reported():
    from ketacourse.exercises import Mistake

    item = NumericCheck("zz-same", lambda: 10.0, rel_tol=0.05, mistakes=(Mistake("same", lambda: 10.2, "never"),))
    assert item(10.1).correct


def test_choice_check_gives_each_wrong_option_its_own_message():
    item = ChoiceCheck("zz-opt", "b", ("a", "b", "c"), hint="generic", feedback={"a": "That is binding, not block."})
    a = item("A")
    assert a.mistake == "a" and "binding, not block" in a.message
    assert item("c").mistake is None and "generic" in item("c").message


def test_self_check_per_option_feedback():
    sc = SelfCheck("Q?", ["x", "y"], 1, "because", feedback=["x confuses Ki with IC50.", ""])
    ok, msg = sc.respond(0)
    assert not ok and "Ki with IC50" in msg
    ok, msg = sc.respond(1)
    assert ok and "because" in msg
    with pytest.raises(ValueError, match="choice must be an option index from 0 to 1"):
        sc.respond(2)
    with pytest.raises(ValueError, match="feedback must hold one message per option"):
        SelfCheck("Q?", ["x", "y"], 1, "because", feedback=["only one"])
