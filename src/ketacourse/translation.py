"""Dose translation between species by body surface area, and why it misleads for ketamine.

The US FDA guidance on first-in-human starting doses converts an animal dose in mg/kg into a
*human equivalent dose* (HED) by normalising to body surface area :cite:`fda2005,nair2016`:

.. math::

    \\mathrm{HED}\\ (\\mathrm{mg/kg}) = \\text{animal dose}\\ (\\mathrm{mg/kg}) \\times
    \\frac{K_m^{\\text{animal}}}{K_m^{\\text{human}}}

where ``Km`` is body weight divided by body surface area (kg/m²), 3 for a mouse, 6 for a rat
and 37 for an adult human (``data/species_scaling.toml``). The rule was built to choose a safe
starting dose from animal toxicity data. It does **not** say which human dose gives the same
*concentration* or the same *effect*: ketamine's elimination half-life is about 13 min in mice
and about 3 h in humans :cite:`ma2023`, rodents usually receive it intraperitoneally (absorbed
largely through the liver), and behavioural tests are run hours to days after the dose. The
functions here compute the HED and then the concentration a typical adult would reach if given it,
so that the two can be compared with the human concentration bands of Chapter 1.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .data import load_table
from .validation import check_choice, check_real

__all__ = [
    "species_names",
    "species_info",
    "km_factor",
    "human_equivalent_dose_mg_per_kg",
    "rodent_doses",
    "human_peak_ng_ml",
    "HUMAN_ROUTES",
    "elimination_half_lives_min",
]

HUMAN_ROUTES = ("iv_infusion_40", "im")
"""How the human equivalent dose is given in :func:`human_peak_ng_ml`: over 40 min IV (as in
the depression trials) or as one intramuscular injection (the human route closest to an
intraperitoneal injection's fast absorption)."""


@cache
def _table() -> dict:
    return load_table("species_scaling")


def species_names() -> tuple[str, ...]:
    """Species in the scaling table (``"human"``, ``"mouse"``, ``"rat"``, ...)."""
    return tuple(_table()["species"])


def species_info(species: str) -> dict:
    """The table entry for ``species`` (reference weight, surface area, Km, source)."""
    check_choice("species", species, species_names())
    return dict(_table()["species"][species])


def km_factor(species: str) -> float:
    """Km = body weight / body surface area (kg/m²) for ``species``."""
    return float(species_info(species)["km"])


def human_equivalent_dose_mg_per_kg(dose_mg_per_kg, species: str):
    """Human equivalent dose (mg/kg) of an animal dose, by body surface area.

    Parameters
    ----------
    dose_mg_per_kg : float or array_like
        Dose given to the animal (mg/kg, >= 0, <= 1000).
    species : str
        The animal species (not ``"human"``).

    Returns
    -------
    float or numpy.ndarray
        ``dose x Km_animal / Km_human`` (mg/kg).

    Raises
    ------
    ValueError
        Unknown species, ``"human"``, or a dose that is negative, not finite or above 1000 mg/kg.
    """
    animals = tuple(s for s in species_names() if s != "human")
    check_choice("species", species, animals)
    d = check_real("dose_mg_per_kg", dose_mg_per_kg, low=0, high=1000, unit="mg/kg")
    return d * km_factor(species) / km_factor("human")


def rodent_doses() -> dict[str, dict]:
    """Typical single ketamine doses in rodent studies, with their sources (``data/species_scaling.toml``)."""
    return {k: dict(v) for k, v in _table()["rodent_doses"].items()}


def elimination_half_lives_min() -> dict[str, float]:
    """Elimination half-life of ketamine in humans and in mice (min), from :cite:`ma2023`."""
    e = _table()["elimination"]
    return {"human": float(e["human_half_life_min"]), "mouse": float(e["mouse_half_life_min"])}


@cache
def _unit_peak(route: str, model: str, weight_kg: float) -> float:
    """Peak plasma concentration (ng/mL) for 1 mg/kg by ``route`` (linear PK: scales with dose)."""
    from . import pk

    times = np.concatenate([np.arange(0.0, 120.0, 0.25), np.arange(120.0, 481.0, 2.0)])
    if route == "iv_infusion_40":
        regimen = pk.infusion(dose_mg_per_kg=1.0, duration_min=40.0)
    else:
        regimen = pk.bolus(dose_mg_per_kg=1.0, route="im")
    return pk.simulate(model, regimen, weight_kg, times, warn=False).cmax_ng_ml()


def human_peak_ng_ml(dose_mg_per_kg, route: str = "iv_infusion_40", *, model: str = "domino1982",
                     weight_kg: float = 70.0):
    """Peak plasma concentration (ng/mL) of a typical adult given ``dose_mg_per_kg``.

    A model illustration with the course's PK engine (linear kinetics, so the peak is
    proportional to the dose). Use it with :func:`human_equivalent_dose_mg_per_kg` to place an
    animal dose on the human concentration bands.

    Parameters
    ----------
    dose_mg_per_kg : float or array_like
        Human dose (mg/kg of base, 0–100).
    route : str
        ``"iv_infusion_40"`` or ``"im"`` (see :data:`HUMAN_ROUTES`).
    model : str
        A racemic parameter set of :mod:`ketacourse.pk` that supports the route.
    weight_kg : float
        Body weight (kg).
    """
    check_choice("route", route, HUMAN_ROUTES)
    d = check_real("dose_mg_per_kg", dose_mg_per_kg, low=0, high=100, unit="mg/kg")
    w = float(check_real("weight_kg", weight_kg, low=0, low_open=True, high=350, unit="kg"))
    return d * _unit_peak(route, model, w)
