"""Exposure metrics from concentration curves, and model-based half-lives.

Curve metrics work on any sampled curve (times in min, concentrations in ng/mL) and are
vectorised over leading axes (for example one row per virtual patient): Cmax, Tmax, AUC
(trapezoidal), time above a threshold (with linear interpolation of the crossings) and a
log-linear terminal half-life. The model's terminal half-life comes from the slowest eigenvalue of
its disposition matrix. The context-sensitive half-time, which simulates infusions, is in
:mod:`.simulation` (``pk.context_sensitive_half_time_min``), so this module needs no simulation.
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import check_increasing, check_real
from .compartments import build_system
from .models import get_model

__all__ = [
    "cmax",
    "tmax",
    "auc_trapezoid",
    "time_above",
    "terminal_half_life_from_curve",
    "terminal_half_life_min",
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
    m = get_model(model) if isinstance(model, str) else model
    p = m.typical_parameters(weight_kg, age_years)
    p["ke0"] = 1.0
    sys_ = build_system(m, p, {})
    keep = [i for i, s in enumerate(sys_.states) if s in ("central", "periph2", "periph3", "liver")]
    sub = sys_.A[0][np.ix_(keep, keep)]
    lam = np.linalg.eigvals(sub).real
    return math.log(2.0) / float(np.min(np.abs(lam)))
