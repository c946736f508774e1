"""An excitatory–inhibitory population model of NMDA hypofunction and gamma oscillations.

A **qualitative teaching model**: two populations, pyramidal cells (E) and fast-spiking
interneurons (I), described by their mean firing rates, coupled through synaptic filters for
AMPA, NMDA and GABA_A receptors (the Wilson–Cowan family with synaptic kinetics; see
:cite:`keeley2019` for this class of gamma models). Ketamine lowers the NMDA drive onto E and
onto I by separate factors, ``u_e`` and ``u_i`` (the fractions of NMDA conductance left
unblocked). The network is linearised at its steady state and driven by white noise into the
E population; the power spectrum of the E rate (an LFP proxy) is then exact for the linear
system:

.. math::

    S(f) = \\left| e_E^\\top (i 2\\pi f\\,I - J)^{-1} b \\right|^2

with ``J`` the Jacobian at the fixed point and ``b`` the noise input. No simulation is needed
(one batched 6 × 6 complex solve per frequency).

Equations (rates ``r`` as a fraction of the maximal rate, time in seconds)::

    tau_E dr_E/dt = -r_E + F(w_EE^A s_A + u_e w_EE^N s_N - w_EI s_G + I_E)
    tau_I dr_I/dt = -r_I + F(w_IE^A s_A + u_i w_IE^N s_N - w_II s_G + I_I)
    tau_A ds_A/dt = -s_A + r_E                      (AMPA, from E)
    tau_Nr dx_N/dt = -x_N + r_E;  tau_Nd ds_N/dt = -s_N + x_N   (NMDA, from E)
    tau_G ds_G/dt = -s_G + r_I                      (GABA_A, from I)

with ``F(x) = 1 / (1 + exp(-x))``. The synaptic time constants are published values
(``data/ei_network.toml``); the weights, drives and the two population time constants are
**teaching settings chosen here** so that the baseline network has a damped resonance in the
gamma band (30–80 Hz) and sits below the midpoint of the E population's transfer function. They
were not fitted to any recording. Weights are time-integrated synaptic drive, which is why the
slow NMDA component can outweigh AMPA.

This is **not a published model**: only its synaptic time constants come from the literature
(:cite:`brunel2001`). What it reproduces (qualitatively, as published for spiking networks):

- lowering NMDA drive onto interneurons raises gamma power, through disinhibition of the
  pyramidal cells (:cite:`susin2023`, :cite:`homayoun2007` for the disinhibition data);
- gamma power against NMDA drive onto interneurons is an inverted U (:cite:`kirli2014`), while
  lowering NMDA drive onto pyramidal cells alone lowers it.

What it gets wrong (:func:`compare_with_human_eeg`, asserted as misses in tests/test_ei_network.py):
human EEG shows gamma power rising both at sub-anaesthetic concentrations (:cite:`delasalle2016`)
and during ketamine anaesthesia (:cite:`vlisides2017`, :cite:`akeju2016`). The model rises only at
the low end of the sub-anaesthetic range and only with an assumed interneuron selectivity, and it
*falls* at anaesthetic concentrations whatever the selectivity. Its rates also respond in
milliseconds, whereas MK-801 changed firing in rats over minutes (:cite:`homayoun2007`), and its
interneurons return almost to their old rate, unlike the recordings.

What it does not do: it has no thalamus and no slow rhythm generators, so it says nothing about
the alpha decrease seen in human EEG; its power is in arbitrary units, compared only as a ratio to
its own baseline; and no parameter was fitted to human dB changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
from scipy.optimize import fsolve

from ..data import load_table
from ..validation import check_real

__all__ = [
    "EIParameters",
    "EISpectrum",
    "STATES",
    "GAMMA_BAND_HZ",
    "default_parameters",
    "fixed_point",
    "jacobian",
    "spectrum",
    "gamma_sweep",
    "nmda_unblocked_fractions",
    "step_response",
    "compare_with_human_eeg",
]

STATES: tuple[str, ...] = ("r_e", "r_i", "s_ampa", "x_nmda", "s_nmda", "s_gaba")
"""State order of the linearised system."""

GAMMA_BAND_HZ: tuple[float, float] = (30.0, 80.0)
"""Gamma band used for band power (Hz)."""

LOW_BAND_HZ: tuple[float, float] = (1.0, 12.0)
"""Slow band (delta to alpha range) used for the model's low-frequency power (Hz)."""

