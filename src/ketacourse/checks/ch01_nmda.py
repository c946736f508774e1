"""Exercise checks for Chapter 1, "Ketamine at the NMDA receptor".

Every expected value, and every named wrong answer (:class:`~ketacourse.exercises.Mistake`), is
computed from the package functions the chapter teaches (:mod:`ketacourse.units`,
:mod:`ketacourse.receptor`, :mod:`ketacourse.channel`), so a change to a sourced constant in
``data/*.toml`` moves the expected answer and the diagnosed mistakes with it.

Each exercise asks for a *new* case (a concentration, dose or occupancy the chapter does not
print), and the course-wide tolerance is 2% (answers to three significant figures pass).
"""

from __future__ import annotations

from .. import channel, receptor, units
from ..exercises import ChoiceCheck, Mistake, NumericCheck, register

__all__: list[str] = []

REL_TOL = 0.02
"""Course-wide tolerance: an answer to three significant figures is always accepted."""

# The cases the exercises ask about (settings of the exercises, not data).
NORKETAMINE_NG_ML = 100.0  # ch1-molar: a plasma norketamine concentration to convert
INDUCTION_MG_PER_KG, INDUCTION_WEIGHT_KG = 2.0, 60.0  # ch1-salt-base: an induction dose written as base
PATIENT_NG_ML, PATIENT_FU = 120.0, 0.60  # ch1-occupancy: total racemic ketamine, free fraction
RACEMIC_REFERENCE_NG_ML = 185.0  # ch1-esketamine-equivalent: the antidepressant peak (Zanos 2018)
TARGET_OCCUPANCY = 0.75  # ch1-occupancy-75


def _ki(ligand: str) -> float:
    return float(receptor.ligand_info(ligand)["ki_um"])


def _fu() -> float:
    return float(receptor.fraction_unbound())


# ----------------------------------------------------------------------------- ch1-molar
def _norketamine_um() -> float:
    return float(units.ng_ml_to_umol_l(NORKETAMINE_NG_ML, "norketamine"))


register(
    NumericCheck(
        key="ch1-molar",
        expected=_norketamine_um,
        unit="µmol/L",
        rel_tol=REL_TOL,
        hints=(
            "ng/mL and µg/L are the same thing, and a molar mass in g/mol is also µg per µmol.",
            "Divide the concentration in µg/L by norketamine's own molar mass (g/mol): µg/L ÷ µg/µmol = µmol/L.",
            "units.molar_mass_g_mol('norketamine') gives the molar mass; units.ng_ml_to_umol_l(100, 'norketamine') "
            "does the whole conversion.",
        ),
        mistakes=(
            Mistake("ketamine-molar-mass", lambda: float(units.ng_ml_to_umol_l(NORKETAMINE_NG_ML, "ketamine")),
                    "You divided by ketamine's molar mass. Norketamine has lost a methyl group (CH₂ less), so it "
                    "is lighter: use its own molar mass."),
            Mistake("salt-molar-mass", lambda: float(units.ng_ml_to_umol_l(NORKETAMINE_NG_ML, "ketamine_hcl")),
                    "You used the molar mass of ketamine hydrochloride. An assay measures the molecule itself, "
                    "without a counter-ion, and this one is norketamine."),
            Mistake("nmol-not-umol", lambda: 1000.0 * _norketamine_um(),
                    "Your number is 1000 times too large: that is nmol/L. Divide µg/L (not ng/L) by g/mol to get µmol/L."),
            Mistake("multiplied", lambda: NORKETAMINE_NG_ML * units.molar_mass_g_mol("norketamine") / 1000.0,
                    "You multiplied by the molar mass. Moles = mass ÷ molar mass, so divide."),
        ),
        explanation=(
            f"{NORKETAMINE_NG_ML:.0f} ng/mL of norketamine is about {_norketamine_um():.3f} µmol/L: a little more "
            "than the same mass concentration of ketamine, because norketamine is the lighter molecule."
        ),
    )
)


