"""Seeded variants of an assignment: new cases (weight, target, time...) whose answers are computed
from the models when the assignment is built, so the graded values are not those of the practice
checks in the students' installed package.

A chapter declares which of its checks module's *case constants* may vary (:data:`SPECS`): the
allowed values, and the literal texts in the exercise, stub and feedback that name the case. For a
seed, :func:`choose` picks one value per constant; :func:`variant_checks` re-runs the chapter's
checks module with those constants (in a private namespace; the course registry is untouched), so
every expected value and named mistake is recomputed by the same functions; and
:func:`apply_to_notebook` rewrites the exercise texts and stubs. The practice ``check`` cells of
the varied questions are dropped from the student notebook (they would grade the default case);
``grader.check`` and the hidden tests remain.
"""

from __future__ import annotations

import importlib
import inspect
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ketacourse import exercises

__all__ = ["Param", "SPECS", "choose", "variant_checks", "apply_to_notebook", "varied_keys"]

Text = Callable[[dict], str]


@dataclass(frozen=True)
class Param:
    """One case constant of a checks module that a variant may change.

    ``notebook`` and ``module`` hold (literal, replacement) pairs: the literal text as the
    chapter (exercise and stub cells) or the checks module (hints, feedback) writes it, and a
    function of the chosen constants giving the text for the variant.
    """

    constant: str
    values: tuple
    notebook: tuple[tuple[str, Text], ...] = ()
    module: tuple[tuple[str, Text], ...] = field(default=())


def _g(x: float) -> str:
    return f"{x:g}"


