"""Chapter 5 widgets: the E–I network and its spectrum, the stepped target-controlled infusion of
a psychotomimetic challenge study, and the species dose translator.

The models live in :mod:`ketacourse.circuits.ei_network`, :mod:`ketacourse.pk.tci` and
:mod:`ketacourse.translation`; these classes only draw them. Every output is a model
illustration (a qualitative network model, or a typical adult of a published PK parameter set),
not a prediction for any person or animal.
"""

from __future__ import annotations

import textwrap
from functools import cache

import ipywidgets as W
import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from .. import pk, translation
from ..circuits import ei_network as ei
from ..data import load_table
from ..pk.tci import tci
from .base import ModelWidget, ScrubSpec
from .phone_layout import narrow, set_text
from .style import OKABE_ITO as C

__all__ = ["EINetworkExplorer", "TCIChallengeExplorer", "SpeciesDoseTranslator"]

_BAND_COLOURS = {"analgesia": C["sky_blue"], "dissociation": C["yellow"], "anaesthesia": C["grey"]}


def _plain_log_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


# --------------------------------------------------------------------------- (a) E–I network
@cache
def _sweeps() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = np.round(np.linspace(0.0, 2.0, 41), 3)
    return u, ei.gamma_sweep(u, target="interneurons"), ei.gamma_sweep(u, target="pyramidal")



def _fit(fig, text: str, chars: int = 50) -> str:
    """A footnote or label for ``fig``: as written on a desktop figure, rewrapped on a phone's."""
    if not narrow(fig):
        return text
    return "\n".join(textwrap.wrap(text.replace("\n", " "), chars))

class EINetworkExplorer(ModelWidget):
    """Power spectrum of the E–I population model as NMDA drive onto each population is reduced.

    Left: the spectrum of the pyramidal population's activity (baseline dashed grey, current blue,
    gamma band shaded). Right: gamma power relative to baseline as NMDA on interneurons (solid) or
    on pyramidal cells (dashed) is varied alone, with the current network as a dot.
    """

    title = "E–I network: NMDA block on interneurons and pyramidal cells, and the gamma band"
    figsize = (7.6, 3.6)
    phone_figsize = (3.5, 6.4)
    scrub = ScrubSpec("nmda_interneurons", values=(1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0),
                      label="{:.0%} of NMDA drive left on interneurons")
    units = {"nmda_interneurons": "", "nmda_pyramidal": ""}

    def _make_controls(self):
        return {
            "nmda_interneurons": W.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.05, readout_format=".2f",
                                               description="NMDA drive on interneurons (fraction of baseline)"),
            "nmda_pyramidal": W.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.05, readout_format=".2f",
                                            description="NMDA drive on pyramidal cells (fraction of baseline)"),
        }

    def _build_figure(self, fig):
        ax, ax2 = fig.subplots(2, 1) if narrow(fig) else fig.subplots(1, 2, width_ratios=[1.35, 1.0])
        base = ei.spectrum()
        f = base.freqs_hz
        self._base_power = base.power
        self._base_gamma = base.gamma_power
        ax.axvspan(*ei.GAMMA_BAND_HZ, color=C["yellow"], alpha=0.25, lw=0)
        ax.text(55, 0.99, "gamma 30–80 Hz", transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=7.5,
                color="#444444")
        ax.plot(f, base.power / base.power.max(), color=C["grey"], ls="--", lw=1.5, label="baseline (no drug)")
        (self._line,) = ax.plot(f, base.power / base.power.max(), color=C["blue"], label="with NMDA block",
                                animated=True)
        ax.set_yscale("log")
        ax.set_ylim(1e-3, 30)
        ax.set_xlim(f[0], f[-1])
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("power (relative to baseline peak)")
        _plain_log_axis(ax.yaxis)
        ax.legend(loc="lower left", fontsize=7.5, frameon=False)
        u, g_i, g_e = _sweeps()
        ax2.plot(u, g_i, color=C["vermillion"], label="vary interneurons only")
        ax2.plot(u, g_e, color=C["green"], ls="--", label="vary pyramidal cells only")
        ax2.axhline(1.0, color="#777777", lw=0.8, ls=":")
        ax2.axvline(1.0, color="#777777", lw=0.8, ls=":")
        (self._dot,) = ax2.plot([1.0], [1.0], "o", color=C["blue"], ms=8, label="current network", animated=True)
        ax2.set_yscale("log")
        ax2.set_ylim(0.2, 20)
        ax2.set_xlim(0, 2)
        _plain_log_axis(ax2.yaxis)
        ax2.set_xlabel("NMDA drive (fraction of baseline)")
        ax2.set_ylabel("gamma power / baseline")
        ax2.legend(loc="upper right", fontsize=7, frameon=False)
        self._readout = ax.text(0.985, 0.8, "", transform=ax.transAxes, ha="right", va="top", fontsize=7.5,
                                animated=True, bbox=dict(facecolor="white", alpha=0.85, edgecolor="#cccccc"))
        fig.supxlabel("Qualitative teaching model (linearised E–I rate model);\npower in arbitrary units." if narrow(fig)
                      else "Qualitative teaching model (linearised E–I rate model); power in arbitrary units.",
                      fontsize=7, color="#555555")

    def _compute(self, nmda_interneurons, nmda_pyramidal):
        return ei.spectrum(nmda_pyramidal, nmda_interneurons)

    def _update(self, nmda_interneurons, nmda_pyramidal):
        s = self._compute(nmda_interneurons, nmda_pyramidal)
        if not s.stable:
            self._line.set_ydata(np.full_like(s.power, np.nan))
            self._dot.set_data([nmda_interneurons], [np.nan])
            set_text(self._readout, "Steady state unstable: the network\noscillates on its own; the linear\n"
                                   "spectrum no longer applies.")
            return
        ratio = s.gamma_power / self._base_gamma
        self._line.set_ydata(s.power / self._base_power.max())
        self._dot.set_data([nmda_interneurons], [ratio])
        db = 10 * np.log10(ratio)
        set_text(self._readout,
            f"gamma × {ratio:.2f} ({db:+.1f} dB), peak {s.gamma_peak_hz:.0f} Hz\n"
            f"rates E {s.rates[0]:.2f}, I {s.rates[1]:.2f} of max")

    def alt_text(self, nmda_interneurons, nmda_pyramidal):
        s = self._compute(nmda_interneurons, nmda_pyramidal)
        if not s.stable:
            return (f"With {nmda_interneurons:.0%} of NMDA drive on interneurons and {nmda_pyramidal:.0%} on pyramidal "
                    "cells the model network is unstable and oscillates on its own; no spectrum is drawn.")
        ratio = s.gamma_power / self._base_gamma
        return (f"Power spectrum of the model network with {nmda_interneurons:.0%} of NMDA drive left on interneurons "
                f"and {nmda_pyramidal:.0%} on pyramidal cells: a gamma peak at {s.gamma_peak_hz:.0f} Hz, gamma power "
                f"{ratio:.2f} times baseline. Right panel: gamma power rises then falls as interneuron NMDA drive is "
                "reduced (an inverted U), and falls steadily when only pyramidal NMDA drive is reduced.")


