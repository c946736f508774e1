"""NMDA channel block: Mg2+ and voltage, current–voltage relations, and trapping block.

Three pieces, each checked against an analytic result in the tests:

* :func:`mg_unblocked_fraction` — the Jahr & Stevens (1990) voltage-dependent Mg2+ block;
* :func:`ketamine_ic50_um` — ketamine's own voltage-dependent block of human GluN1/GluN2A
  receptors (Gilling et al. 2009: IC50 0.71 µM at −70 mV, Woodhull δ = 0.79);
* :func:`pore_states` and :func:`iv_curve` — steady-state open-channel block by ketamine
  competing with Mg2+ for the pore, and the resulting current–voltage relation;
* :class:`TrappingBlockModel` — a four-state kinetic scheme in which ketamine can only enter
  an *open* channel and stays *trapped* when the channel closes around it. Because entry needs
  opening, block builds up with channel activity (use-dependence). The linear scheme is solved
  exactly with matrix exponentials, segment by segment.

All constants are read from ``data/channel.toml``, each with its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import expm

from .data import load_table
from .validation import check_increasing, check_real

__all__ = [
    "ASSUMED_TEMPERATURE_C",
    "rt_over_f_mv",
    "mg_unblocked_fraction",
    "ketamine_ic50_um",
    "ketamine_unblocked_fraction",
    "pore_states",
    "apparent_ketamine_ic50_um",
    "iv_curve",
    "TrappingBlockModel",
    "STATES",
]

VOLTAGE_RANGE_MV = (-120.0, 60.0)
"""Membrane voltages accepted by the channel functions (mV)."""

ASSUMED_TEMPERATURE_C = 22.0
"""Temperature used to turn Gilling's δ into an e-fold voltage (°C). An ASSUMPTION (room
temperature): the published abstract does not state the recording temperature."""

_GAS_CONSTANT_J_MOL_K = 8.314462618
_FARADAY_C_MOL = 96485.33212


def rt_over_f_mv(temperature_c: float = ASSUMED_TEMPERATURE_C) -> float:
    """Thermal voltage RT/F in mV at ``temperature_c`` (25.4 mV at 22 °C, 26.7 mV at 37 °C)."""
    t = check_real("temperature_c", temperature_c, low=0, high=45, unit="°C")
    return 1000.0 * _GAS_CONSTANT_J_MOL_K * (t + 273.15) / _FARADAY_C_MOL


def _table() -> dict:
    return load_table("channel")


def mg_unblocked_fraction(voltage_mv, mg_mm):
    """Fraction of NMDA conductance *not* blocked by extracellular Mg2+ (Jahr & Stevens 1990).

        B(V) = 1 / (1 + exp(−a·V) · [Mg2+]o / K_Mg)

    with a = 0.062 /mV and K_Mg = 3.57 mM (``data/channel.toml``).

    Parameters
    ----------
    voltage_mv : float or array_like
        Membrane voltage, mV (−120 to 60).
    mg_mm : float
        Extracellular Mg2+ concentration, mmol/L (>= 0; 0 gives no block).
    """
    v = check_real("voltage_mv", voltage_mv, low=VOLTAGE_RANGE_MV[0], high=VOLTAGE_RANGE_MV[1], unit="mV")
    mg = check_real("mg_mm", mg_mm, low=0, high=20, unit="mM")
    p = _table()["mg_block"]
    return 1.0 / (1.0 + np.exp(-p["slope_per_mv"] * v) * mg / p["k_mg_mm"])


def ketamine_ic50_um(voltage_mv):
    """Ketamine's own open-channel block constant (IC50 = K_d) with no Mg2+ present, µmol/L.

    Woodhull model for a singly charged blocker with electrical distance δ, anchored at the
    published IC50 of human GluN1/GluN2A receptors (Gilling et al. 2009, ``gilling2009``):

        K_d(V) = IC50(−70 mV) · exp(z·δ·(V + 70 mV) / (RT/F))

    with IC50(−70 mV) = 0.71 µM, δ = 0.79, z = 1 and RT/F = 25.4 mV (22 °C, an assumed
    temperature, see :data:`ASSUMED_TEMPERATURE_C`). Block is stronger at negative voltages: the
    IC50 rises e-fold for every 32 mV of depolarisation (about 0.97 µM at −60 mV, 2.5 µM at
    −30 mV, 6.2 µM at 0 mV). Only the −70 mV value is printed in the source; the others follow
    from δ.

    Parameters
    ----------
    voltage_mv : float or array_like
        Membrane voltage, mV (−120 to 60).
    """
    v = check_real("voltage_mv", voltage_mv, low=VOLTAGE_RANGE_MV[0], high=VOLTAGE_RANGE_MV[1], unit="mV")
    p = _table()["ketamine_voltage"]
    efold_mv = rt_over_f_mv() / (p["valence"] * p["delta"])
    return p["ic50_um_at_ref"] * np.exp((v - p["ref_voltage_mv"]) / efold_mv)


def ketamine_unblocked_fraction(voltage_mv, ketamine_um):
    """Steady-state fraction of open channels *not* blocked by ketamine, with no Mg2+ present.

    Parameters
    ----------
    voltage_mv : float or array_like
        Membrane voltage, mV (−120 to 60).
    ketamine_um : float
        Free ketamine concentration at the receptor, µmol/L (>= 0).
    """
    k = check_real("ketamine_um", ketamine_um, low=0, high=1000, unit="µM")
    return 1.0 / (1.0 + k / ketamine_ic50_um(voltage_mv))


def pore_states(voltage_mv, mg_mm: float = 1.0, ketamine_um: float = 0.0) -> dict[str, np.ndarray | float]:
    """Steady-state share of open channels that conduct, hold Mg2+, or hold ketamine.

    Mg2+ and ketamine are treated as competing for one site in the pore (only one blocker fits
    at a time), each with its own voltage-dependent dissociation constant:

        conducting   = 1 / (1 + [Mg]/K_Mg(V) + [K]/K_K(V))
        mg_blocked   = ([Mg]/K_Mg(V)) · conducting
        ket_blocked  = ([K]/K_K(V)) · conducting

    With no ketamine this is exactly the Jahr & Stevens equation; with no Mg2+ it is simple
    one-site ketamine block. Competition means Mg2+ raises ketamine's apparent IC50 by the
    factor 1 + [Mg]/K_Mg(V), most at negative voltages.

    Returns
    -------
    dict
        ``conducting``, ``mg_blocked``, ``ketamine_blocked`` (each 0–1; they sum to 1).
    """
    v = check_real("voltage_mv", voltage_mv, low=VOLTAGE_RANGE_MV[0], high=VOLTAGE_RANGE_MV[1], unit="mV")
    mg = check_real("mg_mm", mg_mm, low=0, high=20, unit="mM")
    k = check_real("ketamine_um", ketamine_um, low=0, high=1000, unit="µM")
    p = _table()["mg_block"]
    mg_term = np.exp(-p["slope_per_mv"] * v) * mg / p["k_mg_mm"]
    k_term = k / ketamine_ic50_um(v)
    conducting = 1.0 / (1.0 + mg_term + k_term)
    return {
        "conducting": conducting,
        "mg_blocked": mg_term * conducting,
        "ketamine_blocked": k_term * conducting,
    }


def apparent_ketamine_ic50_um(voltage_mv, mg_mm: float = 1.0):
    """Ketamine IC50 (µM) seen in the presence of Mg2+: K_K(V) · (1 + [Mg]/K_Mg(V)).

    Both factors depend on voltage: ketamine's own K_K(V) (:func:`ketamine_ic50_um`) falls with
    hyperpolarisation, while Mg2+ competition grows.
    """
    v = check_real("voltage_mv", voltage_mv, low=VOLTAGE_RANGE_MV[0], high=VOLTAGE_RANGE_MV[1], unit="mV")
    mg = check_real("mg_mm", mg_mm, low=0, high=20, unit="mM")
    p = _table()["mg_block"]
    return ketamine_ic50_um(v) * (1.0 + np.exp(-p["slope_per_mv"] * v) * mg / p["k_mg_mm"])


def iv_curve(voltage_mv, mg_mm: float = 1.0, ketamine_um: float = 0.0, *, normalise_at_mv: float | None = -100.0):
    """NMDA receptor current–voltage relation with Mg2+ and ketamine block (see :func:`pore_states`).

        I(V) = g · (V − E_rev) · conducting(V)

    Parameters
    ----------
    voltage_mv : array_like
        Membrane voltages, mV (−120 to 60).
    mg_mm : float
        Extracellular Mg2+, mM.
    ketamine_um : float
        Free ketamine concentration, µM.
    normalise_at_mv : float or None
        If given, divide by the magnitude of the *unblocked* current at this voltage, so the
        result is a relative current (−1 at −100 mV with no blockers). ``None`` returns
        conductance-units × mV with g = 1.

    Returns
    -------
    numpy.ndarray
        Current (inward negative), same shape as ``voltage_mv``.
    """
    v = np.atleast_1d(check_real("voltage_mv", voltage_mv, low=VOLTAGE_RANGE_MV[0], high=VOLTAGE_RANGE_MV[1], unit="mV"))
    e_rev = _table()["channel"]["reversal_potential_mv"]
    current = (v - e_rev) * pore_states(v, mg_mm, ketamine_um)["conducting"]
    if normalise_at_mv is not None:
        ref = check_real("normalise_at_mv", normalise_at_mv, low=VOLTAGE_RANGE_MV[0], high=VOLTAGE_RANGE_MV[1], unit="mV")
        if ref == e_rev:
            raise ValueError(f"normalise_at_mv must differ from the reversal potential ({e_rev:g} mV); got {ref:g}")
        current = current / abs(ref - e_rev)
    return current


STATES: tuple[str, ...] = ("closed", "open", "open_blocked", "trapped")
"""States of :class:`TrappingBlockModel`, in the order of its state vectors."""


def _initial_state(p0) -> np.ndarray:
    """Validated initial state probabilities (default: all closed, drug-free)."""
    if p0 is None:
        return np.array([1.0, 0.0, 0.0, 0.0])
    try:
        p = np.asarray(p0, dtype=float)
    except (TypeError, ValueError):
        p = np.full(1, np.nan)
    if p.shape != (4,) or not np.all(np.isfinite(p)) or np.any(p < -1e-12) or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"p0 must be 4 non-negative probabilities summing to 1; got {p0!r}")
    # round-off from a previous simulation can leave values like -1e-23: clip them
    return np.clip(p, 0.0, None)


@dataclass
class TrappingBlockModel:
    """Four-state open-channel trapping block of the NMDA receptor by ketamine.

    ::

                 α·g(t)                     α·g(t)
        closed ⇄ open        open_blocked ⇄ trapped
                   β                          β
                 open  ⇄ open_blocked
                  k_on·[K]   k_off(V)

    ``g(t)`` is 1 while agonists (glutamate and glycine) are bound and 0 otherwise. A blocked
    channel closes and reopens like an unblocked one, so a channel that closes with ketamine
    inside keeps it (trapping) until the next activation lets it reopen and the drug leave.
    Trapping may be slightly leaky: a trapped drug escapes to the closed, unblocked state at the
    slow rate ``escape_per_s``. The default, 1.26e-3 /s, is the course's own one-point fit to
    86% of block remaining after 120 s of washout (Mealing et al. 1999); Gilling et al. (2009)
    found ketamine fully trapped, which ``escape_per_s=0`` models.

    Rates: entry ``k_on`` = 0.15 /µM/s (Gilling et al. 2009) and exit ``k_off(V)`` =
    k_on · K_d(V) with the voltage-dependent K_d of :func:`ketamine_ic50_um`. The gating rates
    α and β (``data/channel.toml`` [gating]) set an ILLUSTRATIVE time scale only: α was derived
    from a multi-channel open probability and is not a valid single-channel rate.

    With agonist present continuously and no escape, the steady-state blocked fraction
    (open_blocked + trapped) is exactly [K] / ([K] + K_d) with K_d = k_off / k_on, whatever α
    and β are; the *rate* of reaching it scales with the open probability. With escape the
    closed form in :meth:`steady_state_blocked` applies. Without agonist, block decays only by
    escape. The tests check these facts against the exact solution.

    Parameters
    ----------
    ketamine_um : float
        Free ketamine concentration, µmol/L.
    voltage_mv : float
        Membrane voltage, mV; sets ketamine's K_d and unbinding rate (held constant in time).
    alpha_per_s, beta_per_s, kon_per_um_s : float, optional
        Opening rate, closing rate (s⁻¹) and ketamine binding rate (µM⁻¹ s⁻¹); defaults from
        ``data/channel.toml``.
    escape_per_s : float, optional
        Escape rate of trapped drug, s⁻¹ (0 = perfect trapping); default derived from
        ``data/channel.toml``.
    """

    ketamine_um: float
    voltage_mv: float = -60.0
    alpha_per_s: float | None = None
    beta_per_s: float | None = None
    kon_per_um_s: float | None = None
    escape_per_s: float | None = None
    _rates: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        t = _table()
        self.ketamine_um = check_real("ketamine_um", self.ketamine_um, low=0, high=1000, unit="µM")
        self.voltage_mv = check_real(
            "voltage_mv", self.voltage_mv, low=VOLTAGE_RANGE_MV[0], high=VOLTAGE_RANGE_MV[1], unit="mV"
        )
        gating = t["gating"]
        alpha = gating["alpha_per_s"] if self.alpha_per_s is None else self.alpha_per_s
        beta = gating["beta_per_s"] if self.beta_per_s is None else self.beta_per_s
        kon = t["ketamine_voltage"]["kon_per_um_s"] if self.kon_per_um_s is None else self.kon_per_um_s
        self.alpha_per_s = check_real("alpha_per_s", alpha, low=0, low_open=True, unit="/s")
        self.beta_per_s = check_real("beta_per_s", beta, low=0, low_open=True, unit="/s")
        self.kon_per_um_s = check_real("kon_per_um_s", kon, low=0, low_open=True, unit="/µM/s")
        trap = t["trapping"]
        escape = -np.log(trap["fraction_trapped_after_120_s"]) / trap["washout_s"] if self.escape_per_s is None else self.escape_per_s
        self.escape_per_s = check_real("escape_per_s", escape, low=0, unit="/s")

    @property
    def kd_um(self) -> float:
        """Equilibrium dissociation constant of open-channel block at this voltage, µM."""
        return float(ketamine_ic50_um(self.voltage_mv))

    @property
    def koff_per_s(self) -> float:
        """Unbinding rate from the open channel, s⁻¹ (k_on · K_d)."""
        return self.kon_per_um_s * self.kd_um

    def generator(self, agonist: bool) -> np.ndarray:
        """Rate matrix Q (4 × 4, columns sum to zero) so that dp/dt = Q p."""
        a = self.alpha_per_s if agonist else 0.0
        b = self.beta_per_s
        on = self.kon_per_um_s * self.ketamine_um
        off = self.koff_per_s
        q = np.zeros((4, 4))
        # from closed (0)
        q[1, 0] = a
        # from open (1)
        q[0, 1] = b
        q[2, 1] = on
        # from open_blocked (2)
        q[1, 2] = off
        q[3, 2] = b
        # from trapped (3)
        q[2, 3] = a
        q[0, 3] = self.escape_per_s
        q -= np.diag(q.sum(axis=0))
        return q

    def steady_state_blocked(self) -> float:
        """Analytic steady-state blocked fraction with agonist always present.

        Balancing the flows of the scheme gives, with k1 = k_on[K], k2 = k_off, e = escape:

            T = β·B / (α + e),   B = k1·O / (k2 + β·e / (α + e)),   C = (β·O + e·T) / α

        and the blocked fraction (B + T) / (C + O + B + T). With e = 0 this reduces to
        [K] / ([K] + K_d).
        """
        a, b, e = self.alpha_per_s, self.beta_per_s, self.escape_per_s
        k1, k2 = self.kon_per_um_s * self.ketamine_um, self.koff_per_s
        o = 1.0
        bl = k1 * o / (k2 + b * e / (a + e))
        tr = b * bl / (a + e)
        c = (b * o + e * tr) / a
        return (bl + tr) / (c + o + bl + tr)

    def simulate_pulses(
        self,
        n_pulses: int,
        pulse_ms: float,
        interval_ms: float,
        *,
        samples_per_phase: int = 20,
        p0=None,
    ) -> dict[str, np.ndarray]:
        """Repeated agonist applications: block builds up pulse by pulse.

        Parameters
        ----------
        n_pulses : int
            Number of agonist applications (1–2000).
        pulse_ms : float
            Duration of each application, ms (> 0).
        interval_ms : float
            Time from the start of one application to the next, ms (>= ``pulse_ms``).
        samples_per_phase : int
            Output samples inside each agonist-on and agonist-off phase.
        p0 : array_like, optional
            Initial state probabilities (default: all closed, drug-free).

        Returns
        -------
        dict
            ``t_ms`` (sample times), ``p`` (state probabilities, shape (n, 4)), ``blocked``
            (open_blocked + trapped), ``open`` (open, unblocked), ``blocked_after_pulse``
            (blocked fraction at the end of each application, length ``n_pulses``).
        """
        if isinstance(n_pulses, bool) or not isinstance(n_pulses, (int, np.integer)) or not 1 <= n_pulses <= 2000:
            raise ValueError(f"n_pulses must be a whole number from 1 to 2000; got {n_pulses!r}")
        pulse = check_real("pulse_ms", pulse_ms, low=0, low_open=True, high=60_000, unit="ms")
        interval = check_real("interval_ms", interval_ms, low=pulse, high=600_000, unit="ms")
        if not isinstance(samples_per_phase, (int, np.integer)) or not 2 <= samples_per_phase <= 1000:
            raise ValueError(f"samples_per_phase must be a whole number from 2 to 1000; got {samples_per_phase!r}")
        p = _initial_state(p0)
        phases = [(True, pulse)]
        if interval > pulse:
            phases.append((False, interval - pulse))
        # Propagators for one sample step in each phase: exact for piecewise-constant rates.
        steps = {}
        for agonist, dur in phases:
            dt_s = dur / samples_per_phase / 1000.0
            steps[agonist] = expm(self.generator(agonist) * dt_s)
        times, states, after = [0.0], [p], []
        t = 0.0
        for _ in range(n_pulses):
            for agonist, dur in phases:
                step = steps[agonist]
                dt = dur / samples_per_phase
                for _k in range(samples_per_phase):
                    p = step @ p
                    t += dt
                    times.append(t)
                    states.append(p)
                if agonist:
                    after.append(p[2] + p[3])
        arr = np.array(states)
        return {
            "t_ms": np.array(times),
            "p": arr,
            "blocked": arr[:, 2] + arr[:, 3],
            "open": arr[:, 1],
            "blocked_after_pulse": np.array(after),
        }

    def simulate(self, times_ms, agonist: bool = True, p0=None) -> np.ndarray:
        """State probabilities at ``times_ms`` (increasing, starting at 0) under constant agonist."""
        t = check_increasing("times_ms", times_ms, unit="ms")
        if t[0] < 0:
            raise ValueError(f"times_ms must start at 0 or later; got {t[0]:g}")
        p = _initial_state(p0)
        q = self.generator(agonist)
        w, v = np.linalg.eig(q)
        coef = np.linalg.solve(v, p)
        out = (v[None, :, :] * (coef[None, :] * np.exp(np.outer(t / 1000.0, w)))[:, None, :]).sum(axis=2)
        return np.real(out)
