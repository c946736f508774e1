"""Chapter 2 dose-response widgets: several effects on one concentration axis, a curve of your
own (potency, efficacy, steepness), and hysteresis loops from the effect-site lag.

The models are in :mod:`ketacourse.pd` (published parameters from ``data/pd_models.toml``) and
:mod:`ketacourse.pk` (the effect compartment); these classes only draw them. Every curve is a
model illustration for the stated source and population, not a prediction for any person.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from .. import pd, pk
from ..data import load_table
from .base import ModelWidget, ScrubSpec
from .phone_layout import legend_kwargs, narrow, set_text
from .style import OKABE_ITO as C

__all__ = ["DoseResponseExplorer", "HysteresisExplorer"]

_COMPOUNDS = (("S", C["vermillion"], "-"), ("racemic", C["blue"], "-"), ("R", C["green"], "-."))
_BANDS = (("analgesia", C["sky_blue"]), ("dissociation", C["yellow"]), ("antidepressant", C["purple"]),
          ("anaesthesia", C["grey"]))


def _two_lines(label: str) -> str:
    """A band label broken at its middle space (a phone frame's narrow axis labels)."""
    words = label.split(" ")
    if len(words) < 2:
        return label
    cut = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


def _log_x(ax, low: float, high: float) -> None:
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


# Round values per decade for a log-scale control: the numbers a learner expects to read (185 ng/mL
# is 185, not the 186 a log slider's 0.01 exponent step gives), evenly spaced on a log axis.
_MANTISSAS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0)


def round_ladder(low: float, high: float, also: tuple[float, ...] = ()) -> tuple[float, ...]:
    """Round values from ``low`` to ``high`` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 7 per decade), plus ``also``.

    Parameters
    ----------
    low, high : float
        The range, both included (each a value of the ladder).
    also : tuple of float
        Values the course names (a scrubber's values, a default) added to the ladder.
    """
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    values = {round(m * 10.0**d, 6) for d in decades for m in _MANTISSAS} | {float(v) for v in also}
    return tuple(sorted(v for v in values if low - 1e-9 <= v <= high + 1e-9))


def _log_choice(values: tuple[float, ...], value: float, description: str) -> W.SelectionSlider:
    """A slider over ``values`` (a log-spaced ladder), showing each value as a learner writes it."""
    return W.SelectionSlider(options=[(f"{v:g}", v) for v in values], value=value, description=description)


def _fmt_conc(c: float) -> str:
    return f"{c:.0f} ng/mL" if c < 10000 else f"{c / 1000:.1f} µg/mL"


