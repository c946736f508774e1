"""The linear system ``x' = A x + u(t)`` of a model, for one or many patients at once.

States are drug amounts in mg (the effect-site state is a concentration in mg/L and carries
no mass). ``A`` has shape ``(N, n, n)`` for N patients whose parameters differ. The input
``u(t)`` is piecewise constant (infusions and zero-order absorption) plus instantaneous
jumps (boluses), collected in an :class:`InputSchedule`.

Conventions: volumes L, clearances L/min, rate constants 1/min, time min, amounts mg,
concentrations ng/mL (= 1000 x mg/L).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LinearSystem", "InputSchedule", "build_system"]


@dataclass
class InputSchedule:
    """Boluses and constant-rate inputs, per patient.

    Attributes
    ----------
    boluses : list of (float, numpy.ndarray)
        ``(time_min, amounts_mg)`` with ``amounts_mg`` of shape ``(N, n)``.
    rates : list of (float, float, numpy.ndarray)
        ``(start_min, end_min, rates_mg_per_min)`` with rates of shape ``(N, n)``.
    bioavailable_mg : numpy.ndarray
        Total mass (mg) that enters the body's states, per patient, shape ``(N,)``.
    """

    boluses: list = field(default_factory=list)
    rates: list = field(default_factory=list)
    bioavailable_mg: np.ndarray | None = None

    def breakpoints(self) -> np.ndarray:
        """Sorted unique times (min) at which the input changes."""
        ts = [t for t, _ in self.boluses] + [t for t0, t1, _ in self.rates for t in (t0, t1)]
        return np.unique(np.asarray(ts, dtype=float))


@dataclass
class LinearSystem:
    """Compartment matrix and observation rows for N patients.

    Attributes
    ----------
    states : tuple of str
        State names in order (depots, ``central``, ``periph2``..., ``liver``, ``nk_*``, ``effect``).
    A : numpy.ndarray
        Shape ``(N, n, n)``, units 1/min (effect-site row: 1/L/min on the central amount).
    observations : dict of str to numpy.ndarray
        ``"plasma"``, ``"effect"`` and (if present) ``"metabolite"``: rows of shape ``(N, n)``
        mapping the state to a concentration in ng/mL.
    mass_states : numpy.ndarray
        Boolean mask of states that hold drug mass (all but ``effect``).
    """

    states: tuple[str, ...]
    A: np.ndarray
    observations: dict
    mass_states: np.ndarray

    @property
    def n_patients(self) -> int:
        return self.A.shape[0]

    def index(self, name: str) -> int:
        return self.states.index(name)

    def loss_rates(self) -> np.ndarray:
        """Rate constants (1/min) at which each mass state loses drug out of the body, ``(N, n)``."""
        m = self.mass_states
        loss = -self.A[:, m, :].sum(axis=1)
        loss[:, ~m] = 0.0
        return loss


def _arr(x, n: int) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return np.broadcast_to(a, (n,)).copy() if a.ndim == 0 else a


def build_system(model, params: dict, depots: dict[str, tuple]) -> LinearSystem:
    """Assemble ``A`` for ``model`` from primary parameters.

    Parameters
    ----------
    model : PKModel
        Gives the structure (mammillary or hepatic, metabolite or not).
    params : dict of str to float or numpy.ndarray
        Primary parameters (see :meth:`PKModel.typical_parameters`) plus ``ke0`` (1/min);
        arrays of shape ``(N,)`` for N patients.
    depots : dict
        ``{depot_name: (ka_per_min, target_state)}`` for the absorption depots to include.
    """
    n_pat = max((np.size(v) for v in params.values()), default=1)
    n_pat = max([n_pat] + [np.size(ka) for ka, _ in depots.values()])
    P = {k: _arr(v, n_pat) for k, v in params.items()}
    states: list[str] = list(depots)
    states.append("central")
    for i in (2, 3):
        if f"v{i}" in P:
            states.append(f"periph{i}")
    if model.structure == "hepatic":
        states.append("liver")
    if model.has_metabolite:
        states.append("nk_central")
        for i in (2, 3):
            if f"nk_v{i}" in P:
                states.append(f"nk_periph{i}")
    states.append("effect")
    idx = {s: i for i, s in enumerate(states)}
    n = len(states)
    A = np.zeros((n_pat, n, n))

    def flow(frm: str, to: str | None, k: np.ndarray) -> None:
        A[:, idx[frm], idx[frm]] -= k
        if to is not None:
            A[:, idx[to], idx[frm]] += k

    for name, (ka, target) in depots.items():
        flow(name, target, _arr(ka, n_pat))
    v1 = P["v1"]
    for i in (2, 3):
        if f"v{i}" in P:
            q = P[f"q{i}"]
            flow("central", f"periph{i}", q / v1)
            flow(f"periph{i}", "central", q / P[f"v{i}"])
    if model.structure == "hepatic":
        flow("central", "liver", P["qh"] / v1)
        flow("liver", "central", P["qh"] / P["vh"])
        flow("liver", None, P["kel"])
        flow("liver", "nk_central", P["kmet"])
    else:
        k10 = P["cl"] / v1
        if model.has_metabolite:
            fm = P.get("fm", np.ones(n_pat))
            flow("central", "nk_central", fm * k10)
            flow("central", None, (1.0 - fm) * k10)
        else:
            flow("central", None, k10)
    obs = {}
    if model.has_metabolite:
        nv1 = P["nk_v1"]
        flow("nk_central", None, P["nk_cl"] / nv1)
        for i in (2, 3):
            if f"nk_v{i}" in P:
                q = P[f"nk_q{i}"]
                flow("nk_central", f"nk_periph{i}", q / nv1)
                flow(f"nk_periph{i}", "nk_central", q / P[f"nk_v{i}"])
        row = np.zeros((n_pat, n))
        row[:, idx["nk_central"]] = 1000.0 / nv1
        obs["metabolite"] = row
    ke0 = P["ke0"]
    e = idx["effect"]
    A[:, e, idx["central"]] += ke0 / v1
    A[:, e, e] -= ke0
    row = np.zeros((n_pat, n))
    row[:, idx["central"]] = 1000.0 / v1
    obs = {"plasma": row, "effect": _effect_row(n_pat, n, e), **obs}
    mass = np.ones(n, dtype=bool)
    mass[e] = False
    return LinearSystem(tuple(states), A, obs, mass)


def _effect_row(n_pat: int, n: int, e: int) -> np.ndarray:
    row = np.zeros((n_pat, n))
    row[:, e] = 1000.0
    return row
