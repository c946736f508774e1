"""Units: molar masses, mass <-> molar concentration, and salt <-> base doses.

Doses in this course are in mg of **free base** unless a name says otherwise. Ketamine vials
and esketamine nasal-spray doses are labelled as base; many psychiatric papers write
"ketamine hydrochloride 0.5 mg/kg". The factor between the two is the ratio of molar masses
(about 1.153), computed here from the molecular formulas in ``data/molecules.toml``.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

from .data import load_table
from .validation import check_choice, check_real

__all__ = [
    "MOLECULES",
    "molar_mass_g_mol",
    "ng_ml_to_umol_l",
    "umol_l_to_ng_ml",
    "salt_to_base_mg",
    "base_to_salt_mg",
    "SALT_TO_BASE",
    "pki_to_ki_um",
]

MOLECULES: tuple[str, ...] = tuple(load_table("molecules")["molecules"])

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*)")


@cache
def molar_mass_g_mol(molecule: str) -> float:
    """Molar mass (g/mol) of ``molecule``, computed from its formula and IUPAC atomic weights.

    Parameters
    ----------
    molecule : str
        One of :data:`MOLECULES` (``"ketamine"``, ``"ketamine_hcl"``, ``"norketamine"``, ``"hnk"``).
    """
    check_choice("molecule", molecule, MOLECULES)
    table = load_table("molecules")
    weights = {k: v for k, v in table["atomic_weights"].items() if isinstance(v, float)}
    formula = table["molecules"][molecule]["formula"]
    total = 0.0
    for element, count in _TOKEN.findall(formula):
        total += weights[element] * (int(count) if count else 1)
    return total


def ng_ml_to_umol_l(conc_ng_ml, molecule: str = "ketamine"):
    """Convert a mass concentration (ng/mL) to a molar concentration (µmol/L).

    1 ng/mL = 1 µg/L, so µmol/L = (ng/mL) / (g/mol).

    Parameters
    ----------
    conc_ng_ml : float or array_like
        Concentration in ng/mL (>= 0).
    molecule : str
        Which molecule's molar mass to use (free base by default).
    """
    conc = check_real("conc_ng_ml", conc_ng_ml, low=0, unit="ng/mL")
    return conc / molar_mass_g_mol(molecule)


def umol_l_to_ng_ml(conc_umol_l, molecule: str = "ketamine"):
    """Convert a molar concentration (µmol/L) to a mass concentration (ng/mL)."""
    conc = check_real("conc_umol_l", conc_umol_l, low=0, unit="µmol/L")
    return conc * molar_mass_g_mol(molecule)


SALT_TO_BASE: float = molar_mass_g_mol("ketamine") / molar_mass_g_mol("ketamine_hcl")
"""Mass of free base in 1 mg of ketamine hydrochloride (about 0.867)."""


def salt_to_base_mg(dose_salt_mg):
    """Convert a dose written as mg of ketamine hydrochloride to mg of free base."""
    dose = check_real("dose_salt_mg", dose_salt_mg, low=0, unit="mg")
    return np.multiply(dose, SALT_TO_BASE) if isinstance(dose, np.ndarray) else dose * SALT_TO_BASE


def base_to_salt_mg(dose_base_mg):
    """Convert a dose in mg of free base to mg of ketamine hydrochloride."""
    dose = check_real("dose_base_mg", dose_base_mg, low=0, unit="mg")
    return dose / SALT_TO_BASE


def pki_to_ki_um(pki):
    """Convert a pKi (−log10 of Ki in mol/L) to Ki in µmol/L: Ki = 10^(6 − pKi) µM.

    Parameters
    ----------
    pki : float or array_like
        pKi, dimensionless (0 to 14).
    """
    p = check_real("pki", pki, low=0, high=14)
    return np.power(10.0, 6.0 - p)
