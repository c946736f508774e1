"""Subcutaneous route: SC bolus and continuous SC infusion (syringe driver) in the PK engine.

Human subcutaneous data for ketamine are thin: no human bioavailability or Tmax was found, so
routes.toml borrows both from the IM set and says so. These tests check the engine, not the
borrowed numbers: mass balance, bioavailability (AUC ratio = F), superposition, steady state.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.integrate import cumulative_simpson

from ketacourse import pk
from ketacourse.pk.routes import route_set

SC_MODELS = [k for k in pk.model_keys() if "subcutaneous" in pk.get_model(k).supported_routes]


def _sim(*a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.ModelValidityWarning)
        return pk.simulate(*a, **k)


def test_some_models_support_the_route():
    assert {"domino1982", "kamp2020"} & set(SC_MODELS) or len(SC_MODELS) >= 2
    assert "subcutaneous" in pk.ROUTES


def test_route_data_say_human_data_are_missing():
    rs = route_set("subcutaneous")
    assert rs["bioavailability"] == pytest.approx(0.93)
    assert "NO HUMAN SC BIOAVAILABILITY" in rs["note"]
    assert "BORROWED" in rs["absorption_note"]


@pytest.mark.parametrize("key", SC_MODELS)
def test_mass_balance_sc_bolus_and_infusion(key):
    """In body + eliminated = bioavailable amount given so far, at every time."""
    reg = pk.Regimen(pk.bolus(10.0, route="subcutaneous"),
                     pk.infusion(dose_mg=50.0, duration_min=240, start_min=60, route="subcutaneous"))
    t = np.arange(0, 72 * 60 + 0.25, 0.25)
    r = _sim(key, reg, 70, t)
    sys_ = r.system
    x = np.stack([r.amounts_mg.get(s, np.zeros_like(t)) for s in sys_.states], axis=1)
    in_body = x[:, sys_.mass_states].sum(axis=1)
    eliminated = cumulative_simpson(x @ sys_.loss_rates()[0], x=t, initial=0.0)
    f = route_set("subcutaneous")["bioavailability"]
    assert r.bioavailable_dose_mg == pytest.approx(f * 60.0, rel=1e-12)
    given = f * (10.0 + np.clip(t - 60, 0, 240) * 50.0 / 240)
    late = t >= 300
    np.testing.assert_allclose((in_body + eliminated)[late], r.bioavailable_dose_mg, rtol=2e-5)
    assert np.all(in_body + eliminated <= given + 2e-5 * r.bioavailable_dose_mg)


@pytest.mark.parametrize("key", SC_MODELS)
def test_bioavailability_is_auc_ratio(key):
    t = np.unique(np.concatenate([np.arange(0, 600, 0.02), np.linspace(600, 30 * 24 * 60, 20001)]))
    iv = _sim(key, pk.bolus(20.0), 70, t)
    sc = _sim(key, pk.bolus(20.0, route="subcutaneous"), 70, t)
    sc_inf = _sim(key, pk.infusion(dose_mg=20.0, duration_min=24 * 60, route="subcutaneous"), 70, t)
    f = route_set("subcutaneous")["bioavailability"]
    # exact AUC of an IV bolus = dose / CL
    auc_iv = 20.0 / (pk.get_model(key).clearance_l_per_h(70) / 60.0) * 1000.0
    assert iv.auc_ng_min_ml() == pytest.approx(auc_iv, rel=2e-3)
    assert sc.auc_ng_min_ml() / iv.auc_ng_min_ml() == pytest.approx(f, rel=2e-3)
    assert sc_inf.auc_ng_min_ml() / iv.auc_ng_min_ml() == pytest.approx(f, rel=2e-3)


@pytest.mark.parametrize("key", SC_MODELS)
def test_superposition(key):
    a = pk.Regimen(pk.bolus(15.0, route="subcutaneous", time_min=5.0))
    b = pk.infusion(rate_mg_per_min=0.2, duration_min=180, start_min=30, route="subcutaneous")
    c = pk.bolus(10.0)
    t = np.arange(0, 900, 3.0)
    parts = [_sim(key, reg, 70, t) for reg in (a, pk.Regimen(b), pk.Regimen(c))]
    whole = _sim(key, a + b + c, 70, t)
    for which in ("plasma", "effect") + (("metabolite",) if pk.get_model(key).has_metabolite else ()):
        np.testing.assert_allclose(whole._series(which), sum(p._series(which) for p in parts), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("key", SC_MODELS)
def test_sc_infusion_steady_state_is_f_rate_over_clearance(key):
    m = pk.get_model(key)
    rate = 300.0 / 1440.0  # 300 mg per 24 h, mg/min
    r = _sim(key, pk.infusion(rate_mg_per_min=rate, duration_min=2e6, route="subcutaneous"), 70, np.array([0.0, 1e6]))
    f = route_set("subcutaneous")["bioavailability"]
    assert r.conc_ng_ml[-1] == pytest.approx(1000 * f * rate / (m.clearance_l_per_h(70) / 60.0), rel=1e-9)


def test_sc_bolus_peaks_at_the_borrowed_tmax_and_below_iv():
    t = np.arange(0, 600, 0.05)
    sc = _sim("domino1982", pk.bolus(20.0, route="subcutaneous"), 70, t)
    iv = _sim("domino1982", pk.bolus(20.0), 70, t)
    assert sc.tmax_min() == pytest.approx(route_set("subcutaneous")["tmax_min"], abs=0.1)
    assert sc.cmax_ng_ml() < 0.5 * iv.cmax_ng_ml()


def test_repeat_keeps_the_infusion_route():
    reg = pk.repeat(pk.infusion(dose_mg=100.0, duration_min=1440, route="subcutaneous"), every_min=1440, times=3)
    assert {e.route for e in reg} == {"subcutaneous"}


def test_bad_routes_raise():
    with pytest.raises(ValueError, match=r"^route must be one of 'iv', 'subcutaneous'; got 'oral'"):
        pk.infusion(dose_mg=10.0, duration_min=60, route="oral")
    with pytest.raises(ValueError, match=r"route"):
        _sim("perezruixo2021", pk.bolus(10.0, route="subcutaneous"), 70, np.arange(0, 60.0))
