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

REL_TOL = 0.02
"""The chapter's one tolerance for numeric answers (its text says "within 2%")."""

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
        rel_tol=REL_TOL,
        abs_tol=0.5,
        hints=("Extra cases come from the excess risk: the risk with esketamine minus the risk with placebo.",
               "Take events / patients in each TRANSFORM-1 arm for vertigo, subtract, and multiply by 120.",
               "c = next(x for x in trials if x.id == 'transform1'); v = c.outcome('vertigo', 'double-blind, 4 weeks')"
               ".values; then 120 * (v['events_treatment'] / v['n_treatment'] - v['events_control'] / v['n_control'])."),
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
DISCHARGE_BASELINE_SBP = 138.0


def _discharge_56() -> float:
    return session.simulate_session("nasal_esketamine_56", weight_kg=DISCHARGE_WEIGHT_KG,
                                    baseline_sbp_mmhg=DISCHARGE_BASELINE_SBP).discharge_min


def _session_56():
    return session.simulate_session("nasal_esketamine_56", weight_kg=DISCHARGE_WEIGHT_KG,
                                    baseline_sbp_mmhg=DISCHARGE_BASELINE_SBP)


def _rule_end_56() -> float:
    return float(_session_56().observation_end_min)


def _dissociation_only_56() -> float:
    r = _session_56()
    thr = float(session.effect_parameters()["dissociation"]["threshold_s_ng_ml"])
    out = session.stability_and_discharge(r.times_min, r.effect_s_ng_ml, r.sbp_mmhg, threshold_ng_ml=thr,
                                          sbp_limit_mmhg=float("inf"), dose_end_min=r.dose_end_min,
                                          min_observation_min=None)
    return out["stable_min"]


register(
    NumericCheck(
        key="ch6-discharge-56mg",
        expected=_discharge_56,
        unit="min after the first device",
        rel_tol=REL_TOL,
        hints=("The earliest discharge is the later of two times: the end of the rule's minimum observation, and "
               "the time the model calls the patient stable (dissociation below threshold AND systolic pressure "
               "below the limit).",
               "Dosing ends with the second device; the minimum observation runs from there. Then find when the "
               "simulated systolic pressure (baseline + rise) falls below the limit for good.",
               "r = safety.simulate_session('nasal_esketamine_56', weight_kg=60, baseline_sbp_mmhg=138); read "
               "r.observation_end_min, r.stable_min and r.discharge_min."),
        explanation=("A baseline just under the guide leaves little room: the small rise keeps the systolic pressure "
                     "above the limit long after dissociation has faded, so the model, not the rule's minimum, sets "
                     "the time. In practice this is a clinician's judgement, and no label sets a numerical post-dose "
                     "blood-pressure limit: 140 mmHg is the label's pre-dose guide, used by the model as a stand-in."),
        mistakes=(
            Mistake("rule-minimum-only", _rule_end_56,
                    "That is where the rule's minimum observation ends. For this patient the model's blood pressure "
                    "is still above the limit then: the later of the two criteria sets the discharge."),
            Mistake("dissociation-only", _dissociation_only_56,
                    "That is when dissociation alone has faded. The model also requires the systolic pressure to be "
                    "back below the limit, and this patient started just under it."),
            Mistake("two-hours-from-first-device",
                    lambda: float(session.monitoring_rule("janssen2025")["min_observation_min"]),
                    "That counts 2 h from the first device and ignores the model. Both the end of dosing and the "
                    "blood-pressure criterion matter here."),
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
        rel_tol=REL_TOL,
        abs_tol=1.0,
        hints=("Effects follow the effect-site concentration; the model counts the minutes it stays at or above the "
               "dissociation threshold (written as S-ketamine).",
               "A per-kg dose changes with weight: simulate the subcutaneous preset for the 90 kg patient, not the "
               "default 70 kg.",
               "safety.simulate_session('sc_racemic', weight_kg=90).dissociative_min"),
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

# ---------------------------------------------------------------- oral route: an exposure multiplier, not a dose
# The exercise asks for a RATIO (how many times larger an oral dose must be than an IV dose for the same S-ketamine
# exposure in the model), never for an oral dose in mg or mg/kg: a number a self-medicating reader could take as a
# target is exactly what the course must not produce (GUIDE standard 3). The named mistakes are computed from the same
# model; their feedback never prints a dose.
def _oral_multiplier() -> float:
    return 1.0 / logistics.model_bioavailability("oral_racemic")


def _racemic_f() -> float:
    from ..pk.routes import route_set
    return float(route_set("oral")["bioavailability"])


register(
    NumericCheck(
        key="ch6-oral-exposure-multiplier",
        expected=_oral_multiplier,
        unit="(times the IV dose; a ratio, no unit)",
        rel_tol=REL_TOL,
        hints=("Exposure (AUC) is proportional to bioavailability × dose, in the same model.",
               "For equal exposure F_oral × D_oral = 1 × D_IV, so D_oral / D_IV = 1 / F_oral, whatever the IV dose.",
               "logistics.model_bioavailability('oral_racemic') gives the model's F; the multiplier is its inverse."),
        explanation=("The multiplier is 1/F: with the S-ketamine model's first pass (Fanta 2015) it is several times "
                     "larger than the 4-5 implied by the racemic studies' F of 20-25%. The sources disagree, F varies "
                     "widely between people, oral dosing makes far more norketamine, and oral ketamine for depression "
                     "is experimental: this is a property of a model, not a dose for anyone."),
        mistakes=(
            Mistake("racemic-f", lambda: 1.0 / _racemic_f(),
                    "That uses the racemic oral F of the route table. The comparison uses the S-ketamine model, whose "
                    "own oral F (Fanta 2015) is lower: use the model's F. That the two disagree is the point of the "
                    "exercise."),
            Mistake("f-not-inverse", lambda: logistics.model_bioavailability("oral_racemic"),
                    "That is F itself, the fraction of an oral dose that reaches the circulation. A smaller fraction "
                    "needs a LARGER dose: the multiplier is 1/F."),
            Mistake("a-dose-not-a-ratio",
                    lambda: session.session_preset("iv_racemic")["dose_mg_per_kg"] / logistics.model_bioavailability(
                        "oral_racemic"),
                    "That is a dose per kilogram, not a ratio. The question asks only how many times larger: divide "
                    "by nothing but F."),
        ),
    )
)

# ---------------------------------------------------------------- the neurotoxicity evidence
register(
    ChoiceCheck(
        key="ch6-neurotoxicity-evidence",
        answer="c",
        options=("a", "b", "c", "d"),
        hints=("Ask of each study: which drug, which exposure (one short or several), which species and which dose?",
               "GAS randomised infants to sevoflurane or regional anaesthesia; MASK and PANDA are cohorts of general "
               "anaesthesia of any kind; the rat lesions came at doses far above the depression dose.",
               "Choose the statement that claims no more than those studies can show."),
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
