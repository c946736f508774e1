"""Intravenous PK (:func:`ketacourse.pk.simulate`) against opentiva and against Kamp 2020's pooled estimates.

Oracle 1 (independent implementation): opentiva 1.1.2 (selby2023), run by
``scripts/opentiva_reference.py`` and stored in ``data/reference_opentiva.toml``: a 2 mg/kg dose
injected over 1 min and 0.5 mg/kg infused over 40 min in a 70 kg adult, plasma and effect site
(with opentiva's own ke0) at 14 times up to 4 h, for the three racemic sets the course shares
with it (Domino, Clements, Hijazi). This checks the solver and the transcription of the
parameters, not whether the parameter sets describe patients.

Oracle 2 (published data): the pooled clearance and volume of Kamp 2020 (kamp2020, 95 % CI), and
the end-of-infusion concentration the depression trials report for 0.5 mg/kg over 40 min (zanos2018).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..data import load_table
from . import COLOURS, Report, Row, label_panel, new_figure

MODELS = ("domino1982", "clements1981", "hijazi2003")
SCENARIOS = {
    "bolus_2mgkg_1min": ("2 mg/kg over 1 min", dict(dose_mg_per_kg=2.0, duration_min=1.0)),
    "infusion_05mgkg_40min": ("0.5 mg/kg over 40 min", dict(dose_mg_per_kg=0.5, duration_min=40.0)),
}
KAMP_CL = (69.0, 90.0)   # L/h/70 kg, 95 % CI (kamp2020)
KAMP_VSS = (200.0, 304.0)  # L/70 kg, 95 % CI (kamp2020)
LABEL_T_HALF_H = 2.5  # parnd: elimination (beta) half-life of racemic ketamine
T_HALF_MISS = {
    "hijazi2003": "ICU patients with brain or spinal injury: its own abstract gives 4.9 h, which the set reproduces",
    "sherwin2015": "a paediatric model scaled to a 70 kg adult, outside its population",
}
ZANOS_BAND = (150.0, 250.0)  # ng/mL at the end of 0.5 mg/kg over 40 min (zanos2018 Table 1, 185 ng/mL)

CL_MISS = {
    "domino1982": "the 1982 TCI set (era, assay, sampling not recorded) clears faster than the studies Kamp pooled",
    "hijazi2003": "critically ill patients with brain or spinal injury: clearance above healthy values, as the abstract says",
}
VSS_MISS = {"domino1982": "193 L, just below the CI (same reason as its clearance)"}


def _simulate(key, scenario, times, ke0=None):
    from .. import pk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.ModelValidityWarning)
        return pk.simulate(key, pk.infusion(**SCENARIOS[scenario][1]), 70.0, times, age_years=40.0, ke0_per_min=ke0)


def curves() -> dict:
    """Model and opentiva concentrations for every model, scenario and site (ng/mL)."""
    ref = load_table("reference_opentiva")
    t = np.asarray(ref["meta"]["times_min"], float)
    out = {}
    for key in MODELS:
        r = ref["iv"][key]
        for sc in SCENARIOS:
            res = _simulate(key, sc, t, ke0=r["ke0_per_min"])
            out[key, sc, "plasma"] = (np.asarray(r[f"{sc}_plasma"]), res.conc_ng_ml)
            out[key, sc, "effect"] = (np.asarray(r[f"{sc}_effect"]), res.effect_ng_ml)
    return {"t": t, "pairs": out}


def report() -> Report:
    from .. import pk

    c = curves()
    t = c["t"]
    rows: list[Row] = []
    worst = {}
    late = t >= 20.0
    for key in MODELS:
        for site, mask, tol, label in (("plasma", np.ones_like(late), 1e-3, "plasma, all 14 times"),
                                       ("effect", late, 1e-3, "effect site, times from 20 min")):
            best = (-1.0, None)
            for sc in SCENARIOS:
                ref_c, mod_c = c["pairs"][key, sc, site]
                rel = np.where(mask, np.abs(mod_c - ref_c) / ref_c, 0.0)
                i = int(np.argmax(rel))
                if rel[i] > best[0]:
                    best = (float(rel[i]), (sc, i, float(ref_c[i]), float(mod_c[i])))
            sc, i, rv, mv = best[1]
            worst[key, site] = best[0]
            rows.append(Row(f"{key}, {label}, both regimens: worst ({SCENARIOS[sc][0]}, t = {t[i]:g} min)", rv, mv, tol,
                            "selby2023", unit="ng/mL"))
        ref_c, mod_c = c["pairs"][key, "bolus_2mgkg_1min", "effect"]
        rows.append(Row(f"{key}, effect site 0.5 min into 2 mg/kg over 1 min", float(ref_c[0]), float(mod_c[0]), 1e-3,
                        "selby2023", unit="ng/mL", expected="miss",
                        reason="opentiva's effect-site step for a RISING plasma curve drops the slope term (its update "
                               "reduces to Cp(t−1 s)·(1 − e^(−ke0·1 s))), a 1-s lag that matters only while Cp climbs "
                               "steeply; the course solves the effect site exactly"))
    for key in MODELS + ("sherwin2015",):
        m = pk.get_model(key)
        cl, vss = m.clearance_l_per_h(70), m.vss_l(70)
        mid, half = (KAMP_CL[0] + KAMP_CL[1]) / 2, (KAMP_CL[1] - KAMP_CL[0]) / 2
        rows.append(Row(f"{key}: clearance inside Kamp's 95 % CI 69–90 (shown: CI midpoint)", mid, cl, half, "kamp2020",
                        unit="L/h", relative=False, expected="miss" if key in CL_MISS else "match",
                        reason=CL_MISS.get(key, "")))
        mid, half = (KAMP_VSS[0] + KAMP_VSS[1]) / 2, (KAMP_VSS[1] - KAMP_VSS[0]) / 2
        rows.append(Row(f"{key}: Vss inside Kamp's 95 % CI 200–304 (shown: CI midpoint)", mid, vss, half, "kamp2020",
                        unit="L", relative=False, expected="miss" if key in VSS_MISS else "match",
                        reason=VSS_MISS.get(key, "")))
        t_half = pk.terminal_half_life_min(m, 70.0) / 60.0
        rows.append(Row(f"{key}: terminal half-life vs the label's 2.5 h", LABEL_T_HALF_H, t_half, 0.25, "parnd",
                        unit="h", expected="miss" if key in T_HALF_MISS else "match", reason=T_HALF_MISS.get(key, "")))
        if key == "hijazi2003":
            rows.append(Row("hijazi2003: terminal half-life vs its own abstract", 4.9, t_half, 0.05, "hijazi2003", unit="h"))
        r = _simulate(key, "infusion_05mgkg_40min", np.array([0.0, 40.0]))
        mid, half = (ZANOS_BAND[0] + ZANOS_BAND[1]) / 2, (ZANOS_BAND[1] - ZANOS_BAND[0]) / 2
        rows.append(Row(f"{key}: end of 0.5 mg/kg over 40 min inside 150–250 ng/mL (shown: midpoint)", mid,
                        float(r.conc_ng_ml[1]), half, "zanos2018", unit="ng/mL", relative=False,
                        expected="miss" if key == "sherwin2015" else "match",
                        reason="a paediatric model (small central volume) scaled to a 70 kg adult, outside its "
                               "population (the simulation warns)" if key == "sherwin2015" else ""))

    def figure():
        fig, axes = new_figure(7.6, 3.4, ncols=2)
        tf = np.linspace(0, 240, 481)
        ref = load_table("reference_opentiva")
        for ax, sc in zip(axes, SCENARIOS):
            for key, col in zip(MODELS, (COLOURS["model"], COLOURS["other"], COLOURS["extra"])):
                res = _simulate(key, sc, tf, ke0=ref["iv"][key]["ke0_per_min"])
                ax.plot(tf, res.conc_ng_ml, color=col, label=f"{key} (ketacourse)")
                ax.plot(t, c["pairs"][key, sc, "plasma"][0], "o", mfc="none", color=COLOURS["reference"], ms=5,
                        label="opentiva" if key == MODELS[0] else None)
            ax.set_yscale("log")
            label_panel(ax, SCENARIOS[sc][0] + ", 70 kg", "time (min)")
        axes[0].set_ylabel("plasma ketamine (ng/mL, log)")
        axes[0].legend(loc="upper right")
        return fig

    plasma_worst = max(v for (k, site), v in worst.items() if site == "plasma")
    effect_worst = max(v for (k, site), v in worst.items() if site == "effect")
    text = (f"Against opentiva, an independent open TCI simulator, the plasma concentrations of the three shared "
            f"racemic sets agree to a relative difference of {plasma_worst:.0e} at worst over 14 times and two "
            f"regimens, and the effect-site concentrations (same ke0) to {100 * effect_worst:.2g} % from 20 min on. Early on, while "
            f"plasma is rising, opentiva's effect site is 1-3 % lower in the first minute (fading to under 0.1 % by "
            f"10 min): its 1-s update for a rising plasma curve "
            f"omits the slope term (a slip in opentiva, documented as a miss; the course solves the effect site "
            f"exactly). This checks the solver and the "
            f"transcription, not the models. Against published data, Clements and Sherwin clearances and volumes lie "
            f"inside Kamp 2020's pooled 95 % intervals; Domino (a 1982 TCI set) and Hijazi (ICU patients) clear "
            f"faster than the pooled studies, and Domino's volume is just below the interval. The paediatric "
            f"Sherwin model scaled to an adult over-predicts the trial concentrations at the end of the "
            f"antidepressant infusion. Against the label's 2.5-h elimination half-life, Domino and Clements lie within "
            f"25 %; Hijazi (4.9 h, as its own abstract says) and Sherwin do not. opentiva itself flags Hijazi as valid only to 18 years, but Hijazi 2003 "
            f"studied adults: a metadata slip in opentiva, not used here.")
    return Report(
        key="pk_iv", title="Intravenous pharmacokinetics", model="ketacourse.pk.simulate",
        reference="opentiva 1.1.2 (selby2023) for the solver; Kamp 2020 (kamp2020) and Zanos 2018 (zanos2018) for the models",
        kinds=("implementation", "data"), rows=rows, text=text, figure=figure,
        alt=("Two stacked log-scale panels of plasma ketamine over 4 hours in a 70 kg adult, the top one after 2 mg/kg over 1 minute, "
             "the bottom one during and after 0.5 mg/kg over 40 minutes: lines for the Domino, Clements and Hijazi sets "
             "computed by the course pass through open circles computed by opentiva at 14 times."),
        order=10, chapter="02-pharmacokinetics")
