"""Exercise checks (immediate feedback) and self-check questions."""

from __future__ import annotations

import html
import math
import re
import tomllib
from pathlib import Path

import nbformat
import pytest

from ketacourse import exercises
from ketacourse.exercises import ChoiceCheck, Feedback, NumericCheck, SelfCheck, check, register, registered

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
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
    item = exercises.get(key)
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
    assert exercises.get("zz-test-dup") is item
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


def test_a_check_loads_only_its_own_chapters_check_modules():
    """A notebook's first ``check`` imports its chapter's check modules, not every chapter's (a new
    process: this one has them all); an unknown key, even one that looks like a chapter's, still
    names every registered key."""
    import pkgutil
    import subprocess
    import sys

    import ketacourse.checks

    code = ("import sys\nfrom ketacourse.exercises import check, get\n"
            "assert check('ch2-half-life', None).status == 'missing'\n"
            "print(sorted(m for m in sys.modules if m.startswith('ketacourse.checks.')))\n"
            "try:\n    get('ch2-no-such-check')\nexcept ValueError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    own = sorted(f"ketacourse.checks.{m.name}" for m in pkgutil.iter_modules(ketacourse.checks.__path__)
                 if m.name.startswith("ch02_"))
    assert own and out[0] == repr(own)
    assert out[1].startswith("key must be one of ") and out[1].endswith("; got 'ch2-no-such-check'")
    for key in KEYS:
        assert repr(key) in out[1]


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
    assert item("b").correct and item(" B ").correct and item("(b)").correct
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


