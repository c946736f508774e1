"""Exact solution of the linear system ``x' = A x + u(t)`` (no ODE solver).

Two exact methods, both vectorised over patients:

``"eig"`` (default)
    Eigen-decomposition ``A = V diag(lambda) V^-1``. In modal coordinates ``z = V^-1 x`` every
    mode is independent: between input changes, with constant input rate ``r``,
    ``z(t) = z_ss + (z(t_a) - z_ss) exp(lambda (t - t_a))`` with ``z_ss = -V^-1 r / lambda``;
    a bolus ``b`` adds ``V^-1 b``. Outputs are ``C V z``. All eigenvalues of these
    compartmental matrices are real and negative (every compartment drains). The work for a
    time grid is one ``exp`` per patient, time point and mode, done in chunks (threads).
``"expm"``
    Step-by-step propagation with the matrix exponential: over a step ``h`` with constant input
    ``r``, ``x <- expm(A h) x + (int_0^h expm(A s) ds) r``, both blocks from one exponential of
    the augmented matrix ``[[A, I], [0, 0]]``. Used automatically when the eigenvectors are
    ill-conditioned (repeated eigenvalues), and by the tests as an independent check.

Time unit: minutes; amounts mg; rates mg/min.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.linalg import expm

from .system import InputSchedule, LinearSystem

__all__ = ["solve_linear", "modal_decomposition", "METHODS"]

METHODS = ("eig", "expm")
_COND_LIMIT = 1e8
_CHUNK_ELEMENTS = 80_000  # patients x times per chunk (keeps the chunk in cache)


def modal_decomposition(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Real eigen-decomposition of a stack of compartment matrices.

    Parameters
    ----------
    A : numpy.ndarray
        Shape ``(N, n, n)``.

    Returns
    -------
    (lam, V, Vinv) or None
        Eigenvalues ``(N, n)`` (1/min), eigenvectors ``(N, n, n)`` and their inverse, or
        ``None`` if the decomposition is not reliable (complex or near-repeated eigenvalues,
        condition number of ``V`` above 1e8).
    """
    lam, V = np.linalg.eig(A)
    if np.iscomplexobj(lam):
        scale = np.abs(lam).max()
        if np.abs(lam.imag).max() > 1e-10 * scale or np.abs(V.imag).max() > 1e-8:
            return None
        lam, V = lam.real, V.real
    if np.any(lam >= 0):
        return None
    try:
        Vinv = np.linalg.inv(V)
    except np.linalg.LinAlgError:
        return None
    cond = np.linalg.norm(V, axis=(1, 2)) * np.linalg.norm(Vinv, axis=(1, 2))
    if not np.all(np.isfinite(cond)) or cond.max() > _COND_LIMIT:
        return None
    return lam, V, Vinv


def _active_rate(schedule: InputSchedule, t: float, shape) -> np.ndarray:
    r = np.zeros(shape)
    for t0, t1, vec in schedule.rates:
        if t0 <= t < t1:
            r += vec
    return r


def _bolus_at(schedule: InputSchedule, t: float, shape) -> np.ndarray | None:
    hits = [vec for tb, vec in schedule.boluses if tb == t]
    if not hits:
        return None
    return np.sum(hits, axis=0) if len(hits) > 1 else hits[0]


def solve_linear(system: LinearSystem, schedule: InputSchedule, times_min: np.ndarray,
                 outputs: np.ndarray, *, method: str = "eig",
                 sink: Callable[[slice, np.ndarray], None] | None = None,
                 workers: int | None = None) -> np.ndarray | None:
    """Evaluate ``outputs @ x(t)`` exactly at ``times_min``.

    Parameters
    ----------
    system : LinearSystem
        ``A`` of shape ``(N, n, n)``.
    schedule : InputSchedule
        Boluses and constant-rate inputs.
    times_min : numpy.ndarray
        Increasing output times (min).
    outputs : numpy.ndarray
        Observation rows, shape ``(N, n_out, n)``.
    method : str
        ``"eig"`` or ``"expm"`` (see module docstring). ``"eig"`` falls back to ``"expm"``
        when the eigenvectors are ill-conditioned.
    sink : callable, optional
        If given, called as ``sink(time_slice, Y)`` with ``Y`` of shape ``(n_out, len, N)``
        (a fresh array the sink may modify) for consecutive chunks of the time grid, possibly
        from worker threads and in any order, never overlapping, instead of returning the full
        array. Saves memory for large populations.
    workers : int, optional
        Threads for the ``"eig"`` method (default: up to 2, the target machine's cores).

    Returns
    -------
    numpy.ndarray or None
        Shape ``(n_out, T, N)``, or ``None`` when ``sink`` is given.
    """
    times = np.asarray(times_min, dtype=float)
    if method == "eig":
        dec = modal_decomposition(system.A)
        if dec is not None:
            return _solve_eig(dec, schedule, times, outputs, sink, workers)
    y = _solve_expm(system.A, schedule, times, outputs).transpose(2, 1, 0).copy()
    if sink is None:
        return y
    sink(slice(0, len(times)), y)
    return None


