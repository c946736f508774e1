"""Pharmacodynamics: from concentration to effect.

Submodules (each imported explicitly; chapter-specific models live beside these in their own
modules, for example ``pd.antidepressant`` and ``pd.analgesia``, and are imported by name):

``pd.curves``
    linear, Emax and sigmoid Emax (stimulatory and inhibitory) curves; potency, efficacy and
    steepness helpers.
``pd.published``
    published models as sourced data (``data/pd_models.toml``): Schüttler 1987 EEG by
    enantiomer, Bowdle 1998's linear range, White 1980's equianaesthetic doses.
``pd.link``
    the effect-site link to :mod:`ketacourse.pk` (its effect compartment and ke0) and
    hysteresis-loop areas.

Units: concentrations ng/mL, time min, effects in the source's unit.

Example
-------
>>> from ketacourse import pd
>>> m = pd.schuttler_eeg("S")
>>> round(m.effect(m.ec50_ng_ml) / m.emax, 3)
0.5
"""

from .curves import concentration_for_fraction, emax_model, fraction_of_max, linear, sigmoid_emax, window_ratio
from .link import (
    EffectResult,
    effect_site_concentration,
    effect_time_course,
    loop_area,
    normalised_loop_area,
    simulate_effect,
)
from .published import (
    HILL_WHEN_UNREPORTED,
    PDModel,
    equianaesthetic_doses,
    get_pd_model,
    linear_range,
    pd_model_keys,
    schuttler_eeg,
)

__all__ = [
    "linear",
    "emax_model",
    "sigmoid_emax",
    "fraction_of_max",
    "concentration_for_fraction",
    "window_ratio",
    "PDModel",
    "HILL_WHEN_UNREPORTED",
    "pd_model_keys",
    "get_pd_model",
    "schuttler_eeg",
    "linear_range",
    "equianaesthetic_doses",
    "EffectResult",
    "effect_time_course",
    "simulate_effect",
    "effect_site_concentration",
    "loop_area",
    "normalised_loop_area",
]
