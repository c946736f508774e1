"""A descriptive time course of ketamine's antidepressant effect, driven by the PK engine.

**Descriptive, not mechanistic.** No model of the NMDA-receptor → glutamate burst → BDNF/mTOR →
synaptogenesis cascade has human-calibrated rate constants, so this module does not pretend to
simulate it. It answers a narrower question: what curve, driven by the effect-site concentration
of the standard 0.5 mg/kg / 40 min infusion, reproduces the published time course of the
drug-minus-control difference (in standard-deviation units, improvement positive)?

Model (parameters and calibration points in ``data/antidepressant.toml``)::

    g(t) = acute_g · Ce(t)/Ce,max  +  delayed_g · ∫ Ce(τ) K(t − τ) dτ / AUC(Ce)
    K(s) = ka/(ka − ke) · (exp(−ke·s) − exp(−ka·s))

- ``Ce`` is the effect-site concentration of one infusion for a typical 70 kg adult (the course
  PK engine, :func:`ketacourse.pk.simulate`, Domino 1982 set); other doses scale it linearly.
- The *acute* term lasts as long as the drug is present (hours): the early effect in the trials
  coincides with the drug's acute psychoactive effects.
- The *delayed* term rises with half-life ln2/ka and decays with half-life ln2/ke (days).
- Repeated doses superpose (linear model). ``ceiling_g`` optionally caps the total with
  ``ceiling·tanh(g/ceiling)``: an **assumption** to explore (no published value), since the
  linear model over-predicts repeated dosing (see the chapter and the "check" points).
- Relapse after a course: exponential relapse-free survival with a published median.

Every output is a model illustration of an average trial effect, not a prediction for a person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..data import load_table
from ..validation import check_real

__all__ = ["TimeCourseParams", "parameters", "calibration_points", "effect_g", "single_dose_curve",
           "fit_parameters", "relapse_free", "relapse_median_days", "DAY_MIN", "twice_weekly", "thrice_weekly"]

DAY_MIN = 1440.0
_GRID_STEP_DAYS = 10.0 / DAY_MIN  # single-dose curve tabulated every 10 min
_GRID_END_DAYS = 120.0


@dataclass(frozen=True)
class TimeCourseParams:
    """Parameters of the descriptive model (see the module docstring)."""

    acute_g: float
    delayed_g: float
    ka_per_day: float
    ke_per_day: float

    @property
    def rise_half_life_h(self) -> float:
        return math.log(2) / self.ka_per_day * 24

    @property
    def decay_half_life_days(self) -> float:
        return math.log(2) / self.ke_per_day


def parameters() -> TimeCourseParams:
    """The sourced (fitted, flag D) parameters from ``data/antidepressant.toml``."""
    p = load_table("antidepressant")["parameters"]
    return TimeCourseParams(float(p["acute_g"]), float(p["delayed_g"]), float(p["ka_per_day"]), float(p["ke_per_day"]))


def calibration_points(role: str | None = None) -> list[dict]:
    """Calibration (``role="fit"``) and check (``role="check"``) points, with their sources."""
    pts = [dict(v, key=k) for k, v in load_table("antidepressant")["calibration"].items()]
    return [p for p in pts if role is None or p["role"] == role]


@cache
def _drive() -> tuple[np.ndarray, np.ndarray]:
    """Effect-site concentration (ng/mL) of one standard infusion on a 1-min grid over 24 h."""
    from .. import pk

    d = load_table("antidepressant")["drive"]
    t_min = np.arange(0.0, DAY_MIN + 1.0, 1.0)
    res = pk.simulate(d["pk_model"], pk.infusion(dose_mg_per_kg=d["dose_mg_per_kg"], duration_min=d["duration_min"]),
                      weight_kg=d["weight_kg"], times_min=t_min)
    return t_min / DAY_MIN, res.effect_ng_ml


def _components(t_days: np.ndarray, ka: float, ke: float) -> tuple[np.ndarray, np.ndarray]:
    """Acute (Ce/Ce,max) and delayed (normalised convolution) components of one standard dose.

    The drive is tabulated over the first 24 h (the effect-site concentration is negligible
    after that). Times within that window are convolved directly; later times use the exact
    factorisation of the exponential kernel, ``∫ Ce(τ) e^{−k(t−τ)} dτ = e^{−k(t−T)} ∫ Ce(τ) e^{−k(T−τ)} dτ``
    with T = 1 day, which costs O(1) per time.
    """
    tau, ce = _drive()
    t_days = np.asarray(t_days, dtype=float)
    acute = np.interp(t_days, tau, ce / ce.max(), left=0.0, right=0.0)
    auc = np.trapezoid(ce, tau)
    coef = ka / (ka - ke) if not math.isclose(ka, ke) else None
    delayed = np.zeros_like(t_days)
    early = (t_days > 0) & (t_days < tau[-1])
    if np.any(early):
        te = t_days[early]
        s = np.clip(te[:, None] - tau[None, :], 0.0, None)
        if coef is None:
            kern = ka * s * np.exp(-ka * s)
        else:
            kern = coef * (np.exp(-ke * s) - np.exp(-ka * s))
        kern = np.where(te[:, None] > tau[None, :], kern, 0.0)
        delayed[early] = np.trapezoid(ce[None, :] * kern, tau, axis=1)
    late = t_days >= tau[-1]
    if np.any(late):
        big_t = tau[-1]
        tl = t_days[late] - big_t
        m_ke = np.trapezoid(ce * np.exp(-ke * (big_t - tau)), tau)
        m_ka = np.trapezoid(ce * np.exp(-ka * (big_t - tau)), tau)
        if coef is None:
            m_tk = np.trapezoid(ce * (big_t - tau) * np.exp(-ka * (big_t - tau)), tau)
            delayed[late] = ka * np.exp(-ka * tl) * (m_tk + tl * m_ka)
        else:
            delayed[late] = coef * (np.exp(-ke * tl) * m_ke - np.exp(-ka * tl) * m_ka)
    return acute, delayed / auc


@cache
def _single_grid(acute_g: float, delayed_g: float, ka: float, ke: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0.0, _GRID_END_DAYS + _GRID_STEP_DAYS / 2, _GRID_STEP_DAYS)
    a, d = _components(t, ka, ke)
    return t, acute_g * a + delayed_g * d


def single_dose_curve(t_days, params: TimeCourseParams | None = None) -> np.ndarray:
    """g(t) after one standard infusion starting at t = 0 (days; 0 before the dose)."""
    t = np.atleast_1d(check_real("t_days", t_days, low=-_GRID_END_DAYS, high=_GRID_END_DAYS))
    p = params or parameters()
    grid_t, grid_g = _single_grid(p.acute_g, p.delayed_g, p.ka_per_day, p.ke_per_day)
    return np.interp(t, grid_t, grid_g, left=0.0, right=0.0)


def twice_weekly(weeks: float) -> list[float]:
    """Dose days of a twice-weekly schedule (days 0 and 3.5 of each week)."""
    weeks = check_real("weeks", weeks, low=0, high=12)
    return [d for d in np.arange(0.0, 7.0 * weeks, 3.5)]


def thrice_weekly(weeks: float) -> list[float]:
    """Dose days of a thrice-weekly schedule (days 0, 2 and 4 of each week)."""
    weeks = check_real("weeks", weeks, low=0, high=12)
    return [w * 7.0 + d for w in range(int(math.ceil(weeks))) for d in (0.0, 2.0, 4.0) if w * 7.0 + d < 7.0 * weeks]


def effect_g(t_days, dose_days=(0.0,), *, dose_mg_per_kg: float = 0.5, ceiling_g: float | None = None,
             params: TimeCourseParams | None = None) -> np.ndarray:
    """Model drug-minus-control effect (SD units, improvement positive) at times ``t_days``.

    Parameters
    ----------
    t_days : array_like
        Times (days) after the first dose, -120 to 120.
    dose_days : sequence of float
        Start times (days) of each 40-min infusion (0 to 120, at most 60 doses).
    dose_mg_per_kg : float
        Dose of each infusion (0 to 1 mg/kg); effects scale linearly from the calibrated 0.5 mg/kg,
        an extrapolation that no trial has validated.
    ceiling_g : float, optional
        If given (0.2 to 5), the total is capped smoothly at this value: an assumption to explore.
    params : TimeCourseParams, optional
        Defaults to :func:`parameters`.

    Raises
    ------
    ValueError
        For times, dose days, doses or ceiling outside the ranges above.
    """
    t = np.atleast_1d(check_real("t_days", t_days, low=-_GRID_END_DAYS, high=_GRID_END_DAYS))
    doses = np.atleast_1d(check_real("dose_days", list(dose_days) if len(dose_days) else [0.0], low=0,
                                     high=_GRID_END_DAYS))
    if len(dose_days) == 0:
        raise ValueError("dose_days must hold at least one dose day (0 to 120); got an empty sequence")
    if len(doses) > 60:
        raise ValueError(f"dose_days must hold at most 60 doses; got {len(doses)}")
    scale = check_real("dose_mg_per_kg", dose_mg_per_kg, low=0, high=1.0) / 0.5
    total = np.zeros_like(t)
    for d in doses:
        total += single_dose_curve(np.clip(t - d, -_GRID_END_DAYS, _GRID_END_DAYS), params)
    total *= scale
    if ceiling_g is not None:
        c = check_real("ceiling_g", ceiling_g, low=0.2, high=5.0)
        total = c * np.tanh(total / c)
    return total


def fit_parameters() -> TimeCourseParams:
    """Re-derive the parameters from the ``role="fit"`` calibration points (exact 3-point fit).

    ka is chosen so that the delayed component peaks at day 1 (Kishimoto 2016); acute_g,
    delayed_g and ke then pass through the three fit points. Used by the tests to show that the
    stored parameters follow from the sourced calibration data.
    """
    from scipy.optimize import brentq, least_squares

    pts = calibration_points("fit")
    t = np.array([p["time_days"] for p in pts])
    g = np.array([p["g"] for p in pts])
    probe = np.linspace(0.05, 5.0, 1000)

    def ka_for_peak(ke: float) -> float:
        def f(log_ka: float) -> float:
            _a, d = _components(probe, math.exp(log_ka), ke)
            return float(probe[np.argmax(d)] - 1.0)
        return math.exp(brentq(f, math.log(ke * 1.01), math.log(200.0)))

    def resid(x):
        acute_g, delayed_g, log_ke = x
        ke = math.exp(log_ke)
        a, d = _components(t, ka_for_peak(ke), ke)
        return acute_g * a + delayed_g * d - g

    sol = least_squares(resid, [0.5, 1.2, math.log(0.2)])
    acute_g, delayed_g, ke = float(sol.x[0]), float(sol.x[1]), math.exp(float(sol.x[2]))
    return TimeCourseParams(acute_g, delayed_g, ka_for_peak(ke), ke)


def relapse_median_days(which: str = "after_six_infusions") -> float:
    """A published median time to relapse (days) from ``data/antidepressant.toml``."""
    table = load_table("antidepressant")["relapse"]
    if which not in table:
        raise ValueError(f"which must be one of {', '.join(map(repr, table))}; got {which!r}")
    return float(table[which]["median_days"])


def relapse_free(t_days, median_days: float) -> np.ndarray:
    """Fraction still relapse-free ``t_days`` after the last dose, exponential with the given median.

    ``S(t) = exp(−ln 2 · t / median)`` for t >= 0 (1 before). An assumption of constant hazard;
    real relapse curves need not be exponential.
    """
    t = np.atleast_1d(check_real("t_days", t_days, low=-_GRID_END_DAYS, high=3650))
    m = check_real("median_days", median_days, low=0.0, low_open=True, high=3650)
    return np.where(t < 0, 1.0, np.exp(-math.log(2) * np.clip(t, 0, None) / m))