DEFAULT_FREQS_HZ = np.linspace(1.0, 120.0, 239)
"""Default frequency grid (Hz), 0.5 Hz steps."""


@cache
def _synapses() -> dict:
    return load_table("ei_network")["synapses"]


@dataclass(frozen=True)
class EIParameters:
    """Parameters of the E–I population model.

    Time constants in ms; weights and drives are dimensionless (input units of the sigmoid
    ``F(x) = 1/(1 + exp(-x))``). ``tau_ampa_ms``, ``tau_nmda_rise_ms``, ``tau_nmda_decay_ms`` and
    ``tau_gaba_ms`` come from ``data/ei_network.toml``; the rest are teaching settings (see the
    module docstring).
    """

    tau_e_ms: float = 4.3
    tau_i_ms: float = 5.2
    tau_ampa_ms: float = field(default_factory=lambda: float(_synapses()["ampa_decay_ms"]))
    tau_nmda_rise_ms: float = field(default_factory=lambda: float(_synapses()["nmda_rise_ms"]))
    tau_nmda_decay_ms: float = field(default_factory=lambda: float(_synapses()["nmda_decay_ms"]))
    tau_gaba_ms: float = field(default_factory=lambda: float(_synapses()["gaba_a_decay_ms"]))
    w_ee_ampa: float = 1.0
    w_ee_nmda: float = 4.1
    w_ie_ampa: float = 9.3
    w_ie_nmda: float = 16.4
    w_ei: float = 13.7
    w_ii: float = 7.4
    drive_e: float = 0.4
    drive_i: float = -7.4

    def __post_init__(self) -> None:
        for name in ("tau_e_ms", "tau_i_ms", "tau_ampa_ms", "tau_nmda_rise_ms", "tau_nmda_decay_ms", "tau_gaba_ms"):
            check_real(name, getattr(self, name), low=0, low_open=True, high=1000, unit="ms")
        for name in ("w_ee_ampa", "w_ee_nmda", "w_ie_ampa", "w_ie_nmda", "w_ei", "w_ii"):
            check_real(name, getattr(self, name), low=0, high=100)
        for name in ("drive_e", "drive_i"):
            check_real(name, getattr(self, name), low=-100, high=100)

    def with_(self, **changes) -> "EIParameters":
        """A copy with some parameters changed (validated)."""
        return replace(self, **changes)


def default_parameters() -> EIParameters:
    """The course's default parameter set."""
    return EIParameters()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _check_fractions(u_e, u_i) -> tuple[float, float]:
    ue = float(check_real("u_e", u_e, low=0, high=2))
    ui = float(check_real("u_i", u_i, low=0, high=2))
    return ue, ui


def _inputs(r_e, r_i, u_e, u_i, p: EIParameters):
    x_e = (p.w_ee_ampa + u_e * p.w_ee_nmda) * r_e - p.w_ei * r_i + p.drive_e
    x_i = (p.w_ie_ampa + u_i * p.w_ie_nmda) * r_e - p.w_ii * r_i + p.drive_i
    return x_e, x_i


