"""Wind-up in a dorsal-horn wide-dynamic-range (WDR) neuron, and how NMDA block removes it.

A single-compartment model **inspired by** the compartmental WDR model of Aguiar, Sousa & Lima
(2010) (J Neurophysiol 104:1155–1166; model code ModelDB accession 128559, whose equations and
parameter values were read, not copied). It keeps Aguiar's currents and most of their values but
is not a faithful reduction: every departure is listed below. Aguiar's title claims that NMDA
channels, L-type calcium currents and a calcium-activated non-specific cation current (I_CAN) are
sufficient for wind-up; knock-outs of this model (``KNOCKOUTS``, tests/test_windup.py) find the
same three necessary and the slow substance-P (NK1) current not needed.

Membrane equation (V in mV, t in ms, conductances in nS, C in pF)::

    C dV/dt = − g_L (V − E_L) − g_AMPA(t) V − u(V) g_NMDA(t) V − g_NK1(t) (V − E_NK1)
              − g_CAN m² (V − E_CAN) − g_CaL m_∞(V) (V − E_Ca) − g_AHP (V − E_K)

* synaptic conductances are dual exponentials summed over C-fibre (latency ≈ 200 ms) and
  Aδ (≈ 30 ms) events, exact between events;
* ``u(V)`` is the fraction of NMDA channels that conduct, from the course's channel module:
  :func:`ketacourse.channel.pore_states` (Mg²⁺ block of Jahr & Stevens competing with
  ketamine for the pore, at steady state). Ketamine block is taken at steady state, i.e. without
  the use-dependent build-up of Chapter 1 (a simplification, stated in the chapter);
* calcium (ModelDB's 0.1-µm shell, removal 2 ms): d[Ca]/dt = k·(Ca entry) − ([Ca] − [Ca]_rest)/τ_Ca,
  with 10 % of the NMDA current, 10 % of the NK1 current, the L-type current and, for 1 ms after
  each spike, the L-type entry the spike would cause;
* I_CAN gate as coded in ModelDB (iCaAN.mod): m_∞ = x²/(1 + x²), τ_m = τ_factor/(β(1 + x²))/tadj,
  x = [Ca]/Ca_half: about 4.3 s at rest. This slow gate, charged by the calcium of each response,
  is what carries the memory from one stimulus to the next;
* spikes: threshold and reset; each spike adds an after-hyperpolarising conductance.

Departures from ModelDB 128559 (each is also in ``data/windup.toml``):

1. one compartment instead of soma, 500-µm dendrite, hillock and axon;
2. threshold-and-reset spikes instead of Hodgkin–Huxley Na/K, and a spike-triggered AHP instead of
   the Ca-activated K current; persistent Na current and background noise omitted;
3. L-type current: the spike's calcium entry is a fixed 1-ms influx derived from the GHK current
   at an assumed +20 mV spike peak; below threshold a small ohmic current (calibrated);
4. the C-fibre interneuron is removed: each of the 20 synapses gets a fixed 6-event volley per
   stimulus (calibrated), so the interneuron's own wind-up is excluded; its GABA-A output omitted;
5. I_CAN conductance calibrated to 8 nS (ModelDB: 4.4 nS on the dendrite);
6. deterministic event times (quantiles of the latency distribution) instead of random ones.

What was checked (tests/test_windup.py): wind-up at 0.5, 1 and 2 Hz and none at 0.1 Hz;
removing NMDA (as AP5 does) removes wind-up; ketamine reduces it with concentration; the
knock-outs above; convergence in the time step.

Read-out (as in Aguiar's analysis of Herrero's data, herreroscatter.m): the number of spikes
with a latency over 100 ms after each stimulus and within one stimulus period.

Numerics: exponential (conductance) Euler, unconditionally stable, on a time grid that is
fine (``dt_fine_ms``) for the first second after each stimulus and coarse in the quiet
remainder of long inter-stimulus intervals. Many cells (ketamine × Mg²⁺ combinations) are
stepped together as one NumPy batch.

Speed: the cells do not interact, so each is stepped alone in Python floats (``_cell_loop``) with
the operations of the NumPy batch loop (``_batch_loop``, kept for gate powers other than 2) on the
same operands in the same order: the results are bit-identical to it. The synaptic drive, the same
for every cell, is computed once per time grid and kept (``_dual_exp_sum``). Measured in CPU
seconds on the course's 2-core machine at load 3-4 (2026-12-07): a train of 15 stimuli at 1 Hz
costs 0.8 s the first time on its time grid (0.7 s of it the drive) and about 0.1 s per cell after
that (it was 5 s per batch); a 0.1 Hz train (150 s of neuron time) 0.9 s; :func:`reference_runs`
4.6 s (was about 50 s at the same load); the widget's grid (5 frequencies x 24 cells) 17 s (was
39 s). Still too slow for a slider: the widget therefore uses :class:`WindupGrid`, which
precomputes every slider combination once, keeps it in a disk cache so a new kernel loads it in
milliseconds, and then only looks results up (microseconds per slider move).
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import ndtri

from .. import channel, diskcache
from ..data import load_table
from ..validation import check_real

__all__ = [
    "WindupResult",
    "simulate_train",
    "windup_count",
    "WindupGrid",
    "parameters",
    "FREQUENCY_RANGE_HZ",
    "KETAMINE_RANGE_UM",
    "MG_RANGE_MM",
    "KNOCKOUTS",
    "reference_runs",
    "write_packaged_grid",
    "packaged_grid_info",
    "write_packaged_reference_runs",
    "packaged_reference_runs",
]

FREQUENCY_RANGE_HZ = (0.05, 5.0)
"""Stimulus frequencies accepted (Hz)."""
KETAMINE_RANGE_UM = (0.0, 100.0)
"""Free ketamine concentrations accepted (µM)."""
MG_RANGE_MM = (0.0, 5.0)
"""Extracellular Mg²⁺ concentrations accepted (mM)."""

KNOCKOUTS: dict[str, dict] = {
    "NMDA receptors": {"synapses": {"adelta": {"nmda_ns": 0.0}, "c_fibre": {"nmda_ns": 0.0}}},
    "I_CAN": {"can": {"conductance_ns": 0.0}},
    "L-type calcium entry": {"l_type": {"conductance_ns": 0.0, "spike_ca_influx_mm_per_ms": 0.0}},
    "NK1 (substance P)": {"synapses": {"calibration": {"nk1_ns": 0.0}}},
    "calcium entry through NMDA": {"calcium": {"nmda_fraction": 0.0}},
}
"""Parameter overrides (for :func:`simulate_train`) that remove one mechanism each."""

_V_MIN, _V_MAX, _V_STEP = -120.0, 60.0, 0.1


def parameters() -> dict:
    """The model's parameter table (``data/windup.toml``), with sources."""
    return load_table("windup")


