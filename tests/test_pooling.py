"""Pooling checks of the evidence engine (ketacourse.evidence.pooling and the shared-control split in
ketacourse.evidence.trials): a control arm shared by two rows is counted once, strata of one trial
are counted as one trial, and mixing change with final scores, kinds of comparator, drugs or
analyses is flagged with a sensitivity result that shows what the mixing changes."""

from __future__ import annotations

import math
import warnings

import pytest

from ketacourse import evidence as ev
from ketacourse.evidence import trials as tr


def _row(id_, comparator="saline", drug="racemic ketamine", **extra):
    base = {"id": id_, "trial": id_, "source": "x", "flag": "P", "design": "parallel", "blinding": "double-blind",
            "comparator": comparator, "population": "p", "treatment": "t", "control": "c", "drug": drug}
    base.update(extra)
    return base


def _counts(events_t, n_t, events_c, n_c, **extra):
    return {"name": "response", "time": "day 1", "time_days": 1.0, "kind": "counts", "source": "x", "flag": "P",
            "events_treatment": events_t, "n_treatment": n_t, "events_control": events_c, "n_control": n_c, **extra}


def _means(mean_t, sd_t, n_t, mean_c, sd_c, n_c, score):
    return {"name": "depression", "time": "day 1", "time_days": 1.0, "kind": "means", "source": "x", "flag": "P",
            "mean_treatment": mean_t, "sd_treatment": sd_t, "n_treatment": n_t, "mean_control": mean_c,
            "sd_control": sd_c, "n_control": n_c, "score": score}


@pytest.fixture()
def two_doses_one_placebo():
    """A three-arm trial (two doses, one placebo arm of 100 with 30 responders) and a second trial."""
    table = {"comparisons": [
        _row("low", control_group="trialA_placebo", trial_id="trialA", outcomes=[_counts(40, 100, 30, 100)]),
        _row("high", control_group="trialA_placebo", trial_id="trialA", outcomes=[_counts(45, 100, 30, 100)]),
        _row("other", outcomes=[_counts(50, 80, 35, 81)]),
    ]}
    return tr.parse_trials(table, "synthetic")


def test_shared_control_arm_is_split_between_the_rows_that_use_it(two_doses_one_placebo):
    split = ev.select(two_doses_one_placebo, "response", "day 1", "rd")
    by_id = {c.id: e for c, e in split}
    # Cochrane Handbook, chapter 23: each row gets half the placebo arm, events and patients
    assert (by_id["low"].n2, by_id["high"].n2, by_id["other"].n2) == (50, 50, 81)
    assert by_id["low"].estimate == pytest.approx(0.40 - 15 / 50)
    assert by_id["low"].se == pytest.approx(ev.risk_difference(40, 100, 15, 50).se)
    assert "shared control arm split 2 ways" in by_id["low"].note
    kept = {c.id: e for c, e in ev.select(two_doses_one_placebo, "response", "day 1", "rd", shared_control="keep")}
    assert kept["low"].n2 == 100 and kept["low"].se < by_id["low"].se
    # the pooled patient count includes the 100 placebo patients once when split, twice when kept
    assert ev.meta_analyse([e for _c, e in split]).n_total == 100 + 100 + 100 + 80 + 81
    assert ev.meta_analyse(list(kept.values())).n_total == 100 + 100 + 200 + 80 + 81
    # an odd number of patients or events is divided into whole parts that add up to the arm
    odd = tr.parse_trials({"comparisons": [
        _row("a", control_group="g", outcomes=[_counts(10, 20, 7, 33)]),
        _row("b", control_group="g", outcomes=[_counts(12, 20, 7, 33)])]})
    parts = [e for _c, e in ev.select(odd, "response", "day 1", "rr")]
    assert sorted(e.n2 for e in parts) == [16, 17]


def test_a_single_selected_row_keeps_its_whole_control_arm(two_doses_one_placebo):
    (c, e), = ev.select(two_doses_one_placebo, "response", "day 1", "rd", exclude={"high", "other"})
    assert e.n2 == 100 and "split" not in e.note


