"""Routes of administration: how a dose reaches the body (``data/routes.toml``).

A dose given by an extravascular route is split into *absorption pathways*: a fraction of the
dose is put into a depot compartment and absorbed (first order, rate ``ka``) into its target
(the central compartment, the liver compartment of the hepatic first-pass model, or the
metabolite's central compartment for presystemic norketamine formation). The rest is never
absorbed. Optionally the dose enters the depot at a constant rate over a time (zero-order
input, as in the Perez-Ruixo model's swallowed portion).

Time unit: minutes. Fractions are unitless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from scipy.optimize import brentq

from ..data import load_table
from ..validation import check_choice, check_real

__all__ = ["ROUTES", "Pathway", "route_set", "route_set_names", "ka_from_tmax", "pathways_for"]

ROUTES: tuple[str, ...] = ("iv", "im", "intranasal", "oral", "sublingual", "rectal")
"""Route names accepted by :func:`ketacourse.pk.bolus` (IV infusions use :func:`~ketacourse.pk.infusion`)."""

_FIRST_PASS_ROUTES = ("intranasal", "oral", "sublingual", "rectal")


@dataclass(frozen=True)
class Pathway:
    """One absorption pathway of a dose.

    Attributes
    ----------
    fraction : float or numpy.ndarray
        Fraction of the dose that enters this pathway (per patient if an array).
    depot : str or None
        Depot compartment name; ``None`` means the dose goes straight into ``target``.
    target : str
        Compartment the absorbed drug enters (``"central"``, ``"liver"`` or ``"nk_central"``).
    ka_per_min : float or numpy.ndarray
        First-order absorption rate constant (1/min); unused when ``depot`` is ``None``.
    zero_order_min : float
        Duration (min) over which the dose enters the depot at a constant rate; 0 = at once.
    note : str
        Where the numbers come from.
    """

    fraction: Any
    depot: str | None
    target: str
    ka_per_min: Any = 0.0
    zero_order_min: float = 0.0
    note: str = ""


@cache
def _routes_table() -> dict[str, Any]:
    return load_table("routes")


def route_set_names(route: str) -> tuple[str, ...]:
    """Names of the published data sets for an extravascular ``route``."""
    check_choice("route", route, ROUTES[1:])
    return tuple(_routes_table()["routes"][route]["sets"])


def route_set(route: str, set_name: str | None = None) -> dict[str, Any]:
    """Bioavailability and absorption data for ``route`` (default set unless ``set_name``).

    Returns
    -------
    dict
        ``{"name", "bioavailability", "ka_per_min", "tmax_min", "source", "flag", "note",
        "absorption_source", "absorption_flag", "absorption_note"}``.
    """
    check_choice("route", route, ROUTES[1:])
    table = _routes_table()["routes"][route]
    name = table["default"] if set_name is None else check_choice(f"route_sets[{route!r}]", set_name, tuple(table["sets"]))
    s = table["sets"][name]
    a = s["absorption"]
    return {
        "name": name,
        "bioavailability": float(s["bioavailability"]),
        "ka_per_min": float(a["ka_per_min"]),
        "tmax_min": float(a["tmax_min"]),
        "source": s["source"],
        "flag": s["flag"],
        "note": s.get("note", ""),
        "absorption_source": a["source"],
        "absorption_flag": a["flag"],
        "absorption_note": a.get("note", ""),
    }


def ka_from_tmax(tmax_min: float, k_per_min: float | None = None) -> float:
    """Absorption rate constant (1/min) that gives ``tmax_min`` in a one-compartment model.

    Solves ``tmax = ln(ka / k) / (ka - k)`` for ``ka > k`` (the Bateman function's peak time).
    This is the documented method behind every ``ka_per_min`` flagged ``D`` in
    ``routes.toml``.

    Parameters
    ----------
    tmax_min : float
        Published time of peak plasma concentration (min), > 0.
    k_per_min : float, optional
        Elimination rate constant (1/min). Default: CL/Vd of the Kamp 2020 meta-analysis
        (79 L/h / 252 L = 0.0052249 /min), as stored in ``routes.toml`` ``[ka_from_tmax]``.

    Returns
    -------
    float
        ka in 1/min.
    """
    t = check_real("tmax_min", tmax_min, low=0, low_open=True, unit="min")
    if k_per_min is None:
        m = _routes_table()["ka_from_tmax"]
        k = m["clearance_l_per_h"] / m["volume_l"] / 60.0
    else:
        k = check_real("k_per_min", k_per_min, low=0, low_open=True, unit="1/min")
    t_limit = 1.0 / k  # tmax -> 1/k as ka -> k
    if t >= t_limit:
        raise ValueError(f"tmax_min must be < 1/k_per_min = {t_limit:g} min for a solution with ka > k; got {t:g}")
    f = lambda ka: math.log(ka / k) / (ka - k) - t  # noqa: E731
    hi = k * 2.0
    while f(hi) > 0:
        hi *= 2.0
    return float(brentq(f, k * (1 + 1e-12), hi, xtol=1e-14, rtol=1e-12))


def _frn_for_event(absorption: dict[str, Any], dose_mg: float, device_index: int) -> float:
    """Nasal fraction FRn of the Perez-Ruixo model for one intranasal event.

    A single event of N devices (N = dose / 28 mg, at least 1) gets the session average
    ``FRn (1 + (N - 1) r) / N``; an event flagged as a later device of a session
    (``device_index >= 1``) gets ``FRn r``. ``r`` = 0.62.
    """
    frn = absorption["frn"]
    r = absorption["frn_later_device_factor"]
    if device_index >= 1:
        return frn * r
    n = max(dose_mg / absorption["device_dose_mg"], 1.0)
    return frn * (1.0 + (n - 1.0) * r) / n


def pathways_for(model, route: str, dose_mg: float, device_index: int = 0,
                 route_sets: dict[str, str] | None = None, frn=None) -> tuple[list[Pathway], list[str]]:
    """Absorption pathways of one dose given by ``route`` to ``model``.

    Parameters
    ----------
    model : PKModel
        The parameter set.
    route : str
        One of :data:`ROUTES`.
    dose_mg : float
        Dose in mg of base (needed for the Perez-Ruixo per-device nasal fraction).
    device_index : int
        For intranasal esketamine sessions: 0 for the first device, >= 1 for later devices.
    route_sets : dict, optional
        ``{route: set_name}`` to choose a published route data set other than the default.
    frn : float or numpy.ndarray, optional
        Per-patient nasal fraction FRn (Perez-Ruixo, before the device effect); default typical.

    Returns
    -------
    (list of Pathway, list of str)
        The pathways and human-readable notes about borrowed values.
    """
    check_choice("route", route, model.supported_routes)
    notes: list[str] = []
    if route == "iv":
        return [Pathway(1.0, None, "central", note="IV: F = 1")], notes
    if model.structure == "hepatic":
        a = model.entry["absorption"]
        fgut = a["fgut"]
        if route == "intranasal":
            base = a["frn"] if frn is None else frn
            ab = dict(a, frn=base)
            f_n = _frn_for_event(ab, dose_mg, device_index)
            return [
                Pathway(f_n, "depot_nasal", "central", a["ka_nasal_per_h"] / 60.0, 0.0, "nasal absorption (FRn)"),
                Pathway((1.0 - f_n) * fgut, "depot_swallowed", "liver", a["ka_swallowed_per_h"] / 60.0,
                        a["swallowed_zero_order_h"] * 60.0, "swallowed portion (1 - FRn) Fgut"),
            ], notes
        # oral
        return [Pathway(fgut, "depot_oral", "liver", a["ka_oral_per_h"] / 60.0, a["oral_zero_order_h"] * 60.0, "oral solution Fgut")], notes

    chosen = None if route_sets is None else route_sets.get(route)
    rs = route_set(route, chosen)
    f = rs["bioavailability"]
    own = model.entry.get("route_overrides", {}).get(route)
    if own is not None and chosen is None:
        f = float(own["bioavailability"])
        notes.append(f"{route}: F = {f:g} from {own['source']}; ka borrowed from routes.toml set {rs['name']!r}")
    else:
        notes.append(f"{route}: F = {f:g} and ka = {rs['ka_per_min']:.4g}/min from routes.toml set {rs['name']!r} ({rs['source']}; ka {rs['absorption_source']}, flag {rs['absorption_flag']})")
        if model.enantiomer != "racemic":
            notes.append(f"{route}: racemic route data applied to an {model.enantiomer}-ketamine model")
    ka = rs["ka_per_min"]
    paths = [Pathway(f, f"depot_{route}", "central", ka, 0.0, f"{route} absorption")]
    fm = model.presystemic_fm
    if model.has_metabolite and fm > 0 and route in _FIRST_PASS_ROUTES:
        paths.append(Pathway((1.0 - f) * fm, f"depot_{route}_met", "nk_central", ka, 0.0,
                             "presystemic metabolite formation"))
        notes.append(f"{route}: presystemic metabolite fraction (1 - F) x {fm:g} ({model.entry['presystemic']['source']}, flag {model.entry['presystemic']['flag']})")
    return paths, notes

