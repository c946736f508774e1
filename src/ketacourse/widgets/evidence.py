"""Evidence widgets: a forest plot over any trial table (every clinical chapter reuses it).

The numbers come from :mod:`ketacourse.evidence` (effect sizes from ``data/trials_*.toml``,
random-effects pooling through statsmodels); this module only draws them. The x axis is drawn by
hand (tick marks and labels are animated artists on a fixed 0–1 axis), so that changing the
outcome, the measure or the trials included never rebuilds the figure.
"""

from __future__ import annotations

import contextlib
import math

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib import patches

from .. import evidence as ev
from ..evidence import simulate as sim
from ..data import load_table
from .base import ModelWidget, ScrubSpec
from .phone_layout import narrow, set_text
from .style import CYCLE
from .style import OKABE_ITO as C

__all__ = ["ForestPlot", "TrialSimulator", "endpoint_key", "parse_endpoint", "endpoint_scrub"]

_MEASURE_CHOICES = (("Hedges g", "g"), ("mean difference (scale points)", "md"), ("odds ratio", "or"),
                    ("risk ratio", "rr"), ("risk difference", "rd"), ("hazard ratio", "hr"))
_MEASURE_ORDER = [v for _l, v in _MEASURE_CHOICES]
_N_TICKS = 7
_MONO_PT = 7.5  # the fixed-width numeric columns (estimate, CI, weight) and the summary line
# Text-heavy figures: glyph hinting costs a large share of each update here, for no visible gain at
# screen resolution, so these widgets render text unhinted.
_TEXT_RC = {"text.hinting": "no_hinting"}


@contextlib.contextmanager
def _text_rc():
    """``mpl.rc_context(_TEXT_RC)`` for its few keys only: no copy of every rcParam on each update
    (the base class's own ``rc_context`` still restores anything else an update changes)."""
    saved = {k: mpl.rcParams[k] for k in _TEXT_RC}
    mpl.rcParams.update(_TEXT_RC)
    try:
        yield
    finally:
        mpl.rcParams.update(saved)


class LightTextMixin:
    """Render with FreeType hinting off (see ``_TEXT_RC``): for text-heavy course figures."""

    phone_rc = _TEXT_RC  # the phone frames too (phone_layout)

    def refresh(self) -> None:
        with _text_rc():
            super().refresh()

    def _show_first_frame(self) -> None:  # a new widget's first frame, drawn or read back
        with _text_rc():
            super()._show_first_frame()

    def _draw_first(self) -> None:  # the live figure drawn when its first frame was read back
        with _text_rc():
            super()._draw_first()

    def _desktop_frames(self, states) -> list[bytes]:  # frame_png and the book's scrubber frames
        with _text_rc():
            return super()._desktop_frames(states)

    def recreate_png(self, **params) -> bytes:
        with mpl.rc_context(_TEXT_RC):
            return super().recreate_png(**params)


def endpoint_key(outcome: str, time: str) -> str:
    """The value of the forest plot's ``endpoint`` control for an outcome and time label."""
    return f"{outcome} at {time}"


def endpoint_scrub(table: str) -> ScrubSpec:
    """The offline scrubber of a forest plot on ``table``: every outcome and time, in the table's order."""
    comparisons = ev.load_trials(table)
    meta = load_table(table).get("outcomes", {})
    avail = ev.available(comparisons)
    order = sorted(avail, key=lambda o: list(meta).index(o) if o in meta else 99)
    return ScrubSpec("endpoint", values=tuple(endpoint_key(o, t) for o in order for t in avail[o]), label="{}")


def parse_endpoint(key: str) -> tuple[str, str]:
    outcome, _, time = key.partition(" at ")
    return outcome, time


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_")


def _nice_ticks(lo: float, hi: float, ratio: bool) -> list[float]:
    """Tick positions (on the pooling scale) for the axis range [lo, hi]."""
    if ratio:
        candidates = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200]
        ticks = [math.log(c) for c in candidates if lo <= math.log(c) <= hi]
        return ticks[::2] if len(ticks) > _N_TICKS else ticks
    span = hi - lo
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)][:_N_TICKS]


