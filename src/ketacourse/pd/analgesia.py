"""Concentration–analgesia models for ketamine, linked to the course's PK engine.

Two published S-ketamine models, at two time scales (parameters in ``data/analgesia.toml``):

* **Slow CRPS relief** (Dahan et al. 2011, 60 CRPS-1 patients, 100-h S-ketamine infusion):
  a biophase with an onset/offset half-life of 10.9 days and C50 10.5 ng/mL; 67% of patients
  given ketamine (23% given placebo) respond. Because the biophase is so slow, relief builds
  during the infusion and outlasts it by weeks. The exact PD equation was not seen: the
  course assumes, in a responder, relief = Ce / (C50 + Ce) as a fraction of the maximum
  (γ = 1), and a population-average relief of p(response) × that. The biophase is the PK
  engine's own effect-site compartment with k_e0 = ln 2 / 10.9 days, so it is exact.
* **Minute-scale acute pain** (Olofsen et al. 2012, 12 healthy men, 2-h infusion): a linear
  additive model in which S-ketamine lowers the pain score and S-norketamine *raises* it;
  slopes derived from the abstract's single reference point (−3.8 cm at 100 ng/mL and
  +1.5 cm at 50 ng/mL), effect-site half-life 11.8 min for pain, used for both (assumption).

Racemic regimens: both models are for S-ketamine, so for a racemic dose the S-enantiomer is
simulated as half of the dose with the S-ketamine PK model (an assumption, see the data
table). By linearity this is the racemic simulation scaled by 0.5.

Everything here is a model illustration for a stated typical patient, not dosing advice.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import pk
from ..data import load_table
from ..validation import check_choice, check_real

__all__ = [
    "parameters",
    "preset_names",
    "preset",
    "preset_regimen",
    "preset_pd_model",
    "RACEMIC_OMISSION",
    "crps_relief",
    "acute_pain_effect",
    "effect_site",
    "DEFAULT_MODEL",
]

DEFAULT_MODEL = "fanta2015"
"""S-ketamine PK model used for both PD models (venous, with S-norketamine; Fanta 2015 / Otto 2021)."""

_MIN_PER_DAY = 1440.0


def parameters() -> dict[str, Any]:
    """The analgesia table (``data/analgesia.toml``) with sources and notes."""
    return load_table("analgesia")


def preset_names(kind: str | None = None) -> tuple[str, ...]:
    """Keys of the published-regimen presets, optionally only ``"chronic"`` or ``"acute"`` ones."""
    if kind is not None:
        check_choice("kind", kind, ("chronic", "acute"))
    return tuple(k for k, v in parameters()["presets"].items() if kind is None or v["kind"] == kind)


def preset(name: str) -> dict[str, Any]:
    """One preset's entry (label, route, schedule, source, flag, note)."""
    check_choice("name", name, preset_names())
    return dict(parameters()["presets"][name])


RACEMIC_OMISSION = ("Racemic dose simulated as its S-ketamine half only: R-ketamine's own (weaker) NMDA block and any "
                    "analgesia from it or from R-norketamine are left out, as is any interaction of the enantiomers.")
"""What the S-only simplification leaves out for a racemic preset (shown beside every racemic regimen)."""


def preset_pd_model(name: str) -> str | None:
    """The PK-PD model fitted to the preset's population (``"dahan2011"``, ``"olofsen2012"``), or None.

    None means no concentration-effect model exists for that population; the preset's ``trial_result``
    says what its own trial found, and no model effect should be drawn.
    """
    p = preset(name)
    return None if p["pd_model"] == "none" else p["pd_model"]


