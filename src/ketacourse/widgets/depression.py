"""Chapter 3 widgets: the antidepressant time course and the mechanism-hypothesis diagram.

The time course is computed by :mod:`ketacourse.pd.antidepressant` (a descriptive model driven by
the PK engine); the diagram's content (steps, evidence for and against, evidence level) is data in
``data/hypotheses.toml``. These classes only draw.
"""

from __future__ import annotations

import textwrap

import ipywidgets as W
import numpy as np
from matplotlib import patches

from ..data import load_table
from ..pd import antidepressant as ad
from .base import ModelWidget, ScrubSpec
from .evidence import LightTextMixin
from .phone_layout import legend_kwargs, narrow, panels
from .style import OKABE_ITO as C

__all__ = ["ResponseTimeCourse", "HypothesisDiagram"]

_SCHEDULES = (("one infusion", "single"), ("twice weekly", "twice"), ("three times weekly", "thrice"))
_RELAPSE = (("after 6 ketamine infusions (median 18 days)", "after_six_infusions"),
            ("esketamine stopped, stable remitters (median 273 days)", "esketamine_stopped"))


def dose_days(schedule: str, weeks: int) -> list[float]:
    """Infusion start days for a schedule name (``single``, ``twice``, ``thrice``) over ``weeks``."""
    if schedule == "single":
        return [0.0]
    if schedule == "twice":
        return ad.twice_weekly(weeks)
    if schedule == "thrice":
        return ad.thrice_weekly(weeks)
    raise ValueError(f"schedule must be one of 'single', 'twice', 'thrice'; got {schedule!r}")


