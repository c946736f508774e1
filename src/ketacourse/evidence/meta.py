"""Random-effects meta-analysis through :mod:`statsmodels` (``statsmodels.stats.meta_analysis``).

The course does not write its own DerSimonian–Laird: :func:`meta_analyse` hands the per-trial
estimates and variances to :func:`statsmodels.stats.meta_analysis.combine_effects` and reads the
pooled estimate, its CI, Cochran's Q, τ² and I² back.

One correction is applied on top of statsmodels 0.15: its one-step DerSimonian–Laird estimator
returns ``τ² = (Q − df)/C`` without truncating at zero, so when Q < df it reports a *negative*
τ² (and a negative I²) and weights the trials with it. DerSimonian & Laird (1986), Cochrane's
RevMan and R's metafor all truncate at 0, which makes the random-effects result equal to the
fixed-effect one; :func:`meta_analyse` does the same (taking statsmodels' own fixed-effect row)
and reports ``τ² = 0``, ``I² = 0``. The Paule–Mandel option (``method="pm"``) is iterated by
statsmodels and is already non-negative.

Validation (``tests/test_evidence.py``): for the 13 BCG vaccine trials of Colditz et al. (1994), the
pooled log risk ratio, log odds ratio and risk difference, their 95% CIs, τ² and I² agree with R's
metafor (``rma(method="DL")``, itself checked against Stata's ``metan``) to 5e-4, the precision to
which those references are printed; the pooled RR rounds to Colditz's published 0.49 (0.34–0.70).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..validation import check_choice, check_real
from .effect_sizes import RATIO_MEASURES, EffectSize, z_for_level

__all__ = ["MetaResult", "meta_analyse", "METHODS"]

METHODS = ("dl", "pm")


@dataclass(frozen=True)
class MetaResult:
    """A pooled estimate (random or fixed effects) with heterogeneity statistics.

    Estimates and intervals are on the pooling scale (log scale for ratios); use :attr:`value`
    and :meth:`ci` for the natural scale.

    Attributes
    ----------
    measure : str
        The effect measure shared by all trials.
    estimate, se : float
        Pooled estimate and its standard error.
    ci_low, ci_high : float
        Its 95% (or ``level``) confidence interval on the pooling scale.
    tau2, i2, q : float
        Between-trial variance (τ², truncated at 0), I² (0–1) and Cochran's Q.
    k : int
        Number of trials.
    p_value : float
        Two-sided p-value of the pooled estimate (normal approximation).
    weights : tuple of float
        Relative random-effects weights of the trials (sum to 1), in input order.
    labels : tuple of str
        Trial labels in input order.
    method : str
        ``"dl"`` (DerSimonian–Laird) or ``"pm"`` (Paule–Mandel).
    """

    measure: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    k: int
    p_value: float
    weights: tuple[float, ...]
    labels: tuple[str, ...]
    method: str
    n_total: int | None = None

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def value(self) -> float:
        return math.exp(self.estimate) if self.is_ratio else self.estimate

    def ci(self) -> tuple[float, float]:
        if self.is_ratio:
            return math.exp(self.ci_low), math.exp(self.ci_high)
        return self.ci_low, self.ci_high

    def as_effect(self, label: str = "pooled") -> EffectSize:
        return EffectSize(self.measure, self.estimate, self.se, label=label)


def meta_analyse(effects: Sequence[EffectSize], *, method: str = "dl", level: float = 0.95) -> MetaResult:
    """Pool trial effect sizes with a random-effects model (statsmodels ``combine_effects``).

    Parameters
    ----------
    effects : sequence of EffectSize
        One estimate per trial, all with the same :attr:`~EffectSize.measure`.
    method : {"dl", "pm"}
        Between-trial variance estimator: DerSimonian–Laird (the Cochrane default) or
        Paule–Mandel.
    level : float
        Confidence level of the pooled interval (0.5 to <1).

    Returns
    -------
    MetaResult

    Raises
    ------
    ValueError
        If ``effects`` is empty, mixes measures, or ``method`` / ``level`` is not allowed.
    """
    from statsmodels.stats.meta_analysis import combine_effects

    effects = list(effects)
    if not effects:
        raise ValueError("effects must hold at least 1 trial; got an empty selection")
    for i, e in enumerate(effects):
        if not isinstance(e, EffectSize):
            raise ValueError(f"effects must be EffectSize objects; element {i} is {type(e).__name__}")
    measures = sorted({e.measure for e in effects})
    if len(measures) != 1:
        raise ValueError(f"effects must all use one measure; got {', '.join(measures)}")
    method = check_choice("method", method, METHODS)
    level = check_real("level", level, low=0.5, high=1.0, high_open=True)
    alpha = 1 - level
    eff = np.array([e.estimate for e in effects], dtype=float)
    var = np.array([e.variance for e in effects], dtype=float)
    labels = tuple(e.label or f"trial {i + 1}" for i, e in enumerate(effects))
    k = len(effects)
    z = z_for_level(1 - alpha)
    if k == 1:
        est, se = float(eff[0]), float(math.sqrt(var[0]))
        tau2, i2, q, weights = 0.0, 0.0, 0.0, (1.0,)
    else:
        with warnings.catch_warnings():  # statsmodels takes sqrt of a negative DL tau² (handled below)
            warnings.simplefilter("ignore", RuntimeWarning)
            res = combine_effects(eff, var, method_re=method, row_names=list(labels), alpha=alpha)
        q = float(res.q)
        tau2 = float(res.tau2)
        if tau2 <= 0:  # DL without truncation (see the module docstring): fall back to fixed effect
            w = 1 / var
            est, se = float(res.mean_effect_fe), float(res.sd_eff_w_fe)
            tau2 = 0.0
        else:
            w = 1 / (var + tau2)
            est, se = float(res.mean_effect_re), float(res.sd_eff_w_re)
        weights = tuple(float(x) for x in w / w.sum())
        df = k - 1
        i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    p = math.erfc(abs(est) / se / math.sqrt(2))  # two-sided normal p, 2·Φ(−|z|)
    n_known = [e.n1 + e.n2 for e in effects if e.n1 is not None and e.n2 is not None]
    n_total = sum(n_known) if len(n_known) == k else None
    return MetaResult(measures[0], est, se, est - z * se, est + z * se, tau2, i2, q, k, p, weights, labels,
                      method, n_total)
