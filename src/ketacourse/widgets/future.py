"""Chapter 7 widgets: the evidence map and the molecule comparison.

Both draw numbers computed elsewhere: :mod:`ketacourse.evidence.evidence_map` (entries, their
strength scores from declared criteria, placement of a hypothetical trial) and
:mod:`ketacourse.derivatives` (NMDA occupancy at reported plasma concentrations, through the
receptor module). Every artist that changes is animated and updated in place.
"""

from __future__ import annotations

import re
import textwrap

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.colors import to_rgba

from .. import derivatives as dv
from ..evidence import evidence_map as em
from .base import ModelWidget, ScrubSpec
from .evidence import LightTextMixin
from .phone_layout import legend_kwargs, narrow, panels, separate_labels, set_text
from .style import OKABE_ITO as C

__all__ = ["EvidenceMap", "MoleculeComparison", "RESULT_COLOURS"]

RESULT_COLOURS = {"benefit": C["blue"], "null": C["orange"], "harm": C["vermillion"], "pending": C["grey"]}
_KIND_CHOICES = (("randomised, parallel", "rct-parallel"), ("randomised, crossover", "rct-crossover"),
                 ("randomised, open label", "randomised-open"), ("open label, no control", "open-label"))
_BLINDING_CHOICES = (("active placebo (double blind)", "active"), ("inert placebo (double blind)", "inert"),
                     ("dose comparison patients can tell apart", "dose-contrast"), ("open (no blinding)", "open"))
_OUTCOME_LABELS = {"": "no numbers in the source", "ptsd": "PTSD score", "abstinence": "abstinence",
                   "days_abstinent": "days abstinent", "depression": "depression score", "relapse": "relapse"}
_NONE = "(none)"
_MAP_NAMES = {"dextromethorphan-bupropion": "DXM +\nbupropion", "esmethadone": "esme-\nthadone",
              "arketamine": "arke-\ntamine", "lanicemine": "lani-\ncemine", "rapastinel": "rapa-\nstinel",
              "(2R,6R)-HNK": "(2R,6R)-\nHNK", "onfasprodil": "onfas-\nprodil"}


def _conc(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:.2g}"


def _wrap(text: str, width: int = 13) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


