"""Between-patient variability: N virtual patients simulated at once.

Each patient's primary parameters are the model's typical values times ``exp(eta)``, with
``eta`` drawn from a multivariate normal distribution whose covariance comes from the source
(or from a documented borrowing, see ``pk_models.toml``; every block is listed in
:attr:`PopulationResult.notes`). The Perez-Ruixo nasal fraction varies on the logit scale.
All patients are solved together by the exact eigen-decomposition method; only percentile
bands and per-patient summary metrics are kept unless ``keep_individuals=True``.

Units as in :func:`ketacourse.pk.simulate`: min, mg, ng/mL.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..validation import check_choice, check_real
from .models import PKModel
from .regimen import as_regimen
from .simulation import check_common, resolve_model
from .solve import solve_linear
from .system import build_schedule, build_system, collect_pathways

__all__ = ["simulate_population", "PopulationResult", "sample_parameters"]

_KA_DEPOTS = {"ka_nasal": "depot_nasal", "ka_swallowed": "depot_swallowed", "ka_oral": "depot_oral"}


@dataclass
class PopulationResult:
    """Percentile bands and per-patient metrics of a virtual population.

    Attributes
    ----------
    times_min : numpy.ndarray
        Output times (min).
    percentiles : tuple of float
        Percentiles of the bands (for example ``(5, 50, 95)``).
    bands : dict of str to numpy.ndarray
        ``"plasma"``, ``"effect"`` (and ``"metabolite"``): shape ``(len(percentiles), T)``, ng/mL.
    cmax_ng_ml, tmax_min, auc_ng_min_ml : dict of str to numpy.ndarray
        Per-patient grid metrics, shape ``(N,)`` each, for every output.
    parameters : dict of str to numpy.ndarray
        Sampled primary parameters per patient (L, L/min, 1/min).
    individuals : dict of str to numpy.ndarray or None
        Every patient's curve, shape ``(N, T)``, if ``keep_individuals=True``.
    """

    times_min: np.ndarray
    percentiles: tuple
    bands: dict
    cmax_ng_ml: dict
    tmax_min: dict
    auc_ng_min_ml: dict
    parameters: dict
    n_patients: int
    model: PKModel
    individuals: dict | None = None
    notes: list = field(default_factory=list)

    def band(self, percentile: float, which: str = "plasma") -> np.ndarray:
        """Concentration-time curve (ng/mL) of one percentile."""
        check_choice("which", which, tuple(self.bands))
        if percentile not in self.percentiles:
            raise ValueError(f"percentile must be one of {self.percentiles}; got {percentile!r}")
        return self.bands[which][self.percentiles.index(percentile)]


def _percentiles_inplace(a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Linear-interpolated percentiles along the last axis at fractional ranks ``h`` (0-based).

    Same definition as ``numpy.percentile`` (method ``"linear"``) but much faster for a few
    percentiles of many rows: single-pivot partitions, nested (NumPy is slow with several
    pivots in one call), and the next order statistic taken as the minimum of the segment above
    the pivot. ``a`` is partitioned in place.
    """
    m = a.shape[-1]
    lo = np.floor(h).astype(int)
    order = np.argsort(lo)
    pivots = sorted(set(lo.tolist()))
    at: dict[int, np.ndarray] = {}
    bounds: dict[int, int] = {}

    def rec(start: int, stop: int, group: list[int]) -> None:
        if not group:
            return
        mid = group[len(group) // 2]
        a[..., start:stop].partition(mid - start, axis=-1)
        at[mid] = a[..., mid].copy()
        bounds[mid] = stop
        rec(start, mid, [k for k in group if k < mid])
        rec(mid + 1, stop, [k for k in group if k > mid])

    rec(0, m, pivots)
    out = np.empty(a.shape[:-1] + (len(h),))
    for i in order:
        k = int(lo[i])
        frac = h[i] - k
        lower = at[k]
        if frac == 0.0 or k + 1 >= m:
            out[..., i] = lower
            continue
        upper = at[k + 1] if k + 1 in at else a[..., k + 1:bounds[k]].min(axis=-1)
        out[..., i] = lower + (upper - lower) * frac
    return out


def sample_parameters(model: PKModel, typical: dict, n_patients: int, rng: np.random.Generator):
    """Draw per-patient parameters around ``typical``.

    Returns
    -------
    (dict, dict, list of str)
        Parameters ``{name: (N,) array}``, special parameters (nasal ``frn``, ``ka_*``) and
        notes naming the source of every variability block.
    """
    params = {k: np.full(n_patients, float(v)) for k, v in typical.items()}
    special: dict[str, np.ndarray] = {}
    notes = []
    for block in model.iiv_blocks():
        eta = rng.multivariate_normal(np.zeros(len(block.parameters)), block.omega2, size=n_patients, method="cholesky")
        for j, name in enumerate(block.parameters):
            if block.scale == "logit":
                base = model.entry["absorption"][name]
                special[name] = 1.0 / (1.0 + np.exp(-(np.log(base / (1 - base)) + eta[:, j])))
            elif name in _KA_DEPOTS:
                special[name] = eta[:, j]
            elif name in params:
                params[name] = params[name] * np.exp(eta[:, j])
            else:
                raise ValueError(f"IIV parameter {name!r} of model {model.key!r} is not one of its parameters {sorted(params)}")
        notes.append(f"IIV on {', '.join(block.parameters)} ({block.scale}-normal): {block.source}, flag {block.flag}")
    if not model.iiv_blocks():
        notes.append(f"{model.key}: no between-patient variability available; all patients are identical")
    return params, special, notes


def simulate_population(model, regimen, weight_kg: float, times_min, *, n_patients: int = 1000,
                        seed: int | None = None, rng: np.random.Generator | None = None,
                        percentiles=(5.0, 50.0, 95.0), age_years: float | None = None,
                        ke0_per_min: float | None = None, route_sets: dict | None = None,
                        keep_individuals: bool = False, workers: int | None = None,
                        warn: bool = True) -> PopulationResult:
    """Simulate ``n_patients`` virtual patients with log-normal between-patient variability.

    Parameters
    ----------
    model, regimen, weight_kg, times_min, age_years, ke0_per_min, route_sets
        As in :func:`ketacourse.pk.simulate` (all patients share weight and age).
    n_patients : int
        Number of virtual patients (1 to 1,000,000).
    seed : int, optional
        Seed for a new :class:`numpy.random.Generator`. Give ``seed`` or ``rng``, not both.
    rng : numpy.random.Generator, optional
        Generator to draw from.
    percentiles : sequence of float
        Percentiles (0-100) of the bands.
    keep_individuals : bool
        Also return every patient's curves (memory: N x T x 8 bytes per output).
    workers : int, optional
        Threads (default up to 2).

    Returns
    -------
    PopulationResult
    """
    m = resolve_model(model)
    w, t, age, ke0 = check_common(weight_kg, times_min, age_years, ke0_per_min)
    if isinstance(n_patients, bool) or not isinstance(n_patients, (int, np.integer)) or not 1 <= n_patients <= 1_000_000:
        raise ValueError(f"n_patients must be an integer from 1 to 1000000; got {n_patients!r}")
    pct = tuple(float(p) for p in np.atleast_1d(check_real("percentiles", percentiles, low=0, high=100, unit="%")))
    if seed is not None and rng is not None:
        raise ValueError("give seed or rng, not both")
    if rng is None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
        rng = np.random.default_rng(seed)
    elif not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    reg = as_regimen(regimen)
    if warn:
        m.warn_if_outside(w, age)
    typical = m.typical_parameters(w, age)
    typical["ke0"] = ke0
    params, special, notes = sample_parameters(m, typical, int(n_patients), rng)
    resolved, depots, route_notes = collect_pathways(m, reg, w, route_sets, special.get("frn"))
    for name, depot in _KA_DEPOTS.items():
        if name in special and depot in depots:
            ka, target = depots[depot]
            depots[depot] = (ka * np.exp(special[name]), target)
    system = build_system(m, params, depots)
    schedule = build_schedule(system, resolved)
    names = ["plasma", "effect"] + (["metabolite"] if m.has_metabolite else [])
    rows = np.stack([system.observations[k] for k in names], axis=1)
    N, T, n_out = int(n_patients), len(t), len(names)
    bands = {k: np.zeros((len(pct), T)) for k in names}
    indiv = {k: np.zeros((N, T)) for k in names} if keep_individuals else None
    pieces: list = []
    lock = threading.Lock()

    ranks = (N - 1) * np.asarray(pct) / 100.0

    def sink(sl: slice, Y: np.ndarray) -> None:  # Y: (n_out, Tc, N), ours to modify
        if sl.stop <= sl.start:
            return
        tt = t[sl]
        mx = Y.max(axis=1)
        tm = np.full(mx.shape, tt[-1])
        for j in range(len(tt) - 2, -1, -1):  # first time of the maximum (argmax is slow here)
            np.copyto(tm, tt[j], where=Y[:, j, :] == mx)
        area = np.zeros(mx.shape)
        for j in range(len(tt) - 1):
            area += (tt[j + 1] - tt[j]) * 0.5 * (Y[:, j, :] + Y[:, j + 1, :])
        piece = (sl.start, mx, tm, area, Y[:, 0, :].copy(), Y[:, -1, :].copy())
        if indiv is not None:
            for o, k in enumerate(names):
                indiv[k][:, sl] = Y[o].T
        b = _percentiles_inplace(Y, ranks)  # (n_out, Tc, n_pct); partitions Y
        for o, k in enumerate(names):
            bands[k][:, sl] = b[o].T
        with lock:
            pieces.append(piece)

    solve_linear(system, schedule, t, rows, sink=sink, workers=workers)
    pieces.sort(key=lambda p: p[0])
    maxima = np.stack([p[1] for p in pieces])  # (chunks, n_out, N)
    which = np.argmax(maxima, axis=0)  # first chunk holding the maximum
    cmax = np.max(maxima, axis=0)
    tmax = np.take_along_axis(np.stack([p[2] for p in pieces]), which[None], axis=0)[0]
    auc = np.sum([p[3] for p in pieces], axis=0)
    for a, b in zip(pieces[:-1], pieces[1:]):
        s0 = b[0]
        auc = auc + (t[s0] - t[s0 - 1]) * (a[5] + b[4]) / 2.0
    return PopulationResult(
        times_min=t, percentiles=pct, bands=bands,
        cmax_ng_ml={k: cmax[o] for o, k in enumerate(names)},
        tmax_min={k: tmax[o] for o, k in enumerate(names)},
        auc_ng_min_ml={k: auc[o] for o, k in enumerate(names)},
        parameters=params, n_patients=N, model=m, individuals=indiv,
        notes=notes + route_notes,
    )
