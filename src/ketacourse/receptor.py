"""NMDA receptor occupancy at the PCP site (Hill–Langmuir), free vs total concentration.

Occupancy is the fraction of receptors with a ligand bound at equilibrium,

    occupancy = C^n / (C^n + Ki^n),

with C the **free** concentration at the receptor and Ki the inhibition constant (µmol/L).
Plasma concentrations in the clinic are **total** (bound + free), so the free fraction is
applied first. Ligand affinities and plasma binding come from ``data/affinities.toml``.
"""

from __future__ import annotations

import numpy as np

from .data import load_table
from .units import ng_ml_to_umol_l, pki_to_ki_um
from .validation import check_choice, check_real

__all__ = [
    "LIGANDS",
    "ligand_info",
    "occupancy",
    "concentration_for_occupancy",
    "mixture_occupancy",
    "free_concentration",
    "occupancy_from_plasma",
    "fraction_unbound",
    "racemate_effective_ki_um",
    "alternative_kis",
    "other_target_kis_um",
]

LIGANDS: tuple[str, ...] = tuple(load_table("affinities")["ligands"])
"""Names of the ligands with a sourced Ki (``"ketamine"``, ``"esketamine"``, ...)."""


def ligand_info(ligand: str) -> dict:
    """The data-table entry for ``ligand`` (Ki in µM, assay, source, flag, note)."""
    check_choice("ligand", ligand, LIGANDS)
    return dict(load_table("affinities")["ligands"][ligand])


def fraction_unbound() -> float:
    """Default free (unbound) fraction of ketamine in plasma, 1 − fraction bound."""
    return 1.0 - float(load_table("affinities")["plasma_binding"]["ketamine"]["fraction_bound"])


def occupancy(conc_um, ki_um, hill: float = 1.0):
    """Fractional occupancy (0–1) from the Hill–Langmuir equation.

    Parameters
    ----------
    conc_um : float or array_like
        Free ligand concentration at the receptor, µmol/L (>= 0).
    ki_um : float
        Inhibition (dissociation) constant, µmol/L (> 0).
    hill : float
        Hill coefficient (> 0); 1 for simple one-site binding.

    Returns
    -------
    float or numpy.ndarray
        Occupancy between 0 and 1, same shape as ``conc_um``.
    """
    c = check_real("conc_um", conc_um, low=0, unit="µmol/L")
    k = check_real("ki_um", ki_um, low=0, low_open=True, unit="µmol/L")
    n = check_real("hill", hill, low=0, low_open=True)
    ratio = np.power(np.divide(c, k), n)
    return ratio / (1.0 + ratio)


def concentration_for_occupancy(occ, ki_um, hill: float = 1.0):
    """Inverse of :func:`occupancy`: free concentration (µmol/L) giving occupancy ``occ`` (0 ≤ occ < 1)."""
    o = check_real("occ", occ, low=0, high=1, high_open=True)
    k = check_real("ki_um", ki_um, low=0, low_open=True, unit="µmol/L")
    n = check_real("hill", hill, low=0, low_open=True)
    return k * np.power(np.divide(o, 1.0 - o), 1.0 / n)


def mixture_occupancy(concs_um, kis_um):
    """Total occupancy by several ligands competing for one site (each with Hill coefficient 1).

    occupancy = Σ(Cᵢ/Kᵢ) / (1 + Σ(Cᵢ/Kᵢ)).

    Parameters
    ----------
    concs_um : sequence of float or array_like
        Free concentration of each ligand, µmol/L.
    kis_um : sequence of float
        Ki of each ligand, µmol/L.
    """
    if not all(isinstance(x, (list, tuple, np.ndarray)) for x in (concs_um, kis_um)):
        raise ValueError(
            f"concs_um and kis_um must be sequences (one value per ligand); got {concs_um!r} and {kis_um!r}"
        )
    if len(concs_um) != len(kis_um):
        raise ValueError(
            f"concs_um and kis_um must have the same length; got {len(concs_um)} and {len(kis_um)}"
        )
    total = 0.0
    for i, (c, k) in enumerate(zip(concs_um, kis_um)):
        c = check_real(f"concs_um[{i}]", c, low=0, unit="µmol/L")
        k = check_real(f"kis_um[{i}]", k, low=0, low_open=True, unit="µmol/L")
        total = total + np.divide(c, k)
    return total / (1.0 + total)


def free_concentration(total_conc, fraction_unbound_: float | None = None):
    """Free (unbound) concentration from a total plasma concentration (same units as the input).

    Parameters
    ----------
    total_conc : float or array_like
        Total plasma concentration (>= 0), any unit.
    fraction_unbound_ : float, optional
        Free fraction in (0, 1]; default from :func:`fraction_unbound` (Dayton 1983).
    """
    c = check_real("total_conc", total_conc, low=0)
    fu = fraction_unbound() if fraction_unbound_ is None else fraction_unbound_
    fu = check_real("fraction_unbound", fu, low=0, high=1, low_open=True)
    return np.multiply(c, fu) if isinstance(c, np.ndarray) else c * fu


def occupancy_from_plasma(conc_ng_ml, ligand: str = "ketamine", *, fraction_unbound_: float | None = None):
    """NMDA receptor occupancy expected at equilibrium for a **total** plasma concentration.

    Assumes the free concentration at the receptor equals the free plasma concentration (a
    teaching simplification: it ignores brain-to-plasma partitioning and pH gradients).

    Parameters
    ----------
    conc_ng_ml : float or array_like
        Total plasma concentration of ``ligand`` in ng/mL (>= 0).
    ligand : str
        One of :data:`LIGANDS`.
    fraction_unbound_ : float, optional
        Free fraction; default 0.53 (Dayton 1983).
    """
    info = ligand_info(ligand)
    conc = check_real("conc_ng_ml", conc_ng_ml, low=0, unit="ng/mL")
    free_um = free_concentration(ng_ml_to_umol_l(conc, info["molecule"]), fraction_unbound_)
    return occupancy(free_um, info["ki_um"])


def racemate_effective_ki_um(ki_a_um: float, ki_b_um: float) -> float:
    """Apparent Ki (µM) of a 1:1 mixture of two ligands competing for one site.

    With half the total free concentration C as each enantiomer, the occupancy
    Σ(Cᵢ/Kᵢ)/(1 + Σ(Cᵢ/Kᵢ)) equals C/(C + K_eff) with K_eff = 1 / (0.5/K_a + 0.5/K_b).
    """
    a = check_real("ki_a_um", ki_a_um, low=0, low_open=True, unit="µmol/L")
    b = check_real("ki_b_um", ki_b_um, low=0, low_open=True, unit="µmol/L")
    return 1.0 / (0.5 / a + 0.5 / b)


def alternative_kis(ligand: str = "ketamine") -> list[dict]:
    """Other published Ki values for ``ligand`` (label, ki_um, assay, source), for comparison."""
    check_choice("ligand", ligand, LIGANDS)
    return [dict(e) for e in load_table("affinities").get("alternative_ki", {}).get(ligand, [])]


def other_target_kis_um() -> dict[str, float]:
    """Affinities (µM) of racemic ketamine for targets other than the NMDA receptor, by label.

    pKi values in the table are converted with :func:`ketacourse.units.pki_to_ki_um`.
    """
    out = {}
    for entry in load_table("affinities")["other_targets"].values():
        out[entry["label"]] = float(pki_to_ki_um(entry["pki"])) if "pki" in entry else float(entry["ki_um"])
    return out
