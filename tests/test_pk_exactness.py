"""The exact solver against closed forms and an independent solve_ivp solution."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from ketacourse import pk
from ketacourse.pk.models import PKModel

from pk_reference import reference_solution

KE0 = pk.default_ke0_per_min()


def one_compartment(v1_l_per_kg: float = 0.5, k10_per_min: float = 0.01) -> PKModel:
    """A synthetic one-compartment model (test fixture, not shipped data)."""
    entry = {
        "name": "test 1-compartment", "enantiomer": "racemic", "sampling_site": "not recorded",
        "population": "test", "structure": "mammillary", "weight_scaling": "per_kg",
        "source": "test", "flag": "D",
        "parameters": {"v1_l_per_kg": v1_l_per_kg, "k10_per_min": k10_per_min},
    }
    return PKModel("test1cpt", entry)


def test_one_compartment_bolus_closed_form():
    """C(t) = D/V exp(-k t); Ce(t) = D/V ke0/(ke0-k) (exp(-k t) - exp(-ke0 t))."""
    m = one_compartment()
    t = np.linspace(0, 600, 301)
    r = pk.simulate(m, pk.bolus(35.0), 70, t)
    v, k = 0.5 * 70, 0.01
    c = 1000 * 35.0 / v * np.exp(-k * t)
    np.testing.assert_allclose(r.conc_ng_ml, c, rtol=1e-12)
    ce = 1000 * 35.0 / v * KE0 / (KE0 - k) * (np.exp(-k * t) - np.exp(-KE0 * t))
    np.testing.assert_allclose(r.effect_ng_ml, ce, rtol=1e-10, atol=1e-10)


def test_one_compartment_infusion_closed_form():
    """During: R/CL (1 - exp(-k t)); after: C(T) exp(-k (t - T))."""
    m = one_compartment()
    t = np.linspace(0, 300, 601)
    rate, dur = 2.0, 60.0
    r = pk.simulate(m, pk.infusion(rate_mg_per_min=rate, duration_min=dur), 70, t)
    v, k = 35.0, 0.01
    cl = v * k
    during = 1000 * rate / cl * (1 - np.exp(-k * np.minimum(t, dur)))
    c = np.where(t <= dur, during, 1000 * rate / cl * (1 - np.exp(-k * dur)) * np.exp(-k * (t - dur)))
    np.testing.assert_allclose(r.conc_ng_ml, c, rtol=1e-12, atol=1e-12)


def test_one_compartment_oral_bateman():
    """First-order absorption: C = F D ka / (V (ka - k)) (exp(-k t) - exp(-ka t)).

    ka is fitted at run time so that the model's own Tmax equals the published Tmax of the route
    set (routes.toml flag D). For a one-compartment model that numerical fit must reproduce the
    closed-form Bateman inversion ``ka_from_tmax(Tmax, k)`` with the model's own k = 0.01/min.
    (Before the per-model fit this test used the stored ka, derived with Kamp's k instead.)
    """
    from ketacourse.pk.routes import route_absorption

    m = one_compartment()
    t = np.linspace(0, 900, 451)
    r = pk.simulate(m, pk.bolus(100.0, route="oral"), 70, t)
    rs = pk.route_set("oral")
    f, v, k = rs["bioavailability"], 35.0, 0.01
    ka = pk.ka_from_tmax(rs["tmax_min"], k_per_min=k)
    assert route_absorption(m, "oral")["ka_per_min"] == pytest.approx(ka, rel=1e-9)
    c = 1000 * f * 100 * ka / (v * (ka - k)) * (np.exp(-k * t) - np.exp(-ka * t))
    np.testing.assert_allclose(r.conc_ng_ml, c, rtol=1e-10, atol=1e-10)


def test_repeated_eigenvalue_falls_back_to_expm():
    """ke0 equal to k10 makes A defective; the solver must still be exact (expm fallback)."""
    m = one_compartment(k10_per_min=0.05)
    t = np.linspace(0, 200, 101)
    r = pk.simulate(m, pk.bolus(35.0), 70, t, ke0_per_min=0.05)
    k, v = 0.05, 35.0
    ce = 1000 * 35.0 / v * k * t * np.exp(-k * t)  # limit ke0 -> k
    np.testing.assert_allclose(r.effect_ng_ml, ce, rtol=1e-9, atol=1e-12)


REGIMENS = {
    "bolus+infusion": pk.Regimen(pk.bolus(dose_mg_per_kg=0.1), pk.infusion(dose_mg_per_kg=0.5, duration_min=40, start_min=10)),
    "stepped": pk.stepped_infusion([0.4, 0.25, 0.1], [15, 25, 80], start_min=5, per_kg=False),
    "repeated oral": pk.repeat(pk.bolus(25.0, route="oral"), every_min=240, times=3),
    "im+sublingual": pk.Regimen(pk.bolus(50.0, route="im"), pk.bolus(25.0, route="sublingual", time_min=90)),
    "intranasal+rectal": pk.Regimen(pk.bolus(30.0, route="intranasal"), pk.bolus(50.0, route="rectal", time_min=120)),
}


@pytest.mark.parametrize("key", pk.model_keys())
@pytest.mark.parametrize("name", list(REGIMENS))
def test_every_model_matches_solve_ivp(key, name):
    """Every model and route against Radau (rtol 1e-10) with a hand-written right-hand side."""
    m = pk.get_model(key)
    reg = REGIMENS[name]
    if not reg.routes <= set(m.supported_routes):
        reg = pk.Regimen(pk.bolus(28.0, route="intranasal"), pk.bolus(84.0, route="oral", time_min=180),
                         pk.infusion(dose_mg=20.0, duration_min=40, start_min=400))
    t = np.concatenate([np.arange(0, 60, 0.5), np.arange(60, 24 * 60 + 1, 7.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.ModelValidityWarning)
        got = pk.simulate(m, reg, 70.0, t, age_years=40)
        ref = reference_solution(m, reg, 70.0, t, ke0_per_min=KE0, age_years=40)
    for which in ("plasma", "effect") + (("metabolite",) if m.has_metabolite else ()):
        y = got._series(which)
        np.testing.assert_allclose(y, ref[which], rtol=1e-7, atol=1e-7 * ref[which].max(), err_msg=f"{key} {name} {which}")


@pytest.mark.parametrize("key", pk.model_keys())
def test_eig_and_expm_agree(key):
    """The two exact methods agree to near machine precision."""
    reg = pk.Regimen(pk.bolus(28.0, route="intranasal"), pk.infusion(dose_mg=30, duration_min=40, start_min=60))
    t = np.arange(0, 12 * 60 + 1, 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.ModelValidityWarning)
        a = pk.simulate(key, reg, 70, t, method="eig")
        b = pk.simulate(key, reg, 70, t, method="expm")
    np.testing.assert_allclose(a.conc_ng_ml, b.conc_ng_ml, rtol=1e-9, atol=1e-9 * a.conc_ng_ml.max())
    np.testing.assert_allclose(a.effect_ng_ml, b.effect_ng_ml, rtol=1e-9, atol=1e-9 * a.effect_ng_ml.max())


def test_lsoda_with_jacobian_function_agrees():
    """LSODA (jac passed as a function, as scipy 1.17 requires) agrees with the exact solution."""
    m = pk.get_model("domino1982")
    reg = pk.Regimen(pk.bolus(dose_mg_per_kg=1.0))
    t = np.linspace(0, 600, 121)
    got = pk.simulate(m, reg, 70, t)
    ref = reference_solution(m, reg, 70, t, ke0_per_min=KE0, method="LSODA", rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.conc_ng_ml, ref["plasma"], rtol=1e-6, atol=1e-6)
    assert math.isclose(got.conc_ng_ml[0], 1000 * 70.0 / (0.063 * 70), rel_tol=1e-12)