def test_selfcheck_bundle_is_static_html_with_one_details_per_option_and_no_script():
    sc = SelfCheck("Which ion blocks the pore at rest?", ["Na+", "Mg2+", "Cl-"], 1, "Mg2+ <blocks> at -60 mV.",
                   feedback=["Na+ carries the current.", "", "Cl- does not enter a cation pore."])
    bundle = sc._repr_mimebundle_()
    assert {"text/html", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(bundle)
    text = bundle["text/html"]
    assert text.count("<details") == 3 and text.count("<summary>") == 3, "one fold per option"
    assert "<script" not in text.lower() and "http" not in text
    assert "Show the answer" not in text
    assert "&lt;blocks&gt;" in text, "user text is escaped"
    # Outside the folds (what a reader sees before opening anything) there is no verdict and no explanation.
    closed = re.sub(r"<details.*?<summary>(.*?)</summary>.*?</details>", r"\1", text, flags=re.DOTALL)
    for leak in ("Correct", "Not quite", "&lt;blocks&gt;", "carries the current"):
        assert leak not in closed, leak
    for letter, option in zip("abc", ["Na+", "Mg2+", "Cl-"]):
        assert f"<summary>({letter}) {html.escape(option)}</summary>" in text
    # Each fold holds only its own option's feedback; the explanation sits only in the right option's fold.
    folds = re.findall(r"<details.*?</details>", text, flags=re.DOTALL)
    assert "Not quite" in folds[0] and "carries the current" in folds[0] and "&lt;blocks&gt;" not in folds[0]
    assert "Correct." in folds[1] and "&lt;blocks&gt;" in folds[1]
    assert "Not quite" in folds[2] and "cation pore" in folds[2] and "&lt;blocks&gt;" not in folds[2]
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


# ----------------------------------------------------------------------------- escalating hints, blanks
def test_hints_escalate_and_the_last_one_repeats():
    item = NumericCheck("zz-ladder", lambda: 10.0, hints=("Concept.", "Procedure.", "Code."))
    messages = [item(99.0).message for _ in range(4)]
    assert messages == ["not yet. Hint 1 of 3: Concept.", "not yet. Hint 2 of 3: Procedure.",
                        "not yet. Hint 3 of 3: Code.", "not yet. Hint 3 of 3: Code."]
    choice = ChoiceCheck("zz-ladder-c", "a", ("a", "b"), hints=("Think.", "Run it."))
    assert choice("b").message.endswith("Hint 1 of 2: Think.") and choice("b").message.endswith("Hint 2 of 2: Run it.")


def test_a_blank_left_in_a_scaffolded_stub_is_no_answer_yet():
    assert NumericCheck("zz-blank", lambda: 1.0)(...).status == "missing"
    assert ChoiceCheck("zz-blank-c", "a", ("a", "b"))(...).status == "missing"
    for key in KEYS:
        assert check(key, ...).status == "missing"


# ----------------------------------------------------------------------------- misconception feedback
def _effective_mistakes(item):
    """Named mistakes that can be told apart from the answer and from every earlier mistake."""
    exp = float(item.expected())
    seen, out = [exp], []
    for m in item.mistakes:
        v = float(m.value())
        if all(not item.is_close(v, s) and not item.is_close(s, v) for s in seen):
            out.append((m, v))
        seen.append(v)
    return out


NUMERIC = [k for k in KEYS if isinstance(exercises.get(k), NumericCheck)]
CHOICE = [k for k in KEYS if isinstance(exercises.get(k), ChoiceCheck)]


@pytest.mark.parametrize("key", NUMERIC or [NO_CHECKS])
def test_every_named_mistake_gets_its_own_message(key):
    """Each likely wrong answer, computed with the model, is recognised and answered with its own message,
    which never contains the expected value."""
    assert key != NO_CHECKS, NO_CHECKS
    item = exercises.get(key)
    effective = _effective_mistakes(item)
    assert len(item.mistakes) >= 2, f"{key}: name at least two likely wrong answers"
    assert len(effective) == len(item.mistakes), (
        f"{key}: mistakes {[m.name for m in item.mistakes if m not in dict(effective)]} coincide with the answer "
        "or with an earlier mistake, so their message can never be shown")
    messages = set()
    shown = f"{float(item.expected()):.3g}"
    for m, v in effective:
        fb = check(key, v)
        assert fb.status == "incorrect" and fb.mistake == m.name, (m.name, v, fb)
        assert m.message in fb.message
        assert shown not in fb.message, f"{key}/{m.name}: the message gives the answer away"
        messages.add(m.message)
    assert len(messages) == len(effective), f"{key}: two mistakes share a message"


@pytest.mark.parametrize("key", CHOICE or [NO_CHECKS])
def test_every_wrong_option_gets_its_own_message(key):
    assert key != NO_CHECKS, NO_CHECKS
    item = exercises.get(key)
    wrong = [o for o in item.options if o.lower() != item.answer.lower()]
    assert wrong and set(wrong) == {k.lower() for k in item.feedback}, f"{key}: feedback for every wrong option"
    assert len(set(item.feedback.values())) == len(wrong)
    for option in wrong:
        fb = check(key, option)
        assert fb.mistake == option and item.feedback[option] in fb.message


def test_one_tolerance_per_chapter_as_its_text_states():
    """Each chapter uses one tolerance for all its checks, the one its text promises ("within 2%"), and an
    answer given to three significant figures always passes."""
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        chapter = int(path.name[:2])
        keys = [k for k in NUMERIC if k.startswith(f"ch{chapter}-")]
        if not keys:
            continue
        tols = {exercises.get(k).rel_tol for k in keys}
        assert len(tols) == 1, f"chapter {chapter} mixes tolerances: {sorted(tols)}"
        text = " ".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        stated = re.search(r"within (\d+(?:\.\d+)?)\s*%", text)
        assert stated, f"{path.name}: say in the text how close an answer must be (e.g. 'within 2%')"
        assert float(stated.group(1)) / 100 == pytest.approx(tols.pop()), f"{path.name}: text and checks disagree"
    for key in NUMERIC:
        exp = float(exercises.get(key).expected())
        assert check(key, float(f"{exp:.3g}")).correct, f"{key}: a 3-significant-figure answer must pass"


def test_every_check_has_an_escalating_hint_ladder():
    for key in KEYS:
        hints = exercises.get(key).hints
        assert len(hints) >= 2 and all(hints), f"{key}: give at least two escalating hints"


def _selfcheck_calls():
    """Every self-check of the chapters as (where, fields): literal ``SelfCheck(...)`` calls and
    ``SelfCheck.load(key)`` calls (the fields then come from the package's data)."""
    import ast

    fields = ("question", "options", "answer", "explanation", "feedback")
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or "SelfCheck" not in cell.source:
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "SelfCheck":
                    found = dict(zip(fields, [ast.literal_eval(x) for x in node.args]))
                    found.update({k.arg: ast.literal_eval(k.value) for k in node.keywords})
                    yield f"{path.stem}[{i}]", found
                elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "load" \
                        and getattr(node.func.value, "id", "") == "SelfCheck":
                    key = ast.literal_eval(node.args[0])
                    table = tomllib.loads((ROOT / "src" / "ketacourse" / "data" / "selfchecks"
                                           / f"{key.rsplit('-', 1)[0]}.toml").read_text("utf-8"))
                    yield f"{path.stem}[{i}]", next(e for e in table["selfcheck"] if e["id"] == key)


def test_every_selfcheck_in_the_chapters_has_feedback_for_each_wrong_option():
    calls = list(_selfcheck_calls())
    assert calls, "no SelfCheck in the chapters"
    for where, sc in calls:
        assert "feedback" in sc, f"{where}: SelfCheck needs feedback=[one message per option]"
        options, answer, feedback = sc["options"], sc["answer"], sc["feedback"]
        assert len(feedback) == len(options), where
        assert all(f for i, f in enumerate(feedback) if i != answer), f"{where}: a wrong option has no message"