def test_reported_rows_inflate_their_se_for_the_smaller_control_part():
    rd = {"name": "response", "time": "day 28", "time_days": 28.0, "kind": "reported", "measure": "rd",
          "estimate": 0.15, "lower": 0.02, "upper": 0.28, "rate_treatment": 0.54, "rate_control": 0.39,
          "source": "x", "flag": "P"}
    md = {"name": "depression", "time": "day 28", "time_days": 28.0, "kind": "reported", "measure": "md",
          "estimate": -3.0, "lower": -6.0, "upper": 0.0, "source": "x", "flag": "P"}
    table = {"comparisons": [
        _row("a", n_treatment=115, n_control=113, control_group="g", outcomes=[rd, md]),
        _row("b", n_treatment=114, n_control=113, control_group="g", outcomes=[rd, md])]}
    cs = tr.parse_trials(table)
    se0 = (0.28 - 0.02) / (2 * ev.effect_sizes.Z95)
    (_ca, a), (_cb, b) = ev.select(cs, "response", "day 28", "rd")
    p1, p2 = 0.54, 0.39
    factor = math.sqrt((p1 * (1 - p1) / 115 + p2 * (1 - p2) / 57) / (p1 * (1 - p1) / 115 + p2 * (1 - p2) / 113))
    assert a.estimate == 0.15 and a.se == pytest.approx(se0 * factor) and a.n2 == 57 and b.n2 == 56
    (_c, m), _ = ev.select(cs, "depression", "day 28", "md")
    equal_var = math.sqrt((1 / 115 + 1 / 57) / (1 / 115 + 1 / 113))  # equal arm variances assumed
    assert m.se == pytest.approx(3.0 / ev.effect_sizes.Z95 * equal_var)
    no_n = tr.parse_trials({"comparisons": [_row("a", control_group="g", outcomes=[md]),
                                            _row("b", control_group="g", outcomes=[md])]})
    with pytest.raises(ValueError, match=r"^a: a reported row needs n_treatment and n_control to split"):
        ev.select(no_n, "depression", "day 28", "md")


def test_pool_flags_the_split_and_shows_the_double_counted_result(two_doses_one_placebo):
    res = ev.pool(two_doses_one_placebo, "response", "day 1", "rd")
    assert res.flags == ("shared-control-split", "strata-of-one-trial")
    assert res.result.k == 3 and res.n_trials == 2
    twice = res.sensitivity["shared control arm counted once per row"]
    assert twice.ci_high - twice.ci_low < res.result.ci_high - res.result.ci_low  # double counting looks precise
    kept = ev.pool(two_doses_one_placebo, "response", "day 1", "rd", shared_control="keep")
    assert kept.flags[0] == "shared-control-double-counted" and kept.sensitivity == {}


def test_mixing_change_and_final_scores_is_flagged_with_a_result_per_score_type():
    table = {"comparisons": [
        _row("change1", outcomes=[_means(-16.5, 11.0, 47, -8.8, 9.5, 25, "change")]),
        _row("change2", outcomes=[_means(-14.0, 10.0, 30, -9.0, 10.0, 30, "change")]),
        _row("final1", outcomes=[_means(12.7, 7.6, 20, 16.4, 10.0, 19, "final")])]}
    cs = tr.parse_trials(table)
    with pytest.warns(ev.MixedEvidenceWarning, match="change-from-baseline and final scores"):
        res = ev.pool(cs, "depression", "day 1", "g", warn=True)
    assert res.flags == ("mixed-score-type",)
    change, final = res.sensitivity["change scores only"], res.sensitivity["final scores only"]
    assert change.k == 2 and final.k == 1
    only_final = ev.meta_analyse([ev.select(cs, "depression", "day 1", "g", exclude={"change1", "change2"})[0][1]])
    assert final.estimate == pytest.approx(only_final.estimate)
    assert res.result.k == 3 and change.estimate != pytest.approx(res.result.estimate)
    with warnings.catch_warnings():  # no warning unless asked for, and none for an unmixed selection
        warnings.simplefilter("error")
        ev.pool(cs, "depression", "day 1", "g")
        ev.pool(cs, "depression", "day 1", "g", exclude={"final1"}, warn=True)


