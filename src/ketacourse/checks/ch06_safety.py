"""Exercise checks for Chapter 6, "Safety, misuse and the practical challenges".

Every expected value, and every named mistake, is computed from the package data and models the
chapter teaches (:mod:`ketacourse.safety`, :mod:`ketacourse.evidence`), so a change to a sourced
number moves the answers with it. The cases are new: none is a number the chapter prints.
"""

from __future__ import annotations

from ..evidence import load_trials
from ..exercises import ChoiceCheck, Mistake, NumericCheck, register
from ..safety import logistics, session

__all__: list[str] = []

# ---------------------------------------------------------------- extra people with vertigo
CLINIC_PATIENTS = 120
"""Patients starting esketamine in the exercise's clinic."""


def _vertigo_counts() -> tuple[int, int, int, int]:
    c = next(x for x in load_trials("trials_safety") if x.id == "transform1")
    v = c.outcome("vertigo", "double-blind, 4 weeks").values
    return v["events_treatment"], v["n_treatment"], v["events_control"], v["n_control"]


def _extra_vertigo() -> float:
    a, n1, c, n2 = _vertigo_counts()
    return CLINIC_PATIENTS * (a / n1 - c / n2)


register(
    NumericCheck(
        key="ch6-extra-vertigo",
        expected=_extra_vertigo,
        unit="patients",
        rel_tol=0.05,
        abs_tol=0.5,
        hint=("Take the risk with esketamine and the risk with placebo from TRANSFORM-1 (events / patients in each "
              "arm), subtract, and multiply the difference by the number of patients in the clinic."),
        explanation=("The excess risk (risk difference) times the number treated gives the extra people affected; "
                     "its inverse is the number needed to harm."),
        mistakes=(
            Mistake("esketamine-risk-only", lambda: CLINIC_PATIENTS * _vertigo_counts()[0] / _vertigo_counts()[1],
                    "That counts everyone with vertigo on esketamine, including those who would have had it anyway: "
                    "subtract the placebo arm's risk first."),
            Mistake("percent-difference", lambda: 100 * (_vertigo_counts()[0] / _vertigo_counts()[1]
                                                        - _vertigo_counts()[2] / _vertigo_counts()[3]),
                    "That is the risk difference in percentage points, not a number of patients in this clinic."),
            Mistake("nnh", lambda: 1 / (_vertigo_counts()[0] / _vertigo_counts()[1]
                                        - _vertigo_counts()[2] / _vertigo_counts()[3]),
                    "That is the number needed to harm (patients treated per extra case). The question asks how many "
                    "extra cases among 120 patients."),
        ),
    )
)

# ---------------------------------------------------------------- discharge after a 56 mg session
DISCHARGE_WEIGHT_KG = 60.0
DISCHARGE_BASELINE_SBP = 134.0


def _discharge_56() -> float:
    return session.simulate_session("nasal_esketamine_56", weight_kg=DISCHARGE_WEIGHT_KG,
                                    baseline_sbp_mmhg=DISCHARGE_BASELINE_SBP).discharge_min


def _stable_56() -> float:
    return session.simulate_session("nasal_esketamine_56", weight_kg=DISCHARGE_WEIGHT_KG,
                                    baseline_sbp_mmhg=DISCHARGE_BASELINE_SBP).stable_min


register(
    NumericCheck(
        key="ch6-discharge-56mg",
        expected=_discharge_56,
        unit="min after the first device",
        rel_tol=0.0,
        abs_tol=1.0,
        hint=("Run safety.simulate_session for the 56 mg preset with this weight and baseline pressure and read "
              "discharge_min; then check it against the rule: when does dosing end, and what is the minimum "
              "observation after it?"),
        explanation=("The model would call this patient stable earlier, but the label's minimum observation cannot be "
                     "shortened by a model: the later of the two sets the earliest discharge."),
        mistakes=(
            Mistake("two-hours-from-first-device",
                    lambda: float(session.monitoring_rule("spravato_label")["min_observation_min"]),
                    "That counts the 2 h from the first device. Dosing ends with the second device, 5 min later, and "
                    "the minimum observation runs from the end of dosing."),
            Mistake("model-stability-only", _stable_56,
                    "That is when the model calls the patient stable. The rule's minimum observation is a floor that "
                    "the model cannot shorten."),
        ),
    )
)