class ForestPlot(LightTextMixin, ModelWidget):
    """A forest plot of one trial table: choose the outcome and time, the measure, the comparators
    and designs to include; the pooled random-effects estimate (DerSimonian–Laird, through
    statsmodels), its CI, I² and the NNT update in place.

    Parameters
    ----------
    table : str
        A trial table (``ketacourse.evidence.trial_tables()``), e.g. ``"trials_depression"``.
    **initial
        Initial control values (``endpoint``, ``measure``, ``incl_<comparator>``,
        ``incl_<design>``).
    """

    title = "Forest plot: what do the trials show, and which trials are they?"
    figsize = (8.2, 4.4)
    default_table = "trials_depression"
    default_endpoint = "response at day 28"

    def __init__(self, table: str | None = None, **initial) -> None:
        name = table or self.default_table
        self.table_name = name
        self.comparisons = ev.load_trials(name)
        meta = load_table(name).get("outcomes", {})
        self.outcome_info = meta
        avail = ev.available(self.comparisons)
        self.endpoints: list[tuple[str, str]] = []
        for outcome in sorted(avail, key=lambda o: list(meta).index(o) if o in meta else 99):
            label = meta.get(outcome, {}).get("label", outcome)
            for time in avail[outcome]:
                self.endpoints.append((f"{label}, {time}", endpoint_key(outcome, time)))
        self.comparators = list(dict.fromkeys(c.comparator for c in self.comparisons))
        self.designs = list(dict.fromkeys(c.design for c in self.comparisons))
        self.n_rows = max(sum(1 for c in self.comparisons if c.outcome(*parse_endpoint(k)) is not None)
                          for _l, k in self.endpoints)
        self.colours = {comp: CYCLE[i % len(CYCLE)] for i, comp in enumerate(self.comparators)}
        # phone_layout: half an inch per row; above the rows, the legend (two per line) and the header
        self._phone_top_in = 0.55 + 0.16 * math.ceil(len(self.comparators) / 2)
        self.phone_figsize = (3.5, 1.15 + self._phone_top_in + 0.5 * (self.n_rows + 3.1))
        if name != self.default_table:  # the class-level scrubber describes the default table
            self.scrub = ScrubSpec("endpoint", values=tuple(k for _l, k in self.endpoints), label="{}")
        self._endpoint_labels = {k: lab for lab, k in self.endpoints}
        super().__init__(**initial)

    # ----------------------------------------------------------------- controls
    def _make_controls(self):
        values = [k for _l, k in self.endpoints]
        start = self.default_endpoint if self.default_endpoint in values else values[0]
        measures = self.measures_for(start)
        controls = {
            "endpoint": W.Dropdown(options=self.endpoints, value=start, description="Outcome and time"),
            "measure": W.Dropdown(options=_MEASURE_CHOICES, value=measures[0], description="Effect measure"),
        }
        for comp in self.comparators:
            controls[f"incl_{_slug(comp)}"] = W.Checkbox(value=True, description=f"vs {comp}")
        for design in self.designs:
            controls[f"incl_{_slug(design)}"] = W.Checkbox(value=True, description=f"{design} trials")
        controls["level_pct"] = W.IntSlider(value=95, min=80, max=99, step=1, description="Confidence level (%)")
        return controls

    # ----------------------------------------------------------------- model
    def measures_for(self, endpoint: str) -> list[str]:
        """Effect measures that at least one trial gives for ``endpoint``, in a fixed order."""
        outcome, time = parse_endpoint(endpoint)
        found = {m for c in self.comparisons if (o := c.outcome(outcome, time)) is not None for m in o.measures}
        return [m for m in _MEASURE_ORDER if m in found]

    def _link(self, given):
        out = dict(given)
        if "endpoint" in out or "measure" in out:
            endpoint = out.get("endpoint", self.controls["endpoint"].value)
            allowed = self.measures_for(endpoint)
            if "measure" in given:
                if given["measure"] not in allowed:
                    label = self._endpoint_labels.get(endpoint, endpoint)
                    raise ValueError(f"measure must be one of {', '.join(map(repr, allowed))} for {label}; "
                                     f"got {given['measure']!r}")
            elif self.controls["measure"].value not in allowed:
                out["measure"] = allowed[0]
        return out

    def _selection(self, params: dict):
        outcome, time = parse_endpoint(params["endpoint"])
        rows = [c for c in self.comparisons if c.outcome(outcome, time) is not None]
        measure = params["measure"]
        comparators = [c for c in self.comparators if params.get(f"incl_{_slug(c)}", True)]
        designs = [d for d in self.designs if params.get(f"incl_{_slug(d)}", True)]
        chosen = ev.select(self.comparisons, outcome, time, measure, comparators=comparators, designs=designs)
        left_out = [c for c in rows if c.id not in {x.id for x, _e in chosen}]
        return outcome, time, measure, chosen, left_out

    def summary(self, **params) -> dict:
        """The numbers the figure shows, for the given (or current) controls.

        Returns a dict with ``measure``, ``k``, ``effects`` (list of EffectSize), ``pooled``
        (a :class:`~ketacourse.evidence.MetaResult` or None when nothing is selected) and ``nnt``
        (a dict from :func:`~ketacourse.evidence.nnt_interval` for yes/no outcomes, else None).
        """
        state = {**self.params, **{k: self.validate(k, v) for k, v in params.items()}}
        # The trial table never changes: keep the result per control state (the figure and its
        # alt text ask for the same numbers), and hand out copies of its lists.
        try:
            key = tuple(sorted(state.items()))
            cache = self.__dict__.setdefault("_summaries", {})
            hit = cache.get(key)
        except TypeError:  # pragma: no cover - an unhashable control value
            key, cache, hit = None, None, None
        if hit is None:
            hit = self._summary_for(state)
            if cache is not None:
                if len(cache) >= 256:
                    cache.clear()
                cache[key] = hit
        return {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in hit.items()}

    def _summary_for(self, state: dict) -> dict:
        outcome, time, measure, chosen, left_out = self._selection(state)
        effects = [e for _c, e in chosen]
        level = state.get("level_pct", 95) / 100
        pooled = ev.meta_analyse(effects, level=level) if effects else None
        nnt = None
        if effects and all("rd" in c.outcome(outcome, time).measures for c, _e in chosen):
            others = {c.id for c in self.comparisons} - {c.id for c, _e in chosen}  # same rows, control arms split
            rd_effects = [e for _c, e in ev.select(self.comparisons, outcome, time, "rd", exclude=others)]
            rd = ev.meta_analyse(rd_effects, level=level)
            nnt = ev.nnt_interval(rd.estimate, rd.ci_low, rd.ci_high)
        flags = ev.pooling.mixing_flags(chosen, outcome, time) if chosen else []
        if any(e.note and "shared control arm split" in e.note for e in effects):
            flags.insert(0, "shared-control-split")
        return {"outcome": outcome, "time": time, "measure": measure, "level": level, "k": len(effects), "effects": effects,
                "comparisons": [c for c, _e in chosen], "left_out": left_out, "pooled": pooled, "nnt": nnt,
                "flags": flags, "n_trials": len({c.trial_key for c, _e in chosen})}

    # ----------------------------------------------------------------- figure
    def _build_figure(self, fig):
        fig.set_layout_engine("none")  # fixed axes rectangle: the trial labels sit outside it
        # On a phone (narrow figure) each row is three lines: the trial's name above its whisker and
        # its numbers under it, both inside the full-width axes.
        self._slim = slim = narrow(fig)
        self._ylo = -2.3 if slim else -1.9
        height = fig.get_figheight()
        ax = fig.add_axes((0.05, 1.15 / height, 0.9, 1 - (1.15 + self._phone_top_in) / height) if slim else (0.29, 0.30, 0.42, 0.58))
        ax.set_xlim(0, 1)
        ax.set_ylim(self._ylo, self.n_rows + (0.8 if slim else 0.2))
        ax.set_yticks([])
        ax.set_xticks([])
        ax.grid(False)
        ax.spines["left"].set_visible(False)
        self._ax = ax
        n = self.n_rows
        self._row_y = [n - i for i in range(n)]
        # one line for all the CI whiskers, one for all the tick marks (NaN-separated): fewer draws
        self._ci = ax.plot([], [], color="#333333", lw=1.4, animated=True)[0]
        self._box = [ax.plot([0], [y], "s", color="#333333", ms=6, animated=True)[0] for y in self._row_y]
        # texts that follow the menus and check boxes, not the slider: drawn into the background
        lab_at, num_at = ((0.0, 0.22, "left", "bottom"), (1.0, -0.22, "right", "top")) if slim else \
            ((-0.03, 0.0, "right", "center"), (1.03, 0.0, "left", "center"))
        self._lab = [ax.text(lab_at[0], y + lab_at[1], "", transform=ax.get_yaxis_transform(), ha=lab_at[2],
                             va=lab_at[3], fontsize=8, clip_on=False) for y in self._row_y]
        self._num = [ax.text(num_at[0], y + num_at[1], "", transform=ax.get_yaxis_transform(), ha=num_at[2],
                             va=num_at[3], fontsize=_MONO_PT, family="monospace", animated=True, clip_on=False)
                     for y in self._row_y]
        self._diamond = patches.Polygon([[0, 0], [0, 0], [0, 0], [0, 0]], closed=True, facecolor=C["black"],
                                        edgecolor=C["black"], animated=True)
        ax.add_patch(self._diamond)
        self._pool_lab = ax.text(lab_at[0], -0.9 + 1.6 * lab_at[1], "", transform=ax.get_yaxis_transform(),
                                 ha=lab_at[2], va=lab_at[3], fontsize=8.5, weight="bold", clip_on=False)
        self._pool_num = ax.text(num_at[0], -0.9 + 1.6 * num_at[1], "", transform=ax.get_yaxis_transform(),
                                 ha=num_at[2], va=num_at[3], fontsize=_MONO_PT, family="monospace", weight="bold",
                                 animated=True, clip_on=False)
        self._null = ax.plot([0.5, 0.5], [-1.6, n + 0.2], color="#777777", lw=1, ls="--", animated=True)[0]
        self._ticks = ax.plot([], [], color="#333333", lw=1, animated=True, clip_on=False)[0]
        self._ticklabels = [ax.text(0, -0.04, "", transform=ax.get_xaxis_transform(), ha="center", va="top",
                                    fontsize=8, animated=True, clip_on=False) for _ in range(_N_TICKS + 2)]
        self._xlabel = ax.text(0.5, -0.4 / (ax.get_position().height * height) if slim else -0.16, "", transform=ax.transAxes, ha="center", va="top", fontsize=8.5)
        self._favours = [ax.text(x, 1.005, "", transform=ax.transAxes, ha=ha, va="bottom", fontsize=7.5,
                                 style="italic", color="#444444")
                         for x, ha in ((0.0, "left"), (1.0, "right"))]
        self._summary = fig.text(0.02, 0.05 / height if slim else 0.03, "", ha="left", va="bottom", fontsize=_MONO_PT, family="monospace",
                                  animated=True)  # fixed width: a readout line, and no per-string shaping
        self._empty = ax.text(0.5, n / 2, "", ha="center", va="center", fontsize=10, color=C["vermillion"])
        self.static_texts = [*self._lab, self._pool_lab, self._xlabel, *self._favours, self._empty]
        # static legend of comparators (colour of the trial squares)
        handles = [patches.Patch(color=self.colours[c], label=f"vs {c}") for c in self.comparators]
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5 if slim else 0.62, 1.0), fontsize=7,
                   frameon=False, ncol=2 if slim else len(handles), handlelength=1.0, columnspacing=1.0)
        head_y = 1 - (self._phone_top_in - 0.3) / height if slim else 0.92
        fig.text(0.02, head_y, "trial (comparator)", fontsize=8, weight="bold", va="bottom")
        fig.text(0.97 if slim else 0.72, head_y, "estimate [CI]  weight", fontsize=7.5, weight="bold", va="bottom",
                 ha="right" if slim else "left")

    def _axis(self, values: list[float], ratio: bool) -> tuple[float, float]:
        null = 0.0
        lo, hi = min(values + [null]), max(values + [null])
        pad = 0.08 * (hi - lo or 1.0)
        return lo - pad, hi + pad

    def _update(self, **params):
        s = self.summary(**params)
        measure, effects, pooled = s["measure"], s["effects"], s["pooled"]
        ratio = measure in ("or", "rr", "hr")
        cis = [e.ci_pooling_scale(s["level"]) for e in effects]
        vals = [v for ci in cis for v in ci]
        if pooled is not None:
            vals += [pooled.ci_low, pooled.ci_high]
        lo, hi = self._axis(vals, ratio)
        to_x = lambda v: (v - lo) / (hi - lo)  # noqa: E731
        weights = pooled.weights if pooled is not None else ()
        comps = s["comparisons"]
        ci_x, ci_y = [], []
        for i in range(self.n_rows):
            if i < len(effects):
                e, (a, b), c = effects[i], cis[i], comps[i]
                ci_x += [to_x(a), to_x(b), math.nan]
                ci_y += [self._row_y[i]] * 2 + [math.nan]
                self._box[i].set_data([to_x(e.estimate)], [self._row_y[i]])
                self._box[i].set_markersize(4 + 14 * math.sqrt(weights[i]))
                self._box[i].set_color(self.colours[c.comparator])
                masked = ", masked" if "masked" in c.blinding else ""
                self._lab[i].set_text(f"{c.trial} ({c.comparator}{', ' + c.design if c.design != 'parallel' else ''}"
                                      f"{masked})")
                lo_n, hi_n = e.ci(s["level"])
                self._num[i].set_text(f"{e.value:6.2f} [{lo_n:5.2f}, {hi_n:5.2f}] {100 * weights[i]:4.0f}%")
                for art in (self._box[i], self._lab[i], self._num[i]):
                    art.set_visible(True)
            else:
                for art in (self._box[i], self._lab[i], self._num[i]):
                    art.set_visible(False)
        self._ci.set_data(ci_x, ci_y)
        self._null.set_data([to_x(0.0)] * 2, [-1.6, self.n_rows + 0.2])
        if pooled is not None:
            y = -0.9
            xs = [to_x(pooled.ci_low), to_x(pooled.estimate), to_x(pooled.ci_high), to_x(pooled.estimate)]
            self._diamond.set_xy([[xs[0], y], [xs[1], y + 0.35], [xs[2], y], [xs[3], y - 0.35]])
            self._diamond.set_visible(True)
            self._pool_lab.set_text(f"Pooled, random effects (k = {pooled.k})" if s["n_trials"] == pooled.k
                                    else f"Pooled (k = {pooled.k} rows, {s['n_trials']} trial{'s' if s['n_trials'] != 1 else ''})")
            plo, phi = pooled.ci()
            self._pool_num.set_text(f"{pooled.value:6.2f} [{plo:5.2f}, {phi:5.2f}] 100%")
            self._empty.set_text("")
        else:
            self._diamond.set_visible(False)
            self._pool_lab.set_text("")
            self._pool_num.set_text("")
            self._empty.set_text("No trials selected: tick a comparator or a design")
        ticks = _nice_ticks(lo, hi, ratio)
        tick_x, tick_y = [], []
        for i, tl in enumerate(self._ticklabels):
            if i < len(ticks):
                x = to_x(ticks[i])
                tick_x += [x, x, math.nan]
                tick_y += [self._ylo, self._ylo + 0.15, math.nan]
                tl.set_x(x)
                tl.set_text(f"{math.exp(ticks[i]):g}" if ratio else f"{ticks[i]:g}")
                tl.set_visible(True)
            else:
                tl.set_visible(False)
        self._ticks.set_data(tick_x, tick_y)
        info = self.outcome_info.get(s["outcome"], {})
        label = ev.EffectSize(measure, 0.0, 1.0).measure_label if measure else ""
        self._xlabel.set_text(f"{label}{' (log scale)' if ratio else ''}")
        higher_better = bool(info.get("higher_is_better", True))
        good_right = higher_better
        self._favours[0].set_text("← favours ketamine" if not good_right else "← favours control")
        self._favours[1].set_text("favours control →" if not good_right else "favours ketamine →")
        self._summary.set_text(self._summary_text(s))

    def _summary_text(self, s: dict) -> str:
        pooled = s["pooled"]
        if pooled is None:
            return "No trials selected."
        line1 = (f"{100 * s['level']:.0f}% CIs   p = {pooled.p_value:.2g}   I² = {100 * pooled.i2:.0f}%   τ² = {pooled.tau2:.3g}   k = {pooled.k}"
                 + (f"   n = {pooled.n_total}" if pooled.n_total else ""))
        nnt = s["nnt"]
        if nnt is None:
            line2 = "NNT: yes/no outcomes only"
        elif nnt["crosses_zero"]:
            line2 = f"NNT {nnt['nnt']:.1f} (CI: NNT benefit {nnt['benefit_from']:.1f} to ∞ to NNT harm {nnt['harm_from']:.1f})"
        else:
            line2 = f"NNT {nnt['nnt']:.1f} (CI {nnt['lower']:.1f} to {nnt['upper']:.1f})"
        if self._slim:  # a phone frame: three short lines
            half = line1.index("   τ²")
            return line1[:half] + "\n" + line1[half + 3:] + "\n" + line2
        return line1 + "   " + line2

    def alt_text(self, **params):
        s = self.summary(**params)
        outcome_label = self._endpoint_labels.get(params["endpoint"], params["endpoint"])
        if s["pooled"] is None:
            return f"Forest plot for {outcome_label}: no trials are selected, so nothing is pooled."
        rows = "; ".join(f"{c.trial} vs {c.comparator} {e.value:.2f} ({e.ci(s['level'])[0]:.2f} to "
                         f"{e.ci(s['level'])[1]:.2f})" for c, e in zip(s["comparisons"], s["effects"]))
        lo, hi = s["pooled"].ci()
        return (f"Forest plot for {outcome_label}, {s['k']} trial comparisons: {rows}. Pooled "
                f"{ev.EffectSize(s['measure'], 0.0, 1.0).measure_label} {s['pooled'].value:.2f} "
                f"({100 * s['level']:.0f}% CI {lo:.2f} to {hi:.2f}); " + self._summary_text(s)
                + "".join(f". Note: {ev.pooling.FLAG_TEXT[f]}" for f in s["flags"]))


