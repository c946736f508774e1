"""Exercise checks for Chapter 1, "Ketamine at the NMDA receptor".

Every expected value is computed from the package functions the chapter teaches
(:mod:`ketacourse.units`, :mod:`ketacourse.receptor`, :mod:`ketacourse.channel`), so a change
to a sourced constant in ``data/*.toml`` moves the expected answer with it.
"""

from __future__ import annotations

from .. import channel, receptor, units
from ..data import load_table
from ..exercises import ChoiceCheck, NumericCheck, register

__all__: list[str] = []


def _antidepressant_peak_ng_ml() -> float:
    """Total plasma racemic ketamine at the end of a 0.5 mg/kg 40-min infusion (Zanos 2018 Table 1)."""
    return float(load_table("concentration_bands")["bands"]["antidepressant"]["low_ng_ml"])


def _molar_at_peak() -> float:
    return float(units.ng_ml_to_umol_l(_antidepressant_peak_ng_ml(), "ketamine"))


def _base_in_35_mg_salt() -> float:
    return float(units.salt_to_base_mg(35.0))


def _occupancy_at_peak_pct() -> float:
    return 100.0 * float(receptor.occupancy_from_plasma(_antidepressant_peak_ng_ml(), "ketamine"))


def _esketamine_equivalent_ng_ml() -> float:
    occ = receptor.occupancy_from_plasma(_antidepressant_peak_ng_ml(), "ketamine")
    free_um = receptor.concentration_for_occupancy(occ, receptor.ligand_info("esketamine")["ki_um"])
    return float(units.umol_l_to_ng_ml(free_um / receptor.fraction_unbound(), "ketamine"))


def _half_occupancy_total_ng_ml() -> float:
    free_um = receptor.concentration_for_occupancy(0.5, receptor.ligand_info("ketamine")["ki_um"])
    return float(units.umol_l_to_ng_ml(free_um / receptor.fraction_unbound(), "ketamine"))


def _ic50_ratio() -> float:
    return float(channel.apparent_ketamine_ic50_um(-60.0, 1.0) / channel.apparent_ketamine_ic50_um(-30.0, 1.0))


register(
    NumericCheck(
        key="ch1-molar",
        expected=_molar_at_peak,
        unit="µmol/L",
        rel_tol=0.02,
        hint=(
            "1 ng/mL is 1 µg/L, so divide by the molar mass in g/mol to get µmol/L. Use the free-base "
            "molar mass (units.molar_mass_g_mol('ketamine')), not the hydrochloride: a plasma assay "
            "measures the drug molecule, not its counter-ion."
        ),
        explanation=(
            "185 ng/mL of ketamine is about 0.78 µmol/L, matching the 0.78 µM printed beside it in "
            "Zanos et al. (2018), Table 1."
        ),
    )
)

register(
    NumericCheck(
        key="ch1-salt-base",
        expected=_base_in_35_mg_salt,
        unit="mg of free base",
        rel_tol=0.02,
        hint=(
            "The hydrochloride salt is heavier than the base it contains. Multiply by the ratio of "
            "molar masses, base / salt (units.SALT_TO_BASE, about 0.87), or call units.salt_to_base_mg."
        ),
        explanation=(
            f"35 mg of ketamine hydrochloride contains about {_base_in_35_mg_salt():.1f} mg of ketamine "
            f"base: a difference of about {100 * (1 - units.SALT_TO_BASE):.0f}%, enough to matter when "
            "two papers are compared."
        ),
    )
)

register(
    NumericCheck(
        key="ch1-occupancy",
        expected=_occupancy_at_peak_pct,
        unit="%",
        rel_tol=0.03,
        hint=(
            "Work from total to free concentration first: convert 185 ng/mL to µmol/L, multiply by "
            "the free fraction (0.53), then apply the Hill–Langmuir equation with Ki 0.5 µM. "
            "receptor.occupancy_from_plasma does all three steps. Give the answer in %, not as a fraction."
        ),
        explanation=(
            f"About {_occupancy_at_peak_pct():.0f}% of the PCP sites are occupied at equilibrium at the "
            "antidepressant peak in this model (Ki 0.5 µM, 53% of the drug free)."
        ),
    )
)

register(
    NumericCheck(
        key="ch1-esketamine-equivalent",
        expected=_esketamine_equivalent_ng_ml,
        unit="ng/mL",
        rel_tol=0.03,
        hint=(
            "Find the occupancy produced by 185 ng/mL of racemic ketamine, ask which free esketamine "
            "concentration gives the same occupancy (receptor.concentration_for_occupancy with "
            "esketamine's Ki), then convert free µmol/L back to total ng/mL (divide by the free "
            "fraction, then units.umol_l_to_ng_ml)."
        ),
        explanation=(
            f"About {_esketamine_equivalent_ng_ml():.0f} ng/mL of esketamine occupies as many receptors "
            "as 185 ng/mL of the racemate in this model: the ratio is simply Ki(S) / Ki(racemic)."
        ),
    )
)

register(
    NumericCheck(
        key="ch1-half-occupancy",
        expected=_half_occupancy_total_ng_ml,
        unit="ng/mL",
        rel_tol=0.03,
        hint=(
            "Half occupancy needs a free concentration equal to Ki. Convert that free concentration "
            "to a total one (divide by the free fraction) and then to ng/mL with the free-base molar mass."
        ),
        explanation=(
            f"About {_half_occupancy_total_ng_ml():.0f} ng/mL of total racemic ketamine is needed for "
            "half occupancy: inside the dissociation band (100–250 ng/mL) and above the analgesia band "
            "(70–160 ng/mL) tabulated by Zanos et al. (2018)."
        ),
    )
)

register(
    NumericCheck(
        key="ch1-mg-ratio",
        expected=_ic50_ratio,
        unit="(ratio, no unit)",
        rel_tol=0.03,
        hint=(
            "Call channel.apparent_ketamine_ic50_um at −60 mV and at −30 mV, both with 1 mM Mg²⁺, and "
            "divide the first by the second (the −60 mV value is the larger)."
        ),
        explanation=(
            f"At −60 mV Mg²⁺ occupies the pore so much more often that ketamine looks about "
            f"{_ic50_ratio():.1f} times less potent than at −30 mV; its own affinity is tighter at −60 mV "
            "(Gilling et al. 2009), which makes the ratio smaller than Mg²⁺ competition alone would."
        ),
    )
)

register(
    ChoiceCheck(
        key="ch1-use-dependence",
        answer="c",
        options=("a", "b", "c", "d"),
        hint=(
            "Look at the kinetic scheme: which transition puts ketamine into the pore, and from which "
            "state can it start? Try TrappingBlockModel(1.0).simulate(..., agonist=False)."
        ),
        explanation=(
            "Ketamine reaches the PCP site only through an open pore; a receptor without glutamate and "
            "glycine bound never opens, so it cannot be blocked, however much ketamine is present."
        ),
    )
)
