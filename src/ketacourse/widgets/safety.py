"""Chapter 6 widgets: one treatment session, routes side by side, adverse events in trials.

Each class is a :class:`~ketacourse.widgets.base.ModelWidget`; the models live in
:mod:`ketacourse.safety` (on the PK engine) and :mod:`ketacourse.evidence`. These classes only draw.

* :class:`SessionSimulator` — a session preset (IV infusion, nasal spray, SC or oral dose) for a
  typical adult: effect-site S-ketamine with the dissociation threshold and the published time
  course; systolic pressure with the rule's BP checks, minimum observation and the model's
  discharge time.
* :class:`RouteLogistics` — the four routes' concentration curves and a table of F, time to peak,
  minutes above the threshold, metabolite-to-parent exposure and monitoring time.
* :class:`AdverseEventForest` — the course forest plot on ``data/trials_safety.toml``, with the
  number needed to harm.

Model illustrations for a stated typical adult, not dosing or monitoring advice.
"""

from __future__ import annotations

import math
import threading
from typing import ClassVar

import ipywidgets as W
import numpy as np
from matplotlib import patches

from .. import safety
from ..safety import logistics
from .base import ModelWidget, ScrubSpec
from .evidence import ForestPlot, LightTextMixin, endpoint_key, endpoint_scrub
from .phone_layout import narrow, set_text
from .style import CYCLE
from .style import OKABE_ITO as C

__all__ = ["SessionSimulator", "RouteLogistics", "AdverseEventForest"]

_T_MAX_MIN = 300.0


_SESSION_SHORT = {"iv_racemic": "IV 0.5 mg/kg over 40 min", "nasal_esketamine_56": "Nasal esketamine 56 mg",
                  "nasal_esketamine_84": "Nasal esketamine 84 mg", "sc_racemic": "SC 0.5 mg/kg injection"}


_NOT_A_SESSION = ("oral_racemic",)
"""Presets kept out of the session simulator: oral ketamine for depression is experimental, has no session rule,
and a minute-by-minute 'session' for it could be read as a dose to try. It stays in the route comparison, where
the chapter frames it as a model input (GUIDE standard 3)."""


def _session_options() -> list[tuple[str, str]]:
    """Short dropdown labels (the full preset label is in the figure's alt text)."""
    return [(_SESSION_SHORT.get(n, safety.session_preset(n)["label"]), n) for n in safety.session_names()
            if n not in _NOT_A_SESSION]


def _published_course(session: str) -> dict | None:
    """Published dissociation time-course markers for a session's drug and route, if any."""
    p = safety.session_preset(session)
    if p["route"] == "intranasal":
        return safety.finding("spravato_dissociation_time_course")
    if p["route"] == "iv":
        return safety.finding("iv_dissociation_time_course")
    return None


def _fmt_min(x: float | None) -> str:
    if x is None:
        return "not set"
    if isinstance(x, float) and math.isnan(x):
        return "not reached"
    return f"{x:.0f} min"


