"""NMDA channel block and its voltage dependence (:mod:`ketacourse.channel`) against its sources and closed forms.

Published points: Gilling 2009's IC50 at −70 mV (gilling2009; the anchor of the voltage
dependence, so reproduced by construction), MacDonald 1991's range of Kd = koff/kon
(macdonald1991), and the fraction of block still trapped after 120 s of washout (mealing1999,
the course's one-point fit; gilling2009 found full trapping: the two sources disagree). Closed
forms: Woodhull's voltage dependence, the Jahr–Stevens Mg²⁺ block, the steady state of perfect
trapping, and the kinetic scheme integrated independently with ``scipy.integrate.solve_ivp``.
"""

from __future__ import annotations

import math

import numpy as np

from ..data import load_table
from . import COLOURS, Report, Row, label_panel, new_figure


def _kinetic_reference(m, t_end_s: float, agonist: bool, p0):
    """The four-state scheme written out from its rates and integrated with solve_ivp (Radau)."""
    from scipy.integrate import solve_ivp

    a = m.alpha_per_s if agonist else 0.0
    b, on, off, esc = m.beta_per_s, m.kon_per_um_s * m.ketamine_um, m.koff_per_s, m.escape_per_s

    def rhs(_t, p):
        c, o, ob, tr = p
        return [-a * c + b * o + esc * tr,
                a * c - b * o - on * o + off * ob,
                on * o - off * ob - b * ob + a * tr,
                b * ob - a * tr - esc * tr]

    sol = solve_ivp(rhs, (0.0, t_end_s), p0, method="Radau", rtol=1e-10, atol=1e-12, dense_output=True)
    return sol


