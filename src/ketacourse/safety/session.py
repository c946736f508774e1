"""One treatment session on the PK engine: dissociation, blood pressure, monitoring and discharge.

A session preset (``data/safety.toml``, ``[sessions]``) names a drug, route, dose, PK model,
monitoring rule and blood-pressure calibration. :func:`simulate_session` runs it for a stated typical
patient and returns the time course and the monitoring logic:

* **Driver.** The effect-site S-ketamine concentration (PK engine effect compartment, t½ke0 6.1 min,
  Olofsen 2012). A racemic dose is simulated as its S half with the S-ketamine model (the same
  assumption as :mod:`ketacourse.pd.analgesia`).
* **Dissociation.** Linear in that concentration (Bowdle 1998: linear over 50-200 ng/mL racemic);
  reported as an index = Ce / threshold, where the threshold is the lower edge of the dissociation
  band written as S-ketamine (derived; ``[effects.dissociation]``). Index >= 1: dissociative.
  Acute tolerance is not modelled, so the model may outlast observed symptoms.
* **Blood pressure.** Systolic rise = slope × Ce, the slope calibrated so that the preset's
  calibration session reproduces its published mean peak rise (placebo-subtracted where the source
  has a placebo arm): :func:`bp_slope_mmhg_per_ng_ml`.
* **Monitoring and discharge.** The rule's blood-pressure checks and minimum observation time
  (``[monitoring]``). The model calls the patient *stable* from the first time after the effect peak
  at which dissociation is below threshold and systolic pressure below the label's 140 mmHg guide;
  the earliest discharge is the later of that time and the end of the rule's minimum observation.

Everything here is a model illustration for a stated typical adult, not dosing or monitoring advice.
Time in minutes from the start of dosing; concentrations in ng/mL; pressures in mmHg.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .. import pk
from ..data import load_table
from ..validation import check_choice, check_real

__all__ = ["session_names", "session_preset", "monitoring_rule", "effect_parameters", "finding", "regimen_for",
           "bp_slope_mmhg_per_ng_ml", "stability_and_discharge", "simulate_session", "SessionResult",
           "DEFAULT_TIMES_MIN"]

DEFAULT_TIMES_MIN = np.arange(0.0, 301.0, 1.0)
"""Default output grid: 0-300 min in 1-min steps."""

_WEIGHT_RANGE = (40.0, 150.0)
_SBP_RANGE = (90.0, 180.0)


def _table() -> dict[str, Any]:
    return load_table("safety")


def session_names() -> tuple[str, ...]:
    """Keys of the session presets, in table order."""
    return tuple(_table()["sessions"])


def session_preset(name: str) -> dict[str, Any]:
    """One preset (label, drug, route, dose, pk_model, s_fraction, monitoring, bp_calibration, source)."""
    check_choice("session", name, session_names())
    return dict(_table()["sessions"][name])


def monitoring_rule(name: str) -> dict[str, Any]:
    """A monitoring rule from ``[monitoring]`` (min_observation_min may be absent: not set)."""
    check_choice("monitoring rule", name, tuple(_table()["monitoring"]))
    return dict(_table()["monitoring"][name])


def effect_parameters() -> dict[str, Any]:
    """``[effects]``: the dissociation threshold (S-ketamine, ng/mL) and the BP limits (mmHg)."""
    return {k: dict(v) for k, v in _table()["effects"].items()}


def finding(finding_id: str) -> dict[str, Any]:
    """One entry of ``[[findings]]`` by id."""
    found = {f["id"]: f for f in _table()["findings"]}
    check_choice("finding id", finding_id, tuple(found))
    return dict(found[finding_id])


def regimen_for(preset: dict[str, Any], weight_kg: float, dose_scale: float = 1.0) -> tuple[pk.Regimen, float, float]:
    """The PK regimen of the S-ketamine the preset delivers.

    Returns ``(regimen, s_dose_mg, dose_end_min)``: the S-ketamine regimen (mg of base), the total
    S-ketamine dose (mg) and the time dosing ends (min; 0 for a single injection).
    """
    s = float(preset["s_fraction"])
    route = preset["route"]
    if "dose_mg_per_kg" in preset:
        total = preset["dose_mg_per_kg"] * weight_kg * dose_scale
    else:
        total = preset["dose_mg"] * dose_scale
    if route == "iv":
        dur = float(preset["duration_min"])
        return pk.infusion(dose_mg=s * total, duration_min=dur), s * total, dur
    if route == "intranasal":
        reg = pk.nasal_session(s * total, partial_last_device=True)
        return reg, s * total, max(e.time_min for e in reg)
    return pk.bolus(s * total, route=route), s * total, 0.0


@lru_cache(maxsize=64)
def _effect_curve(name: str, weight_kg: float, dose_scale: float, times: tuple[float, ...]):
    preset = session_preset(name)
    reg, s_dose, end = regimen_for(preset, weight_kg, dose_scale)
    r = pk.simulate(preset["pk_model"], reg, weight_kg, np.asarray(times), warn=False)
    return r, s_dose, end


@lru_cache(maxsize=16)
def bp_slope_mmhg_per_ng_ml(name: str) -> float:
    """Systolic rise per ng/mL of effect-site S-ketamine for a preset (derived, flag D).

    The preset's ``bp_calibration`` finding gives a published mean peak systolic rise; where the
    finding has a control arm, the control's rise is subtracted (drug-attributable rise). The slope
    is that rise divided by the peak effect-site concentration the model gives for the calibration
    session at 70 kg: the IV infusion for the Riva-Posse data, the 84 mg spray for Doherty 2020
    (the trials used 56 or 84 mg; the calibration at 84 mg is a course choice).
    """
    preset = session_preset(name)
    cal = finding(preset["bp_calibration"])
    rise = float(cal["sbp_rise_mmhg"]) - float(cal.get("control_sbp_rise_mmhg", 0.0))
    cal_session = "iv_racemic" if preset["bp_calibration"] == "rivaposse_iv_bp" else "nasal_esketamine_84"
    r, _s, _end = _effect_curve(cal_session, 70.0, 1.0, tuple(DEFAULT_TIMES_MIN))
    return rise / float(np.max(r.effect_ng_ml))


def stability_and_discharge(times_min, effect_ng_ml, sbp_mmhg, *, threshold_ng_ml: float, sbp_limit_mmhg: float,
                            dose_end_min: float, min_observation_min: float | None) -> dict[str, Any]:
    """The monitoring window logic.

    ``stable_min``: the first time at or after the effect-site peak when dissociation is below
    threshold and systolic pressure below the limit, and both stay so to the end of the grid
    (``nan`` if that never happens on the grid). ``observation_end_min``: end of dosing plus the
    rule's minimum observation (``None`` if the rule sets none). ``discharge_min``: the later of
    the two (the rule's minimum cannot be shortened by the model; the model can lengthen it).
    ``binding``: which criterion sets the discharge time.
    """
    t = np.asarray(times_min, dtype=float)
    ce = np.asarray(effect_ng_ml, dtype=float)
    sbp = np.asarray(sbp_mmhg, dtype=float)
    if not (t.shape == ce.shape == sbp.shape) or t.ndim != 1 or t.size < 2:
        raise ValueError("times_min, effect_ng_ml and sbp_mmhg must be 1-D arrays of the same length (>= 2)")
    ok = (ce < threshold_ng_ml) & (sbp < sbp_limit_mmhg) & (t >= t[int(np.argmax(ce))])
    # stays ok to the end: reverse cumulative AND
    stays = np.flip(np.logical_and.accumulate(np.flip(ok)))
    stable = float(t[np.argmax(stays)]) if stays.any() else float("nan")
    obs_end = None if min_observation_min is None else float(dose_end_min) + float(min_observation_min)
    floor = float(dose_end_min) if obs_end is None else obs_end
    if np.isnan(stable):
        discharge, binding = float("nan"), "not stable within the simulated window"
    elif obs_end is not None and obs_end >= stable:
        discharge, binding = obs_end, "rule's minimum observation"
    else:
        discharge, binding = max(stable, floor), "model stability"
    return {"stable_min": stable, "observation_end_min": obs_end, "discharge_min": discharge, "binding": binding}


@dataclass(frozen=True)
class SessionResult:
    """One simulated session (see the module docstring). Times in min from the start of dosing."""

    session: str
    label: str
    times_min: np.ndarray
    plasma_s_ng_ml: np.ndarray
    effect_s_ng_ml: np.ndarray
    metabolite_ng_ml: np.ndarray | None
    dissociation_index: np.ndarray
    sbp_rise_mmhg: np.ndarray
    sbp_mmhg: np.ndarray
    s_dose_mg: float
    dose_end_min: float
    peak_effect_min: float
    peak_sbp_rise_mmhg: float
    dissociative_from_min: float
    dissociative_until_min: float
    bp_checks_min: tuple[float, ...]
    predose_bp_ok: bool
    stable_min: float
    observation_end_min: float | None
    discharge_min: float
    binding: str
    weight_kg: float
    baseline_sbp_mmhg: float
    notes: list = field(default_factory=list)

    @property
    def dissociative_min(self) -> float:
        """Minutes with dissociation index >= 1 (0 if never)."""
        if np.isnan(self.dissociative_from_min):
            return 0.0
        return self.dissociative_until_min - self.dissociative_from_min

    def summary(self) -> dict[str, Any]:
        return {"session": self.session, "s_dose_mg": self.s_dose_mg, "peak_effect_min": self.peak_effect_min,
                "peak_effect_s_ng_ml": float(np.max(self.effect_s_ng_ml)),
                "peak_sbp_rise_mmhg": self.peak_sbp_rise_mmhg, "dissociative_min": self.dissociative_min,
                "stable_min": self.stable_min, "observation_end_min": self.observation_end_min,
                "discharge_min": self.discharge_min, "binding": self.binding}


def simulate_session(session: str = "iv_racemic", *, weight_kg: float = 70.0, baseline_sbp_mmhg: float = 120.0,
                     dose_scale: float = 1.0, times_min=None) -> SessionResult:
    """Simulate one treatment session for a typical adult (model illustration, not advice).

    Parameters
    ----------
    session : str
        A preset from :func:`session_names` (``"iv_racemic"``, ``"nasal_esketamine_56"``,
        ``"nasal_esketamine_84"``, ``"sc_racemic"``, ``"oral_racemic"``).
    weight_kg : float
        Body weight, 40-150 kg (scales per-kg doses and the PK model as its source does).
    baseline_sbp_mmhg : float
        Pre-dose systolic pressure, 90-180 mmHg (a setting for the typical patient).
    dose_scale : float
        Multiplier on the preset dose, 0.25-2 (for "what if" questions; nasal doses that are not
        whole devices are simulated as a part-filled last device, which does not exist).
    times_min : array_like, optional
        Output grid (min, strictly increasing from 0); default 0-300 min every minute.

    Raises
    ------
    ValueError
        Unknown session, or a weight, pressure or dose scale outside its range.
    """
    check_choice("session", session, session_names())
    w = float(check_real("weight_kg", weight_kg, low=_WEIGHT_RANGE[0], high=_WEIGHT_RANGE[1], unit="kg"))
    sbp0 = float(check_real("baseline_sbp_mmhg", baseline_sbp_mmhg, low=_SBP_RANGE[0], high=_SBP_RANGE[1],
                            unit="mmHg"))
    scale = float(check_real("dose_scale", dose_scale, low=0.25, high=2.0))
    t = DEFAULT_TIMES_MIN if times_min is None else np.asarray(times_min, dtype=float)
    if t.ndim != 1 or t.size < 2 or t[0] != 0 or np.any(np.diff(t) <= 0):
        raise ValueError("times_min must be a strictly increasing 1-D grid starting at 0 min")
    preset = session_preset(session)
    r, s_dose, end = _effect_curve(session, w, scale, tuple(t.tolist()))
    eff = effect_parameters()
    thr = float(eff["dissociation"]["threshold_s_ng_ml"])
    limit = float(eff["blood_pressure"]["sbp_limit_mmhg"])
    ce = r.effect_ng_ml
    rise = bp_slope_mmhg_per_ng_ml(session) * ce
    sbp = sbp0 + rise
    above = np.nonzero(ce >= thr)[0]
    d_from = float(t[above[0]]) if above.size else float("nan")
    d_until = float(t[above[-1]]) if above.size else float("nan")
    rule = monitoring_rule(preset["monitoring"])
    logic = stability_and_discharge(t, ce, sbp, threshold_ng_ml=thr, sbp_limit_mmhg=limit, dose_end_min=end,
                                    min_observation_min=rule.get("min_observation_min"))
    notes = [f"S-ketamine {s_dose:.1f} mg simulated with {preset['pk_model']} (racemic doses: S half only)"]
    if session.startswith("nasal") and abs(s_dose / 28.0 - round(s_dose / 28.0)) > 1e-6:
        notes.append("dose is not a whole number of 28 mg devices: the last device is part-filled (no such device)")
    return SessionResult(
        session=session, label=preset["label"], times_min=t, plasma_s_ng_ml=r.conc_ng_ml, effect_s_ng_ml=ce,
        metabolite_ng_ml=r.metabolite_ng_ml, dissociation_index=ce / thr, sbp_rise_mmhg=rise, sbp_mmhg=sbp,
        s_dose_mg=s_dose, dose_end_min=end, peak_effect_min=float(t[int(np.argmax(ce))]),
        peak_sbp_rise_mmhg=float(np.max(rise)), dissociative_from_min=d_from, dissociative_until_min=d_until,
        bp_checks_min=tuple(float(x) for x in rule.get("bp_checks_min", ())), predose_bp_ok=sbp0 <= limit,
        stable_min=logic["stable_min"], observation_end_min=logic["observation_end_min"],
        discharge_min=logic["discharge_min"], binding=logic["binding"], weight_kg=w, baseline_sbp_mmhg=sbp0,
        notes=notes)
