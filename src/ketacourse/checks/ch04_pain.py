"""Exercise checks for Chapter 4, "Ketamine and pain".

Every expected value, and every named mistake, is computed from the package models the chapter
teaches (:mod:`ketacourse.circuits.windup`, :mod:`ketacourse.pd.analgesia`, :mod:`ketacourse.pk`,
:mod:`ketacourse.evidence`), so a change to a sourced constant moves the answers with it.
"""

from __future__ import annotations

import math
from functools import lru_cache

from .. import pk
from ..circuits import windup
from ..evidence import load_trials
from ..exercises import ChoiceCheck, Mistake, NumericCheck, register
from ..pd import analgesia
from ..pk.routes import route_set

__all__: list[str] = []

REL_TOL = 0.02
"""The chapter's one tolerance, stated in its text ("answers within 2% pass"): an answer to three significant
figures is always accepted."""

# ---------------------------------------------------------------- wind-up at a new concentration
WINDUP_KETAMINE_UM = 3.0
"""Free ketamine (µM) for the wind-up exercise: deliberately not a value on the widget's slider."""


@lru_cache(maxsize=1)
def _windup_counts() -> tuple[int, ...]:
    r = windup.simulate_train(1.0, ketamine_um=WINDUP_KETAMINE_UM, mg_mm=1.0)
    return tuple(int(x) for x in r.spikes_per_stimulus[0])


def _windup_extra() -> float:
    return float(windup.windup_count(_windup_counts()))


register(
    NumericCheck(
        key="ch4-windup-3um",
        expected=_windup_extra,
        unit="extra spikes",
        rel_tol=REL_TOL,
        hints=(
            "Wind-up counts only the build-up: the C-fibre spikes of the whole train in excess of what 15 copies of "
            "the first response would give.",
            f"Type {WINDUP_KETAMINE_UM:g} into ketamine_um and run the cell: from the spike counts it prints, subtract 15 "
            "times the FIRST count from the total.",
            f"In the cell: ketamine_um = {WINDUP_KETAMINE_UM:g}, then answer_windup_3um = total − 15 × (first count). The "
            f"calls behind it: r = windup.simulate_train(1.0, ketamine_um={WINDUP_KETAMINE_UM:g}, mg_mm=1.0); "
            "windup.windup_count(r.spikes_per_stimulus[0]).",
        ),
        explanation="Wind-up is the response to the train in excess of 15 copies of the first response.",
        mistakes=(
            Mistake("total-not-extra", lambda: float(sum(_windup_counts())),
                    "That is the total number of C-fibre spikes. Wind-up is the EXTRA over 15 times the first response."),
            Mistake("last-minus-first", lambda: float(_windup_counts()[-1] - _windup_counts()[0]),
                    "That compares only the last and the first stimulus. The course measure sums the whole train: "
                    "total minus 15 × the first response."),
        ),
    )
)

# ---------------------------------------------------------------- slow biophase (Dahan 2011)
PLATEAU_NG_ML = 100.0
"""Plasma S-ketamine held constant in the biophase exercise (a new case: no printed curve is flat)."""
PLATEAU_DAYS = 4.0


def _t_half_days() -> float:
    return float(analgesia.parameters()["dahan2011"]["t_half_onset_offset_days"])


def _biophase_after_plateau() -> float:
    return PLATEAU_NG_ML * (1.0 - math.exp(-math.log(2.0) * PLATEAU_DAYS / _t_half_days()))


register(
    NumericCheck(
        key="ch4-biophase",
        expected=_biophase_after_plateau,
        unit="ng/mL",
        rel_tol=REL_TOL,
        hints=(
            "The biophase approaches a constant plasma level exponentially, with the onset/offset half-life: after one "
            "half-life it has covered half the distance, after two three quarters.",
            "Type the plasma level (ng/mL) and the time (days) into the cell: it prints the share of the gap between "
            "plasma and biophase still open. The biophase has covered the rest: Cp × (1 − that share).",
            f"In the cell: plasma_ng_ml = {PLATEAU_NG_ML:g}, days = {PLATEAU_DAYS:g}; then answer_biophase_ng_ml = "
            f"{PLATEAU_NG_ML:g} * (1 - share printed). The calls: d = analgesia.parameters()['dahan2011']; "
            f"ke0 = np.log(2) / d['t_half_onset_offset_days']; {PLATEAU_NG_ML:g} * (1 - np.exp(-ke0 * {PLATEAU_DAYS:g})).",
        ),
        explanation=("After 4 days the slow biophase has reached less than a quarter of the plasma level: relief "
                     "keeps building for as long as the infusion runs."),
        mistakes=(
            Mistake("share-not-concentration", lambda: 1.0 - 0.5 ** (PLATEAU_DAYS / _t_half_days()),
                    "That is the share of the way the biophase has come, a fraction: multiply it by the plasma level "
                    "to get a concentration in ng/mL."),
            Mistake("equilibrium", lambda: PLATEAU_NG_ML,
                    "That is (almost) the plasma level itself. Either you assumed the biophase has caught up with "
                    "plasma, or you put the time in hours while the half-life is in days: with an onset half-life of "
                    "about 11 days, 4 days is far from equilibrium."),
            Mistake("half-life-as-time-constant", lambda: PLATEAU_NG_ML * (1 - math.exp(-PLATEAU_DAYS / _t_half_days())),
                    "You used the half-life as if it were the time constant 1/ke0. The rate constant is ln 2 / t½."),
            Mistake("gap-not-level", lambda: PLATEAU_NG_ML * math.exp(-math.log(2.0) * PLATEAU_DAYS / _t_half_days()),
                    "That is the gap still left between plasma and biophase, Cp·exp(−ke0 t). The biophase has reached "
                    "Cp minus that gap."),
        ),
    )
)