SPECS: dict[str, tuple[Param, ...]] = {
    "ketacourse.checks.ch02_pk": (
        Param("SS_WEIGHT_KG", (60.0, 65.0, 75.0, 90.0, 100.0),
              notebook=(("for an **80 kg** adult", lambda c: f"for a **{_g(c['SS_WEIGHT_KG'])} kg** adult"),
                        ("clearance_l_per_h(80)", lambda c: f"clearance_l_per_h({_g(c['SS_WEIGHT_KG'])})"),
                        ("clearance_l_per_h(80.0)  # L/h for 80 kg",
                         lambda c: f"clearance_l_per_h({_g(c['SS_WEIGHT_KG'])})  # L/h for {_g(c['SS_WEIGHT_KG'])} kg")),
              module=(("This patient weighs 80 kg", lambda c: f"This patient weighs {_g(c['SS_WEIGHT_KG'])} kg"),
                      ("for an 80 kg adult", lambda c: f"for a {_g(c['SS_WEIGHT_KG'])} kg adult"))),
        Param("SS_TARGET_NG_ML", (80.0, 105.0, 200.0, 250.0, 300.0),  # no weight x target within 5 % of 80 kg x 140
              notebook=(("at **140 ng/mL**", lambda c: f"at **{_g(c['SS_TARGET_NG_ML'])} ng/mL**"),
                        ("# 140 ng/mL in mg/L", lambda c: f"# {_g(c['SS_TARGET_NG_ML'])} ng/mL in mg/L"))),
        Param("AFTER_INFUSION_MIN", (15.0, 20.0, 45.0, 60.0),
              notebook=(("**30 minutes after the infusion stops**",
                         lambda c: f"**{_g(c['AFTER_INFUSION_MIN'])} minutes after the infusion stops**"),),
              module=(("The question asks for 30 ",
                       lambda c: f"The question asks for {_g(c['AFTER_INFUSION_MIN'])} "),
                      ("You read the curve at 30 min after the start",
                       lambda c: f"You read the curve at {_g(c['AFTER_INFUSION_MIN'])} min after the start"))),
        Param("SALT_WEIGHT_KG", (60.0, 65.0, 75.0, 90.0),
              notebook=(("for an 80 kg participant", lambda c: f"for a {_g(c['SALT_WEIGHT_KG'])} kg participant"),
                        ("dose_number_mg = 0.5 * 80.0", lambda c: f"dose_number_mg = 0.5 * {_g(c['SALT_WEIGHT_KG'])}")),
              module=(("this participant weighs 80 kg",
                       lambda c: f"this participant weighs {_g(c['SALT_WEIGHT_KG'])} kg"),
                      ("how much salt holds 40 mg of base, minus 40",
                       lambda c: f"how much salt holds {_g(0.5 * c['SALT_WEIGHT_KG'])} mg of base, minus "
                                 f"{_g(0.5 * c['SALT_WEIGHT_KG'])}"))),
    ),
    "ketacourse.checks.ch01_nmda": (
        Param("NORKETAMINE_NG_ML", (50.0, 150.0, 200.0, 250.0),
              notebook=(("contains 100 ng/mL of **norketamine**",
                         lambda c: f"contains {_g(c['NORKETAMINE_NG_ML'])} ng/mL of **norketamine**"),
                        ("# 100 ng/mL in µg/L", lambda c: f"# {_g(c['NORKETAMINE_NG_ML'])} ng/mL in µg/L"))),
    ),
    "ketacourse.checks.ch02_dose_response": (
        Param("RACEMIC_CONC_NG_ML", (400.0, 600.0, 800.0, 1300.0),
              notebook=(("**1000 ng/mL** slows the EEG", lambda c: f"**{_g(c['RACEMIC_CONC_NG_ML'])} ng/mL** slows the EEG"),),
              module=(("gives at 1000 ng/mL", lambda c: f"gives at {_g(c['RACEMIC_CONC_NG_ML'])} ng/mL"),
                      ("effect(1000)", lambda c: f"effect({_g(c['RACEMIC_CONC_NG_ML'])})"))),
    ),
    "ketacourse.checks.ch03_depression": (
        Param("_NEW_TRIAL", ((25, 40, 8, 38), (18, 40, 8, 38), (22, 40, 12, 40), (30, 45, 12, 44), (19, 42, 4, 40)),
              notebook=(("in 21 of 40\npatients given ketamine and 8 of 38 given midazolam",
                         lambda c: "in {} of {}\npatients given ketamine and {} of {} given midazolam".format(
                             *c["_NEW_TRIAL"])),),
              module=(("ev.nnt(21, 40, 8, 38)", lambda c: "ev.nnt({}, {}, {}, {})".format(*c["_NEW_TRIAL"])),)),
    ),
    "ketacourse.checks.ch04_pain": (
        Param("PLATEAU_NG_ML", (50.0, 70.0, 130.0, 150.0),
              notebook=(("exactly **100 ng/mL** from the start of",
                         lambda c: f"exactly **{_g(c['PLATEAU_NG_ML'])} ng/mL** from the start of"),)),
    ),
    "ketacourse.checks.ch05_research": (
        Param("_RAT_DOSE", (10.0, 20.0, 25.0, 30.0),
              notebook=(("gave rats **15 mg/kg** of ketamine",
                         lambda c: f"gave rats **{_g(c['_RAT_DOSE'])} mg/kg** of ketamine"),)),
    ),
    "ketacourse.checks.ch06_safety": (
        Param("CLINIC_PATIENTS", (80, 150, 200, 250),
              notebook=(("A clinic starts **120** patients", lambda c: f"A clinic starts **{c['CLINIC_PATIENTS']}** patients"),),
              module=(("multiply by 120.", lambda c: f"multiply by {c['CLINIC_PATIENTS']}."),
                      ("then 120 * (", lambda c: f"then {c['CLINIC_PATIENTS']} * ("),
                      ("extra cases among 120 patients", lambda c: f"extra cases among {c['CLINIC_PATIENTS']} patients"))),
    ),
    "ketacourse.checks.ch07_future": (
        Param("_COUNTS", ((22, 40, 7, 40), (15, 40, 5, 40), (20, 38, 9, 42), (25, 45, 8, 44)),
              notebook=(("in 18 of 40 patients given ketamine and 7 of 40 given midazolam",
                         lambda c: "in {} of {} patients given ketamine and {} of {} given midazolam".format(
                             *c["_COUNTS"])),),
              module=(("ev.odds_ratio(18, 40, 7, 40)", lambda c: "ev.odds_ratio({}, {}, {}, {})".format(*c["_COUNTS"])),)),
        Param("_ARK_NG_ML", (80.0, 100.0, 250.0, 300.0),
              notebook=(("concentration of 150 ng/mL at the end of its",
                         lambda c: f"concentration of {_g(c['_ARK_NG_ML'])} ng/mL at the end of its"),)),
    ),
}
"""Variable case constants per checks module (chapters without an entry have no variants)."""


def choose(module: str, seed: int) -> dict[str, float]:
    """One value per variable constant of ``module`` for ``seed`` (reproducible)."""
    rng = random.Random(f"{module}:{seed}")
    return {p.constant: rng.choice(p.values) for p in SPECS.get(module, ())}


def variant_checks(module: str, constants: dict[str, float]) -> dict[str, exercises.NumericCheck | exercises.ChoiceCheck]:
    """The checks of ``module`` recomputed with ``constants`` (a private copy; the registry is untouched)."""
    mod = importlib.import_module(module)
    src = inspect.getsource(mod)
    for p in SPECS.get(module, ()):
        if p.constant in constants:
            for literal, text in p.module:
                if literal not in src:
                    raise ValueError(f"variant text {literal!r} is no longer in {module}; update SPECS")
                src = src.replace(literal, text(constants))
    own = {p.constant for p in SPECS.get(module, ())}
    for name, value in ((k, v) for k, v in constants.items() if k in own):
        line = re.compile(rf"^{re.escape(name)}\s*(?::[^=\n]*)?=[^\n]*$", re.MULTILINE)
        hits = line.findall(src)
        if len(hits) == 1 and hits[0].count("(") == hits[0].count(")") and hits[0].count("[") == hits[0].count("]"):
            src = line.sub(f"{name} = {value!r}", src)
        else:  # assigned with others on one line (``A, B = 1, 2``): override after that line
            multi = re.compile(rf"^(?:\w+\s*,\s*)*{re.escape(name)}(?:\s*,\s*\w+)*\s*=[^\n]*$", re.MULTILINE)
            if len(multi.findall(src)) != 1:
                raise ValueError(f"variant constant {name} must be assigned once at the top of {module}; update SPECS")
            src = multi.sub(lambda m: m.group(0) + f"\n{name} = {value!r}", src)
    found: dict = {}
    original = exercises.register
    exercises.register = lambda item: found.setdefault(item.key, item)
    try:
        namespace = {"__name__": f"{module}_variant", "__package__": mod.__package__}
        exec(compile(src, f"<variant of {module}>", "exec"), namespace)
    finally:
        exercises.register = original
    return found


