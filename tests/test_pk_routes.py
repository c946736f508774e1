"""Extravascular routes: each model's own plasma Tmax equals the published Tmax.

Published Tmax values (routes.toml; bibtex keys in chapters/references.bib):
oral 0.96 h = 57.6 min (chong2006, also borrowed for chong2009 and yanagihara2003); sublingual 0.75 h =
45 min (rolan2014) and 0.76 h = 45.6 min (chong2006, chong2009); intranasal within 20 min
(malinovsky1996, also borrowed for yanagihara2003); rectal 42 min (malinovsky1996, also borrowed for
yanagihara2003); IM 20 min, a PLACEHOLDER from dogs (jantzen1985). The Perez-Ruixo model has its own
published absorption and is not fitted. Sets with a published peak height are also calibrated to it
(fitted once, at the study's weight): see tests/test_pk_route_cmax.py.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from ketacourse import pk
from ketacourse.pk import routes as routes_mod
from ketacourse.pk.routes import fit_ka_to_tmax, model_tmax_min, route_absorption

FITTED = [k for k in pk.model_keys() if pk.get_model(k).structure == "mammillary"]
CASES = [(key, route, s) for key in FITTED for route in pk.ROUTES[1:]
         if route in pk.get_model(key).supported_routes for s in pk.route_set_names(route)]
FINE = np.arange(0, 360, 0.1)


def _sim(*a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.ModelValidityWarning)
        return pk.simulate(*a, **k)


@pytest.mark.parametrize("key, route, set_name", CASES)
def test_simulated_tmax_matches_published_tmax(key, route, set_name):
    """Every (model, route data set) with a published Tmax: a 25-mg dose simulated on a 0.1-min grid
    peaks within 3 % or 1 min (whichever is larger) of the published Tmax. Sources: see module
    docstring (chong2006, rolan2014, malinovsky1996; IM: jantzen1985 placeholder).

    Before ka was fitted per model (one-compartment ka with Kamp's k) these peaks came at 1.8-32 min
    for a 57.6-min oral Tmax (Domino 7 min) - see docs/pk-validation.md.
    """
    published = pk.route_set(route, set_name)["tmax_min"]
    cal = routes_mod._calibration_peak(pk.get_model(key), route, set_name)
    weight = cal["weight_kg"] if cal is not None else 70.0  # a peak calibration is fitted at the study weight
    r = _sim(key, pk.bolus(25.0, route=route), weight, FINE, route_sets={route: set_name})
    assert abs(r.tmax_min() - published) <= max(1.0, 0.03 * published)
    assert any("fitted so that" in n for n in r.notes)


@pytest.mark.parametrize("key", ["fanta2015", "sherwin2015"])
@pytest.mark.parametrize("weight", [40.0, 100.0])
def test_allometric_models_are_fitted_at_their_weight(key, weight):
    """Allometric models change their disposition with weight; a Tmax-only ka is refitted so Tmax
    still matches (yanagihara2003 oral set, Tmax 57.6 min borrowed from chong2006; no peak height)."""
    sets = {"oral": "yanagihara2003"}
    r = _sim(key, pk.bolus(25.0, route="oral"), weight, FINE, route_sets=sets)
    assert r.tmax_min() == pytest.approx(57.6, abs=1.0)
    a, b = (route_absorption(key, "oral", w, "yanagihara2003")["ka_per_min"] for w in (weight, 70.0))
    assert a != b


def test_peak_calibrated_absorption_does_not_depend_on_weight():
    """A peak calibration is a property of the formulation, fitted once at the study's weight (Chong:
    70 kg assumed; Malinovsky children: 20 kg assumed) and applied at any weight: the same ka and
    zero-order time at 40 and 100 kg, so an allometric model's Tmax moves a little with weight."""
    a, b = (route_absorption("sherwin2015", "oral", w) for w in (40.0, 100.0))
    assert a["method"] == b["method"] == "fitted to model Tmax and Cmax"
    assert (a["ka_per_min"], a["zero_order_min"]) == (b["ka_per_min"], b["zero_order_min"])
    assert a["zero_order_min"] > 0
    t40 = _sim("sherwin2015", pk.bolus(25.0, route="oral"), 40.0, FINE).tmax_min()
    assert t40 != pytest.approx(57.6, abs=0.1) and 40.0 < t40 < 75.0


