"""Compartmental pharmacokinetics of ketamine and esketamine, solved exactly.

Linear 1-3 compartment models with an effect-site compartment and a norketamine
(noresketamine) chain, including presystemic (first-pass) metabolite formation, solved by
eigen-decomposition of ``x' = A x + u(t)`` (or the matrix exponential) with superposition of
doses. No general ODE solver is used.

Units: time **min**, doses **mg of base** (``form="hcl"`` converts salt doses), body weight kg,
volumes L, clearances L/min internally, concentrations **ng/mL**.

Entry points
------------
simulate(model, regimen, weight_kg, times_min, ...)     one typical patient -> PKResult
simulate_population(model, regimen, weight_kg, times_min, n_patients=..., seed=...)
list_models()                                             parameter sets with sources
bolus(...), infusion(...), stepped_infusion(...), repeat(...), nasal_session(...), Regimen
context_sensitive_half_time_min(model, weight_kg, infusion_durations_min)

Example
-------
>>> import numpy as np
>>> from ketacourse import pk
>>> r = pk.simulate("domino1982", pk.infusion(dose_mg_per_kg=0.5, duration_min=40),
...                 weight_kg=70, times_min=np.arange(0, 241))
>>> round(r.cmax_ng_ml())  # doctest: +SKIP
"""

from .metrics import (
    auc_trapezoid,
    cmax,
    terminal_half_life_from_curve,
    terminal_half_life_min,
    time_above,
    tmax,
)
from .models import ModelValidityWarning, PKModel, default_ke0_per_min, get_model, list_models, model_keys
from .population import PopulationResult, simulate_population
from .regimen import Bolus, Infusion, Regimen, bolus, infusion, nasal_session, repeat, stepped_infusion
from .routes import ROUTES, fit_ka_to_tmax, ka_from_tmax, model_tmax_min, route_absorption, route_set, route_set_names
from .routes import fit_absorption_to_peak, peak_check, peak_validation, route_peaks
from .simulation import PKResult, context_sensitive_half_time_min, simulate

__all__ = [
    "simulate",
    "simulate_population",
    "list_models",
    "get_model",
    "model_keys",
    "PKModel",
    "PKResult",
    "PopulationResult",
    "ModelValidityWarning",
    "Regimen",
    "Bolus",
    "Infusion",
    "bolus",
    "infusion",
    "stepped_infusion",
    "repeat",
    "nasal_session",
    "ROUTES",
    "route_set",
    "route_set_names",
    "ka_from_tmax",
    "fit_ka_to_tmax",
    "model_tmax_min",
    "route_absorption",
    "route_peaks",
    "fit_absorption_to_peak",
    "peak_check",
    "peak_validation",
    "default_ke0_per_min",
    "cmax",
    "tmax",
    "auc_trapezoid",
    "time_above",
    "terminal_half_life_from_curve",
    "terminal_half_life_min",
    "context_sensitive_half_time_min",
]
