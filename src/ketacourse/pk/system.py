"""The inputs of the linear system ``x' = A x + u(t)``: a regimen's events resolved into absorption
pathways (:func:`collect_pathways`) and per-patient boluses and rate segments (:func:`build_schedule`).

The matrix itself (:class:`LinearSystem`, :func:`build_system`) is built in :mod:`.compartments`,
which imports nothing from the routes, so :mod:`.routes` can use it without an import cycle; it is
re-exported here.

States are drug amounts in mg (the effect-site state is a concentration in mg/L and carries
no mass). ``A`` has shape ``(N, n, n)`` for N patients whose parameters differ. The input
``u(t)`` is piecewise constant (infusions and zero-order absorption) plus instantaneous
jumps (boluses), collected in an :class:`InputSchedule`.

Conventions: volumes L, clearances L/min, rate constants 1/min, time min, amounts mg,
concentrations ng/mL (= 1000 x mg/L).
"""

from __future__ import annotations

import numpy as np

from .compartments import InputSchedule, LinearSystem, build_system
from .regimen import Infusion, Regimen
from .routes import Pathway, pathways_for

__all__ = ["LinearSystem", "InputSchedule", "build_system", "build_schedule", "collect_pathways"]


def collect_pathways(model, regimen: Regimen, weight_kg: float, route_sets=None, frn=None):
    """Resolve every event of ``regimen`` into absorption pathways.

    Returns
    -------
    (list, dict, list of str)
        ``[(event, amount_or_rate_mg, [Pathway, ...]), ...]``, the depots needed
        ``{depot: (ka_per_min, target)}`` and notes about borrowed values.
    """
    resolved = []
    depots: dict[str, tuple] = {}
    notes: list[str] = []
    for ev in regimen.events:
        if isinstance(ev, Infusion) and ev.route == "iv":
            resolved.append((ev, ev.rate_for(weight_kg), [Pathway(1.0, None, "central")]))
            continue
        if isinstance(ev, Infusion):  # e.g. subcutaneous: constant-rate input into the route's depot
            dose = ev.rate_for(weight_kg)
            paths, nts = pathways_for(model, ev.route, ev.amount_mg(weight_kg), 0, route_sets, frn, weight_kg=weight_kg)
        else:
            dose = ev.amount_mg(weight_kg)
            paths, nts = pathways_for(model, ev.route, dose, ev.device_index, route_sets, frn, weight_kg=weight_kg)
        for nt in nts:
            if nt not in notes:
                notes.append(nt)
        for p in paths:
            if p.depot is not None:
                depots[p.depot] = (p.ka_per_min, p.target)
        resolved.append((ev, dose, paths))
    return resolved, depots, notes


def build_schedule(system: LinearSystem, resolved) -> InputSchedule:
    """Turn resolved events into per-patient bolus vectors and rate segments."""
    n_pat, n = system.n_patients, len(system.states)
    idx = {s: i for i, s in enumerate(system.states)}
    sched = InputSchedule(bioavailable_mg=np.zeros(n_pat))
    for ev, amount, paths in resolved:
        for p in paths:
            frac = np.broadcast_to(np.asarray(p.fraction, dtype=float), (n_pat,))
            where = idx[p.depot if p.depot is not None else p.target]
            if isinstance(ev, Infusion):
                vec = np.zeros((n_pat, n))
                vec[:, where] = frac * amount
                sched.rates.append((ev.start_min, ev.end_min, vec))
                sched.bioavailable_mg += frac * amount * ev.duration_min
            elif p.zero_order_min > 0:
                vec = np.zeros((n_pat, n))
                vec[:, where] = frac * amount / p.zero_order_min
                sched.rates.append((ev.time_min, ev.time_min + p.zero_order_min, vec))
                sched.bioavailable_mg += frac * amount
            else:
                vec = np.zeros((n_pat, n))
                vec[:, where] = frac * amount
                sched.boluses.append((ev.time_min, vec))
                sched.bioavailable_mg += frac * amount
    return sched
