"""Exercise checks for Chapter 7, "Future directions".

Every expected value and every named mistake is computed from the package the chapter teaches
(:mod:`ketacourse.evidence.evidence_map`, :mod:`ketacourse.derivatives`, the receptor module and
:mod:`ketacourse.evidence`), so a corrected number in ``data/*.toml`` moves the answers with it.
All checks accept answers within 2% (the chapter says so).
"""

from __future__ import annotations

import math

from .. import derivatives as dv
from .. import evidence as ev
from .. import receptor
from ..evidence import evidence_map as em
from ..exercises import Mistake, NumericCheck, register
from ..units import ng_ml_to_umol_l

__all__: list[str] = []

REL_TOL = 0.02

# ----------------------------------------------------------------------------- 1. score a new trial
# A new trial (not in the table): alcohol use disorder, randomised, parallel, double blind against
# saline, 240 patients, more abstinent days with ketamine.
_NEW = dict(indication="alcohol use disorder", kind="rct-parallel", blinding="inert", n_total=240, result="benefit")


def _new_score(**change) -> em.Score:
    return em.place(em.load_map(), em.hypothetical_entry(**{**_NEW, **change}))["score"]


register(NumericCheck(
    key="ch7-new-trial-score",
    expected=lambda: _new_score().total,
    unit="points (0 to 10)",
    rel_tol=REL_TOL,
    hints=("The score is the sum of four criterion scores: design, size, blinding and replication.",
           "Look each one up in the tables the cell prints (em.DESIGN_POINTS, SIZE_STEPS, BLINDING_POINTS, "
           "REPLICATION_STEPS): size counts all patients randomised, saline is an inert placebo, and replication "
           "counts the other randomised trials of racemic ketamine in alcohol use disorder on the map that also "
           "found a benefit.",
           "em.place(em.load_map(), em.hypothetical_entry('alcohol use disorder', kind='rct-parallel', "
           "blinding='inert', n_total=240, result='benefit'))['score'].total"),
    explanation="Design and size are good, but a saline placebo earns only one blinding point (ketamine's "
                "dissociation tells many patients which arm they are in), and two earlier positive trials "
                "supply the replication points.",
    mistakes=[
        Mistake("no-replication", lambda: _new_score().total - _new_score().replication,
                "You left out replication: two earlier randomised trials of ketamine in alcohol use "
                "disorder also reported a benefit, and each agreeing trial counts."),
        Mistake("saline-as-active", lambda: _new_score(blinding="active").total,
                "You scored the blinding as an active placebo. Saline is an inert placebo: patients can "
                "often tell ketamine from it, so it earns fewer points than midazolam."),
        Mistake("size-from-one-arm", lambda: _new_score(n_total=120).total,
                "You scored the size from one arm (120). The criterion counts all patients randomised in the "
                "trial."),
    ],
))

# ----------------------------------------------------------------------------- 2. occupancy, a new case
_ARK_NG_ML = 150.0  # a total plasma concentration of arketamine not reported anywhere in the chapter


def _occ_pct(conc_ng_ml: float, ki_um: float, fu: float | None = None, molecule: str = "ketamine") -> float:
    free = receptor.free_concentration(ng_ml_to_umol_l(conc_ng_ml, molecule), fu)
    return 100.0 * float(receptor.occupancy(free, ki_um))


register(NumericCheck(
    key="ch7-arketamine-occupancy",
    expected=lambda: 100.0 * float(dv.occupancy_at("arketamine", _ARK_NG_ML)),
    unit="% of NMDA receptors",
    rel_tol=REL_TOL,
    hints=("Occupancy depends on the free concentration at the receptor and on arketamine's own Ki.",
           "Type the concentration into the cell: it prints the total in µmol/L. Multiply by the free fraction it "
           "prints, then occupancy = C / (C + Ki) with arketamine's Ki, times 100 for per cent.",
           f"In the cell: total_ng_ml = {_ARK_NG_ML:g}, then answer_occ = 100 * C / (C + Ki) with C = printed µmol/L "
           f"× free fraction. The call: dv.occupancy_at('arketamine', {_ARK_NG_ML:g}) gives the fraction; multiply by 100."),
    explanation="Arketamine binds about five times less tightly than esketamine, so at the same total "
                "concentration it occupies far fewer receptors: if it works as well in patients, NMDA "
                "block alone is unlikely to be the whole explanation.",
    mistakes=[
        Mistake("total-not-free", lambda: _occ_pct(_ARK_NG_ML, dv.nmda_ki_um("arketamine"), fu=1.0),
                "You used the total concentration. About half of ketamine in plasma is bound to proteins; "
                "only the free drug reaches the receptor."),
        Mistake("racemate-ki", lambda: _occ_pct(_ARK_NG_ML, dv.nmda_ki_um("ketamine")),
                "You used the Ki of racemic ketamine. Arketamine is the R enantiomer, with its own, weaker "
                "affinity."),
        Mistake("esketamine-ki", lambda: _occ_pct(_ARK_NG_ML, dv.nmda_ki_um("esketamine")),
                "You used esketamine's Ki: that is the S enantiomer. Arketamine is the R enantiomer."),
        Mistake("salt-molar-mass", lambda: _occ_pct(_ARK_NG_ML, dv.nmda_ki_um("arketamine"), molecule="ketamine_hcl"),
                "You converted with the molar mass of the hydrochloride salt; plasma concentrations are "
                "measured as the free base."),
    ],
))

# ----------------------------------------------------------------------------- 3. OR to d
_COUNTS = (18, 40, 7, 40)  # a new trial: abstinent at 12 weeks, ketamine vs midazolam


def _log_or() -> float:
    return ev.odds_ratio(*_COUNTS).estimate


register(NumericCheck(
    key="ch7-or-to-d",
    expected=lambda: float(ev.log_or_to_d(_log_or())),
    unit="SD units",
    rel_tol=REL_TOL,
    hints=("The map puts every effect on one scale, a standardised mean difference.",
           "Type the four counts into the cell: it prints the odds ratio. Take its natural log and convert with "
           "Chinn's rule d = ln(OR)·√3/π.",
           "In the cell: the four counts, then answer_d = np.log(the printed odds ratio) * np.sqrt(3) / np.pi. "
           "The call: ev.log_or_to_d(ev.odds_ratio(18, 40, 7, 40).estimate)"),
    explanation="An odds ratio near 4 corresponds to a standardised difference of about three-quarters of an SD: "
                "a moderate to large effect, if a trial this small can be trusted.",
    mistakes=[
        Mistake("odds-ratio", lambda: ev.odds_ratio(*_COUNTS).value,
                "That is the odds ratio itself; the map converts its natural log to a standardised difference."),
        Mistake("log-odds-ratio", _log_or,
                "That is ln(OR): multiply it by √3/π to get the standardised difference."),
        Mistake("log10", lambda: math.log10(ev.odds_ratio(*_COUNTS).value) * math.sqrt(3) / math.pi,
                "You used a base-10 logarithm; Chinn's rule uses the natural log."),
    ],
))
