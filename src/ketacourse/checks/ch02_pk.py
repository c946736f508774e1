"""Exercise checks for Chapter 2, "From dose to brain: pharmacokinetics, routes and dosing".

Every expected value, and every named wrong answer (:class:`~ketacourse.exercises.Mistake`), is
computed from the package functions the chapter teaches (:mod:`ketacourse.units`,
:mod:`ketacourse.pk`, :mod:`ketacourse.receptor`), so a change to a sourced parameter in
``data/pk_models.toml`` or ``data/routes.toml`` moves the expected answer with it.

Each exercise asks for a case the chapter does not print (another model, weight, time, route
or dose), and the course-wide tolerance is 2% (answers to three significant figures pass).
The salt-versus-base exercise grades the arithmetic of each *reading* of an ambiguous dose, never
one reading as the truth.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import pk, receptor, units
from ..exercises import ChoiceCheck, Mistake, NumericCheck, register

__all__: list[str] = []

REL_TOL = 0.02
WEIGHT_KG = 70.0

# The cases the exercises ask about (settings of the exercises, not data).
HALF_LIFE_MODEL = "hijazi2003"
AFTER_INFUSION_MIN = 30.0  # ch2-after-infusion: minutes after the end of 0.5 mg/kg over 40 min
CSHT_SHORT_MIN, CSHT_LONG_MIN = 60.0, 360.0  # ch2-csht: 1-h and 6-h infusions, Fanta 2015
ROUTE = "rectal"  # ch2-route-ratio
SPRAY_MG = 84.0  # ch2-spray-occupancy and ch2-infusion-vs-spray: a three-device session
SALT_DOSE_MG_PER_KG, SALT_WEIGHT_KG = 0.5, 80.0  # ch2-salt-*: "ketamine hydrochloride 0.5 mg/kg", 80 kg
SS_MODEL, SS_WEIGHT_KG, SS_TARGET_NG_ML = "clements1981", 80.0, 140.0  # ch2-ssrate

_WEEK_GRID = np.concatenate([np.arange(0.0, 60.0, 0.25), np.arange(60.0, 7 * 1440.0 + 1.0, 5.0)])
_DAY_GRID = np.arange(0.0, 24 * 60.0 + 1.0)


# ----------------------------------------------------------------------------- ch2-half-life
def _one_compartment_half_life_h(model: str = HALF_LIFE_MODEL) -> float:
    m = pk.get_model(model)
    return float(np.log(2.0) * m.vss_l(WEIGHT_KG) / m.clearance_l_per_h(WEIGHT_KG))


register(
    NumericCheck(
        key="ch2-half-life",
        expected=_one_compartment_half_life_h,
        unit="h",
        rel_tol=REL_TOL,
        hints=(
            "The bigger the volume, the longer the half-life; the bigger the clearance, the shorter.",
            "t½ = ln 2 · V / CL, with V in L and CL in L/h, gives hours.",
            "m = pk.get_model('hijazi2003'); np.log(2) * m.vss_l(70) / m.clearance_l_per_h(70).",
        ),
        mistakes=(
            Mistake("no-ln2", lambda: _one_compartment_half_life_h() / np.log(2.0),
                    "You computed V/CL, the mean residence time of a one-compartment model. The half-life is "
                    "ln 2 (0.693) times that."),
            Mistake("minutes", lambda: 60.0 * _one_compartment_half_life_h(),
                    "That is the half-life in minutes; the question asks for hours."),
            Mistake("inverted", lambda: float(np.log(2.0) * pk.get_model(HALF_LIFE_MODEL).clearance_l_per_h(WEIGHT_KG)
                                              / pk.get_model(HALF_LIFE_MODEL).vss_l(WEIGHT_KG)),
                    "You divided CL by V. A larger volume holds more drug and makes the half-life longer, so V "
                    "goes on top."),
            Mistake("terminal-half-life", lambda: float(pk.terminal_half_life_min(HALF_LIFE_MODEL, WEIGHT_KG)) / 60.0,
                    "That is the model's terminal half-life, from its slowest exponential. The question asks for "
                    "the one-compartment value ln 2 · Vss / CL."),
        ),
        explanation=(
            f"ln 2 × Vss / CL ≈ {_one_compartment_half_life_h():.2f} h for the Hijazi 2003 set at 70 kg. Its "
            "terminal half-life is several times longer, because the last, slowest exponential of a "
            "three-compartment model is set by drug returning slowly from the deep tissues."
        ),
    )
)


# ----------------------------------------------------------------------------- ch2-after-infusion
def _domino_conc_ng_ml(t_min: float, *, form: str = "base", per_kg: bool = True) -> float:
    kwargs = {"dose_mg_per_kg": 0.5} if per_kg else {"dose_mg": 0.5}
    r = pk.simulate("domino1982", pk.infusion(duration_min=40.0, form=form, **kwargs), WEIGHT_KG,
                    np.arange(0.0, 121.0), warn=False)
    return float(np.interp(t_min, r.times_min, r.conc_ng_ml))


register(
    NumericCheck(
        key="ch2-after-infusion",
        expected=lambda: _domino_conc_ng_ml(40.0 + AFTER_INFUSION_MIN),
        unit="ng/mL",
        rel_tol=REL_TOL,
        hints=(
            "Time runs from the start of the infusion, and the infusion lasts 40 minutes.",
            "Simulate 0.5 mg/kg over 40 min with the Domino set on a grid that reaches at least 70 min, and read "
            "the plasma concentration at 40 + 30 = 70 min.",
            "r = pk.simulate('domino1982', pk.infusion(dose_mg_per_kg=0.5, duration_min=40), 70, np.arange(0, 121)); "
            "r.conc_ng_ml[70].",
        ),
        mistakes=(
            Mistake("end-of-infusion", lambda: _domino_conc_ng_ml(40.0),
                    "That is the concentration at the end of the infusion (40 min). The question asks for 30 "
                    "minutes after it stops."),
            Mistake("from-start", lambda: _domino_conc_ng_ml(AFTER_INFUSION_MIN),
                    "You read the curve at 30 min after the start, while the infusion was still running. Add "
                    "the 40 minutes of infusion."),
            Mistake("read-as-salt", lambda: _domino_conc_ng_ml(40.0 + AFTER_INFUSION_MIN, form="hcl"),
                    "You entered the dose as hydrochloride. The question gives 0.5 mg/kg of base, the package's "
                    "default."),
            Mistake("mg-not-mg-per-kg", lambda: _domino_conc_ng_ml(40.0 + AFTER_INFUSION_MIN, per_kg=False),
                    "You gave 0.5 mg in total (dose_mg). The dose is 0.5 mg per kg: use dose_mg_per_kg."),
        ),
        explanation=(
            f"About {_domino_conc_ng_ml(40.0 + AFTER_INFUSION_MIN):.0f} ng/mL: it falls by about four-fifths in "
            "half an hour, mostly by redistribution, because the Domino set's central volume is tiny."
        ),
    )
)


# ----------------------------------------------------------------------------- ch2-csht
@lru_cache(maxsize=None)  # the answer, its mistakes and every diagnosis ask again; it depends on the model only
def _csht_ratio(model: str = "fanta2015") -> float:
    short, long = pk.context_sensitive_half_time_min(model, WEIGHT_KG, [CSHT_SHORT_MIN, CSHT_LONG_MIN])
    return float(long / short)


register(
    NumericCheck(
        key="ch2-csht",
        expected=_csht_ratio,
        unit="(ratio, no unit)",
        rel_tol=REL_TOL,
        hints=(
            "The context-sensitive half-time depends on how long the infusion ran, so compute it for each duration.",
            "Compute the CSHT after a 6-hour (360 min) and a 1-hour (60 min) infusion with the Fanta set at 70 kg, "
            "and divide the 6-hour value by the 1-hour value.",
            "csht = pk.context_sensitive_half_time_min('fanta2015', 70, [60, 360]); csht[1] / csht[0].",
        ),
        mistakes=(
            Mistake("inverted", lambda: 1.0 / _csht_ratio(),
                    "Your ratio is inverted: divide the 6-hour value by the 1-hour value (it is larger than 1)."),
            Mistake("other-model", lambda: _csht_ratio("domino1982"),
                    "That is the Domino set's ratio. The question asks about the Fanta 2015 model."),
            Mistake("same-half-life", lambda: 1.0,
                    "A ratio of 1 would hold for a one-compartment drug. With peripheral compartments, a longer "
                    "infusion stores more drug that flows back afterwards."),
        ),
        explanation=(
            f"About {_csht_ratio():.2f}-fold in the Fanta model: the slow peripheral compartments fill up during a "
            "long infusion and refill the plasma after it stops, so the 50% fall takes longer."
        ),
    )
)


# ----------------------------------------------------------------------------- ch2-route-ratio
@lru_cache(maxsize=None)
def _nk_k_ratio(route: str) -> float:
    r = pk.simulate("fanta2015", pk.bolus(25.0, route=route), WEIGHT_KG, _WEEK_GRID, warn=False)
    return float(r.auc_ng_min_ml("metabolite") / r.auc_ng_min_ml("plasma"))


register(
    NumericCheck(
        key="ch2-route-ratio",
        expected=lambda: _nk_k_ratio(ROUTE),
        unit="(ratio, no unit)",
        rel_tol=REL_TOL,
        hints=(
            "The ratio is of exposures (AUC), metabolite over parent, over a long enough time.",
            "Simulate 25 mg S-ketamine by the rectal route with the Fanta set for 7 days (fine grid at the start), "
            "and divide the norketamine AUC by the S-ketamine AUC.",
            "r = pk.simulate('fanta2015', pk.bolus(25, route='rectal'), 70, t); "
            "r.auc_ng_min_ml('metabolite') / r.auc_ng_min_ml('plasma').",
        ),
        mistakes=(
            Mistake("oral", lambda: _nk_k_ratio("oral"),
                    "That is the oral ratio. The question asks about the rectal route, which loses less to first pass."),
            Mistake("inverted", lambda: 1.0 / _nk_k_ratio(ROUTE),
                    "Inverted: divide the norketamine (metabolite) AUC by the S-ketamine (parent) AUC."),
            Mistake("sublingual", lambda: _nk_k_ratio("sublingual"),
                    "That is the sublingual ratio from the table. Simulate the rectal route itself: its "
                    "bioavailability and absorption differ."),
            Mistake("iv", lambda: _nk_k_ratio("iv"),
                    "That is the IV ratio: set route='rectal' in pk.bolus."),
        ),
        explanation=(
            f"About {_nk_k_ratio(ROUTE):.1f}: between IV and oral. The model gives the rectal route the racemic "
            "bioavailability with the same first-pass fraction as oral dosing, an assumption (the step was "
            "calibrated to oral data), so the number is a model illustration, not a measurement."
        ),
    )
)


# ----------------------------------------------------------------------------- ch2-spray-occupancy
@lru_cache(maxsize=None)
def _spray_cmax_ng_ml(dose_mg: float = SPRAY_MG) -> float:
    r = pk.simulate("perezruixo2021", pk.nasal_session(dose_mg), WEIGHT_KG, _DAY_GRID, warn=False)
    return float(r.cmax_ng_ml())


def _spray_occupancy_pct() -> float:
    return 100.0 * float(receptor.occupancy_from_plasma(_spray_cmax_ng_ml(), "esketamine"))


register(
    NumericCheck(
        key="ch2-spray-occupancy",
        expected=_spray_occupancy_pct,
        unit="%",
        rel_tol=REL_TOL,
        hints=(
            "Two chapters meet here: the PK model gives the peak concentration, Chapter 1's occupancy equation "
            "turns it into occupancy.",
            "Simulate the 84 mg session (three devices) with the Perez-Ruixo set, take its plasma Cmax, then apply "
            "occupancy_from_plasma with esketamine's Ki and the default free fraction; give %.",
            "c = pk.simulate('perezruixo2021', pk.nasal_session(84), 70, np.arange(0, 1441)).cmax_ng_ml(); "
            "100 * receptor.occupancy_from_plasma(c, 'esketamine').",
        ),
        mistakes=(
            Mistake("racemic-ki", lambda: 100.0 * float(receptor.occupancy_from_plasma(_spray_cmax_ng_ml(), "ketamine")),
                    "You used the racemate's Ki. The spray is esketamine, which binds more tightly: use ligand "
                    "'esketamine'."),
            Mistake("total-not-free", lambda: 100.0 * float(receptor.occupancy(
                        units.ng_ml_to_umol_l(_spray_cmax_ng_ml(), "ketamine"), receptor.ligand_info("esketamine")["ki_um"])),
                    "You compared the total concentration with Ki; only the free fraction reaches the receptor."),
            Mistake("two-devices", lambda: 100.0 * float(receptor.occupancy_from_plasma(_spray_cmax_ng_ml(56.0), "esketamine")),
                    "That is the 56 mg session (two devices). The question asks about 84 mg (three devices)."),
            Mistake("fraction-not-percent", lambda: _spray_occupancy_pct() / 100.0,
                    "Right calculation, wrong unit: that is a fraction. Give it in %."),
        ),
        explanation=(
            f"About {_spray_occupancy_pct():.0f}% of PCP sites at the simulated peak, on the same binding "
            "assumptions as Chapter 1 (homogenate Ki, no Mg²⁺, equilibrium): comparable to the racemic "
            "infusion's peak, although the spray's plasma peak is lower, because esketamine binds more tightly."
        ),
    )
)


# ----------------------------------------------------------------------------- ch2-salt-*
def _salt_number_mg() -> float:
    return SALT_DOSE_MG_PER_KG * SALT_WEIGHT_KG


def _base_if_salt_mg(weight_kg: float = SALT_WEIGHT_KG) -> float:
    return float(units.salt_to_base_mg(SALT_DOSE_MG_PER_KG * weight_kg))


def _reading_gap_mg() -> float:
    return _salt_number_mg() - _base_if_salt_mg()


register(
    NumericCheck(
        key="ch2-salt-as-salt",
        expected=_base_if_salt_mg,
        unit="mg of base",
        rel_tol=REL_TOL,
        hints=(
            "On this reading the 0.5 mg/kg is the mass of the salt, part of which is HCl.",
            "Dose of salt = 0.5 mg/kg × 80 kg; the base is the lighter part: multiply by base/salt molar masses.",
            "units.salt_to_base_mg(0.5 * 80).",
        ),
        mistakes=(
            Mistake("no-conversion", _salt_number_mg,
                    "That is the other reading (the label's: 0.5 mg/kg of base). For this part, take the number as "
                    "salt and convert."),
            Mistake("wrong-direction", lambda: float(units.base_to_salt_mg(_salt_number_mg())),
                    "You converted base → salt. Here the number is the salt, and you want the base it contains."),
            Mistake("chapter-weight", lambda: _base_if_salt_mg(WEIGHT_KG),
                    "You used the chapter's 70 kg adult; this participant weighs 80 kg."),
            Mistake("per-kg", lambda: _base_if_salt_mg() / SALT_WEIGHT_KG,
                    "That is mg of base per kg; the question asks for the total in mg."),
        ),
        explanation=(
            f"Read as salt, the dose holds about {_base_if_salt_mg():.1f} mg of base "
            f"({_base_if_salt_mg() / SALT_WEIGHT_KG:.3f} mg/kg)."
        ),
    )
)

register(
    NumericCheck(
        key="ch2-salt-gap",
        expected=_reading_gap_mg,
        unit="mg of base",
        rel_tol=REL_TOL,
        weight_kg=SALT_WEIGHT_KG,
        hints=(
            "Work out the base under each reading and subtract.",
            "Reading 1 (label convention): 0.5 mg/kg is already base. Reading 2: it is salt, so convert. The gap is "
            "reading 1 minus reading 2.",
            "0.5 * 80 - units.salt_to_base_mg(0.5 * 80).",
        ),
        mistakes=(
            Mistake("percent-not-mg", lambda: 100.0 * _reading_gap_mg() / _salt_number_mg(),
                    "That is the gap in per cent of the dose. The question asks for mg of base."),
            Mistake("salt-direction", lambda: float(units.base_to_salt_mg(_salt_number_mg())) - _salt_number_mg(),
                    "You computed how much salt holds 40 mg of base, minus 40: a mass of salt. Compare the two "
                    "readings in mg of base."),
            Mistake("one-reading", _base_if_salt_mg,
                    "That is the base under the salt reading alone; the question asks for the difference between "
                    "the two readings."),
            Mistake("other-reading", _salt_number_mg,
                    "That is the base under the label reading alone; subtract the salt reading."),
        ),
        explanation=(
            f"The two readings differ by about {_reading_gap_mg():.1f} mg of base "
            f"({100 * (1 - units.SALT_TO_BASE):.0f}% of the dose). A paper that writes only \"ketamine "
            "hydrochloride 0.5 mg/kg\" does not settle which it means; US vials are labelled in base, so the base "
            "reading is the more plausible one, but report both when you compare studies."
        ),
    )
)


# ----------------------------------------------------------------------------- ch2-ssrate
def _rate_mg_per_h(model: str = SS_MODEL, weight_kg: float = SS_WEIGHT_KG) -> float:
    return float(pk.get_model(model).clearance_l_per_h(weight_kg) * SS_TARGET_NG_ML / 1000.0)


register(
    NumericCheck(
        key="ch2-ssrate",
        expected=_rate_mg_per_h,
        unit="mg/h",
        rel_tol=REL_TOL,
        hints=(
            "At steady state rate in = rate out, and rate out = clearance × concentration.",
            "R = CL × Css with CL in L/h for an 80 kg adult and Css in mg/L (1 ng/mL = 1 µg/L = 0.001 mg/L).",
            f"pk.get_model('clements1981').clearance_l_per_h(80) * {SS_TARGET_NG_ML:g} / 1000.",
        ),
        mistakes=(
            Mistake("ng-as-mg", lambda: 1000.0 * _rate_mg_per_h(),
                    f"1000 times too large: {SS_TARGET_NG_ML:g} ng/mL is {SS_TARGET_NG_ML / 1000:g} mg/L, "
                    f"not {SS_TARGET_NG_ML:g} mg/L."),
            Mistake("per-minute", lambda: _rate_mg_per_h() / 60.0,
                    "That is mg per minute; the question asks for mg per hour."),
            Mistake("per-kg", lambda: _rate_mg_per_h() / SS_WEIGHT_KG,
                    "That is mg/kg/h; the question asks for the total rate in mg/h."),
            Mistake("chapter-weight", lambda: _rate_mg_per_h(weight_kg=WEIGHT_KG),
                    "You used the clearance of a 70 kg adult. This patient weighs 80 kg, and clearance scales "
                    "with weight."),
        ),
        explanation=(
            f"R = CL × Css ≈ {_rate_mg_per_h():.1f} mg/h in this model. Steady state takes several half-lives to "
            "reach, which is why a loading dose is used; computing what a model implies is not a dosing recommendation."
        ),
    )
)


# ----------------------------------------------------------------------------- ch2-infusion-vs-spray
def _infusion_peak_ng_ml() -> float:
    r = pk.simulate("domino1982", pk.infusion(dose_mg_per_kg=0.5, duration_min=40.0), WEIGHT_KG,
                    np.arange(0.0, 121.0), warn=False)
    return float(r.cmax_ng_ml())


register(
    NumericCheck(
        key="ch2-infusion-vs-spray",
        expected=lambda: _infusion_peak_ng_ml() / _spray_cmax_ng_ml(),
        unit="(ratio, no unit)",
        rel_tol=REL_TOL,
        hints=(
            "Put both regimens on one concentration scale: simulate each, take each plasma peak.",
            "Peak of 0.5 mg/kg over 40 min (Domino set, 70 kg) divided by the peak of the 84 mg spray session "
            "(Perez-Ruixo set).",
            "Use r.cmax_ng_ml() on each simulation and divide infusion by spray.",
        ),
        mistakes=(
            Mistake("inverted", lambda: _spray_cmax_ng_ml() / _infusion_peak_ng_ml(),
                    "Inverted: divide the infusion's peak by the spray's peak."),
            Mistake("two-devices", lambda: _infusion_peak_ng_ml() / _spray_cmax_ng_ml(56.0),
                    "You used the 56 mg session. The question asks about 84 mg."),
        ),
        explanation=(
            f"The racemic infusion peaks about {_infusion_peak_ng_ml() / _spray_cmax_ng_ml():.1f} times higher in "
            "these models. Both sit far below the anaesthesia band; because esketamine binds more tightly, similar "
            "occupancy needs a lower concentration, so the plasma ratio overstates the difference at the receptor."
        ),
    )
)