# ----------------------------------------------------------------------------- ch1-salt-base
def _induction_base_mg() -> float:
    return INDUCTION_MG_PER_KG * INDUCTION_WEIGHT_KG


def _salt_for_induction_mg() -> float:
    return float(units.base_to_salt_mg(_induction_base_mg()))


register(
    NumericCheck(
        key="ch1-salt-base",
        expected=_salt_for_induction_mg,
        unit="mg of ketamine hydrochloride",
        rel_tol=REL_TOL,
        hints=(
            "The salt is the base plus HCl, so the salt mass you need is larger than the base mass.",
            "First the dose in mg of base (mg/kg × kg), then scale it by the ratio of molar masses, salt / base.",
            "units.base_to_salt_mg(dose_base_mg) does the conversion.",
        ),
        mistakes=(
            Mistake("wrong-direction", lambda: float(units.salt_to_base_mg(_induction_base_mg())),
                    "You converted in the wrong direction (salt → base). The dose is already base; you need the "
                    "heavier mass of salt that contains it."),
            Mistake("no-conversion", _induction_base_mg,
                    "That is the dose of base. The powder is the hydrochloride, which weighs more per molecule."),
            Mistake("per-kg", lambda: _salt_for_induction_mg() / INDUCTION_WEIGHT_KG,
                    "That is mg of salt per kg. The question asks for the total mass for the whole patient."),
        ),
        explanation=(
            f"{_induction_base_mg():.0f} mg of base is in about {_salt_for_induction_mg():.0f} mg of the "
            f"hydrochloride: the salt is {100 * (1 / units.SALT_TO_BASE - 1):.0f}% heavier. Read the other way, a dose "
            f"written as salt holds {100 * (1 - units.SALT_TO_BASE):.0f}% less drug than the same number written as base."
        ),
    )
)


# ----------------------------------------------------------------------------- ch1-occupancy
# The hydrochloride's molar mass in the ng/mL -> µmol/L step gives almost the same number as the
# default free fraction (within tolerance), so that mistake's message names both slips.
_FU_OR_SALT = ("Either you used the course default free fraction (0.53), where this patient binds less ketamine "
               "(use 0.60), or you converted ng/mL with the hydrochloride's molar mass: plasma holds the base, "
               "not the salt. Both slips give almost the same number.")


def _patient_occupancy_pct() -> float:
    return 100.0 * float(receptor.occupancy_from_plasma(PATIENT_NG_ML, "ketamine", fraction_unbound_=PATIENT_FU))


register(
    NumericCheck(
        key="ch1-occupancy",
        expected=_patient_occupancy_pct,
        unit="%",
        rel_tol=REL_TOL,
        hints=(
            "Only free drug reaches the receptor, and the Ki is a molar concentration.",
            "Three steps: total ng/mL → total µmol/L (ketamine base molar mass) → free µmol/L (× this patient's free "
            "fraction) → occupancy = C/(C + Ki), in %.",
            "receptor.occupancy_from_plasma(120, 'ketamine', fraction_unbound_=0.60) does all three; multiply by 100.",
        ),
        mistakes=(
            Mistake("total-not-free", lambda: 100.0 * float(receptor.occupancy_from_plasma(
                        PATIENT_NG_ML, "ketamine", fraction_unbound_=1.0)),
                    "You compared the total concentration with Ki. Protein-bound drug cannot reach the receptor: "
                    "multiply by the free fraction first."),
            Mistake("default-free-fraction", lambda: 100.0 * float(receptor.occupancy_from_plasma(PATIENT_NG_ML, "ketamine")),
                    _FU_OR_SALT),
            Mistake("bound-fraction", lambda: 100.0 * float(receptor.occupancy_from_plasma(
                        PATIENT_NG_ML, "ketamine", fraction_unbound_=1.0 - PATIENT_FU)),
                    "You used the bound fraction (0.40). The free fraction is the part that is not bound, 0.60."),
            Mistake("fraction-not-percent", lambda: _patient_occupancy_pct() / 100.0,
                    "Right calculation, wrong unit: that is a fraction. Give it in %."),
        ),
        explanation=(
            f"About {_patient_occupancy_pct():.0f}% of PCP sites are occupied at equilibrium in this model: a free "
            "fraction of 0.60 instead of 0.53 adds a few percentage points, far less than the uncertainty in Ki."
        ),
    )
)


