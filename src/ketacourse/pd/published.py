"""Published concentration-effect models (``data/pd_models.toml``) as objects.

Units: concentrations in **ng/mL** (published µg/mL values are converted: 1 µg/mL = 1000
ng/mL); effects in the unit the source reports (Hz for the EEG median frequency).

Where a source reports Emax and EC50 but not the Hill coefficient (Schüttler 1987 in the
abstract), the curve uses :data:`HILL_WHEN_UNREPORTED` = 1, the plain Emax form. That is a
modelling assumption of this course, not a published value: read the plateau and the
half-effect concentration from such a curve, not its steepness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..data import load_table
from ..validation import check_choice
from .curves import sigmoid_emax

__all__ = ["PDModel", "HILL_WHEN_UNREPORTED", "pd_model_keys", "get_pd_model", "schuttler_eeg",
           "linear_range", "equianaesthetic_doses"]

HILL_WHEN_UNREPORTED = 1.0
"""Hill coefficient used when the source does not report one (an assumption; see module docstring)."""

_UG_TO_NG = 1000.0


@cache
def _table() -> dict[str, Any]:
    return load_table("pd_models")


@dataclass(frozen=True)
class PDModel:
    """One published sigmoid-Emax model.

    Attributes
    ----------
    key : str
        Key in ``pd_models.toml`` (for example ``"schuttler1987_s"``).
    label, endpoint, effect_unit, compound, sampling_site, source, flag, note : str
    emax : float
        Maximal change from baseline, in ``effect_unit``.
    ec50_ng_ml : float
        Concentration of half-maximal effect (ng/mL of the compound given).
    hill : float
        Hill coefficient (:data:`HILL_WHEN_UNREPORTED` if the source gives none).
    hill_reported : bool
        Whether ``hill`` comes from the source.
    inhibitory : bool
        Whether the effect is a decrease of the measured quantity.
    """

    key: str
    label: str
    endpoint: str
    effect_unit: str
    compound: str
    sampling_site: str
    emax: float
    ec50_ng_ml: float
    hill: float
    hill_reported: bool
    inhibitory: bool
    source: str
    flag: str
    note: str = field(default="", repr=False)

    def effect(self, conc_ng_ml):
        """The modelled change (in ``effect_unit``, >= 0) at ``conc_ng_ml``.

        For an inhibitory endpoint this is the size of the decrease (Schüttler's Emax is "the
        maximal decrease of the median frequency"), so the curves of every model rise with
        concentration.

        Raises
        ------
        ValueError
            If ``conc_ng_ml`` is negative or not finite.
        """
        try:
            return sigmoid_emax(conc_ng_ml, self.emax, self.ec50_ng_ml, self.hill)
        except ValueError as exc:  # name the caller's argument
            raise ValueError(str(exc).replace("conc must", "conc_ng_ml must", 1)) from None


def pd_model_keys() -> tuple[str, ...]:
    """Keys of the shipped sigmoid-Emax models."""
    return tuple(_table()["models"])


@cache
def get_pd_model(key: str) -> PDModel:
    """The published model ``key`` (see :func:`pd_model_keys`).

    Raises
    ------
    ValueError
        If no model has that key (the message lists the allowed keys).
    """
    check_choice("key", key, pd_model_keys())
    e = _table()["models"][key]
    if "ic50_ug_ml" in e:
        ec50 = float(e["ic50_ug_ml"]) * _UG_TO_NG
    else:
        ec50 = float(e["ec50_ng_ml"])
    return PDModel(
        key=key, label=e["label"], endpoint=e["endpoint"], effect_unit=e["effect_unit"],
        compound=e["compound"], sampling_site=e["sampling_site"], emax=float(e["emax"]), ec50_ng_ml=ec50,
        hill=float(e.get("hill", HILL_WHEN_UNREPORTED)), hill_reported="hill" in e,
        inhibitory=e["direction"] == "inhibitory", source=e["source"], flag=e["flag"], note=e.get("note", ""),
    )


_SCHUTTLER = {"racemic": "schuttler1987_racemic", "S": "schuttler1987_s", "R": "schuttler1987_r"}


def schuttler_eeg(compound: str) -> PDModel:
    """Schüttler 1987 EEG median-frequency model for ``"racemic"``, ``"S"`` or ``"R"`` ketamine.

    Raises
    ------
    ValueError
        If ``compound`` is not one of those three.
    """
    check_choice("compound", compound, tuple(_SCHUTTLER))
    return get_pd_model(_SCHUTTLER[compound])


def linear_range(key: str = "bowdle1998") -> dict[str, Any]:
    """A published concentration range over which an effect is linear (no slope published).

    Raises
    ------
    ValueError
        If ``key`` is not in the table's ``linear_ranges``.
    """
    table = _table()["linear_ranges"]
    check_choice("key", key, tuple(table))
    return dict(table[key])


def equianaesthetic_doses() -> dict[str, Any]:
    """White 1980: equianaesthetic IV doses (mg/kg) and end-of-anaesthesia plasma levels (ng/mL)."""
    e = dict(_table()["potency"]["white1980"])
    out = {
        "dose_mg_per_kg": {"racemic": e["racemic_mg_per_kg"], "S": e["s_mg_per_kg"], "R": e["r_mg_per_kg"]},
        "end_conc_ng_ml": {c: e[f"{k}_end_ug_ml"] * _UG_TO_NG for c, k in (("racemic", "racemic"), ("S", "s"), ("R", "r"))},
        "s_to_r_potency": e["s_to_r_potency"],
        "n_patients": e["n_patients"],
        "source": e["source"],
        "flag": e["flag"],
    }
    return out
