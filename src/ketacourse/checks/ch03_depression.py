"""Exercise checks for Chapter 3, "A rapid antidepressant".

Every expected value and every named mistake is computed from the package the chapter teaches
(:mod:`ketacourse.evidence`, :mod:`ketacourse.evidence.simulate`, :mod:`ketacourse.pd.antidepressant`)
and the sourced trial table, so a corrected number in ``data/*.toml`` moves the answers with it.
"""

from __future__ import annotations

import numpy as np

from .. import evidence as ev
from ..evidence import simulate as sim
from ..exercises import ChoiceCheck, Mistake, NumericCheck, register

__all__: list[str] = []

_TOL = 0.03  # one tolerance for every numeric answer in the chapter, as its text states ("within 3%")

# ----------------------------------------------------------------------------- 1. NNT of a new trial
# A hypothetical new midazolam-controlled trial: 21 of 40 vs 8 of 38 responders at 24 h.
_NEW_TRIAL = (21, 40, 8, 38)


def _nnt_new_trial() -> float:
    return float(ev.nnt(*_NEW_TRIAL)["nnt"])


register(NumericCheck(
    key="ch3-nnt",
    expected=_nnt_new_trial,
    unit="patients",
    rel_tol=_TOL,
    hints=[
        "The NNT is about absolute, not relative, benefit: how much more often does the outcome happen per patient treated?",
        "Work out each arm's response rate, subtract control from ketamine (the risk difference), then take the reciprocal.",
        "ev.nnt(21, 40, 8, 38) does all three; use its 'nnt' entry.",
    ],
    explanation="Treat that many patients like these with ketamine instead of midazolam and, on average, one "
                "more responds at 24 h. Look at its 95% interval too: it is wide.",
    mistakes=[
        Mistake("risk-difference", lambda: 100 * ev.risk_difference(*_NEW_TRIAL).estimate,
                "That is the risk difference in percentage points; the NNT is its reciprocal (1 / RD as a fraction)."),
        Mistake("risk-difference-fraction", lambda: ev.risk_difference(*_NEW_TRIAL).estimate,
                "That is the risk difference as a fraction; the NNT is 1 divided by it."),
        Mistake("risk-ratio", lambda: ev.risk_ratio(*_NEW_TRIAL).value,
                "That is the risk ratio (relative benefit); the NNT needs the absolute difference in risk."),
        Mistake("odds-ratio", lambda: ev.odds_ratio(*_NEW_TRIAL).value,
                "That is the odds ratio; the NNT comes from the absolute risk difference."),
    ],
))

# ----------------------------------------------------------------------------- 2. double-counted placebo
def _esk_day28(exclude=(), shared_control="split") -> ev.MetaResult:
    cs = ev.load_trials("trials_depression")
    return ev.meta_analyse([e for _c, e in ev.select(cs, "response", "day 28", "rd", exclude=exclude,
                                                     shared_control=shared_control)])


def _width_pp(res: ev.MetaResult) -> float:
    return 100 * (res.ci_high - res.ci_low)


register(NumericCheck(
    key="ch3-shared-arm-width",
    expected=lambda: _width_pp(_esk_day28()) - _width_pp(_esk_day28(shared_control="keep")),
    unit="percentage points",
    rel_tol=_TOL,
    hints=[
        "Pool the same four comparisons twice: once with the placebo arm split (the default), once counting it in "
        "full for both doses.",
        "For each pool, the width of the 95% CI is ci_high − ci_low; subtract the double-counted width from the "
        "split width.",
        "ev.select(trials, 'response', 'day 28', 'rd', shared_control='keep'), then ev.meta_analyse([...]); "
        "widths × 100.",
    ],
    explanation="Counting the 113 placebo patients twice makes the pooled interval narrower than the data "
                "allow: the point estimate hardly moves, but the apparent precision does.",
    mistakes=[
        Mistake("left-out-dose", lambda: _width_pp(_esk_day28(exclude={"transform1_84"}))
                - _width_pp(_esk_day28(shared_control="keep")),
                "You left the 84 mg comparison out instead of splitting the placebo arm: that is the other "
                "remedy, but the question compares the split pool of all four rows with the double-counted one."),
        Mistake("split-width", lambda: _width_pp(_esk_day28()),
                "That is the width of the split pool itself; the question asks how much wider it is than the "
                "double-counted pool."),
        Mistake("keep-width", lambda: _width_pp(_esk_day28(shared_control="keep")),
                "That is the width of the double-counted pool; subtract it from the width of the split pool."),
        Mistake("fraction", lambda: (_width_pp(_esk_day28()) - _width_pp(_esk_day28(shared_control="keep"))) / 100,
                "Right difference, wrong unit: give it in percentage points (× 100)."),
        Mistake("lower-limits", lambda: 100 * (_esk_day28(shared_control="keep").ci_low - _esk_day28().ci_low),
                "That is the difference between the lower limits only; compare the full widths (upper − lower)."),
    ],
))