def preset_regimen(name: str, weight_kg: float = 70.0, dose_scale: float = 1.0) -> tuple[pk.Regimen, float]:
    """The preset's dose schedule as a PK :class:`~ketacourse.pk.Regimen` (mg of drug as given).

    Parameters
    ----------
    name : str
        A key from :func:`preset_names`.
    weight_kg : float
        Body weight, kg (20–200); per-kg and per-70-kg doses are scaled to it.
    dose_scale : float
        Multiplier on every dose and rate (0–3), for "what if" questions.

    Returns
    -------
    (Regimen, float)
        The regimen and the share of it that is S-ketamine (1 or 0.5).
    """
    p = preset(name)
    w = float(check_real("weight_kg", weight_kg, low=20, high=200, unit="kg"))
    s = float(check_real("dose_scale", dose_scale, low=0, high=3))
    route = p["route"]
    events: list = []
    if "steps_mg_per_h" in p:
        per = w / 70.0 if p.get("per_70_kg", False) else 1.0
        rates = [r * per * s / 60.0 for r in p["steps_mg_per_h"]]
        course_min = len(rates) * p["step_duration_h"] * 60.0
        for c in range(int(p.get("repeats", 1))):
            start = c * (course_min + p.get("gap_days", 0.0) * _MIN_PER_DAY)
            events.append(pk.stepped_infusion(rates, [p["step_duration_h"] * 60.0] * len(rates), start_min=start))
    elif "daily_hours" in p:
        rate_h = min(p["rate_mg_per_kg_per_h"] * w, p["max_rate_mg_per_h"]) * s
        for d in range(int(p["days"])):
            events.append(pk.infusion(rate_mg_per_min=rate_h / 60.0, duration_min=p["daily_hours"] * 60.0,
                                      start_min=d * _MIN_PER_DAY, route=route))
    elif "daily_mg" in p:
        for d, mg in enumerate(p["daily_mg"]):
            events.append(pk.infusion(rate_mg_per_min=mg * s / _MIN_PER_DAY, duration_min=_MIN_PER_DAY,
                                      start_min=d * _MIN_PER_DAY, route=route))
    else:  # bolus (+ infusion)
        if p["bolus_mg_per_kg"] > 0:
            events.append(pk.bolus(p["bolus_mg_per_kg"] * w * s, route=route))
        if p["rate_mg_per_kg_per_h"] > 0 and p["duration_h"] > 0:
            events.append(pk.infusion(rate_mg_per_min=p["rate_mg_per_kg_per_h"] * w * s / 60.0,
                                      duration_min=p["duration_h"] * 60.0, route=route))
    return pk.Regimen(*events), float(p["s_fraction"])


def _dahan_ke0_per_min() -> float:
    return math.log(2.0) / (parameters()["dahan2011"]["t_half_onset_offset_days"] * _MIN_PER_DAY)


def crps_relief(regimen, weight_kg: float = 70.0, *, days: float = 70.0, s_fraction: float = 1.0,
                model: str = DEFAULT_MODEL, points_per_day: int = 24, c50_ng_ml: float | None = None,
                t_half_days: float | None = None) -> dict[str, np.ndarray | float]:
    """Slow CRPS pain relief (Dahan 2011 structure) for an S-ketamine (or racemic) regimen.

    Parameters
    ----------
    regimen : Regimen or event(s)
        Doses as given (mg); see :func:`preset_regimen`.
    weight_kg : float
        Body weight, kg.
    days : float
        Time simulated, days (1–365).
    s_fraction : float
        Share of each dose that is S-ketamine (1 for esketamine, 0.5 for the racemate).
    model : str
        An S-ketamine PK model key (default Fanta 2015, venous).
    points_per_day : int
        Output resolution (1–1440).
    c50_ng_ml, t_half_days : float, optional
        Override the published C50 (ng/mL, > 0) or onset/offset half-life (days, > 0), e.g. to
        explore their confidence intervals.

    Returns
    -------
    dict
        ``t_days``; ``plasma_ng_ml`` (S-ketamine); ``biophase_ng_ml``; ``responder_relief``
        (fraction of the maximal relief in a patient who responds, 0–1);
        ``expected_relief`` (population average, p(response) × responder relief);
        ``p_response`` and ``p_placebo``; ``infusion_end_day``.
    """
    d = parameters()["dahan2011"]
    days = float(check_real("days", days, low=1, high=365, unit="days"))
    s = float(check_real("s_fraction", s_fraction, low=0, low_open=True, high=1))
    if isinstance(points_per_day, bool) or not isinstance(points_per_day, (int, np.integer)) or not 1 <= points_per_day <= 1440:
        raise ValueError(f"points_per_day must be a whole number from 1 to 1440; got {points_per_day!r}")
    c50 = d["c50_ng_ml"] if c50_ng_ml is None else float(check_real("c50_ng_ml", c50_ng_ml, low=0, low_open=True, unit="ng/mL"))
    th = d["t_half_onset_offset_days"] if t_half_days is None else float(check_real("t_half_days", t_half_days, low=0, low_open=True, unit="days"))
    m = pk.get_model(model)
    if m.enantiomer != "S":
        raise ValueError(f"model must be an S-ketamine model (the PD model is for S-ketamine); got {model!r} ({m.enantiomer})")
    reg = pk.Regimen(regimen) if not isinstance(regimen, pk.Regimen) else regimen
    t = np.linspace(0.0, days * _MIN_PER_DAY, int(round(days * points_per_day)) + 1)
    ke0 = math.log(2.0) / (th * _MIN_PER_DAY)
    r = pk.simulate(m, reg, weight_kg, t, ke0_per_min=ke0, warn=False)
    cp = s * r.conc_ng_ml
    ce = np.maximum(s * r.effect_ng_ml, 0.0)
    g = parameters()["dahan2011"]["model_form"]["gamma"]
    relief = ce**g / (c50**g + ce**g)
    ends = [e.end_min if hasattr(e, "end_min") else e.time_min for e in reg.events]
    return {
        "t_days": t / _MIN_PER_DAY,
        "plasma_ng_ml": cp,
        "biophase_ng_ml": ce,
        "responder_relief": relief,
        "expected_relief": d["p_response_ketamine"] * relief,
        "p_response": d["p_response_ketamine"],
        "p_placebo": d["p_response_placebo"],
        "infusion_end_day": max(ends) / _MIN_PER_DAY if ends else 0.0,
    }


