"""The evidence engine: effect sizes against closed forms and textbook examples, the meta-analysis
wrapper against a published pooled estimate, the trial table against its sources, and bad inputs.

Reference values
----------------
- Borenstein et al. (2009), *Introduction to Meta-Analysis*, ch. 4 and 5 (worked examples):
  means 103 (SD 5.5, n 50) vs 100 (SD 4.5, n 50) give d = 0.5970, Var(d) = 0.0418, J = 0.9923,
  g = 0.5924, Var(g) = 0.0411; 5/100 vs 10/100 events give ln RR = −0.6931 (Var 0.2800),
  ln OR = −0.7472 (Var 0.3216), RD = −0.0500 (Var 0.001375). Each is re-derived by hand below.
- BCG vaccine trials (Colditz et al. 1994; the 13 2×2 tables distributed with R's metafor as
  ``dat.bcg``). The metafor test suite checks ``rma(method="DL")`` against Stata's ``metan``:
  ln RR −0.7141 (95% CI −1.0644 to −0.3638), τ² 0.3088, I² 92.1173%; ln OR −0.7474
  (−1.1242 to −0.3706), τ² 0.3663, I² 92.6455%; RD −0.0071 (−0.0101 to −0.0040), I² 95.6596%.
  Colditz et al. report the random-effects RR as 0.49 (0.34 to 0.70). Tolerance: 5e-4 on the
  pooling scale (the references are printed to 4 decimals); no other difference is expected, as
  both use DerSimonian–Laird with the same per-trial variances.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects, effectsize_smd

from ketacourse import evidence as ev
from ketacourse.evidence import trials as tr

# ----------------------------------------------------------------------------- BCG data (dat.bcg)
BCG_TPOS = [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27]
BCG_TNEG = [119, 300, 228, 13536, 5036, 1361, 2537, 87886, 7470, 1699, 50448, 2493, 16886]
BCG_CPOS = [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29]
BCG_CNEG = [128, 274, 209, 12619, 5761, 1079, 619, 87892, 7232, 1600, 27197, 2338, 17825]


def bcg(measure):
    return [ev.binary_effect(measure, a, a + b, c, c + d, label=f"trial {i + 1}")
            for i, (a, b, c, d) in enumerate(zip(BCG_TPOS, BCG_TNEG, BCG_CPOS, BCG_CNEG))]


# ----------------------------------------------------------------------------- continuous
def test_hedges_g_textbook_example():
    # by hand: s_within = sqrt((49*5.5^2 + 49*4.5^2)/98) = sqrt(25.25); d = 3/5.02494 = 0.59702
    d = 3 / math.sqrt(25.25)
    var_d = 100 / 2500 + d**2 / 200
    j = 1 - 3 / (4 * 98 - 1)
    g = ev.hedges_g(103, 5.5, 50, 100, 4.5, 50)
    assert d == pytest.approx(0.5970, abs=1e-4) and var_d == pytest.approx(0.0418, abs=1e-4)
    assert j == pytest.approx(0.9923, abs=1e-4)
    assert g.estimate == pytest.approx(0.5924, abs=1e-4) == j * d
    assert g.variance == pytest.approx(0.0411, abs=1e-4)
    assert g.variance == pytest.approx(j**2 * var_d, rel=1e-12)
    lo, hi = g.ci()
    assert lo == pytest.approx(g.estimate - ev.effect_sizes.Z95 * g.se) and hi > g.estimate
    assert g.measure == "g" and (g.n1, g.n2) == (50, 50)


def test_hedges_g_estimate_agrees_with_statsmodels():
    # Same bias-corrected g. The variances differ by design: the course uses Borenstein's
    # J²·[(n1+n2)/(n1·n2) + d²/(2(n1+n2))]; statsmodels (like metafor's escalc) uses
    # (n1+n2)/(n1·n2) + g²/(2(n1+n2−3.94)). Here that is a 2.4% difference in variance.
    g = ev.hedges_g(-16.5, 10.97, 47, -8.8, 9.5, 25)
    g_sm, var_sm = effectsize_smd(-16.5, 10.97, 47, -8.8, 9.5, 25)
    assert g.estimate == pytest.approx(float(g_sm), rel=1e-12)
    assert float(var_sm) == pytest.approx(72 / (47 * 25) + g.estimate**2 / (2 * (72 - 3.94)), rel=1e-12)
    assert g.variance == pytest.approx(float(var_sm), rel=0.03)


def test_sign_convention_treatment_minus_control():
    assert ev.hedges_g(-16.5, 10, 20, -8.8, 10, 20).estimate < 0
    assert ev.flip(ev.hedges_g(-16.5, 10, 20, -8.8, 10, 20)).estimate > 0


def test_sd_from_se_and_ci():
    assert ev.sd_from_se(2.0, 25) == pytest.approx(10.0)
    # a 95% CI of width 2*1.959964 around a mean means SE 1; SD = SE*sqrt(n)
    assert ev.sd_from_ci(9.0, 9.0 + 2 * 1.959964, 25) == pytest.approx(5.0, rel=1e-6)
    # Cochrane Handbook: for small n use t(n-1) instead of 1.96 (larger quantile, smaller SD)
    assert ev.sd_from_ci(0, 4, 10, use_t=True) < ev.sd_from_ci(0, 4, 10)
    via_se = ev.hedges_g_from_se(-16.5, 10.97 / math.sqrt(47), 47, -8.8, 9.5 / 5, 25)
    assert via_se.estimate == pytest.approx(ev.hedges_g(-16.5, 10.97, 47, -8.8, 9.5, 25).estimate)
    assert "SE" in via_se.note


def test_effect_from_ci_ratio_uses_the_log_scale():
    hr = ev.effect_from_ci("hr", 0.49, 0.29, 0.84)
    assert hr.estimate == pytest.approx(math.log(0.49))
    assert hr.se == pytest.approx((math.log(0.84) - math.log(0.29)) / (2 * 1.959964), rel=1e-5)
    lo, hi = hr.ci()
    assert lo == pytest.approx(0.29, rel=0.03) and hi == pytest.approx(0.84, rel=0.03)  # asymmetric CI


# ----------------------------------------------------------------------------- binary
def test_binary_textbook_example():
    rr, orr, rd = (ev.binary_effect(m, 5, 100, 10, 100) for m in ("rr", "or", "rd"))
    assert rr.estimate == pytest.approx(math.log(0.5)) and rr.variance == pytest.approx(1 / 5 - 1 / 100 + 1 / 10 - 1 / 100)
    assert rr.variance == pytest.approx(0.2800, abs=1e-4)
    assert orr.estimate == pytest.approx(math.log(5 * 90 / (95 * 10))) == pytest.approx(-0.7472, abs=1e-4)
    assert orr.variance == pytest.approx(0.3216, abs=1e-4)
    assert rd.estimate == pytest.approx(-0.05) and rd.variance == pytest.approx(0.001375)
    assert orr.value == pytest.approx(0.4737, abs=1e-4)


def test_zero_cell_gets_the_half_correction_and_says_so():
    e = ev.odds_ratio(0, 20, 5, 20)
    assert e.estimate == pytest.approx(math.log(0.5 * 15.5 / (20.5 * 5.5)))
    assert "0.5 added" in e.note
    assert "0.5 added" in ev.risk_ratio(0, 20, 5, 20).note


def test_nnt_matches_published_numbers():
    # ELEKT-D: 55.4% vs 41.2% response, difference 14.2 points (95% CI 3.9 to 24.2)
    res = ev.nnt(108, 195, 70, 170)
    assert 100 * res["rd"] == pytest.approx(14.2, abs=0.05)
    assert 100 * res["rd_lower"] == pytest.approx(3.9, abs=0.3) and 100 * res["rd_upper"] == pytest.approx(24.2, abs=0.3)
    assert res["kind"] == "benefit" and not res["crosses_zero"]
    assert res["lower"] == pytest.approx(1 / res["rd_upper"]) and res["upper"] == pytest.approx(1 / res["rd_lower"])
    # SUSTAIN-1: the authors report NNT 6 (remitters) and 4 (responders), i.e. 1/|RD| rounded up
    assert math.ceil(ev.nnt(24, 90, 39, 86)["nnt"]) == 6
    assert math.ceil(ev.nnt(16, 62, 34, 59)["nnt"]) == 4


def test_nnt_interval_through_infinity_when_rd_ci_crosses_zero():
    res = ev.nnt_interval(0.05, -0.02, 0.12)
    assert res["crosses_zero"] and res["nnt"] == pytest.approx(20)
    assert res["benefit_from"] == pytest.approx(1 / 0.12) and res["harm_from"] == pytest.approx(50)
    assert ev.nnt_interval(0.0, -0.1, 0.1)["nnt"] == math.inf


def test_conversions_round_trip_and_known_values():
    assert ev.log_or_to_d(ev.d_to_log_or(0.7)) == pytest.approx(0.7)
    assert ev.log_or_to_d(math.log(2.85)) == pytest.approx(math.log(2.85) * math.sqrt(3) / math.pi)
    assert ev.nnt_from_d(0.0, 0.3) == math.inf
    # d 0.7 vs midazolam with an 18% midazolam response rate (Wilkinson 2019) implies a ketamine
    # response of Phi(Phi^-1(0.18) + 0.7) = 41.5%, inside the IPD model's 45% (34 to 56)
    nnt = ev.nnt_from_d(0.7, 0.18)
    assert 1 / nnt + 0.18 == pytest.approx(0.415, abs=0.002)
    assert 0.34 <= 1 / nnt + 0.18 <= 0.56


# ----------------------------------------------------------------------------- meta-analysis
@pytest.mark.parametrize(("measure", "est", "lo", "hi", "tau2", "i2"), [
    ("rr", -0.7141, -1.0644, -0.3638, 0.3088, 92.1173),
    ("or", -0.7474, -1.1242, -0.3706, 0.3663, 92.6455),
    ("rd", -0.0071, -0.0101, -0.0040, 0.0000, 95.6596),
])
def test_meta_analysis_reproduces_published_bcg_estimates(measure, est, lo, hi, tau2, i2):
    res = ev.meta_analyse(bcg(measure))
    assert res.estimate == pytest.approx(est, abs=5e-4)
    assert res.ci_low == pytest.approx(lo, abs=5e-4) and res.ci_high == pytest.approx(hi, abs=5e-4)
    assert res.tau2 == pytest.approx(tau2, abs=5e-4)
    assert 100 * res.i2 == pytest.approx(i2, abs=5e-3)
    assert res.k == 13 and sum(res.weights) == pytest.approx(1.0)


def test_bcg_risk_ratio_matches_colditz_rounded():
    res = ev.meta_analyse(bcg("rr"))
    assert round(res.value, 2) == 0.49
    assert [round(x, 2) for x in res.ci()] == [0.34, 0.70]


def test_dl_tau2_is_truncated_at_zero_unlike_raw_statsmodels():
    eff = [ev.EffectSize("g", x, math.sqrt(v)) for x, v in ((0.1, 0.04), (0.5, 0.05), (0.3, 0.02))]
    raw = combine_effects(np.array([0.1, 0.5, 0.3]), np.array([0.04, 0.05, 0.02]), method_re="dl")
    assert raw.tau2 < 0  # the behaviour corrected here
    res = ev.meta_analyse(eff)
    assert res.tau2 == 0 and res.i2 == 0
    assert res.estimate == pytest.approx(float(raw.mean_effect_fe)) and res.se == pytest.approx(float(raw.sd_eff_w_fe))


def test_paule_mandel_and_single_trial():
    res = ev.meta_analyse(bcg("rr"), method="pm")
    assert res.tau2 > 0 and res.method == "pm"
    one = ev.meta_analyse(bcg("rr")[:1])
    assert one.k == 1 and one.estimate == pytest.approx(bcg("rr")[0].estimate) and one.i2 == 0


# ----------------------------------------------------------------------------- the trial table
@pytest.fixture(scope="module")
def depression():
    return ev.load_trials("trials_depression")


def test_trial_table_loads_and_every_row_gives_its_measures(depression):
    assert "trials_depression" in ev.trial_tables()
    assert len(depression) >= 12
    for c in depression:
        assert c.design in tr.DESIGNS and c.source and c.flag in "PLSD"
        for o in c.outcomes:
            for m in o.measures:
                e = ev.outcome_effect(c, o, m)
                assert np.isfinite(e.estimate) and e.se > 0, (c.id, o.name, o.time, m)


def test_trial_table_covers_the_chapter(depression):
    ids = {c.id for c in depression}
    assert {"berman2000", "murrough2013", "singh2016", "lii2023", "su2023", "grunebaum2018", "transform2",
            "sustain1_remitters", "escape_trd", "elektd"} <= ids
    comparators = {c.comparator for c in depression}
    assert {"saline", "midazolam", "placebo spray", "quetiapine", "ECT"} <= comparators
    avail = ev.available(depression)
    assert {"depression", "response", "remission", "relapse", "suicidal_ideation"} <= set(avail)


def test_table_reproduces_published_percentages(depression):
    by_id = {c.id: c for c in depression}
    esc = by_id["escape_trd"].outcome("remission", "week 8").values
    assert 100 * esc["events_treatment"] / esc["n_treatment"] == pytest.approx(27.1, abs=0.05)
    assert 100 * esc["events_control"] / esc["n_control"] == pytest.approx(17.6, abs=0.05)
    su = by_id["su2023"].outcome("response", "day 2–3").values
    assert 100 * su["events_treatment"] / su["n_treatment"] == pytest.approx(35.7, abs=0.05)
    murrough = by_id["murrough2013"].outcome("depression", "day 1").values
    # the derived SDs reproduce the published within-group t statistics
    for arm, t in (("treatment", 10.31), ("control", 4.63)):
        n = murrough[f"n_{arm}"]
        assert abs(murrough[f"mean_{arm}"]) / (murrough[f"sd_{arm}"] / math.sqrt(n)) == pytest.approx(t, rel=0.005)


def test_select_filters_by_comparator_design_and_measure(depression):
    d28 = ev.select(depression, "response", "day 28", "rd")
    assert {c.comparator for c, _e in d28} == {"placebo spray"} and len(d28) == 4
    assert ev.select(depression, "response", "day 28", "or") == []  # reported as risk differences only
    assert ev.select(depression, "response", "day 28", "rd", comparators={"saline"}) == []
    assert ev.select(depression, "depression", "day 3", "g", designs={"parallel"}) == []
    day1 = ev.select(depression, "depression", "day 1", "g", exclude={"lii2023"})
    assert [c.id for c, _e in day1] == ["murrough2013"]
    pooled = ev.meta_analyse([e for _c, e in d28])
    assert 0.08 < pooled.estimate < 0.22 and pooled.ci_low > 0


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(("call", "message"), [
    (lambda: ev.hedges_g(1, 0, 10, 0, 1, 10), r"^sd1 must be a finite number > 0; got 0"),
    (lambda: ev.hedges_g(1, 1, 10, 0, -2, 10), r"^sd2 must be a finite number > 0; got -2"),
    (lambda: ev.hedges_g(1, 1, -5, 0, 1, 10), r"^n1 must be a finite number >= 2; got -5"),
    (lambda: ev.hedges_g(1, 1, 10.5, 0, 1, 10), r"^n1 must be a whole number of patients >= 2; got 10.5"),
    (lambda: ev.hedges_g(math.nan, 1, 10, 0, 1, 10), r"^mean1 must be a finite number; got nan"),
    (lambda: ev.odds_ratio(12, 10, 1, 10), r"^events1 must be a finite number >= 0 and <= 10; got 12"),
    (lambda: ev.odds_ratio(-1, 10, 1, 10), r"^events1 must be a finite number >= 0 and <= 10; got -1"),
    (lambda: ev.risk_ratio(1, 0, 1, 10), r"^n1 must be a finite number >= 1; got 0"),
    (lambda: ev.odds_ratio(0, 10, 0, 10), r"^events1 and events2 must not both be 0"),
    (lambda: ev.binary_effect("hr", 1, 10, 2, 10), r"^measure must be one of 'or', 'rr', 'rd'; got 'hr'"),
    (lambda: ev.effect_from_ci("or", 2.0, 2.5, 3.0), r"^lower must be a finite number > 0 and <= 2; got 2.5"),
    (lambda: ev.effect_from_ci("md", -4.0, -7.3, -4.5), r"^upper must be a finite number >= -4; got -4.5"),
    (lambda: ev.sd_from_se(0, 10), r"^se must be a finite number > 0; got 0"),
    (lambda: ev.nnt_from_d(0.5, 1.0), r"^control_event_rate must be a finite number > 0 and < 1; got 1"),
    (lambda: ev.meta_analyse([]), r"^effects must hold at least 1 trial; got an empty selection"),
    (lambda: ev.meta_analyse([ev.hedges_g(1, 1, 5, 0, 1, 5), ev.odds_ratio(1, 5, 2, 5)]),
     r"^effects must all use one measure; got g, or"),
    (lambda: ev.meta_analyse(bcg("rr"), method="reml"), r"^method must be one of 'dl', 'pm'; got 'reml'"),
    (lambda: ev.meta_analyse([1.0]), r"^effects must be EffectSize objects; element 0 is float"),
    (lambda: ev.EffectSize("g", 0.5, 0.0), r"^se must be a finite number > 0; got 0"),
    (lambda: ev.load_trials("trials_pain_typo"), r"^name must be one of 'trials_depression'"),
])
def test_bad_inputs_raise_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _table(**outcome):
    base = {"id": "x", "trial": "X 2020", "source": "s", "flag": "P", "design": "parallel", "blinding": "double-blind",
            "comparator": "saline", "population": "p", "treatment": "t", "control": "c", "n_treatment": 10,
            "n_control": 10}
    row = {"name": "response", "time": "day 1", "time_days": 1.0, "source": "s", "flag": "P", **outcome}
    return {"comparisons": [{**base, "outcomes": [row]}]}


@pytest.mark.parametrize(("outcome", "message"), [
    ({"kind": "counts", "events_treatment": 3}, r"field 'events_control' is required for kind 'counts'"),
    ({"kind": "means", "mean_treatment": 1, "mean_control": 0, "sd_treatment": 1}, r"kind 'means' needs sd_control or se_control"),
    ({"kind": "tally"}, r"kind must be one of 'means', 'counts', 'reported'; got 'tally'"),
    ({"kind": "reported", "measure": "nnt", "estimate": 1, "lower": 0, "upper": 2}, r"measure must be one of"),
    ({"kind": "counts", "events_treatment": 3, "events_control": 1, "flag": "U"}, r"flag must be one of 'P', 'L', 'S', 'D'; got 'U'"),
])
def test_bad_trial_rows_are_refused_with_where_and_which_field(outcome, message):
    with pytest.raises(ValueError, match=message):
        ev.parse_trials(_table(**outcome), "trials_test") if hasattr(ev, "parse_trials") else tr.parse_trials(
            _table(**outcome), "trials_test")


def test_counts_beyond_n_in_a_table_row_raise_when_used():
    (c,) = tr.parse_trials(_table(kind="counts", events_treatment=12, events_control=1))
    with pytest.raises(ValueError, match=r"^events1 must be a finite number >= 0 and <= 10; got 12"):
        ev.outcome_effect(c, c.outcomes[0], "or")


def test_odds_ratio_and_nnt_reproduce_a_published_ketamine_trial():
    """Grunebaum 2018: N = 80, SSI responders 55% vs 30%, OR 2.85 (95% CI 1.14 to 7.15), NNT 4.0.
    With 40 per arm (22/40 vs 12/40, derived) the course's Woolf OR and CI match to the printed digits."""
    orr = ev.odds_ratio(22, 40, 12, 40)
    lo, hi = orr.ci()
    assert round(orr.value, 2) == 2.85 and round(lo, 2) == 1.14 and round(hi, 2) == 7.15
    assert ev.nnt(22, 40, 12, 40)["nnt"] == pytest.approx(4.0)
    table = {c.id: c for c in ev.load_trials("trials_depression")}
    reported = ev.outcome_effect(table["grunebaum2018"], table["grunebaum2018"].outcome("suicidal_ideation", "day 1"),
                                 "or")
    assert reported.estimate == pytest.approx(orr.estimate, abs=0.005)
    assert reported.se == pytest.approx(orr.se, rel=0.01)  # SE recovered from the published CI
