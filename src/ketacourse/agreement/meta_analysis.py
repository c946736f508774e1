"""Meta-analysis engine (:func:`ketacourse.evidence.meta_analyse`) against metafor, Colditz 1994 and the DL formulas.

References: the 13 BCG vaccine trials (colditz1994, metafor's ``dat.bcg``); R's metafor
``rma(method="DL")`` output, which metafor's own tests check against Stata's ``metan``
(viechtbauer2010), printed to 4 decimals; Colditz's published random-effects risk ratio; and the
DerSimonian–Laird estimator written out from its formulas (dersimonian1986) below, independent of
statsmodels, on which the engine is built.
"""

from __future__ import annotations

import math

import numpy as np

from ..data import load_table
from . import COLOURS, Report, Row, label_panel, new_figure

MEASURES = ("rr", "or", "rd")


def _effects(measure: str):
    from ..evidence import binary_effect

    t = load_table("reference_meta_bcg")["trials"]
    return [binary_effect(measure, a, a + b, c, c + d, label=f"trial {i + 1}")
            for i, (a, b, c, d) in enumerate(zip(t["tpos"], t["tneg"], t["cpos"], t["cneg"]))]


def dersimonian_laird(y, v, z: float = 1.959963984540054) -> dict[str, float]:
    """DerSimonian–Laird random-effects pooling written from the formulas (dersimonian1986).

    w = 1/v; Q = Σw(y − ȳ_w)²; τ² = max(0, (Q − (k−1)) / (Σw − Σw²/Σw)); w* = 1/(v + τ²);
    estimate = Σw*y/Σw*, se = 1/√Σw*; I² = max(0, (Q − (k−1))/Q).
    """
    y, v = np.asarray(y, float), np.asarray(v, float)
    w = 1 / v
    fe = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fe) ** 2))
    df = len(y) - 1
    tau2 = max(0.0, (q - df) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    ws = 1 / (v + tau2)
    est = float(np.sum(ws * y) / np.sum(ws))
    se = float(1 / math.sqrt(np.sum(ws)))
    return {"estimate": est, "ci_low": est - z * se, "ci_high": est + z * se, "tau2": float(tau2),
            "i2": max(0.0, (q - df) / q) if q > 0 else 0.0, "q": q}


def report() -> Report:
    from ..evidence import meta_analyse

    ref = load_table("reference_meta_bcg")
    rows: list[Row] = []
    results = {}
    for m in MEASURES:
        eff = _effects(m)
        res = meta_analyse(eff)
        results[m] = (eff, res)
        mf = ref["metafor"][m]
        unit = "log " + m.upper() if m != "rd" else "RD"
        for name, attr in (("pooled estimate", "estimate"), ("95 % CI lower", "ci_low"), ("95 % CI upper", "ci_high"),
                           ("τ²", "tau2")):
            rows.append(Row(f"{m.upper()}: {name} vs metafor", mf[attr], getattr(res, attr), 5e-4, "viechtbauer2010",
                            unit="" if name == "τ²" else unit, relative=False))
        rows.append(Row(f"{m.upper()}: I² vs metafor", mf["i2_percent"], 100 * res.i2, 5e-3, "viechtbauer2010",
                        unit="%", relative=False))
        dl = dersimonian_laird([e.estimate for e in eff], [e.variance for e in eff])
        rows.append(Row(f"{m.upper()}: pooled estimate vs DL formulas", dl["estimate"], res.estimate, 1e-9,
                        "dersimonian1986", unit=unit, relative=False))
        rows.append(Row(f"{m.upper()}: τ² vs DL formulas", dl["tau2"], res.tau2, 1e-9, "dersimonian1986",
                        relative=False))
    pub = ref["published_rr"]
    rr = results["rr"][1]
    rows.append(Row("RR (natural scale) vs Colditz, 2 decimals", pub["rr"], rr.value, 0.005, "colditz1994",
                    relative=False))
    lo, hi = rr.ci()
    rows.append(Row("RR 95 % CI lower vs Colditz", pub["ci_low"], lo, 0.005, "colditz1994", relative=False))
    rows.append(Row("RR 95 % CI upper vs Colditz", pub["ci_high"], hi, 0.005, "colditz1994", relative=False))

    # The one place the engine departs from its library on purpose: Q < df.
    y, v = np.array([0.1, 0.5, 0.3]), np.array([0.04, 0.05, 0.02])
    from statsmodels.stats.meta_analysis import combine_effects

    from ..evidence import EffectSize

    raw = combine_effects(y, v, method_re="dl")
    ours = meta_analyse([EffectSize("g", a, math.sqrt(b)) for a, b in zip(y, v)])
    rows.append(Row("τ² when Q < df (3 made-up trials) vs DL, truncated at 0", 0.0, ours.tau2, 1e-12,
                    "dersimonian1986", relative=False))
    rows.append(Row("same, raw statsmodels 0.15 combine_effects (not used as is)", 0.0, float(raw.tau2), 1e-12,
                    "dersimonian1986", relative=False, expected="miss",
                    reason="statsmodels returns a negative τ² when Q < df; the engine truncates it at 0 "
                           "as DerSimonian–Laird, metafor and RevMan do"))

    def figure():
        fig, (ax,) = new_figure(7.0, 4.2)
        eff, res = results["rr"]
        k = len(eff)
        ys = np.arange(k, 0, -1)
        est = np.exp([e.estimate for e in eff])
        lo_ = np.exp([e.estimate - 1.96 * e.se for e in eff])
        hi_ = np.exp([e.estimate + 1.96 * e.se for e in eff])
        ax.hlines(ys, lo_, hi_, color=COLOURS["grey"], lw=1.2)
        ax.plot(est, ys, "s", color=COLOURS["grey"], ms=4, label="trials (risk ratio, 95 % CI)")
        mf = ref["metafor"]["rr"]
        ax.errorbar([math.exp(mf["estimate"])], [-0.6], xerr=[[math.exp(mf["estimate"]) - math.exp(mf["ci_low"])],
                    [math.exp(mf["ci_high"]) - math.exp(mf["estimate"])]], fmt="D", color=COLOURS["reference"],
                    ms=7, capsize=3, label="metafor DL (reference)")
        ax.errorbar([rr.value], [-1.4], xerr=[[rr.value - lo], [hi - rr.value]], fmt="o", color=COLOURS["model"],
                    ms=7, capsize=3, label="ketacourse meta_analyse")
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_yticks(list(ys) + [-0.6, -1.4], [e.label for e in eff] + ["metafor", "ketacourse"])
        label_panel(ax, "13 BCG trials pooled by DerSimonian–Laird: course engine vs metafor",
                    "risk ratio of tuberculosis, BCG vs control (log scale)", legend=dict(loc="lower right"))
        return fig

    diff = max(abs(r.model - r.reference) for r in rows[:len(MEASURES) * 7] if "metafor" in r.quantity)
    text = (f"The engine hands the trial estimates to statsmodels and truncates τ² at zero. On the 13 BCG "
            f"trials it reproduces metafor's DerSimonian–Laird estimate, interval, τ² and I² for the risk "
            f"ratio, odds ratio and risk difference (largest difference {diff:.1g} on the pooling scale, below "
            f"the 4-decimal printing of the reference), agrees with the formulas written out independently to "
            f"1e-9, and rounds to Colditz's published RR 0.49 (0.34 to 0.70). The one documented miss is "
            f"deliberate: raw statsmodels reports a negative τ² when Cochran's Q is below its degrees of "
            f"freedom, which the engine corrects.")
    return Report(
        key="meta_analysis", title="Meta-analysis engine (DerSimonian–Laird)",
        model="ketacourse.evidence.meta_analyse",
        reference="BCG trials (colditz1994) pooled by R's metafor (viechtbauer2010); DL formulas (dersimonian1986)",
        kinds=("implementation", "data", "analytic"), rows=rows, text=text, figure=figure,
        alt=("Forest plot of 13 BCG vaccine trials on a log risk-ratio axis, each with its 95 % interval; below "
             f"them the metafor pooled risk ratio and the course engine's pooled risk ratio ({rr.value:.2f}, "
             f"{lo:.2f} to {hi:.2f}) lie on top of each other, left of the line of no effect."),
        order=110, chapter="03-rapid-antidepressant")
