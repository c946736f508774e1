"""Target-controlled infusion (TCI): the infusion sequence that brings a concentration to a target and holds it.

A TCI pump recomputes its infusion rate at short, regular update intervals from a
pharmacokinetic model, so that the model's predicted concentration (in plasma, or at the effect
site) reaches the target the user sets and stays there :cite:`struys2016`. This module does the
same for any parameter set of :mod:`ketacourse.pk`:

- the model's linear system ``x' = A x + u`` is built by :func:`ketacourse.pk.system.build_system`
  (the same matrices :func:`ketacourse.pk.simulate` solves), and advanced exactly over one update
  interval with the matrix exponential (the package's ``"expm"`` method);
- by superposition, the concentration after one interval is the *free* response (no more drug)
  plus the rate times the response to a unit-rate infusion over that interval;
- **plasma targeting** picks the rate that puts the plasma concentration on target at the end of
  the interval;
- **effect-site targeting** picks the largest rate for which the effect-site concentration,
  followed over a look-ahead horizon after the interval, never rises above the target (so the
  effect site reaches the target as fast as the rate limit allows, without overshoot; plasma
  overshoots instead). Because the future effect-site concentration is linear in the rate, this
  largest rate is found exactly: ``min over future times of (target - free) / unit``;
- rates are never negative (a pump cannot withdraw drug: when the target falls, it stops and the
  concentration decays), and never above ``max_rate_mg_per_min`` when one is given.

The resulting schedule is an ordinary :class:`~ketacourse.pk.Regimen` of consecutive infusions,
which :meth:`TCIResult.simulate` runs through :func:`ketacourse.pk.simulate`: that forward
simulation, not this module's own stepping, is what the tests compare with the targets.

Units: time min (update interval in s), rates mg/min of base, concentrations ng/mL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.linalg import expm

from ..validation import check_choice, check_real
from .models import PKModel
from .regimen import Regimen, stepped_infusion
from .simulation import PKResult, check_common, resolve_model, simulate
from .system import build_system

__all__ = ["tci", "TCIResult", "MODES", "MAX_TARGET_NG_ML", "performance_errors", "PerformanceErrors"]

MODES = ("plasma", "effect")
MAX_TARGET_NG_ML = 5000.0
"""Highest target accepted (ng/mL): above the anaesthetic range of the course's concentration bands."""