def _solve_fixed_point(u_e: float, u_i: float, p: EIParameters, guess) -> tuple[np.ndarray, bool]:
    def resid(r):
        x_e, x_i = _inputs(r[0], r[1], u_e, u_i, p)
        return [_sigmoid(x_e) - r[0], _sigmoid(x_i) - r[1]]

    def jac(r):
        x_e, x_i = _inputs(r[0], r[1], u_e, u_i, p)
        ge, gi = _sigmoid(x_e) * (1 - _sigmoid(x_e)), _sigmoid(x_i) * (1 - _sigmoid(x_i))
        return [[ge * (p.w_ee_ampa + u_e * p.w_ee_nmda) - 1.0, -ge * p.w_ei],
                [gi * (p.w_ie_ampa + u_i * p.w_ie_nmda), -gi * p.w_ii - 1.0]]

    sol, _info, _ier, _msg = fsolve(resid, guess, fprime=jac, full_output=True, xtol=1e-12)
    sol = np.asarray(sol, dtype=float)
    for _ in range(3):  # Newton polish (fsolve sometimes stops just short of its tolerance)
        sol = sol - np.linalg.solve(np.asarray(jac(sol)), np.asarray(resid(sol)))
    ok = bool(np.all((sol > 0) & (sol < 1))) and float(np.max(np.abs(resid(sol)))) < 1e-10
    return np.asarray(sol, dtype=float), ok


@cache
def _baseline_rates(p: EIParameters) -> tuple[float, float]:
    sol, ok = _solve_fixed_point(1.0, 1.0, p, [0.2, 0.2])
    if not ok:
        raise ValueError("the parameter set has no steady state at u_e = u_i = 1; choose other parameters")
    return float(sol[0]), float(sol[1])


@cache
def fixed_point(u_e: float = 1.0, u_i: float = 1.0, params: EIParameters | None = None) -> tuple[float, float]:
    """Steady-state rates ``(r_e, r_i)`` (fractions of the maximal rate) for NMDA fractions ``u_e, u_i``.

    The solution is followed continuously from the baseline (``u_e = u_i = 1``) in small steps,
    so the same branch of steady states is used for every ``u``.

    Parameters
    ----------
    u_e, u_i : float
        Fraction of the NMDA conductance left unblocked on pyramidal cells and on interneurons
        (0–2; 1 is baseline, values above 1 scale the NMDA drive up).
    params : EIParameters, optional
        Default :func:`default_parameters`.

    Raises
    ------
    ValueError
        If ``u_e`` or ``u_i`` is outside 0–2, or no steady state is found.
    """
    ue, ui = _check_fractions(u_e, u_i)
    p = default_parameters() if params is None else params
    guess = np.asarray(_baseline_rates(p))
    n = max(1, int(math.ceil(max(abs(ue - 1.0), abs(ui - 1.0)) / 0.05)))
    for k in range(1, n + 1):
        a = k / n
        guess, ok = _solve_fixed_point(1.0 + a * (ue - 1.0), 1.0 + a * (ui - 1.0), p, guess)
        if not ok:
            raise ValueError(f"no steady state found for u_e={ue:g}, u_i={ui:g}")
    return float(guess[0]), float(guess[1])


def jacobian(u_e: float = 1.0, u_i: float = 1.0, params: EIParameters | None = None) -> np.ndarray:
    """Jacobian (1/s) of the six-state system at its steady state (state order :data:`STATES`)."""
    ue, ui = _check_fractions(u_e, u_i)
    p = default_parameters() if params is None else params
    r_e, r_i = fixed_point(ue, ui, p)
    x_e, x_i = _inputs(r_e, r_i, ue, ui, p)
    g_e = float(_sigmoid(x_e) * (1 - _sigmoid(x_e)))
    g_i = float(_sigmoid(x_i) * (1 - _sigmoid(x_i)))
    te, ti = p.tau_e_ms / 1e3, p.tau_i_ms / 1e3
    ta, tnr, tnd, tg = (p.tau_ampa_ms / 1e3, p.tau_nmda_rise_ms / 1e3, p.tau_nmda_decay_ms / 1e3,
                        p.tau_gaba_ms / 1e3)
    J = np.zeros((6, 6))
    E, I, SA, XN, SN, SG = range(6)
    J[E, E] = -1.0 / te
    J[E, SA] = g_e * p.w_ee_ampa / te
    J[E, SN] = g_e * ue * p.w_ee_nmda / te
    J[E, SG] = -g_e * p.w_ei / te
    J[I, I] = -1.0 / ti
    J[I, SA] = g_i * p.w_ie_ampa / ti
    J[I, SN] = g_i * ui * p.w_ie_nmda / ti
    J[I, SG] = -g_i * p.w_ii / ti
    J[SA, SA], J[SA, E] = -1.0 / ta, 1.0 / ta
    J[XN, XN], J[XN, E] = -1.0 / tnr, 1.0 / tnr
    J[SN, SN], J[SN, XN] = -1.0 / tnd, 1.0 / tnd
    J[SG, SG], J[SG, I] = -1.0 / tg, 1.0 / tg
    return J