# --------------------------------------------------------------------------- (b) TCI challenge study
_RACEMIC_MODELS = tuple(k for k in pk.model_keys() if pk.get_model(k).enantiomer == "racemic"
                        and pk.get_model(k).info()["validity"].get("age_min_years", 18.0) >= 18.0)


def _bowdle() -> dict:
    return load_table("psychotomimetic")["bowdle1998"]


@cache
def _tci_run(model: str, mode: str, weight_kg: float):
    b = _bowdle()
    targets = list(b["targets_ng_ml"]) + [0.0]
    res = tci(model, targets, b["step_duration_min"], weight_kg, mode=mode)
    times = np.arange(0.0, res.duration_min + 1e-9, 0.5)
    sim = res.simulate(times)
    return res, sim


class TCIChallengeExplorer(ModelWidget):
    """Replay of Bowdle 1998's stepped targets with the course's TCI algorithm.

    Left: target staircase, plasma and effect-site concentrations and the amount infused over the
    session, with a cursor at the chosen time and the VAS (20 min) and sampling (28 min) times of
    each step. Right: the measured relation's shape (every VAS item linear in concentration,
    R 0.93–0.99), normalised to its value at 200 ng/mL, with the model's effect-site concentration
    at each VAS time and at the cursor.
    """

    title = "Target-controlled infusion: Bowdle 1998's stepped psychotomimetic challenge"
    figsize = (7.8, 3.7)
    phone_figsize = (3.5, 7.4)
    scrub = ScrubSpec("time_min", values=tuple(float(v) for v in range(0, 151, 10)), label="{:.0f} min")
    units = {"time_min": "min", "weight_kg": "kg"}
    weight_kg = 70.0

    def _make_controls(self):
        return {
            "time_min": W.FloatSlider(value=50.0, min=0.0, max=150.0, step=1.0, description="Time (min)"),
            "model": W.Dropdown(options=[(pk.get_model(k).name.split(" (")[0], k) for k in _RACEMIC_MODELS],
                                value="domino1982", description="Parameter set"),
            "mode": W.ToggleButtons(options=[("plasma", "plasma"), ("effect site", "effect")], value="plasma",
                                    description="Pump targets"),
        }

    def _build_figure(self, fig):
        slim = narrow(fig)
        ax, ax2 = fig.subplots(2, 1) if slim else fig.subplots(1, 2, width_ratios=[1.6, 1.0])
        b = _bowdle()
        step = b["step_duration_min"]
        n = len(b["targets_ng_ml"])
        t = np.arange(0.0, (n + 1) * step + 1e-9, 0.5)
        for k in range(n):
            ax.axvline(k * step + b["vas_time_after_step_min"], color=C["purple"], lw=0.8, ls=":")
            ax.axvline(k * step + b["sample_time_after_step_min"], color="#999999", lw=0.8, ls="-.")
        (self._target,) = ax.plot(t, np.zeros_like(t), color=C["black"], lw=1.2, drawstyle="steps-post",
                                  label="target", animated=True)
        (self._plasma,) = ax.plot(t, np.zeros_like(t), color=C["blue"], label="plasma", animated=True)
        (self._effect,) = ax.plot(t, np.zeros_like(t), color=C["vermillion"], ls="--", label="effect site",
                                  animated=True)
        self._cursor = ax.axvline(50.0, color="#333333", lw=1.0, animated=True)
        ax.set_xlim(0, t[-1])
        ax.set_ylim(0, 450)
        ax.set_xlabel("time (min); dotted: VAS at 20 min,\ndash-dot: sample at 28 min of each step" if slim else
                      "time (min); dotted: VAS at 20 min, dash-dot: sample at 28 min of each step", fontsize=8)
        ax.set_ylabel("concentration (ng/mL)")
        axr = ax.twinx()
        (self._rate,) = axr.plot(t, np.zeros_like(t), color=C["green"], lw=1.2, ls=(0, (1, 1)),
                                 label="infused so far", animated=True)
        axr.set_ylim(0, 90)
        axr.set_ylabel("infused so far (mg)", color=C["green"])
        axr.spines["right"].set_visible(True)
        axr.grid(False)
        ax.legend(handles=[self._target, self._plasma, self._effect, self._rate], loc="upper left", fontsize=7,
                  frameon=False, ncols=2)
        c = np.linspace(0.0, 250.0, 51)
        ax2.plot(c, c / 200.0, color=C["purple"], lw=1.5, label=f"measured shape: linear\n(R {b['vas_linear_r_low']:g}–"
                 f"{b['vas_linear_r_high']:g}, all 13 items)")
        (self._vas_pts,) = ax2.plot([], [], "s", color=C["vermillion"], ms=6, label="model effect site at VAS time",
                                    animated=True)
        (self._now,) = ax2.plot([], [], "o", color=C["blue"], ms=8, mfc="none", mew=2, label="cursor (effect site)",
                                animated=True)
        ax2.set_xlim(0, 250)
        ax2.set_ylim(0, 1.3)
        ax2.set_xlabel("concentration (ng/mL)")
        ax2.set_ylabel("VAS, fraction of its 200 ng/mL value")
        ax2.legend(loc="upper left", fontsize=7, frameon=False)
        self._readout = ax2.text(0.98, 0.02, "", transform=ax2.transAxes, ha="right", va="bottom", fontsize=7,
                                 animated=True, bbox=dict(facecolor="white", alpha=0.85, edgecolor="#cccccc"))
        fig.supxlabel(_fit(fig, "Model illustration: typical 70 kg adult, racemic ketamine. Bowdle's VAS slopes were "
                      "not retrieved,\nso only the shape of the relation is drawn."), fontsize=7, color="#555555")

    def _compute(self, model, mode):
        return _tci_run(model, mode, self.weight_kg)

    def _vas_effect(self, res, sim):
        b = _bowdle()
        times = np.array([k * b["step_duration_min"] + b["vas_time_after_step_min"]
                          for k in range(len(b["targets_ng_ml"]))])
        return times, np.interp(times, sim.times_min, sim.effect_ng_ml)

    def _update(self, time_min, model, mode):
        res, sim = self._compute(model, mode)
        t = sim.times_min
        self._target.set_ydata(res.target_at(t))
        self._plasma.set_ydata(sim.conc_ng_ml)
        self._effect.set_ydata(sim.effect_ng_ml)
        ends = res.start_times_min + res.interval_min
        self._rate.set_ydata(np.interp(t, np.concatenate([[0.0], ends]),
                                       np.concatenate([[0.0], res.cumulative_dose_mg()])))
        self._cursor.set_xdata([time_min, time_min])
        _vt, ce_vas = self._vas_effect(res, sim)
        self._vas_pts.set_data(ce_vas, ce_vas / 200.0)
        cp_now = float(np.interp(time_min, t, sim.conc_ng_ml))
        ce_now = float(np.interp(time_min, t, sim.effect_ng_ml))
        self._now.set_data([min(ce_now, 250.0)], [min(ce_now, 250.0) / 200.0])
        k = min(int(time_min // res.interval_min), len(res.rates_mg_per_min) - 1)
        dose = float(res.cumulative_dose_mg()[k]) if time_min < res.duration_min else res.total_dose_mg()
        set_text(self._readout,
            f"t = {time_min:.0f} min: target {float(res.target_at(time_min)[0]):.0f} ng/mL\n"
            f"plasma {cp_now:.0f}, effect site {ce_now:.0f} ng/mL\n"
            f"infused so far {dose:.0f} mg ({pk.get_model(model).name.split(' (')[0]}, {mode})")

    def alt_text(self, time_min, model, mode):
        res, sim = self._compute(model, mode)
        cp_now = float(np.interp(time_min, sim.times_min, sim.conc_ng_ml))
        ce_now = float(np.interp(time_min, sim.times_min, sim.effect_ng_ml))
        _vt, ce_vas = self._vas_effect(res, sim)
        return (f"Stepped target-controlled infusion to 50, 100, 150 and 200 ng/mL for 30 min each, targeting {mode} "
                f"concentration with the {pk.get_model(model).name.split(' (')[0]} parameters. At {time_min:.0f} min "
                f"the target is {float(res.target_at(time_min)[0]):.0f} ng/mL, plasma {cp_now:.0f} and effect site "
                f"{ce_now:.0f} ng/mL. At the four VAS times the effect site is at "
                f"{', '.join(f'{v:.0f}' for v in ce_vas)} ng/mL, on a straight concentration–effect line.")


# --------------------------------------------------------------------------- (c) species translator
class SpeciesDoseTranslator(ModelWidget):
    """Where an animal dose lands on the human concentration bands, copied per kg or scaled by body surface area."""

    title = "Species dose translator: a rodent dose on the human concentration bands"
    figsize = (7.6, 3.7)
    phone_figsize = (3.5, 7.0)
    scrub = ScrubSpec("dose_mg_per_kg", values=(1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0),
                      label="{:g} mg/kg in the animal")
    units = {"dose_mg_per_kg": "mg/kg"}
    _SPECIES = (("mouse", "mouse"), ("rat", "rat"))
    _ROUTES = (("IV over 40 min", "iv_infusion_40"), ("intramuscular injection", "im"))

    def _make_controls(self):
        return {
            "dose_mg_per_kg": W.FloatSlider(value=10.0, min=0.5, max=100.0, step=0.5,
                                            description="Animal dose (mg/kg)"),
            "species": W.Dropdown(options=list(self._SPECIES), value="mouse", description="Species"),
            "human_route": W.Dropdown(options=list(self._ROUTES), value="iv_infusion_40",
                                      description="Human given it as"),
        }

    def _build_figure(self, fig):
        ax, ax2 = fig.subplots(2, 1) if narrow(fig) else fig.subplots(1, 2, width_ratios=[1.5, 1.0])
        bands = load_table("concentration_bands")["bands"]
        for key, colour in _BAND_COLOURS.items():
            b = bands[key]
            ax.axvspan(b["low_ng_ml"], b["high_ng_ml"], color=colour, alpha=0.3, lw=0)
            ax.text(np.sqrt(b["low_ng_ml"] * b["high_ng_ml"]), 0.97, b["label"], ha="center", va="top", fontsize=7,
                    rotation=90, color="#333333", transform=ax.get_xaxis_transform())
        ax.set_xscale("log")
        ax.set_xlim(10, 1e5)
        _plain_log_axis(ax.xaxis)
        ax.set_ylim(0, 3)
        ax.set_yticks([0.8, 1.8])
        ax.set_yticklabels(["body-surface-area\nHED", "mg/kg copied\nunchanged"], fontsize=7.5)
        ax.set_xlabel(_fit(fig, "predicted human peak plasma concentration (ng/mL)", 40))
        (self._naive,) = ax.plot([100.0], [1.8], "D", color=C["vermillion"], ms=9, animated=True)
        (self._hed,) = ax.plot([100.0], [0.8], "o", color=C["blue"], ms=9, animated=True)
        self._label_naive = ax.text(100.0, 2.1, "", ha="center", fontsize=7.5, animated=True)
        self._label_hed = ax.text(100.0, 1.1, "", ha="center", fontsize=7.5, animated=True)
        hl = translation.elimination_half_lives_min()
        t = np.linspace(0.0, 240.0, 241)
        ax2.plot(t, 0.5 ** (t / hl["human"]), color=C["blue"], label=f"human, t½ ≈ {hl['human'] / 60:.0f} h")
        ax2.plot(t, 0.5 ** (t / hl["mouse"]), color=C["vermillion"], ls="--", label=f"mouse, t½ ≈ {hl['mouse']:.0f} min")
        ax2.set_xlim(0, 240)
        ax2.set_ylim(0, 1.05)
        ax2.set_xlabel("time after the peak (min)")
        ax2.set_ylabel("fraction of peak remaining")
        ax2.set_title("elimination (Ma et al. 2023)", fontsize=8.5)
        ax2.legend(loc="upper right", fontsize=7, frameon=False)
        self._readout = ax.text(0.01, 0.02, "", transform=ax.transAxes, fontsize=7.2, va="bottom", animated=True,
                                bbox=dict(facecolor="white", alpha=0.85, edgecolor="#cccccc"))
        fig.supxlabel(_fit(fig, "Model illustration: 70 kg adult, Domino 1982 racemic parameters; bands from Zanos "
                      "2018.\nThe body-surface-area rule was made for safe starting doses, not for matching "
                      "concentrations."), fontsize=7, color="#555555")

    def _compute(self, dose_mg_per_kg, species, human_route):
        hed = float(translation.human_equivalent_dose_mg_per_kg(dose_mg_per_kg, species))
        naive_peak = float(translation.human_peak_ng_ml(dose_mg_per_kg, human_route))
        hed_peak = float(translation.human_peak_ng_ml(hed, human_route))
        return hed, naive_peak, hed_peak

    @staticmethod
    def _band_of(conc: float) -> str:
        bands = load_table("concentration_bands")["bands"]
        hits = [bands[k]["label"] for k in ("analgesia", "dissociation", "anaesthesia")
                if bands[k]["low_ng_ml"] <= conc <= bands[k]["high_ng_ml"]]
        if hits:
            return " and ".join(hits) + " band"
        if conc > bands["anaesthesia"]["high_ng_ml"]:
            return "above the anaesthesia band"
        if conc < bands["analgesia"]["low_ng_ml"]:
            return "below the analgesia band"
        return "between bands"

    def _update(self, dose_mg_per_kg, species, human_route):
        hed, naive_peak, hed_peak = self._compute(dose_mg_per_kg, species, human_route)
        for marker, label, conc, y in ((self._naive, self._label_naive, naive_peak, 2.1),
                                       (self._hed, self._label_hed, hed_peak, 1.1)):
            x = min(max(conc, 11.0), 9.5e4)
            marker.set_xdata([x])
            label.set_position((x, y))
            label.set_text(f"{conc:,.0f} ng/mL")
        km = translation.km_factor(species)
        set_text(self._readout,
            f"{dose_mg_per_kg:g} mg/kg in a {species} → HED {hed:.2f} mg/kg (× {km:g}/37)\n"
            f"copied: {self._band_of(naive_peak)}; HED: {self._band_of(hed_peak)}")

    def alt_text(self, dose_mg_per_kg, species, human_route):
        hed, naive_peak, hed_peak = self._compute(dose_mg_per_kg, species, human_route)
        route = dict((v, k) for k, v in self._ROUTES)[human_route]
        return (f"{dose_mg_per_kg:g} mg/kg in a {species} scales by body surface area to a human equivalent dose of "
                f"{hed:.2f} mg/kg. Given {route} to a typical adult, the copied mg/kg dose would peak at about "
                f"{naive_peak:,.0f} ng/mL ({self._band_of(naive_peak)}) and the scaled dose at about {hed_peak:,.0f} "
                f"ng/mL ({self._band_of(hed_peak)}). A second panel shows ketamine cleared far faster in mice "
                "(half-life about 13 min) than in humans (about 3 h).")