class EvidenceMap(LightTextMixin, ModelWidget):
    """Every study in the Chapter 7 table on one map: indication (x) against evidence strength
    (y, 0–10 from design, size, blinding and replication). Colour shows the result, a filled
    marker a randomised trial, marker area the standardised effect where one exists. Filter by
    molecule and outcome; add a hypothetical trial and see where it lands and whose replication
    score it changes."""

    title = "Evidence map: how strong is each claim? (scores from declared criteria)"
    figsize = (8.6, 4.9)
    phone_figsize = (3.5, 8.4)
    scrub = ScrubSpec("drug", values=("all", "racemic ketamine", "arketamine", "dextromethorphan-bupropion",
                                      "esmethadone", "lanicemine", "rapastinel", "esketamine"), label="{}")
    units = {"new_n": "patients"}

    def __init__(self, table: str = "trials_future", **initial) -> None:
        self.entries = em.load_map(table)
        self.base_scores = em.scores(self.entries)
        self.indications = em.indications(self.entries)
        super().__init__(**initial)

    # ----------------------------------------------------------------- controls
    def _make_controls(self):
        drugs = ["all", *em.drugs(self.entries)]
        outs = [("all outcomes", "all")] + [(_OUTCOME_LABELS.get(o, o), o) for o in em.outcomes(self.entries)]
        return {
            "drug": W.Dropdown(options=drugs, value="all", description="Molecule"),
            "outcome": W.Dropdown(options=outs, value="all", description="Primary outcome"),
            "new_indication": W.Dropdown(options=[_NONE, *self.indications], value="PTSD",
                                         description="Add a trial in"),
            "new_kind": W.Dropdown(options=_KIND_CHOICES, value="rct-parallel", description="Design"),
            "new_blinding": W.Dropdown(options=_BLINDING_CHOICES, value="active", description="Blinding"),
            "new_n": W.IntSlider(value=120, min=10, max=600, step=10, description="Patients"),
            "new_result": W.Dropdown(options=(("benefit", "benefit"), ("no difference", "null")), value="benefit",
                                     description="Result"),
        }

    # ----------------------------------------------------------------- figure
    def _positions(self) -> np.ndarray:
        xy = np.zeros((len(self.entries), 2))
        for i, ind in enumerate(self.indications):
            members = [k for k, e in enumerate(self.entries) if e.indication == ind]
            offsets = np.linspace(-0.38, 0.38, len(members)) if len(members) > 1 else [0.0]
            for k, off in zip(members, offsets):
                xy[k] = (i + off, self.base_scores[self.entries[k].id].total)
        return xy

    @staticmethod
    def _area(effect_d) -> float:
        return 40.0 if effect_d is None else 40.0 + 160.0 * min(abs(effect_d), 1.5)

    def _build_figure(self, fig):
        self._transposed = narrow(fig)
        # the readout sits under the axes, in a strip the layout leaves free (it changes with the controls)
        fig.get_layout_engine().set(rect=(0, 0.62 / fig.get_figheight(), 1, 1 - 0.62 / fig.get_figheight()))
        ax = fig.add_subplot(111)
        self._ax = ax
        if self._transposed:
            self._build_rows(ax)
        else:
            self._build_columns(ax)
        self._sizes = np.array([self._area(e.effect_d) for e in self.entries])
        self._colours = np.array([to_rgba(RESULT_COLOURS[e.result]) for e in self.entries])
        self._rand = np.array([e.randomised for e in self.entries])
        self._pts = ax.scatter(self._xy[:, 0], self._xy[:, 1], s=self._sizes, c=self._colours,
                               edgecolors="black", linewidths=0.8, animated=True, zorder=3)
        (self._new,) = ax.plot([], [], marker="*", ms=17, color=C["purple"], mec="black", ls="none", animated=True,
                               zorder=5)
        for res, col in RESULT_COLOURS.items():
            ax.scatter([], [], s=40, color=col, edgecolors="black", label=res)
        ax.scatter([], [], s=40, facecolors="white", edgecolors="black", label="not randomised (open marker)")
        ax.plot([], [], marker="*", ms=10, color=C["purple"], ls="none", label="your hypothetical trial")
        if self._transposed:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=7.5, frameon=False, ncol=2,
                      columnspacing=0.8, handletextpad=0.3)
        else:
            ax.legend(loc="upper right", fontsize=7, frameon=True, ncol=3)
        self._readout = fig.text(0.01, 0.01, "", va="bottom", fontsize=7.5 if self._transposed else 7,
                                 animated=True)

    def _figure_built(self, fig):
        super()._figure_built(fig)  # the fonts at their final size first
        with mpl.rc_context(self.phone_rc):  # measured as drawn (unhinted), whichever path builds the figure
            separate_labels(self._labels, fig)

    def _build_columns(self, ax) -> None:
        """Desktop: indications along x, evidence strength up; labels alternate above and below."""
        n_ind = len(self.indications)
        ax.set_xlim(-0.6, n_ind - 0.4)
        ax.set_ylim(-0.9, em.MAX_SCORE + 1.9)
        ax.set_xticks(range(n_ind))
        ax.set_xticklabels([_wrap(i) for i in self.indications], fontsize=7)
        ax.set_ylabel(f"evidence strength (0–{em.MAX_SCORE})")
        for x in np.arange(0.5, n_ind - 0.5, 1.0):
            ax.axvline(x, color="#dddddd", lw=0.8)
        self._xy = self._positions()
        self._ind_pos = {ind: float(i) for i, ind in enumerate(self.indications)}
        self._labels = []
        rank_by_x = np.argsort(np.argsort(self._xy[:, 0], kind="stable"), kind="stable")
        for k, ((x, y), e) in enumerate(zip(self._xy, self.entries)):
            up = rank_by_x[k] % 2 == 0  # labels alternate above and below along the x axis: neighbours never share a side
            self._labels.append(ax.text(x, y + (0.4 if up else -0.45), self.short_label(e), ha="center",
                                        va="bottom" if up else "top", fontsize=7, zorder=4))

    def _build_rows(self, ax) -> None:
        """Phone: one block of rows per indication (its name, then one row per study), evidence
        strength along x; each study's name on one line beside its marker."""
        y, xy, self._ind_pos, heads = 0.0, np.zeros((len(self.entries), 2)), {}, []
        for ind in self.indications:
            members = [k for k, e in enumerate(self.entries) if e.indication == ind]
            y -= 1.0
            heads.append((ind, y))
            self._ind_pos[ind] = y
            for k in members:
                y -= 1.0
                xy[k] = (self.base_scores[self.entries[k].id].total, y)
            y -= 0.35
        self._xy = xy
        ax.set_xlim(-0.6, em.MAX_SCORE + 0.6)
        ax.set_ylim(y - 0.3, 0.2)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xticks(range(0, em.MAX_SCORE + 1, 2))
        ax.set_xlabel(f"evidence strength (0–{em.MAX_SCORE})")
        for ind, hy in heads:
            ax.text(-0.5, hy, ind, fontsize=8, weight="bold", va="center", color="#333333")
            ax.axhline(hy + 0.6, color="#dddddd", lw=0.8)
        self._labels = []
        for (x, yy), e in zip(xy, self.entries):
            right = x < 5  # the name on the side with room
            name = re.sub(r"-\n(?=[a-z])", "", self.short_label(e)).replace("-\n", "-").replace("\n", " ")
            self._labels.append(ax.text(x + (0.45 if right else -0.45), yy, name, ha="left" if right else "right",
                                        va="center", fontsize=7.5, zorder=4))

    @staticmethod
    def short_label(e: em.Entry) -> str:
        """A short name for the map: the molecule for the newer drugs, else the study."""
        if e.drug not in ("racemic ketamine",) and e.indication.startswith("depression"):
            # the depression column holds nine studies: names are broken over two lines so neighbours do not collide
            return _MAP_NAMES.get(e.drug, e.drug)
        return e.label.split(":")[0].replace(" (", "\n(")

    # ----------------------------------------------------------------- model
    def shown(self, drug: str, outcome: str) -> np.ndarray:
        """Boolean mask of the entries kept by the filters."""
        return np.array([(drug == "all" or e.drug == drug) and (outcome == "all" or e.outcome == outcome)
                         for e in self.entries])

    def hypothetical(self, new_indication, new_kind, new_blinding, new_n, new_result, drug="all"):
        """The hypothetical entry for the current controls, or None when none is added."""
        if new_indication == _NONE:
            return None
        blinding = new_blinding if new_kind in em.RANDOMISED else "open"
        mol = "racemic ketamine" if drug == "all" else drug
        return em.hypothetical_entry(new_indication, kind=new_kind, blinding=blinding, n_total=new_n,
                                     result=new_result, drug=mol)

    def _update(self, drug, outcome, new_indication, new_kind, new_blinding, new_n, new_result):
        mask = self.shown(drug, outcome)
        face = self._colours.copy()
        face[~self._rand] = to_rgba("white")
        face[~mask, 3] = 0.08
        edge = np.tile(to_rgba("black"), (len(self.entries), 1))
        edge[~mask, 3] = 0.15
        self._pts.set_facecolors(face)
        self._pts.set_edgecolors(edge)
        lines = [f"{int(mask.sum())} of {len(self.entries)} studies shown"]
        new = self.hypothetical(new_indication, new_kind, new_blinding, new_n, new_result, drug)
        if new is None:
            self._new.set_data([], [])
        else:
            placed = em.place(self.entries, new)
            pos, score = self._ind_pos[new.indication], placed["score"].total
            self._new.set_data(*(([score], [pos]) if self._transposed else ([pos], [score])))
            s = placed["score"]
            lines.append(f"your trial ({new.n_total} patients, {new.indication}): score {s.total} (design {s.design}, "
                         f"size {s.size}, blinding {s.blinding}, "
                         f"replication {s.replication}); rank {placed['rank']} of {placed['n_in_indication']}")
            if placed["changed"]:
                lines.append("it would raise replication for: " + ", ".join(placed["changed"]))
        set_text(self._readout, "\n".join(lines), chars=52)

    def alt_text(self, drug, outcome, new_indication, new_kind, new_blinding, new_n, new_result):
        mask = self.shown(drug, outcome)
        parts = []
        for ind in self.indications:
            es = [(e, self.base_scores[e.id].total) for e, k in zip(self.entries, mask) if k and e.indication == ind]
            if es:
                parts.append(f"{ind}: " + "; ".join(f"{e.label} score {t}, {e.result}" for e, t in es))
        text = (f"Evidence map, molecule filter {drug}, outcome filter {outcome}. Each study is placed by indication "
                f"and by an evidence-strength score out of {em.MAX_SCORE}. " + ". ".join(parts) + ".")
        new = self.hypothetical(new_indication, new_kind, new_blinding, new_n, new_result, drug)
        if new is not None:
            text += f" A hypothetical trial in {new.indication} scores {em.place(self.entries, new)['score'].total}."
        return text