@dataclass(frozen=True)
class WindupResult:
    """Result of :func:`simulate_train` for a batch of cells.

    Attributes
    ----------
    t_ms : numpy.ndarray
        Recorded time points (ms), shape ``(n_t,)``.
    v_mv : numpy.ndarray
        Membrane potential (mV), shape ``(n_cells, n_t)`` (spikes are not drawn: the neuron
        resets at threshold; see ``spike_times_ms``).
    spike_times_ms : list of numpy.ndarray
        Spike times (ms) of each cell.
    stimulus_times_ms : numpy.ndarray
        Times of the C-fibre stimuli (ms).
    spikes_per_stimulus : numpy.ndarray
        C-fibre response: spikes with latency > 100 ms after each stimulus and before the next,
        shape ``(n_cells, n_stimuli)``.
    ketamine_um, mg_mm, nmda_scale : numpy.ndarray
        The settings of each cell, shape ``(n_cells,)``.
    frequency_hz : float
        Stimulus frequency.
    """

    t_ms: np.ndarray
    v_mv: np.ndarray
    spike_times_ms: list
    stimulus_times_ms: np.ndarray
    spikes_per_stimulus: np.ndarray
    ketamine_um: np.ndarray
    mg_mm: np.ndarray
    nmda_scale: np.ndarray
    frequency_hz: float


def windup_count(spikes_per_stimulus) -> np.ndarray:
    """Wind-up as the extra spikes over a train: total response minus n × the first response.

    This is the usual summary in the wind-up literature (the response to the train in excess
    of what the first stimulus alone would predict). Works along the last axis.
    """
    s = np.asarray(spikes_per_stimulus, dtype=float)
    if s.ndim == 0 or s.shape[-1] < 1:
        raise ValueError("spikes_per_stimulus must have at least one stimulus along its last axis")
    return s.sum(axis=-1) - s.shape[-1] * s[..., 0]


def _events(stim_times: np.ndarray, latency: float, dispersion: float, n: int) -> np.ndarray:
    """Deterministic arrival times: the n quantiles of a normal latency distribution per stimulus."""
    q = ndtri((np.arange(n) + 0.5) / n)
    lat = np.maximum(latency + dispersion * q, 0.0)
    return (stim_times[:, None] + lat[None, :]).ravel()


def _time_grid(stim_times: np.ndarray, t_end: float, dt_fine: float, dt_coarse: float, fine_window: float) -> np.ndarray:
    """Time grid: fine for ``fine_window`` ms after each stimulus, coarse elsewhere."""
    pieces = []
    t = 0.0
    starts = list(stim_times) + [t_end]
    # before first stimulus: coarse
    for k, s in enumerate(stim_times):
        if s > t:
            n = max(int(np.ceil((s - t) / dt_coarse)), 1)
            pieces.append(np.linspace(t, s, n + 1)[:-1])
            t = s
        end_fine = min(s + fine_window, starts[k + 1])
        n = max(int(np.ceil((end_fine - t) / dt_fine)), 1)
        pieces.append(np.linspace(t, end_fine, n + 1)[:-1])
        t = end_fine
    if t_end > t:
        n = max(int(np.ceil((t_end - t) / dt_coarse)), 1)
        pieces.append(np.linspace(t, t_end, n + 1)[:-1])
    pieces.append(np.array([t_end]))
    return np.concatenate(pieces)


@lru_cache(maxsize=64)
def _conducting_table(mg_mm: float, ketamine_um: float) -> np.ndarray:
    """Fraction of open NMDA channels conducting on the voltage grid (course channel module)."""
    v = np.arange(_V_MIN, _V_MAX + _V_STEP / 2, _V_STEP)
    return np.asarray(channel.pore_states(v, mg_mm, ketamine_um)["conducting"], dtype=float)


def simulate_train(
    frequency_hz: float = 1.0,
    n_stimuli: int | None = None,
    *,
    ketamine_um=0.0,
    mg_mm=1.0,
    nmda_scale=1.0,
    dt_fine_ms: float = 0.5,
    dt_coarse_ms: float = 2.0,
    record_every_ms: float = 2.0,
    tail_ms: float = 1000.0,
    overrides: dict | None = None,
    cache: bool = True,
) -> WindupResult:
    """Drive the WDR neuron with a train of C-fibre stimuli.

    ``ketamine_um``, ``mg_mm`` and ``nmda_scale`` may be arrays (broadcast together): each
    combination is one cell, and all are simulated together. A train takes most of a second of
    CPU (0.8 s at 1 Hz; see the module's "Speed"), so a result is kept in the disk cache (:mod:`ketacourse.diskcache`) under its
    checked arguments and parameter table, and read back exactly by a later call.

    Parameters
    ----------
    frequency_hz : float
        Stimulus frequency, Hz (0.05–5).
    n_stimuli : int, optional
        Number of stimuli (1–60); default 15 (``data/windup.toml``).
    ketamine_um : float or array_like
        Free ketamine concentration at the receptor, µM (0–100).
    mg_mm : float or array_like
        Extracellular Mg²⁺, mM (0–5).
    nmda_scale : float or array_like
        Multiplier on the NMDA conductance (0–2); 0 removes NMDA receptors.
    dt_fine_ms, dt_coarse_ms : float
        Time steps (ms) in the first second after each stimulus and in the quiet rest of long
        intervals (0.01–1 and fine–5).
    record_every_ms : float
        Spacing of the recorded membrane potential (ms, >= ``dt_fine_ms``).
    tail_ms : float
        Time simulated after the last stimulus (ms, >= 500).
    overrides : dict, optional
        ``{section: {name: value}}`` replacing entries of ``data/windup.toml`` for this run
        (for experiments such as removing I_CAN: ``{"can": {"conductance_ns": 0}}``).
    cache : bool
        Read and write the result in the disk cache (``False``: always simulate).

    Returns
    -------
    WindupResult
    """
    p = _merged(parameters(), overrides or {})
    f = float(check_real("frequency_hz", frequency_hz, low=FREQUENCY_RANGE_HZ[0], high=FREQUENCY_RANGE_HZ[1], unit="Hz"))
    if n_stimuli is None:
        n_stimuli = int(p["protocol"]["n_stimuli"])
    if isinstance(n_stimuli, bool) or not isinstance(n_stimuli, (int, np.integer)) or not 1 <= n_stimuli <= 60:
        raise ValueError(f"n_stimuli must be a whole number from 1 to 60; got {n_stimuli!r}")
    ket = np.atleast_1d(check_real("ketamine_um", ketamine_um, low=KETAMINE_RANGE_UM[0], high=KETAMINE_RANGE_UM[1], unit="µM"))
    mg = np.atleast_1d(check_real("mg_mm", mg_mm, low=MG_RANGE_MM[0], high=MG_RANGE_MM[1], unit="mM"))
    scale = np.atleast_1d(check_real("nmda_scale", nmda_scale, low=0.0, high=2.0))
    try:
        ket, mg, scale = (a.ravel() for a in np.broadcast_arrays(ket, mg, scale))
    except ValueError:
        raise ValueError("ketamine_um, mg_mm and nmda_scale must broadcast to one shape; got shapes "
                         f"{np.shape(ketamine_um)}, {np.shape(mg_mm)}, {np.shape(nmda_scale)}") from None
    dt_f = float(check_real("dt_fine_ms", dt_fine_ms, low=0.01, high=1.0, unit="ms"))
    dt_c = float(check_real("dt_coarse_ms", dt_coarse_ms, low=dt_f, high=5.0, unit="ms"))
    rec = float(check_real("record_every_ms", record_every_ms, low=dt_f, high=100.0, unit="ms"))
    tail = float(check_real("tail_ms", tail_ms, low=500.0, high=60_000.0, unit="ms"))
    args = (f, n_stimuli, ket, mg, scale, dt_f, dt_c, rec, tail)
    if not cache:
        return _simulate(p, *args)
    return diskcache.cached("simulate-train", {"parameters": p, "arguments": args}, lambda: _simulate(p, *args),
                            dump=_result_bytes, load=_result_from_bytes, suffix=".npz")