# --------------------------------------------------------------------------- dose-response
class DoseResponseExplorer(ModelWidget):
    """Published effects of ketamine on one concentration axis, plus a curve you build.

    Top: the concentration ranges tabulated for analgesia, dissociation, the antidepressant
    infusion peak and anaesthesia (Zanos 2018, racemic plasma) and the range over which Bowdle
    1998 found psychedelic effects linear in concentration, drawn as ranges because no
    concentration-effect model with published parameters exists for them. Bottom: EEG slowing by
    enantiomer (Schüttler 1987; Hill coefficient not reported, drawn as 1) and, optionally, a
    sigmoid Emax curve with your own Emax, EC50 and Hill coefficient.
    """

    title = "From concentration to effect: EEG slowing by enantiomer, clinical ranges, your own curve"
    figsize = (7.6, 4.6)
    phone_figsize = (3.5, 8.0)
    scrub = ScrubSpec("conc_ng_ml", values=(30, 70, 120, 185, 300, 500, 1200, 2000, 4000, 10000),
                      label="{:g} ng/mL")
    units = {"conc_ng_ml": "ng/mL", "emax_hz": "Hz", "ec50_ng_ml": "ng/mL"}
    x_range = (10.0, 20000.0)
    grid = np.geomspace(10.0, 20000.0, 400)

    def _make_controls(self):
        return {
            "conc_ng_ml": _log_choice(round_ladder(10.0, 20000.0, also=(185.0, *self.scrub.values)), 185.0,
                                      "Concentration (ng/mL)"),
            "custom": W.Checkbox(value=True, description="Show your own curve"),
            "emax_hz": W.FloatSlider(value=6.0, min=0.0, max=10.0, step=0.1, description="Your Emax (Hz)"),
            "ec50_ng_ml": _log_choice(round_ladder(10.0, 10000.0), 300.0, "Your EC50 (ng/mL)"),
            "hill": W.FloatSlider(value=2.0, min=0.5, max=5.0, step=0.1, description="Your Hill coefficient"),
        }

    def _build_figure(self, fig):
        slim = narrow(fig)
        if slim:  # a phone frame: the readout goes in a strip under the plots, which the layout leaves free
            fig.get_layout_engine().set(rect=(0, 1.05 / fig.get_figheight(), 1, 1 - 1.05 / fig.get_figheight()))
        top, ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1.25, 3]})
        bands = load_table("concentration_bands")["bands"]
        rows = []
        for i, (key, colour) in enumerate(_BANDS):
            b = bands[key]
            lo, hi = b["low_ng_ml"], b["high_ng_ml"]
            if hi > lo:
                top.barh(i, hi - lo, left=lo, height=0.6, color=colour, alpha=0.6, lw=0)
            else:
                top.plot([lo], [i], marker="D", ms=6, color=colour, ls="none")
            rows.append(_two_lines(b["label"]) if slim else b["label"])
        bow = pd.linear_range("bowdle1998")
        top.barh(len(rows), bow["high_ng_ml"] - bow["low_ng_ml"], left=bow["low_ng_ml"], height=0.6,
                 color=C["orange"], alpha=0.6, lw=0, hatch="//", edgecolor="white")
        rows.append("psychedelic\nVAS linear" if slim else "psychedelic VAS linear")
        top.set_yticks(range(len(rows)), rows, fontsize=7)
        top.set_ylim(len(rows) - 0.5, -0.5)
        top.grid(False, axis="y")
        top.set_title("Published ranges, not curves (racemic plasma;\nZanos 2018, Bowdle 1998; diamond: one value)"
                      if slim else
                      "Published ranges, not curves (racemic plasma; Zanos 2018, Bowdle 1998; diamond: one value)",
                      fontsize=8.5, loc="right" if slim else "left")
        for compound, colour, ls in _COMPOUNDS:
            m = pd.schuttler_eeg(compound)
            ax.plot(self.grid, m.effect(self.grid), color=colour, ls=ls, label=f"{m.label} (Schüttler 1987)")
            ax.plot([m.ec50_ng_ml], [m.emax / 2], "o", color=colour, ms=5)
        (self._custom,) = ax.plot(self.grid, np.zeros_like(self.grid), color=C["black"], ls="--", lw=1.8,
                                  label="your curve", animated=True)
        (self._custom_mid,) = ax.plot([300.0], [3.0], "s", color=C["black"], ms=5, animated=True)
        self._vline = ax.axvline(185.0, color="#333333", lw=1, animated=True)
        self._vline_top = top.axvline(185.0, color="#333333", lw=1, animated=True)
        _log_x(ax, *self.x_range)
        ax.set_ylim(0, 11 if slim else 15.5)  # desktop: room for the readout at the top
        ax.set_yticks(range(0, 11, 2))
        ax.set_xlabel("serum or plasma concentration of the\ndrug given (ng/mL, log scale)" if slim else
                      "serum or plasma concentration of the drug given (ng/mL, log scale)")
        ax.set_ylabel("fall in EEG median\nfrequency (Hz)")
        ax.legend(fontsize=7.2, **legend_kwargs(fig, {"loc": "upper left", "frameon": False}, below=-0.3))
        self._readout = (fig.text(0.02, 0.01, "", va="bottom", fontsize=7.5, family="monospace", animated=True)
                         if slim else ax.text(0.995, 0.985, "", transform=ax.transAxes, ha="right", va="top",
                                              fontsize=7.2, family="monospace", animated=True,
                                              bbox=dict(facecolor="white", alpha=0.9, edgecolor="#cccccc")))
        ax.text(0.995, 0.02, "Dots: IC50 (half of each Emax).\nHill coefficient not reported\nby Schüttler: drawn as 1.",
                transform=ax.transAxes, fontsize=6.8, color="#555555", va="bottom", ha="right")

    @staticmethod
    def _bands_at(conc: float) -> list[str]:
        bands = load_table("concentration_bands")["bands"]
        inside = [bands[k]["label"] for k, _c in _BANDS if bands[k]["low_ng_ml"] <= conc <= bands[k]["high_ng_ml"]]
        bow = pd.linear_range("bowdle1998")
        if bow["low_ng_ml"] <= conc <= bow["high_ng_ml"]:
            inside.append("Bowdle linear range")
        return inside

    def _lines(self, conc_ng_ml, custom, emax_hz, ec50_ng_ml, hill) -> list[str]:
        lines = [f"at {_fmt_conc(conc_ng_ml)}:"]
        for compound, _c, _ls in _COMPOUNDS:
            m = pd.schuttler_eeg(compound)
            e = m.effect(conc_ng_ml)
            lines.append(f"{compound:<8}{e:4.1f} Hz ({100 * e / m.emax:3.0f}% of its max)")
        if custom:
            e = pd.sigmoid_emax(conc_ng_ml, emax_hz, ec50_ng_ml, hill)
            lines.append(f"yours   {e:4.1f} Hz; 10->90% needs x{pd.window_ratio(hill):.3g}")
        inside = self._bands_at(conc_ng_ml)
        lines.append("in range: " + (", ".join(inside) if inside else "none tabulated"))
        return lines

    def _update(self, conc_ng_ml, custom, emax_hz, ec50_ng_ml, hill):
        self._vline.set_xdata([conc_ng_ml] * 2)
        self._vline_top.set_xdata([conc_ng_ml] * 2)
        self._custom.set_ydata(pd.sigmoid_emax(self.grid, emax_hz, ec50_ng_ml, hill))
        self._custom_mid.set_data([ec50_ng_ml], [emax_hz / 2])
        self._custom.set_visible(bool(custom))
        self._custom_mid.set_visible(bool(custom))
        set_text(self._readout, "\n".join(self._lines(conc_ng_ml, custom, emax_hz, ec50_ng_ml, hill)), chars=44)

    def alt_text(self, conc_ng_ml, custom, emax_hz, ec50_ng_ml, hill):
        parts = []
        for compound, _c, _ls in _COMPOUNDS:
            m = pd.schuttler_eeg(compound)
            parts.append(f"{m.label} {m.effect(conc_ng_ml):.1f} Hz of its maximum {m.emax:g} Hz")
        inside = self._bands_at(conc_ng_ml)
        own = ""
        if custom:
            own = (f" A dashed curve of your own (Emax {emax_hz:g} Hz, EC50 {ec50_ng_ml:.0f} ng/mL, Hill "
                   f"{hill:g}) gives {pd.sigmoid_emax(conc_ng_ml, emax_hz, ec50_ng_ml, hill):.1f} Hz.")
        return ("Concentration-effect curves on a log concentration axis from 10 to 20,000 ng/mL: EEG slowing "
                "by S-ketamine, racemic ketamine and R-ketamine (Schüttler 1987), with IC50 marked, below bars "
                "for the published analgesia, dissociation, antidepressant-peak and anaesthesia ranges. "
                f"At the marked concentration of {conc_ng_ml:.0f} ng/mL: " + "; ".join(parts) + ". "
                + ("It lies in the " + ", ".join(inside) + " range." if inside else "No tabulated range contains it.")
                + own)


