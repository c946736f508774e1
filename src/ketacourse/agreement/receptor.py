"""Receptor occupancy (:mod:`ketacourse.receptor`) against the binding literature and closed forms.

Published data: the Ki values of racemic ketamine at the NMDA receptor's channel site (the course's
kapur2002 value against salat2015 and seeman2005, which disagree with it tenfold), and the
enantiomer Ki of ebert1997, whose 1:1 mixture should behave like the racemate. Closed forms:
the Hill–Langmuir occupancy, its inverse, and one-site competition of several ligands.
No published human occupancy–concentration point exists to compare with (PET studies of
ketamine report displacement, not an occupancy at a stated concentration), so the step from
plasma concentration to occupancy in a patient is NOT validated.
"""

from __future__ import annotations

import numpy as np

from . import COLOURS, Report, Row, label_panel, new_figure


def report() -> Report:
    from .. import receptor
    from ..units import ng_ml_to_umol_l

    ki = receptor.ligand_info("ketamine")["ki_um"]
    rows: list[Row] = [
        Row("occupancy at C = Ki (one site)", 0.5, float(receptor.occupancy(ki, ki)), 1e-12, "analytic", relative=False),
        Row("concentration for 90 % occupancy vs 9·Ki", 9 * ki, float(receptor.concentration_for_occupancy(0.9, ki)),
            1e-12, "analytic", unit="µM"),
    ]
    c = [0.4, 0.8]
    k2 = [receptor.ligand_info("esketamine")["ki_um"], receptor.ligand_info("s_norketamine")["ki_um"]]
    hand = (c[0] / k2[0] + c[1] / k2[1]) / (1 + c[0] / k2[0] + c[1] / k2[1])
    rows.append(Row("esketamine 0.4 µM + S-norketamine 0.8 µM competing: occupancy vs ΣC/K / (1 + ΣC/K)", hand,
                    float(receptor.mixture_occupancy(c, k2)), 1e-12, "analytic", relative=False))
    s, r = receptor.ligand_info("esketamine")["ki_um"], receptor.ligand_info("arketamine")["ki_um"]
    rows.append(Row("racemate Ki implied by Ebert's S and R values (1:1 competition) vs the course's racemic Ki", ki,
                    receptor.racemate_effective_ki_um(s, r), 0.10, "ebert1997,kapur2002", unit="µM"))
    alts = [a for a in receptor.alternative_kis("ketamine") if a["source"] != "kapur2002"]
    for a in alts:
        rows.append(Row(f"racemic ketamine Ki, {a['label']} ({a['assay']}) vs the course's {ki:g} µM", a["ki_um"], ki,
                        0.5, a["source"], unit="µM", expected="miss",
                        reason="published Ki values of racemic ketamine span 0.12 to 3.1 µM (radioligand, tissue, "
                               "buffer); the course uses one (kapur2002) and shows the others"))

    def figure():
        fig, (ax,) = new_figure(7.0, 3.6)
        conc = np.geomspace(10, 5000, 300)
        free_um = receptor.free_concentration(ng_ml_to_umol_l(conc, "ketamine"))
        ax.plot(conc, 100 * receptor.occupancy(free_um, ki), color=COLOURS["model"], lw=2.2,
                label=f"course: Ki {ki:g} µM (kapur2002)")
        for a, col, ls in zip(alts, (COLOURS["other"], COLOURS["extra"]), ("--", ":")):
            ax.plot(conc, 100 * receptor.occupancy(free_um, a["ki_um"]), color=col, ls=ls,
                    label=f"Ki {a['ki_um']:g} µM ({a['source']})")
        ax.plot(conc, 100 * receptor.occupancy(free_um, receptor.racemate_effective_ki_um(s, r)), color=COLOURS["reference"],
                lw=0.9, label="Ki implied by Ebert's enantiomers")
        ax.set_xscale("log")
        label_panel(ax, "occupancy depends on which published Ki is used",
                    "total plasma ketamine (ng/mL, log); free fraction 0.53", "NMDA channel-site occupancy (%)",
                    legend=dict(loc="upper left"))
        return fig

    at200 = {a["source"]: 100 * float(receptor.occupancy_from_plasma(200.0) if a["ki_um"] == ki else
                                      receptor.occupancy(receptor.free_concentration(ng_ml_to_umol_l(200.0, "ketamine")),
                                                         a["ki_um"])) for a in receptor.alternative_kis("ketamine")}
    text = (f"The occupancy functions agree with their closed forms to round-off, and the course's racemic Ki agrees "
            f"within 2 % with the value implied by Ebert's enantiomer Ki values, an independent measurement. The "
            f"failure is in the data, and the page shows it: the published Ki values of racemic ketamine disagree "
            f"tenfold, so at 200 ng/mL (about the end of the antidepressant infusion) the predicted occupancy is "
            f"{at200.get('salat2015', float('nan')):.0f} %, {at200.get('kapur2002', float('nan')):.0f} % or "
            f"{at200.get('seeman2005', float('nan')):.0f} % depending on the source. Not validated: occupancy in "
            f"people (no human occupancy at a stated concentration was found), and the assumption that the free "
            f"concentration at the receptor equals the free plasma concentration.")
    return Report(
        key="receptor", title="Receptor occupancy", model="ketacourse.receptor",
        reference="Ki values (kapur2002, ebert1997, salat2015, seeman2005); Hill–Langmuir and competition closed forms",
        kinds=("data", "analytic"), rows=rows, text=text, figure=figure,
        alt=("Occupancy of the NMDA channel site against total plasma ketamine from 10 to 5000 ng/mL on a log axis: the "
             "course's curve (Ki 0.5 µM) lies between a curve for Ki 0.119 µM that rises much earlier and a curve for "
             "Ki 3.1 µM that rises much later; a thin black curve from Ebert's enantiomer values almost coincides "
             "with the course's curve."),
        order=45, chapter="01-nmda-receptor")