# ---------------------------------------------------------------- SC dissociation window, new weight
SC_WEIGHT_KG = 90.0


def _sc_minutes(weight: float, threshold_scale: float = 1.0) -> float:
    r = session.simulate_session("sc_racemic", weight_kg=weight)
    thr = threshold_scale * float(session.effect_parameters()["dissociation"]["threshold_s_ng_ml"])
    above = r.times_min[r.effect_s_ng_ml >= thr]
    return float(above[-1] - above[0]) if above.size else 0.0


register(
    NumericCheck(
        key="ch6-sc-dissociative-minutes",
        expected=lambda: _sc_minutes(SC_WEIGHT_KG),
        unit="min",
        rel_tol=0.0,
        abs_tol=2.0,
        hint=("Simulate the subcutaneous preset at 90 kg (safety.simulate_session('sc_racemic', weight_kg=90)) and "
              "read dissociative_min: the minutes the effect-site S-ketamine stays at or above the threshold."),
        explanation=("A per-kg dose scales the exposure with weight, so the heavier patient spends longer above the "
                     "threshold: the session length is not the same for everyone."),
        mistakes=(
            Mistake("default-weight", lambda: _sc_minutes(70.0),
                    "That is the 70 kg patient of the widget's default. Set the weight to 90 kg."),
            Mistake("racemic-threshold", lambda: _sc_minutes(SC_WEIGHT_KG, 2.0),
                    "That compares S-ketamine with the racemic band edge (twice the threshold). The model's threshold "
                    "is already written as S-ketamine: use it as it is."),
        ),
    )
)

# ---------------------------------------------------------------- oral dose for IV-equivalent exposure
def _oral_equivalent() -> float:
    f = logistics.model_bioavailability("oral_racemic")
    return session.session_preset("iv_racemic")["dose_mg_per_kg"] / f


def _racemic_f() -> float:
    from ..pk.routes import route_set
    return float(route_set("oral")["bioavailability"])


register(
    NumericCheck(
        key="ch6-oral-equivalent-dose",
        expected=_oral_equivalent,
        unit="mg/kg",
        rel_tol=0.03,
        hint=("Exposure (AUC) is proportional to F × dose. Find the model's oral F for S-ketamine "
              "(logistics.model_bioavailability('oral_racemic') or the route comparison) and solve "
              "F_oral × D_oral = 1 × 0.5 mg/kg."),
        explanation=("With the S-ketamine model's oral F the IV-equivalent oral dose is several times the 2.0-2.5 mg/kg "
                     "that a review derived from a racemic F of 20-25%: the sources disagree, and the model's answer "
                     "is only as good as its F."),
        mistakes=(
            Mistake("racemic-f", lambda: 0.5 / _racemic_f(),
                    "That uses the racemic oral F of the route table. The comparison uses the S-ketamine model, whose "
                    "own oral F (Fanta 2015) is lower: use the model's F."),
            Mistake("multiplied-by-f", lambda: 0.5 * logistics.model_bioavailability("oral_racemic"),
                    "That multiplies by F. A smaller fraction absorbed needs a LARGER dose: divide by F."),
        ),
    )
)

# ---------------------------------------------------------------- the neurotoxicity evidence
register(
    ChoiceCheck(
        key="ch6-neurotoxicity-evidence",
        answer="c",
        options=("a", "b", "c", "d"),
        hint="Go back to the table of neurotoxicity findings: what did each study expose children to, and for how long?",
        explanation=("The randomised GAS trial and the MASK cohort found no IQ difference after a single early "
                     "anaesthetic; MASK found specific differences after multiple exposures, an association that "
                     "cannot show cause. None of the studies isolates ketamine, and the animal lesions came at doses "
                     "far above the depression dose."),
        feedback={
            "a": ("The animal lesions came at doses many times the 0.5 mg/kg used in depression, and in adult rats; "
                  "the human studies did not show what the animal data suggested for a single exposure."),
            "b": ("'No evidence of harm' after one short exposure is not 'proven safe' for every exposure: MASK found "
                  "differences after multiple exposures, and the FDA warning concerns repeated or long exposures."),
            "d": ("GAS randomised infants to sevoflurane general anaesthesia or awake-regional anaesthesia: it did not "
                  "test ketamine at all."),
        },
    )
)