# --------------------------------------------------------------------------- hysteresis
class HysteresisExplorer(ModelWidget):
    """After an IV bolus the effect lags the plasma concentration: a loop on the plasma axis,
    one curve on the effect-site axis.

    The bolus is injected over 1 min, as the Ketalar label advises (``injection_min``). PK: Domino
    1982 racemic set, 70 kg; effect site with ``ke0 = ln 2 / t½ke0`` (default the
    package's sourced 6.1 min, Olofsen 2012). PD: Schüttler 1987 racemic EEG model.
    """

    title = "Hysteresis: effect against plasma and against effect-site concentration after a bolus"
    figsize = (7.6, 3.9)
    phone_figsize = (3.5, 6.6)
    scrub = ScrubSpec("t_half_ke0_min", values=(0.5, 1.0, 2.0, 4.0, 6.1, 8.0, 12.0), label="{:g} min")
    units = {"dose_mg_per_kg": "mg/kg", "t_half_ke0_min": "min"}
    pk_model = "domino1982"
    pd_model = "schuttler1987_racemic"
    weight_kg = 70.0
    times_min = np.concatenate([np.arange(0.0, 10.0, 0.05), np.arange(10.0, 120.01, 0.5)])
    marks_min = (1.0, 3.0, 10.0, 30.0)
    injection_min = 1.0  # "give slowly (over 60 seconds)": parnd

    def _make_controls(self):
        t_half = float(np.log(2.0) / pk.default_ke0_per_min())
        return {
            "t_half_ke0_min": W.FloatSlider(value=round(t_half, 1), min=0.2, max=15.0, step=0.1,
                                            description="Effect-site t½ke0 (min)"),
            "dose_mg_per_kg": W.FloatSlider(value=1.0, min=0.25, max=2.5, step=0.05,
                                            description="IV bolus over 1 min (mg/kg of base)"),
        }

    def _build_figure(self, fig):
        ax1, ax2 = fig.subplots(2, 1) if narrow(fig) else fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
        t = self.times_min
        ones = np.ones_like(t)
        (self._cp,) = ax1.plot(t, ones, color=C["blue"], label="plasma", animated=True)
        (self._ce,) = ax1.plot(t, ones, color=C["vermillion"], ls="--", label="effect site", animated=True)
        ax1.set_yscale("log")
        ax1.set_ylim(10, 50000)
        ax1.yaxis.set_major_formatter(FuncFormatter(lambda y, _p: f"{y:g}"))
        ax1.yaxis.set_minor_formatter(NullFormatter())
        ax1.set_xlim(0, 60)
        ax1.set_xlabel("time from the start of the injection (min)")
        ax1.set_ylabel("concentration (ng/mL)")
        ax1.legend(loc="upper right", fontsize=7.5, frameon=False)
        ax1.text(0.98, 0.80, "Domino 1982 (racemic, 70 kg)\n+ Schüttler 1987 EEG model\n(Hill drawn as 1)\ndots: 1, 3, 10, 30 min",
                 transform=ax1.transAxes, ha="right", va="top", fontsize=6.8, color="#555555")
        ax1.set_title("Concentrations", fontsize=9.5)
        (self._loop_p,) = ax2.plot(t, ones, color=C["blue"], label="against plasma", animated=True)
        (self._loop_e,) = ax2.plot(t, ones, color=C["vermillion"], ls="--", label="against effect site", animated=True)
        (self._marks_p,) = ax2.plot([1.0], [1.0], "o", color=C["blue"], ms=4, animated=True)
        (self._marks_e,) = ax2.plot([1.0], [1.0], "o", color=C["vermillion"], ms=4, animated=True)
        _log_x(ax2, 10, 50000)
        ax2.set_ylim(0, 9.5)
        ax2.set_xlabel("concentration (ng/mL, log scale)")
        ax2.set_ylabel("fall in EEG median frequency (Hz)")
        ax2.legend(loc="upper left", fontsize=7.5, frameon=False)
        ax2.set_title("Effect against concentration", fontsize=9.5)
        self._readout = ax2.text(0.98, 0.98, "", transform=ax2.transAxes, va="top", ha="right", fontsize=7.2, animated=True,
                                 bbox=dict(facecolor="white", alpha=0.9, edgecolor="#cccccc"))

    def _compute(self, t_half_ke0_min, dose_mg_per_kg):
        return pd.simulate_effect(self.pd_model, self.pk_model, pk.infusion(dose_mg_per_kg=dose_mg_per_kg, duration_min=self.injection_min),
                                  self.weight_kg, self.times_min, ke0_per_min=np.log(2.0) / t_half_ke0_min, warn=False)

    def _update(self, t_half_ke0_min, dose_mg_per_kg):
        r = self._compute(t_half_ke0_min, dose_mg_per_kg)
        floor = 1.0
        cp, ce = np.maximum(r.plasma_ng_ml, floor), np.maximum(r.effect_site_ng_ml, floor)
        self._cp.set_ydata(cp)
        self._ce.set_ydata(ce)
        self._loop_p.set_data(cp, r.effect)
        self._loop_e.set_data(ce, r.effect)
        idx = np.searchsorted(self.times_min, self.marks_min)
        self._marks_p.set_data(cp[idx], r.effect[idx])
        self._marks_e.set_data(ce[idx], r.effect[idx])
        set_text(self._readout, self._summary(r), chars=40)

    def _summary(self, r) -> str:
        i = int(np.argmax(r.effect_site_ng_ml))
        return (f"effect-site peak {r.effect_site_ng_ml[i]:.0f} ng/mL\nat {r.times_min[i]:.1f} min "
                f"(plasma peak at {r.times_min[np.argmax(r.plasma_ng_ml)]:.0f} min)\nmax effect {r.effect[i]:.1f} Hz\n"
                f"loop area (computed, 0-2 h):\n plasma axis {r.loop_area('plasma'):.2f}\n"
                f" effect-site axis {r.loop_area('effect'):.3f}")

    def alt_text(self, t_half_ke0_min, dose_mg_per_kg):
        r = self._compute(t_half_ke0_min, dose_mg_per_kg)
        i = int(np.argmax(r.effect_site_ng_ml))
        return (f"Two panels for a {dose_mg_per_kg:g} mg/kg IV bolus of racemic ketamine injected over 1 min, with an "
                f"effect-site equilibration half-time of {t_half_ke0_min:g} min. Left: plasma concentration peaks at the "
                f"end of the injection and falls steeply while the effect-site concentration rises to {r.effect_site_ng_ml[i]:.0f} ng/mL at "
                f"{r.times_min[i]:.1f} min. Right: EEG slowing plotted against plasma concentration traces an "
                f"anticlockwise loop (normalised area {r.loop_area('plasma'):.2f}); against effect-site concentration "
                f"it follows a single curve (area {r.loop_area('effect'):.3f}).")