# ----------------------------------------------------------------------------- ch1-esketamine-equivalent
def _equal_occupancy_total_ng_ml(ki_target_um: float) -> float:
    occ = receptor.occupancy_from_plasma(RACEMIC_REFERENCE_NG_ML, "ketamine")
    free_um = receptor.concentration_for_occupancy(occ, ki_target_um)
    return float(units.umol_l_to_ng_ml(free_um / _fu(), "ketamine"))


def _esketamine_equivalent_ng_ml() -> float:
    return _equal_occupancy_total_ng_ml(_ki("esketamine"))


register(
    NumericCheck(
        key="ch1-esketamine-equivalent",
        expected=_esketamine_equivalent_ng_ml,
        unit="ng/mL",
        rel_tol=REL_TOL,
        hints=(
            "Equal occupancy means equal C/Ki: a drug that binds more tightly needs less.",
            "Find the occupancy of 185 ng/mL racemic ketamine, then the free esketamine concentration giving the "
            "same occupancy, then convert free µmol/L back to total ng/mL.",
            "receptor.occupancy_from_plasma(185, 'ketamine'), then receptor.concentration_for_occupancy(occ, "
            "receptor.ligand_info('esketamine')['ki_um']), divide by receptor.fraction_unbound(), then "
            "units.umol_l_to_ng_ml(..., 'ketamine').",
        ),
        mistakes=(
            Mistake("ratio-inverted", lambda: RACEMIC_REFERENCE_NG_ML * _ki("ketamine") / _ki("esketamine"),
                    "You scaled the wrong way: esketamine binds more tightly (lower Ki), so it needs a lower "
                    "concentration, not a higher one."),
            Mistake("arketamine", lambda: _equal_occupancy_total_ng_ml(_ki("arketamine")),
                    "You used arketamine's Ki. Esketamine is the S-enantiomer, the tighter binder."),
            Mistake("same-concentration", lambda: RACEMIC_REFERENCE_NG_ML,
                    "Equal concentrations do not give equal occupancy when the Ki values differ."),
        ),
        explanation=(
            f"About {_esketamine_equivalent_ng_ml():.0f} ng/mL of esketamine occupies as many receptors as "
            f"{RACEMIC_REFERENCE_NG_ML:.0f} ng/mL of the racemate in this model: the ratio is simply Ki(S) / Ki(racemic)."
        ),
    )
)


# ----------------------------------------------------------------------------- ch1-occupancy-75
def _total_for_occupancy_ng_ml(occ: float, fu: float | None = None) -> float:
    free_um = receptor.concentration_for_occupancy(occ, _ki("ketamine"))
    return float(units.umol_l_to_ng_ml(free_um / (_fu() if fu is None else fu), "ketamine"))