@dataclass(frozen=True)
class EISpectrum:
    """Power spectrum of the linearised network's E rate.

    Attributes
    ----------
    freqs_hz : numpy.ndarray
        Frequencies (Hz).
    power : numpy.ndarray
        Power spectral density of the E rate for unit white-noise input (arbitrary units).
    eigenvalues : numpy.ndarray
        Eigenvalues of the Jacobian (1/s); all real parts negative means a stable steady state.
    rates : tuple of float
        Steady-state ``(r_e, r_i)``, fractions of the maximal rate.
    u_e, u_i : float
        The NMDA fractions used.
    """

    freqs_hz: np.ndarray
    power: np.ndarray
    eigenvalues: np.ndarray
    rates: tuple[float, float]
    u_e: float
    u_i: float

    @property
    def stable(self) -> bool:
        """True if every eigenvalue has a negative real part (the linear spectrum is valid)."""
        return bool(np.all(self.eigenvalues.real < 0))

    def band_power(self, low_hz: float, high_hz: float) -> float:
        """Power integrated over ``[low_hz, high_hz]`` (trapezoid on the frequency grid)."""
        lo = float(check_real("low_hz", low_hz, low=0))
        hi = float(check_real("high_hz", high_hz, low=lo, low_open=True))
        m = (self.freqs_hz >= lo) & (self.freqs_hz <= hi)
        if m.sum() < 2:
            raise ValueError(f"low_hz and high_hz must span at least two grid frequencies; got {lo:g}–{hi:g} Hz")
        return float(np.trapezoid(self.power[m], self.freqs_hz[m]))

    @property
    def gamma_power(self) -> float:
        """Power in the gamma band (30–80 Hz)."""
        return self.band_power(*GAMMA_BAND_HZ)

    @property
    def low_power(self) -> float:
        """Power in the 1–12 Hz band."""
        return self.band_power(*LOW_BAND_HZ)

    @property
    def gamma_peak_hz(self) -> float:
        """Frequency of the highest power within the gamma band (Hz)."""
        m = (self.freqs_hz >= GAMMA_BAND_HZ[0]) & (self.freqs_hz <= GAMMA_BAND_HZ[1])
        return float(self.freqs_hz[m][np.argmax(self.power[m])])

    @property
    def resonance_hz(self) -> float:
        """Frequency of the least-damped oscillatory mode, |Im λ| / 2π (Hz); 0 if none oscillates."""
        osc = self.eigenvalues[np.abs(self.eigenvalues.imag) > 1e-9]
        if osc.size == 0:
            return 0.0
        lead = osc[np.argmax(osc.real)]
        return float(abs(lead.imag) / (2 * math.pi))


def _transfer_power(J: np.ndarray, freqs_hz: np.ndarray, tau_e_s: float) -> np.ndarray:
    n = J.shape[0]
    b = np.zeros(n)
    b[0] = 1.0 / tau_e_s  # white noise added to the E population's input
    M = (2j * np.pi * freqs_hz)[:, None, None] * np.eye(n)[None] - J[None]
    x = np.linalg.solve(M, np.broadcast_to(b, (len(freqs_hz), n))[..., None])[..., 0]
    return np.abs(x[:, 0]) ** 2


