"""Effect sizes with confidence intervals, from the summary numbers that trials publish.

Conventions (stated once, used everywhere in :mod:`ketacourse.evidence`):

- **Direction.** Group 1 is the treatment arm (ketamine, esketamine), group 2 the control. A mean
  difference and Hedges g are ``treatment − control``: for a depression scale where a fall is
  improvement, a *negative* g favours treatment. Ratio measures compare treatment with control
  (OR > 1 means more events with treatment: good for response, bad for relapse).
- **Standardised mean difference.** Cohen's d uses the pooled within-group SD,
  ``s_p = sqrt(((n1−1)s1² + (n2−1)s2²)/(n1+n2−2))``; Hedges g multiplies d by the small-sample
  correction ``J = 1 − 3/(4(n1+n2−2) − 1)``. Variance of d: ``(n1+n2)/(n1·n2) + d²/(2(n1+n2))``;
  variance of g: ``J²·Var(d)`` (Hedges & Olkin 1985; Borenstein et al. 2009, ch. 4).
- **From a standard error.** ``SD = SE·sqrt(n)`` for a group mean; from a 95% CI of a group mean,
  ``SE = (upper − lower)/(2·1.96)`` (Cochrane Handbook §6.5.2; for n < 60 the handbook uses t
  instead of 1.96, and so does :func:`sd_from_ci` when ``use_t=True``).
- **Counts.** Log odds ratio ``ln(ad/bc)`` with SE ``sqrt(1/a + 1/b + 1/c + 1/d)``; log risk
  ratio ``ln((a/n1)/(c/n2))`` with SE ``sqrt(1/a − 1/n1 + 1/c − 1/n2)``; risk difference
  ``a/n1 − c/n2`` with the Wald SE ``sqrt(p1(1−p1)/n1 + p2(1−p2)/n2)`` (Borenstein et al. 2009,
  ch. 5). When a cell is zero, 0.5 is added to every cell for the OR and RR (and said so in
  :attr:`EffectSize.note`); the RD needs no correction.
- **NNT.** ``NNT = 1/|RD|``; its CI is the reciprocal of the RD's CI. When that CI includes 0 the
  NNT interval runs from the NNT for benefit through infinity to the NNT for harm (Altman 1998).
  The RD interval used for the NNT is Newcombe's hybrid score interval (method 10, Newcombe
  1998), taken from statsmodels, which behaves better than Wald for small trials.
- **Conversions.** ``d = ln(OR)·sqrt(3)/π`` and back (logistic approximation; Chinn 2000,
  Borenstein et al. 2009 ch. 7). From d and the control event rate (CER), the treatment event
  rate is ``Φ(Φ⁻¹(CER) + d)`` under a normal model, so ``NNT = 1/(Φ(Φ⁻¹(CER) + d) − CER)``
  (Furukawa 1999); use a *positive* d for an effect in the "more events" direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from scipy import stats

from ..validation import check_choice, check_real

__all__ = [
    "EffectSize", "Z95", "hedges_g", "hedges_g_from_se", "sd_from_se", "sd_from_ci", "effect_from_ci",
    "odds_ratio", "risk_ratio", "risk_difference", "binary_effect", "nnt", "nnt_interval",
    "log_or_to_d", "d_to_log_or", "nnt_from_d", "RATIO_MEASURES", "MEASURES",
]

Z95 = float(stats.norm.ppf(0.975))


@lru_cache(maxsize=64)
def z_for_level(level: float) -> float:
    """The two-sided standard normal quantile for a confidence level (1.96 for 0.95), kept per
    level: SciPy's distribution call costs more than the rest of a CI."""
    return float(stats.norm.ppf(0.5 + level / 2))
"""The 97.5th centile of the standard normal distribution (1.959964...)."""

