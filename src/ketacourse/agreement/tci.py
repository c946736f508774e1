"""Target-controlled infusion (:func:`ketacourse.pk.tci.tci`) against opentiva's pump.

A TCI schedule meets its targets by construction when it is simulated with the model that
computed it, so agreement with the targets validates nothing. The oracle here is an independent
TCI implementation, opentiva 1.1.2 (selby2023; ``scripts/opentiva_reference.py``), asked for the
same plasma targets (200 → 500 → 100 ng/mL, 30 min each, 70 kg) with the same three racemic
parameter sets. Two pumps that both hold the plasma concentration on target must infuse nearly
the same amount, whatever their update rules, so the cumulative doses are compared; the plasma
concentrations are compared where the targets are held and where the pump has stopped.
"""

from __future__ import annotations

import numpy as np

from ..data import load_table
from . import COLOURS, Report, Row, label_panel, new_figure

MODELS = ("domino1982", "clements1981", "hijazi2003")
TOL = 0.01  # 1 %: two pumps that both hold the target should agree this closely
SAG = {"domino1982": "opentiva recomputes its maintenance rate over blocks of 5 min and longer (its default), and "
                     "with Domino's fast redistribution the plasma concentration sags up to 6 % below the target "
                     "between recalculations, so it infuses less; the course's pump updates every 10 s"}


def _ours(key: str, ref: dict):
    from ..pk.tci import tci

    t = tci(key, ref["targets_ng_ml"], 30.0, 70.0, mode="plasma", interval_s=10.0, age_years=40.0)
    return t


def performance(measured, predicted) -> tuple[float, float]:
    """Median performance error and median absolute performance error (%), PE = (measured − predicted)/predicted."""
    pe = 100.0 * (np.asarray(measured, float) - np.asarray(predicted, float)) / np.asarray(predicted, float)
    return float(np.median(pe)), float(np.median(np.abs(pe)))


def _patient(key: str, res, t):
    from .. import pk

    return pk.simulate(key, res.regimen(), 70.0, t, age_years=40.0, warn=False).conc_ng_ml


def _dose_until(res, t_min: float) -> float:
    start = res.start_times_min
    return float(np.sum(res.rates_mg_per_min * np.clip(t_min - start, 0.0, res.interval_min)))