@dataclass
class TCIResult:
    """An infusion sequence computed by :func:`tci`.

    Attributes
    ----------
    model : PKModel
    weight_kg : float
    mode : str
        ``"plasma"`` or ``"effect"``.
    interval_min : float
        Update interval (min).
    start_times_min : numpy.ndarray
        Start of each update interval (min).
    rates_mg_per_min : numpy.ndarray
        Infusion rate during each interval (mg/min of base, >= 0).
    targets_ng_ml : numpy.ndarray
        Target in force during each interval (ng/mL).
    step_targets_ng_ml, step_durations_min : numpy.ndarray
        The target schedule as given.
    max_rate_mg_per_min : float or None
    ke0_per_min : float
    age_years : float or None
    predicted_ng_ml : numpy.ndarray
        The targeted concentration at the end of each interval, from the algorithm's own exact
        stepping (for diagnostics; validate with :meth:`simulate`).
    """

    model: PKModel
    weight_kg: float
    mode: str
    interval_min: float
    start_times_min: np.ndarray
    rates_mg_per_min: np.ndarray
    targets_ng_ml: np.ndarray
    step_targets_ng_ml: np.ndarray
    step_durations_min: np.ndarray
    max_rate_mg_per_min: float | None
    ke0_per_min: float
    age_years: float | None
    predicted_ng_ml: np.ndarray = field(repr=False)

    @property
    def duration_min(self) -> float:
        """Total duration of the schedule (min)."""
        return float(self.step_durations_min.sum())

    @property
    def step_starts_min(self) -> np.ndarray:
        """Time at which each target step begins (min)."""
        return np.concatenate([[0.0], np.cumsum(self.step_durations_min)[:-1]])

    def regimen(self) -> Regimen:
        """The schedule as consecutive constant-rate infusions (intervals with equal rates merged)."""
        rates = self.rates_mg_per_min
        starts = [0]
        for k in range(1, len(rates)):
            if rates[k] != rates[k - 1]:
                starts.append(k)
        bounds = starts + [len(rates)]
        merged = [float(rates[a]) for a in starts]
        durs = [(b - a) * self.interval_min for a, b in zip(bounds[:-1], bounds[1:])]
        return stepped_infusion(merged, durs)

    def total_dose_mg(self) -> float:
        """Total amount infused (mg of base)."""
        return float(self.rates_mg_per_min.sum() * self.interval_min)

    def cumulative_dose_mg(self) -> np.ndarray:
        """Amount infused by the end of each interval (mg of base)."""
        return np.cumsum(self.rates_mg_per_min) * self.interval_min

    def simulate(self, times_min=None) -> PKResult:
        """Forward simulation of the schedule with :func:`ketacourse.pk.simulate` (exact).

        Parameters
        ----------
        times_min : array_like, optional
            Output times (min); default every 0.25 min over the schedule.
        """
        t = np.arange(0.0, self.duration_min + 1e-9, 0.25) if times_min is None else times_min
        return simulate(self.model, self.regimen(), self.weight_kg, t, age_years=self.age_years,
                        ke0_per_min=self.ke0_per_min, warn=False)

    def simulate_in(self, model: str | PKModel, times_min=None, *, weight_kg: float | None = None) -> PKResult:
        """Drive this schedule (computed with ``self.model``) through another parameter set.

        This is what happens when a pump's model is wrong for the person: the pump computes its
        rates from one set of parameters, and the body responds with another. Compare the result
        with the targets using :func:`performance_errors`.

        Parameters
        ----------
        model : str or PKModel
            The parameter set standing in for the "true" patient.
        times_min : array_like, optional
            Output times (min); default every 0.25 min over the schedule.
        weight_kg : float, optional
            Body weight of the "true" patient (default: the schedule's weight).
        """
        t = np.arange(0.0, self.duration_min + 1e-9, 0.25) if times_min is None else times_min
        w = self.weight_kg if weight_kg is None else weight_kg
        return simulate(model, self.regimen(), w, t, age_years=self.age_years, ke0_per_min=self.ke0_per_min,
                        warn=False)

    def target_at(self, times_min) -> np.ndarray:
        """The target in force at ``times_min`` (ng/mL; the last step's target after the end)."""
        t = np.atleast_1d(np.asarray(times_min, dtype=float))
        idx = np.searchsorted(np.cumsum(self.step_durations_min), t, side="right")
        return self.step_targets_ng_ml[np.minimum(idx, len(self.step_targets_ng_ml) - 1)]


def _check_targets(targets_ng_ml, durations_min) -> tuple[np.ndarray, np.ndarray]:
    targets = np.atleast_1d(check_real("targets_ng_ml", targets_ng_ml, low=0, high=MAX_TARGET_NG_ML, unit="ng/mL"))
    if np.ndim(durations_min) == 0:
        durs = np.full(targets.shape, float(check_real("durations_min", durations_min, low=0, low_open=True,
                                                       high=7 * 1440, unit="min")))
    else:
        durs = np.atleast_1d(check_real("durations_min", durations_min, low=0, low_open=True, high=7 * 1440, unit="min"))
    if targets.ndim != 1 or durs.shape != targets.shape:
        raise ValueError("targets_ng_ml and durations_min must be 1-D and the same length (or durations_min one "
                         f"number); got shapes {targets.shape} and {durs.shape}")
    return targets, durs


