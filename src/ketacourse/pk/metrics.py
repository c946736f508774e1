"""Exposure metrics from concentration curves, and model-based half-lives.

Curve metrics work on any sampled curve (times in min, concentrations in ng/mL) and are
vectorised over leading axes (for example one row per virtual patient): Cmax, Tmax, AUC
(trapezoidal), time above a threshold (with linear interpolation of the crossings) and a
log-linear terminal half-life. Model metrics use the exact solution: the terminal half-life
from the slowest eigenvalue and the context-sensitive half-time (time for the plasma
concentration to fall by 50 %, or any other percentage, after an infusion of a given length).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from ..validation import check_increasing, check_real

__all__ = [
    "cmax",
    "tmax",
    "auc_trapezoid",
    "time_above",
    "terminal_half_life_from_curve",
    "terminal_half_life_min",
    "context_sensitive_half_time_min",
]


def _curve(times_min, conc_ng_ml) -> tuple[np.ndarray, np.ndarray]:
    t = check_increasing("times_min", times_min, unit="min")
    c = np.asarray(conc_ng_ml, dtype=float)
    if c.shape[-1] != t.shape[0]:
        raise ValueError(f"conc_ng_ml must have {t.shape[0]} values along its last axis (one per time); got shape {c.shape}")
    return t, c


def cmax(conc_ng_ml) -> np.ndarray | float:
    """Highest concentration on the grid (ng/mL), along the last axis."""
    c = np.asarray(conc_ng_ml, dtype=float)
    return c.max(axis=-1)


def tmax(times_min, conc_ng_ml) -> np.ndarray | float:
    """Time (min) of the highest concentration on the grid (first one if tied)."""
    t, c = _curve(times_min, conc_ng_ml)
    return t[np.argmax(c, axis=-1)]


def auc_trapezoid(times_min, conc_ng_ml) -> np.ndarray | float:
    """Area under the curve over the grid by the trapezoidal rule (ng·min/mL).

    Divide by 60 for ng·h/mL (= µg·h/L).
    """
    t, c = _curve(times_min, conc_ng_ml)
    return np.trapezoid(c, t, axis=-1)


def time_above(times_min, conc_ng_ml, threshold_ng_ml: float) -> np.ndarray | float:
    """Total time (min) the curve spends at or above ``threshold_ng_ml``.

    The curve is taken as piecewise linear between grid points, so crossing times are
    interpolated.
    """
    thr = check_real("threshold_ng_ml", threshold_ng_ml, low=0, unit="ng/mL")
    t, c = _curve(times_min, conc_ng_ml)
    dt = np.diff(t)
    a, b = c[..., :-1] - thr, c[..., 1:] - thr
    both = (a >= 0) & (b >= 0)
    up = (a < 0) & (b >= 0)
    down = (a >= 0) & (b < 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac_up = np.where(up, b / (b - a), 0.0)
        frac_down = np.where(down, a / (a - b), 0.0)
    total = np.sum(dt * (both + frac_up + frac_down), axis=-1)
    return float(total) if np.ndim(total) == 0 else total


def terminal_half_life_from_curve(times_min, conc_ng_ml, n_points: int = 5) -> float:
    """Terminal half-life (min) from a log-linear fit to the last ``n_points`` positive values."""
    t, c = _curve(times_min, conc_ng_ml)
    if c.ndim != 1:
        raise ValueError("conc_ng_ml must be one-dimensional for terminal_half_life_from_curve")
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2; got {n_points!r}")
    mask = c > 0
    tt, cc = t[mask][-n_points:], c[mask][-n_points:]
    if len(tt) < n_points:
        raise ValueError(f"conc_ng_ml has only {len(tt)} positive values; n_points={n_points} needed")
    slope = np.polyfit(tt, np.log(cc), 1)[0]
    if slope >= 0:
        raise ValueError("the last points of conc_ng_ml are not falling; no terminal half-life")
    return math.log(2.0) / -slope


def terminal_half_life_min(model, weight_kg: float = 70.0, age_years: float | None = None) -> float:
    """Terminal (slowest) disposition half-life of the parent drug (min), from the model.

    ``ln 2 / |lambda_min|`` where ``lambda_min`` is the eigenvalue of smallest magnitude of the
    parent-drug disposition matrix (central, peripheral and liver compartments).
    """
    from .models import get_model

    m = get_model(model) if isinstance(model, str) else model
    p = m.typical_parameters(weight_kg, age_years)
    p["ke0"] = 1.0
    from .system import build_system

    sys_ = build_system(m, p, {})
    keep = [i for i, s in enumerate(sys_.states) if s in ("central", "periph2", "periph3", "liver")]
    sub = sys_.A[0][np.ix_(keep, keep)]
    lam = np.linalg.eigvals(sub).real
    return math.log(2.0) / float(np.min(np.abs(lam)))


def context_sensitive_half_time_min(model, weight_kg: float, infusion_durations_min, *,
                                    decrement_percent: float = 50.0,
                                    age_years: float | None = None,
                                    site: str = "plasma") -> np.ndarray:
    """Context-sensitive decrement time (min) after constant infusions of given durations.

    For each duration D: infuse at a constant rate for D minutes, then find the time after the
    end of the infusion at which the concentration has fallen by ``decrement_percent``
    (50 = the context-sensitive half-time). Solved on the exact solution with Brent's method.

    Parameters
    ----------
    model : str or PKModel
        Parameter set.
    weight_kg : float
        Body weight (kg).
    infusion_durations_min : array_like
        Infusion durations (min, > 0).
    decrement_percent : float
        Percentage fall (0 < p < 100).
    site : str
        ``"plasma"`` or ``"effect"``.

    Returns
    -------
    numpy.ndarray
        Decrement times in minutes, one per duration.
    """
    from .simulation import simulate
    from .regimen import infusion
    from ..validation import check_choice

    durs = np.atleast_1d(check_real("infusion_durations_min", infusion_durations_min, low=0, low_open=True, unit="min"))
    p = check_real("decrement_percent", decrement_percent, low=0, high=100, low_open=True, high_open=True, unit="%")
    check_choice("site", site, ("plasma", "effect"))
    out = []
    for d in durs:
        reg = infusion(rate_mg_per_min=1.0, duration_min=float(d))

        def conc(t_after: float) -> float:
            r = simulate(model, reg, weight_kg, [float(d) + t_after], age_years=age_years, warn=False)
            return float((r.conc_ng_ml if site == "plasma" else r.effect_ng_ml)[0])

        c_end = conc(0.0)
        target = c_end * (1.0 - p / 100.0)
        hi = 1.0
        while conc(hi) > target:
            hi *= 2.0
            if hi > 1e7:
                raise ValueError("concentration does not fall to the target within 1e7 min")
        out.append(brentq(lambda x: conc(x) - target, 0.0, hi, xtol=1e-6, rtol=1e-10))
    return np.asarray(out)