def report() -> Report:
    refs = load_table("reference_opentiva")["tci"]
    rows: list[Row] = []
    runs = {}
    for key in MODELS:
        ref = refs[key]
        res = _ours(key, ref)
        runs[key] = res
        times = np.asarray(ref["times_min"], float)
        sim = res.simulate(times)
        for tm, d_ref in zip(ref["dose_times_min"], ref["cumulative_dose_mg"]):
            rows.append(Row(f"{key}: amount infused by {tm:g} min", d_ref, _dose_until(res, tm), TOL, "selby2023",
                            unit="mg", expected="miss" if key in SAG else "match", reason=SAG.get(key, "")))
        held = [i for i, tm in enumerate(times) if tm < 60]
        off = [i for i, tm in enumerate(times) if tm > 60]
        ref_c = np.asarray(ref["plasma"], float)
        rel = np.abs(sim.conc_ng_ml - ref_c) / ref_c
        i = max(held, key=lambda j: rel[j])
        rows.append(Row(f"{key}: plasma while a target is held, worst of {len(held)} times (t = {times[i]:g} min)",
                        ref_c[i], float(sim.conc_ng_ml[i]), TOL, "selby2023", unit="ng/mL",
                        expected="miss" if key in SAG else "match", reason=SAG.get(key, "")))
        j = max(off, key=lambda j: rel[j])
        rows.append(Row(f"{key}: plasma after the target falls to 100, worst of {len(off)} times (t = {times[j]:g} min)",
                        ref_c[j], float(sim.conc_ng_ml[j]), TOL, "selby2023", unit="ng/mL",
                        expected="miss" if key in SAG else "match",
                        reason="the decay after the pump stops carries the difference in amount infused" if key in SAG
                        else ""))

    # Misspecification: the schedule of one set given to a patient described by another (Varvel's measures)
    mis = {}
    for name, ref in load_table("reference_opentiva")["misspecified"].items():
        pump_key, patient_key = name.split("_in_")
        t = np.asarray(ref["times_min"], float)
        res = runs[pump_key]
        pred = res.simulate(t).conc_ng_ml
        meas = _patient(patient_key, res, t)
        ours, theirs = performance(meas, pred), performance(np.asarray(ref["measured"]), np.asarray(ref["predicted"]))
        mis[name] = (ours, theirs)
        for i, label in enumerate(("median performance error MDPE", "median absolute performance error MDAPE")):
            rows.append(Row(f"{pump_key} schedule in a {patient_key} patient: {label}, 2-90 min", theirs[i], ours[i],
                            3.0, "selby2023", unit="%", relative=False))

    def figure():
        fig, axes = new_figure(7.6, 3.4, ncols=2)
        key = "domino1982"
        ref, res = refs[key], runs[key]
        tf = np.arange(0, 90.01, 0.25)
        axes[0].plot(tf, res.simulate(tf).conc_ng_ml, color=COLOURS["model"], label="ketacourse tci (10-s updates)")
        axes[0].plot(ref["times_min"], ref["plasma"], "o", mfc="none", color=COLOURS["reference"], label="opentiva pump")
        axes[0].step([0, 30, 60, 90], list(ref["targets_ng_ml"]) + [ref["targets_ng_ml"][-1]], where="post",
                     color=COLOURS["grey"], ls="--", lw=1.2, label="target")
        label_panel(axes[0], "Domino set: plasma (ng/mL)", "time (min)", legend=dict(loc="lower center", fontsize=7.5))
        for k, col in zip(MODELS, (COLOURS["model"], COLOURS["other"], COLOURS["extra"])):
            r = runs[k]
            axes[1].plot(np.append(r.start_times_min, 90.0), np.append(0.0, r.cumulative_dose_mg()), color=col, label=k)
            axes[1].plot(refs[k]["dose_times_min"], refs[k]["cumulative_dose_mg"], "o", mfc="none",
                         color=COLOURS["reference"], label="opentiva" if k == MODELS[0] else None)
        label_panel(axes[1], "amount infused (mg), 70 kg", "time (min)", legend=dict(loc="lower right"))
        return fig

    doses = [(r.quantity.split(":")[0], abs(r.difference)) for r in rows if "amount" in r.quantity]
    text = (f"For the Clements and Hijazi sets the course's pump and opentiva's infuse the same amounts (within "
            f"{100 * max(d for k, d in doses if k != 'domino1982'):.2f} %) and hold the same concentrations. For the "
            f"Domino set they differ by up to {100 * max(d for k, d in doses if k == 'domino1982'):.1f} % (shown as misses), "
            f"and the reason is in the update rules: the course "
            f"recomputes the rate every 10 s and holds the target, while opentiva recomputes its maintenance "
            f"infusion over blocks of 5 min and longer (its default), so its concentration sags by up to about 6 % "
            f"(Domino, which redistributes fastest) before each new block, and infuses up to about 4 % less. When the "
            f"target falls, both pumps stop; the decays then differ by what was infused before (3 % for Domino, "
            f"under 0.1 % for the others). Given to a patient described by another set, the schedules fail the same "
            f"way in both programs: the Domino schedule in a Clements patient runs low (median performance error "
            f"{mis['domino1982_in_clements1981'][0][0]:.0f} %; opentiva {mis['domino1982_in_clements1981'][1][0]:.0f} %), and the Clements "
            f"schedule in a Domino patient is unbiased in the median but off by a median "
            f"{mis['clements1981_in_domino1982'][0][1]:.0f} % at each time (opentiva {mis['clements1981_in_domino1982'][1][1]:.0f} %). What this does not show: whether any of these sets predicts a patient's "
            f"measured concentration (see the intravenous section).")
    return Report(
        key="tci", title="Target-controlled infusion", model="ketacourse.pk.tci.tci",
        reference="opentiva 1.1.2 pump (selby2023), plasma targeting, same parameter sets",
        kinds=("implementation",), rows=rows, text=text, figure=figure,
        alt=("Top: plasma ketamine over 90 minutes for the Domino set with targets of 200, 500 and 100 ng/mL; the "
             "course's curve sits on the dashed target steps and opentiva's open circles lie on or slightly below "
             "it, then both decay together after the target drops. Bottom: the cumulative amount infused by the "
             "course's pump for three parameter sets rises in steps, with opentiva's amounts as circles on the lines."),
        order=20, chapter="04-ketamine-and-pain")
