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
        rel_tol=0.0,
        abs_tol=0.5,
        hint=("Simulate 15 stimuli at 1 Hz with windup.simulate_train(1.0, ketamine_um=3.0, mg_mm=1.0), take "
              "spikes_per_stimulus[0] and apply windup.windup_count: the total minus 15 times the first response."),
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
PLATEAU_NG_ML = 80.0
PLATEAU_DAYS = 4.0


def _biophase_after_plateau() -> float:
    th = analgesia.parameters()["dahan2011"]["t_half_onset_offset_days"]
    return PLATEAU_NG_ML * (1.0 - math.exp(-math.log(2.0) * PLATEAU_DAYS / th))


register(
    NumericCheck(
        key="ch4-biophase",
        expected=_biophase_after_plateau,
        unit="ng/mL",
        rel_tol=0.02,
        hint=("The biophase follows dCe/dt = ke0 (Cp − Ce) with ke0 = ln 2 / t½. For a constant Cp from time 0, "
              "Ce(t) = Cp (1 − exp(−ke0 t)). Keep t and t½ in the same unit (days)."),
        explanation=("After 4 days the slow biophase has reached less than a quarter of the plasma level: relief "
                     "keeps building for as long as the infusion runs."),
        mistakes=(
            Mistake("equilibrium", lambda: PLATEAU_NG_ML,
                    "That assumes the biophase has caught up with plasma. With an onset half-life of about 11 days, "
                    "4 days is far from equilibrium."),
            Mistake("half-life-as-time-constant", lambda: PLATEAU_NG_ML * (1 - math.exp(
                -PLATEAU_DAYS / analgesia.parameters()["dahan2011"]["t_half_onset_offset_days"])),
                "You used the half-life as if it were the time constant 1/ke0. The rate constant is ln 2 / t½."),
            Mistake("hours-for-days", lambda: PLATEAU_NG_ML * (1 - math.exp(
                -math.log(2) * PLATEAU_DAYS * 24 / analgesia.parameters()["dahan2011"]["t_half_onset_offset_days"])),
                "Check the units: the half-life is in days, so the time must be 4 days, not 96 hours."),
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
        rel_tol=0.03,
        hint=("Relief in a responder is Ce / (C50 + Ce) with the BIOPHASE concentration from the previous exercise; "
              "the average over the ketamine arm multiplies it by the probability of responding."),
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
        rel_tol=0.02,
        hint=("At steady state, input = output: F × rate = CL × Css. Take F from the subcutaneous route data and CL "
              "from the Domino model at 70 kg, and put the rate in mg/min (200 mg per 1440 min)."),
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
        rel_tol=0.03,
        hint="NNT = 1 / (risk difference), with the two response proportions as fractions (events / patients).",
        explanation=("About 25 patients would need ketamine for one extra responder, and the confidence interval of "
                     "the difference includes no benefit at all."),
        mistakes=(
            Mistake("percent-points", lambda: 100.0 * _hardy_nnt(),
                    "The difference must be a fraction (0.04), not percentage points (4)."),
            Mistake("risk-ratio", lambda: (_hardy_counts()[0] / _hardy_counts()[1]) / (_hardy_counts()[2] / _hardy_counts()[3]),
                    "That is the risk ratio. The NNT comes from the risk DIFFERENCE."),
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
        hint="Run the explorer at 1 Hz with and without ketamine, and at 0.1 Hz: which ingredient needs the next stimulus to arrive before the last one has faded?",
        explanation=("Wind-up needs depolarisation that outlasts one stimulus interval: long NMDA currents and the "
                     "calcium-activated current they feed summate only when stimuli come faster than they decay."),
        feedback={
            "a": "AMPA currents last a few milliseconds: they set the first response but cannot carry a memory from one stimulus to the next second.",
            "b": "In this model removing NMDA abolishes wind-up although every other current is intact, so the slow currents alone are not enough.",
            "d": "The C-fibre input is the same at every stimulus in the model (no synaptic facilitation); the change is in the neuron.",
        },
    )
)
