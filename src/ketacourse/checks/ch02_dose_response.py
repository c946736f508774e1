"""Exercise checks for Chapter 2's dose-response section ("From concentration to effect").

Expected values and the named mistakes are computed from :mod:`ketacourse.pd` and
:mod:`ketacourse.pk`, so a change to a sourced parameter (``data/pd_models.toml``,
``data/pk_models.toml``) moves the answers and the mistakes with it.
"""

from __future__ import annotations

import math

import numpy as np

from .. import pd, pk
from ..data import load_table
from ..exercises import ChoiceCheck, Mistake, NumericCheck, register

__all__: list[str] = []

RACEMIC_CONC_NG_ML = 1000.0
"""The racemic serum concentration of the equal-effect exercise (a setting of the exercise)."""
PAIN_T_HALF_KE0_MIN = float(load_table("pd_models")["effect_site"]["olofsen2012"]["t_half_ke0_min_high"])
"""Olofsen 2012's slowest effect-site equilibration half-time (pain), min."""
BOLUS_MG_PER_KG = 1.0
INJECTION_MIN = 1.0  # the Ketalar label's "over 60 seconds"
WEIGHT_KG = 70.0


def _equal_effect_conc(compound: str, racemic_ng_ml: float = RACEMIC_CONC_NG_ML) -> float:
    """Concentration of ``compound`` giving the EEG slowing that racemic ketamine gives at
    ``racemic_ng_ml`` (Schüttler 1987 models; inf if that effect exceeds the compound's Emax)."""
    target = pd.schuttler_eeg("racemic").effect(racemic_ng_ml)
    m = pd.schuttler_eeg(compound)
    if target >= m.emax:
        return math.inf
    return float(pd.concentration_for_fraction(target / m.emax, m.ec50_ng_ml, m.hill))


def _ic50_scaled(invert: bool = False) -> float:
    s, rac = pd.schuttler_eeg("S").ec50_ng_ml, pd.schuttler_eeg("racemic").ec50_ng_ml
    return RACEMIC_CONC_NG_ML * (rac / s if invert else s / rac)


def _effect_peak_min(t_half_min: float) -> float:
    """Time (min) of the effect-site peak after 1 mg/kg racemic ketamine injected over 1 min
    (Domino 1982, 70 kg) with effect-site half-time ``t_half_min``."""
    t = np.arange(0.0, 90.0, 0.01)
    r = pk.simulate("domino1982", pk.infusion(dose_mg_per_kg=BOLUS_MG_PER_KG, duration_min=INJECTION_MIN),
                    WEIGHT_KG, t, ke0_per_min=math.log(2.0) / t_half_min, warn=False)
    return float(t[np.argmax(r.effect_ng_ml)])


def _default_t_half_min() -> float:
    return math.log(2.0) / pk.default_ke0_per_min()


_ABOVE_RACEMIC = ("Your answer is larger than the racemic concentration, but S-ketamine is the more potent form and "
                  "needs a lower concentration for the same effect. Either you used R-ketamine's curve "
                  "(pd.schuttler_eeg('R')) instead of S-ketamine's, or you put the wrong IC50 on top of the ratio.")