register(
    NumericCheck(
        key="ch1-occupancy-75",
        expected=lambda: _total_for_occupancy_ng_ml(TARGET_OCCUPANCY),
        unit="ng/mL",
        rel_tol=REL_TOL,
        hints=(
            "Occupancy is not proportional to concentration: rearrange occupancy = C/(C + Ki) for C.",
            "C = Ki × occ / (1 − occ) is the free concentration in µmol/L; divide by the free fraction for the total, "
            "then convert to ng/mL.",
            "receptor.concentration_for_occupancy(0.75, receptor.ligand_info('ketamine')['ki_um']) / "
            "receptor.fraction_unbound(), then units.umol_l_to_ng_ml(..., 'ketamine').",
        ),
        mistakes=(
            Mistake("total-not-free", lambda: _total_for_occupancy_ng_ml(TARGET_OCCUPANCY, fu=1.0),
                    "That is the free concentration. Plasma assays report the total, of which only 53% is free: "
                    "divide by the free fraction."),
            Mistake("proportional", lambda: float(units.umol_l_to_ng_ml(
                        TARGET_OCCUPANCY * _ki("ketamine") / _fu(), "ketamine")),
                    "You took 75% of Ki, as if occupancy grew in proportion to concentration. At C = Ki occupancy "
                    "is only 50%; 75% needs three times Ki."),
            Mistake("half-occupancy", lambda: _total_for_occupancy_ng_ml(0.5),
                    "That concentration gives half occupancy (free C = Ki). Three-quarters needs more."),
            Mistake("salt-molar-mass", lambda: float(units.umol_l_to_ng_ml(
                        receptor.concentration_for_occupancy(TARGET_OCCUPANCY, _ki("ketamine")) / _fu(), "ketamine_hcl")),
                    "You converted back with the hydrochloride's molar mass; plasma concentrations are of the base."),
        ),
        explanation=(
            f"About {_total_for_occupancy_ng_ml(TARGET_OCCUPANCY):.0f} ng/mL: three times Ki free. That is well above "
            "the dissociation band and below the anaesthesia band, in this simplified equilibrium picture."
        ),
    )
)


# ----------------------------------------------------------------------------- ch1-mg-ratio
def _ic50_ratio(mg_mm: float = 1.0) -> float:
    return float(channel.apparent_ketamine_ic50_um(-60.0, mg_mm) / channel.apparent_ketamine_ic50_um(-30.0, mg_mm))


register(
    NumericCheck(
        key="ch1-mg-ratio",
        expected=_ic50_ratio,
        unit="(ratio, no unit)",
        rel_tol=REL_TOL,
        hints=(
            "Mg²⁺ competes for the pore, and it binds more at negative voltages.",
            "Compute the apparent IC50 at −60 mV and at −30 mV, both in 1 mM Mg²⁺, and divide the −60 mV value by "
            "the −30 mV value.",
            "channel.apparent_ketamine_ic50_um(-60, 1.0) / channel.apparent_ketamine_ic50_um(-30, 1.0).",
        ),
        mistakes=(
            Mistake("ratio-inverted", lambda: 1.0 / _ic50_ratio(),
                    "Your ratio is inverted: the question asks for the −60 mV value divided by the −30 mV value, "
                    "which is larger than 1 because Mg²⁺ competes harder at −60 mV."),
            Mistake("no-magnesium", lambda: _ic50_ratio(0.0),
                    "You left Mg²⁺ out (0 mM). The question is about 1 mM Mg²⁺, the physiological concentration."),
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
        hints=(
            "Which state must a receptor be in for ketamine to reach its site?",
            "Look at the kinetic scheme: which transition puts ketamine into the pore, and what does that "
            "transition need?",
            "Run channel.TrappingBlockModel(1.0).simulate([0, 3_600_000], agonist=False) and add the "
            "open-blocked and trapped states.",
        ),
        feedback={
            "a": "That is occupancy at equilibrium, which assumes every site is accessible. Ketamine's site is "
                 "behind a gate that only agonists open, and this gate stayed shut for the whole hour.",
            "b": "Trapping keeps ketamine in once it has entered, but it must enter first, through an open channel: "
                 "the washout result is for receptors that were open while ketamine was there.",
            "d": "Mg²⁺ also needs an open pore, and the trapping model has no Mg²⁺. The reason is the closed gate.",
        },
        explanation=(
            "In this model ketamine reaches the PCP site only through an open pore, so a receptor without "
            "glutamate and glycine bound never opens and takes up no ketamine, however long the drug is present. "
            "Trapping can only hold drug that has entered, so after the washout there is nothing to release and "
            "nothing left to enter. That is a property of the model, which has only the open-channel mechanism: "
            "Orser et al. (1997) also found an action on closed receptors that would not spare silent receptors "
            "completely."
        ),
    )
)