# ----------------------------------------------------------------------------- 3. sample size
def _n_for_power(d: float, target: float = 0.8) -> float:
    n = np.arange(3, 2001)
    return float(n[np.argmax(sim.analytic_power_curve(n, d) >= target)])


def _d_vs_midazolam() -> float:  # Wilkinson 2019 IPD: d 0.7 vs midazolam, 1.8 vs saline at day 1
    return 0.7


register(NumericCheck(
    key="ch3-sample-size",
    expected=lambda: _n_for_power(_d_vs_midazolam(), 0.9),
    unit="patients per arm",
    rel_tol=_TOL,
    hints=[
        "Power depends on the true effect you expect against the control you will use: which effect size applies to midazolam?",
        "Use d = 0.7 (against midazolam, not 1.8 against saline) and increase n until power reaches 0.9.",
        "sim.analytic_power_curve(np.arange(3, 200), 0.7) >= 0.9: the first n where this is True.",
    ],
    explanation="Planned with the saline-controlled effect size instead, the trial would have fewer than 10 "
                "patients per arm and would be badly underpowered against an active placebo.",
    mistakes=[
        Mistake("saline-effect-size", lambda: _n_for_power(1.8, 0.9),
                "You planned with the saline-controlled effect size (d = 1.8). Against midazolam the "
                "effect is much smaller (d = 0.7), so the trial needs far more patients."),
        Mistake("80-percent-power", lambda: _n_for_power(_d_vs_midazolam(), 0.8),
                "That is the size for 80% power; the question asks for 90%."),
        Mistake("total-not-per-arm", lambda: 2 * _n_for_power(_d_vs_midazolam(), 0.9),
                "That is the total for both arms; give patients per arm."),
    ],
))

# ----------------------------------------------------------------------------- 4. time course of a course
def _ad():
    # imported on use: every chapter's checks load together, and ketacourse.pd is a separate package
    from ..pd import antidepressant

    return antidepressant


def _days_after_last_below(schedule_days, thr) -> tuple[float, float]:
    ad = _ad()
    t = np.linspace(0, 80, 8001)
    g = ad.effect_g(t, schedule_days)
    below = t[(t > schedule_days[-1] + 1) & (g < thr)]
    return float(below[0] - schedule_days[-1]), float(below[0])


def _threshold() -> float:
    return next(p["g"] for p in _ad().calibration_points("fit") if p["key"] == "offset")


register(NumericCheck(
    key="ch3-course-offset",
    expected=lambda: _days_after_last_below(_ad().twice_weekly(2), _threshold())[0],
    unit="days after the last infusion",
    rel_tol=_TOL,
    hints=[
        "After a course, the question is how long the effect lasts once dosing stops: count from the last infusion.",
        "Compute the model on a fine time grid, find when it first drops below the detection line after the last dose.",
        "g = ad.effect_g(t, ad.twice_weekly(2)); first t after day 11.5 with g < 0.275, minus 10.5.",
    ],
    explanation="Longer than after a single infusion: in this linear model repeated doses stack up, so the "
                "effect lasts longer. Whether real courses stack up this way is exactly what the check point "
                "after 2–3 weeks questions.",
    mistakes=[
        Mistake("from-first-infusion", lambda: _days_after_last_below(_ad().twice_weekly(2), _threshold())[1],
                "You counted from the first infusion; count from the last one (day 10.5)."),
        Mistake("single-infusion", lambda: _days_after_last_below([0.0], _threshold())[0],
                "That is the value for a single infusion; the question is about a two-week twice-weekly course."),
    ],
))

# ----------------------------------------------------------------------------- 5. the masked trial
register(ChoiceCheck(
    key="ch3-masked-trial",
    answer="c",
    options=("a", "b", "c", "d"),
    hints=[
        "Ask what the design removed: could anyone tell who had ketamine?",
        "Then ask what a trial of 20 patients per arm can and cannot rule out: look at the confidence interval.",
    ],
    explanation="Lii et al. removed the cue that tells patients and raters who had ketamine. With that cue "
                "gone, the day-1 difference was small and not significant, which fits a large role for "
                "expectancy in unmasked trials; but 40 patients cannot rule out a moderate real effect, "
                "and surgery and anaesthesia are unusual conditions.",
    feedback={
        "a": "The trial was small (20 per arm): its confidence interval includes moderate benefits, so it "
             "cannot show that ketamine has no effect.",
        "b": "Both arms had the same anaesthetic and surgery; the placebo arm improved too (50% responded "
             "at day 1), so anaesthesia alone cannot explain the ketamine arm's improvement.",
        "d": "The randomised comparison is what controls for surgery and anaesthesia; the problem is not "
             "confounding but what blinding removed and how precise the estimate is.",
    },
))