def _solve_eig(dec, schedule, times, outputs, sink, workers):
    lam, V, Vinv = dec
    N, K = lam.shape
    n_out = outputs.shape[1]
    Cobs = outputs @ V  # (N, n_out, K)
    CobsT = np.ascontiguousarray(Cobs.transpose(1, 2, 0))  # (n_out, K, N)
    lamT = np.ascontiguousarray(lam.T)  # (K, N)
    scale = np.abs(CobsT).max(axis=2, keepdims=True)
    live = scale.max(axis=(1, 2), keepdims=True)
    # (output, mode) pairs that contribute (block-triangular structure leaves many exact zeros)
    pairs = [(o, k) for o in range(n_out) for k in range(K) if scale[o, k, 0] > 1e-14 * max(live[o, 0, 0], 1e-300)]
    out = None if sink is not None else np.zeros((n_out, len(times), N))
    bps = schedule.breakpoints()
    z = np.zeros((N, K))
    tasks = []
    chunk = max(1, _CHUNK_ELEMENTS // N)
    first = bps[0] if len(bps) else np.inf
    j = int(np.searchsorted(times, first, side="left"))
    if j > 0 and sink is not None:
        for s in range(0, j, chunk):
            e = min(j, s + chunk)
            sink(slice(s, e), np.zeros((n_out, e - s, N)))
    for i, ta in enumerate(bps):
        tb = bps[i + 1] if i + 1 < len(bps) else np.inf
        b = _bolus_at(schedule, ta, (N, K))
        if b is not None:
            z = z + np.einsum("nkj,nj->nk", Vinv, b)
        r = _active_rate(schedule, ta, (N, Vinv.shape[2]))
        zss = -np.einsum("nkj,nj->nk", Vinv, r) / lam
        d = z - zss
        lo = int(np.searchsorted(times, ta, side="left"))
        hi = int(np.searchsorted(times, tb, side="left")) if np.isfinite(tb) else len(times)
        if hi > lo:
            const = np.einsum("okn,nk->on", CobsT, zss)  # (n_out, N)
            W = CobsT * d.T[None, :, :]  # (n_out, K, N)
            for s in range(lo, hi, chunk):
                e = min(hi, s + chunk)
                tasks.append((W, const, times[s:e] - ta, slice(s, e)))
        if np.isfinite(tb):
            z = zss + d * np.exp(lam * (tb - ta))

    def run(task):
        W, const, tau, sl = task
        E = np.exp(tau[:, None, None] * lamT[None, :, :])  # (Tc, K, N)
        if N < 32:
            Y = np.einsum("tkn,okn->otn", E, W)
            Y += const[:, None, :]
        else:
            Y = np.empty((n_out, len(tau), N))
            tmp = np.empty((len(tau), N))
            started = [False] * n_out
            for o, k in pairs:
                if started[o]:
                    np.multiply(E[:, k, :], W[o, k], out=tmp)
                    Y[o] += tmp
                else:
                    np.multiply(E[:, k, :], W[o, k], out=Y[o])
                    Y[o] += const[o]
                    started[o] = True
            for o in range(n_out):
                if not started[o]:
                    Y[o] = const[o]
        if sink is None:
            out[:, sl, :] = Y
        else:
            sink(sl, Y)

    n_workers = min(2, os.cpu_count() or 1) if workers is None else int(workers)
    if n_workers > 1 and len(tasks) > 1:
        with ThreadPoolExecutor(n_workers) as ex:
            list(ex.map(run, tasks))
    else:
        for t in tasks:
            run(t)
    return out


def _solve_expm(A, schedule, times, outputs):
    N, n, _ = A.shape
    bps = schedule.breakpoints()
    grid = np.union1d(times, bps)
    out = np.zeros((N, len(times), outputs.shape[1]))
    x = np.zeros((N, n))
    cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    aug = np.zeros((N, 2 * n, 2 * n))
    aug[:, :n, :n] = A
    aug[:, :n, n:] = np.eye(n)
    t_idx = {t: i for i, t in enumerate(times)}
    for j, ta in enumerate(grid):
        b = _bolus_at(schedule, ta, (N, n))
        if b is not None:
            x = x + b
        if ta in t_idx:
            out[:, t_idx[ta], :] = np.einsum("noj,nj->no", outputs, x)
        if j + 1 == len(grid):
            break
        h = float(grid[j + 1] - ta)
        key = round(h, 12)
        if key not in cache:
            M = expm(aug * h)
            cache[key] = (M[:, :n, :n], M[:, :n, n:])
        Phi, Gam = cache[key]
        r = _active_rate(schedule, ta, (N, n))
        x = np.einsum("nij,nj->ni", Phi, x) + np.einsum("nij,nj->ni", Gam, r)
    return out
