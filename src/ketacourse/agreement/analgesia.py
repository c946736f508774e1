"""Analgesia PK–PD (:mod:`ketacourse.pd.analgesia`) against Dahan 2011, Olofsen 2012 and closed forms.

The two models are built from abstracts: the slow CRPS model (dahan2011: C50, onset/offset
half-time, response probabilities) and the minute-scale S-ketamine/S-norketamine model (olofsen2012:
one reference point per term). The exact PD equations were not published in what was seen, so the
course's forms are assumptions (flag D in ``analgesia.toml``). What can be checked: the published
numbers are reproduced where they enter (by construction), the biophase behaves with the published
half-time (a consequence of the structure), and the effect-site solver agrees with its closed form
and with the package's other effect-site solver. No published pain-score time course is reproduced.
"""

from __future__ import annotations

import math

import numpy as np

from . import COLOURS, Report, Row, label_panel, new_figure


def report() -> Report:
    from .. import pk
    from ..pd import analgesia as an
    from ..pd import effect_site_concentration

    par = an.parameters()
    d, o = par["dahan2011"], par["olofsen2012"]
    rows: list[Row] = []
    # closed form: constant plasma concentration
    t = np.linspace(0, 60, 241)
    k = math.log(2) / o["t_half_ke0_pain_min"]
    ce = an.effect_site(t, np.full_like(t, 100.0), k)
    rows.append(Row("effect site for a constant 100 ng/mL at 11.8 min (one half-time) vs 100(1 − e^(−kt)) = 50",
                    50.0, float(np.interp(o["t_half_ke0_pain_min"], t, ce)), 1e-3, "analytic", unit="ng/mL"))
    tt = np.linspace(0, 240, 961)
    cp = 100.0 * np.exp(-0.01 * tt) * (1 - np.exp(-0.2 * tt))
    a, b = an.effect_site(tt, cp, k), effect_site_concentration(tt, cp, k)
    i = int(np.argmax(np.abs(a - b)))
    rows.append(Row("same solver vs ketacourse.pd.effect_site_concentration on a rise-and-fall curve (worst point)",
                    float(b[i]), float(a[i]), 1e-9, "analytic", unit="ng/mL"))
    f = o["model_form"]
    rows.append(Row("Olofsen: S-ketamine term at Ce 100 ng/mL (reference point: by construction)", o["ketamine_effect_cm"],
                    f["slope_ketamine_cm_per_ng_ml"] * o["ketamine_ce_ref_ng_ml"], 1e-9, "olofsen2012", unit="cm",
                    relative=False))
    rows.append(Row("Olofsen: S-norketamine term at Ce 50 ng/mL (by construction)", o["norketamine_effect_cm"],
                    f["slope_norketamine_cm_per_ng_ml"] * o["norketamine_ce_ref_ng_ml"], 1e-9, "olofsen2012", unit="cm",
                    relative=False))
    reg, s_frac = an.preset_regimen("dahan2011_100h")
    res = an.crps_relief(reg, days=70.0, s_fraction=s_frac)
    td, bio = res["t_days"], res["biophase_ng_ml"]
    sel = (td >= 20) & (td <= 40)
    slope = np.polyfit(td[sel], np.log(bio[sel]), 1)[0]
    rows.append(Row("CRPS model: biophase half-time after the infusion (log-linear fit, days 20-40)",
                    d["t_half_onset_offset_days"], -math.log(2) / slope, 0.01, "dahan2011", unit="days"))
    j = int(np.argmin(np.abs(bio - d["c50_ng_ml"])))
    rows.append(Row("CRPS model: responder relief where the biophase is at C50 (by construction: 0.5)", 0.5,
                    float(res["responder_relief"][j]), 0.01, "dahan2011", relative=False))
    acute = an.acute_pain_effect(pk.infusion(rate_mg_per_min=o["infusion_mg_per_h"] / 60.0, duration_min=120.0), 70.0,
                                 np.arange(0, 361.0, 1.0))

    def figure():
        fig, axes = new_figure(7.6, 3.4, ncols=2)
        ax = axes[0]
        ax.plot(td, bio, color=COLOURS["model"], label="biophase S-ketamine (ng/mL)")
        ax.axhline(d["c50_ng_ml"], color=COLOURS["reference"], ls=":", label="published C50 10.5 ng/mL")
        ax2 = ax.twinx()
        ax2.plot(td, 100 * res["expected_relief"], color=COLOURS["extra"], ls="--", label="expected relief (% of max)")
        ax2.set_ylim(0, 100)
        ax.set_ylim(0, None)
        ax2.spines["top"].set_visible(False)
        ax.set_xlabel("days from the start of the 100-h infusion")
        ax.set_ylabel("ng/mL")
        ax2.set_ylabel("% of maximal relief")
        ax.set_title("CRPS model (Dahan 2011 structure)")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper right", fontsize=7.5)
        ax = axes[1]
        tm = acute["t_min"] / 60
        ax.plot(tm, acute["vas_ketamine_cm"], color=COLOURS["model"], label="S-ketamine term")
        ax.plot(tm, acute["vas_norketamine_cm"], color=COLOURS["other"], label="S-norketamine term")
        ax.plot(tm, acute["vas_net_cm"], color=COLOURS["reference"], lw=1.2, label="net")
        ax.axhline(0, color="k", lw=0.6)
        label_panel(ax, "acute model (Olofsen 2012 structure)", "hours (20 mg/h for 2 h, 70 kg)",
                    "change in VAS pain (cm)", legend=dict(loc="lower right"))
        return fig

    text = ("Everything that can be checked agrees: the effect-site solver matches its closed form and the package's "
            "other effect-site solver, the biophase decays with the published 10.9-day half-time once the drug has "
            "left plasma, and the published C50 and Olofsen reference points are reproduced (by construction). That "
            "is all: the PD equations themselves (Emax form, steepness, how the responder mixture enters) were not "
            "in the abstracts and are the course's assumptions, and no published pain-score time course is "
            "reproduced, so neither model is validated against patients. The CRPS model was fitted to CRPS patients "
            "on a 100-h S-ketamine infusion; for racemic regimens the course simulates only the S-enantiomer as half "
            "the dose, leaving out R-ketamine and R-norketamine; and the acute model was "
            "fitted to 2-h infusions in healthy men.")
    return Report(
        key="analgesia", title="Analgesia PK–PD", model="ketacourse.pd.analgesia (crps_relief, acute_pain_effect)",
        reference="Dahan 2011 (dahan2011) and Olofsen 2012 (olofsen2012) abstracts; closed forms",
        kinds=("published-model", "analytic"), rows=rows, text=text, figure=figure,
        alt=("Top: over 70 days, the biophase S-ketamine concentration rises during the 100-hour infusion above the "
             "dotted C50 line and then decays slowly with a half-time of about 11 days, and the dashed expected relief "
             "follows it. Bottom: over 6 hours, the S-ketamine term lowers the pain score during a 2-hour infusion, the "
             "S-norketamine term raises it later, and the net change is smaller."),
        order=70, chapter="04-ketamine-and-pain")
