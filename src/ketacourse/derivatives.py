"""Ketamine's enantiomers, metabolite and other NMDA-targeting molecules compared (Chapter 7).

The molecules and their development history come from ``data/derivatives.toml``. For those with
a sourced NMDA affinity (``nmda_ligand``, a key of ``data/affinities.toml``), the receptor module
gives the equilibrium occupancy of the PCP site at a **total** plasma concentration
(:func:`ketacourse.receptor.occupancy_from_plasma`: free fraction, Hill–Langmuir, Ki). Two
simplifications are stated wherever the numbers are shown: ketamine's plasma free fraction (0.53)
is used for every molecule, and the functional IC50 of (2R,6R)-HNK stands in for a Ki. Molecules
without a numeric affinity in the sources (dextromethorphan, esmethadone, lanicemine, rapastinel)
have no curve: the comparison says so rather than inventing one.
"""

from __future__ import annotations

import numpy as np

from . import receptor
from .data import load_table
from .validation import check_choice, check_real

__all__ = ["MOLECULES", "STATUSES", "molecule_info", "short_name", "nmda_ki_um", "has_affinity", "clinical_concentrations",
           "occupancy_at", "comparison_rows", "racemate_ki_range_um"]

STATUSES = ("approved", "failed", "mixed", "early")
MOLECULES: tuple[str, ...] = tuple(load_table("derivatives")["molecules"])
"""Molecule ids (``"ketamine"``, ``"esketamine"``, ``"arketamine"``, ``"hnk"``, ...)."""


def molecule_info(molecule: str) -> dict:
    """The table entry for ``molecule`` (name, target, route, stage, status, outcome, source...)."""
    check_choice("molecule", molecule, MOLECULES)
    return dict(load_table("derivatives")["molecules"][molecule])


def short_name(molecule: str) -> str:
    """A short display name (the table's ``short`` field)."""
    return str(molecule_info(molecule)["short"])


def has_affinity(molecule: str) -> bool:
    """True if the molecule has a sourced NMDA Ki (or functional IC50) in ``affinities.toml``."""
    return "nmda_ligand" in molecule_info(molecule)


def nmda_ki_um(molecule: str) -> float | None:
    """NMDA (PCP-site) Ki in µmol/L, or ``None`` where no numeric value was found."""
    info = molecule_info(molecule)
    if "nmda_ligand" not in info:
        return None
    return float(receptor.ligand_info(info["nmda_ligand"])["ki_um"])


def clinical_concentrations(molecule: str) -> list[dict]:
    """Reported total plasma concentrations (``label``, ``low_ng_ml``, ``high_ng_ml``, ``source``)."""
    check_choice("molecule", molecule, MOLECULES)
    return [dict(c) for c in load_table("derivatives").get("concentrations", []) if c["molecule"] == molecule]


def occupancy_at(molecule: str, conc_ng_ml, *, ki_um: float | None = None):
    """Equilibrium NMDA occupancy (0–1) at a total plasma concentration (ng/mL).

    Parameters
    ----------
    molecule : str
        One of :data:`MOLECULES` with an affinity (see :func:`has_affinity`).
    conc_ng_ml : float or array_like
        Total plasma concentration, ng/mL (>= 0).
    ki_um : float, optional
        Override the table's Ki (µmol/L), e.g. to try another published value.

    Raises
    ------
    ValueError
        If the molecule has no sourced NMDA affinity, or a value is out of range.
    """
    info = molecule_info(molecule)
    if "nmda_ligand" not in info:
        raise ValueError(f"molecule {molecule!r} has no sourced NMDA affinity; molecules with one: "
                         f"{', '.join(m for m in MOLECULES if has_affinity(m))}")
    if ki_um is None:
        return receptor.occupancy_from_plasma(conc_ng_ml, info["nmda_ligand"])
    lig = receptor.ligand_info(info["nmda_ligand"])
    from .units import ng_ml_to_umol_l
    conc = check_real("conc_ng_ml", conc_ng_ml, low=0, unit="ng/mL")
    free = receptor.free_concentration(ng_ml_to_umol_l(conc, lig["molecule"]))
    return receptor.occupancy(free, check_real("ki_um", ki_um, low=0, low_open=True, unit="µmol/L"))


def racemate_ki_range_um() -> tuple[float, float]:
    """Lowest and highest published NMDA Ki of racemic ketamine in the course tables (contested)."""
    vals = [float(e["ki_um"]) for e in receptor.alternative_kis("ketamine")]
    return min(vals), max(vals)


def comparison_rows() -> list[dict]:
    """One row per molecule and reported concentration: the comparison table of the chapter.

    Each row has ``molecule``, ``name``, ``status``, ``ki_um`` (or None), ``label`` of the
    concentration (or ``""``), ``conc_ng_ml`` (low, high) or None, and ``occupancy`` (low, high)
    or None where either the affinity or the concentration is missing.
    """
    rows = []
    for m in MOLECULES:
        info = molecule_info(m)
        ki = nmda_ki_um(m)
        concs = clinical_concentrations(m) or [None]
        for c in concs:
            occ = None
            if c is not None and ki is not None:
                occ = tuple(float(occupancy_at(m, x)) for x in (c["low_ng_ml"], c["high_ng_ml"]))
            rows.append({"molecule": m, "name": info["name"], "status": info["status"], "ki_um": ki,
                         "label": "" if c is None else c["label"],
                         "conc_ng_ml": None if c is None else (c["low_ng_ml"], c["high_ng_ml"]),
                         "occupancy": occ, "contested": info.get("contested", "")})
    return rows


def _grid(n: int = 200) -> np.ndarray:
    return np.logspace(0, 5, n)