def _default_scrub() -> ScrubSpec:
    comparisons = ev.load_trials(ForestPlot.default_table)
    meta = load_table(ForestPlot.default_table).get("outcomes", {})
    avail = ev.available(comparisons)
    order = sorted(avail, key=lambda o: list(meta).index(o) if o in meta else 99)
    return ScrubSpec("endpoint", values=tuple(endpoint_key(o, t) for o in order for t in avail[o]), label="{}")


ForestPlot.scrub = _default_scrub()


# --------------------------------------------------------------------------- trial simulator
class TrialSimulator(LightTextMixin, ModelWidget):
    """Many simulated two-arm trials with the same true effect: how much single estimates scatter,
    how often a trial of this size reaches p < 0.05 (power), and what a hypothetical expectancy
    bias from functional unblinding adds (see :mod:`ketacourse.evidence.simulate`)."""

    title = "What can one trial show? Simulated two-arm trials (seeded)"
    figsize = (8.2, 3.8)
    phone_figsize = (3.5, 7.0)
    scrub = ScrubSpec("n_per_arm", values=(10, 20, 34, 50, 75, 100, 150, 200), label="{} per arm")
    units = {"true_effect_d": "SD", "expectancy_d": "SD"}
    n_trials = 1000
    seed = 2024
    _bins = np.linspace(-1.5, 4.0, 56)

    def _make_controls(self):
        return {
            "n_per_arm": W.IntSlider(value=34, min=5, max=200, step=1, description="Patients per arm"),
            "true_effect_d": W.FloatSlider(value=0.7, min=0.0, max=2.0, step=0.05, description="True effect (SD)"),
            "control_response": W.FloatSlider(value=0.18, min=0.01, max=0.6, step=0.01,
                                              description="Control response rate"),
            "guess_correct": W.FloatSlider(value=0.5, min=0.5, max=1.0, step=0.05,
                                           description="Patients guessing their arm (hypothetical)"),
            "expectancy_d": W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05,
                                          description="Expectancy boost if 'I had the drug' (hypothetical, SD)"),
        }

    def _sim(self, n_per_arm, true_effect_d, control_response, guess_correct, expectancy_d):
        return sim.simulate_trials(int(n_per_arm), true_effect_d, n_trials=self.n_trials,
                                   control_response=control_response, guess_correct=guess_correct,
                                   expectancy_d=expectancy_d, seed=self.seed)

    def _build_figure(self, fig):
        fig.set_layout_engine("none")
        if narrow(fig):  # a phone frame: the two panels stacked, the readout under them
            gs = fig.add_gridspec(2, 1, left=0.17, right=0.96, bottom=0.3, top=0.98, hspace=0.38)
        else:
            gs = fig.add_gridspec(1, 2, width_ratios=[1.5, 1], left=0.07, right=0.98, bottom=0.32, top=0.93,
                                  wspace=0.28)
        ax = fig.add_subplot(gs[0])
        centres = (self._bins[:-1] + self._bins[1:]) / 2
        width = self._bins[1] - self._bins[0]
        self._bars = ax.bar(centres, np.zeros_like(centres), width=width * 0.95, color=C["sky_blue"],
                            edgecolor="white")
        for b in self._bars:
            b.set_animated(True)
        self._true = ax.axvline(0.7, color=C["black"], lw=1.5, animated=True)
        self._biased = ax.axvline(0.7, color=C["vermillion"], lw=1.5, ls="--", animated=True)
        (self._one,) = ax.plot([0.7], [0], "v", color=C["blue"], ms=9, animated=True)
        ax.set_xlim(self._bins[0], self._bins[-1])
        ax.set_ylim(0, 0.4 * self.n_trials)
        ax.set_xlabel("estimated effect in each trial, Cohen's d")
        ax.set_ylabel(f"trials (of {self.n_trials})")
        ax.plot([], [], color=C["black"], label="true drug effect")
        ax.plot([], [], color=C["vermillion"], ls="--", label="true effect + expectancy bias")
        ax.plot([], [], "v", color=C["blue"], label="trial no. 1")
        ax.legend(loc="upper right", fontsize=7, frameon=False)
        ax2 = fig.add_subplot(gs[1])
        self._n_grid = np.arange(5, 201)
        (self._power_curve,) = ax2.plot(self._n_grid, np.zeros(self._n_grid.size), color=C["green"], animated=True,
                                        label="analytic power")
        (self._power_pt,) = ax2.plot([34], [0], "o", color=C["vermillion"], animated=True, label="simulated")
        ax2.axhline(80, color=C["grey"], ls=":", lw=1)
        ax2.set_xlim(0, 200)
        ax2.set_ylim(0, 102)
        ax2.set_xlabel("patients per arm")
        ax2.set_ylabel("power: trials with p < 0.05 (%)")
        ax2.legend(loc="lower right", fontsize=7, frameon=False)
        self._readout = fig.text(0.01, 0.01, "", fontsize=7.8, va="bottom", animated=True)

    def _inactive(self, expectancy_d=0.0, **_params):
        return {"guess_correct": "no effect while the expectancy boost is 0"} if expectancy_d == 0 else {}

    def _update(self, n_per_arm, true_effect_d, control_response, guess_correct, expectancy_d):
        r = self._sim(n_per_arm, true_effect_d, control_response, guess_correct, expectancy_d)
        counts, _ = np.histogram(np.clip(r.d_hat, self._bins[0], self._bins[-1] - 1e-9), bins=self._bins)
        for b, c in zip(self._bars, counts):
            b.set_height(c)
        self._true.set_xdata([true_effect_d] * 2)
        self._biased.set_xdata([true_effect_d + r.bias_d] * 2)
        self._biased.set_visible(r.bias_d > 0)
        self._one.set_data([r.d_hat[0]], [0.02 * self.n_trials])
        effective = true_effect_d + r.bias_d
        self._power_curve.set_ydata(100 * sim.analytic_power_curve(self._n_grid, effective))
        self._power_pt.set_data([n_per_arm], [100 * r.power])
        nnt1 = r.nnt_hat[0]
        set_text(self._readout,
            f"Trial no. 1: d = {r.d_hat[0]:.2f}, p = {r.p_value[0]:.2g}, responders {r.responders_t[0]}/{int(n_per_arm)} vs "
            f"{r.responders_c[0]}/{int(n_per_arm)}, NNT {'∞' if not np.isfinite(nnt1) else f'{nnt1:.1f}'}.   "
            f"All {self.n_trials} trials: mean d {r.d_hat.mean():.2f}, SD {r.d_hat.std(ddof=1):.2f}; "
            f"power {100 * r.power:.0f}% (analytic {100 * sim.analytic_power(int(n_per_arm), effective):.0f}%).\n"
            f"True NNT {r.true_nnt:.1f} (drug effect only)"
            + (f"; hypothetical expectancy adds {r.bias_d:.2f} SD to every trial's estimate." if r.bias_d > 0 else "."))

    def alt_text(self, n_per_arm, true_effect_d, control_response, guess_correct, expectancy_d):
        r = self._sim(n_per_arm, true_effect_d, control_response, guess_correct, expectancy_d)
        lo, hi = np.percentile(r.d_hat, [2.5, 97.5])
        return (f"Histogram of the estimated effect in {self.n_trials} simulated trials with {int(n_per_arm)} patients "
                f"per arm and a true effect of {true_effect_d:.2f} SD (hypothetical expectancy bias "
                f"{r.bias_d:.2f} SD): mean estimate {r.d_hat.mean():.2f}, 95% of trials between {lo:.2f} and "
                f"{hi:.2f}; {100 * r.power:.0f}% of trials reach p < 0.05. Right: power against patients per arm.")