def effect_site(t_min, conc_ng_ml, ke0_per_min: float) -> np.ndarray:
    """Effect-site concentration dCe/dt = ke0 (C − Ce), Ce(0) = 0, for C linear between samples.

    Exact for a piecewise-linear input (first-order hold), so it needs no small step.
    """
    t = np.asarray(t_min, dtype=float)
    c = np.asarray(conc_ng_ml, dtype=float)
    if t.shape != c.shape or t.ndim != 1:
        raise ValueError(f"t_min and conc_ng_ml must be 1-D and the same length; got {t.shape} and {c.shape}")
    k = float(check_real("ke0_per_min", ke0_per_min, low=0, low_open=True, unit="1/min"))
    out = np.zeros_like(c)
    dt = np.diff(t)
    e = np.exp(-k * dt)
    # over a step of length h with C going from c0 to c1 (slope s = (c1 - c0)/h):
    # Ce(h) = Ce0 e + c1 - c0 e - s (1 - e) / k
    slope = np.diff(c) / np.where(dt > 0, dt, 1.0)
    for i in range(dt.size):
        out[i + 1] = out[i] * e[i] + c[i + 1] - c[i] * e[i] - slope[i] * (1 - e[i]) / k
    return out


def acute_pain_effect(regimen, weight_kg: float = 70.0, times_min=None, *, s_fraction: float = 1.0,
                      model: str = DEFAULT_MODEL) -> dict[str, np.ndarray]:
    """Change in a 0–10 cm VAS pain score from S-ketamine and S-norketamine (Olofsen 2012 structure).

    ``effect = slope_K · Ce_K + slope_NK · Ce_NK`` (cm; negative = less pain), slopes derived
    from the abstract's reference point, both effect sites with the pain half-life of 11.8 min.

    Returns
    -------
    dict
        ``t_min``, ``ketamine_ng_ml``, ``norketamine_ng_ml`` (plasma, S-enantiomers),
        ``ce_ketamine_ng_ml``, ``ce_norketamine_ng_ml``, ``vas_ketamine_cm``,
        ``vas_norketamine_cm``, ``vas_net_cm``.
    """
    o = parameters()["olofsen2012"]
    f = o["model_form"]
    s = float(check_real("s_fraction", s_fraction, low=0, low_open=True, high=1))
    m = pk.get_model(model)
    if m.enantiomer != "S" or not m.has_metabolite:
        raise ValueError(f"model must be an S-ketamine model with S-norketamine; got {model!r}")
    t = np.arange(0.0, 24 * 60 + 1, 2.0) if times_min is None else np.asarray(times_min, dtype=float)
    ke0 = math.log(2.0) / o["t_half_ke0_pain_min"]
    reg = pk.Regimen(regimen) if not isinstance(regimen, pk.Regimen) else regimen
    r = pk.simulate(m, reg, weight_kg, t, ke0_per_min=ke0, warn=False)
    ck, cnk = s * r.conc_ng_ml, s * r.metabolite_ng_ml
    cek = np.maximum(s * r.effect_ng_ml, 0.0)
    cenk = np.maximum(effect_site(t, cnk, ke0), 0.0)
    vk = f["slope_ketamine_cm_per_ng_ml"] * cek
    vnk = f["slope_norketamine_cm_per_ng_ml"] * cenk
    return {
        "t_min": t,
        "ketamine_ng_ml": ck,
        "norketamine_ng_ml": cnk,
        "ce_ketamine_ng_ml": cek,
        "ce_norketamine_ng_ml": cenk,
        "vas_ketamine_cm": vk,
        "vas_norketamine_cm": vnk,
        "vas_net_cm": vk + vnk,
    }