class ResponseTimeCourse(LightTextMixin, ModelWidget):
    """Drug-minus-control effect over days for one or repeated 0.5 mg/kg infusions, with the
    published points the model was calibrated to (filled) and checked against (open), and the
    fraction of responders still well after the last infusion."""

    title = "How long does the antidepressant effect last? (descriptive model)"
    figsize = (8.2, 3.9)
    phone_figsize = (3.5, 6.6)
    scrub = ScrubSpec("dose_mg_per_kg", values=(0.1, 0.2, 0.3, 0.5, 0.75, 1.0), label="{:g} mg/kg")
    units = {"dose_mg_per_kg": "mg/kg", "ceiling_g": "SD"}
    t_end_days = 42.0

    def _make_controls(self):
        return {
            "schedule": W.Dropdown(options=_SCHEDULES, value="single", description="Schedule"),
            "weeks": W.IntSlider(value=2, min=1, max=4, step=1, description="Course length (weeks)"),
            "dose_mg_per_kg": W.FloatSlider(value=0.5, min=0.1, max=1.0, step=0.05,
                                            description="Dose per infusion (mg/kg)"),
            "ceiling_g": W.FloatSlider(value=0.0, min=0.0, max=3.0, step=0.1,
                                       description="Ceiling, an assumption (SD; 0 = none)"),
            "relapse": W.Dropdown(options=_RELAPSE, value="after_six_infusions", description="Relapse data"),
        }

    def _build_figure(self, fig):
        slim = narrow(fig)
        self._sep = "\n" if slim else "; "  # readout clauses: one line each on a phone
        gs = panels(fig, 2, width_ratios=[2.1, 1], height_ratios=[1.7, 1])
        ax = fig.add_subplot(gs[0])
        self._t = np.linspace(0, self.t_end_days, 841)
        (self._curve,) = ax.plot(self._t, np.zeros_like(self._t), color=C["blue"], lw=2, animated=True,
                                 label="model: ketamine − control")
        (self._doses,) = ax.plot([], [], "|", color=C["vermillion"], ms=12, mew=2, animated=True, label="infusions")
        thr = next(p for p in ad.calibration_points() if p["key"] == "offset")["g"]
        ax.axhline(thr, color=C["grey"], ls=":", lw=1)
        ax.text(self.t_end_days * 0.99, thr + 0.03, "smallest effect a meta-analysis\ncan detect" if slim else
                "about the smallest effect a meta-analysis can detect", ha="right", fontsize=7, color="#555555")
        for p in ad.calibration_points():
            fit = p["role"] == "fit"
            kw = dict(fmt="o" if fit else "s", color=C["black"] if fit else C["purple"], ms=5,
                      mfc=None if fit else "white", capsize=2, lw=1)
            lo, hi = p.get("lower", p["g"]), p.get("upper", p["g"])
            ax.errorbar([p["time_days"]], [p["g"]], yerr=[[p["g"] - lo], [hi - p["g"]]], **kw)
        ax.plot([], [], "o", color=C["black"], ms=5, label="published, used to calibrate")
        ax.plot([], [], "s", color=C["purple"], mfc="white", ms=5, label="published, used only to check")
        ax.set_xlim(-0.5, self.t_end_days)
        ax.set_ylim(-0.1, 2.6)
        ax.set_xlabel("days after the first infusion")
        ax.set_ylabel("effect vs control (SD units)")
        ax.legend(fontsize=7, **legend_kwargs(fig, {"loc": "center right", "frameon": False}, below=-0.2))
        self._readout = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=7.8, animated=True,
                                bbox=dict(facecolor="white", alpha=0.85, edgecolor="#cccccc"))
        ax2 = fig.add_subplot(gs[1])
        self._tr = np.linspace(0, 120, 241)
        (self._relapse,) = ax2.plot(self._tr, np.ones_like(self._tr), color=C["green"], animated=True)
        (self._relapse_pt,) = ax2.plot([], [], "o", color=C["green"], animated=True)
        ax2.set_xlim(0, 120)
        ax2.set_ylim(0, 105)
        ax2.set_xlabel("days after the last dose")
        ax2.set_ylabel("responders still well (%)")
        ax2.set_title("Relapse (constant-hazard model)", fontsize=9)
        self._relapse_text = ax2.text(0.95, 0.95, "", transform=ax2.transAxes, ha="right", va="top", fontsize=7.5,
                                      animated=True)

    def _model(self, schedule, weeks, dose_mg_per_kg, ceiling_g):
        days = dose_days(schedule, weeks)
        g = ad.effect_g(self._t, days, dose_mg_per_kg=dose_mg_per_kg, ceiling_g=ceiling_g or None)
        return days, g

    def _inactive(self, schedule="single", **_params):
        return {"weeks": "only for repeated infusions"} if schedule == "single" else {}

    def _update(self, schedule, weeks, dose_mg_per_kg, ceiling_g, relapse):
        days, g = self._model(schedule, weeks, dose_mg_per_kg, ceiling_g)
        self._curve.set_ydata(g)
        self._doses.set_data(days, [-0.05] * len(days))
        peak_i = int(np.argmax(g))
        last = days[-1]
        after = self._t > last + 1
        thr = next(p for p in ad.calibration_points() if p["key"] == "offset")["g"]
        below = self._t[after & (g < thr)]
        lasts = f"falls below the detection line on day {below[0]:.0f}" if below.size else "stays above the line"
        self._readout.set_text(f"{len(days)} infusion{'s' if len(days) > 1 else ''} of {dose_mg_per_kg:.2f} mg/kg\n"
                               f"peak {g[peak_i]:.2f} SD on day {self._t[peak_i]:.1f}{self._sep}{lasts}"
                               + (f"\nceiling (assumed) {ceiling_g:.1f} SD" if ceiling_g else ""))
        median = ad.relapse_median_days(relapse)
        s = 100 * ad.relapse_free(self._tr, median)
        self._relapse.set_ydata(s)
        self._relapse_pt.set_data([median], [50])
        self._relapse_text.set_text(f"median {median:.0f} days\nwell at 4 weeks: {100 * ad.relapse_free(28, median)[0]:.0f}%")

    def alt_text(self, schedule, weeks, dose_mg_per_kg, ceiling_g, relapse):
        days, g = self._model(schedule, weeks, dose_mg_per_kg, ceiling_g)
        peak_i = int(np.argmax(g))
        at = {d: float(np.interp(d, self._t, g)) for d in (1, 7, 14, 28)}
        median = ad.relapse_median_days(relapse)
        return (f"Line chart of the model's drug-minus-control effect over 42 days for {len(days)} infusion(s) of "
                f"{dose_mg_per_kg:.2f} mg/kg ({dict((v, k) for k, v in _SCHEDULES)[schedule]}): peak "
                f"{g[peak_i]:.2f} SD on day {self._t[peak_i]:.1f}; day 1 {at[1]:.2f}, day 7 {at[7]:.2f}, day 14 "
                f"{at[14]:.2f}, day 28 {at[28]:.2f} SD. Published calibration points: 0.52 at 40 min, 1.00 at day 1; "
                f"check points 0.80 at day 2 and 0.70 after 2–3 weeks of repeated dosing. Right: responders still "
                f"well after the last dose, exponential with median {median:.0f} days.")


# --------------------------------------------------------------------------- hypothesis diagram
_ELEMENT_STYLE = {
    "interneuron": C["blue"], "pyramidal": C["orange"], "glutamate": C["vermillion"], "spine": C["green"],
    "bdnf": C["purple"], "habenula": C["sky_blue"], "hnk": C["yellow"], "opioid": C["grey"],
}
_STATUS_COLOUR = {"contested": C["vermillion"]}