def tci(model: str | PKModel, targets_ng_ml: float | Sequence[float], durations_min: float | Sequence[float],
        weight_kg: float, *, mode: str = "plasma", interval_s: float = 10.0,
        max_rate_mg_per_min: float | None = None, ke0_per_min: float | None = None,
        age_years: float | None = None, horizon_min: float = 30.0) -> TCIResult:
    """Compute the infusion sequence that brings a concentration to each target and holds it.

    Parameters
    ----------
    model : str or PKModel
        Any parameter set of :func:`ketacourse.pk.list_models`.
    targets_ng_ml : float or sequence of float
        Target concentration of each step (ng/mL, 0–5000). A target of 0 stops the pump.
    durations_min : float or sequence of float
        Duration of each step (min, > 0); one number applies to every step.
    weight_kg : float
        Body weight (kg).
    mode : str
        ``"plasma"`` (target the plasma concentration) or ``"effect"`` (the effect site).
    interval_s : float
        Pump update interval (s, 1–120). Each step's duration must be a whole number of intervals.
    max_rate_mg_per_min : float, optional
        Highest rate the pump may run (mg/min of base, > 0). ``None``: no limit.
    ke0_per_min : float, optional
        Effect-site rate constant (1/min); default as in :func:`ketacourse.pk.simulate`.
    age_years : float, optional
        Passed to the model (Perez-Ruixo uses it).
    horizon_min : float
        Look-ahead for effect-site targeting (min, 1–240): the effect-site concentration must
        not exceed the target at any update time within this horizon.

    Returns
    -------
    TCIResult

    Raises
    ------
    ValueError
        A target that is negative, not finite or above 5000 ng/mL; durations not a whole number
        of update intervals; an unknown model or mode; a non-positive rate limit or weight.
    """
    m = resolve_model(model)
    check_choice("mode", mode, MODES)
    w, _t, age, ke0 = check_common(weight_kg, [0.0], age_years, ke0_per_min)
    targets, durs = _check_targets(targets_ng_ml, durations_min)
    dt_s = float(check_real("interval_s", interval_s, low=1, high=120, unit="s"))
    dt = dt_s / 60.0
    steps = durs / dt
    n_per = np.rint(steps).astype(int)
    if np.any(np.abs(steps - n_per) > 1e-6) or np.any(n_per < 1):
        bad = int(np.flatnonzero((np.abs(steps - n_per) > 1e-6) | (n_per < 1))[0])
        raise ValueError(f"durations_min must be whole multiples of interval_s ({dt_s:g} s); "
                         f"got {durs[bad]:g} min (element {bad})")
    rmax = None
    if max_rate_mg_per_min is not None:
        rmax = float(check_real("max_rate_mg_per_min", max_rate_mg_per_min, low=0, low_open=True, unit="mg/min"))
    horizon = float(check_real("horizon_min", horizon_min, low=1, high=240, unit="min"))

    params = m.typical_parameters(w, age)
    params["ke0"] = ke0
    system = build_system(m, params, depots={})
    A = system.A[0]
    n = A.shape[0]
    central = system.index("central")
    row = system.observations["plasma" if mode == "plasma" else "effect"][0]
    # One exact step of length dt: x <- Phi x + Gam * rate (rate into the central compartment).
    aug = np.zeros((2 * n, 2 * n))
    aug[:n, :n] = A
    aug[:n, n:] = np.eye(n)
    M = expm(aug * dt)
    Phi, Gam = M[:n, :n], M[:n, n:][:, central]
    # Look-ahead rows: concentration j intervals after the end of the current one (j = 0..J-1).
    J = 1 if mode == "plasma" else max(1, int(np.ceil(horizon / dt)))
    rows = np.empty((J, n))
    rows[0] = row
    for j in range(1, J):
        rows[j] = rows[j - 1] @ Phi
    unit = rows @ Gam  # (J,) response to a unit rate over one interval
    usable = unit > 1e-12 * max(unit.max(), 1e-300)

    target_per_interval = np.repeat(targets, n_per)
    K = len(target_per_interval)
    rates = np.zeros(K)
    predicted = np.zeros(K)
    x = np.zeros(n)
    for k in range(K):
        free_state = Phi @ x
        free = rows @ free_state
        tgt = target_per_interval[k]
        r = float(np.min((tgt - free[usable]) / unit[usable])) if np.any(usable) else 0.0
        r = max(r, 0.0)
        if rmax is not None:
            r = min(r, rmax)
        rates[k] = r
        x = free_state + Gam * r
        predicted[k] = row @ x
    return TCIResult(model=m, weight_kg=w, mode=mode, interval_min=dt, start_times_min=np.arange(K) * dt,
                     rates_mg_per_min=rates, targets_ng_ml=target_per_interval, step_targets_ng_ml=targets,
                     step_durations_min=durs, max_rate_mg_per_min=rmax, ke0_per_min=ke0, age_years=age,
                     predicted_ng_ml=predicted)