register(
    NumericCheck(
        key="ch2-eeg-equal-effect",
        expected=lambda: _equal_effect_conc("S"),
        unit="ng/mL of S-ketamine",
        rel_tol=0.02,
        hints=(
            "Equal effect means equal EEG slowing in Hz, not an equal fraction of each drug's maximum.",
            "First find the slowing racemic ketamine gives at 1000 ng/mL, then the S-ketamine concentration that "
            "gives the same slowing (as a fraction of S-ketamine's own Emax).",
            "pd.schuttler_eeg('racemic').effect(1000), then pd.concentration_for_fraction(target / m.emax, "
            "m.ec50_ng_ml, m.hill) with m = pd.schuttler_eeg('S').",
        ),
        explanation=(
            "Less than half the racemic concentration gives the same EEG slowing, and the ratio is not exactly the "
            "ratio of the IC50 values, because S-ketamine's maximal effect is also larger than the racemate's."
        ),
        mistakes=(
            Mistake("ic50-ratio", _ic50_scaled,
                    "You scaled the concentration by the ratio of the IC50 values. That holds only when both curves "
                    "have the same Emax; S-ketamine's Emax (8.3 Hz) is larger than the racemate's (7.6 Hz), so match "
                    "the effect in Hz, not the fraction of each maximum."),
            # R-ketamine's curve and an inverted IC50 ratio land within 2.5% of each other: one mistake at
            # their midpoint (both within tolerance of it) names both.
            Mistake("r-not-s-or-ratio-inverted",
                    lambda: 0.5 * (_equal_effect_conc("R") + _ic50_scaled(invert=True)), _ABOVE_RACEMIC),
            Mistake("ug-per-ml", lambda: _equal_effect_conc("S") / 1000.0,
                    "Your number looks like µg/mL. Schüttler reported µg/mL, but the package and this question use "
                    "ng/mL (1 µg/mL = 1000 ng/mL)."),
        ),
    )
)

register(
    ChoiceCheck(
        key="ch2-r-ceiling",
        answer="b",
        options=("a", "b", "c", "d"),
        hints=(
            "Is 5 Hz a question of potency (where the curve sits) or of efficacy (how high it can go)?",
            "Compare 5 Hz with each enantiomer's Emax in the data table, not with its IC50.",
        ),
        explanation=(
            "Efficacy, not potency, sets the ceiling: in Schüttler's data R-ketamine's maximal slowing is 4.4 Hz, so "
            "no concentration of R-ketamine alone gives 5 Hz. More drug moves you along a curve, never above its "
            "plateau."
        ),
        feedback={
            "a": ("That treats the enantiomers as differing only in potency (EC50). R-ketamine also has a lower "
                  "maximal effect, and 5 Hz is above it."),
            "c": ("A drug's maximal effect (Emax) is a ceiling: beyond it, more concentration adds nothing. Compare "
                  "5 Hz with R-ketamine's Emax."),
            "d": ("Adding S-ketamine would change the drug, not R-ketamine's own ceiling. The question is about "
                  "R-ketamine alone."),
        },
    )
)

register(
    NumericCheck(
        key="ch2-effect-peak",
        expected=lambda: _effect_peak_min(PAIN_T_HALF_KE0_MIN),
        unit="min",
        rel_tol=0.02,
        abs_tol=0.1,
        hints=(
            "The effect site fills while the plasma falls: its peak is where the two curves cross.",
            "Set the widget's t½ke0 to 11.8 min and read the effect-site peak time, or simulate it.",
            "pk.simulate('domino1982', pk.infusion(dose_mg_per_kg=1, duration_min=1), 70, t, "
            "ke0_per_min=math.log(2) / 11.8) on t = np.arange(0, 90, 0.01); take t[argmax(effect_ng_ml)].",
        ),
        explanation=(
            "A slower effect site peaks later and lower than the default one. The time of the peak does not depend "
            "on the dose in this linear model."
        ),
        mistakes=(
            Mistake("plasma-peak", lambda: INJECTION_MIN,
                    "That is when the plasma concentration peaks (the end of the 1-minute injection). The effect site "
                    "fills more slowly, so its peak comes later."),
            Mistake("t-half-is-peak", lambda: PAIN_T_HALF_KE0_MIN,
                    "t½ke0 is the half-time of equilibration, not the time of the peak. While the effect site fills, "
                    "the plasma is already falling, so the two meet (and the effect site peaks) earlier."),
            Mistake("default-ke0", lambda: _effect_peak_min(_default_t_half_min()),
                    "That is the peak time with the package's default t½ke0 (6.1 min). The question asks about the "
                    "slower value reported for pain, 11.8 min."),
        ),
    )
)