# --------------------------------------------------------------------------- (a) session
class SessionSimulator(LightTextMixin, ModelWidget):
    """One treatment session: dissociation and blood pressure over time, with the monitoring rule.

    Top: effect-site (solid) and plasma (dashed) S-ketamine; the dissociation threshold; the
    minutes the model calls dissociative (shaded); the published peak and 'resolved by' times
    (markers). Bottom: systolic pressure for the stated baseline; the rule's BP checks (circles),
    minimum observation (shaded) and the model's earliest discharge (vertical line).
    """

    title = "One treatment session: when is the risk highest, and how long must observation last?"
    figsize = (7.0, 4.6)
    phone_figsize = (3.5, 6.4)
    scrub = ScrubSpec("session", values=("iv_racemic", "nasal_esketamine_56", "nasal_esketamine_84", "sc_racemic"),
                      label="{}")
    units = {"weight_kg": "kg", "baseline_sbp_mmhg": "mmHg"}
    static_note = ("Precomputed frames for a 70 kg adult with a baseline systolic pressure of 120 mmHg; run the "
                   "notebook to change weight and baseline pressure. Model illustration, not advice.")

    def _make_controls(self):
        return {
            "session": W.Dropdown(options=_session_options(), value="iv_racemic", description="Session"),
            "weight_kg": W.FloatSlider(value=70.0, min=40.0, max=150.0, step=5.0, description="Body weight (kg)"),
            "baseline_sbp_mmhg": W.FloatSlider(value=120.0, min=100.0, max=160.0, step=2.0,
                                               description="Baseline systolic BP (mmHg)"),
        }

    def _build_figure(self, fig):
        eff = safety.effect_parameters()
        self._thr = float(eff["dissociation"]["threshold_s_ng_ml"])
        self._limit = float(eff["blood_pressure"]["sbp_limit_mmhg"])
        gs = fig.add_gridspec(2, 1, height_ratios=[1, 1], hspace=0.28)
        ax = fig.add_subplot(gs[0])
        ax.set_xlim(0, _T_MAX_MIN)
        ax.set_ylim(0, 140)
        ax.set_ylabel("S-ketamine\n(ng/mL)", fontsize=8.5)
        ax.set_title("Dissociation: effect-site S-ketamine\nagainst the threshold" if narrow(fig) else
                     "Dissociation: effect-site S-ketamine against the threshold", fontsize=9.5)
        ax.axhline(self._thr, color=C["purple"], lw=1.2, ls=":")
        ax.text(_T_MAX_MIN - 3, self._thr + 3, "dissociation threshold (model)", ha="right", va="bottom",
                fontsize=7.5, color=C["purple"])
        self._dis_span = patches.Rectangle((0, 0), 0, 140, color=C["purple"], alpha=0.12, animated=True)
        ax.add_patch(self._dis_span)
        self._ce, = ax.plot([], [], color=C["blue"], lw=2.0, label="effect site", animated=True)
        self._cp, = ax.plot([], [], color=C["blue"], lw=1.0, ls="--", label="plasma", animated=True)
        self._pub_peak, = ax.plot([], [], "v", color=C["black"], ms=7, label="published peak", animated=True)
        self._pub_res, = ax.plot([], [], "o", mfc="white", mec=C["black"], ms=6, label="published 'resolved by'",
                                 animated=True)
        ax.legend(loc="upper right", fontsize=7, frameon=False, ncol=2)
        axb = fig.add_subplot(gs[1], sharex=ax)
        axb.set_ylim(100, 175)
        axb.set_xlabel("time from the start of dosing (min)", fontsize=8.5)
        axb.set_ylabel("systolic BP\n(mmHg)", fontsize=8.5)
        axb.set_title("Blood pressure and monitoring", fontsize=9.5)
        axb.axhline(self._limit, color=C["vermillion"], lw=1.0, ls=":")
        axb.text(3, self._limit + 1.5, f"{self._limit:.0f} mmHg (label's pre-dose guide)", fontsize=7.5,
                 color=C["vermillion"], va="bottom")
        self._plus40, = axb.plot([0, _T_MAX_MIN], [160, 160], color=C["grey"], lw=1.0, ls="--", animated=True)
        self._plus40_text = axb.text(3, 161, "baseline + 40 mmHg: 8-19% on esketamine (label)" if narrow(fig) else
                                     "baseline + 40 mmHg: reached by 8-19% on esketamine (label)", fontsize=7,
                                     color="#555555", va="bottom", animated=True, clip_on=True)
        self._obs_span = patches.Rectangle((0, 100), 0, 75, color=C["sky_blue"], alpha=0.18, animated=True)
        axb.add_patch(self._obs_span)
        self._sbp, = axb.plot([], [], color=C["vermillion"], lw=2.0, animated=True)
        self._checks, = axb.plot([], [], "o", mfc="white", mec=C["black"], ms=6, animated=True)
        self._discharge = axb.axvline(0, color=C["green"], lw=2.0, animated=True)
        self._dose_end = [a.axvline(0, color=C["grey"], lw=1.0, ls="--", animated=True) for a in (ax, axb)]
        self._text = axb.text(_T_MAX_MIN - 3, 172, "", ha="right", va="top", fontsize=7.8, animated=True,
                              bbox={"facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.9})

    def _model(self, session, weight_kg, baseline_sbp_mmhg):
        return safety.simulate_session(session, weight_kg=weight_kg, baseline_sbp_mmhg=baseline_sbp_mmhg)

    def _update(self, session, weight_kg, baseline_sbp_mmhg):
        r = self._model(session, weight_kg, baseline_sbp_mmhg)
        t = r.times_min
        self._ce.set_data(t, r.effect_s_ng_ml)
        self._cp.set_data(t, r.plasma_s_ng_ml)
        if np.isnan(r.dissociative_from_min):
            self._dis_span.set_width(0)
        else:
            self._dis_span.set_x(r.dissociative_from_min)
            self._dis_span.set_width(r.dissociative_until_min - r.dissociative_from_min)
        pub = _published_course(session)
        if pub is None:
            self._pub_peak.set_data([], [])
            self._pub_res.set_data([], [])
        else:
            self._pub_peak.set_data([pub["peak_min"]], [np.interp(pub["peak_min"], t, r.effect_s_ng_ml) + 8])
            self._pub_res.set_data([pub["resolved_by_min"]], [np.interp(pub["resolved_by_min"], t,
                                                                        r.effect_s_ng_ml)])
        self._sbp.set_data(t, r.sbp_mmhg)
        self._plus40.set_ydata([baseline_sbp_mmhg + 40] * 2)
        self._plus40_text.set_y(baseline_sbp_mmhg + 41)
        checks = np.asarray(r.bp_checks_min)
        self._checks.set_data(checks, np.interp(checks, t, r.sbp_mmhg))
        obs_end = r.observation_end_min
        self._obs_span.set_x(r.dose_end_min)
        self._obs_span.set_width(0 if obs_end is None else obs_end - r.dose_end_min)
        x = r.discharge_min if not math.isnan(r.discharge_min) else _T_MAX_MIN
        self._discharge.set_xdata([x, x])
        self._discharge.set_linestyle("-" if not math.isnan(r.discharge_min) else ":")
        for line in self._dose_end:
            line.set_xdata([r.dose_end_min] * 2)
        set_text(self._text, self._summary(r), chars=40)

    @staticmethod
    def _summary(r) -> str:
        lines = [f"peak effect {r.peak_effect_min:.0f} min; peak SBP rise {r.peak_sbp_rise_mmhg:.1f} mmHg",
                 f"dissociative (model) {r.dissociative_min:.0f} min",
                 f"rule's minimum observation ends {_fmt_min(r.observation_end_min)}",
                 f"model stable {_fmt_min(r.stable_min)}; earliest discharge {_fmt_min(r.discharge_min)}",
                 f"set by: {r.binding}"]
        if not r.predose_bp_ok:
            lines.append("pre-dose BP above the label's guide: weigh delaying")
        return "\n".join(lines)

    def alt_text(self, session, weight_kg, baseline_sbp_mmhg):
        r = self._model(session, weight_kg, baseline_sbp_mmhg)
        return (f"Model session '{r.label}' for a {weight_kg:g} kg adult, baseline systolic {baseline_sbp_mmhg:g} "
                f"mmHg. Effect-site S-ketamine peaks at {np.max(r.effect_s_ng_ml):.0f} ng/mL at "
                f"{r.peak_effect_min:.0f} min and stays above the dissociation threshold for "
                f"{r.dissociative_min:.0f} min. Systolic pressure rises by up to {r.peak_sbp_rise_mmhg:.1f} mmHg. "
                f"Blood-pressure checks at {', '.join(f'{c:g}' for c in r.bp_checks_min)} min; minimum observation "
                f"ends {_fmt_min(r.observation_end_min)}; the model is stable from {_fmt_min(r.stable_min)}, so the "
                f"earliest discharge is {_fmt_min(r.discharge_min)} (set by {r.binding}).")


# --------------------------------------------------------------------------- (b) routes
def _f_literature(r) -> str:
    """F from the literature, starred where it is borrowed from another route (no human value)."""
    return f"{r['f_published']:.2f}{'*' if r['f_basis'].startswith('borrowed') else ''}"


_ROWS = (("F literature/model", lambda r: f"{_f_literature(r)}/{r['f_model']:.2f}"),
         ("plasma peak at", lambda r: f"{r['tmax_min']:.0f} min"),
         ("peak Ce (ng/mL)", lambda r: f"{r['peak_effect_s_ng_ml']:.0f}"),
         ("min above threshold", lambda r: f"{r['minutes_above_threshold']:.0f}"),
         ("metabolite:parent AUC", lambda r: f"{r['metabolite_to_parent']:.1f}"),
         ("rule: min. observation", lambda r: _fmt_min(r["min_observation_min"])),
         ("model discharge", lambda r: _fmt_min(r["discharge_min"])))
_SHORT = {"iv_racemic": "IV 0.5 mg/kg", "nasal_esketamine_84": "nasal 84 mg",
          "sc_racemic": "SC 0.5 mg/kg", "oral_racemic": "oral (input)"}


class RouteLogistics(LightTextMixin, ModelWidget):
    """Four routes side by side for one typical adult: S-ketamine curves and the logistics table."""

    title = "Routes side by side: exposure, metabolite, dissociation time and monitoring"
    figsize = (8.2, 4.4)
    phone_figsize = (3.5, 7.6)
    scrub = ScrubSpec("weight_kg", values=(50.0, 70.0, 90.0, 110.0), label="{:.0f} kg")
    units = {"weight_kg": "kg"}
    static_note = "Precomputed frames from the course model (typical adult); run the notebook to use every control."

    def _make_controls(self):
        return {
            "weight_kg": W.FloatSlider(value=70.0, min=40.0, max=150.0, step=5.0, description="Body weight (kg)"),
            "show_metabolite": W.Checkbox(value=False, description="show the metabolite (dashed)"),
        }

    def _build_figure(self, fig):
        fig.set_layout_engine("none")
        slim = narrow(fig)  # a phone frame: the plot on top, the table under it
        ax = fig.add_axes((0.17, 0.62, 0.78, 0.33) if slim else (0.07, 0.14, 0.32, 0.74))
        ax.set_xlim(0, _T_MAX_MIN)
        ax.set_ylim(0, 160)
        ax.set_xlabel("time from the start of dosing (min)", fontsize=8.5)
        ax.set_ylabel("S-ketamine, effect site (ng/mL)", fontsize=8.5)
        ax.set_title("Effect-site S-ketamine by route", fontsize=9.5)
        thr = float(safety.effect_parameters()["dissociation"]["threshold_s_ng_ml"])
        ax.axhline(thr, color=C["purple"], lw=1.0, ls=":")
        self._lines, self._met = {}, {}
        for i, name in enumerate(logistics.ROUTE_SESSIONS):
            col = CYCLE[i]
            self._lines[name], = ax.plot([], [], color=col, lw=2.0, label=_SHORT[name], animated=True)
            self._met[name], = ax.plot([], [], color=col, lw=1.0, ls="--", animated=True)
        ax.legend(loc="upper right", fontsize=7, frameon=False)
        # phone: each row's label on its own line, the four values on the line under it, full width
        x0, xc, dx, y0 = (0.02, 0.2, 0.215, 0.495) if slim else (0.43, 0.64, 0.105, 0.84)
        fig.text(x0, y0 + 0.035 if slim else 0.90, "per route (model, except F from the literature)", fontsize=8.5,
                 weight="bold")
        for j, name in enumerate(logistics.ROUTE_SESSIONS):
            fig.text(xc + j * dx, y0, _SHORT[name].replace(" ", "\n", 1), fontsize=7, weight="bold",
                     color=CYCLE[j], ha="center", va="top")
        spacing = {"fontsize": 7.2, "va": "top", "linespacing": 2.2}
        top = y0 - (0.06 if slim else 0.1)
        fig.text(x0, top, "\n".join(label for label, _f in _ROWS), **spacing)
        # one multi-line text per route column (7 rows): a few text artists instead of 28
        below = 1.25 * spacing["fontsize"] / 72 / fig.get_figheight() if slim else 0.0
        self._cols = [fig.text(xc + j * dx, top - below, "", ha="center", family="monospace", animated=True,
                               **spacing) for j in range(len(logistics.ROUTE_SESSIONS))]
        self._note = fig.text(x0 if slim else 0.43, 0.01 if slim else 0.03, "", fontsize=7, va="bottom", animated=True)

    # The model takes 0.2-0.6 s per weight (absorption fitted to each route's published Tmax): it
    # answers from results kept per weight, filled for every slider position in the background.
    _models: ClassVar[dict[float, tuple]] = {}

    def _model(self, weight_kg):
        hit = self._models.get(float(weight_kg))
        if hit is None:
            rows = logistics.route_comparison(weight_kg)
            curves = {n: safety.simulate_session(n, weight_kg=weight_kg) for n in logistics.ROUTE_SESSIONS}
            hit = self._models[float(weight_kg)] = (rows, curves)
        return hit

    _filling: ClassVar[threading.Lock] = threading.Lock()

    def _precompute(self):
        ctrl = self.controls["weight_kg"]
        grid = np.arange(ctrl.min, ctrl.max + ctrl.step / 2, ctrl.step)
        with self._filling:  # one thread fills the shared results; another widget's finds them there
            for weight in sorted(grid, key=lambda w: abs(w - ctrl.value)):  # nearest the start first
                self._model(float(weight))

    def _update(self, weight_kg, show_metabolite):
        rows, curves = self._model(weight_kg)
        for name, r in curves.items():
            self._lines[name].set_data(r.times_min, r.effect_s_ng_ml)
            if show_metabolite and r.metabolite_ng_ml is not None:
                self._met[name].set_data(r.times_min, r.metabolite_ng_ml)
            else:
                self._met[name].set_data([], [])
        for j, row in enumerate(rows):
            self._cols[j].set_text("\n".join(fmt(row) for _label, fmt in _ROWS))
        set_text(self._note, chars=52, wide_chars=82, text=f"Typical adult, {weight_kg:.0f} kg. Racemic doses: S half only. *SC F and absorption "
                            "borrowed from IM.\nOral use for depression is experimental; its 0 min above the "
                            "threshold\nis a property of the model, not evidence of safety. Model illustration, not "
                            "advice."
                            + ("  Dashed: metabolite (ng/mL)." if show_metabolite else ""))

    def alt_text(self, weight_kg, show_metabolite):
        rows, _curves = self._model(weight_kg)
        parts = [f"{_SHORT[r['session']]}: F {r['f_published']:.2f} {r['f_basis']}, {r['f_model']:.2f} model; peak at "
                 f"{r['tmax_min']:.0f} min; {r['minutes_above_threshold']:.0f} min above the dissociation threshold; "
                 f"metabolite to parent AUC {r['metabolite_to_parent']:.1f}; minimum observation "
                 f"{_fmt_min(r['min_observation_min'])}; model discharge {_fmt_min(r['discharge_min'])}"
                 for r in rows]
        return f"Route comparison for a {weight_kg:.0f} kg adult (model). " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- (c) adverse events
class AdverseEventForest(ForestPlot):
    """The course forest plot on the esketamine adverse-event table, read as harms (NNH)."""

    title = "Adverse events in the esketamine trials: how much more common than with placebo?"
    figsize = (8.2, 3.5)  # at most three trials per adverse event: a shorter figure, fewer pixels to encode
    default_table = "trials_safety"
    default_endpoint = endpoint_key("dissociation", "double-blind, 4 weeks")
    scrub = endpoint_scrub("trials_safety")

    def __init__(self, **initial):
        initial.setdefault("measure", "rd")
        super().__init__(**initial)

    def _update(self, **params):
        super()._update(**params)
        self._favours[0].set_text("← fewer with esketamine")
        self._favours[1].set_text("more with esketamine →")

    def _summary_text(self, s: dict) -> str:
        text = super()._summary_text(s)
        nnt = s.get("nnt")
        if nnt is None or s["pooled"] is None:
            return text
        head = text.split("NNT")[0]
        if nnt["crosses_zero"]:
            return head + f"NNH {nnt['nnt']:.1f} (CI crosses no difference)"
        return head + f"NNH {nnt['nnt']:.1f} (95% CI {nnt['lower']:.1f} to {nnt['upper']:.1f})"
