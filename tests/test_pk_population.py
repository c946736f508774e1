"""Virtual populations: seeding, sampled variability, bands and per-patient metrics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ketacourse import pk

T = np.arange(0, 12 * 60 + 1, 5.0)
REG = pk.infusion(dose_mg_per_kg=0.5, duration_min=40)


def test_seeded_runs_are_reproducible_and_seed_matters():
    a = pk.simulate_population("fanta2015", REG, 70, T, n_patients=200, seed=1, warn=False)
    b = pk.simulate_population("fanta2015", REG, 70, T, n_patients=200, rng=np.random.default_rng(1), warn=False)
    c = pk.simulate_population("fanta2015", REG, 70, T, n_patients=200, seed=2, warn=False)
    np.testing.assert_array_equal(a.bands["plasma"], b.bands["plasma"])
    assert not np.array_equal(a.bands["plasma"], c.bands["plasma"])


def test_sampled_variability_matches_source_covariance():
    """Log CL and log V1 of Fanta/Otto: variances 0.026 and 0.084, covariance 0.023 (Otto 2021)."""
    r = pk.simulate_population("fanta2015", REG, 70, T[:3], n_patients=40000, seed=3, warn=False)
    typ = pk.get_model("fanta2015").typical_parameters(70)
    eta = np.log(np.stack([r.parameters["v1"] / typ["v1"], r.parameters["cl"] / typ["cl"]]))
    cov = np.cov(eta)
    np.testing.assert_allclose(cov, [[0.084177, 0.02261], [0.02261, 0.026048]], atol=0.004)
    cv_kel = np.std(np.log(pk.simulate_population("perezruixo2021", pk.bolus(28.0, route="intranasal"), 70, T[:3],
                                                   n_patients=40000, seed=4).parameters["kel"]))
    assert cv_kel == pytest.approx(np.sqrt(np.log(1 + 1.2**2)), rel=0.03)


def test_bands_are_ordered_and_match_individuals():
    r = pk.simulate_population("perezruixo2021", pk.nasal_session(56.0), 70, T, n_patients=500, seed=5,
                               percentiles=(5, 50, 95), keep_individuals=True, age_years=45)
    for k in ("plasma", "effect", "metabolite"):
        lo, med, hi = r.bands[k]
        assert np.all(lo <= med + 1e-12) and np.all(med <= hi + 1e-12)
        np.testing.assert_allclose(r.band(50, k), np.percentile(r.individuals[k], 50, axis=0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(r.cmax_ng_ml[k], r.individuals[k].max(axis=1), rtol=1e-12)
        np.testing.assert_allclose(r.auc_ng_min_ml[k], np.trapezoid(r.individuals[k], T, axis=1), rtol=1e-10)
        np.testing.assert_allclose(r.tmax_min[k], T[np.argmax(r.individuals[k], axis=1)])
    assert r.band(95, "plasma").max() > 1.2 * r.band(5, "plasma").max()


def test_population_individual_equals_single_simulation():
    """Patient i of a population equals simulate() run with patient i's parameters (no IIV)."""
    r = pk.simulate_population("hijazi2003", REG, 70, T, n_patients=3, seed=6, keep_individuals=True)
    from ketacourse.pk.models import PKModel

    m = pk.get_model("hijazi2003")
    for i in range(3):
        p = {k: v[i] for k, v in r.parameters.items()}
        entry = dict(m.entry)
        entry["weight_scaling"] = "per_kg"
        entry["parameters"] = {  # patient i's absolute parameters written back as per-kg values
            "v1_l_per_kg": p["v1"] / 70, "k10_per_min": p["cl"] / p["v1"],
            "k12_per_min": p["q2"] / p["v1"], "k21_per_min": p["q2"] / p["v2"],
        }
        one = pk.simulate(PKModel("patient", entry), REG, 70, T)
        np.testing.assert_allclose(r.individuals["plasma"][i], one.conc_ng_ml, rtol=1e-9, atol=1e-9)


def test_models_without_published_iiv_use_documented_borrowing():
    r = pk.simulate_population("domino1982", REG, 70, T, n_patients=50, seed=7)
    assert any("fanta2015" in n for n in r.notes) and any("otto2021" in n for n in r.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pk.simulate_population("sherwin2015", REG, 20, T, n_patients=5, seed=1, age_years=6)