class HypothesisDiagram(LightTextMixin, ModelWidget):
    """A cortical microcircuit and a synapse, with the step each antidepressant-mechanism hypothesis
    proposes highlighted, and its evidence (for, against, human or animal) shown beside it."""

    title = "How might ketamine relieve depression? Six hypotheses and their evidence"
    figsize = (8.6, 4.6)
    phone_figsize = (3.5, 7.1)  # the diagram on top, the evidence text under it

    def __init__(self, **initial):
        self.hypotheses = load_table("hypotheses")["hypotheses"]
        super().__init__(**initial)

    def _make_controls(self):
        opts = [(h["label"], key) for key, h in load_table("hypotheses")["hypotheses"].items()]
        buttons = W.ToggleButtons(options=opts, value=opts[0][1], description="Hypothesis",
                                  tooltips=[label for label, _key in opts], style={"button_width": "auto"})
        buttons.add_class("kc-wide")  # the whole row of the control grid: every label shown in full
        return {"hypothesis": buttons,
                "number": W.IntSlider(value=1, min=1, max=len(opts), step=1, description="Step through (1 to 6)")}

    def _link(self, given):
        keys = list(self.hypotheses)
        out = dict(given)
        if "hypothesis" in given and "number" not in given:
            out["number"] = keys.index(given["hypothesis"]) + 1
        elif "number" in given and "hypothesis" not in given:
            out["hypothesis"] = keys[int(given["number"]) - 1]
        elif "number" in given and keys.index(given["hypothesis"]) + 1 != int(given["number"]):
            raise ValueError(f"number and hypothesis must agree: hypothesis {given['hypothesis']!r} is number "
                             f"{keys.index(given['hypothesis']) + 1}; got {given['number']!r}")
        return out

    @staticmethod
    def _element_artists(ax, name: str) -> list:
        """Fresh artists for one diagram element (drawn twice: faint and static, and highlighted)."""
        out: list = []
        slim = narrow(ax.get_figure())  # a phone frame's diagram is narrower: some labels break into more lines
        if name == "interneuron":
            out += [patches.Circle((1.6, 7.2), 0.75, facecolor=C["blue"], edgecolor="#1d3f66"),
                    ax.text(1.6, 7.2, "GABA\ninter-\nneuron" if slim else "GABA\ninterneuron", ha="center", va="center", fontsize=7, color="white"),
                    patches.FancyArrowPatch((2.3, 6.9), (3.6, 6.1), arrowstyle="-[", mutation_scale=10,
                                            color=C["blue"], lw=2)]
        elif name == "pyramidal":
            out += [patches.Polygon([[3.7, 5.0], [4.9, 5.0], [4.3, 6.8]], closed=True, facecolor=C["orange"],
                                    edgecolor="#7a5200"),
                    ax.text(4.3, 5.55, "pyramidal", ha="center", fontsize=7),
                    patches.FancyArrowPatch((4.3, 6.8), (4.3, 8.8), arrowstyle="-", color=C["orange"], lw=2.5)]
        elif name == "glutamate":
            out += [patches.FancyArrowPatch((4.9, 5.4), (6.3, 4.3), arrowstyle="-|>", mutation_scale=14,
                                            color=C["vermillion"], lw=2.5),
                    ax.text(5.35, 5.25, "glutamate\nburst", fontsize=7, color=C["vermillion"])]
        elif name == "spine":
            out += [patches.FancyBboxPatch((6.3, 2.7), 2.6, 2.0, boxstyle="round,pad=0.1,rounding_size=0.5",
                                           facecolor="#b3e0d2", edgecolor=C["green"], lw=1.5),
                    ax.text(7.6, 4.45, "spine (AMPA)" if slim else "dendritic spine (AMPA)", ha="center", fontsize=7)]
        elif name == "bdnf":
            out += [patches.Circle((7.0, 3.4), 0.42, facecolor=C["purple"], edgecolor="#6b3050"),
                    ax.text(7.0, 3.4, "BDNF", ha="center", va="center", fontsize=7),
                    ax.text(7.55, 3.15, "TrkB → mTORC1\neEF2 → protein\nsynthesis", ha="left", va="center",
                            fontsize=7)]
        elif name == "habenula":
            out += [patches.FancyBboxPatch((0.5, 1.0), 2.6, 1.5, boxstyle="round,pad=0.1", facecolor="#a9d7f3",
                                           edgecolor="#1a5f8a"),
                    ax.text(1.8, 1.75, "lateral\nhabenula\nburst firing" if slim else "lateral habenula\nburst firing", ha="center", va="center", fontsize=7)]
        elif name == "hnk":
            out += [patches.RegularPolygon((8.6, 8.2), numVertices=6, radius=0.55, facecolor=C["yellow"],
                                           edgecolor="#8a7d00"),
                    ax.text(8.6, 7.3, "(2R,6R)-HNK\n(metabolite)", ha="center", va="top", fontsize=7)]
        elif name == "opioid":
            out += [patches.Rectangle((4.0, 1.1), 1.6, 1.1, facecolor="#c8c8c8", edgecolor="#555555"),
                    ax.text(4.8, 1.65, "opioid\nreceptors", ha="center", va="center", fontsize=7)]
        for a in out:
            if isinstance(a, patches.Patch):
                ax.add_patch(a)
        return out

    def _build_figure(self, fig):
        fig.set_layout_engine("none")
        self._slim = slim = narrow(fig)
        ax = fig.add_axes((0.0, 0.52, 1.0, 0.48) if slim else (0.0, 0.0, 0.52, 0.93))
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        ax.set_axis_off()
        ax.text(0.2, 9.6, "prefrontal cortex", fontsize=8, color="#444444")
        ax.add_patch(patches.RegularPolygon((1.6, 8.9), numVertices=6, radius=0.35, facecolor=C["vermillion"],
                                            edgecolor="#7a3300"))
        ax.text(2.1, 8.9, "ketamine blocks NMDA receptors", fontsize=7, va="center")
        # every element twice: faint in the static background, and a highlighted copy shown when active
        self._parts: dict[str, list] = {}
        for name in _ELEMENT_STYLE:
            for a in self._element_artists(ax, name):
                a.set_alpha(0.16)
            hi = self._element_artists(ax, name)
            for a in hi:
                a.set_animated(True)
                a.set_visible(False)
                if isinstance(a, patches.Patch):
                    a.set_linewidth(2.5)
            self._parts[name] = hi
        self._step_marker = ax.text(0.2, 0.25, "", fontsize=7.5, weight="bold", animated=True)
        # text panel
        x0 = 0.04 if slim else 0.54
        self._panel = {
            "label": fig.text(x0, 0.88, "", fontsize=10, weight="bold", va="top", animated=True),
            "status": fig.text(x0, 0.82, "", fontsize=8.5, va="top", animated=True),
            "step": fig.text(x0, 0.73, "", fontsize=7.5, va="top", animated=True),
            "for": fig.text(x0, 0.51, "", fontsize=7.5, va="top", animated=True, color="#1b5e20"),
            "against": fig.text(x0, 0.27, "", fontsize=7.5, va="top", animated=True, color="#8a2b00"),
        }

    def _update(self, hypothesis, number=None):
        h = self.hypotheses[hypothesis]
        active = set(h["elements"])
        for name, artists in self._parts.items():
            for a in artists:
                a.set_visible(name in active)
        wrap = lambda s, w=48: "\n".join(textwrap.wrap(s, w))  # noqa: E731
        self._panel["label"].set_text(wrap(h["label"], 36) if self._slim else h["label"])
        self._panel["status"].set_text(f"Evidence: {h['evidence']}\nStatus: {h['status']}")
        self._panel["status"].set_color(_STATUS_COLOUR.get(h["status"], "#333333"))
        self._panel["step"].set_text(wrap("Proposed step: " + h["step"]))
        self._panel["for"].set_text(wrap("For: " + h["for"]))
        self._panel["against"].set_text(wrap("Against or limits: " + h["against"]))
        self._step_marker.set_text("highlighted: " + ", ".join(sorted(active)))
        if self._slim:  # on a phone the blocks follow each other under the diagram, as long as each is
            fig, y = self._panel["label"].get_figure(), 0.5
            for key in ("label", "status", "step", "for", "against"):
                text = self._panel[key]
                text.set_y(y)
                lines = text.get_text().count("\n") + 1
                y -= (lines * 1.2 + 0.6) * text.get_fontsize() / 72 / fig.get_figheight()

    def alt_text(self, hypothesis, number=None):
        h = self.hypotheses[hypothesis]
        return (f"Diagram of a prefrontal microcircuit (GABA interneuron, pyramidal neuron, dendritic spine with "
                f"BDNF), the lateral habenula, the metabolite HNK and opioid receptors, with the parts of the "
                f"'{h['label']}' hypothesis highlighted ({', '.join(h['elements'])}). Proposed step: {h['step']} "
                f"For: {h['for']} Against: {h['against']} Evidence: {h['evidence']}; status: {h['status']}.")


HypothesisDiagram.scrub = ScrubSpec("hypothesis", values=tuple(load_table("hypotheses")["hypotheses"]), label="{}")
