"""Exercise checks for Chapter 2, "From dose to brain: pharmacokinetics, routes and dosing".

Every expected value is computed from the package functions the chapter teaches
(:mod:`ketacourse.units`, :mod:`ketacourse.pk`), so a change to a sourced parameter in
``data/pk_models.toml`` or ``data/routes.toml`` moves the expected answer with it.
"""

from __future__ import annotations

import numpy as np

from .. import pk, units
from ..exercises import NumericCheck, register

__all__: list[str] = []

_WEIGHT_KG = 70.0


def _base_mg_for_hcl_dose() -> float:
    """mg of base in 0.5 mg/kg ketamine hydrochloride for a 70 kg adult (Berman 2000 dose)."""
    return float(units.salt_to_base_mg(0.5 * _WEIGHT_KG))


def _end_of_infusion_domino() -> float:
    """Domino 1982 plasma concentration at the end of 0.5 mg/kg (base) over 40 min, 70 kg."""
    r = pk.simulate("domino1982", pk.infusion(dose_mg_per_kg=0.5, duration_min=40.0), _WEIGHT_KG,
                    np.arange(0.0, 41.0), warn=False)
    return float(r.conc_ng_ml[-1])


def _rate_for_steady_state_mg_per_h() -> float:
    """Infusion rate (mg/h of base) giving 100 ng/mL at steady state with the Fanta 2015 clearance, 70 kg."""
    r = pk.simulate("fanta2015", pk.bolus(0.0), _WEIGHT_KG, [0.0], warn=False)
    cl_l_per_h = r.parameters["cl"] * 60.0
    return 100.0 / 1000.0 * cl_l_per_h  # ng/mL = µg/L -> mg/L, times L/h


def _csht_ratio_fanta() -> float:
    """Fanta 2015 context-sensitive half-time after a 4-h infusion divided by that after 40 min."""
    csht = pk.context_sensitive_half_time_min("fanta2015", _WEIGHT_KG, [40.0, 240.0])
    return float(csht[1] / csht[0])


def _oral_nk_k_ratio() -> float:
    """NK/K AUC ratio after a single 25 mg oral S-ketamine dose (Fanta 2015 model, 7-day grid)."""
    t = np.concatenate([np.arange(0.0, 60.0, 0.25), np.arange(60.0, 7 * 1440.0 + 1.0, 5.0)])
    r = pk.simulate("fanta2015", pk.bolus(25.0, route="oral"), _WEIGHT_KG, t, warn=False)
    return r.auc_ng_min_ml("metabolite") / r.auc_ng_min_ml("plasma")


register(
    NumericCheck(
        key="ch2-salt",
        expected=_base_mg_for_hcl_dose,
        unit="mg of base",
        rel_tol=0.01,
        hint=(
            "First find the dose in mg of the hydrochloride salt (mg/kg × kg), then convert with "
            "units.salt_to_base_mg. The base is the lighter of the two: the answer is smaller than 35 mg."
        ),
        explanation=(
            "About 13% of the mass of ketamine hydrochloride is the hydrochloride counter-ion, so "
            "35 mg of the salt contains about 30 mg of base. A paper that writes 'ketamine hydrochloride "
            "0.5 mg/kg' gives about 0.43 mg/kg of base."
        ),
    )
)

register(
    NumericCheck(
        key="ch2-eoi",
        expected=_end_of_infusion_domino,
        unit="ng/mL",
        rel_tol=0.02,
        hint=(
            "Use pk.infusion(dose_mg_per_kg=0.5, duration_min=40) with pk.simulate('domino1982', ..., 70, times) "
            "and read the plasma concentration at t = 40 min (make sure 40 is on your time grid)."
        ),
        explanation=(
            "The historical Domino set puts the end-of-infusion concentration above the ≈185 ng/mL "
            "tabulated by Zanos 2018 but inside the 100–250 ng/mL dissociation range; its clearance is "
            "also above the Kamp 2020 meta-analytic interval."
        ),
    )
)

register(
    NumericCheck(
        key="ch2-ssrate",
        expected=_rate_for_steady_state_mg_per_h,
        unit="mg/h",
        rel_tol=0.02,
        hint=(
            "At steady state, rate in = rate out = CL × C. The model's clearance is in "
            "result.parameters['cl'] in L/min: convert it to L/h, and 100 ng/mL to mg/L (÷ 1000)."
        ),
        explanation=(
            "Rate = CL × Css: about 95 L/h × 0.1 mg/L ≈ 9.5 mg/h of S-ketamine for a 70 kg adult in this "
            "model. Steady state takes several half-lives to reach, which is why a loading dose is used."
        ),
    )
)

register(
    NumericCheck(
        key="ch2-csht",
        expected=_csht_ratio_fanta,
        unit="(ratio, no unit)",
        rel_tol=0.03,
        hint=(
            "Call pk.context_sensitive_half_time_min('fanta2015', 70, [40, 240]) and divide the second "
            "value by the first."
        ),
        explanation=(
            "The longer the infusion, the more drug has filled the slow peripheral compartments; after the "
            "infusion stops they refill the plasma, so the 50% fall takes longer. Half-life alone does not "
            "tell you this."
        ),
    )
)

register(
    NumericCheck(
        key="ch2-oral-ratio",
        expected=_oral_nk_k_ratio,
        unit="(ratio, no unit)",
        rel_tol=0.03,
        hint=(
            "Simulate pk.bolus(25, route='oral') with 'fanta2015' on a grid long enough for both curves to "
            "return to near zero (several days), then divide auc_ng_min_ml('metabolite') by auc_ng_min_ml('plasma')."
        ),
        explanation=(
            "After a single dose the AUC ratio over all time equals the steady-state ratio that Fanta 2015 "
            "reported (16.5). Note that this model's first-pass step was set to reproduce that number, so "
            "matching it checks the code, not the biology."
        ),
    )
)