def varied_keys(module: str, constants: dict[str, float]) -> set[str]:
    """Keys whose expected answer differs from the practice check's under ``constants``."""
    exercises.registered()
    variant = variant_checks(module, constants)
    out = set()
    for key, item in variant.items():
        base = exercises.get(key)
        if isinstance(item, exercises.NumericCheck):
            if not base.is_close(float(item.expected()), float(base.expected())):
                out.add(key)
    return out


def apply_to_notebook(nb, module: str, constants: dict[str, float]) -> list[str]:
    """Rewrite, in place, the notebook texts that name the varied cases. Returns the literals
    that were found (each must be found at least once)."""
    used = []
    for p in SPECS.get(module, ()):
        if p.constant not in constants:
            continue
        for literal, text in p.notebook:
            hit = False
            for cell in nb.cells:
                if literal in cell.source:
                    cell.source = cell.source.replace(literal, text(constants))
                    hit = True
                stub = cell.get("metadata", {}).get("ketacourse", {}).get("stub")
                if stub and literal in stub:
                    cell.metadata["ketacourse"]["stub"] = stub.replace(literal, text(constants))
                    hit = True
            if not hit:
                raise ValueError(f"variant text {literal!r} is no longer in the notebook; update SPECS")
            used.append(literal)
    return used


_OPTION = re.compile(r"^(\s*[-*]\s*)\(([a-h])\)\s")


def _option_blocks(text: str) -> tuple[list[str], list[tuple[str, list[str]]], list[str]] | None:
    """Split an exercise text into (lines before, [(letter, option lines)], lines after)."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if _OPTION.match(ln)), None)
    if start is None:
        return None
    blocks: list[tuple[str, list[str]]] = []
    i = start
    while i < len(lines):
        m = _OPTION.match(lines[i])
        if m:
            blocks.append((m.group(2), [lines[i]]))
        elif blocks and lines[i].startswith("  ") and lines[i].strip():
            blocks[-1][1].append(lines[i])
        else:
            break
        i += 1
    return lines[:start], blocks, lines[i:]


def shuffle_choice(nb, item: exercises.ChoiceCheck, rng: random.Random) -> exercises.ChoiceCheck:
    """Shuffle, in place, the options of the exercise whose check cell grades ``item`` (the
    "- (a) ..." list in the exercise text just before it), so that the right option gets a
    different letter from the practice check's; returns the check with the new letters (answer
    and per-option feedback moved with their options).

    Raises
    ------
    ValueError
        If the exercise text has no option list matching the check's options.
    """
    import dataclasses

    check_at = next((i for i, c in enumerate(nb.cells)
                     if c.cell_type == "code" and re.search(rf'check\(\s*"{re.escape(item.key)}"', c.source)), None)
    if check_at is None:
        raise ValueError(f"choice question {item.key} has no check cell in the notebook; update variants")
    for j in range(check_at - 1, -1, -1):
        cell = nb.cells[j]
        if cell.cell_type != "markdown" or "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        split = _option_blocks(cell.source)
        if split is None:
            continue
        before, blocks, after = split
        letters = [b[0] for b in blocks]
        if sorted(o.lower() for o in item.options) != letters:
            raise ValueError(f"choice question {item.key}: the exercise lists options {letters}, the check "
                             f"{list(item.options)}; update the chapter or the check")
        old_answer = item.answer.lower()
        order = letters[:]
        while order[letters.index(old_answer)] == old_answer or order == letters:
            rng.shuffle(order)  # order[new position] = old letter
        new_of = {old: letters[pos] for pos, old in enumerate(order)}
        text = {b[0]: b[1] for b in blocks}
        lines = []
        for pos, old in enumerate(order):
            first, *rest = text[old]
            m = _OPTION.match(first)
            lines.append(f"{m.group(1)}({letters[pos]}) " + first[m.end():])
            lines += rest
        cell.source = "\n".join(before + lines + after)
        return dataclasses.replace(item, answer=new_of[old_answer],
                                   feedback={new_of[k.lower()]: v for k, v in item.feedback.items()})
    raise ValueError(f"choice question {item.key} has no option list '- (a) ...' before its check; update variants")