def _simulate(p: dict, f: float, n_stimuli: int, ket: np.ndarray, mg: np.ndarray, scale: np.ndarray,
              dt_f: float, dt_c: float, rec: float, tail: float, *, batch: bool = False) -> WindupResult:
    """:func:`simulate_train` for checked arguments and the merged parameter table ``p``. ``batch``: step
    all cells as one NumPy batch (:func:`_batch_loop`) even where the float loop (:func:`_cell_loop`)
    applies; the results are the same bits (tests/test_windup.py checks it)."""
    mem, spk, ca_p, cal, can = p["membrane"], p["spike"], p["calcium"], p["l_type"], p["can"]
    ad, cf, cal_s = p["synapses"]["adelta"], p["synapses"]["c_fibre"], p["synapses"]["calibration"]
    period = 1000.0 / f
    first = 1000.0
    stim = first + period * np.arange(n_stimuli)
    t_end = stim[-1] + max(period, tail)
    t = _time_grid(stim, t_end, dt_f, dt_c, fine_window=min(period, 1000.0))
    n_t = t.size
    dts = np.diff(t)

    # ---- synaptic drive (identical for every cell): dual exponentials, exact between events
    kinds = [  # (event times, weight nS, rise, decay, channel)
        (_events(stim, ad["latency_ms"], ad["dispersion_ms"], ad["n_fibres"]), ad["ampa_ns"], ad["ampa_rise_ms"], ad["ampa_decay_ms"], 0),
        (_events(stim, ad["latency_ms"], ad["dispersion_ms"], ad["n_fibres"]), ad["nmda_ns"], ad["nmda_rise_ms"], ad["nmda_decay_ms"], 1),
    ]
    n_c = int(cf["n_fibres"] * cal_s["c_volley_spikes"])
    c_times = _events(stim, cf["latency_ms"], cf["dispersion_ms"], n_c)
    kinds += [
        (c_times, cf["ampa_ns"], cf["ampa_rise_ms"], cf["ampa_decay_ms"], 0),
        (c_times, cf["nmda_ns"], cf["nmda_rise_ms"], cf["nmda_decay_ms"], 1),
        (stim + cal_s["nk1_delay_ms"], cal_s["nk1_ns"], cf["nk1_rise_ms"], cf["nk1_decay_ms"], 2),
    ]
    g_syn = np.zeros((3, n_t))  # AMPA, NMDA (before block), NK1 conductance, nS
    for times, w, tr, td, ch in kinds:
        tp = td * tr / (td - tr) * np.log(td / tr)
        norm = 1.0 / (np.exp(-tp / td) - np.exp(-tp / tr))
        g_syn[ch] += w * norm * _dual_exp_sum(t, times, tr, td)

    # ---- lookup tables on the voltage grid
    tables = np.stack([_conducting_table(float(m), float(k)) for m, k in zip(mg, ket)]) * scale[:, None]
    n_v = tables.shape[1]
    flat = tables.ravel()
    base = np.arange(ket.size) * n_v
    vgrid = np.arange(_V_MIN, _V_MAX + _V_STEP / 2, _V_STEP)
    cal_tab = 1.0 / (1.0 + np.exp(-(vgrid - cal["half_activation_mv"]) / cal["slope_mv"]))

    # ---- state
    n_cells = ket.size
    c_pf = mem["capacitance_pf"]
    g_l, e_l = mem["leak_conductance_ns"], mem["leak_reversal_mv"]
    e_k, e_can, e_ca, e_nk = spk["potassium_reversal_mv"], can["reversal_mv"], cal["reversal_mv"], cal_s["nk1_reversal_mv"]
    g_can, g_cal = can["conductance_ns"], cal["conductance_ns"]
    beta, ca_half = can["beta_per_ms"], can["half_activation_ca_mm"]
    # ModelDB iCaAN gating: m_inf = x^2/(1+x^2), tau_m = tau_factor/(beta (1+x^2))/tadj, x = [Ca]/Ca_half
    tadj = can["q10"] ** ((can["temperature_c"] - can["kinetics_temperature_c"]) / 10.0)
    tau_scale = can["tau_factor"] / tadj
    tau_min = can["tau_min_ms"]
    power = can["gate_power"]
    ca0, tau_ca, k_ca = ca_p["resting_mm"], ca_p["decay_ms"], ca_p["influx_mm_per_pa_ms"]
    spike_ca, spike_w = cal["spike_ca_influx_mm_per_ms"], cal["spike_width_ms"]
    f_nmda, f_nk1 = ca_p["nmda_fraction"], ca_p["nk1_fraction"]
    thr, reset, refr_ms = spk["threshold_mv"], spk["reset_mv"], spk["refractory_ms"]
    ahp_inc, tau_ahp = spk["ahp_increment_ns"], spk["ahp_decay_ms"]

    x0 = (ca0 / ca_half) ** 2
    m0 = x0 / (1.0 + x0)
    rec_idx = np.unique(np.searchsorted(t, np.arange(0.0, t_end + rec / 2, rec)).clip(0, n_t - 1))
    rec_mask = np.zeros(n_t, dtype=bool)
    rec_mask[rec_idx] = True
    if power == 2.0 and not batch:
        # One cell at a time, in Python floats: the cells do not interact, and a step of one cell is ~40
        # scalar operations, far cheaper as floats than as NumPy calls on tiny arrays. Every operation is
        # the batch loop's (_batch_loop) on the same operands in the same order and precision (m ** 2.0 of
        # an array is NumPy's square, m * m; exponentials are np.exp's), so the results are bit-identical.
        # Everything the same for every cell is computed once over the whole time grid, as the batch loop
        # computes it at each step (same operations, same order).
        g_a_all, g_n_all, g_k_all = g_syn
        shared = (g_n_all[:-1], ((g_l + g_a_all) + g_k_all)[:-1], ((g_l * e_l) + g_k_all * e_nk)[:-1],
                  (f_nk1 * g_k_all)[:-1], rec_mask[:-1], t[1:])
        # the decay factors of calcium and AHP per step: np.exp(-dt / tau) of each distinct dt, as the batch loop
        uniq, which = np.unique(dts, return_inverse=True)
        exp_ca = np.array([float(np.exp(-d / tau_ca)) for d in uniq])[which]
        exp_ahp = np.array([float(np.exp(-d / tau_ahp)) for d in uniq])[which]
        steps = list(zip(*(x.tolist() for x in (dts, -dts, exp_ca, exp_ahp) + shared)))
        cal_g = (cal_tab * g_cal).tolist()
        consts = (c_pf, e_nk, e_can, e_ca, e_k, g_can, beta, ca_half, tau_scale, tau_min, ca0, tau_ca, k_ca,
                  spike_ca, spike_w, f_nmda, thr, reset, refr_ms, ahp_inc, n_v - 1)
        v_rec = np.empty((n_cells, rec_idx.size))
        spikes_t = []
        for c in range(n_cells):
            recorded, v_end, spikes = _cell_loop(float(e_l), float(ca0), float(m0), tables[c].tolist(), cal_g, steps, consts)
            if rec_mask[n_t - 1]:
                recorded.append(v_end)
            v_rec[c] = recorded
            spikes_t.append(spikes)
    else:
        v_rec, spikes_t = _batch_loop(
            n_cells, m0, g_syn, dts, t, flat, base, n_v, cal_tab, rec_mask, rec_idx, n_t,
            (c_pf, g_l, e_nk, e_can, e_ca, e_k, g_can, g_cal, beta, ca_half, tau_scale, tau_min, power, ca0,
             tau_ca, k_ca, spike_ca, spike_w, f_nmda, f_nk1, thr, reset, refr_ms, ahp_inc, tau_ahp, e_l))
    spike_arrays = [np.asarray(s) for s in spikes_t]
    lat = p["protocol"]["readout_latency_ms"]
    edges = np.append(stim, stim[-1] + period)  # every window is one stimulus period (no longer tail for the last)
    counts = np.zeros((n_cells, n_stimuli), dtype=int)
    for c, st in enumerate(spike_arrays):
        for kk in range(n_stimuli):
            counts[c, kk] = int(np.count_nonzero((st >= stim[kk] + lat) & (st < edges[kk + 1])))
    return WindupResult(t[rec_idx], v_rec, spike_arrays, stim, counts, ket, mg, scale, f)


