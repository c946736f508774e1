"""A seeded two-arm trial simulator: what a trial of a given size can and cannot show.

Each simulated patient's outcome is a change score drawn from a normal distribution in standard
deviation units: Normal(0, 1) in the control arm and Normal(true_effect_d, 1) in the treated arm
(improvement positive). A patient "responds" when the improvement exceeds a threshold chosen so
that the control arm's response rate is ``control_response`` (so response rates and d are tied by
the same normal model as :func:`~ketacourse.evidence.effect_sizes.nnt_from_d`).

Optional, **hypothetical** expectancy bias (functional unblinding): each patient guesses the
allocation correctly with probability ``guess_correct``; a patient who believes they had the
active drug improves by an extra ``expectancy_d`` (SD units), whatever they actually received.
No published estimate of this effect exists for ketamine trials: it is a labelled teaching
assumption, default 0.

Every function takes a ``seed`` so results are reproducible. Analytic power uses the noncentral
t distribution (scipy), against which the long-run simulated results are tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..validation import check_real

__all__ = ["TrialSet", "simulate_trials", "analytic_power", "analytic_power_curve", "expected_bias_d"]


@dataclass(frozen=True)
class TrialSet:
    """Results of ``n_trials`` simulated two-arm trials.

    Attributes (arrays have one element per trial)
    ----------------------------------------------
    d_hat : Cohen's d estimate (treated − control, pooled SD).
    p_value : two-sided p-value of Student's two-sample t test (equal variances).
    responders_t, responders_c : responders per arm.
    nnt_hat : 1/observed risk difference (inf when it is 0).
    n_per_arm, true_effect_d, bias_d : the settings; bias_d is the mean extra effect that
        expectancy adds to the treated-minus-control difference.
    """

    d_hat: np.ndarray
    p_value: np.ndarray
    responders_t: np.ndarray
    responders_c: np.ndarray
    nnt_hat: np.ndarray
    n_per_arm: int
    true_effect_d: float
    bias_d: float
    control_response: float

    @property
    def power(self) -> float:
        """Share of trials with p < 0.05."""
        return float(np.mean(self.p_value < 0.05))

    @property
    def true_nnt(self) -> float:
        c = self.control_response
        diff = float(stats.norm.cdf(stats.norm.ppf(c) + self.true_effect_d)) - c
        return math.inf if diff == 0 else 1 / diff


def expected_bias_d(guess_correct: float, expectancy_d: float) -> float:
    """Mean extra treated-minus-control difference from expectancy (SD units).

    Treated patients believe "active" with probability q (= guess_correct), control patients
    with probability 1 − q; the expectancy boost e applies to believers: bias = e·(2q − 1).
    """
    q = check_real("guess_correct", guess_correct, low=0.5, high=1.0)
    e = check_real("expectancy_d", expectancy_d, low=0.0, high=2.0)
    return e * (2 * q - 1)


def simulate_trials(n_per_arm: int, true_effect_d: float, *, n_trials: int = 2000, control_response: float = 0.18,
                    guess_correct: float = 0.5, expectancy_d: float = 0.0, seed: int = 2024) -> TrialSet:
    """Simulate ``n_trials`` two-arm trials of ``n_per_arm`` patients per arm.

    Parameters
    ----------
    n_per_arm : int
        Patients per arm (2 to 2000).
    true_effect_d : float
        True standardised effect of the drug (−1 to 3 SD units; improvement positive).
    n_trials : int
        Number of simulated trials (1 to 20000).
    control_response : float
        Response rate in the control arm (0.01 to 0.99); sets the response threshold.
    guess_correct : float
        Probability each patient guesses the allocation correctly (0.5 = blind to 1 = fully unblinded).
    expectancy_d : float
        Hypothetical extra improvement of patients who believe they had the drug (0 to 2 SD units).
    seed : int
        Seed of the random generator (same seed, same trials).

    Raises
    ------
    ValueError
        For any argument outside its range.
    """
    n = check_real("n_per_arm", n_per_arm, low=2, high=2000)
    if n != int(n):
        raise ValueError(f"n_per_arm must be a whole number from 2 to 2000; got {n_per_arm!r}")
    n = int(n)
    d = check_real("true_effect_d", true_effect_d, low=-1.0, high=3.0)
    k = check_real("n_trials", n_trials, low=1, high=20000)
    if k != int(k):
        raise ValueError(f"n_trials must be a whole number from 1 to 20000; got {n_trials!r}")
    k = int(k)
    c = check_real("control_response", control_response, low=0.01, high=0.99)
    q = check_real("guess_correct", guess_correct, low=0.5, high=1.0)
    e = check_real("expectancy_d", expectancy_d, low=0.0, high=2.0)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number; got {seed!r}")
    rng = np.random.default_rng(int(seed))
    threshold = float(stats.norm.ppf(1 - c))  # control response rate c in N(0, 1)
    yc = rng.standard_normal((k, n))
    yt = rng.standard_normal((k, n)) + d
    if e > 0:
        yt += e * (rng.random((k, n)) < q)        # treated patients who (correctly) believe "active"
        yc += e * (rng.random((k, n)) < 1 - q)    # control patients who (wrongly) believe "active"
    mt, mc = yt.mean(axis=1), yc.mean(axis=1)
    vt, vc = yt.var(axis=1, ddof=1), yc.var(axis=1, ddof=1)
    sp = np.sqrt((vt + vc) / 2)
    d_hat = (mt - mc) / sp
    t_stat = (mt - mc) / (sp * math.sqrt(2 / n))
    p = 2 * stats.t.sf(np.abs(t_stat), 2 * n - 2)
    rt = (yt > threshold).sum(axis=1)
    rc = (yc > threshold).sum(axis=1)
    rd = (rt - rc) / n
    with np.errstate(divide="ignore"):
        nnt_hat = np.where(rd == 0, np.inf, 1 / np.abs(rd))
    return TrialSet(d_hat, p, rt, rc, nnt_hat, n, d, expected_bias_d(q, e), c)


def analytic_power(n_per_arm: int, effect_d: float, alpha: float = 0.05) -> float:
    """Power of a two-sided two-sample t test (equal n, unit SD) from the noncentral t distribution."""
    n = check_real("n_per_arm", n_per_arm, low=2, high=2000)
    d = check_real("effect_d", effect_d, low=-3.0, high=3.0)
    a = check_real("alpha", alpha, low=0.0, high=0.5, low_open=True)
    df = 2 * n - 2
    nc = d * math.sqrt(n / 2)
    crit = stats.t.ppf(1 - a / 2, df)
    return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))


def analytic_power_curve(n_per_arm, effect_d: float, alpha: float = 0.05) -> np.ndarray:
    """:func:`analytic_power` for an array of group sizes at once (vectorised)."""
    n = np.atleast_1d(check_real("n_per_arm", n_per_arm, low=2, high=2000))
    d = check_real("effect_d", effect_d, low=-3.0, high=3.0)
    a = check_real("alpha", alpha, low=0.0, high=0.5, low_open=True)
    df = 2 * n - 2
    nc = d * np.sqrt(n / 2)
    crit = stats.t.ppf(1 - a / 2, df)
    return stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
