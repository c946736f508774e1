"""Exercise checks for Chapter 5, "Ketamine as a research tool".

Every expected value, and every named mistake, is computed from the package functions the chapter
teaches (:mod:`ketacourse.translation`, :mod:`ketacourse.pk.tci`,
:mod:`ketacourse.circuits.ei_network`), so a change to a sourced value moves them with it.

Each exercise asks for a new case (a dose, weight, concentration or time the chapter does not print),
every check uses the chapter's one tolerance, 2% (stated in the chapter: "answers within 2% pass"), and
each gives escalating hints: the concept, then the procedure, then the calls to make.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .. import pk, translation
from ..circuits import ei_network as ei
from ..exercises import ChoiceCheck, Mistake, NumericCheck, register
from ..pk.tci import tci

__all__: list[str] = []

REL_TOL = 0.02
"""The chapter's one tolerance: an answer to three significant figures is always accepted."""

# ----------------------------------------------------------------------------- species translation
_RAT_DOSE = 15.0  # mg/kg, the new case in the exercise


def _rat_hed() -> float:
    return float(translation.human_equivalent_dose_mg_per_kg(_RAT_DOSE, "rat"))


register(
    NumericCheck(
        key="ch5-rat-hed",
        expected=_rat_hed,
        unit="mg/kg",
        rel_tol=REL_TOL,
        hints=(
            "Body-surface-area scaling equates doses per m² of body surface, not per kg: a small animal, with "
            "more surface per kg, needs more mg/kg for the same mg/m².",
            "Type the rat dose into the cell: it prints the dose in mg/m² (mg/kg × the rat's Km). A human with the "
            "same mg/m² gets mg/m² ÷ the human Km, in mg/kg.",
            f"In the cell: rat_dose_mg_per_kg = {_RAT_DOSE:g}, then answer_rat_hed_mg_per_kg = (the printed mg/m²) / "
            "(the human Km). The calls: translation.km_factor('rat'), translation.km_factor('human'); "
            f"translation.human_equivalent_dose_mg_per_kg({_RAT_DOSE:g}, 'rat') does the whole conversion.",
        ),
        explanation=(
            "Body-surface-area scaling divides a rat's mg/kg dose by about 6. It says nothing about the "
            "concentration the rat reached, only about the dose a human would tolerate on the same mg/m² basis."
        ),
        mistakes=[
            # The inverted ratio (dose × 37/6) and the dose in mg/m² (dose × 6) lie within the 2 % tolerance of each
            # other, so one mistake, at their midpoint, names both.
            Mistake("ratio-inverted-or-mg-per-m2",
                    lambda: 0.5 * (_RAT_DOSE * translation.km_factor("human") / translation.km_factor("rat")
                                   + _RAT_DOSE * translation.km_factor("rat")),
                    "Far too large: either that is the dose in mg/m² of body surface, not yet turned back into a human "
                    "mg/kg (divide it by the human Km), or the Km ratio is upside down (a human's Km is the larger, so "
                    "the human mg/kg dose is the smaller)."),
            Mistake("mouse-km", lambda: float(translation.human_equivalent_dose_mg_per_kg(_RAT_DOSE, "mouse")),
                    "That is the mouse factor (Km 3, divide by 12.3). A rat's Km is 6."),
            Mistake("copied-mg-per-kg", lambda: _RAT_DOSE,
                    "That copies the mg/kg dose unchanged; the exercise asks for body-surface-area scaling."),
        ],
    )
)

# ----------------------------------------------------------------------------- target-controlled infusion
_TCI = dict(model="clements1981", target=150.0, minutes=60.0, weight=80.0)


def _tci_dose() -> float:
    res = tci(_TCI["model"], _TCI["target"], _TCI["minutes"], _TCI["weight"])
    return res.total_dose_mg()


def _loading_only() -> float:
    p = pk.get_model(_TCI["model"]).typical_parameters(_TCI["weight"])
    return _TCI["target"] / 1000.0 * p["v1"]


def _maintenance_only() -> float:
    p = pk.get_model(_TCI["model"]).typical_parameters(_TCI["weight"])
    return _TCI["target"] / 1000.0 * p["cl"] * _TCI["minutes"]


def _domino_dose() -> float:
    return tci("domino1982", _TCI["target"], _TCI["minutes"], _TCI["weight"]).total_dose_mg()