def _cell_loop(v: float, ca: float, m: float, tab: list, cal_g: list, steps: list, consts: tuple):
    """The step loop of :func:`_simulate` for one cell, in Python floats, when ``gate_power`` is 2.

    The same operations as :func:`_batch_loop` on the same operands, in the same order; ``steps``
    holds, per step, what is the same for every cell (see :func:`_simulate`). Returns the membrane
    potential at the start of each recorded step, the final one and the spike times.
    """
    (c_pf, e_nk, e_can, e_ca, e_k, g_can, beta, ca_half, tau_scale, tau_min, ca0, tau_ca, k_ca,
     spike_ca, spike_w, f_nmda, thr, reset, refr_ms, ahp_inc, k_max) = consts
    exp = np.exp
    v_min, inv_step = _V_MIN, 1.0 / _V_STEP
    g_ahp = 0.0
    refr = 0.0
    recorded: list[float] = []
    spikes: list[float] = []
    spike_entry = spike_ca > 0.0
    for dt, mdt, e_ca_dt, dec, g_n, g_s, num0, fk, rec, t_next in steps:
        if rec:
            recorded.append(v)
        k = int((v - v_min) * inv_step + 0.5)
        if k < 0:
            k = 0
        elif k > k_max:
            k = k_max
        u_nmda = tab[k] * g_n
        m_cal = cal_g[k]
        g_c = g_can * (m * m)
        g_tot = g_s + u_nmda + g_c + m_cal + g_ahp
        v_inf = (num0 + g_c * e_can + m_cal * e_ca + g_ahp * e_k) / g_tot
        v = v_inf + (v - v_inf) * float(exp(mdt * g_tot / c_pf))
        i_ca = f_nmda * u_nmda * v + fk * (v - e_nk) + m_cal * (v - e_ca)
        influx = -k_ca * (i_ca if i_ca < 0.0 else 0.0)
        if spike_entry:
            influx = influx + (spike_ca if ((refr_ms - refr) < spike_w and refr > 0) else 0.0)
        ca_inf = ca0 + tau_ca * influx
        ca = ca_inf + (ca - ca_inf) * e_ca_dt
        x = ca / ca_half
        x2 = x * x
        m_inf = x2 / (1.0 + x2)
        tau_m = tau_scale / (beta * (1.0 + x2))
        if tau_m < tau_min:
            tau_m = tau_min
        m = m_inf + (m - m_inf) * float(exp(mdt / tau_m))
        g_ahp = g_ahp * dec
        if refr:
            refr = refr - dt
            if refr > 0.0:
                v = reset
            else:
                refr = 0.0
        if v >= thr:
            spikes.append(t_next)
            v = reset
            refr = refr_ms
            g_ahp = g_ahp + ahp_inc
    return recorded, v, spikes


