"""Route logistics side by side, computed from the package (Chapter 6).

For one session per route (IV infusion, esketamine nasal spray, subcutaneous injection, oral dose;
presets in ``data/safety.toml``) :func:`route_comparison` reports, for a stated typical adult:

* the published bioavailability F (routes.toml set or label) with its basis (``f_basis``:
  "published", "by definition" or "borrowed" when no human value exists for the route, as for
  subcutaneous ketamine, whose F is the intramuscular value) and the model's own F, computed as the
  S-ketamine AUC after the route divided by the AUC after an IV bolus of the same dose in the same
  model (0-48 h);
* time to peak plasma S-ketamine, peak effect-site concentration and the minutes the effect-site
  concentration stays above the dissociation threshold;
* parent (S-ketamine) and metabolite (S-norketamine or noresketamine) exposure over 24 h and their
  ratio (first pass after oral and swallowed nasal doses makes more metabolite);
* the monitoring each route's label or practice sets, and the model's stability and discharge time
  (:func:`ketacourse.safety.session.simulate_session`).

Model illustration, not advice; the subcutaneous absorption data are borrowed (see routes.toml).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from .. import pk
from ..data import load_table
from ..pk.routes import route_set
from ..validation import check_real
from .session import effect_parameters, finding, monitoring_rule, regimen_for, session_preset, simulate_session

__all__ = ["ROUTE_SESSIONS", "route_comparison", "model_bioavailability", "published_bioavailability",
           "bioavailability_basis"]

ROUTE_SESSIONS = ("iv_racemic", "nasal_esketamine_84", "sc_racemic", "oral_racemic")
"""The session compared for each route."""

_LONG_T = np.concatenate([np.arange(0.0, 600.0, 2.0), np.arange(600.0, 2881.0, 10.0)])  # 0-48 h


def published_bioavailability(session: str) -> tuple[float, str]:
    """Published F for the route of a session, and its source key."""
    p = session_preset(session)
    if p["route"] == "iv":
        return 1.0, "definition"
    if p["route"] == "intranasal" and p["pk_model"] == "perezruixo2021":
        f = finding("spravato_bioavailability")
        return float(f["bioavailability"]), f["source"]
    override = load_table("pk_models")["models"][p["pk_model"]].get("route_overrides", {}).get(p["route"])
    if override is not None and "bioavailability" in override:  # the model's own published F (e.g. Fanta oral)
        return float(override["bioavailability"]), override["source"]
    s = route_set(p["route"])
    return float(s["bioavailability"]), s["source"]


def bioavailability_basis(session: str) -> str:
    """Where the session's "published" F comes from: ``"by definition"`` (IV), ``"published"`` or
    ``"borrowed from <route> (no human value for this route)"`` when the routes table marks the set as
    borrowed (its set name starts with ``borrowed_``), as for subcutaneous ketamine."""
    p = session_preset(session)
    if p["route"] == "iv":
        return "by definition"
    if p["route"] == "intranasal" and p["pk_model"] == "perezruixo2021":
        return "published"
    override = load_table("pk_models")["models"][p["pk_model"]].get("route_overrides", {}).get(p["route"])
    if override is not None and "bioavailability" in override:
        return "published"
    route = load_table("routes")["routes"][p["route"]]
    set_name = route.get("default", "")
    if set_name.startswith("borrowed_"):
        return f"borrowed from {set_name.removeprefix('borrowed_').upper()} (no human value for this route)"
    return "published"


@lru_cache(maxsize=32)
def model_bioavailability(session: str, weight_kg: float = 70.0) -> float:
    """F of the session's route in its own PK model: AUC(route) / AUC(IV bolus, same S dose), 0-48 h."""
    p = session_preset(session)
    reg, s_dose, _end = regimen_for(p, weight_kg)
    r = pk.simulate(p["pk_model"], reg, weight_kg, _LONG_T, warn=False)
    iv = pk.simulate(p["pk_model"], pk.bolus(s_dose), weight_kg, _LONG_T, warn=False)
    return r.auc_ng_min_ml() / iv.auc_ng_min_ml()


@lru_cache(maxsize=16)
def _comparison(weight_kg: float) -> tuple[dict[str, Any], ...]:
    thr = float(effect_parameters()["dissociation"]["threshold_s_ng_ml"])
    t24 = np.concatenate([np.arange(0.0, 600.0, 1.0), np.arange(600.0, 1441.0, 5.0)])
    rows = []
    for name in ROUTE_SESSIONS:
        p = session_preset(name)
        reg, s_dose, end = regimen_for(p, weight_kg)
        r = pk.simulate(p["pk_model"], reg, weight_kg, t24, warn=False)
        sess = simulate_session(name, weight_kg=weight_kg)
        rule = monitoring_rule(p["monitoring"])
        f_pub, f_src = published_bioavailability(name)
        auc_p = r.auc_ng_min_ml() / 60.0
        auc_m = r.auc_ng_min_ml("metabolite") / 60.0 if r.metabolite_ng_ml is not None else float("nan")
        rows.append({
            "session": name, "label": p["label"], "route": p["route"], "drug": p["drug"], "pk_model": p["pk_model"],
            "s_dose_mg": s_dose, "dose_end_min": end,
            "f_published": f_pub, "f_source": f_src, "f_basis": bioavailability_basis(name), "f_model": model_bioavailability(name, weight_kg),
            "tmax_min": r.tmax_min(), "cmax_s_ng_ml": r.cmax_ng_ml(), "peak_effect_s_ng_ml": r.cmax_ng_ml("effect"),
            "minutes_above_threshold": r.time_above_min(thr, which="effect"),
            "auc_parent_ng_h_ml": auc_p, "auc_metabolite_ng_h_ml": auc_m, "metabolite_to_parent": auc_m / auc_p,
            "monitoring": rule["label"], "min_observation_min": rule.get("min_observation_min"),
            "monitoring_source": rule["source"], "stable_min": sess.stable_min, "discharge_min": sess.discharge_min,
            "binding": sess.binding, "peak_sbp_rise_mmhg": sess.peak_sbp_rise_mmhg,
        })
    return tuple(rows)


def route_comparison(weight_kg: float = 70.0) -> list[dict[str, Any]]:
    """One dict per route (see the module docstring for the keys' meaning).

    Parameters
    ----------
    weight_kg : float
        Body weight of the typical adult, 40-150 kg.
    """
    w = float(check_real("weight_kg", weight_kg, low=40.0, high=150.0, unit="kg"))
    return [dict(r) for r in _comparison(w)]