class MoleculeComparison(LightTextMixin, ModelWidget):
    """Equilibrium NMDA (PCP-site) occupancy against total plasma concentration for the molecules
    with a sourced affinity, with the concentrations reported at clinical doses. Move the
    concentration to compare them; switch racemic ketamine's Ki between published values to see
    how much the contested affinity matters."""

    title = "How many NMDA receptors does each molecule occupy? (equilibrium binding model)"
    figsize = (8.0, 3.9)
    phone_figsize = (3.5, 7.4)
    scrub = ScrubSpec("conc_ng_ml", values=(10.0, 30.0, 100.0, 185.0, 300.0, 1000.0, 3000.0, 10000.0),
                      label="{:g} ng/mL")
    units = {"conc_ng_ml": "ng/mL"}
    colours = {"ketamine": C["blue"], "esketamine": C["vermillion"], "arketamine": C["green"], "hnk": C["purple"]}

    def __init__(self, **initial) -> None:
        self.with_affinity = [m for m in dv.MOLECULES if dv.has_affinity(m)]
        self.without = [m for m in dv.MOLECULES if not dv.has_affinity(m)]
        lo, hi = dv.racemate_ki_range_um()
        course = dv.nmda_ki_um("ketamine")
        self.ki_options = ((f"course value, {course:g} µM (kapur2002)", course),
                           (f"lowest published, {lo:g} µM (salat2015)", lo),
                           (f"highest published, {hi:g} µM (seeman2005)", hi))
        super().__init__(**initial)

    def _make_controls(self):
        return {
            "conc_ng_ml": W.FloatLogSlider(value=185.0, base=10, min=0, max=5, step=0.05,
                                           description="Total plasma concentration (ng/mL)"),
            "racemate_ki_um": W.Dropdown(options=self.ki_options, value=self.ki_options[0][1],
                                         description="Racemic ketamine Ki (contested)"),
        }

    def _build_figure(self, fig):
        slim = narrow(fig)
        gs = panels(fig, 2, width_ratios=[1.7, 1], height_ratios=[1.5, 1])
        ax = fig.add_subplot(gs[0])
        self._c = np.logspace(0, 5, 300)
        self._lines = {}
        for m in self.with_affinity:
            animated = m == "ketamine"
            (line,) = ax.plot(self._c, 100 * dv.occupancy_at(m, self._c), color=self.colours.get(m, C["black"]),
                              lw=2, animated=animated, label=f"{dv.short_name(m)} (Ki {dv.nmda_ki_um(m):g} µM)")
            self._lines[m] = line
            for c in dv.clinical_concentrations(m):
                lo, hi = c["low_ng_ml"], c["high_ng_ml"]
                occ = 100 * dv.occupancy_at(m, np.array([lo, hi]))
                ax.plot([lo, hi], occ, marker="o", ms=6, color=self.colours.get(m, C["black"]), mec="black", lw=3)
        ax.set_xscale("log")
        ax.set_xlim(1, 1e5)
        ax.set_ylim(0, 100)
        ax.set_xlabel("total plasma concentration (ng/mL, log scale)")
        ax.set_ylabel("NMDA receptors occupied (%)")
        ax.legend(fontsize=7, **legend_kwargs(fig, {"loc": "upper left", "frameon": False}, below=-0.2))
        self._vline = ax.axvline(185.0, color=C["black"], ls="--", lw=1, animated=True)
        ax.text(0.99, 0.02, "dots: reported clinical concentrations\n(ketamine's free fraction used for all)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="#444444")
        side = fig.add_subplot(gs[1])
        side.axis("off")
        side.grid(False)
        self._side = side.text(0.0, 1.0, "", transform=side.transAxes, va="top", fontsize=7.5, animated=True)
        lo, hi = dv.racemate_ki_range_um()
        side.text(0.0, 0.55, _wrap(f"Contested: published Ki values of racemic ketamine range {lo:g}–{hi:g} µM by "
                                   "assay (course value 0.5 µM); the (2R,6R)-HNK value is a functional IC50 (binding "
                                   "Ki > 100 µM).", 50 if slim else 44), transform=side.transAxes, va="top", fontsize=7,
                  color="#444444")
        names = ", ".join(dv.short_name(m) for m in self.without)
        side.text(0.0, 0.0, _wrap(f"No numeric NMDA affinity in the course sources, so no curve: {names}.",
                                  50 if slim else 44), transform=side.transAxes, va="bottom", fontsize=7, color="#444444")

    def occupancies(self, conc_ng_ml: float, racemate_ki_um: float) -> dict[str, float]:
        """Occupancy (0–1) of each molecule with an affinity at ``conc_ng_ml``."""
        out = {}
        for m in self.with_affinity:
            ki = racemate_ki_um if m == "ketamine" else None
            out[m] = float(dv.occupancy_at(m, conc_ng_ml, ki_um=ki))
        return out

    def _update(self, conc_ng_ml, racemate_ki_um):
        self._lines["ketamine"].set_ydata(100 * dv.occupancy_at("ketamine", self._c, ki_um=racemate_ki_um))
        self._vline.set_xdata([conc_ng_ml, conc_ng_ml])
        occ = self.occupancies(conc_ng_ml, racemate_ki_um)
        rows = [f"At {_conc(conc_ng_ml)} ng/mL (total):"]
        for m, o in occ.items():
            rows.append(f"  {dv.short_name(m)}: {100 * o:.1f}%")
        self._side.set_text("\n".join(rows))

    def alt_text(self, conc_ng_ml, racemate_ki_um):
        occ = self.occupancies(conc_ng_ml, racemate_ki_um)
        parts = ", ".join(f"{dv.short_name(m)} {100 * o:.1f}%" for m, o in occ.items())
        return (f"Occupancy curves against total plasma concentration on a log axis for racemic ketamine (Ki "
                f"{racemate_ki_um:g} µM), esketamine, arketamine and (2R,6R)-HNK, with reported clinical "
                f"concentrations marked. At {_conc(conc_ng_ml)} ng/mL: {parts}. Molecules without a numeric NMDA "
                f"affinity in the sources have no curve.")
