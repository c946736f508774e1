"""Chapter 4 widgets: wind-up in a dorsal-horn neuron, analgesic infusions, evidence by pain type.

Each class is a :class:`~ketacourse.widgets.base.ModelWidget`; the models live in
:mod:`ketacourse.circuits.windup`, :mod:`ketacourse.pd.analgesia` (linked to the PK engine)
and :mod:`ketacourse.evidence`. These classes only draw them.

* :class:`WindupExplorer` — stimulus frequency, free ketamine and Mg²⁺; membrane potential
  and spikes per stimulus. The neuron is too slow to simulate on every slider move, so a grid
  of every slider combination is precomputed and looked up
  (:class:`~ketacourse.circuits.windup.WindupGrid`: packaged with the course as
  ``data/windup_grid.npz``, simulated again, about 15 CPU-s, only when the model's tables change).
* :class:`CRPSInfusionExplorer` — multi-day published regimens (presets) on the PK engine with
  the slow PK-PD of Dahan 2011: relief that outlasts the infusion.
* :class:`AcutePainExplorer` — perioperative presets (guideline ceiling and lower end) with the
  minute-scale model of Olofsen 2012, in which norketamine opposes ketamine.
* :class:`PainForestPlot` — the forest plot of :mod:`ketacourse.widgets.evidence` on the pain
  trial table.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as W
import numpy as np
from matplotlib.collections import LineCollection

from ..circuits import windup
from ..pd import analgesia
from .base import ModelWidget, ScrubSpec
from .evidence import ForestPlot, endpoint_key, endpoint_scrub
from .phone_layout import legend_kwargs, narrow, set_text
from .style import OKABE_ITO as C

__all__ = ["WindupExplorer", "CRPSInfusionExplorer", "AcutePainExplorer", "PainForestPlot", "windup_grid",
           "GRID_FREQUENCIES_HZ", "GRID_KETAMINE_UM", "GRID_MG_MM"]

GRID_FREQUENCIES_HZ = (0.1, 0.2, 0.5, 1.0, 2.0)
"""Stimulus frequencies offered by the wind-up explorer (Hz)."""
GRID_KETAMINE_UM = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
"""Free ketamine concentrations offered (µM)."""
GRID_MG_MM = (0.5, 1.0, 2.0)
"""Extracellular Mg²⁺ concentrations offered (mM)."""


@lru_cache(maxsize=1)
def windup_grid() -> windup.WindupGrid:
    """The wind-up simulations behind :class:`WindupExplorer`: computed once (and kept in the disk
    cache of :class:`~ketacourse.circuits.windup.WindupGrid`), then only looked up."""
    return windup.WindupGrid(GRID_FREQUENCIES_HZ, GRID_KETAMINE_UM, GRID_MG_MM, cache=True)


# --------------------------------------------------------------------------- (a) wind-up
class WindupExplorer(ModelWidget):
    """A dorsal-horn WDR neuron driven by 15 C-fibre stimuli: wind-up, and what ketamine does to it.

    Top: membrane potential (spikes drawn as ticks above the trace) against time measured in
    stimulus intervals, so every frequency fits the same axis. Bottom: C-fibre spikes per
    stimulus (latency > 100 ms), with the drug-free cell at the same frequency and Mg²⁺ in grey.
    """

    title = "Wind-up in a dorsal-horn neuron: frequency, Mg²⁺ and ketamine"
    figsize = (7.2, 4.3)
    phone_figsize = (3.5, 5.8)
    scrub = ScrubSpec("ketamine_um", values=GRID_KETAMINE_UM, label="{:g} µM")
    units = {"frequency_hz": "Hz", "ketamine_um": "µM", "mg_mm": "mM"}
    static_note = ("Precomputed frames (1 Hz, 1 mM Mg²⁺) from the course model; run the notebook to change the "
                   "frequency and Mg²⁺ too.")

    def _make_controls(self):
        return {
            "frequency_hz": W.SelectionSlider(options=[(f"{f:g}", f) for f in GRID_FREQUENCIES_HZ], value=1.0,
                                              description="Stimulus frequency (Hz)"),
            "ketamine_um": W.SelectionSlider(options=[(f"{k:g}", k) for k in GRID_KETAMINE_UM], value=0.0,
                                             description="Free ketamine (µM)"),
            "mg_mm": W.SelectionSlider(options=[(f"{m:g}", m) for m in GRID_MG_MM], value=1.0,
                                       description="Extracellular Mg²⁺ (mM)"),
        }

    def _build_figure(self, fig):
        self._grid = windup_grid()
        gs = fig.add_gridspec(2, 1, height_ratios=[1.25, 1], hspace=0.12)
        ax = fig.add_subplot(gs[0])
        ax.set_xlim(0, 16.5)
        ax.set_ylim(-75, -35)
        slim = narrow(fig)
        ax.set_xlabel("time (stimulus intervals: 1 s at 1 Hz,\n10 s at 0.1 Hz)" if slim else
                      "time (stimulus intervals: 1 s at 1 Hz, 10 s at 0.1 Hz)", fontsize=8.5)
        ax.set_ylabel("membrane\npotential (mV)", fontsize=8.5)
        ax.set_title("Membrane potential\nticks: spikes; triangles: C-fibre stimuli" if slim else
                     "Membrane potential; ticks: spikes; triangles: C-fibre stimuli", fontsize=9.5)
        for k in range(1, 16):
            ax.plot([k], [-74], marker="^", color=C["grey"], markersize=4)
        self._trace, = ax.plot([], [], color=C["blue"], lw=0.8, animated=True)
        self._spikes = LineCollection([], colors=C["vermillion"], linewidths=0.6, animated=True)
        ax.add_collection(self._spikes)
        axb = fig.add_subplot(gs[1])
        axb.set_xlim(0.5, 15.5)
        axb.set_ylim(0, 80)
        axb.set_xticks(range(1, 16, 2 if slim else 1))
        axb.set_xlabel("stimulus number", fontsize=8.5)
        axb.set_ylabel("C-fibre spikes\nper stimulus", fontsize=8.5)
        self._ref, = axb.plot([], [], color=C["grey"], ls="--", marker="o", ms=3, lw=1.2, label="no ketamine",
                              animated=True)
        self._counts, = axb.plot([], [], color=C["vermillion"], marker="o", ms=4, lw=1.8, label="this cell",
                                 animated=True)
        axb.legend(loc="upper left", fontsize=8, frameon=False)
        self._text = axb.text(15.3, 76, "", ha="right", va="top", fontsize=8.5, animated=True)

    def _model(self, frequency_hz, ketamine_um, mg_mm):
        return self._grid.lookup(frequency_hz, ketamine_um, mg_mm), self._grid.lookup(frequency_hz, 0.0, mg_mm)

    def _update(self, frequency_hz, ketamine_um, mg_mm):
        r, ref = self._model(frequency_hz, ketamine_um, mg_mm)
        period = 1000.0 / frequency_hz
        first = r["stimulus_times_ms"][0]
        x = (r["t_ms"] - first) / period + 1.0
        self._trace.set_data(x, r["v_mv"])
        st = (np.asarray(r["spike_times_ms"]) - first) / period + 1.0
        self._spikes.set_segments([((s, -40.0), (s, -36.0)) for s in st])
        n = np.arange(1, r["spikes_per_stimulus"].size + 1)
        self._counts.set_data(n, r["spikes_per_stimulus"])
        self._ref.set_data(n, ref["spikes_per_stimulus"])
        w, w0 = windup.windup_count(r["spikes_per_stimulus"]), windup.windup_count(ref["spikes_per_stimulus"])
        share = f" ({100 * w / w0:.0f}% of drug-free)" if w0 > 0 and ketamine_um > 0 else ""
        top = int(r["spikes_per_stimulus"].max())
        off = f"\n(off the axis: up to {top} spikes, firing between stimuli)" if top > 80 else ""
        set_text(self._text, f"wind-up: {w:.0f} extra spikes{share}{off}", chars=34)

    def alt_text(self, frequency_hz, ketamine_um, mg_mm):
        r, ref = self._model(frequency_hz, ketamine_um, mg_mm)
        s = r["spikes_per_stimulus"]
        w = windup.windup_count(s)
        w0 = windup.windup_count(ref["spikes_per_stimulus"])
        return (f"Model WDR neuron, 15 C-fibre stimuli at {frequency_hz:g} Hz, {mg_mm:g} mM Mg2+, "
                f"{ketamine_um:g} µM free ketamine. Spikes per stimulus rise from {s[0]} to {s[-1]}; "
                f"wind-up {w:.0f} extra spikes, against {w0:.0f} with no ketamine.")


# --------------------------------------------------------------------------- (b) infusions
def _regimen_controls(group: str) -> dict:
    """Published regimen, body weight and a what-if dose scale: the controls of the infusion widgets."""
    opts = _preset_options(group)
    return {
        "preset": W.Dropdown(options=opts, value=opts[0][1], description="Published regimen"),
        "weight_kg": W.FloatSlider(value=70, min=50, max=110, step=5, description="Body weight (kg)"),
        "dose_scale": W.FloatSlider(value=1.0, min=0.25, max=2.0, step=0.25,
                                    description="Dose × published (what if)"),
    }


def _preset_options(kind: str) -> list[tuple[str, str]]:
    return [(analgesia.preset(k)["label"], k) for k in analgesia.preset_names(kind)]


class CRPSInfusionExplorer(ModelWidget):
    """Published multi-day infusions on the PK engine, with the slow PK-PD of CRPS relief.

    Top: plasma S-ketamine and the slow biophase concentration (log scale) with the C50;
    bottom: relief as a fraction of the maximum in a patient who responds, and the population
    average (67% respond). Model illustration for a typical adult (S-ketamine PK of Fanta 2015).
    """

    title = "Multi-day infusions and slow relief (CRPS PK-PD, Dahan 2011)"
    figsize = (7.2, 4.3)
    phone_figsize = (3.5, 5.8)
    scrub = ScrubSpec("preset", values=tuple(analgesia.preset_names("chronic")), label="{}")
    units = {"weight_kg": "kg"}
    days = 70.0

    def _make_controls(self):
        return _regimen_controls("chronic")

    def _build_figure(self, fig):
        d = analgesia.parameters()["dahan2011"]
        gs = fig.add_gridspec(2, 1, hspace=0.12)
        ax = fig.add_subplot(gs[0])
        ax.set_yscale("log")
        ax.set_xlim(0, self.days)
        ax.set_ylim(0.3, 1000)
        ax.set_ylabel("S-ketamine\n(ng/mL)", fontsize=8.5)
        ax.axhline(d["c50_ng_ml"], color=C["green"], ls=":", lw=1.2)
        ax.text(self.days * 0.99, d["c50_ng_ml"] * 1.15, f"C50 {d['c50_ng_ml']:g} ng/mL", ha="right", fontsize=8,
                color=C["green"])
        self._cp, = ax.plot([], [], color=C["blue"], lw=1.2, label="plasma", animated=True)
        self._ce, = ax.plot([], [], color=C["vermillion"], lw=2, label="slow biophase", animated=True)
        ax.legend(loc="upper right", fontsize=8, frameon=False, bbox_to_anchor=(1.0, 0.92))
        axb = fig.add_subplot(gs[1])
        axb.set_xlim(0, self.days)
        axb.set_ylim(0, 1.0)
        axb.set_xlabel("days from the start of the infusion", fontsize=8.5)
        axb.set_ylabel("relief (fraction\nof maximum)", fontsize=8.5)
        self._rel, = axb.plot([], [], color=C["vermillion"], lw=2, label="a patient who responds", animated=True)
        self._avg, = axb.plot([], [], color=C["black"], lw=1.2, ls="--", label="average, 67% respond", animated=True)
        axb.legend(loc="upper right", fontsize=8, frameon=False)
        self._end_lines = [a.axvline(0, color=C["grey"], lw=1, animated=True) for a in (ax, axb)]
        self._text = axb.text(self.days * 0.99, 0.45, "", ha="right", va="top", fontsize=8.5, animated=True)

    def _model(self, preset, weight_kg, dose_scale):
        reg, s = analgesia.preset_regimen(preset, weight_kg, dose_scale)
        return analgesia.crps_relief(reg, weight_kg, days=self.days, s_fraction=s, points_per_day=6)

    def _update(self, preset, weight_kg, dose_scale):
        r = self._model(preset, weight_kg, dose_scale)
        t = r["t_days"]
        has_pd = analgesia.preset_pd_model(preset) == "dahan2011"
        self._cp.set_data(t, np.where(r["plasma_ng_ml"] > 0.3, r["plasma_ng_ml"], np.nan))
        # the Dahan PD was fitted to CRPS patients only: no biophase or relief for other conditions
        self._ce.set_data(t, np.where(r["biophase_ng_ml"] > 0.3, r["biophase_ng_ml"], np.nan) if has_pd else [np.nan] * t.size)
        self._rel.set_data(t, r["responder_relief"] if has_pd else [np.nan] * t.size)
        self._avg.set_data(t, r["expected_relief"] if has_pd else [np.nan] * t.size)
        for line in self._end_lines:
            line.set_xdata([r["infusion_end_day"]] * 2)
        set_text(self._text, self._summary(r) if has_pd else self._no_model(preset), chars=40)

    @staticmethod
    def _no_model(preset) -> str:
        import textwrap

        return textwrap.fill(f"No relief drawn: {analgesia.preset(preset)['trial_result']}", 62)

    @staticmethod
    def _summary(r) -> str:
        rel, t = r["responder_relief"], r["t_days"]
        i = int(np.argmax(rel))
        below = t[(t > t[i]) & (rel < 0.5 * rel[i])]
        half = f"{below[0] - r['infusion_end_day']:.0f} days after it stops" if below.size else "beyond the plot"
        return (f"infusion ends day {r['infusion_end_day']:.1f}; peak relief {rel[i]:.2f} on day {t[i]:.1f};\n"
                f"half of the peak is lost {half}")

    def alt_text(self, preset, weight_kg, dose_scale):
        r = self._model(preset, weight_kg, dose_scale)
        label = analgesia.preset(preset)["label"]
        return (f"Model illustration, {weight_kg:g} kg adult, {label} at {dose_scale:g} times the published dose: "
                f"plasma S-ketamine peaks at {r['plasma_ng_ml'].max():.0f} ng/mL and falls within a day of the end; "
                + (f"the slow biophase peaks at {r['biophase_ng_ml'].max():.1f} ng/mL. "
                   + self._summary(r).replace("\n", " ") + "."
                   if analgesia.preset_pd_model(preset) == "dahan2011" else self._no_model(preset).replace("\n", " ")))


class AcutePainExplorer(ModelWidget):
    """Perioperative presets on the PK engine with the acute pain model of Olofsen 2012.

    Top: plasma S-ketamine and S-norketamine; bottom: their contributions to a change in the
    0–10 cm VAS pain score and the net effect. The model was fitted to 2-h infusions in healthy
    men: the shaded region beyond 2 h is extrapolation.
    """

    title = "Perioperative doses: ketamine lowers pain, norketamine opposes it (Olofsen 2012)"
    figsize = (7.2, 4.3)
    phone_figsize = (3.5, 5.8)
    scrub = ScrubSpec("preset", values=tuple(analgesia.preset_names("acute")), label="{}")
    units = {"weight_kg": "kg"}
    hours = 6.0

    def _make_controls(self):
        return _regimen_controls("acute")

    def _build_figure(self, fig):
        gs = fig.add_gridspec(2, 1, hspace=0.12)
        ax = fig.add_subplot(gs[0])
        ax.set_xlim(0, self.hours)
        ax.set_ylim(0, 600)
        ax.set_ylabel("plasma\n(ng/mL)", fontsize=8.5)
        self._k, = ax.plot([], [], color=C["blue"], lw=2, label="S-ketamine", animated=True)
        self._nk, = ax.plot([], [], color=C["orange"], lw=2, label="S-norketamine", animated=True)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        axb = fig.add_subplot(gs[1])
        axb.set_xlim(0, self.hours)
        axb.set_ylim(-8, 8)
        axb.axhline(0, color=C["black"], lw=0.8)
        axb.set_xlabel("hours from the first dose", fontsize=8.5)
        axb.set_ylabel("change in pain\nVAS (cm)", fontsize=8.5)
        fit = analgesia.parameters()["olofsen2012"]["infusion_h"]
        for a in (ax, axb):
            a.axvspan(fit, self.hours, color=C["grey"], alpha=0.15, lw=0)
        axb.text(self.hours * 0.99, 7.4, "shaded: beyond the 2-h data (extrapolation)", ha="right", va="top",
                 fontsize=7.5, color="#555555")
        self._vk, = axb.plot([], [], color=C["blue"], lw=1.2, ls="--", label="ketamine part", animated=True)
        self._vnk, = axb.plot([], [], color=C["orange"], lw=1.2, ls="--", label="norketamine part", animated=True)
        self._net, = axb.plot([], [], color=C["black"], lw=2, label="net", animated=True)
        axb.legend(loc="lower right", fontsize=7.5, frameon=False, ncol=3)
        self._text = ax.text(self.hours * 0.99, 40, "", ha="right", va="bottom", fontsize=8, animated=True)

    def _model(self, preset, weight_kg, dose_scale):
        reg, s = analgesia.preset_regimen(preset, weight_kg, dose_scale)
        t = np.arange(0.0, self.hours * 60 + 1, 2.0)
        return analgesia.acute_pain_effect(reg, weight_kg, t, s_fraction=s)

    def _update(self, preset, weight_kg, dose_scale):
        r = self._model(preset, weight_kg, dose_scale)
        h = r["t_min"] / 60.0
        self._k.set_data(h, r["ketamine_ng_ml"])
        self._nk.set_data(h, r["norketamine_ng_ml"])
        self._vk.set_data(h, r["vas_ketamine_cm"])
        self._vnk.set_data(h, r["vas_norketamine_cm"])
        self._net.set_data(h, r["vas_net_cm"])
        set_text(self._text, self._summary(r), chars=40)

    @staticmethod
    def _summary(r) -> str:
        i = int(np.argmin(r["vas_net_cm"]))
        return (f"largest net fall {r['vas_net_cm'][i]:.1f} cm at {r['t_min'][i] / 60:.1f} h\n"
                f"S-ketamine peak {r['ketamine_ng_ml'].max():.0f} ng/mL")

    def alt_text(self, preset, weight_kg, dose_scale):
        r = self._model(preset, weight_kg, dose_scale)
        label = analgesia.preset(preset)["label"]
        return (f"Model illustration, {weight_kg:g} kg adult, {label} at {dose_scale:g} times the published dose, "
                f"first {self.hours:g} h: S-ketamine peaks at {r['ketamine_ng_ml'].max():.0f} and S-norketamine at "
                f"{r['norketamine_ng_ml'].max():.0f} ng/mL; " + self._summary(r).replace("\n", "; ")
                + f"; net change at {self.hours:g} h {r['vas_net_cm'][-1]:+.1f} cm.")


# --------------------------------------------------------------------------- (c) evidence
class PainForestPlot(ForestPlot):
    """The course forest plot on the pain trial table (``data/trials_pain.toml``)."""

    title = "Forest plot: ketamine for pain, by pain type"
    default_table = "trials_pain"
    default_endpoint = endpoint_key("pain_by_type", "as reported (CRPS trial: week 1, its best week)")
    scrub = endpoint_scrub("trials_pain")
