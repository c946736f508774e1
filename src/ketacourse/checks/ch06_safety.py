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
               "Take events / patients in each TRANSFORM-1 arm for vertigo (the cell prints the counts), subtract, and "
               "multiply by 120.",
               "In the cell: risk_esketamine = events / patients of the esketamine arm, risk_placebo the same for "
               f"placebo, answer_extra_vertigo = {CLINIC_PATIENTS} * (risk_esketamine - risk_placebo). The calls: "
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
               "Type the weight and the baseline pressure into the cell: it prints both times. The patient may go "
               "only when BOTH are passed.",
               "In the cell: weight_kg = 60, baseline_sbp_mmhg = 138, then answer_discharge_min = the later of the two "
               "printed times. The calls: r = safety.simulate_session('nasal_esketamine_56', weight_kg=60, "
               "baseline_sbp_mmhg=138); read r.observation_end_min, r.stable_min and r.discharge_min."),
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
               "A per-kg dose changes with weight: type 90 kg into the cell, not the default 70 kg, and subtract the "
               "first minute at the threshold from the last.",
               "In the cell: weight_kg = 90, then answer_sc_minutes = (last minute) − (first minute). The call: "
               "safety.simulate_session('sc_racemic', weight_kg=90).dissociative_min"),
        explanation=("A per-kg dose scales the exposure with weight, so the heavier patient spends longer above the "
                     "threshold: the session length is not the same for everyone."),
        mistakes=(
            Mistake("default-weight", lambda: _sc_minutes(70.0),
                    "That is the 70 kg patient of the widget's default. Set the weight to 90 kg."),
            Mistake("end-not-duration", lambda: float(session.simulate_session("sc_racemic", weight_kg=SC_WEIGHT_KG)
                                                       .dissociative_until_min),
                    "That is the minute the effect site last stays above the threshold, counted from the injection. "
                    "The question asks for how long it stays there: subtract the minute it first reaches it."),
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
               "In the cell: answer_oral_multiplier = 1 / F, with the F it prints. The call: "
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
        hints=("Ask of each study: which drug, which exposure, which species and which age?",
               "The open question is about ketamine itself in the developing brain: GAS, MASK and PANDA studied "
               "other or mixed anaesthetics, and the rat lesions came in adults.",
               "Choose the study whose drug, species and age all match the question."),
        explanation=("The human studies looked at sevoflurane (GAS), general anaesthesia of any kind (MASK) and "
                     "inhaled anaesthetics (PANDA): none isolates ketamine. A study that does must compare children "
                     "sedated with ketamine alone with similar children sedated otherwise, record dose and duration, "
                     "and follow development for years; it would still be observational, so the reason for sedation "
                     "could confound it."),
        feedback={
            "a": ("PANDA's exposures were all inhaled anaesthetics: a larger study of the same exposure would narrow "
                  "its interval but still say nothing specific to ketamine."),
            "b": ("Adult rats at doses far above the depression dose are the evidence the human studies were meant to "
                  "test; more of it would not tell you what happens in children."),
            "d": ("Non-medical use by adults is a different exposure at a different age; it cannot speak to the "
                  "developing brain."),
        },
    )
)
