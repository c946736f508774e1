"""Chapter 6 safety models and data: the session simulator's monitoring logic, route differences,
bad input, and the safety tables (provenance, rates within 0-100 %, counts consistent with n)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse import evidence as ev
from ketacourse import pk, safety
from ketacourse.data import FLAGS, load_table
from ketacourse.safety import logistics, session


# ----------------------------------------------------------------------------- data tables
def _numbers(entry: dict):
    for key, value in entry.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield key, float(value)


def test_findings_have_unique_ids_known_topics_and_flags():
    table = load_table("safety")
    ids = [f["id"] for f in table["findings"]]
    assert len(ids) == len(set(ids))
    for f in table["findings"]:
        assert f["topic"] in table["topics"], f["id"]
        assert f["flag"] in FLAGS and f["source"], f["id"]
        assert f.get("effect") and f.get("setting"), f["id"]
    assert set(table["topics"]) <= {f["topic"] for f in table["findings"]}  # every topic has data


def test_percentages_are_within_0_100_and_ranges_ordered():
    for f in load_table("safety")["findings"]:
        for key, value in _numbers(f):
            if key.startswith(("percent", "control_percent")):
                assert 0.0 <= value <= 100.0, (f["id"], key, value)
        for key, low in _numbers(f):
            if key.endswith("_low"):
                high = f[key[:-4] + "_high"]
                assert low <= high, (f["id"], key)
                centre = f.get(key[:-4])
                if centre is not None:
                    assert low <= centre <= high, (f["id"], key)


def test_counts_are_consistent_with_n_and_published_percentages():
    checked = 0
    for f in load_table("safety")["findings"]:
        for arm in ("treatment", "control", "users"):
            if f"events_{arm}" in f:
                events, n = f[f"events_{arm}"], f[f"n_{arm}"]
                assert 0 <= events <= n, f["id"]
                assert round(100 * events / n, 1) == pytest.approx(f[f"percent_{arm}"], abs=0.05), f["id"]
                checked += 1
    assert checked >= 2
    mask = next(f for f in load_table("safety")["findings"] if f["id"] == "mask_cohort")
    assert mask["n_unexposed"] + mask["n_single"] + mask["n_multiple"] == mask["n_children"]


def test_trials_safety_counts_reproduce_the_published_percentages():
    comps = ev.load_trials("trials_safety")
    rows = 0
    for c in comps:
        assert c.n_treatment > 0 and c.n_control > 0
        for o in c.outcomes:
            v = o.values
            assert o.kind == "counts" and o.flag == ("P" if c.id == "aspire_pooled" else "D")
            for arm in ("treatment", "control"):
                e, n = v[f"events_{arm}"], v[f"n_{arm}"]
                assert 0 <= e <= n
                assert 0 <= v[f"percent_{arm}"] <= 100
                # the derived count gives back the published percentage to its decimal
                assert abs(100 * e / n - v[f"percent_{arm}"]) < 0.05 + 1e-9, (c.id, o.name, arm)
            rows += 1
    assert rows >= 18


def test_the_count_derivation_reproduces_published_counts():
    """ASPIRE's table gives counts as well as percentages: round(percent x n / 100), the rule used for
    the other trials' derived counts, gives back every published count."""
    aspire = next(c for c in ev.load_trials("trials_safety") if c.id == "aspire_pooled")
    assert len(aspire.outcomes) >= 9
    for o in aspire.outcomes:
        v = o.values
        for arm in ("treatment", "control"):
            assert round(v[f"percent_{arm}"] * v[f"n_{arm}"] / 100) == v[f"events_{arm}"], (o.name, arm)


def test_trials_safety_pooling_and_nnh():
    comps = ev.load_trials("trials_safety")
    chosen = ev.select(comps, "dizziness", "double-blind, 4 weeks", "rd")
    assert [c.id for c, _e in chosen] == ["transform1", "aspire_pooled"]
    pooled = ev.meta_analyse([e for _c, e in chosen])
    assert 0 < pooled.estimate < 1  # more dizziness with esketamine
    nnh = ev.nnt_interval(pooled.estimate, pooled.ci_low, pooled.ci_high)
    assert nnh["kind"] == "benefit"  # arithmetic sign: more events with treatment, i.e. a harm here
    assert 2 < nnh["nnt"] < 10
    # ASPIRE dissociation: 77/227 vs 13/225 -> RD 0.281
    o = next(c for c in comps if c.id == "aspire_pooled").outcome("dissociation", "double-blind, 4 weeks")
    e = ev.outcome_effect(next(c for c in comps if c.id == "aspire_pooled"), o, "rd")
    assert e.estimate == pytest.approx(77 / 227 - 13 / 225)