def _batch_loop(n_cells, m0, g_syn, dts, t, flat, base, n_v, cal_tab, rec_mask, rec_idx, n_t, consts):
    """The step loop of :func:`_simulate` for all cells at once, as NumPy arrays (any ``gate_power``)."""
    (c_pf, g_l, e_nk, e_can, e_ca, e_k, g_can, g_cal, beta, ca_half, tau_scale, tau_min, power, ca0,
     tau_ca, k_ca, spike_ca, spike_w, f_nmda, f_nk1, thr, reset, refr_ms, ahp_inc, tau_ahp, e_l) = consts
    v = np.full(n_cells, e_l)
    ca = np.full(n_cells, ca0)
    m = np.full(n_cells, m0)
    g_ahp = np.zeros(n_cells)
    refr = np.zeros(n_cells)
    spikes_t: list[list[float]] = [[] for _ in range(n_cells)]
    v_rec = np.empty((n_cells, rec_idx.size))
    j = 0
    inv_step = 1.0 / _V_STEP
    g_a_all, g_n_all, g_k_all = g_syn
    dec_ahp_cache: dict[float, float] = {}
    for i in range(n_t - 1):
        if rec_mask[i]:
            v_rec[:, j] = v
            j += 1
        dt = dts[i]
        k = ((v - _V_MIN) * inv_step + 0.5).astype(np.intp)
        np.clip(k, 0, n_v - 1, out=k)
        u_nmda = flat[base + k] * g_n_all[i]
        m_cal = cal_tab[k] * g_cal
        g_a, g_k = g_a_all[i], g_k_all[i]
        g_c = g_can * m ** power
        g_tot = g_l + g_a + g_k + u_nmda + g_c + m_cal + g_ahp
        v_inf = (g_l * e_l + g_k * e_nk + g_c * e_can + m_cal * e_ca + g_ahp * e_k) / g_tot
        v = v_inf + (v - v_inf) * np.exp(-dt * g_tot / c_pf)
        # calcium entry (inward current is negative: I = g (V - E))
        i_ca = f_nmda * u_nmda * v + f_nk1 * g_k * (v - e_nk) + m_cal * (v - e_ca)
        influx = -k_ca * np.minimum(i_ca, 0.0)
        if spike_ca > 0.0:
            # L-type entry during the spike (the reduction has no spike waveform): a fixed influx for the first
            # spike_width_ms after each spike
            influx = influx + spike_ca * ((refr_ms - refr) < spike_w) * (refr > 0)
        ca_inf = ca0 + tau_ca * influx
        ca = ca_inf + (ca - ca_inf) * np.exp(-dt / tau_ca)
        x2 = (ca / ca_half) ** 2
        m_inf = x2 / (1.0 + x2)
        tau_m = np.maximum(tau_scale / (beta * (1.0 + x2)), tau_min)
        m = m_inf + (m - m_inf) * np.exp(-dt / tau_m)
        dec = dec_ahp_cache.get(dt)
        if dec is None:
            dec = dec_ahp_cache[dt] = float(np.exp(-dt / tau_ahp))
        g_ahp = g_ahp * dec
        if refr.any():
            refr = np.maximum(refr - dt, 0.0)
            v = np.where(refr > 0, reset, v)
        fired = v >= thr
        if fired.any():
            for c in np.flatnonzero(fired):
                spikes_t[c].append(t[i + 1])
            v = np.where(fired, reset, v)
            refr = np.where(fired, refr_ms, refr)
            g_ahp = g_ahp + ahp_inc * fired
    if rec_mask[n_t - 1] and j < rec_idx.size:
        v_rec[:, j] = v
    return v_rec, spikes_t


def _result_bytes(r: WindupResult) -> bytes:
    """A :class:`WindupResult` as an ``.npz`` file's bytes (every array exact, its dtype kept)."""
    import io

    lengths = np.array([len(st) for st in r.spike_times_ms], dtype=np.int64)
    spikes = [np.asarray(st) for st in r.spike_times_ms]
    buf = io.BytesIO()
    np.savez(buf, t_ms=r.t_ms, v_mv=r.v_mv, stimulus_times_ms=r.stimulus_times_ms,
             spikes_per_stimulus=r.spikes_per_stimulus, ketamine_um=r.ketamine_um, mg_mm=r.mg_mm,
             nmda_scale=r.nmda_scale, frequency_hz=np.float64(r.frequency_hz), spike_lengths=lengths,
             spike_times_ms=np.concatenate(spikes) if spikes else np.zeros(0),
             spike_dtypes=np.array([st.dtype.str for st in spikes] or [""]))
    return buf.getvalue()


def _result_from_bytes(data: bytes) -> WindupResult:
    """The :class:`WindupResult` written by :func:`_result_bytes`."""
    import io

    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        lengths = z["spike_lengths"]
        flat = z["spike_times_ms"]
        bounds = np.cumsum(lengths)
        spikes = [flat[b - n:b].astype(dt, copy=True) for n, b, dt in zip(lengths, bounds, z["spike_dtypes"])]
        return WindupResult(z["t_ms"], z["v_mv"], spikes, z["stimulus_times_ms"], z["spikes_per_stimulus"],
                            z["ketamine_um"], z["mg_mm"], z["nmda_scale"], float(z["frequency_hz"]))


REFERENCE_FREQUENCIES_HZ = (0.1, 0.5, 1.0, 2.0)
"""Stimulus frequencies of :func:`reference_runs` (Hz)."""
REFERENCE_ROWS = {"ketamine_um": (0.0, 0.0, 2.0, 0.36, 0.0), "mg_mm": (1.0, 1.0, 1.0, 1.0, 2.0),
                  "nmda_scale": (1.0, 0.0, 1.0, 1.0, 1.0)}
"""The five cells of every frequency in :func:`reference_runs`: control, no NMDA, 2 µM ketamine,
0.36 µM ketamine (the free concentration at the top of the analgesic band, Chapter 4), 2 mM Mg²⁺."""


def _simulate_reference_runs() -> dict:
    """Simulate the runs of :func:`reference_runs` (about 5 s of CPU)."""
    by_f = {f: simulate_train(f, **{k: list(v) for k, v in REFERENCE_ROWS.items()}, cache=False).spikes_per_stimulus
            for f in REFERENCE_FREQUENCIES_HZ}
    kos = {name: simulate_train(1.0, overrides=o, cache=False).spikes_per_stimulus[0] for name, o in KNOCKOUTS.items()}
    return {"by_frequency": by_f, "knockouts": kos}


def _reference_runs_what() -> str:
    """What the reference runs are computed for (part of their cache and package keys)."""
    return repr((REFERENCE_FREQUENCIES_HZ, sorted(REFERENCE_ROWS.items()), sorted(KNOCKOUTS.items())))


def _runs_from_json(stored: dict) -> dict:
    return {"by_frequency": {float(f): np.asarray(v, dtype=int) for f, v in stored["by_frequency"].items()},
            "knockouts": {k: np.asarray(v, dtype=int) for k, v in stored["knockouts"].items()}}