def _responder_relief(ce: float) -> float:
    c50 = analgesia.parameters()["dahan2011"]["c50_ng_ml"]
    return ce / (c50 + ce)


def _population_relief() -> float:
    return analgesia.parameters()["dahan2011"]["p_response_ketamine"] * _responder_relief(_biophase_after_plateau())


register(
    NumericCheck(
        key="ch4-population-relief",
        expected=_population_relief,
        unit="fraction of the maximal relief (0–1)",
        rel_tol=REL_TOL,
        hints=(
            "Two steps: how much relief a patient who responds gets at the biophase concentration, then the average "
            "over everyone given ketamine, responders or not.",
            "Relief in a responder is Ce / (C50 + Ce) with the BIOPHASE concentration from the previous exercise and the "
            "C50 the cell prints; the average over the ketamine arm multiplies it by the probability of responding to "
            "ketamine (also printed).",
            "Type the arithmetic into the blank: answer_average_relief = p_ketamine * Ce / (C50 + Ce), with your "
            "biophase answer for Ce and the printed C50 and p. The calls: d = analgesia.parameters()['dahan2011']; "
            "d['p_response_ketamine'] * ce / (d['c50_ng_ml'] + ce).",
        ),
        explanation="Only about two patients in three respond, so the average relief is well below a responder's.",
        mistakes=(
            Mistake("responder-only", lambda: _responder_relief(_biophase_after_plateau()),
                    "That is the relief in a patient who responds. The question asks for the average over everyone "
                    "given ketamine: multiply by the probability of response."),
            Mistake("plasma-not-biophase", lambda: analgesia.parameters()["dahan2011"]["p_response_ketamine"]
                    * _responder_relief(PLATEAU_NG_ML),
                    "You used the plasma concentration. Relief follows the slow biophase, not plasma."),
            Mistake("minus-placebo", lambda: (analgesia.parameters()["dahan2011"]["p_response_ketamine"]
                                              - analgesia.parameters()["dahan2011"]["p_response_placebo"])
                    * _responder_relief(_biophase_after_plateau()),
                    "You subtracted the placebo response rate. The question asks for the ketamine arm's average, "
                    "not the difference from placebo."),
        ),
    )
)

# ---------------------------------------------------------------- subcutaneous syringe driver
SC_MG_PER_24H = 200.0


def _sc_css(f: float | None = None, rate_mg_per_min: float | None = None) -> float:
    m = pk.get_model("domino1982")
    f = route_set("subcutaneous")["bioavailability"] if f is None else f
    rate = SC_MG_PER_24H / 1440.0 if rate_mg_per_min is None else rate_mg_per_min
    return 1000.0 * f * rate / (m.clearance_l_per_h(70.0) / 60.0)


