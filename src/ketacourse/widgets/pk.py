"""Chapter 2 widgets: the PK explorer, the route comparison and the infusion designer.

The pharmacokinetics are computed by :mod:`ketacourse.pk` (exact linear solutions of published
parameter sets); these classes only draw them. Every output is a model illustration for the
stated typical patient, not a prediction for any person.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from .. import pk
from ..data import load_table
from .base import ModelWidget, ScrubSpec
from .phone_layout import narrow, set_text
from .style import OKABE_ITO as C

__all__ = ["PKExplorer", "RouteComparison", "InfusionDesigner"]

_BAND_COLOURS = {"analgesia": C["sky_blue"], "dissociation": C["yellow"], "anaesthesia": C["grey"]}

_ROUTE_CHOICES = (
    ("IV bolus", "iv_bolus"),
    ("IV infusion over 40 min", "iv_infusion_40"),
    ("intramuscular (IM)", "im"),
    ("intranasal", "intranasal"),
    ("oral", "oral"),
    ("sublingual", "sublingual"),
    ("rectal", "rectal"),
)


def _model_label(key: str) -> str:
    m = pk.get_model(key)
    enantiomer = "racemic" if m.enantiomer == "racemic" else "S-ketamine"
    return f"{m.name.split(' (')[0]} — {enantiomer}, {m.sampling_site}"


def _regimen(route_choice: str, dose_mg_per_kg: float, model: str = "", weight_kg: float = 70.0):
    if route_choice == "intranasal" and pk.get_model(model).name.startswith("Perez-Ruixo"):
        # Esketamine nasal spray: the labelled device and interval (data/regimens.toml).
        return pk.nasal_session(dose_mg_per_kg * weight_kg, partial_last_device=True)
    if route_choice == "iv_bolus":
        return pk.bolus(dose_mg_per_kg=dose_mg_per_kg, route="iv")
    if route_choice == "iv_infusion_40":
        return pk.infusion(dose_mg_per_kg=dose_mg_per_kg, duration_min=40.0)
    return pk.bolus(dose_mg_per_kg=dose_mg_per_kg, route=route_choice)


def _route_name(route_choice: str) -> str:
    return dict((v, k) for k, v in _ROUTE_CHOICES)[route_choice]


def _draw_bands(ax, *, label: bool = True) -> None:
    bands = load_table("concentration_bands")["bands"]
    for key, colour in _BAND_COLOURS.items():
        b = bands[key]
        ax.axhspan(b["low_ng_ml"], b["high_ng_ml"], color=colour, alpha=0.22, lw=0)
        if label:
            ax.text(0.995, np.sqrt(b["low_ng_ml"] * b["high_ng_ml"]), b["label"], transform=ax.get_yaxis_transform(),
                    ha="right", va="center", fontsize=7, color="#444444")


def _log_y(ax, low: float, high: float) -> None:
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _p: f"{y:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


# --------------------------------------------------------------------------- PK explorer
class PKExplorer(ModelWidget):
    """Plasma, effect-site and norketamine concentrations for one dose by one route.

    The shaded population band is the 5th–95th percentile of virtual patients with the source's
    between-patient variability (seeded, so the figure is reproducible).
    """

    title = "PK explorer: one dose, one route, one typical adult"
    figsize = (7.6, 4.0)
    phone_figsize = (3.5, 4.4)
    scrub = ScrubSpec("dose_mg_per_kg", values=(0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
                      label="{:g} mg/kg")
    units = {"dose_mg_per_kg": "mg/kg", "dose_mg": "mg", "weight_kg": "kg"}
    times_min = np.arange(0.0, 481.0, 2.0)
    n_patients = 200
    seed = 2026

    def _make_controls(self):
        return {
            "model": W.Dropdown(options=[(_model_label(k), k) for k in pk.model_keys()], value="domino1982",
                                description="Parameter set"),
            "route": W.Dropdown(options=list(_ROUTE_CHOICES), value="iv_infusion_40", description="Route"),
            "dose_mg_per_kg": W.FloatSlider(value=0.5, min=0.05, max=3.0, step=0.05,
                                            description="Dose (mg/kg of base)"),
            # 0.5 mg steps: a per-kg step (0.05 mg/kg) at a whole-kg weight lands on this grid
            "dose_mg": W.FloatSlider(value=35, min=1, max=450, step=0.5, description="Dose (mg of base)"),
            "weight_kg": W.FloatSlider(value=70, min=10, max=150, step=1, description="Body weight (kg)"),
            "population": W.Checkbox(value=True, description="Show 5–95% of virtual patients"),
        }

    def _build_figure(self, fig):
        ax = fig.add_subplot()
        _draw_bands(ax)
        t = self.times_min / 60.0
        self._band = ax.fill_between(t, np.ones_like(t), np.ones_like(t), color=C["blue"], alpha=0.18, lw=0,
                                     animated=True, label="5–95% of virtual patients")
        (self._plasma,) = ax.plot(t, np.ones_like(t), color=C["blue"], label="ketamine, plasma", animated=True)
        (self._effect,) = ax.plot(t, np.ones_like(t), color=C["vermillion"], ls="--", label="effect site",
                                  animated=True)
        (self._met,) = ax.plot(t, np.ones_like(t), color=C["green"], ls=":", lw=2.2, label="norketamine",
                               animated=True)
        _log_y(ax, 1, 5000)
        ax.set_xlim(0, t[-1])
        ax.set_xticks(np.arange(0, 9))
        ax.set_xlabel("time after the start of dosing (h)")
        ax.set_ylabel("concentration (ng/mL)")
        self._legend = None
        self._legend_key = None
        self._set_legend(metabolite=False, population=True)
        self._readout = ax.text(0.012, 0.985, "", transform=ax.transAxes, va="top", fontsize=7.8, animated=True,
                                bbox=dict(facecolor="white", alpha=0.85, edgecolor="#cccccc"))
        # changes only with the parameter set: drawn into the cached background, not on every step
        self._note = ax.text(0.012, 0.015, "", transform=ax.transAxes, va="bottom", fontsize=7, color="#555555")
        self.static_texts = [self._note]

    def _set_legend(self, *, metabolite: bool, population: bool) -> None:
        """A legend listing only the curves that are drawn (rebuilt, rarely, when that changes)."""
        key = (metabolite, population)
        if key == self._legend_key:
            return
        if self._legend is not None:
            self._legend.remove()
        handles = [self._plasma, self._effect] + ([self._met] if metabolite else []) + (
            [self._band] if population else [])
        fig = self._plasma.get_figure()
        self._legend = fig.legend(handles=handles, loc="outside upper center", ncols=2 if narrow(fig) else len(handles),
                                       fontsize=7.5, frameon=False)
        self._legend_key = key
        self.invalidate_background()

    # The two dose controls are linked: dose_mg = dose_mg_per_kg x weight_kg. The one the learner
    # sets (or passes to set()) wins; a weight change keeps the per-kg dose. A combination that
    # would push the other control out of its range is refused with a message, never clipped.
    def _link(self, given: dict) -> dict:
        weight = given.get("weight_kg", self.controls["weight_kg"].value)
        out = dict(given)
        if "dose_mg" in given:
            per_kg = given["dose_mg"] / weight
            lo, hi = self.controls["dose_mg_per_kg"].min, self.controls["dose_mg_per_kg"].max
            if not lo <= per_kg <= hi:
                raise ValueError(
                    f"dose_mg must give a dose from {lo:g} to {hi:g} mg/kg at {weight:g} kg "
                    f"(from {lo * weight:.3g} to {hi * weight:.3g} mg); got {given['dose_mg']:g} mg")
            if "dose_mg_per_kg" in given and not np.isclose(given["dose_mg_per_kg"], per_kg, rtol=1e-9, atol=0):
                raise ValueError(
                    "dose_mg and dose_mg_per_kg must agree (dose_mg = dose_mg_per_kg x weight_kg); got "
                    f"{given['dose_mg']:g} mg and {given['dose_mg_per_kg']:g} mg/kg at {weight:g} kg: give one of them")
            out["dose_mg_per_kg"] = per_kg
        elif "dose_mg_per_kg" in given or "weight_kg" in given:
            per_kg = given.get("dose_mg_per_kg", self.controls["dose_mg_per_kg"].value)
            mg = per_kg * weight
            lo, hi = self.controls["dose_mg"].min, self.controls["dose_mg"].max
            if not lo <= mg <= hi:
                raise ValueError(
                    f"dose_mg_per_kg and weight_kg must give a total dose from {lo:g} to {hi:g} mg; "
                    f"got {per_kg:g} mg/kg x {weight:g} kg = {mg:.4g} mg")
            out["dose_mg"] = mg
        return out

    def _compute(self, model, route, dose_mg_per_kg, weight_kg, population):
        regimen = _regimen(route, dose_mg_per_kg, model, weight_kg)
        res = pk.simulate(model, regimen, weight_kg, self.times_min, warn=False)
        pop = None
        if population:
            pop = self._population_band(model, route, dose_mg_per_kg, weight_kg, regimen)
        return res, pop

    def _population_band(self, model, route, dose_mg_per_kg, weight_kg, regimen):
        """5th and 95th percentile curves of the virtual patients, as ``(p5, p95)`` arrays (ng/mL).

        The models are linear in the dose, so for a fixed schedule shape the band at any dose is
        the band at 1 mg/kg times the dose: computed once per parameter set, route and weight. The
        esketamine nasal spray (whole 28 mg devices) changes shape with the dose and is not scaled.
        """
        devices = route == "intranasal" and pk.get_model(model).name.startswith("Perez-Ruixo")
        if devices:
            pop = pk.simulate_population(model, regimen, weight_kg, self.times_min, n_patients=self.n_patients,
                                         seed=self.seed, warn=False)
            return pop.band(5), pop.band(95)
        key = (model, route, float(weight_kg))
        cache = self.__dict__.setdefault("_band_cache", {})
        if key not in cache:
            unit = pk.simulate_population(model, _regimen(route, 1.0, model, weight_kg), weight_kg, self.times_min,
                                          n_patients=self.n_patients, seed=self.seed, warn=False)
            if len(cache) > 64:
                cache.clear()
            cache[key] = (unit.band(5), unit.band(95))
        p5, p95 = cache[key]
        return p5 * dose_mg_per_kg, p95 * dose_mg_per_kg

    def _update(self, model, route, dose_mg_per_kg, dose_mg, weight_kg, population):
        floor = 0.5  # below the log axis; keeps log plotting finite
        t = self.times_min / 60.0
        m = pk.get_model(model)
        supported = route == "iv_bolus" or route == "iv_infusion_40" or route in m.supported_routes
        if not supported:
            self._set_legend(metabolite=False, population=False)
            for line in (self._plasma, self._effect, self._met):
                line.set_ydata(np.full_like(t, floor))
            self._band.set_data(t, np.full_like(t, floor), np.full_like(t, floor))
            set_text(self._readout, chars=40, text=f"{m.name}: no published data for {_route_name(route)}.\nChoose another route.")
            set_text(self._note, "")
            return
        res, pop = self._compute(model, route, dose_mg_per_kg, weight_kg, population)
        self._plasma.set_ydata(np.maximum(res.conc_ng_ml, floor))
        self._effect.set_ydata(np.maximum(res.effect_ng_ml, floor))
        met = res.metabolite_ng_ml
        self._met.set_ydata(np.maximum(met, floor) if met is not None else np.full_like(t, floor))
        self._met.set_visible(met is not None)
        if pop is not None:
            self._band.set_data(t, np.maximum(pop[0], floor), np.maximum(pop[1], floor))
        self._band.set_visible(pop is not None)
        self._set_legend(metabolite=met is not None, population=pop is not None)
        dose_mg = dose_mg_per_kg * weight_kg
        how = _route_name(route)
        if route == "intranasal" and m.name.startswith("Perez-Ruixo"):
            dev = load_table("regimens")["devices"]["esketamine_nasal_spray"]
            how += f" ({dev['device_mg']:g} mg devices, {dev['interval_min']:g} min apart)"
        lines = [
            f"{round(dose_mg, 1):g} mg ({dose_mg_per_kg:.3g} mg/kg) of base, {how}, {weight_kg:.0f} kg",
            f"peak {res.cmax_ng_ml():.0f} ng/mL at {res.tmax_min():.0f} min; "
            f"above 100 ng/mL for {res.time_above_min(100.0):.0f} min",
        ]
        if met is not None:
            lines.append(f"norketamine peak {np.max(met):.0f} ng/mL")
        set_text(self._readout, "\n".join(lines), chars=40)
        set_text(self._note,
            f"Model illustration: {m.name.split(' (')[0]}, {m.enantiomer}, {m.sampling_site} sampling.\n"
            "Bands: racemic total plasma (Zanos 2018)."
        )

    def alt_text(self, model, route, dose_mg_per_kg, dose_mg, weight_kg, population):
        m = pk.get_model(model)
        if not (route in ("iv_bolus", "iv_infusion_40") or route in m.supported_routes):
            return f"No curve: the {m.name} parameter set has no data for {_route_name(route)}."
        res, _ = self._compute(model, route, dose_mg_per_kg, weight_kg, False)
        return (f"Concentration-time curves on a log scale over 8 hours for {dose_mg_per_kg:g} mg/kg "
                f"{_route_name(route)} in a {weight_kg:.0f} kg patient ({m.name}): plasma peak "
                f"{res.cmax_ng_ml():.0f} ng/mL at {res.tmax_min():.0f} min, then a fast distribution phase and a "
                "slower elimination phase; the effect site lags the plasma.")


# --------------------------------------------------------------------------- routes
_COMPARE_ROUTES = (("iv", "IV bolus", C["blue"]), ("im", "IM", C["orange"]), ("intranasal", "intranasal", C["purple"]),
                   ("sublingual", "sublingual", C["sky_blue"]), ("oral", "oral", C["green"]))


class RouteComparison(ModelWidget):
    """The same S-ketamine dose by five routes: parent drug versus norketamine exposure.

    Uses the Fanta 2015 / Otto 2021 S-ketamine model with its presystemic (first-pass)
    metabolite formation; bioavailabilities and absorption rates come from ``routes.toml``.
    """

    title = "Same dose, different routes: ketamine versus norketamine"
    figsize = (7.6, 3.8)
    phone_figsize = (3.5, 6.4)
    # The book's scrubber steps through the routes (the dose only shifts log-axis curves and leaves
    # the norketamine/ketamine ratios unchanged, so it teaches the least).
    _ALL = "all routes"
    scrub = ScrubSpec("highlight", values=(_ALL, *(label for _r, label, _c in _COMPARE_ROUTES)), label="{}")
    units = {"dose_mg": "mg", "weight_kg": "kg"}
    model = "fanta2015"
    times_min = np.arange(0.0, 481.0, 2.0)

    def _make_controls(self):
        return {
            "dose_mg": W.FloatSlider(value=25, min=5, max=100, step=5, description="Dose (mg of S-ketamine base)"),
            "weight_kg": W.FloatSlider(value=70, min=54, max=92, step=1, description="Body weight (kg)"),
            "highlight": W.Dropdown(options=[self._ALL, *(label for _r, label, _c in _COMPARE_ROUTES)],
                                    value=self._ALL, description="Highlight a route"),
        }

    def _build_figure(self, fig):
        ax1, ax2 = fig.subplots(2, 1) if narrow(fig) else fig.subplots(1, 2, sharey=False)
        t = self.times_min / 60.0
        self._parent, self._metab = {}, {}
        for route, label, colour in _COMPARE_ROUTES:
            (self._parent[route],) = ax1.plot(t, np.ones_like(t), color=colour, label=label, animated=True)
            (self._metab[route],) = ax2.plot(t, np.ones_like(t), color=colour, label=label, animated=True)
        for ax, title in ((ax1, "S-ketamine"), (ax2, "S-norketamine")):
            _log_y(ax, 0.5, 1000)
            ax.set_xlim(0, t[-1])
            ax.set_xticks(np.arange(0, 9, 2))
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("time (h)")
        ax1.set_ylabel("plasma concentration (ng/mL)")
        ax1.legend(loc="upper right", fontsize=7.5, frameon=False)
        self._ratio = ax2.text(0.98, 0.98, "", transform=ax2.transAxes, ha="right", va="top", fontsize=7.5,
                               family="monospace", animated=True,
                               bbox=dict(facecolor="white", alpha=0.85, edgecolor="#cccccc"))
        self._focus = ax1.text(0.02, 0.02, "", transform=ax1.transAxes, ha="left", va="bottom", fontsize=7.5,
                               animated=True, bbox=dict(facecolor="white", alpha=0.85, edgecolor="#cccccc"))

    def _compute(self, dose_mg, weight_kg):
        out = {}
        for route, _label, _c in _COMPARE_ROUTES:
            res = pk.simulate(self.model, pk.bolus(dose_mg, route=route), weight_kg, self.times_min, warn=False)
            out[route] = res
        return out

    def _update(self, dose_mg, weight_kg, highlight=_ALL):
        results = self._compute(dose_mg, weight_kg)
        rows = ["  NK/K AUC(0-8 h)"]
        for route, label, _c in _COMPARE_ROUTES:
            res = results[route]
            on = highlight in (self._ALL, label)
            for line, y in ((self._parent[route], res.conc_ng_ml), (self._metab[route], res.metabolite_ng_ml)):
                line.set_ydata(np.maximum(y, 0.1))
                line.set_alpha(1.0 if on else 0.25)
                line.set_linewidth(2.8 if highlight == label else (2.0 if on else 1.3))
            ratio = res.auc_ng_min_ml("metabolite") / res.auc_ng_min_ml("plasma")
            rows.append(f"{'>' if highlight == label else ' '} {label:<11}{ratio:6.1f}")
            if highlight == label:
                set_text(self._focus,
                    f"{label}: S-ketamine peak {res.cmax_ng_ml():.0f} ng/mL at {res.tmax_min():.0f} min;\n"
                    f"norketamine exposure {ratio:.1f}x the ketamine exposure")
        if highlight == self._ALL:
            set_text(self._focus, "")
        self._focus.set_visible(highlight != self._ALL)
        self._ratio.set_text("\n".join(rows))

    def alt_text(self, dose_mg, weight_kg, highlight=_ALL):
        results = self._compute(dose_mg, weight_kg)
        parts = []
        for route, label, _c in _COMPARE_ROUTES:
            res = results[route]
            ratio = res.auc_ng_min_ml("metabolite") / res.auc_ng_min_ml("plasma")
            parts.append(f"{label}: peak {res.cmax_ng_ml():.0f} ng/mL, norketamine/ketamine exposure {ratio:.1f}")
        focus = "" if highlight == self._ALL else f" The {highlight} curves are highlighted."
        return (f"Two log-scale panels over 8 hours for {dose_mg:g} mg S-ketamine in a {weight_kg:.0f} kg adult "
                "(Fanta 2015 model). " + "; ".join(parts) + "." + focus)


# --------------------------------------------------------------------------- infusion designer
class InfusionDesigner(ModelWidget):
    """A loading bolus plus a constant infusion: how long does the concentration stay in a band?"""

    title = "Infusion designer: bolus + infusion, time inside a concentration band"
    figsize = (7.6, 3.9)
    phone_figsize = (3.5, 4.4)
    scrub = ScrubSpec("rate_mg_per_kg_per_h", values=(0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0),
                      label="{:g} mg/kg/h")
    units = {"bolus_mg_per_kg": "mg/kg", "rate_mg_per_kg_per_h": "mg/kg/h", "duration_min": "min"}
    # the preset's own schedule is fixed, so the scrubber varies the rate of a custom schedule
    times_min = np.arange(0.0, 361.0, 1.0)
    weight_kg = 70.0

    def _make_controls(self):
        bands = load_table("concentration_bands")["bands"]
        presets = load_table("regimens")["regimens"]
        return {
            "preset": W.Dropdown(options=[("custom (set the sliders)", "custom")]
                                 + [(r["label"], key) for key, r in presets.items()],
                                 value="custom", description="Schedule"),
            "bolus_mg_per_kg": W.FloatSlider(value=0.35, min=0.0, max=2.0, step=0.05,
                                             description="Loading bolus (mg/kg of base)"),
            "rate_mg_per_kg_per_h": W.FloatSlider(value=0.5, min=0.0, max=2.0, step=0.05,
                                                  description="Infusion rate (mg/kg/h of base)"),
            "duration_min": W.FloatSlider(value=120, min=10, max=300, step=10, description="Infusion duration (min)"),
            "band": W.Dropdown(options=[(f"{bands[k]['label']} ({bands[k]['low_ng_ml']:g}–{bands[k]['high_ng_ml']:g} ng/mL)", k)
                                        for k in ("analgesia", "dissociation")], value="analgesia",
                               description="Target band"),
            "model": W.Dropdown(options=[(_model_label(k), k) for k in ("domino1982", "clements1981", "hijazi2003")],
                                value="domino1982", description="Parameter set"),
        }

    # A preset sets the schedule controls from data/regimens.toml; moving any of them by hand
    # turns the preset back to "custom". Passing a preset together with values that differ from
    # it is an error.
    _SCHEDULE = ("bolus_mg_per_kg", "rate_mg_per_kg_per_h", "duration_min")

    def _link(self, given: dict) -> dict:
        out = dict(given)
        if given.get("preset", "custom") != "custom":
            reg = load_table("regimens")["regimens"][given["preset"]]
            for key in self._SCHEDULE:
                if key in given and not np.isclose(given[key], reg[key]):
                    raise ValueError(f"{key} must match the preset {given['preset']!r} ({reg[key]:g}) or be left out; "
                                     f"got {given[key]:g}")
                out[key] = float(reg[key])
        elif any(key in given for key in self._SCHEDULE) and "preset" not in given:
            out["preset"] = "custom"
        return out

    # y-axis tops to choose from: the axis follows the curves (rarely redrawn), never clips them
    _Y_TOPS = (150, 200, 300, 400, 600, 800, 1000, 1500, 2000, 3000, 4000, 6000, 8000)
    _SPIKE_MIN = 5.0  # a bolus's first minutes in the central compartment, shown as an off-scale note

    def _build_figure(self, fig):
        ax = fig.add_subplot()
        self._ax = ax
        t = self.times_min / 60.0
        self._band = ax.axhspan(70, 160, color=C["sky_blue"], alpha=0.25, lw=0, animated=True, label="target band")
        (self._plasma,) = ax.plot(t, np.zeros_like(t), color=C["blue"], label="plasma", animated=True)
        (self._effect,) = ax.plot(t, np.zeros_like(t), color=C["vermillion"], ls="--", label="effect site",
                                  animated=True)
        self._stop = ax.axvline(2.0, color="#555555", lw=1, ls=":", animated=True, label="infusion stops")
        ax.set_xlim(0, t[-1])
        self._y_top = 600
        ax.set_ylim(0, self._y_top)
        ax.set_xlabel("time (h)")
        ax.set_ylabel("concentration (ng/mL)")
        fig.legend(handles=[self._plasma, self._effect, self._band, self._stop], loc="outside upper center", ncols=2 if narrow(fig) else 4,
                   fontsize=7.5, frameon=False)
        box = dict(facecolor="white", alpha=0.85, edgecolor="#cccccc")
        self._readout = ax.text(0.99, 0.6 if narrow(fig) else 0.985, "", transform=ax.transAxes, ha="right",
                                va="top", fontsize=7.5, animated=True, bbox=box)  # phone: under the bolus note
        self._band_label = ax.text(0.99, 115, "", transform=ax.get_yaxis_transform(), ha="right", va="center",
                                   fontsize=7, color="#333333", animated=True,
                                   bbox=dict(facecolor="white", alpha=0.7, edgecolor="none", pad=1))
        self._spike = ax.text(0.01, 0.985, "", transform=ax.transAxes, ha="left", va="top", fontsize=7,
                              color=C["blue"], animated=True)

    def _fit_y(self, top_needed: float) -> None:
        """Set the y-axis top to the first round value above ``top_needed`` (redraw only if it changed)."""
        top = next((y for y in self._Y_TOPS if y >= top_needed), self._Y_TOPS[-1])
        if top != self._y_top:
            self._y_top = top
            self._ax.set_ylim(0, top)
            self.invalidate_background()

    def _compute(self, bolus_mg_per_kg, rate_mg_per_kg_per_h, duration_min, model):
        events = []
        if bolus_mg_per_kg > 0:
            events.append(pk.bolus(dose_mg_per_kg=bolus_mg_per_kg, route="iv"))
        if rate_mg_per_kg_per_h > 0:
            events.append(pk.infusion(rate_mg_per_kg_per_min=rate_mg_per_kg_per_h / 60.0, duration_min=duration_min))
        if not events:
            return None
        return pk.simulate(model, pk.Regimen(*events), self.weight_kg, self.times_min, warn=False)

    def _update(self, preset, bolus_mg_per_kg, rate_mg_per_kg_per_h, duration_min, band, model):
        b = load_table("concentration_bands")["bands"][band]
        lo, hi = b["low_ng_ml"], b["high_ng_ml"]
        self._band.set_y(lo)
        self._band.set_height(hi - lo)
        self._band.set_facecolor(_BAND_COLOURS[band])
        self._band_label.set_y((lo + hi) / 2)
        set_text(self._band_label, f"target: {b['label']}, {lo:g}–{hi:g} ng/mL")
        self._stop.set_xdata([duration_min / 60.0] * 2)
        res = self._compute(bolus_mg_per_kg, rate_mg_per_kg_per_h, duration_min, model)
        if res is None:
            for line in (self._plasma, self._effect):
                line.set_ydata(np.zeros_like(self.times_min))
            self._fit_y(1.6 * hi)
            set_text(self._readout, "No drug given: set a bolus or an infusion rate.")
            set_text(self._spike, "")
            return
        self._plasma.set_ydata(res.conc_ng_ml)
        self._effect.set_ydata(res.effect_ng_ml)
        # The axis fits the curves; only a bolus's first minutes in plasma may go off scale (and say so).
        after_spike = res.conc_ng_ml[res.times_min >= self._SPIKE_MIN] if bolus_mg_per_kg > 0 else res.conc_ng_ml
        self._fit_y(max(1.6 * hi, float(np.max(res.effect_ng_ml)) / 0.62, float(np.max(after_spike)) / 0.62))
        cmax, tmax = res.cmax_ng_ml(), res.tmax_min()
        if cmax > self._y_top:
            set_text(self._spike, f"↑ off scale: plasma {cmax:.0f} ng/mL at {tmax:.0f} min, just after the bolus\n"
                                 "  (the bolus before it spreads from the blood into the tissues;\n"
                                 "  the effect site, the model's stand-in for the brain, never reaches it)")
        else:
            set_text(self._spike, "")
        emax = float(np.max(res.effect_ng_ml))
        t_emax = float(res.times_min[int(np.argmax(res.effect_ng_ml))])
        inside = pk.time_above(res.times_min, res.conc_ng_ml, lo) - pk.time_above(res.times_min, res.conc_ng_ml, hi)
        above = pk.time_above(res.times_min, res.conc_ng_ml, hi)
        schedule = ""
        if preset != "custom":
            reg = load_table("regimens")["regimens"][preset]
            schedule = f"{reg['label']} [{reg['source']}]\n"
        set_text(self._readout,
            schedule + f"{self.weight_kg:.0f} kg adult, {pk.get_model(model).name.split(' (')[0]} model "
            "(model illustration)\n"
            f"effect site: peak {emax:.0f} ng/mL at {t_emax:.0f} min\n"
            f"plasma in the {b['label']} band {inside:.0f} min, above it {above:.0f} min "
            f"(of {self.times_min[-1]:.0f})"
        )

    def alt_text(self, preset, bolus_mg_per_kg, rate_mg_per_kg_per_h, duration_min, band, model):
        res = self._compute(bolus_mg_per_kg, rate_mg_per_kg_per_h, duration_min, model)
        if res is None:
            return "No curve: neither a bolus nor an infusion is set."
        b = load_table("concentration_bands")["bands"][band]
        return (f"Plasma and effect-site concentrations over 6 hours after a {bolus_mg_per_kg:g} mg/kg bolus and "
                f"{rate_mg_per_kg_per_h:g} mg/kg/h for {duration_min:.0f} min in a 70 kg adult: plasma peak "
                f"{res.cmax_ng_ml():.0f} ng/mL at {res.tmax_min():.0f} min, effect-site peak "
                f"{np.max(res.effect_ng_ml):.0f} ng/mL; the shaded {b['label']} band spans {b['low_ng_ml']:g} to "
                f"{b['high_ng_ml']:g} ng/mL.")