RATIO_MEASURES = ("or", "rr", "hr")
MEASURES = ("g", "md", "or", "rr", "rd", "hr")
_LABELS = {"g": "Hedges g", "md": "mean difference", "or": "odds ratio", "rr": "risk ratio",
           "rd": "risk difference", "hr": "hazard ratio"}


@dataclass(frozen=True)
class EffectSize:
    """One effect estimate with its standard error, on the scale used for pooling.

    Ratio measures (``"or"``, ``"rr"``, ``"hr"``) are held on the natural-log scale
    (:attr:`estimate` is ln(OR)); :attr:`value`, :attr:`ci` give them back as ratios.

    Attributes
    ----------
    measure : str
        One of ``"g"``, ``"md"``, ``"or"``, ``"rr"``, ``"rd"``, ``"hr"``.
    estimate : float
        The estimate on the pooling scale (log scale for ratios).
    se : float
        Its standard error (> 0).
    n1, n2 : int or None
        Patients in the treatment and control groups, where known.
    label : str
        A name for the estimate (a trial), shown on forest plots.
    note : str
        Anything the reader must know (continuity correction, SD imputed from SE, ...).
    """

    measure: str
    estimate: float
    se: float
    n1: int | None = None
    n2: int | None = None
    label: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        check_choice("measure", self.measure, MEASURES)
        check_real("estimate", self.estimate)
        check_real("se", self.se, low=0.0, low_open=True)

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def variance(self) -> float:
        return self.se**2

    def ci_pooling_scale(self, level: float = 0.95) -> tuple[float, float]:
        z = z_for_level(check_real("level", level, low=0.5, high=1.0, high_open=True))
        return self.estimate - z * self.se, self.estimate + z * self.se

    @property
    def value(self) -> float:
        """The estimate on its natural scale (a ratio for OR, RR, HR)."""
        return math.exp(self.estimate) if self.is_ratio else self.estimate

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Confidence interval on the natural scale (ratios back-transformed)."""
        lo, hi = self.ci_pooling_scale(level)
        return (math.exp(lo), math.exp(hi)) if self.is_ratio else (lo, hi)

    @property
    def measure_label(self) -> str:
        return _LABELS[self.measure]

    def __str__(self) -> str:
        lo, hi = self.ci()
        return f"{self.measure_label} {self.value:.3g} (95% CI {lo:.3g} to {hi:.3g})"


# ----------------------------------------------------------------------------- continuous
def _n(name: str, value) -> int:
    checked = check_real(name, value, low=2)
    if not isinstance(checked, float) or checked != int(checked):
        raise ValueError(f"{name} must be a whole number of patients >= 2; got {value!r}")
    return int(checked)


def sd_from_se(se: float, n: int) -> float:
    """SD of a group from the standard error of its mean: ``SE·sqrt(n)``.

    Raises
    ------
    ValueError
        If ``se`` <= 0 or ``n`` is not a whole number >= 2.
    """
    se = check_real("se", se, low=0.0, low_open=True)
    return float(se * math.sqrt(_n("n", n)))


def sd_from_ci(lower: float, upper: float, n: int, *, use_t: bool = False) -> float:
    """SD of a group from the 95% CI of its mean (Cochrane Handbook §6.5.2).

    ``SE = (upper − lower)/(2·q)`` with ``q = 1.96`` or, with ``use_t``, the t quantile with
    n − 1 degrees of freedom; then ``SD = SE·sqrt(n)``.
    """
    lower = check_real("lower", lower)
    upper = check_real("upper", upper, low=lower, low_open=True)
    n = _n("n", n)
    q = float(stats.t.ppf(0.975, n - 1)) if use_t else Z95
    return float((upper - lower) / (2 * q) * math.sqrt(n))


def hedges_g(mean1: float, sd1: float, n1: int, mean2: float, sd2: float, n2: int, *,
             label: str = "", note: str = "") -> EffectSize:
    """Hedges g (bias-corrected standardised mean difference, group 1 − group 2) and its SE.

    Parameters
    ----------
    mean1, sd1, n1 : float, float, int
        Mean, standard deviation (> 0) and size (>= 2) of the treatment group.
    mean2, sd2, n2 : float, float, int
        The same for the control group.

    Returns
    -------
    EffectSize
        ``measure="g"``.

    Raises
    ------
    ValueError
        If an SD is <= 0, a group size is not a whole number >= 2, or a mean is not finite.
    """
    mean1, mean2 = check_real("mean1", mean1), check_real("mean2", mean2)
    sd1 = check_real("sd1", sd1, low=0.0, low_open=True)
    sd2 = check_real("sd2", sd2, low=0.0, low_open=True)
    n1, n2 = _n("n1", n1), _n("n2", n2)
    df = n1 + n2 - 2
    sp = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / df)
    d = (mean1 - mean2) / sp
    var_d = (n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2))
    j = 1 - 3 / (4 * df - 1)
    return EffectSize("g", j * d, math.sqrt(j**2 * var_d), n1, n2, label, note)


def hedges_g_from_se(mean1: float, se1: float, n1: int, mean2: float, se2: float, n2: int, *,
                     label: str = "", note: str = "") -> EffectSize:
    """Hedges g from group means with standard errors (SD = SE·sqrt(n), then :func:`hedges_g`)."""
    sd1, sd2 = sd_from_se(se1, n1), sd_from_se(se2, n2)
    extra = "SDs computed from SEs (SD = SE·√n)"
    return hedges_g(mean1, sd1, n1, mean2, sd2, n2, label=label, note=f"{note}; {extra}" if note else extra)


def effect_from_ci(measure: str, estimate: float, lower: float, upper: float, *, n1: int | None = None,
                   n2: int | None = None, label: str = "", note: str = "") -> EffectSize:
    """An effect reported as a point estimate with a 95% CI (SE = CI width / (2·1.96)).

    For ratio measures give the ratios (e.g. HR 0.49, 0.29 to 0.84): the SE is computed on the
    log scale, where such intervals are symmetric.

    Raises
    ------
    ValueError
        If the interval does not contain the estimate, or a ratio is <= 0.
    """
    measure = check_choice("measure", measure, MEASURES)
    if measure in RATIO_MEASURES:
        estimate = check_real("estimate", estimate, low=0.0, low_open=True)
        lower = check_real("lower", lower, low=0.0, low_open=True, high=estimate)
        upper = check_real("upper", upper, low=estimate)
        est, lo, hi = math.log(estimate), math.log(lower), math.log(upper)
    else:
        est = check_real("estimate", estimate)
        lo = check_real("lower", lower, high=est)
        hi = check_real("upper", upper, low=est)
    if hi <= lo:
        raise ValueError(f"upper must be > lower; got lower {lower:g}, upper {upper:g}")
    se = (hi - lo) / (2 * Z95)
    return EffectSize(measure, est, se, n1, n2, label, note)


# ----------------------------------------------------------------------------- binary
def _counts(events1, n1, events2, n2) -> tuple[int, int, int, int]:
    out = []
    for name_e, e, name_n, n in (("events1", events1, "n1", n1), ("events2", events2, "n2", n2)):
        n_ok = check_real(name_n, n, low=1)
        if not isinstance(n_ok, float) or n_ok != int(n_ok):
            raise ValueError(f"{name_n} must be a whole number of patients >= 1; got {n!r}")
        e_ok = check_real(name_e, e, low=0, high=n_ok)
        if not isinstance(e_ok, float) or e_ok != int(e_ok):
            raise ValueError(f"{name_e} must be a whole number from 0 to {name_n} ({int(n_ok)}); got {e!r}")
        out += [int(e_ok), int(n_ok)]
    return out[0], out[1], out[2], out[3]


def odds_ratio(events1: int, n1: int, events2: int, n2: int, *, label: str = "") -> EffectSize:
    """Odds ratio (treatment vs control) from event counts; 0.5 added to each cell if one is 0.

    Raises
    ------
    ValueError
        If a count is negative or not whole, events exceed n, or both arms have no events (or
        all events) so that no odds ratio exists.
    """
    a, n1, c, n2 = _counts(events1, n1, events2, n2)
    if (a == 0 and c == 0) or (a == n1 and c == n2):
        raise ValueError(f"events1 and events2 must not both be 0 or both equal n: the odds ratio is undefined "
                         f"(got {a}/{n1} vs {c}/{n2})")
    b, d = n1 - a, n2 - c
    note = ""
    if 0 in (a, b, c, d):
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        note = "0.5 added to every cell (a zero cell)"
    log_or = math.log(a * d / (b * c))
    return EffectSize("or", log_or, math.sqrt(1 / a + 1 / b + 1 / c + 1 / d), n1, n2, label, note)


def risk_ratio(events1: int, n1: int, events2: int, n2: int, *, label: str = "") -> EffectSize:
    """Risk ratio (treatment vs control) from event counts; 0.5 added to each cell if one is 0."""
    a, n1_, c, n2_ = _counts(events1, n1, events2, n2)
    if a == 0 and c == 0:
        raise ValueError(f"events1 and events2 must not both be 0: the risk ratio is undefined (got {a}/{n1_} vs "
                         f"{c}/{n2_})")
    note = ""
    ea, ec, na, nc = float(a), float(c), float(n1_), float(n2_)
    if 0 in (a, c, n1_ - a, n2_ - c):
        ea, ec, na, nc = a + 0.5, c + 0.5, n1_ + 1.0, n2_ + 1.0
        note = "0.5 added to every cell (a zero cell)"
    log_rr = math.log((ea / na) / (ec / nc))
    se = math.sqrt(max(1 / ea - 1 / na + 1 / ec - 1 / nc, 1e-300))
    return EffectSize("rr", log_rr, se, n1_, n2_, label, note)


def risk_difference(events1: int, n1: int, events2: int, n2: int, *, label: str = "") -> EffectSize:
    """Risk difference p1 − p2 with the Wald SE (for pooling).

    The Wald SE is 0 when both risks are 0 or 1; then the SE uses 0.5 added to the events and
    1 to each n (noted), so that pooling stays possible.
    """
    a, n1, c, n2 = _counts(events1, n1, events2, n2)
    p1, p2 = a / n1, c / n2
    var = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    note = ""
    if var == 0:
        q1, q2 = (a + 0.5) / (n1 + 1), (c + 0.5) / (n2 + 1)
        var = q1 * (1 - q1) / (n1 + 1) + q2 * (1 - q2) / (n2 + 1)
        note = "SE from counts with 0.5 added (both risks 0 or 1)"
    return EffectSize("rd", p1 - p2, math.sqrt(var), n1, n2, label, note)


def binary_effect(measure: str, events1: int, n1: int, events2: int, n2: int, *, label: str = "") -> EffectSize:
    """:func:`odds_ratio`, :func:`risk_ratio` or :func:`risk_difference` by name (``"or"``, ``"rr"``, ``"rd"``)."""
    fn = {"or": odds_ratio, "rr": risk_ratio, "rd": risk_difference}[check_choice("measure", measure, ("or", "rr", "rd"))]
    return fn(events1, n1, events2, n2, label=label)


def newcombe_rd_ci(events1: int, n1: int, events2: int, n2: int, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 − p2 (statsmodels ``confint_proportions_2indep``)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    a, n1, c, n2 = _counts(events1, n1, events2, n2)
    alpha = 1 - check_real("level", level, low=0.5, high=1.0, high_open=True)
    lo, hi = confint_proportions_2indep(a, n1, c, n2, method="newcomb", compare="diff", alpha=alpha)
    return float(lo), float(hi)


def nnt_interval(rd: float, rd_lower: float, rd_upper: float) -> dict:
    """NNT and its interval from a risk difference and its CI (Altman 1998).

    Returns a dict: ``nnt`` (1/|rd|, ``inf`` if rd = 0), ``kind`` (``"benefit"`` if rd > 0, i.e.
    more events of the *wanted* outcome with treatment, ``"harm"`` if rd < 0, or ``"none"``),
    ``lower``/``upper`` (the NNT interval when the RD interval excludes 0) and ``crosses_zero``; when
    the RD interval includes 0, ``benefit_from`` (NNTB bound) and ``harm_from`` (NNTH bound) give
    the two pieces of the interval, which passes through infinity.
    """
    rd = check_real("rd", rd, low=-1, high=1)
    lo = check_real("rd_lower", rd_lower, low=-1, high=rd)
    hi = check_real("rd_upper", rd_upper, low=rd, high=1)
    out: dict = {"rd": rd, "rd_lower": lo, "rd_upper": hi}
    out["nnt"] = math.inf if rd == 0 else 1 / abs(rd)
    out["kind"] = "benefit" if rd > 0 else "harm" if rd < 0 else "none"
    out["crosses_zero"] = lo <= 0 <= hi
    if out["crosses_zero"]:
        out["benefit_from"] = math.inf if hi == 0 else 1 / hi
        out["harm_from"] = math.inf if lo == 0 else 1 / abs(lo)
        out["lower"], out["upper"] = None, None
    else:
        a, b = 1 / abs(lo), 1 / abs(hi)
        out["lower"], out["upper"] = min(a, b), max(a, b)
    return out


def nnt(events1: int, n1: int, events2: int, n2: int, *, level: float = 0.95) -> dict:
    """Number needed to treat from counts, with Newcombe's interval for the RD behind it.

    ``events`` are the *wanted* outcome (response, remission) or, for a harm such as relapse,
    the unwanted one: then a negative RD (fewer relapses with treatment) is a benefit, and the
    returned ``kind`` says "harm" in the arithmetic sense; read it with the outcome in mind.
    See :func:`nnt_interval` for the keys.
    """
    a, n1, c, n2 = _counts(events1, n1, events2, n2)
    lo, hi = newcombe_rd_ci(a, n1, c, n2, level)
    return nnt_interval(a / n1 - c / n2, lo, hi)


# ----------------------------------------------------------------------------- conversions
def log_or_to_d(log_or):
    """Cohen's d from a log odds ratio: ``d = ln(OR)·√3/π`` (logistic approximation)."""
    return check_real("log_or", log_or) * math.sqrt(3) / math.pi


def d_to_log_or(d):
    """Log odds ratio from Cohen's d: ``ln(OR) = d·π/√3``."""
    return check_real("d", d) * math.pi / math.sqrt(3)


def nnt_from_d(d: float, control_event_rate: float) -> float:
    """NNT implied by an effect size d at a given control event rate (Furukawa 1999).

    ``NNT = 1/(Φ(Φ⁻¹(CER) + d) − CER)``; d > 0 raises the event rate (e.g. response). Returns
    ``inf`` for d = 0.

    Raises
    ------
    ValueError
        If the control event rate is not strictly between 0 and 1, or d is not finite.
    """
    d = check_real("d", d)
    cer = check_real("control_event_rate", control_event_rate, low=0, high=1, low_open=True, high_open=True)
    if d == 0:
        return math.inf
    diff = float(stats.norm.cdf(stats.norm.ppf(cer) + d)) - cer
    return math.inf if diff == 0 else 1 / abs(diff)


def flip(effect: EffectSize) -> EffectSize:
    """The same effect with the groups swapped (sign change on the pooling scale)."""
    return replace(effect, estimate=-effect.estimate, n1=effect.n2, n2=effect.n1)


__all__ += ["newcombe_rd_ci", "flip"]