register(
    NumericCheck(
        key="ch4-sc-steady-state",
        expected=_sc_css,
        unit="ng/mL",
        rel_tol=REL_TOL,
        hints=(
            "At steady state what reaches the blood equals what is cleared: F × rate = CL × Css. How fast the depot "
            "absorbs does not matter.",
            "Type 70 into weight_kg to get the clearance (L/h). Put the rate in mg per hour (200 mg over 24 h), so "
            "Css = F × rate / CL is in mg/L; then convert mg/L to ng/mL (× 1000).",
            "In the cell: weight_kg = 70, rate_mg_per_h = 200 / 24, css_mg_per_l = F * rate_mg_per_h / CL (the printed "
            "F and CL), answer_css_ng_ml = 1000 * css_mg_per_l. The calls: f = route_set('subcutaneous')"
            "['bioavailability']; cl = pk.get_model('domino1982').clearance_l_per_h(70) / 60; "
            "1000 * f * (200 / 1440) / cl.",
        ),
        explanation=("The steady state does not depend on the absorption rate, only on F, the rate and clearance; "
                     "remember that the subcutaneous F is borrowed from intramuscular data."),
        mistakes=(
            Mistake("no-bioavailability", lambda: _sc_css(f=1.0),
                    "You left out the bioavailability F: only a fraction of a subcutaneous dose is assumed to reach "
                    "the circulation."),
            Mistake("oral-bioavailability", lambda: _sc_css(f=route_set("oral")["bioavailability"]),
                    "That uses the oral bioavailability. A subcutaneous dose avoids first-pass metabolism in the liver."),
            Mistake("per-hour-as-per-min", lambda: _sc_css(rate_mg_per_min=SC_MG_PER_24H / 24.0),
                    "Check the rate unit: 200 mg per 24 h is 200/1440 mg per minute, not 200/24."),
            Mistake("per-day-as-per-hour", lambda: _sc_css(rate_mg_per_min=SC_MG_PER_24H / 60.0),
                    "Check the rate unit: the clearance is per hour, so the rate must be mg per HOUR (200 mg over "
                    "24 h), not the 200 mg of a whole day."),
        ),
    )
)

# ---------------------------------------------------------------- reading the null cancer-pain trial


def _hardy_counts() -> tuple[int, int, int, int]:
    c = next(x for x in load_trials("trials_pain") if x.id == "hardy2012")
    o = c.outcome("response", "end of treatment")
    v = o.values
    return v["events_treatment"], v["n_treatment"], v["events_control"], v["n_control"]


def _hardy_nnt() -> float:
    et, nt, ec, nc = _hardy_counts()
    return 1.0 / (et / nt - ec / nc)


register(
    NumericCheck(
        key="ch4-hardy-nnt",
        expected=_hardy_nnt,
        unit="patients",
        rel_tol=REL_TOL,
        hints=(
            "The NNT is how many patients must be treated for one more of them to respond than would have on placebo: "
            "it is the reciprocal of the difference in response proportions.",
            "Type the four counts quoted in the text into the cell: it prints the two response proportions. "
            "NNT = 1 / (risk difference), ketamine minus placebo, with the proportions as fractions.",
            "In the cell: the responders and patients of each arm from the text, then answer_nnt = 1 / (ketamine "
            "proportion − placebo proportion). The call: 1 / (responders_ketamine / n_ketamine − "
            "responders_placebo / n_placebo).",
        ),
        explanation=("About 25 patients would need ketamine for one extra responder, and the confidence interval of "
                     "the difference includes no benefit at all."),
        mistakes=(
            Mistake("percent-points", lambda: 100.0 * _hardy_nnt(),
                    "The difference must be a fraction (0.04), not percentage points (4)."),
            Mistake("risk-ratio", lambda: (_hardy_counts()[0] / _hardy_counts()[1]) / (_hardy_counts()[2] / _hardy_counts()[3]),
                    "That is the risk ratio. The NNT comes from the risk DIFFERENCE."),
            Mistake("risk-difference-not-nnt", lambda: 1.0 / _hardy_nnt(),
                    "That is the risk difference itself. The NNT is its reciprocal: 1 / difference."),
            Mistake("one-arm", lambda: _hardy_counts()[1] / _hardy_counts()[0],
                    "That is 1 / (response rate in the ketamine arm). The NNT compares the two arms: 1 / (difference)."),
        ),
    )
)

register(
    ChoiceCheck(
        key="ch4-wind-up-mechanism",
        answer="c",
        options=("a", "b", "c", "d"),
        hints=(
            "Wind-up needs something that carries over from one stimulus to the next at 1 Hz but has faded within the "
            "10 s between stimuli at 0.1 Hz; and the input itself is the same at every stimulus.",
            "Compare the gate's time constant (seconds in the course model; ten times faster is a few hundred "
            "milliseconds) with the one second between stimuli. Then run the cell and compare the first and the last "
            "counts of the train, with the course gate and with the fast one.",
        ),
        explanation=("Wind-up needs depolarisation that outlasts one stimulus interval: calcium from NMDA and L-type "
                     "channels opens I_CAN, whose slow gate carries depolarisation over to the next stimulus. A gate "
                     "ten times faster closes within the one-second gap, so the train hardly builds up, although each "
                     "single response, with more I_CAN opening inside it, is larger from the first stimulus."),
        feedback={
            "a": "The knock-outs show that NMDA receptors are needed, not that they are enough: their current lasts about "
                 "a hundred milliseconds, so something slower must carry the build-up across the one-second gap.",
            "b": "A faster gate does open more within each response, and the first response grows; but it also closes "
                 "within the gap, so less is carried to the next stimulus. Look at how the counts change along the "
                 "train, not at their size.",
            "d": "The synaptic input and the NMDA current are unchanged: the neuron still responds, and its single "
                 "responses get larger.",
        },
    )
)
