"""Concentration–analgesia PK-PD (ketacourse.pd.analgesia): Dahan 2011 slow CRPS relief and
Olofsen 2012 ketamine/norketamine acute pain model, linked to the PK engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse import pk
from ketacourse.pd import analgesia as a


@pytest.fixture(scope="module")
def dahan():
    reg, s = a.preset_regimen("dahan2011_100h", 70)
    return a.crps_relief(reg, 70, s_fraction=s, days=70)


def test_published_parameters_are_in_the_table():
    d = a.parameters()["dahan2011"]
    assert (d["c50_ng_ml"], d["t_half_onset_offset_days"], d["p_response_ketamine"], d["p_response_placebo"]) == (10.5, 10.9, 0.67, 0.23)
    o = a.parameters()["olofsen2012"]
    assert (o["ketamine_effect_cm"], o["norketamine_effect_cm"], o["t_half_ke0_pain_min"]) == (-3.8, 1.5, 11.8)
    f = o["model_form"]
    assert f["slope_ketamine_cm_per_ng_ml"] == pytest.approx(o["ketamine_effect_cm"] / o["ketamine_ce_ref_ng_ml"])
    assert f["slope_norketamine_cm_per_ng_ml"] == pytest.approx(o["norketamine_effect_cm"] / o["norketamine_ce_ref_ng_ml"])


def test_dahan_regimen_is_100_h_from_5_to_20_mg_per_h():
    reg, s = a.preset_regimen("dahan2011_100h", 70)
    assert s == 1.0
    assert reg.total_dose_mg(70) == pytest.approx((5 + 10 + 15 + 20) * 25)
    assert max(e.end_min for e in reg) == pytest.approx(100 * 60)


def test_relief_outlasts_the_infusion(dahan):
    """Dahan 2011: analgesia outlasted the 100-h treatment by about 50 days; plasma falls in hours."""
    t, rel, cp = dahan["t_days"], dahan["responder_relief"], dahan["plasma_ng_ml"]
    end = dahan["infusion_end_day"]
    assert end == pytest.approx(100 / 24)
    peak = int(np.argmax(rel))
    assert end <= t[peak] <= end + 1.0, "relief peaks just after the infusion stops"
    assert np.interp(end + 1, t, cp) < 0.05 * cp.max(), "plasma is nearly gone a day later"
    half_gone = t[(t > t[peak]) & (rel < 0.5 * rel[peak])][0]
    assert half_gone - end > 20, "relief stays above half its peak for weeks"
    assert np.interp(end + 50, t, rel) > 0.1 * rel[peak], "still measurable 50 days after the infusion"


def test_relief_at_end_of_week_one_is_near_its_maximum(dahan):
    """Sigtermans 2009: pain was lowest at the end of week 1 (2.68 vs 5.45 on the NRS)."""
    t, rel = dahan["t_days"], dahan["responder_relief"]
    assert np.interp(7.0, t, rel) >= 0.9 * rel.max()


def test_biophase_is_the_exact_first_order_effect_site(dahan):
    ke0 = math.log(2) / (10.9 * 1440)
    check = a.effect_site(dahan["t_days"] * 1440, dahan["plasma_ng_ml"], ke0)
    np.testing.assert_allclose(dahan["biophase_ng_ml"], check, rtol=2e-3, atol=0.05)


def test_effect_site_analytic_limits():
    t = np.linspace(0, 500, 501)
    k = 0.02
    np.testing.assert_allclose(a.effect_site(t, np.full_like(t, 100.0), k), 100 * (1 - np.exp(-k * t)), rtol=1e-12, atol=1e-12)
    # a ramp C = t: Ce = t - (1 - exp(-k t)) / k
    np.testing.assert_allclose(a.effect_site(t, t.copy(), k), t - (1 - np.exp(-k * t)) / k, rtol=1e-10, atol=1e-10)
    # models.md illustration: a constant plasma level for 100 h brings the biophase to 23% of it
    ke0 = math.log(2) / (10.9 * 1440)
    assert 1 - math.exp(-ke0 * 100 * 60) == pytest.approx(0.233, abs=0.001)


def test_population_relief_scales_with_response_probability(dahan):
    np.testing.assert_allclose(dahan["expected_relief"], 0.67 * dahan["responder_relief"])
    assert dahan["p_placebo"] == 0.23


def test_racemic_preset_uses_half_the_dose_as_s_ketamine():
    reg, s = a.preset_regimen("schwartzman2009_outpatient", 70)
    assert s == 0.5
    full = a.crps_relief(reg, 70, s_fraction=1.0, days=20)
    half = a.crps_relief(reg, 70, s_fraction=0.5, days=20)
    np.testing.assert_allclose(half["plasma_ng_ml"], 0.5 * full["plasma_ng_ml"])
    # 0.35 mg/kg/h capped at 25 mg/h: 24.5 mg/h at 70 kg, 25 mg/h at 100 kg
    assert reg.total_dose_mg(70) == pytest.approx(24.5 * 4 * 10)
    reg100, _ = a.preset_regimen("schwartzman2009_outpatient", 100)
    assert reg100.total_dose_mg(100) == pytest.approx(25 * 4 * 10)


def test_hardy_preset_is_subcutaneous():
    reg, s = a.preset_regimen("hardy2012_sc", 70)
    assert {e.route for e in reg} == {"subcutaneous"}
    assert reg.total_dose_mg(70) == pytest.approx(100 + 300 + 500 * 3)


def test_olofsen_reference_point_is_reproduced_by_the_linked_pk():
    """20 mg/h S-ketamine for 2 h (Olofsen's regimen) brings the effect sites near the abstract's
    reference point (K 100, NK 50 ng/mL; net -2.3 cm) with the Fanta/Otto venous PK: ketamine and the
    net effect within 15%, norketamine within 30% (the reference point is the abstract's illustration,
    not a measured end-of-infusion concentration)."""
    r = a.acute_pain_effect(pk.infusion(rate_mg_per_min=20 / 60, duration_min=120), 70, np.arange(0, 481, 1.0))
    i = 120
    assert r["ce_ketamine_ng_ml"][i] == pytest.approx(100, rel=0.15)
    assert r["ce_norketamine_ng_ml"][i] == pytest.approx(50, rel=0.30)
    assert r["vas_net_cm"][i] == pytest.approx(-2.3, rel=0.15)


def test_norketamine_opposes_ketamine_after_the_infusion():
    r = a.acute_pain_effect(pk.infusion(rate_mg_per_min=20 / 60, duration_min=120), 70, np.arange(0, 481, 1.0))
    assert np.all(r["vas_ketamine_cm"] <= 0) and np.all(r["vas_norketamine_cm"] >= 0)
    after = r["t_min"] > 240
    assert r["vas_net_cm"][after].max() > 0, "norketamine outlasts ketamine: net effect turns pro-nociceptive"


@pytest.mark.parametrize("name", a.preset_names())
def test_every_preset_builds_and_runs(name):
    reg, s = a.preset_regimen(name, 80, dose_scale=0.5)
    assert len(reg) >= 1 and s in (0.5, 1.0)
    if a.preset(name)["kind"] == "chronic":
        r = a.crps_relief(reg, 80, s_fraction=s, days=30, points_per_day=4)
        assert np.all((r["responder_relief"] >= 0) & (r["responder_relief"] < 1))
    else:
        r = a.acute_pain_effect(reg, 80, np.arange(0, 361, 5.0), s_fraction=s)
        assert r["vas_ketamine_cm"].min() < 0


def test_bad_input_raises():
    with pytest.raises(ValueError, match=r"^name must be one of"):
        a.preset("nope")
    with pytest.raises(ValueError, match=r"^weight_kg must be a finite number >= 20 and <= 200 kg; got 5"):
        a.preset_regimen("dahan2011_100h", 5)
    reg, _ = a.preset_regimen("dahan2011_100h")
    with pytest.raises(ValueError, match=r"^model must be an S-ketamine model"):
        a.crps_relief(reg, model="domino1982")
    with pytest.raises(ValueError, match=r"^days must be a finite number >= 1 and <= 365 days; got 0"):
        a.crps_relief(reg, days=0)
    with pytest.raises(ValueError, match=r"^kind must be one of"):
        a.preset_names("weekly")
    with pytest.raises(ValueError, match=r"^t_min and conc_ng_ml must be 1-D and the same length"):
        a.effect_site([0, 1], [0, 1, 2], 0.1)


def test_crps_pd_model_only_for_crps_presets():
    """The Dahan PK-PD model was fitted to CRPS-1 patients: only CRPS presets name it; the cancer-pain preset has no
    PD model and says what its own (null) trial found; acute presets use the volunteer model of Olofsen 2012."""
    for name in a.preset_names("chronic"):
        p = a.preset(name)
        if "CRPS" in p["condition"]:
            assert a.preset_pd_model(name) == "dahan2011"
        else:
            assert a.preset_pd_model(name) is None
            assert "null" in p["trial_result"] and "31%" in p["trial_result"] and "27%" in p["trial_result"]
    assert a.preset_pd_model("hardy2012_sc") is None
    for name in a.preset_names("acute"):
        assert a.preset_pd_model(name) == "olofsen2012"
    assert "R-ketamine" in a.RACEMIC_OMISSION