def test_fit_is_exact_on_the_model_and_one_compartment_case():
    """The fitted ka reproduces the Tmax to 1e-6 min on the exact curve; on a one-compartment model
    it equals the closed-form Bateman inversion with that model's k."""
    from test_pk_exactness import one_compartment

    for key in FITTED:
        fit = fit_ka_to_tmax(key, 57.6)
        assert fit["ka_per_min"] is not None and fit["note"] == ""
        assert model_tmax_min(key, fit["ka_per_min"]) == pytest.approx(57.6, abs=1e-6)
    m = one_compartment(k10_per_min=0.02)
    assert fit_ka_to_tmax(m, 30.0)["ka_per_min"] == pytest.approx(pk.ka_from_tmax(30.0, k_per_min=0.02), rel=1e-9)


def test_model_tmax_min_matches_a_simulation():
    """model_tmax_min (exact peak time) agrees with the grid peak of simulate() for a given ka."""
    ka = route_absorption("clements1981", "sublingual")["ka_per_min"]
    r = _sim("clements1981", pk.bolus(25.0, route="sublingual"), 70.0, np.arange(0, 200, 0.01))
    assert r.tmax_min() == pytest.approx(model_tmax_min("clements1981", ka), abs=0.01)


def test_no_solution_falls_back_to_one_compartment_ka(monkeypatch):
    """If no ka in the searched range reproduces the Tmax, the stored one-compartment ka is used
    and the simulation notes say FALLBACK."""
    fit = fit_ka_to_tmax("domino1982", 57.6, ka_bounds_per_min=(0.1, 1.0))
    assert fit["ka_per_min"] is None and "no ka in" in fit["note"]

    def no_fit(model, tmax_min, weight_kg=70.0, **kw):
        return fit_ka_to_tmax(model, tmax_min, weight_kg, ka_bounds_per_min=(0.1, 1.0))

    monkeypatch.setattr(routes_mod, "fit_ka_to_tmax", no_fit)
    ab = route_absorption("domino1982", "oral", set_name="yanagihara2003")  # a set without peak height
    assert ab["method"] == "one-compartment fallback"
    assert ab["ka_per_min"] == pk.route_set("oral", "yanagihara2003")["ka_per_min"]
    r = _sim("domino1982", pk.bolus(25.0, route="oral"), 70.0, FINE, route_sets={"oral": "yanagihara2003"})
    assert any("FALLBACK" in n for n in r.notes)
    assert r.tmax_min() == pytest.approx(7.0, abs=0.2)  # the old, too-early peak


def test_perezruixo_keeps_its_own_absorption():
    """Perez-Ruixo 2021 (perezruixo2021) has published nasal/oral absorption: it is never fitted."""
    with pytest.raises(ValueError, match="has its own absorption model"):
        fit_ka_to_tmax("perezruixo2021", 30.0)
    paths, notes = routes_mod.pathways_for(pk.get_model("perezruixo2021"), "oral", 84.0)
    a = pk.get_model("perezruixo2021").entry["absorption"]
    assert paths[0].ka_per_min == a["ka_oral_per_h"] / 60.0
    assert not any("fitted" in n for n in notes)


def test_population_uses_the_cached_typical_ka():
    """simulate_population fits ka once (typical patient), not per virtual patient, and stays fast."""
    reg = pk.bolus(25.0, route="oral")
    t = np.arange(0, 12 * 60 + 1, 5.0)
    pk.simulate_population("fanta2015", reg, 70, t, n_patients=10, seed=1, warn=False)  # warm the cache
    before = routes_mod._fit_cached.cache_info()
    t0 = time.perf_counter()
    r = pk.simulate_population("fanta2015", reg, 70, t, n_patients=5000, seed=2, warn=False)
    elapsed = time.perf_counter() - t0
    after = routes_mod._fit_cached.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    assert elapsed < 5.0  # generous: a single fit is ~50 ms; 5000 fits would take minutes
    assert np.median(r.tmax_min["plasma"]) == pytest.approx(57.6, abs=10.0)


def test_route_absorption_reports_method_and_values():
    ab = route_absorption("domino1982", "oral", set_name="yanagihara2003")
    assert ab["set"] == "yanagihara2003" and ab["tmax_published_min"] == 57.6
    assert ab["method"] == "fitted to model Tmax" and ab["zero_order_min"] == 0.0
    assert ab["tmax_model_min"] == pytest.approx(57.6, abs=1e-6)
    # the fitted ka is much slower than the one-compartment conversion (Domino distributes fast)
    assert ab["ka_per_min"] < 0.2 * pk.route_set("oral")["ka_per_min"]
    # the default oral set (chong2009) has a published peak height: absorption calibrated to both
    ab = route_absorption("domino1982", "oral")
    assert ab["set"] == "chong2009" and ab["method"] == "fitted to model Tmax and Cmax"
    assert ab["tmax_model_min"] == pytest.approx(57.6, abs=1e-3) and ab["zero_order_min"] > 0