def report() -> Report:
    from ..channel import (
        TrappingBlockModel,
        apparent_ketamine_ic50_um,
        ketamine_ic50_um,
        mg_unblocked_fraction,
        rt_over_f_mv,
    )

    tab = load_table("channel")
    kv, mgp = tab["ketamine_voltage"], tab["mg_block"]
    rows: list[Row] = []
    rows.append(Row("ketamine IC50 at −70 mV, human GluN1/GluN2A (anchor: reproduced by construction)", kv["ic50_um_at_ref"],
                    float(ketamine_ic50_um(-70.0)), 1e-9, "gilling2009", unit="µM"))
    woodhull = kv["ic50_um_at_ref"] * math.exp(kv["valence"] * kv["delta"] * (-30.0 + 70.0) / rt_over_f_mv())
    rows.append(Row("IC50 at −30 mV vs Woodhull, δ = 0.79 written out", woodhull, float(ketamine_ic50_um(-30.0)), 1e-12,
                    "gilling2009", unit="µM"))
    js = 1.0 / (1.0 + math.exp(-mgp["slope_per_mv"] * -60.0) * 1.0 / mgp["k_mg_mm"])
    rows.append(Row("Mg²⁺ block: unblocked fraction at −60 mV, 1 mM vs Jahr–Stevens", js,
                    float(mg_unblocked_fraction(-60.0, 1.0)), 1e-12, "jahr1990"))
    rows.append(Row("apparent IC50 in 1 mM Mg²⁺ at −70 mV vs one-site competition K_K(1 + [Mg]/K_Mg)",
                    float(ketamine_ic50_um(-70.0)) * (1 + math.exp(mgp["slope_per_mv"] * 70.0) / mgp["k_mg_mm"]),
                    float(apparent_ketamine_ic50_um(-70.0, 1.0)), 1e-12, "analytic", unit="µM"))
    kb = tab["ketamine_block"]
    m70 = TrappingBlockModel(1.0, voltage_mv=-70.0)
    lo = kb["koff_per_s"] / kb["kon_range_per_um_s"][1]
    hi = kb["koff_per_s"] / kb["kon_range_per_um_s"][0]
    rows.append(Row(f"Kd = koff/kon inside MacDonald's range {lo:.2f}–{hi:.1f} µM (shown: midpoint)", (lo + hi) / 2,
                    m70.kd_um, (hi - lo) / 2, "macdonald1991", unit="µM", relative=False))
    # kinetics: 1 µM ketamine at -70 mV, agonist on for 60 s
    perfect = TrappingBlockModel(1.0, voltage_mv=-70.0, escape_per_s=0.0)
    ss = 1.0 / (1.0 + perfect.kd_um)
    p_on = perfect.simulate([0.0, 3_600_000.0])
    rows.append(Row("perfect trapping, agonist on: blocked fraction after 1 h vs [K]/([K] + Kd)", ss,
                    float(p_on[-1, 2] + p_on[-1, 3]), 1e-6, "analytic"))
    sol = _kinetic_reference(m70, 60.0, True, [1.0, 0.0, 0.0, 0.0])
    t_ms = np.linspace(0, 60_000.0, 241)
    ours = m70.simulate(t_ms)
    ref = sol.sol(t_ms / 1000.0).T
    err = np.abs((ours[:, 2] + ours[:, 3]) - (ref[:, 2] + ref[:, 3]))
    i = int(np.argmax(err))
    rows.append(Row(f"kinetic scheme, 60 s of agonist: blocked fraction vs solve_ivp, worst of 241 times (t = "
                    f"{t_ms[i] / 1000:g} s)", float(ref[i, 2] + ref[i, 3]), float(ours[i, 2] + ours[i, 3]), 1e-7,
                    "analytic", relative=False))
    wash = TrappingBlockModel(0.0)
    left = float(wash.simulate([0.0, 120_000.0], agonist=False, p0=[0, 0, 0, 1])[-1, 3])
    rows.append(Row("block remaining trapped after 120 s of washout (Mealing; course's one-point fit)",
                    tab["trapping"]["fraction_trapped_after_120_s"], left, 0.01, "mealing1999", relative=False))
    rows.append(Row("same, against Gilling's 'fully trapped' (1.0)", 1.0, left, 0.02, "gilling2009", relative=False,
                    expected="miss", reason="the sources disagree: Mealing (rat cortical neurons) measured 86 % after "
                                            "120 s, Gilling (human GluN1/GluN2A) full trapping; the default follows "
                                            "Mealing, escape_per_s=0 gives Gilling"))

    def figure():
        fig, axes = new_figure(7.6, 3.4, ncols=2)
        v = np.linspace(-100, 0, 201)
        ax = axes[0]
        ax.semilogy(v, ketamine_ic50_um(v), color=COLOURS["model"], label="ketamine IC50, no Mg²⁺ (Woodhull)")
        ax.semilogy(v, apparent_ketamine_ic50_um(v, 1.0), color=COLOURS["other"], ls="--", label="apparent IC50, 1 mM Mg²⁺")
        ax.plot([-70], [kv["ic50_um_at_ref"]], "D", color=COLOURS["reference"], label="Gilling 2009, −70 mV")
        ax.axhspan(lo, hi, color=COLOURS["band"], alpha=0.25, label="MacDonald 1991 Kd range")
        ax.set_xlabel("membrane voltage (mV)")
        ax.set_ylabel("µM (log)")
        ax.set_ylim(0.1, 100)
        ax.set_title("voltage dependence of block")
        ax.legend(loc="lower right", fontsize=7.5)
        ax = axes[1]
        ax.plot(t_ms / 1000, ours[:, 2] + ours[:, 3], color=COLOURS["model"], label="ketacourse (eigen-solution)")
        ax.plot(t_ms[::12] / 1000, ref[::12, 2] + ref[::12, 3], "o", mfc="none", color=COLOURS["reference"], label="solve_ivp")
        ax.axhline(m70.steady_state_blocked(), color=COLOURS["grey"], ls=":", label="closed-form steady state")
        label_panel(ax, "1 µM ketamine at −70 mV", "time with agonist (s)", "fraction of channels blocked",
                    legend=dict(loc="lower right"))
        return fig

    text = ("Every closed form agrees to round-off, and the kinetic trapping scheme agrees with an independent "
            "numerical integration to 1e-7. The published points are few: the −70 mV IC50 is the anchor of the "
            "voltage dependence (reproduced by construction, so it validates nothing); the Kd is inside MacDonald's "
            "range, which spans a factor of ten; the 86 % trapped after 120 s is the course's one-point fit to "
            "Mealing. The failure shown: Gilling found ketamine fully trapped, so the default leaky trapping "
            "disagrees with one of the two sources by 14 points. Not validated: the IC50 at other voltages (only δ "
            "is published; the recording temperature is assumed), and the time scale of use-dependent block, "
            "whose opening rate comes from a multi-channel open probability (Orser 1997) and is illustrative.")
    return Report(
        key="channel", title="Channel block and voltage dependence", model="ketacourse.channel",
        reference="Gilling 2009, MacDonald 1991, Mealing 1999; Woodhull and Jahr–Stevens forms; solve_ivp",
        kinds=("data", "analytic"), rows=rows, text=text, figure=figure,
        alt=("Top: ketamine's IC50 on a log axis rises from about 0.3 to 6 µM as the membrane depolarises from −100 "
             "to 0 mV, with a diamond for Gilling's 0.71 µM at −70 mV on the line, a dashed line higher at negative "
             "voltages for 1 mM magnesium, and a shaded band for MacDonald's Kd range. Bottom: the fraction of "
             "channels blocked by 1 µM ketamine rises over 60 s of agonist; open circles from solve_ivp lie on the line."),
        order=40, chapter="01-nmda-receptor")