def spectrum(u_e: float = 1.0, u_i: float = 1.0, *, freqs_hz=None, params: EIParameters | None = None) -> EISpectrum:
    """Power spectrum of the E population's activity for NMDA fractions ``u_e`` and ``u_i``.

    Parameters
    ----------
    u_e, u_i : float
        Fraction of NMDA conductance left unblocked on pyramidal cells (E) and on interneurons
        (I), 0–2 (1 = no drug).
    freqs_hz : array_like, optional
        Frequencies (Hz, > 0, increasing). Default 1–120 Hz in 0.5 Hz steps.
    params : EIParameters, optional
        Default :func:`default_parameters`.

    Returns
    -------
    EISpectrum
        Check :attr:`EISpectrum.stable` before reading the spectrum: an unstable steady state
        means the network oscillates on its own (a limit cycle) and the linear spectrum no longer
        describes it.

    Raises
    ------
    ValueError
        ``u_e`` or ``u_i`` outside 0–2, bad frequencies, or no steady state.
    """
    ue, ui = _check_fractions(u_e, u_i)
    p = default_parameters() if params is None else params
    if freqs_hz is None:
        f = DEFAULT_FREQS_HZ
    else:
        from ..validation import check_increasing

        f = check_increasing("freqs_hz", freqs_hz, unit="Hz")
        check_real("freqs_hz", f, low=0, low_open=True, unit="Hz")
    J = jacobian(ue, ui, p)
    power = _transfer_power(J, f, p.tau_e_ms / 1e3)
    return EISpectrum(np.asarray(f, dtype=float), power, np.linalg.eigvals(J), fixed_point(ue, ui, p), ue, ui)


def gamma_sweep(u_values, *, target: str = "interneurons", other: float = 1.0,
                params: EIParameters | None = None) -> np.ndarray:
    """Gamma power relative to baseline as the NMDA fraction on one population is varied.

    Parameters
    ----------
    u_values : array_like
        NMDA fractions (0–2) for the population named by ``target``.
    target : str
        ``"interneurons"`` (vary ``u_i``) or ``"pyramidal"`` (vary ``u_e``).
    other : float
        The fraction held fixed on the other population (0–2).

    Returns
    -------
    numpy.ndarray
        Gamma-band power divided by the baseline (``u_e = u_i = 1``) gamma power; NaN where the
        steady state is unstable.
    """
    from ..validation import check_choice

    check_choice("target", target, ("interneurons", "pyramidal"))
    us = np.atleast_1d(check_real("u_values", u_values, low=0, high=2))
    o = float(check_real("other", other, low=0, high=2))
    p = default_parameters() if params is None else params
    base = spectrum(1.0, 1.0, params=p).gamma_power
    out = np.empty(us.shape)
    for k, u in enumerate(us):
        s = spectrum(o, u, params=p) if target == "interneurons" else spectrum(u, o, params=p)
        out[k] = s.gamma_power / base if s.stable else np.nan
    return out


def nmda_unblocked_fractions(conc_ng_ml: float, *, interneuron_selectivity: float = 1.0,
                             ligand: str = "ketamine") -> tuple[float, float]:
    """Map a total plasma concentration to ``(u_e, u_i)`` through NMDA receptor occupancy.

    ``u = 1 - occupancy``, with occupancy from :func:`ketacourse.receptor.occupancy_from_plasma`
    (free concentration, Ki of Chapter 1). Interneurons are given an affinity ``selectivity``
    times higher (their apparent Ki divided by it), the assumption Susin & Destexhe needed for
    the gamma increase (:cite:`susin2023`). This is a teaching mapping: binding occupancy is not
    functional block of a synapse, and use-dependence is ignored.

    Parameters
    ----------
    conc_ng_ml : float
        Total plasma ketamine concentration (ng/mL, 0–5000).
    interneuron_selectivity : float
        How many times more potent the block is on interneurons (1–10).
    ligand : str
        A ligand of :data:`ketacourse.receptor.LIGANDS` (default racemic ketamine).
    """
    from .. import receptor

    c = float(check_real("conc_ng_ml", conc_ng_ml, low=0, high=5000, unit="ng/mL"))
    s = float(check_real("interneuron_selectivity", interneuron_selectivity, low=1, high=10))
    occ_e = float(receptor.occupancy_from_plasma(c, ligand))
    occ_i = float(receptor.occupancy_from_plasma(c * s, ligand))
    return 1.0 - occ_e, 1.0 - occ_i