register(
    NumericCheck(
        key="ch5-tci-dose",
        expected=_tci_dose,
        unit="mg",
        rel_tol=REL_TOL,
        hints=(
            "To hold a plasma target the pump must fill the central volume, replace what clearance removes, and "
            "fill the peripheral compartments, which start empty: the total is more than any one of these.",
            "Let the pump compute the schedule: type the weight, target and duration into the cell, then your two hand "
            "estimates, and read what the pump has infused by the end of the hour; do not add up hand formulas.",
            "In the cell: weight_kg = 80, target_ng_ml = 150, minutes = 60, your two estimates; then "
            "answer_tci_dose_mg = the amount infused by 60 min. The call: tci('clements1981', 150, 60, 80)"
            ".total_dose_mg() (model, target in ng/mL, minutes, weight in kg).",
        ),
        explanation=("The pump gives a loading dose that fills the central volume, then a falling rate that replaces "
                     "what is eliminated and what moves into the peripheral compartments; the total is larger than "
                     "either part alone."),
        mistakes=[
            Mistake("loading-only", _loading_only,
                    "That is only the drug needed to fill the central volume (V1 × target); the pump must then keep "
                    "replacing what is eliminated and distributed for an hour."),
            Mistake("clearance-only", _maintenance_only,
                    "That is clearance × target × time, the steady-state maintenance alone: it leaves out the loading "
                    "dose and the drug taken up by the peripheral compartments, which are empty at the start."),
            Mistake("sum-of-hand-estimates", lambda: _loading_only() + _maintenance_only(),
                    "That is the sum of the two hand estimates. The pump gives more: it must also fill the peripheral "
                    "compartments, which start empty. Read the pump's own total."),
            Mistake("wrong-model", _domino_dose,
                    "That is the Domino 1982 answer; the exercise uses the Clements 1981 parameter set."),
        ],
    )
)

# ----------------------------------------------------------------------------- E–I network
_EI = dict(conc=60.0, selectivity=4.0)


def _ei_ratio(ue: float, ui: float) -> float:
    return ei.spectrum(ue, ui).gamma_power / ei.spectrum().gamma_power


def _ei_db() -> float:
    ue, ui = ei.nmda_unblocked_fractions(_EI["conc"], interneuron_selectivity=_EI["selectivity"])
    return 10.0 * math.log10(_ei_ratio(ue, ui))


def _ei_db_equal_block() -> float:
    ue, ui = ei.nmda_unblocked_fractions(_EI["conc"], interneuron_selectivity=1.0)
    return 10.0 * math.log10(_ei_ratio(ue, ui))


def _ei_db_swapped() -> float:
    ue, ui = ei.nmda_unblocked_fractions(_EI["conc"], interneuron_selectivity=_EI["selectivity"])
    return 10.0 * math.log10(_ei_ratio(ui, ue))


register(
    NumericCheck(
        key="ch5-gamma-db",
        expected=_ei_db,
        unit="dB",
        rel_tol=REL_TOL,
        hints=(
            "Decibels compare two powers on a log scale, 10·log10(new / baseline): positive means gamma power rose. "
            "The drug acts through the fraction of NMDA drive left on each population.",
            "Type the concentration and the selectivity into the cell: it prints gamma power as a ratio to baseline. "
            "Decibels are 10 × the base-10 logarithm of that ratio.",
            "In the cell: conc_ng_ml = 60, selectivity = 4, then answer_gamma_db = 10 * np.log10(the printed ratio). "
            "The calls: u_e, u_i = ei.nmda_unblocked_fractions(60, interneuron_selectivity=4); "
            "10 * np.log10(ei.spectrum(u_e, u_i).gamma_power / ei.spectrum().gamma_power).",
        ),
        explanation=("The change is positive only because the block falls more on interneurons. Remember that the model "
                     "is qualitative: the sign and the inverted U are the message, not the number of decibels."),
        mistakes=[
            Mistake("ratio-not-db", lambda: _ei_ratio(*ei.nmda_unblocked_fractions(
                _EI["conc"], interneuron_selectivity=_EI["selectivity"])),
                    "That is the ratio itself; convert it to decibels with 10·log10(ratio)."),
            Mistake("natural-log", lambda: 10.0 * math.log(_ei_ratio(*ei.nmda_unblocked_fractions(
                _EI["conc"], interneuron_selectivity=_EI["selectivity"]))),
                    "You used the natural logarithm (ln). Decibels use the base-10 logarithm: 10·log10(ratio)."),
            Mistake("amplitude-db", lambda: 2.0 * _ei_db(),
                    "20·log10 is for amplitudes; gamma *power* is already a squared quantity, so use 10·log10."),
            Mistake("no-selectivity", _ei_db_equal_block,
                    "That is the answer for equal block on both populations; the exercise gives interneurons a "
                    "four-fold higher sensitivity."),
            Mistake("populations-swapped", _ei_db_swapped,
                    "The two fractions are swapped: spectrum(u_e, u_i) takes the pyramidal fraction first."),
        ],
    )
)