@dataclass(frozen=True)
class PerformanceErrors:
    """The standard measures of TCI performance (Varvel, Donoho & Shafer 1992, :cite:`varvel1992`).

    Attributes
    ----------
    pe_percent : numpy.ndarray
        Performance error of each sample, 100 × (measured − predicted) / predicted (%).
    mdpe_percent : float
        Median performance error: the *bias* (%; negative = measured below the pump's prediction).
    mdape_percent : float
        Median absolute performance error: the *inaccuracy* (%).
    wobble_percent : float
        Median of |PE − MDPE|: how much the error varies around its own median (%).
    divergence_percent_per_h : float
        Slope of |PE| against time (% per hour, least squares); positive means the error grows
        over the session. NaN with fewer than two distinct times.
    """

    pe_percent: np.ndarray
    mdpe_percent: float
    mdape_percent: float
    wobble_percent: float
    divergence_percent_per_h: float


def performance_errors(measured_ng_ml, predicted_ng_ml, times_min=None) -> PerformanceErrors:
    """MDPE, MDAPE, wobble and divergence of measured against predicted concentrations (one person).

    A correlation between measured and predicted (or target) concentrations says only that they
    rise together; a pump that delivers 30 % too much at every target correlates perfectly. The
    performance error separates *bias* (MDPE) from *inaccuracy* (MDAPE) :cite:`varvel1992`.

    Parameters
    ----------
    measured_ng_ml, predicted_ng_ml : array_like
        Paired concentrations (ng/mL); predicted values must be > 0.
    times_min : array_like, optional
        Sampling times (min), for the divergence.

    Returns
    -------
    PerformanceErrors
    """
    m = np.atleast_1d(np.asarray(check_real("measured_ng_ml", measured_ng_ml, low=0, unit="ng/mL"), dtype=float))
    p = np.atleast_1d(np.asarray(check_real("predicted_ng_ml", predicted_ng_ml, low=0, low_open=True, unit="ng/mL"),
                                 dtype=float))
    if m.shape != p.shape or m.ndim != 1 or m.size == 0:
        raise ValueError("measured_ng_ml and predicted_ng_ml must be 1-D and of the same length; got shapes "
                         f"{m.shape} and {p.shape}")
    pe = 100.0 * (m - p) / p
    mdpe = float(np.median(pe))
    mdape = float(np.median(np.abs(pe)))
    wobble = float(np.median(np.abs(pe - mdpe)))
    div = float("nan")
    if times_min is not None:
        t = np.atleast_1d(np.asarray(check_real("times_min", times_min, low=0, unit="min"), dtype=float))
        if t.shape != m.shape:
            raise ValueError(f"times_min must have one time per sample; got shape {t.shape} for {m.size} samples")
        if np.unique(t).size >= 2:
            div = float(np.polyfit(t / 60.0, np.abs(pe), 1)[0])
    return PerformanceErrors(pe, mdpe, mdape, wobble, div)
