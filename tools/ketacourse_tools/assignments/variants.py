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
    overrides = "".join(f"{k} = {v!r}\n" for k, v in constants.items())
    first_def = re.search(r"^(def |@|register\()", src, re.MULTILINE)
    src = src[: first_def.start()] + overrides + src[first_def.start():]
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