def test_mixing_comparators_and_drugs_is_flagged():
    table = {"comparisons": [
        _row("mid", comparator="midazolam", outcomes=[_counts(20, 40, 8, 38)]),
        _row("sal", comparator="saline", outcomes=[_counts(12, 20, 10, 20)]),
        _row("esk", comparator="placebo spray", drug="esketamine", outcomes=[_counts(60, 110, 44, 113)])]}
    res = ev.pool(tr.parse_trials(table), "response", "day 1", "rd")
    assert res.flags == ("mixed-comparator", "mixed-drug")
    assert set(res.sensitivity) == {"vs active placebo only", "vs inert placebo only", "racemic ketamine only",
                                    "esketamine only"}
    assert res.sensitivity["vs inert placebo only"].k == 2
    assert "inert placebo" in " ".join(res.messages)


def test_chapter3_headline_counts_the_transform1_placebo_arm_once():
    cs = ev.load_trials("trials_depression")
    res = ev.pool(cs, "response", "day 28", "rd")
    assert res.result.k == 4 and res.n_trials == 3
    assert res.flags == ("shared-control-split", "strata-of-one-trial")
    # 115 + 114 (two doses) + 113 placebo once; TRANSFORM-2 114 + 109; TRANSFORM-3 72 + 65
    assert res.result.n_total == 115 + 114 + 113 + 114 + 109 + 72 + 65
    twice = res.sensitivity["shared control arm counted once per row"]
    assert twice.n_total == res.result.n_total + 113
    assert twice.ci_low > res.result.ci_low  # the double-counted interval is too narrow
    # SUSTAIN-1's two strata are one trial
    relapse = ev.pool(cs, "relapse", "maintenance", "rr")
    assert relapse.result.k == 2 and relapse.n_trials == 1 and "strata-of-one-trial" in relapse.flags
    # the day-1 depression pool mixes a change score (Murrough) with a final score (Lii) and two comparators
    day1 = ev.pool(cs, "depression", "day 1", "g")
    assert {"mixed-score-type", "mixed-comparator"} <= set(day1.flags)
    assert day1.sensitivity["change scores only"].k == 1


def test_nonresponder_imputation_recounts_observed_cases_over_all_randomised():
    cs = {c.id: c for c in ev.load_trials("trials_depression")}
    c = cs["transform12_pooled"]
    out = ev.nonresponder_imputation(c, c.outcomes[0])
    assert out["observed"].estimate == pytest.approx(182 / 310 - 94 / 208)
    assert out["all_randomised"].estimate == pytest.approx(182 / 343 - 94 / 222)
    assert out["all_randomised"].estimate < out["observed"].estimate
    assert out["nnt_all_randomised"]["nnt"] > out["nnt_observed"]["nnt"]
    with pytest.raises(ValueError, match=r"^elektd: field 'n_treatment_randomised' is required"):
        ev.nonresponder_imputation(cs["elektd"], cs["elektd"].outcomes[0])


@pytest.mark.parametrize(("call", "message"), [
    (lambda cs: ev.select(cs, "response", "day 1", "rd", shared_control="merge"),
     r"^shared_control must be one of 'split', 'keep'; got 'merge'"),
    (lambda cs: tr.outcome_effect(cs[0], cs[0].outcomes[0], "rd", control_share=(2, 2)),
     r"^control_share must be \(index, parts\) with 0 <= index < parts and parts >= 1; got \(2, 2\)"),
])
def test_bad_pooling_arguments_raise_naming_the_argument(two_doses_one_placebo, call, message):
    with pytest.raises(ValueError, match=message):
        call(two_doses_one_placebo)


def test_bad_score_or_analysis_in_a_table_is_refused_with_where():
    bad = _counts(1, 10, 2, 10, analysis="completers")
    with pytest.raises(ValueError, match=r"^t\.a\.outcomes\[0\]\.analysis must be one of 'observed case'"):
        tr.parse_trials({"comparisons": [_row("a", outcomes=[bad])]}, "t")
    bad = _means(1, 1, 10, 0, 1, 10, "delta")
    with pytest.raises(ValueError, match=r"^t\.a\.outcomes\[0\]\.score must be one of 'change', 'final'"):
        tr.parse_trials({"comparisons": [_row("a", outcomes=[bad])]}, "t")