def test_sessions_and_monitoring_rules_are_consistent():
    table = load_table("safety")
    for name, s in table["sessions"].items():
        assert s["monitoring"] in table["monitoring"], name
        assert s["pk_model"] in pk.model_keys(), name
        assert 0 < s["s_fraction"] <= 1
        assert ("dose_mg" in s) != ("dose_mg_per_kg" in s), name
        cal = session.finding(s["bp_calibration"])
        assert cal["topic"] == "cardiovascular" and "sbp_rise_mmhg" in cal
    assert table["monitoring"]["janssen2025"]["min_observation_min"] == 120.0
    assert 40.0 in table["monitoring"]["janssen2025"]["bp_checks_min"]


# ----------------------------------------------------------------------------- monitoring logic
def test_stability_logic_on_a_hand_made_curve():
    t = np.arange(0.0, 201.0, 1.0)
    ce = np.where(t < 50, t * 2.0, np.maximum(100.0 - (t - 50.0), 0.0))  # peak 100 at 50, below 50 from t = 101
    sbp = 120 + 0.1 * ce
    out = session.stability_and_discharge(t, ce, sbp, threshold_ng_ml=50.0, sbp_limit_mmhg=140.0, dose_end_min=10.0,
                                          min_observation_min=120.0)
    assert out["stable_min"] == 101.0
    assert out["observation_end_min"] == 130.0
    assert out["discharge_min"] == 130.0 and out["binding"] == "rule's minimum observation"
    shorter = session.stability_and_discharge(t, ce, sbp, threshold_ng_ml=50.0, sbp_limit_mmhg=140.0,
                                              dose_end_min=10.0, min_observation_min=60.0)
    assert shorter["discharge_min"] == 101.0 and shorter["binding"] == "model stability"
    none = session.stability_and_discharge(t, ce, sbp, threshold_ng_ml=50.0, sbp_limit_mmhg=140.0, dose_end_min=10.0,
                                           min_observation_min=None)
    assert none["observation_end_min"] is None and none["discharge_min"] == 101.0
    # blood pressure that never comes down below the limit: never stable, no discharge time
    high = session.stability_and_discharge(t, ce, sbp + 30, threshold_ng_ml=50.0, sbp_limit_mmhg=140.0,
                                           dose_end_min=10.0, min_observation_min=120.0)
    assert math.isnan(high["stable_min"]) and math.isnan(high["discharge_min"])
    assert high["binding"] == "not stable within the simulated window"


def test_stability_before_the_peak_does_not_count():
    t = np.arange(0.0, 100.0, 1.0)
    ce = np.where(t < 30, 0.0, 80.0 * np.exp(-(t - 30) / 20))  # low before the dose takes effect
    out = session.stability_and_discharge(t, ce, 120 + 0 * t, threshold_ng_ml=50.0, sbp_limit_mmhg=140.0,
                                          dose_end_min=0.0, min_observation_min=None)
    assert out["stable_min"] > 30


def test_nasal_session_follows_the_label_schedule():
    r = safety.simulate_session("nasal_esketamine_56")
    assert r.dose_end_min == 5.0  # two devices, 5 min apart
    assert r.observation_end_min == 125.0
    assert r.bp_checks_min == (0.0, 40.0)
    assert r.discharge_min >= r.observation_end_min
    assert r.discharge_min >= r.stable_min


def test_calibration_reproduces_the_published_peak_rises():
    iv = safety.simulate_session("iv_racemic")
    assert iv.peak_sbp_rise_mmhg == pytest.approx(3.28, rel=1e-9)  # Riva-Posse 2018 (uncontrolled)
    spray = safety.simulate_session("nasal_esketamine_84")
    assert spray.peak_sbp_rise_mmhg == pytest.approx(13.3 - 6.1, rel=1e-9)  # Doherty 2020, placebo-subtracted
    # peak times: model effect-site peak within 10-15 min of the published ~40 min (IV: 30-40 min)
    assert 30 <= iv.peak_effect_min <= 55
    assert 35 <= spray.peak_effect_min <= 60


