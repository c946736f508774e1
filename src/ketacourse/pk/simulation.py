"""The documented entry point :func:`simulate` and its result object.

Units: time in **minutes**, doses in **mg of base**, weights in kg, concentrations in **ng/mL**
(= µg/L), AUC in ng·min/mL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ..validation import check_choice, check_increasing, check_real
from . import metrics
from .models import PKModel, default_ke0_per_min, get_model
from .regimen import Regimen, as_regimen, infusion
from .solve import METHODS, solve_linear
from .system import LinearSystem, build_schedule, build_system, collect_pathways

__all__ = ["simulate", "PKResult", "resolve_model", "context_sensitive_half_time_min"]


def resolve_model(model: str | PKModel) -> PKModel:
    """Accept a model key or a :class:`PKModel`."""
    if isinstance(model, PKModel):
        return model
    return get_model(model)


def check_common(weight_kg, times_min, age_years, ke0_per_min):
    """Validate the arguments shared by :func:`simulate` and the population simulation."""
    w = float(check_real("weight_kg", weight_kg, low=0, low_open=True, high=350, unit="kg"))
    t = check_increasing("times_min", times_min, unit="min")
    check_real("times_min", t, low=0, unit="min")
    age = None if age_years is None else float(check_real("age_years", age_years, low=0, high=120, unit="years"))
    ke0 = default_ke0_per_min() if ke0_per_min is None else float(check_real("ke0_per_min", ke0_per_min, low=0, low_open=True, unit="1/min"))
    return w, t, age, ke0


@dataclass
class PKResult:
    """Concentrations and amounts from :func:`simulate`.

    Attributes
    ----------
    times_min : numpy.ndarray
        Output times (min).
    conc_ng_ml : numpy.ndarray
        Parent-drug plasma (or blood, per the model's sampling site) concentration (ng/mL).
    effect_ng_ml : numpy.ndarray
        Effect-site concentration (ng/mL).
    metabolite_ng_ml : numpy.ndarray or None
        Norketamine (noresketamine) concentration (ng/mL, parent-mass equivalents as in the
        source model); ``None`` if the model has no metabolite.
    amounts_mg : dict of str to numpy.ndarray
        Amount in every compartment (mg); the effect site holds no mass and is omitted.
    bioavailable_dose_mg : float
        Mass that entered the body (parent absorbed plus presystemic metabolite), mg.
    model : PKModel
    weight_kg : float
    parameters : dict
        Primary parameters used (L, L/min, 1/min).
    notes : list of str
        Borrowed values and other caveats for this simulation.
    """

    times_min: np.ndarray
    conc_ng_ml: np.ndarray
    effect_ng_ml: np.ndarray
    metabolite_ng_ml: np.ndarray | None
    amounts_mg: dict
    bioavailable_dose_mg: float
    model: PKModel
    weight_kg: float
    parameters: dict
    notes: list = field(default_factory=list)
    system: LinearSystem | None = field(default=None, repr=False)

    def _series(self, which: str) -> np.ndarray:
        check_choice("which", which, ("plasma", "effect", "metabolite"))
        if which == "metabolite":
            if self.metabolite_ng_ml is None:
                raise ValueError(f"which='metabolite' is not available: model {self.model.key!r} has no metabolite")
            return self.metabolite_ng_ml
        return self.conc_ng_ml if which == "plasma" else self.effect_ng_ml

    def cmax_ng_ml(self, which: str = "plasma") -> float:
        """Highest concentration on the time grid (ng/mL)."""
        return float(metrics.cmax(self._series(which)))

    def tmax_min(self, which: str = "plasma") -> float:
        """Time of the highest concentration on the time grid (min)."""
        return float(metrics.tmax(self.times_min, self._series(which)))

    def auc_ng_min_ml(self, which: str = "plasma") -> float:
        """Trapezoidal AUC over the time grid (ng·min/mL)."""
        return float(metrics.auc_trapezoid(self.times_min, self._series(which)))

    def time_above_min(self, threshold_ng_ml: float, which: str = "plasma") -> float:
        """Time spent at or above ``threshold_ng_ml`` on the grid (min, crossings interpolated)."""
        return float(metrics.time_above(self.times_min, self._series(which), threshold_ng_ml))

    @property
    def terminal_half_life_min(self) -> float:
        """Model-based terminal half-life of the parent drug (min)."""
        return metrics.terminal_half_life_min(self.model, self.weight_kg)

    def summary(self) -> dict[str, Any]:
        """Cmax, Tmax, AUC (plasma, effect site, metabolite) and terminal half-life."""
        out: dict[str, Any] = {"model": self.model.key, "weight_kg": self.weight_kg}
        for w in ("plasma", "effect") + (("metabolite",) if self.metabolite_ng_ml is not None else ()):
            out[f"{w}_cmax_ng_ml"] = self.cmax_ng_ml(w)
            out[f"{w}_tmax_min"] = self.tmax_min(w)
            out[f"{w}_auc_ng_min_ml"] = self.auc_ng_min_ml(w)
        out["terminal_half_life_min"] = self.terminal_half_life_min
        return out


def simulate(model: str | PKModel, regimen, weight_kg: float, times_min, *,
             age_years: float | None = None, ke0_per_min: float | None = None,
             route_sets: dict[str, str] | None = None, method: str = "eig",
             warn: bool = True) -> PKResult:
    """Simulate one typical patient exactly (no ODE solver).

    Parameters
    ----------
    model : str or PKModel
        A key from :func:`list_models` (for example ``"domino1982"``, ``"fanta2015"``,
        ``"perezruixo2021"``).
    regimen : Regimen, Bolus, Infusion or list of them
        Doses in mg of base (see :func:`bolus`, :func:`infusion`, :func:`stepped_infusion`,
        :func:`repeat`, :func:`nasal_session`).
    weight_kg : float
        Body weight (kg, 0 < w <= 350). Scales the parameters as the source does (per kg,
        allometric to 70 kg, or not at all) and resolves per-kg doses.
    times_min : array_like
        Strictly increasing output times (min, >= 0). Concentrations at a bolus time include
        that bolus.
    age_years : float, optional
        Age (years). Checked against the model's validity range; used by Perez-Ruixo (Qh).
    ke0_per_min : float, optional
        Effect-site rate constant (1/min). Default ln 2 / 6.1 min (Olofsen 2012).
    route_sets : dict, optional
        ``{route: set_name}`` to use another published route data set from ``routes.toml``.
    method : str
        ``"eig"`` (eigen-decomposition, default) or ``"expm"`` (matrix exponential).
    warn : bool
        Emit :class:`ModelValidityWarning` when weight or age is outside the model's range.

    Returns
    -------
    PKResult
        Concentrations (ng/mL), amounts (mg) and metrics.

    Raises
    ------
    ValueError
        Unknown model, route or method; non-positive weight; times not increasing or negative;
        invalid doses (raised when the regimen is built).
    """
    m = resolve_model(model)
    w, t, age, ke0 = check_common(weight_kg, times_min, age_years, ke0_per_min)
    check_choice("method", method, METHODS)
    reg: Regimen = as_regimen(regimen)
    if warn:
        m.warn_if_outside(w, age)
    params = m.typical_parameters(w, age)
    params["ke0"] = ke0
    resolved, depots, notes = collect_pathways(m, reg, w, route_sets)
    system = build_system(m, params, depots)
    schedule = build_schedule(system, resolved)
    n = len(system.states)
    obs_names = ["plasma", "effect"] + (["metabolite"] if m.has_metabolite else [])
    rows = np.concatenate([np.eye(n)[None]] + [system.observations[k][:, None, :] for k in obs_names], axis=1)
    y = solve_linear(system, schedule, t, rows, method=method)[:, :, 0].T  # (T, n + n_obs)
    amounts = {s: y[:, i] for i, s in enumerate(system.states) if system.mass_states[i]}
    conc = {k: y[:, n + j] for j, k in enumerate(obs_names)}
    if m.has_metabolite is False:
        notes = notes + [f"{m.key}: no metabolite parameters; norketamine not simulated"]
    return PKResult(
        times_min=t,
        conc_ng_ml=conc["plasma"],
        effect_ng_ml=conc["effect"],
        metabolite_ng_ml=conc.get("metabolite"),
        amounts_mg=amounts,
        bioavailable_dose_mg=float(schedule.bioavailable_mg[0]),
        model=m,
        weight_kg=w,
        parameters={k: float(np.asarray(v).ravel()[0]) for k, v in params.items()},
        notes=notes,
        system=system,
    )


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
