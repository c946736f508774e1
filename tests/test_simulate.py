"""The seeded trial simulator against theory: long-run mean and SD of the estimate, power from the
noncentral t distribution, the response model's NNT, and the expectancy bias term.

Monte-Carlo tolerances are 4 standard errors of the simulated quantity (k = 4000 trials).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse.evidence import nnt_from_d
from ketacourse.evidence import simulate as sim

K = 4000


@pytest.mark.parametrize(("n", "d"), [(34, 0.7), (15, 1.8), (100, 0.3)])
def test_long_run_mean_and_sd_of_d_hat_match_theory(n, d):
    r = sim.simulate_trials(n, d, n_trials=K, seed=7)
    # exact: d_hat = T * sqrt(2/n) with T noncentral t(df, lambda = d * sqrt(n/2))
    df, lam = 2 * n - 2, d * math.sqrt(n / 2)
    mean_t = lam * math.sqrt(df / 2) * math.exp(math.lgamma((df - 1) / 2) - math.lgamma(df / 2))
    var_t = df * (1 + lam**2) / (df - 2) - mean_t**2
    mean_theory, sd_theory = mean_t * math.sqrt(2 / n), math.sqrt(var_t * 2 / n)
    assert mean_theory == pytest.approx(d / (1 - 3 / (4 * df - 1)), rel=0.002)  # = d / J (Hedges 1981)
    assert r.d_hat.mean() == pytest.approx(mean_theory, abs=4 * sd_theory / math.sqrt(K))
    assert r.d_hat.std(ddof=1) == pytest.approx(sd_theory, rel=4 / math.sqrt(2 * (K - 1)))


@pytest.mark.parametrize(("n", "d"), [(34, 0.7), (20, 0.5), (10, 1.8)])
def test_simulated_power_matches_the_noncentral_t(n, d):
    r = sim.simulate_trials(n, d, n_trials=K, seed=11)
    p = sim.analytic_power(n, d)
    assert r.power == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / K) + 1e-3)
    assert sim.analytic_power_curve([n], d)[0] == pytest.approx(p)


def test_null_effect_gives_the_nominal_false_positive_rate():
    r = sim.simulate_trials(30, 0.0, n_trials=K, seed=3)
    assert r.power == pytest.approx(0.05, abs=4 * math.sqrt(0.05 * 0.95 / K))


def test_response_rates_and_nnt_follow_the_normal_model():
    r = sim.simulate_trials(500, 0.7, n_trials=400, control_response=0.18, seed=5)
    assert r.responders_c.mean() / 500 == pytest.approx(0.18, abs=0.005)
    rd = (r.responders_t.sum() - r.responders_c.sum()) / (500 * 400)
    assert 1 / rd == pytest.approx(nnt_from_d(0.7, 0.18), rel=0.03)
    assert r.true_nnt == pytest.approx(nnt_from_d(0.7, 0.18))


def test_expectancy_bias_shifts_the_estimate_by_its_expected_size():
    base = sim.simulate_trials(50, 0.4, n_trials=K, seed=9)
    biased = sim.simulate_trials(50, 0.4, n_trials=K, seed=9, guess_correct=0.9, expectancy_d=0.5)
    assert biased.bias_d == pytest.approx(0.5 * (2 * 0.9 - 1))
    # the extra variance of a Bernoulli boost slightly shrinks the standardised shift
    shrink = math.sqrt(1 + 0.5**2 * 0.9 * 0.1)
    assert biased.d_hat.mean() - base.d_hat.mean() == pytest.approx(0.4 * (1 / shrink - 1) + biased.bias_d / shrink,
                                                                     abs=0.03)
    blind = sim.simulate_trials(50, 0.4, n_trials=K, seed=9, guess_correct=0.5, expectancy_d=0.5)
    assert blind.bias_d == 0 and blind.d_hat.mean() == pytest.approx(base.d_hat.mean(), abs=0.03)


def test_seed_makes_results_reproducible():
    a = sim.simulate_trials(20, 0.5, n_trials=50, seed=1)
    b = sim.simulate_trials(20, 0.5, n_trials=50, seed=1)
    c = sim.simulate_trials(20, 0.5, n_trials=50, seed=2)
    assert np.array_equal(a.d_hat, b.d_hat) and not np.array_equal(a.d_hat, c.d_hat)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_per_arm": 1, "true_effect_d": 0.5}, r"^n_per_arm must be a finite number >= 2 and <= 2000; got 1"),
    ({"n_per_arm": 10.5, "true_effect_d": 0.5}, r"^n_per_arm must be a whole number from 2 to 2000; got 10.5"),
    ({"n_per_arm": 10, "true_effect_d": 5}, r"^true_effect_d must be a finite number >= -1 and <= 3; got 5"),
    ({"n_per_arm": 10, "true_effect_d": 0.5, "control_response": 1.0},
     r"^control_response must be a finite number >= 0.01 and <= 0.99; got 1"),
    ({"n_per_arm": 10, "true_effect_d": 0.5, "guess_correct": 0.2},
     r"^guess_correct must be a finite number >= 0.5 and <= 1; got 0.2"),
    ({"n_per_arm": 10, "true_effect_d": 0.5, "seed": -1}, r"^seed must be a non-negative whole number; got -1"),
    ({"n_per_arm": 10, "true_effect_d": 0.5, "n_trials": 0}, r"^n_trials must be a finite number >= 1 and <= 20000; got 0"),
])
def test_bad_inputs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sim.simulate_trials(**kwargs)