def test_route_differences():
    iv, spray, sc = (safety.simulate_session(s) for s in ("iv_racemic", "nasal_esketamine_84", "sc_racemic"))
    assert sc.peak_effect_min < iv.peak_effect_min < spray.peak_effect_min
    assert spray.dissociative_min > iv.dissociative_min
    assert sc.observation_end_min is None and iv.observation_end_min is None
    assert spray.observation_end_min == 130.0
    rows = {r["session"]: r for r in safety.route_comparison()}
    assert rows["iv_racemic"]["f_model"] == pytest.approx(1.0, abs=1e-3)  # trapezoid AUC, 48 h
    assert rows["sc_racemic"]["f_model"] == pytest.approx(0.93, abs=0.01)  # borrowed F, no first pass
    assert rows["oral_racemic"]["f_model"] == pytest.approx(0.08, abs=0.01)  # Fanta 2015 oral S-ketamine
    assert 0.45 < rows["nasal_esketamine_84"]["f_model"] < 0.6  # label 48%, popPK 51%
    # first pass: more metabolite per unit parent after oral and nasal than after injections
    assert rows["oral_racemic"]["metabolite_to_parent"] > 5 * rows["iv_racemic"]["metabolite_to_parent"]
    assert rows["nasal_esketamine_84"]["metabolite_to_parent"] > rows["sc_racemic"]["metabolite_to_parent"]
    assert rows["oral_racemic"]["minutes_above_threshold"] == 0.0
    assert rows["sc_racemic"]["tmax_min"] < rows["iv_racemic"]["tmax_min"]


def test_weight_and_baseline_pressure_change_what_they_should():
    light, heavy = (safety.simulate_session("iv_racemic", weight_kg=w) for w in (50, 100))
    assert heavy.s_dose_mg == pytest.approx(2 * light.s_dose_mg)
    spray_light, spray_heavy = (safety.simulate_session("nasal_esketamine_84", weight_kg=w) for w in (50, 100))
    assert spray_light.s_dose_mg == spray_heavy.s_dose_mg == 84.0  # a fixed dose
    high = safety.simulate_session("nasal_esketamine_84", baseline_sbp_mmhg=138)
    assert high.peak_sbp_rise_mmhg == pytest.approx(7.2) and high.predose_bp_ok
    assert high.discharge_min >= safety.simulate_session("nasal_esketamine_84").discharge_min
    assert safety.simulate_session("iv_racemic", baseline_sbp_mmhg=150).predose_bp_ok is False


def test_dose_scale_is_linear_in_the_driver():
    base = safety.simulate_session("sc_racemic")
    double = safety.simulate_session("sc_racemic", dose_scale=2.0)
    np.testing.assert_allclose(double.effect_s_ng_ml, 2 * base.effect_s_ng_ml, rtol=1e-9, atol=1e-9)
    part = safety.simulate_session("nasal_esketamine_84", dose_scale=0.5)
    assert any("part-filled" in n for n in part.notes)


@pytest.mark.parametrize("kwargs, match", [
    ({"session": "iv"}, r"^session must be one of 'iv_racemic'"),
    ({"weight_kg": 20}, r"^weight_kg must be"),
    ({"baseline_sbp_mmhg": float("nan")}, r"^baseline_sbp_mmhg"),
    ({"dose_scale": 3.0}, r"^dose_scale must be"),
    ({"times_min": [5, 10, 20]}, r"^times_min must be a strictly increasing"),
])
def test_bad_input_raises_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        safety.simulate_session(**kwargs)


def test_bad_arrays_and_names_raise():
    with pytest.raises(ValueError, match="same length"):
        session.stability_and_discharge([0, 1], [1, 2, 3], [1, 2], threshold_ng_ml=1, sbp_limit_mmhg=1,
                                        dose_end_min=0, min_observation_min=None)
    with pytest.raises(ValueError, match="^finding id must be one of"):
        session.finding("nope")
    with pytest.raises(ValueError, match="^weight_kg must be"):
        logistics.route_comparison(weight_kg=500)