@lru_cache(maxsize=2)
def reference_runs(*, cache: bool = True) -> dict:
    """The runs the tests and the validation page compare with experiments (computed once per process).

    Parameters
    ----------
    cache : bool
        Use stored runs: first the package's precomputed runs (``data/windup_reference_runs.toml``,
        written by :func:`write_packaged_reference_runs`), used only when the parameter tables and
        the runs' conditions are the ones they were computed for (``tests/test_windup.py``
        simulates them again and compares); else the disk cache (:mod:`ketacourse.diskcache`), whose
        key holds the package's code and tables, so a change to any of them simulates again. Several
        processes need these runs (the chapter, the validation page, the tests); simulating them
        costs about 5 s of CPU. ``cache=False`` always simulates (``tests/test_windup.py`` checks
        that all three agree).

    Returns
    -------
    dict
        ``"by_frequency"``: {frequency_hz: spikes per stimulus of (control, no NMDA, 2 µM ketamine,
        0.36 µM ketamine, 2 mM Mg²⁺)} for 0.1, 0.5, 1 and 2 Hz (1 mM Mg²⁺ unless stated; 0.36 µM is the
        free concentration at the top of the analgesic band, Chapter 4);
        ``"knockouts"``: {name: spikes per stimulus at 1 Hz} for each entry of :data:`KNOCKOUTS`.
    """
    import json

    if cache:
        packaged = packaged_reference_runs()
        if packaged is not None:
            return packaged
    path = _disk_cache_path("reference-runs", _reference_runs_what()) if cache else None
    stored = diskcache.read(path)
    if stored is not None:
        try:
            return _runs_from_json(json.loads(stored.decode("utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError):  # a damaged cache file is simply recomputed
            pass
    runs = _simulate_reference_runs()
    text = json.dumps({"by_frequency": {repr(f): v.tolist() for f, v in runs["by_frequency"].items()},
                       "knockouts": {k: v.tolist() for k, v in runs["knockouts"].items()}})
    diskcache.write(path, text.encode("utf-8"))  # written whole, then renamed: never half a file
    return runs


def _merged(base: dict, overrides: dict, path: str = "") -> dict:
    """Copy of ``base`` with ``overrides`` applied; unknown keys raise ValueError."""
    out = dict(base)
    for key, val in overrides.items():
        where = f"{path}.{key}" if path else key
        if key not in base:
            raise ValueError(f"overrides: {where!r} is not a parameter; choose from {', '.join(sorted(base))}")
        if isinstance(val, dict):
            if not isinstance(base[key], dict):
                raise ValueError(f"overrides: {where!r} is a value, not a section")
            out[key] = _merged(base[key], val, where)
        else:
            if isinstance(base[key], dict):
                raise ValueError(f"overrides: {where!r} is a section; give a dict of its entries")
            out[key] = float(check_real(f"overrides[{where!r}]", val))
    return out


def _dual_exp_sum(t: np.ndarray, times: np.ndarray, tr: float, td: float) -> np.ndarray:
    """Σ_events [exp(−(t−t_e)/τd) − exp(−(t−t_e)/τr)] for t ≥ t_e, evaluated on the grid ``t``.

    Exact on any grid: each event contributes only within 40 decay constants after it (beyond
    that its share is below exp(−40)), evaluated in blocks of nearby events. The last results are
    kept (the drive of a train does not depend on the cell, the synaptic weights or the tables
    of the channel module, so the knock-outs at one frequency compute it once); the array
    returned is read-only.
    """
    times = np.sort(np.asarray(times, dtype=float))
    key = (hashlib.sha256(t.tobytes()).hexdigest(), t.size, times.tobytes(), float(tr), float(td))
    with _DUAL_EXP_LOCK:
        out = _DUAL_EXP_MEMO.pop(key, None)
        if out is not None:
            _DUAL_EXP_MEMO[key] = out  # newest last
            return out
    out = _dual_exp_sum_of(t, times, tr, td)
    out.setflags(write=False)
    with _DUAL_EXP_LOCK:
        _DUAL_EXP_MEMO[key] = out
        while len(_DUAL_EXP_MEMO) > 1 and sum(a.nbytes for a in _DUAL_EXP_MEMO.values()) > _DUAL_EXP_MEMO_BYTES:
            del _DUAL_EXP_MEMO[next(iter(_DUAL_EXP_MEMO))]  # the least recently used
    return out


_DUAL_EXP_MEMO: dict = {}
_DUAL_EXP_LOCK = threading.Lock()
_DUAL_EXP_MEMO_BYTES = 32_000_000
"""At most this much is kept by :func:`_dual_exp_sum` (a 1 Hz train's five sums are 1.2 MB)."""

_EXP_ZERO = 800.0
"""exp(−x) is exactly 0.0 in double precision for x above about 745.2; above this it surely is."""


def _dual_exp_sum_of(t: np.ndarray, times: np.ndarray, tr: float, td: float) -> np.ndarray:
    """:func:`_dual_exp_sum` for sorted ``times``.

    For each block of (up to) 64 events, the rows of the grid from the first event to 40 decay
    constants after the last, each event's term in one column (0 before the event), summed along
    the rows. Each column is computed only where its term can be non-zero: before the event the
    term is 0.0, and where exp(−(t−t_e)/τ) underflows to 0.0 that exponential is not evaluated
    (0.0 is what it would give). The terms and their sums are therefore exactly those of the
    full matrix.
    """
    out = np.zeros_like(t)
    horizon = 40.0 * max(td, tr)
    for block in np.array_split(times, max(1, int(np.ceil(times.size / 64)))):
        if block.size == 0:
            continue
        lo = np.searchsorted(t, block[0])
        hi = np.searchsorted(t, block[-1] + horizon)
        terms = np.zeros((hi - lo, block.size))
        on = np.searchsorted(t, block)  # first row with t >= t_e: where t - t_e >= 0
        end_r = np.minimum(np.searchsorted(t, block + _EXP_ZERO * tr), hi)  # beyond: exp(-(t - t_e)/tr) == 0.0
        end_d = np.minimum(np.searchsorted(t, block + _EXP_ZERO * td), hi)
        for j, te in enumerate(block.tolist()):
            s, er, ed = on[j], end_r[j], end_d[j]
            both = min(er, ed)
            if both > s:
                seg = t[s:both] - te
                terms[s - lo:both - lo, j] = np.exp(-seg / td) - np.exp(-seg / tr)
            if ed > both:  # exp(-seg/tr) == 0.0 here: the term is exp(-seg/td) - 0.0
                seg = t[both:ed] - te
                terms[both - lo:ed - lo, j] = np.exp(-seg / td) - 0.0
            elif er > both:  # exp(-seg/td) == 0.0 here
                seg = t[both:er] - te
                terms[both - lo:er - lo, j] = 0.0 - np.exp(-seg / tr)
        out[lo:hi] += terms.sum(axis=1)
    return out


class WindupGrid:
    """All wind-up simulations a widget needs, computed once and then looked up.

    Simulates every combination of ``frequencies_hz`` × ``ketamine_um`` × ``mg_mm`` (one
    NumPy batch per frequency) and stores spikes per stimulus, spike times and decimated
    membrane-potential traces (about 250 samples per stimulus interval). :meth:`lookup` then
    costs microseconds, so a slider move stays well inside the course's target (key press to new
    figure <= 50 ms median in JupyterLab, ``benchmarks/bench_browser.py``). Slider values must
    be grid values.

    Computing the default grid takes about 17 s of CPU (more wall time on a busy machine), so with
    ``cache=True`` a grid is first looked for in the package's precomputed file
    (``data/windup_grid.npz``, written by :func:`write_packaged_grid`; its provenance, including
    the key it was computed for, is in ``data/windup_grid.toml``), then in the disk cache
    (:mod:`ketacourse.diskcache`, keyed by the grid, the cache version and the package's code and
    tables): a new kernel then loads it in milliseconds. The packaged file is used only when its key (parameter tables,
    grid and cache version) matches; ``tests/test_windup.py`` re-simulates a sample of it and
    compares. ``cache=False`` always simulates.
    """

    def __init__(self, frequencies_hz=(0.1, 0.2, 0.5, 1.0, 2.0), ketamine_um=(0.0, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
                 mg_mm=(0.5, 1.0, 2.0), n_stimuli: int | None = None, *, cache: bool = False):
        self.frequencies_hz = tuple(float(x) for x in np.atleast_1d(check_real("frequencies_hz", frequencies_hz,
                                                                                   low=FREQUENCY_RANGE_HZ[0], high=FREQUENCY_RANGE_HZ[1], unit="Hz")))
        self.ketamine_um = tuple(float(x) for x in np.atleast_1d(check_real("ketamine_um", ketamine_um, low=0, high=100, unit="µM")))
        self.mg_mm = tuple(float(x) for x in np.atleast_1d(check_real("mg_mm", mg_mm, low=0, high=5, unit="mM")))
        self.n_stimuli = n_stimuli
        self._nm = len(self.mg_mm)
        if cache and _packaged_key(self) == packaged_grid_info().get("key"):
            try:
                self._results = _load(_packaged_path(), self.frequencies_hz)
                return
            except Exception:  # an unreadable packaged file: fall back to the disk cache or simulate
                pass
        path = _cache_path(self) if cache else None
        stored = diskcache.read(path)
        if stored is not None:
            try:
                self._results = _load(io.BytesIO(stored), self.frequencies_hz)
                return
            except Exception:  # a damaged cache file is simply recomputed
                pass
        kk, mm = np.meshgrid(self.ketamine_um, self.mg_mm, indexing="ij")
        self._results = {}
        for fq in self.frequencies_hz:
            self._results[fq] = simulate_train(fq, n_stimuli, ketamine_um=kk.ravel(), mg_mm=mm.ravel(),
                                               record_every_ms=max(0.5, 4.0 / fq), cache=False)
        diskcache.write(path, _npz_bytes(self._results))

    def _index(self, name: str, value: float, options: tuple) -> int:
        for i, o in enumerate(options):
            if abs(o - float(value)) <= 1e-9 * max(1.0, abs(o)):
                return i
        raise ValueError(f"{name} must be one of the grid values {', '.join(f'{o:g}' for o in options)}; got {value!r}")

    def lookup(self, frequency_hz: float, ketamine_um: float, mg_mm: float) -> dict:
        """Stored result for one grid point.

        Returns
        -------
        dict
            ``t_ms``, ``v_mv``, ``spike_times_ms``, ``stimulus_times_ms``, ``spikes_per_stimulus``.
        """
        fi = self._index("frequency_hz", frequency_hz, self.frequencies_hz)
        ki = self._index("ketamine_um", ketamine_um, self.ketamine_um)
        mi = self._index("mg_mm", mg_mm, self.mg_mm)
        r = self._results[self.frequencies_hz[fi]]
        c = ki * self._nm + mi
        return {
            "t_ms": r.t_ms,
            "v_mv": r.v_mv[c],
            "spike_times_ms": r.spike_times_ms[c],
            "stimulus_times_ms": r.stimulus_times_ms,
            "spikes_per_stimulus": r.spikes_per_stimulus[c],
        }


_CACHE_VERSION = "windup-grid-2"


def _disk_cache_path(kind: str, what: str, suffix: str = ".json"):
    """The disk cache's file (:func:`ketacourse.diskcache.entry`) for results of ``kind`` computed for
    ``what`` with this cache version (the key also holds the package's code and tables, so a change to
    the simulation or a parameter table computes again); None when the cache is off or unusable."""
    return diskcache.entry(kind, (_CACHE_VERSION, what), suffix)


def _cache_path(grid: "WindupGrid"):
    return _disk_cache_path("windup", repr((grid.frequencies_hz, grid.ketamine_um, grid.mg_mm, grid.n_stimuli)), ".npz")


PACKAGED_GRID = "windup_grid"
"""Stem of the precomputed grid in ``ketacourse/data`` (``.npz`` arrays, ``.toml`` provenance)."""


def _packaged_path():
    from importlib import resources

    return resources.files("ketacourse.data").joinpath(f"{PACKAGED_GRID}.npz")


def _packaged_key(grid: "WindupGrid") -> str:
    """What the packaged grid must have been computed for: the cache version, both parameter tables
    and the grid. (The simulation code is not in this key; the tests re-simulate a sample instead.)"""
    import hashlib
    from importlib import resources

    h = hashlib.sha256(_CACHE_VERSION.encode())
    for table in ("windup", "channel"):
        h.update(resources.files("ketacourse.data").joinpath(f"{table}.toml").read_bytes())
    h.update(repr((grid.frequencies_hz, grid.ketamine_um, grid.mg_mm, grid.n_stimuli)).encode())
    return h.hexdigest()[:20]


@lru_cache(maxsize=1)
def packaged_grid_info() -> dict:
    """Provenance of the precomputed grid (``data/windup_grid.toml``), or ``{}`` if there is none."""
    import tomllib
    from importlib import resources

    res = resources.files("ketacourse.data").joinpath(f"{PACKAGED_GRID}.toml")
    try:
        return tomllib.loads(res.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def write_packaged_grid(frequencies_hz, ketamine_um, mg_mm, n_stimuli: int | None = None, *, folder=None) -> dict:
    """Simulate a grid and write it as the package's precomputed grid, with its provenance.

    Writes ``windup_grid.npz`` (the arrays :class:`WindupGrid` loads) and ``windup_grid.toml``
    (the grid, the key :class:`WindupGrid` checks, the numpy version and the command) into
    ``folder`` (default: this package's ``data`` folder). Run it after changing the model or its
    tables: ``python -m ketacourse.circuits.windup``. Returns the provenance written.
    """
    import datetime
    import hashlib
    import json
    from pathlib import Path

    grid = WindupGrid(frequencies_hz, ketamine_um, mg_mm, n_stimuli, cache=False)
    folder = Path(folder) if folder is not None else Path(__file__).resolve().parents[1] / "data"
    npz = folder / f"{PACKAGED_GRID}.npz"
    _save(npz, grid._results)
    code = hashlib.sha256(b"".join(Path(m).read_bytes() for m in (__file__, channel.__file__))).hexdigest()[:20]
    info = {
        "key": _packaged_key(grid),
        "frequencies_hz": list(grid.frequencies_hz), "ketamine_um": list(grid.ketamine_um),
        "mg_mm": list(grid.mg_mm), "n_stimuli": grid.n_stimuli if grid.n_stimuli is not None else "default",
        "cache_version": _CACHE_VERSION, "code_sha256": code, "numpy": np.__version__,
        "computed": datetime.date.today().isoformat(),
        "flag": "D", "source": "aguiar2010",  # a data table like the others: derived, from the model's source
        "note": ("computed by ketacourse.circuits.windup.write_packaged_grid (python -m ketacourse.circuits.windup) "
                 "from data/windup.toml and data/channel.toml; tests/test_windup.py re-simulates a sample"),
    }
    lines = [f"# Precomputed wind-up grid ({PACKAGED_GRID}.npz) behind the Chapter 4 WindupExplorer.", ""]
    lines += [f"{k} = {json.dumps(v)}" for k, v in info.items()]
    (folder / f"{PACKAGED_GRID}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    packaged_grid_info.cache_clear()
    return info


PACKAGED_RUNS = "windup_reference_runs"
"""Stem of the precomputed :func:`reference_runs` in ``ketacourse/data`` (a ``.toml`` data table)."""


def _packaged_runs_key() -> str:
    """What the packaged reference runs must have been computed for: the cache version, both
    parameter tables and the runs' conditions. (The simulation code is not in this key, as for the
    packaged grid; the tests simulate the runs again and compare.)"""
    import hashlib
    from importlib import resources

    h = hashlib.sha256(_CACHE_VERSION.encode())
    for table in ("windup", "channel"):
        h.update(resources.files("ketacourse.data").joinpath(f"{table}.toml").read_bytes())
    h.update(_reference_runs_what().encode())
    return h.hexdigest()[:20]


@lru_cache(maxsize=1)
def _packaged_runs_table() -> dict:
    import tomllib
    from importlib import resources

    res = resources.files("ketacourse.data").joinpath(f"{PACKAGED_RUNS}.toml")
    try:
        return tomllib.loads(res.read_text(encoding="utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return {}


def packaged_reference_runs() -> dict | None:
    """The package's precomputed :func:`reference_runs` (``data/windup_reference_runs.toml``), or
    None when there are none or they were computed for other parameter tables or conditions."""
    table = _packaged_runs_table()
    if not table or table.get("key") != _packaged_runs_key():
        return None
    try:
        return _runs_from_json(table)
    except (KeyError, TypeError, ValueError):
        return None


def write_packaged_reference_runs(*, folder=None) -> dict:
    """Simulate :func:`reference_runs` and write them as the package's precomputed runs.

    Writes ``windup_reference_runs.toml`` (the spike counts, the key :func:`reference_runs` checks,
    the numpy version and the command) into ``folder`` (default: this package's ``data`` folder).
    Run it after changing the model or its tables: ``python -m ketacourse.circuits.windup``.
    Returns the provenance written.
    """
    import datetime
    import hashlib
    import json
    from pathlib import Path

    runs = _simulate_reference_runs()
    folder = Path(folder) if folder is not None else Path(__file__).resolve().parents[1] / "data"
    code = hashlib.sha256(b"".join(Path(m).read_bytes() for m in (__file__, channel.__file__))).hexdigest()[:20]
    info = {
        "key": _packaged_runs_key(), "cache_version": _CACHE_VERSION, "code_sha256": code, "numpy": np.__version__,
        "computed": datetime.date.today().isoformat(),
        "flag": "D", "source": "aguiar2010",  # a data table like the others: derived, from the model's source
        "note": ("spikes per stimulus of ketacourse.circuits.windup.reference_runs(), computed by "
                 "write_packaged_reference_runs (python -m ketacourse.circuits.windup) from data/windup.toml and "
                 "data/channel.toml; tests/test_windup.py simulates them again and compares"),
    }
    lines = [f"# Precomputed wind-up reference runs ({PACKAGED_RUNS}.toml): Chapter 4 and the model-validation page.", ""]
    lines += [f"{k} = {json.dumps(v)}" for k, v in info.items()]
    lines += ["", "[by_frequency]"]
    lines += [f'"{f!r}" = {json.dumps(v.tolist())}' for f, v in runs["by_frequency"].items()]
    lines += ["", "[knockouts]"]
    lines += [f"{json.dumps(k)} = {json.dumps(v.tolist())}" for k, v in runs["knockouts"].items()]
    (folder / f"{PACKAGED_RUNS}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _packaged_runs_table.cache_clear()
    reference_runs.cache_clear()
    return info


def _save(path, results: dict) -> None:
    """Write the package's precomputed grid (a plain ``.npz``)."""
    data = _npz_bytes(results)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _npz_bytes(results: dict) -> bytes:
    """A grid's results as an ``.npz`` file's bytes (membrane potential as float32)."""
    arrays = {}
    for i, (fq, r) in enumerate(results.items()):
        arrays[f"f{i}_t"] = r.t_ms
        arrays[f"f{i}_v"] = r.v_mv.astype(np.float32)
        arrays[f"f{i}_stim"] = r.stimulus_times_ms
        arrays[f"f{i}_counts"] = r.spikes_per_stimulus
        arrays[f"f{i}_ket"], arrays[f"f{i}_mg"], arrays[f"f{i}_scale"] = r.ketamine_um, r.mg_mm, r.nmda_scale
        lengths = np.array([len(st) for st in r.spike_times_ms])
        arrays[f"f{i}_spk"] = np.concatenate([np.asarray(st, dtype=float) for st in r.spike_times_ms]) if lengths.sum() else np.zeros(0)
        arrays[f"f{i}_spklen"] = lengths
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


if __name__ == "__main__":  # python -m ketacourse.circuits.windup: recompute the packaged grid and reference runs
    _info = packaged_grid_info()
    print(write_packaged_grid(_info["frequencies_hz"], _info["ketamine_um"], _info["mg_mm"],
                              None if _info["n_stimuli"] == "default" else _info["n_stimuli"]))
    print(write_packaged_reference_runs())


def _load(path, frequencies: tuple) -> dict:
    """A grid's results from an ``.npz`` file (a path, a package resource or a binary file object)."""
    out = {}
    with np.load(path) as z:
        for i, fq in enumerate(frequencies):
            lengths = z[f"f{i}_spklen"]
            spikes = np.split(z[f"f{i}_spk"], np.cumsum(lengths)[:-1]) if lengths.size else []
            out[fq] = WindupResult(z[f"f{i}_t"], z[f"f{i}_v"].astype(float), list(spikes), z[f"f{i}_stim"],
                                   z[f"f{i}_counts"], z[f"f{i}_ket"], z[f"f{i}_mg"], z[f"f{i}_scale"], fq)
    return out
