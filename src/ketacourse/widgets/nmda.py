"""Chapter 1 widgets: the NMDA receptor, occupancy, current–voltage and use-dependence.

Each class is a :class:`~ketacourse.widgets.base.ModelWidget`: the model lives in
:mod:`ketacourse.receptor` and :mod:`ketacourse.channel`; these classes only draw it.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib import patches
from matplotlib.ticker import FuncFormatter

from .. import channel, receptor
from ..data import load_table
from .base import ModelWidget, ScrubSpec
from .phone_layout import legend_kwargs, narrow, panels, set_text
from .style import OKABE_ITO as C

__all__ = ["ReceptorExplorer", "OccupancyExplorer", "IVExplorer", "UseDependenceExplorer"]

_STATE_COLOURS = {"conducting": C["green"], "mg_blocked": C["sky_blue"], "ketamine_blocked": C["vermillion"]}
_STATE_LABELS = {"conducting": "conducting", "mg_blocked": "Mg²⁺ in pore", "ketamine_blocked": "ketamine in pore"}


def _plain_log_formatter():
    return FuncFormatter(lambda x, _pos: f"{x:g}")


# --------------------------------------------------------------------------- (a) receptor
class ReceptorExplorer(ModelWidget):
    """A side view of one NMDA receptor in the membrane, its pore and its current.

    Controls: glutamate and glycine bound, membrane voltage, extracellular Mg2+ and free
    ketamine. Shows the channel state, what occupies the pore (steady state, see
    :func:`ketacourse.channel.pore_states`) and the current relative to an unblocked channel
    at −100 mV.
    """

    title = "The NMDA receptor: agonists, voltage, Mg²⁺ and ketamine"
    figsize = (7.6, 3.9)
    phone_figsize = (3.5, 6.6)
    scrub = ScrubSpec("voltage_mv", values=tuple(range(-100, 41, 10)), label="{:.0f} mV")
    units = {"voltage_mv": "mV", "mg_mm": "mM", "ketamine_um": "µM"}

    def _make_controls(self):
        return {
            "glutamate": W.Checkbox(value=True, description="Glutamate bound (GluN2)"),
            "glycine": W.Checkbox(value=True, description="Glycine bound (GluN1)"),
            "voltage_mv": W.FloatSlider(value=-60, min=-100, max=40, step=5, description="Membrane voltage (mV)"),
            "mg_mm": W.FloatSlider(value=1.0, min=0, max=2, step=0.1, description="Extracellular Mg²⁺ (mM)"),
            "ketamine_um": W.FloatSlider(value=0.0, min=0, max=10, step=0.1, description="Free ketamine (µM)"),
        }

    def _build_figure(self, fig):
        slim = narrow(fig)
        gs = panels(fig, 2, width_ratios=[1.35, 1], height_ratios=[1.5, 1])
        ax = fig.add_subplot(gs[0])
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        ax.set_axis_off()
        # membrane
        ax.add_patch(patches.Rectangle((0, 3.4), 10, 2.2, color="#E8E3D8", zorder=0))
        ax.text(0.15, 9.4, "outside", fontsize=8.5, color="#555555")
        ax.text(0.15, 0.3, "inside", fontsize=8.5, color="#555555")
        self._voltage_text = ax.text(0.15, 1.3, "", fontsize=8.5, color="#333333", animated=True)  # clear of GluN1
        # subunits (side view: one GluN1, one GluN2)
        for x0, colour, name in ((2.3, C["blue"], "GluN1"), (5.9, C["orange"], "GluN2")):
            ax.add_patch(patches.FancyBboxPatch((x0, 2.6), 1.8, 6.0, boxstyle="round,pad=0.1,rounding_size=0.4",
                                                facecolor=colour, alpha=0.35, edgecolor=colour, lw=1.5))
            ax.text(x0 + 0.9, 8.9, name, ha="center", fontsize=9, color="#222222", weight="bold")
        # agonist sites
        self._gly = patches.Circle((2.3, 7.2), 0.45, facecolor=C["green"], edgecolor=C["green"], lw=1.5, animated=True)
        self._glu = patches.Circle((7.7, 7.2), 0.45, facecolor=C["vermillion"], edgecolor=C["vermillion"], lw=1.5,
                                  animated=True)
        ax.add_patch(self._gly)
        ax.add_patch(self._glu)
        ax.text(1.7, 7.2, "glycine\nsite", ha="right", va="center", fontsize=7.5)
        ax.text(8.3, 7.2, "glutamate\nsite", ha="left", va="center", fontsize=7.5)
        # pore and gate
        ax.add_patch(patches.Rectangle((4.3, 2.6), 1.4, 6.0, facecolor="white", edgecolor="none", zorder=1))
        self._gate = patches.Rectangle((4.3, 2.7), 1.4, 0.45, facecolor="#444444", zorder=3, animated=True)
        ax.add_patch(self._gate)
        self._mg = patches.Circle((5.0, 4.0), 0.32, facecolor=C["sky_blue"], edgecolor="#1a5f8a", zorder=4, animated=True)
        self._ket = patches.RegularPolygon((5.0, 5.0), numVertices=6, radius=0.42, facecolor=C["vermillion"],
                                           edgecolor="#7a3300", zorder=4, animated=True)
        ax.add_patch(self._mg)
        ax.add_patch(self._ket)
        self._mg_label = ax.text(5.85, 4.0, "Mg²⁺", fontsize=7.5, va="center", zorder=5, animated=True)
        self._ket_label = ax.text(5.85, 5.05, "ketamine\n(PCP site)", fontsize=7.5, va="center", zorder=5,
                                      animated=True)
        self._flow = patches.FancyArrow(5.0, 9.2, 0, -8.0, width=0.2, head_width=0.6, head_length=0.6,
                                        color=C["green"], alpha=0.8, zorder=2, animated=True)
        ax.add_patch(self._flow)
        self._state_text = ax.text(5.0, -0.6, "", ha="center", va="top", fontsize=9, weight="bold",
                                   clip_on=False, animated=True)
        self._slim = slim
        # right: pore states and current
        axb = fig.add_subplot(gs[1])
        self._bars = axb.barh([2, 1, 0], [0, 0, 0], color=[_STATE_COLOURS[k] for k in _STATE_COLOURS],
                              height=0.6)
        self._cur_bar = axb.barh([-1.3], [0], color=C["black"], height=0.6)
        axb.set_yticks([2, 1, 0, -1.3], [*_STATE_LABELS.values(), "relative current"])
        axb.set_xlim(0, 1.05)
        axb.set_ylim(-2.0, 2.6)
        axb.set_xlabel("fraction of open channels\n(current: relative to unblocked\nat −100 mV)" if slim else
                       "fraction of open channels\n(current: relative to unblocked at −100 mV)", fontsize=8.5)
        axb.set_title("Pore, at steady state", fontsize=10, pad=30 if slim else 6)
        if slim:  # a phone frame: the state line goes under the bar panel's title
            self._state_text.remove()
            self._state_text = axb.text(0.45, 1.02, "", transform=axb.transAxes, ha="center", va="bottom",
                                        fontsize=9, weight="bold", animated=True)
        self._bar_text = [axb.text(0, y, "", va="center", fontsize=8.5, animated=True) for y in (2, 1, 0, -1.3)]
        for bar in (*self._bars, *self._cur_bar):
            bar.set_animated(True)

    def _model(self, glutamate, glycine, voltage_mv, mg_mm, ketamine_um):
        states = channel.pore_states(voltage_mv, mg_mm, ketamine_um)
        is_open = bool(glutamate and glycine)
        rel = float(abs(channel.iv_curve([voltage_mv], mg_mm, ketamine_um)[0])) if is_open else 0.0
        return is_open, {k: float(v) for k, v in states.items()}, rel

    def _update(self, glutamate, glycine, voltage_mv, mg_mm, ketamine_um):
        is_open, states, rel = self._model(glutamate, glycine, voltage_mv, mg_mm, ketamine_um)
        self._gly.set_facecolor(C["green"] if glycine else "white")
        self._glu.set_facecolor(C["vermillion"] if glutamate else "white")
        self._gate.set_visible(not is_open)
        self._mg.set_alpha(min(1.0, 0.15 + states["mg_blocked"]) if mg_mm > 0 else 0.0)
        self._mg_label.set_alpha(1.0 if mg_mm > 0 else 0.0)
        self._ket.set_alpha(min(1.0, 0.15 + states["ketamine_blocked"]) if ketamine_um > 0 else 0.0)
        self._ket_label.set_alpha(1.0 if ketamine_um > 0 else 0.0)
        self._flow.set_alpha(0.85 if rel > 0.01 else 0.0)
        self._flow.set_linewidth(0.5 + 6 * rel)
        self._voltage_text.set_text(f"membrane\nat {voltage_mv:+.0f} mV".replace("-", "\u2212"))
        if not is_open:
            missing = [n for n, ok in (("glutamate", glutamate), ("glycine", glycine)) if not ok]
            set_text(self._state_text, f"Closed: no {' or '.join(missing)}. No current; ketamine cannot enter.",
                     chars=40)
        elif rel < 0.02 and voltage_mv != 0:
            culprit = "Mg²⁺" if states["mg_blocked"] >= states["ketamine_blocked"] else "ketamine"
            self._state_text.set_text(f"Open but blocked, mostly by {culprit}")
        else:
            self._state_text.set_text(f"Open: {100 * states['conducting']:.0f}% of the time conducting")
        for bar, key, txt in zip(self._bars, _STATE_COLOURS, self._bar_text[:3]):
            value = states[key] if is_open else 0.0
            bar.set_width(value)
            txt.set_x(value + 0.02)
            txt.set_text(f"{100 * value:.0f}%" if is_open else "closed")
        self._cur_bar[0].set_width(min(rel, 1.05))
        self._bar_text[3].set_x(min(rel, 1.05) + 0.02)
        self._bar_text[3].set_text(f"{rel:.2f}")

    def alt_text(self, glutamate, glycine, voltage_mv, mg_mm, ketamine_um):
        is_open, states, rel = self._model(glutamate, glycine, voltage_mv, mg_mm, ketamine_um)
        if not is_open:
            return (f"Diagram of an NMDA receptor at {voltage_mv:.0f} mV: the channel is closed because an "
                    "agonist is missing, so no current flows.")
        return (f"Diagram of an open NMDA receptor at {voltage_mv:.0f} mV with {mg_mm:.1f} mM Mg2+ and "
                f"{ketamine_um:.1f} µM ketamine: pore conducting {100 * states['conducting']:.0f}%, "
                f"Mg2+ in pore {100 * states['mg_blocked']:.0f}%, ketamine in pore "
                f"{100 * states['ketamine_blocked']:.0f}%; current {rel:.2f} of an unblocked channel at -100 mV.")


# --------------------------------------------------------------------------- (b) occupancy
_OCC_LIGANDS = ("esketamine", "ketamine", "arketamine", "norketamine", "hnk_2r6r")
_OCC_STYLES = {
    "esketamine": (C["vermillion"], "-"),
    "ketamine": (C["black"], "-"),
    "arketamine": (C["blue"], "-"),
    "norketamine": (C["green"], "--"),
    "hnk_2r6r": (C["purple"], ":"),
}


class OccupancyExplorer(ModelWidget):
    """NMDA receptor occupancy against total plasma concentration, with clinical bands.

    Curves use :func:`ketacourse.receptor.occupancy_from_plasma` for each ligand; shaded
    bands are the concentration ranges tabulated by Zanos et al. (2018).
    """

    title = "How many NMDA receptors does ketamine occupy?"
    figsize = (7.6, 3.9)
    phone_figsize = (3.5, 5.4)
    scrub = ScrubSpec("conc_ng_ml", values=(10, 20, 50, 100, 150, 200, 300, 500, 1000, 1500, 2000, 3000, 5000),
                      label="{:g} ng/mL")
    units = {"conc_ng_ml": "ng/mL"}

    def _make_controls(self):
        return {
            "conc_ng_ml": W.FloatLogSlider(value=185, base=10, min=0, max=4, step=0.02,
                                           description="Total plasma concentration (ng/mL)", readout_format=".0f"),
            "fraction_unbound": W.FloatSlider(value=round(receptor.fraction_unbound(), 2), min=0.3, max=1.0,
                                              step=0.01, description="Free fraction in plasma"),
        }

    def _build_figure(self, fig):
        ax = fig.add_subplot()
        self._x = np.logspace(0, 4, 200)
        bands = load_table("concentration_bands")["bands"]
        colours = {"analgesia": C["sky_blue"], "dissociation": C["yellow"], "anaesthesia": C["grey"]}
        for key, colour in colours.items():
            b = bands[key]
            ax.axvspan(b["low_ng_ml"], b["high_ng_ml"], color=colour, alpha=0.25, lw=0)
            # the two overlapping bands are labelled outside their outer edges, so the labels never meet
            x_text, text, ha = {"analgesia": (b["low_ng_ml"] * 0.97, b["label"] + " →", "right"),
                                "dissociation": (b["high_ng_ml"] * 1.03, "← " + b["label"], "left")}.get(
                key, (np.sqrt(b["low_ng_ml"] * b["high_ng_ml"]), b["label"], "center"))
            ax.text(x_text, 121 if narrow(fig) and key == "anaesthesia" else 105, text, ha=ha, va="center",
                    fontsize=7.5, clip_on=False)  # on a phone, anaesthesia's label rises above the other two
        ad = bands["antidepressant"]["low_ng_ml"]
        ax.axvline(ad, color=C["purple"], lw=1, ls="-.", alpha=0.8)
        ax.text(ad * 1.06, 95, "0.5 mg/kg\ninfusion peak", fontsize=7, va="center", color=C["purple"])
        self._lines = {}
        self._dots = {}
        for lig in _OCC_LIGANDS:
            colour, ls = _OCC_STYLES[lig]
            (self._lines[lig],) = ax.plot(self._x, np.zeros_like(self._x), color=colour, ls=ls,
                                          label=receptor.ligand_info(lig)["label"], animated=True)
            (self._dots[lig],) = ax.plot([1], [0], "o", color=colour, ms=5, animated=True)
        self._vline = ax.axvline(185, color="#333333", lw=1, animated=True)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(_plain_log_formatter())
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, _pos: ""))
        ax.set_xlim(1, 1e4)
        ax.set_ylim(0, 114)
        ax.set_xlabel("total plasma concentration (ng/mL)")
        ax.set_ylabel("NMDA receptors occupied (%)")
        ax.legend(fontsize=7.5, **legend_kwargs(fig, {"loc": "center left", "frameon": False}, below=-0.25))
        self._readout = ax.text(1.3, 96, "", fontsize=8, va="top", family="monospace",
                                bbox=dict(facecolor="white", alpha=0.85, edgecolor="#cccccc"), animated=True)

    def _occ(self, conc, fu):
        return {lig: 100 * receptor.occupancy_from_plasma(conc, lig, fraction_unbound_=fu) for lig in _OCC_LIGANDS}

    def _update(self, conc_ng_ml, fraction_unbound):
        curves = self._occ(self._x, fraction_unbound)
        at = self._occ(conc_ng_ml, fraction_unbound)
        for lig in _OCC_LIGANDS:
            self._lines[lig].set_ydata(curves[lig])
            self._dots[lig].set_data([conc_ng_ml], [at[lig]])
        self._vline.set_xdata([conc_ng_ml, conc_ng_ml])
        self._readout.set_text(
            f"at {conc_ng_ml:.0f} ng/mL (free fraction {fraction_unbound:.2f}):\n"
            + "\n".join(f"{receptor.ligand_info(l)['label'][:26]:<27}{at[l]:5.1f}%" for l in ("esketamine", "ketamine", "arketamine"))
        )

    def alt_text(self, conc_ng_ml, fraction_unbound):
        at = self._occ(conc_ng_ml, fraction_unbound)
        return (f"Occupancy curves of NMDA receptors against total plasma concentration on a log axis from 1 to "
                f"10,000 ng/mL, with analgesia, dissociation and anaesthesia bands shaded. At {conc_ng_ml:.0f} ng/mL "
                f"(free fraction {fraction_unbound:.2f}): esketamine {at['esketamine']:.0f}%, racemic ketamine "
                f"{at['ketamine']:.0f}%, arketamine {at['arketamine']:.0f}%, norketamine {at['norketamine']:.0f}%, "
                f"(2R,6R)-HNK {at['hnk_2r6r']:.1f}%.")


# --------------------------------------------------------------------------- (c) I–V
class IVExplorer(ModelWidget):
    """Current–voltage relations of the NMDA receptor without blockers, with Mg2+, and with ketamine."""

    title = "Current–voltage relation: Mg²⁺ and ketamine block"
    figsize = (7.6, 3.7)
    phone_figsize = (3.5, 3.9)
    scrub = ScrubSpec("ketamine_um", values=(0.0, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0),
                      label="{:g} µM")
    units = {"mg_mm": "mM", "ketamine_um": "µM"}

    def _make_controls(self):
        return {
            "ketamine_um": W.FloatSlider(value=1.0, min=0, max=50, step=0.1, description="Free ketamine (µM)"),
            "mg_mm": W.FloatSlider(value=1.0, min=0, max=2, step=0.1, description="Extracellular Mg²⁺ (mM)"),
        }

    def _build_figure(self, fig):
        ax = fig.add_subplot()
        self._v = np.linspace(-100, 40, 141)
        ax.plot(self._v, channel.iv_curve(self._v, 0.0, 0.0), color=C["grey"], ls="--", lw=1.5,
                label="no Mg²⁺, no ketamine")
        (self._mg_line,) = ax.plot(self._v, np.zeros_like(self._v), color=C["blue"], label="Mg²⁺ only", animated=True)
        (self._k_line,) = ax.plot(self._v, np.zeros_like(self._v), color=C["vermillion"], label="Mg²⁺ + ketamine",
                                 animated=True)
        ax.axhline(0, color="#666666", lw=0.8)
        ax.axvline(0, color="#666666", lw=0.8)
        ax.set_xlim(-100, 40)
        ax.set_ylim(-1.05, 0.45)
        ax.set_xlabel("membrane voltage (mV)")
        ax.set_ylabel("relative current")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        self._readout = ax.text(-97, 0.4, "", fontsize=8, va="top", animated=True)

    def _update(self, ketamine_um, mg_mm):
        self._mg_line.set_ydata(channel.iv_curve(self._v, mg_mm, 0.0))
        self._k_line.set_ydata(channel.iv_curve(self._v, mg_mm, ketamine_um))
        ic50 = float(channel.apparent_ketamine_ic50_um(-60.0, mg_mm))
        own = float(channel.ketamine_ic50_um(-60.0))  # voltage-dependent (Gilling et al. 2009)
        left = float(channel.pore_states(-60.0, mg_mm, ketamine_um)["conducting"])
        set_text(self._readout, chars=40, text=
            f"{ketamine_um:g} µM ketamine, {mg_mm:.1f} mM Mg²⁺: at −60 mV {100 * left:.1f}% of channels conduct;\n"
            f"ketamine's apparent IC50 at −60 mV is {ic50:.2g} µM (its own, without Mg²⁺: {own:.2g} µM)"
        )

    def alt_text(self, ketamine_um, mg_mm):
        i60 = float(channel.iv_curve([-60.0], mg_mm, ketamine_um)[0])
        i60_mg = float(channel.iv_curve([-60.0], mg_mm, 0.0)[0])
        return (f"Current-voltage curves from -100 to +40 mV. Dashed: no block, a straight line through 0 mV. "
                f"With {mg_mm:.1f} mM Mg2+ the inward current is small at negative voltages (at -60 mV "
                f"{i60_mg:.2f}); adding {ketamine_um:g} µM ketamine reduces it to {i60:.2f}.")


# --------------------------------------------------------------------------- (d) use-dependence
class UseDependenceExplorer(ModelWidget):
    """Block building up over repeated channel activations (open-channel trapping block)."""

    title = "Use-dependence: block builds with each activation"
    figsize = (7.6, 3.7)
    phone_figsize = (3.5, 4.2)
    scrub = ScrubSpec("rate_hz", values=(0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0), label="{:g} Hz")
    units = {"ketamine_um": "µM", "rate_hz": "Hz", "pulse_ms": "ms"}
    voltage_mv: float = -60.0  # sets ketamine's voltage-dependent Kd and unbinding rate (gilling2009)
    duration_s: float = 120.0

    def _make_controls(self):
        return {
            "rate_hz": W.FloatSlider(value=0.5, min=0.1, max=2.0, step=0.1,
                                     description="Activations per second (Hz)"),
            "ketamine_um": W.FloatLogSlider(value=3.0, base=10, min=-1, max=np.log10(30), step=0.05,
                                            description="Free ketamine (µM)", readout_format=".2f"),
            "pulse_ms": W.FloatSlider(value=500, min=50, max=2000, step=50,
                                      description="Agonist pulse (ms, capped at the interval)"),
        }

    def _build_figure(self, fig):
        ax = fig.add_subplot()
        (self._line,) = ax.plot([0], [0], color=C["vermillion"], lw=1.6, label="channels blocked (open or trapped)",
                              animated=True)
        (self._steps,) = ax.plot([0], [0], "o", color=C["black"], ms=3, label="after each activation", animated=True)
        self._ss = ax.axhline(0, color=C["blue"], ls="--", lw=1.2, label="steady state (analytic)", animated=True)
        ax.set_xlim(0, self.duration_s)
        ax.set_ylim(0, 1.0)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("fraction of receptors blocked")
        ax.legend(fontsize=8, **legend_kwargs(fig, {"loc": "lower right", "frameon": False}, below=-0.3))
        self._readout = ax.text(0.5, 0.96, "", fontsize=8, va="top", animated=True)

    def _simulate(self, rate_hz, ketamine_um, pulse_ms):
        """The pulse train for these controls; the last few are kept (the figure and its alt text
        need the same run, and the kernel draws the neighbouring positions ahead)."""
        key = (float(rate_hz), float(ketamine_um), float(pulse_ms))
        runs = self.__dict__.setdefault("_runs", {})
        if key not in runs:
            if len(runs) >= 16:
                runs.pop(next(iter(runs)))
            runs[key] = self._run(rate_hz, ketamine_um, pulse_ms)
        return runs[key]

    def _run(self, rate_hz, ketamine_um, pulse_ms):
        interval_ms = 1000.0 / rate_hz
        n = max(1, int(self.duration_s * rate_hz))
        model = channel.TrappingBlockModel(ketamine_um, self.voltage_mv)
        res = model.simulate_pulses(n, min(pulse_ms, interval_ms), interval_ms, samples_per_phase=8)
        return model, res, interval_ms

    def _update(self, rate_hz, ketamine_um, pulse_ms):
        model, res, interval_ms = self._simulate(rate_hz, ketamine_um, pulse_ms)
        t_s = res["t_ms"] / 1000.0
        self._line.set_data(t_s, res["blocked"])
        n = len(res["blocked_after_pulse"])
        pulse_end_s = (np.arange(n) * interval_ms + min(pulse_ms, interval_ms)) / 1000.0
        self._steps.set_data(pulse_end_s, res["blocked_after_pulse"])
        ss = model.steady_state_blocked()
        self._ss.set_ydata([ss, ss])
        half = np.flatnonzero(res["blocked_after_pulse"] >= 0.5 * ss)
        when = f"half of steady state after {half[0] + 1} activations" if half.size else "not yet half-way"
        set_text(self._readout, f"{n} activations of {pulse_ms:.0f} ms; steady state {100 * ss:.0f}% blocked; {when}",
                 chars=44)

    def alt_text(self, rate_hz, ketamine_um, pulse_ms):
        model, res, _ = self._simulate(rate_hz, ketamine_um, pulse_ms)
        return (f"Staircase rise of the blocked fraction over {self.duration_s:.0f} s with {rate_hz:g} activations "
                f"per second, {ketamine_um:.2g} µM ketamine: "
                f"{100 * res['blocked_after_pulse'][-1]:.0f}% blocked at the end, steady state "
                f"{100 * model.steady_state_blocked():.0f}%. Between activations the block stays (trapping).")