# ----------------------------------------------------------------------------- effect-site lag in the challenge design
_LAG = dict(model="domino1982", minutes_into_step=5.0, step=2)  # step 2 = 150 ng/mL, entered from 100 ng/mL


@lru_cache(maxsize=None)
def _effect_fraction_at(minutes: float, series: str = "effect", step: int | None = None) -> float:
    # cached: the answer and each named mistake call it, and every check (and its diagnosis of a wrong
    # answer) asks again; the pump's schedule and its simulation depend only on these arguments
    step = _LAG["step"] if step is None else step
    targets = [50.0, 100.0, 150.0, 200.0]
    res = tci(_LAG["model"], targets, 30.0, 70.0)
    t = step * 30.0 + minutes
    sim = res.simulate(np.array([t]))
    c = sim.effect_ng_ml[0] if series == "effect" else sim.conc_ng_ml[0]
    return float(c / targets[step])


register(
    NumericCheck(
        key="ch5-effect-lag",
        expected=lambda: _effect_fraction_at(_LAG["minutes_into_step"]),
        unit="(fraction of the step's target)",
        rel_tol=REL_TOL,
        hints=(
            "The pump holds the plasma on target, but the effect site follows the plasma with a first-order lag "
            "(ke0), and it starts from the previous step's plateau, not from zero.",
            "The steps start at 0, 30, 60 and 90 min: type the minute 5 min after the third one starts into the cell, "
            "read the EFFECT-SITE concentration it prints and divide it by that step's target.",
            "In the cell: minute = 65, then answer_effect_fraction = (printed effect site) / 150. The calls: "
            "run = tci('domino1982', [50, 100, 150, 200], 30, 70); run.simulate(np.array([65.0])).effect_ng_ml[0] / 150.",
        ),
        explanation=("The effect site is still catching up 5 min after the target rises, so ratings taken then would "
                     "understate the effect of the new plateau. Waiting 20 min, as Bowdle did, lets it come within about "
                     "a tenth of the target."),
        mistakes=[
            # Plasma (1.0) and Bowdle's VAS time (about 0.96) lie within the 2 % tolerance of each other, so
            # one mistake, at their midpoint, names both.
            Mistake("plasma-or-vas-time",
                    lambda: 0.5 * (_effect_fraction_at(_LAG["minutes_into_step"], "plasma") + _effect_fraction_at(20.0)),
                    "That is either the plasma concentration, which the pump holds on target, or the effect site at "
                    "Bowdle's VAS time (20 min into the step); the question asks about the effect site 5 min into "
                    "the step."),
            Mistake("from-zero", lambda: 1.0 - math.exp(-pk.default_ke0_per_min() * _LAG["minutes_into_step"]),
                    "That treats the effect site as starting from zero; it starts from the previous plateau, 100 ng/mL."),
            Mistake("concentration-not-fraction", lambda: 150.0 * _effect_fraction_at(_LAG["minutes_into_step"]),
                    "That is the effect-site concentration in ng/mL. The question asks for it as a fraction of the "
                    "step's target: divide by 150."),
            Mistake("second-step", lambda: _effect_fraction_at(_LAG["minutes_into_step"], step=1),
                    "That is the second step (100 ng/mL, 5 min after t = 30 min); the question asks about the third "
                    "step, 150 ng/mL, which begins at 60 min."),
        ],
    )
)

# ----------------------------------------------------------------------------- validity of a preclinical test
register(
    ChoiceCheck(
        key="ch5-fst-validity",
        answer="c",
        options=("a", "b", "c", "d"),
        hints=(
            "Face, construct and predictive validity ask different questions: does the test look like the disorder, "
            "share its cause and mechanism, or respond to the treatments that work in people?",
            "Ask what the laboratory has shown: a resemblance, a cause and a mechanism, or a response to drugs? Which of "
            "the three questions does that answer?",
        ),
        explanation=("Giving the animals a plausible cause of the illness (prolonged stress) and showing the mechanism "
                     "believed to follow from it is an argument for construct validity. It is only as strong as the "
                     "belief that the human illness has that cause and mechanism, and it says nothing yet about face "
                     "or predictive validity."),
        feedback={
            "a": "Face validity asks whether the animals' behaviour resembles the human condition; the laboratory argues "
                 "from a shared cause and mechanism, not from appearance.",
            "b": "Predictive validity needs the model to respond to the treatments that work in people, and no drug has "
                 "been tested in it yet.",
            "d": "Validity is not only predictive: an argument from a shared cause and mechanism is a claim to construct "
                 "validity, which can be judged before any drug is tested.",
        },
    )
)