def step_response(u_e: float, u_i: float, *, duration_ms: float = 300.0, params: EIParameters | None = None):
    """Rates after the NMDA fractions change suddenly from 1 to ``(u_e, u_i)`` (full nonlinear model).

    The network starts at its baseline steady state; at time 0 the NMDA drive onto E and I is
    scaled to ``u_e`` and ``u_i``. Integrated with :func:`scipy.integrate.solve_ivp` (no noise).

    Parameters
    ----------
    u_e, u_i : float
        NMDA fractions after the step (0–2).
    duration_ms : float
        Length of the simulation (ms, 1–5000).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Times (ms), ``r_e`` and ``r_i`` (fractions of the maximal rate).
    """
    from scipy.integrate import solve_ivp

    ue, ui = _check_fractions(u_e, u_i)
    T = float(check_real("duration_ms", duration_ms, low=1, high=5000, unit="ms"))
    p = default_parameters() if params is None else params
    r_e0, r_i0 = _baseline_rates(p)
    tau = np.array([p.tau_e_ms, p.tau_i_ms, p.tau_ampa_ms, p.tau_nmda_rise_ms, p.tau_nmda_decay_ms, p.tau_gaba_ms])

    def rhs(_t, x):
        re, ri, sa, xn, sn, sg = x
        fe = _sigmoid(p.w_ee_ampa * sa + ue * p.w_ee_nmda * sn - p.w_ei * sg + p.drive_e)
        fi = _sigmoid(p.w_ie_ampa * sa + ui * p.w_ie_nmda * sn - p.w_ii * sg + p.drive_i)
        return np.array([fe - re, fi - ri, re - sa, re - xn, xn - sn, ri - sg]) / tau

    t = np.linspace(0.0, T, 601)
    sol = solve_ivp(rhs, (0.0, T), [r_e0, r_i0, r_e0, r_e0, r_e0, r_i0], t_eval=t, rtol=1e-8, atol=1e-10,
                    method="LSODA")
    return sol.t, sol.y[0], sol.y[1]


def compare_with_human_eeg(conc_ng_ml=(50.0, 100.0, 200.0, 1000.0, 2000.0), *, interneuron_selectivity: float = 1.0,
                           params: EIParameters | None = None) -> list[dict]:
    """The model's gamma change at each concentration against the direction human EEG shows there.

    Human directions come from ``data/ei_network.toml`` (``[human_gamma.*]``, with sources); a
    concentration outside every tabulated range gets ``human_direction=None``.

    Parameters
    ----------
    conc_ng_ml : sequence of float
        Total plasma concentrations of racemic ketamine (ng/mL, 0–5000).
    interneuron_selectivity : float
        As in :func:`nmda_unblocked_fractions` (1–10).

    Returns
    -------
    list of dict
        One row per concentration: ``conc_ng_ml``, ``range`` (the human table's key or None),
        ``model_db`` (10 log10 of gamma power over baseline), ``model_direction`` ("up" above
        +0.5 dB, "down" below -0.5 dB, otherwise "flat"), ``human_direction``, ``source`` and
        ``agrees`` (None when there are no human data).
    """
    p = default_parameters() if params is None else params
    human = load_table("ei_network")["human_gamma"]
    base = spectrum(params=p).gamma_power
    rows = []
    for c in np.atleast_1d(np.asarray(conc_ng_ml, dtype=float)):
        u_e, u_i = nmda_unblocked_fractions(float(c), interneuron_selectivity=interneuron_selectivity)
        s = spectrum(u_e, u_i, params=p)
        db = 10.0 * math.log10(s.gamma_power / base) if s.stable else float("nan")
        model_dir = "up" if db > 0.5 else "down" if db < -0.5 else "flat"
        key = next((k for k, h in human.items() if h["low_ng_ml"] <= c <= h["high_ng_ml"]), None)
        h_dir = human[key]["direction"] if key else None
        rows.append({"conc_ng_ml": float(c), "range": key, "model_db": db, "model_direction": model_dir,
                     "human_direction": h_dir, "source": human[key]["source"] if key else None,
                     "agrees": (model_dir == h_dir) if key else None})
    return rows