# ----------------------------------------------------------------------------- chapter 6 checks
CH6_NUMERIC = ("ch6-extra-vertigo", "ch6-discharge-56mg", "ch6-sc-dissociative-minutes", "ch6-oral-exposure-multiplier")


@pytest.mark.parametrize("key", CH6_NUMERIC)
def test_ch6_checks_accept_the_model_answer_and_name_each_mistake(key):
    from ketacourse import exercises as ex

    assert key in ex.registered()
    item = ex.get(key)
    assert ex.check(key, item.expected()).status == "correct"
    assert len(item.mistakes) >= 2
    for m in item.mistakes:
        fb = ex.check(key, m.value())
        assert fb.status == "incorrect" and fb.mistake == m.name, (key, m.name)


def test_ch6_check_values_are_the_stated_cases():
    from ketacourse import exercises as ex

    assert ex.get("ch6-extra-vertigo").expected() == pytest.approx(120 * (48 / 231 - 2 / 113))
    r = safety.simulate_session("nasal_esketamine_56", weight_kg=60, baseline_sbp_mmhg=138)
    assert ex.get("ch6-discharge-56mg").expected() == r.discharge_min > r.observation_end_min == 125.0
    assert r.binding == "model stability"  # a baseline just under the limit: blood pressure sets the time
    assert ex.get("ch6-oral-exposure-multiplier").expected() == pytest.approx(1 / 0.08, rel=0.03)
    fb = ex.check("ch6-neurotoxicity-evidence", "a")
    assert fb.status == "incorrect" and fb.mistake == "a"


# ----------------------------------------------------------------------------- the chapter's safety framing
def test_chapter6_opens_with_the_content_note_and_shows_the_disclaimer():
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parents[1]
    note = (root / "chapters" / "_snippets" / "content-note-misuse.md").read_text(encoding="utf-8").strip()
    nb = nbformat.read(root / "chapters" / "06-safety-and-practice.ipynb", as_version=4)
    # the first cell a reader sees: the Lab-only "Key terms" dropdown (tag kc-lab-glossary, removed from
    # the book) comes before it in every chapter
    first = next(c for c in nb.cells if "kc-lab-glossary" not in c.metadata.get("tags", [])).source
    assert note in first, "the reusable content note (with crisis signposting) is in the first cell, verbatim"
    assert "safety.md" in note and "988" in note and "116 123" in note
    assert first.index(note) < first.index("## Learning objectives")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "disclaimer()" in code


def test_the_oral_exercise_asks_for_a_ratio_and_never_prints_an_oral_dose():
    """GUIDE standard 3: no number a self-medicating reader could take as a target. The oral exercise asks for a
    multiplier (1/F), its hints, explanation and named-mistake feedback print no dose, and the chapter's text and
    stored outputs contain no 'IV-equivalent oral dose'."""
    import re
    from pathlib import Path

    import nbformat
    from ketacourse import exercises as ex

    item = ex.get("ch6-oral-exposure-multiplier")
    assert item.expected() == pytest.approx(1 / logistics.model_bioavailability("oral_racemic"))
    texts = [*item.hints, item.explanation, *(m.message for m in item.mistakes)]
    dose = re.compile(r"\d\s*(mg|milligram)", re.IGNORECASE)
    assert not [t for t in texts if dose.search(t)]
    assert "experimental" in item.explanation and "not a dose" in item.explanation
    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "chapters" / "06-safety-and-practice.ipynb", as_version=4)
    everything = []
    for c in nb.cells:
        everything.append(c.source)
        for o in c.get("outputs", []):
            everything.append(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")))
    text = "\n".join(everything)
    assert "IV-equivalent oral dose" not in text and "answer_oral_mg_per_kg" not in text
    assert "not evidence that oral doses" in text.replace("\n", " ")


def test_the_session_simulator_offers_no_oral_session():
    """Oral ketamine for depression is experimental and has no session rule: the simulator, whose frames end in a
    discharge time, does not offer it (the route comparison keeps it, framed as a model input)."""
    from ketacourse.widgets.safety import RouteLogistics, SessionSimulator

    w = SessionSimulator()
    assert "oral_racemic" not in [v for _label, v in w.controls["session"].options]
    assert "oral_racemic" not in SessionSimulator.scrub.values
    alt = RouteLogistics().alt_text(70.0, False)
    assert "borrowed from IM" in alt and "oral (input)" in alt
