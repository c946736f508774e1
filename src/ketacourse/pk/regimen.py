"""Dose events and schedules (regimens).

Doses are in **mg of ketamine base** (or esketamine base). A dose written as the
hydrochloride salt is converted explicitly with ``form="hcl"`` (via
:func:`ketacourse.units.salt_to_base_mg`). Doses may be given per kg of body weight; they are
resolved to mg when :func:`ketacourse.pk.simulate` knows the weight. Times are in minutes.

>>> from ketacourse.pk import bolus, infusion, Regimen
>>> r = Regimen(bolus(dose_mg_per_kg=0.1), infusion(dose_mg_per_kg=0.5, duration_min=40))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np

from ..units import salt_to_base_mg
from ..validation import check_choice, check_real

__all__ = [
    "Bolus",
    "Infusion",
    "Regimen",
    "bolus",
    "infusion",
    "stepped_infusion",
    "repeat",
    "nasal_session",
    "as_regimen",
]

ROUTES: tuple[str, ...] = ("iv", "im", "intranasal", "oral", "sublingual", "rectal", "subcutaneous")
"""Route names accepted by :func:`ketacourse.pk.bolus` (infusions, IV or subcutaneous, use :func:`~ketacourse.pk.infusion`)."""

FORMS = ("base", "hcl")


def _to_base(value: float, form: str, name: str) -> float:
    check_choice("form", form, FORMS)
    v = check_real(name, value, low=0)
    return float(salt_to_base_mg(v)) if form == "hcl" else float(v)


@dataclass(frozen=True)
class Bolus:
    """A single dose given at once (IV push, injection, spray, tablet...).

    Exactly one of ``dose_mg`` / ``dose_mg_per_kg`` is set (mg of base).
    ``device_index`` marks the 2nd, 3rd... nasal-spray device of one session (esketamine).
    """

    time_min: float
    route: str
    dose_mg: float | None = None
    dose_mg_per_kg: float | None = None
    device_index: int = 0

    def amount_mg(self, weight_kg: float) -> float:
        """Dose in mg of base for a patient of ``weight_kg``."""
        return self.dose_mg if self.dose_mg is not None else self.dose_mg_per_kg * weight_kg


@dataclass(frozen=True)
class Infusion:
    """A constant-rate infusion from ``start_min`` for ``duration_min``.

    Exactly one of ``rate_mg_per_min`` / ``rate_mg_per_kg_per_min`` is set (mg of base).
    ``route`` is ``"iv"`` (into the central compartment) or ``"subcutaneous"`` (into a
    subcutaneous depot at a constant rate, absorbed first order; ``routes.toml``).
    """

    start_min: float
    duration_min: float
    rate_mg_per_min: float | None = None
    rate_mg_per_kg_per_min: float | None = None
    route: str = "iv"

    @property
    def end_min(self) -> float:
        return self.start_min + self.duration_min

    def rate_for(self, weight_kg: float) -> float:
        """Infusion rate in mg/min for a patient of ``weight_kg``."""
        return self.rate_mg_per_min if self.rate_mg_per_min is not None else self.rate_mg_per_kg_per_min * weight_kg

    def amount_mg(self, weight_kg: float) -> float:
        return self.rate_for(weight_kg) * self.duration_min


Event = Union[Bolus, Infusion]


def bolus(dose_mg: float | None = None, *, time_min: float = 0.0, route: str = "iv",
          dose_mg_per_kg: float | None = None, form: str = "base", device_index: int = 0) -> Bolus:
    """A single dose.

    Parameters
    ----------
    dose_mg : float, optional
        Dose in mg (>= 0). Give this or ``dose_mg_per_kg``.
    time_min : float
        Time of the dose (min, >= 0).
    route : str
        ``"iv"``, ``"im"``, ``"intranasal"``, ``"oral"``, ``"sublingual"``, ``"rectal"`` or
        ``"subcutaneous"``.
    dose_mg_per_kg : float, optional
        Dose in mg per kg body weight (>= 0).
    form : str
        ``"base"`` (default) or ``"hcl"``: the dose is written as ketamine hydrochloride and is
        converted to base (x 0.867).
    device_index : int
        Intranasal esketamine only: 0 for the first device of a session, 1, 2... for later ones.

    Raises
    ------
    ValueError
        Negative or non-finite dose or time, both or neither dose given, unknown route or form.
    """
    check_choice("route", route, ROUTES)
    t = float(check_real("time_min", time_min, low=0, unit="min"))
    if (dose_mg is None) == (dose_mg_per_kg is None):
        raise ValueError("give exactly one of dose_mg and dose_mg_per_kg; got "
                         f"dose_mg={dose_mg!r}, dose_mg_per_kg={dose_mg_per_kg!r}")
    if isinstance(device_index, bool) or not isinstance(device_index, (int, np.integer)) or device_index < 0:
        raise ValueError(f"device_index must be an integer >= 0; got {device_index!r}")
    if dose_mg is not None:
        return Bolus(t, route, dose_mg=_to_base(dose_mg, form, "dose_mg"), device_index=int(device_index))
    return Bolus(t, route, dose_mg_per_kg=_to_base(dose_mg_per_kg, form, "dose_mg_per_kg"), device_index=int(device_index))


INFUSION_ROUTES = ("iv", "subcutaneous")
"""Routes by which :func:`infusion` can run."""


def infusion(*, duration_min: float, rate_mg_per_min: float | None = None, dose_mg: float | None = None,
             rate_mg_per_kg_per_min: float | None = None, dose_mg_per_kg: float | None = None,
             start_min: float = 0.0, form: str = "base", route: str = "iv") -> Infusion:
    """A constant-rate infusion, intravenous (default) or subcutaneous.

    Give exactly one of ``rate_mg_per_min``, ``dose_mg`` (total over the infusion),
    ``rate_mg_per_kg_per_min`` or ``dose_mg_per_kg`` (total per kg).

    Parameters
    ----------
    duration_min : float
        Infusion duration (min, > 0).
    start_min : float
        Start time (min, >= 0).
    form : str
        ``"base"`` or ``"hcl"`` (dose written as the hydrochloride salt).
    route : str
        ``"iv"`` (default) or ``"subcutaneous"`` (a syringe driver under the skin, as in
        palliative care: the drug enters a subcutaneous depot at the set rate and is absorbed
        from it with the route's bioavailability and absorption rate).

    Raises
    ------
    ValueError
        Zero or negative duration, negative/NaN dose or rate, not exactly one dose argument,
        unknown route.
    """
    check_choice("route", route, INFUSION_ROUTES)
    d = float(check_real("duration_min", duration_min, low=0, low_open=True, unit="min"))
    t0 = float(check_real("start_min", start_min, low=0, unit="min"))
    given = {k: v for k, v in dict(rate_mg_per_min=rate_mg_per_min, dose_mg=dose_mg,
                                   rate_mg_per_kg_per_min=rate_mg_per_kg_per_min,
                                   dose_mg_per_kg=dose_mg_per_kg).items() if v is not None}
    if len(given) != 1:
        raise ValueError("give exactly one of rate_mg_per_min, dose_mg, rate_mg_per_kg_per_min, "
                         f"dose_mg_per_kg; got {sorted(given) or 'none'}")
    (name, value), = given.items()
    v = _to_base(value, form, name)
    if name == "rate_mg_per_min":
        return Infusion(t0, d, rate_mg_per_min=v, route=route)
    if name == "dose_mg":
        return Infusion(t0, d, rate_mg_per_min=v / d, route=route)
    if name == "rate_mg_per_kg_per_min":
        return Infusion(t0, d, rate_mg_per_kg_per_min=v, route=route)
    return Infusion(t0, d, rate_mg_per_kg_per_min=v / d, route=route)


class Regimen:
    """An ordered collection of dose events (boluses and infusions).

    Regimens can be added (``r1 + r2``) and iterated. Overlapping infusions add up.
    """

    def __init__(self, *events: Event | "Regimen" | Iterable[Event]):
        flat: list[Event] = []
        for e in events:
            if isinstance(e, (Bolus, Infusion)):
                flat.append(e)
            elif isinstance(e, Regimen):
                flat.extend(e.events)
            elif isinstance(e, Iterable) and not isinstance(e, (str, bytes)):
                flat.extend(Regimen(*e).events)
            else:
                raise ValueError(f"regimen events must be Bolus or Infusion objects; got {e!r}")
        self.events: tuple[Event, ...] = tuple(sorted(flat, key=lambda ev: ev.time_min if isinstance(ev, Bolus) else ev.start_min))

    def __add__(self, other: "Regimen | Event") -> "Regimen":
        return Regimen(self, other)

    def __iter__(self):
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        return f"Regimen({', '.join(map(repr, self.events))})"

    @property
    def routes(self) -> set[str]:
        return {e.route for e in self.events}

    def total_dose_mg(self, weight_kg: float) -> float:
        """Total administered dose (mg of base) for a patient of ``weight_kg``."""
        return float(sum(e.amount_mg(weight_kg) for e in self.events))

    def shifted(self, delay_min: float) -> "Regimen":
        """The same regimen ``delay_min`` later."""
        dt = float(check_real("delay_min", delay_min, low=0, unit="min"))
        out = []
        for e in self.events:
            if isinstance(e, Bolus):
                out.append(Bolus(e.time_min + dt, e.route, e.dose_mg, e.dose_mg_per_kg, e.device_index))
            else:
                out.append(Infusion(e.start_min + dt, e.duration_min, e.rate_mg_per_min, e.rate_mg_per_kg_per_min, e.route))
        return Regimen(*out)


def as_regimen(regimen: Regimen | Event | Sequence[Event]) -> Regimen:
    """Accept a Regimen, a single event or a list of events; return a Regimen."""
    if isinstance(regimen, Regimen):
        return regimen
    if isinstance(regimen, (Bolus, Infusion)):
        return Regimen(regimen)
    if isinstance(regimen, Iterable) and not isinstance(regimen, (str, bytes)):
        return Regimen(*regimen)
    raise ValueError(f"regimen must be a Regimen, a Bolus/Infusion or a list of them; got {regimen!r}")


def stepped_infusion(rates_mg_per_min: Sequence[float], durations_min: Sequence[float], *,
                     start_min: float = 0.0, per_kg: bool = False) -> Regimen:
    """Consecutive infusion steps (for example 0.425 -> 0.275 -> 0.15 mg/kg/h).

    Parameters
    ----------
    rates_mg_per_min : sequence of float
        Rate of each step in mg/min (or mg/kg/min if ``per_kg``), >= 0.
    durations_min : sequence of float
        Duration of each step (min, > 0); same length as the rates.
    start_min : float
        Start of the first step (min).
    per_kg : bool
        Interpret the rates as mg/kg/min.
    """
    rates = np.atleast_1d(check_real("rates_mg_per_min", rates_mg_per_min, low=0, unit="mg/min"))
    durs = np.atleast_1d(check_real("durations_min", durations_min, low=0, low_open=True, unit="min"))
    if rates.shape != durs.shape or rates.ndim != 1:
        raise ValueError(f"rates_mg_per_min and durations_min must be 1-D and the same length; got {rates.shape} and {durs.shape}")
    t = float(check_real("start_min", start_min, low=0, unit="min"))
    events = []
    for r, d in zip(rates, durs):
        kw = {"rate_mg_per_kg_per_min": float(r)} if per_kg else {"rate_mg_per_min": float(r)}
        events.append(infusion(duration_min=float(d), start_min=t, **kw))
        t += float(d)
    return Regimen(*events)


def repeat(regimen: Regimen | Event, *, every_min: float, times: int) -> Regimen:
    """Repeat a regimen ``times`` times, ``every_min`` apart (for example twice-weekly sprays)."""
    r = as_regimen(regimen)
    every = float(check_real("every_min", every_min, low=0, low_open=True, unit="min"))
    if isinstance(times, bool) or not isinstance(times, (int, np.integer)) or times < 1:
        raise ValueError(f"times must be an integer >= 1; got {times!r}")
    return Regimen(*(r.shifted(i * every) for i in range(int(times))))


def nasal_session(total_dose_mg: float, *, device_mg: float | None = None, interval_min: float | None = None,
                  time_min: float = 0.0, partial_last_device: bool = False) -> Regimen:
    """An esketamine nasal-spray session: one device every ``interval_min`` (label: 5 min).

    56 mg = 2 devices, 84 mg = 3 devices. Later devices carry ``device_index`` >= 1 so the
    Perez-Ruixo model applies its reduced nasal fraction to them.

    Parameters
    ----------
    total_dose_mg : float
        Total esketamine base, mg (> 0).
    device_mg : float, optional
        Base per device, mg; default the marketed device (28 mg, ``data/regimens.toml``,
        janssen2025).
    interval_min : float, optional
        Minutes between devices (>= 0); default the label's 5 min.
    time_min : float
        Time of the first device, min.
    partial_last_device : bool
        If False (default) the total must be a whole number of devices. If True, a remainder is
        given as one last, partly filled device (a teaching convenience for doses that are not
        multiples of 28 mg; no such device exists).
    """
    from ..data import load_table

    device = load_table("regimens")["devices"]["esketamine_nasal_spray"]
    device_mg = device["device_mg"] if device_mg is None else device_mg
    interval_min = device["interval_min"] if interval_min is None else interval_min
    total = float(check_real("total_dose_mg", total_dose_mg, low=0, low_open=True, unit="mg"))
    dev = float(check_real("device_mg", device_mg, low=0, low_open=True, unit="mg"))
    n = total / dev
    whole = int(np.floor(n + 1e-9))
    remainder = total - whole * dev
    if remainder > 1e-9 * dev and not partial_last_device:
        raise ValueError(f"total_dose_mg must be a whole number of devices of {dev:g} mg; got {total:g} mg")
    gap = float(check_real("interval_min", interval_min, low=0, unit="min"))
    doses = [dev] * whole + ([remainder] if remainder > 1e-9 * dev else [])
    return Regimen(*(bolus(d, time_min=time_min + i * gap, route="intranasal", device_index=i)
                     for i, d in enumerate(doses)))
