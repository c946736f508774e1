"""The E–I population model: steady state, stability, the exact spectrum, the published
qualitative directions, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ketacourse import receptor
from ketacourse.circuits import ei_network as ei


def test_circuits_package_imports_nothing_itself():
    import ast
    import inspect

    import ketacourse.circuits as c

    tree = ast.parse(inspect.getsource(c))
    assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_synaptic_time_constants_come_from_the_data_table():
    p = ei.default_parameters()
    assert (p.tau_ampa_ms, p.tau_nmda_rise_ms, p.tau_nmda_decay_ms, p.tau_gaba_ms) == (2.0, 2.0, 100.0, 5.0)


def test_fixed_point_solves_the_rate_equations():
    p = ei.default_parameters()
    for ue, ui in [(1, 1), (0.5, 1), (1, 0.3), (0.2, 0.1), (1.5, 1.2)]:
        r_e, r_i = ei.fixed_point(ue, ui)
        x_e = (p.w_ee_ampa + ue * p.w_ee_nmda) * r_e - p.w_ei * r_i + p.drive_e
        x_i = (p.w_ie_ampa + ui * p.w_ie_nmda) * r_e - p.w_ii * r_i + p.drive_i
        assert r_e == pytest.approx(1 / (1 + math.exp(-x_e)), abs=1e-10)
        assert r_i == pytest.approx(1 / (1 + math.exp(-x_i)), abs=1e-10)


def test_jacobian_matches_finite_differences_of_the_full_equations():
    p = ei.default_parameters()
    ue, ui = 0.7, 0.5
    r_e, r_i = ei.fixed_point(ue, ui)
    te, ti, ta, tnr, tnd, tg = (v / 1e3 for v in (p.tau_e_ms, p.tau_i_ms, p.tau_ampa_ms, p.tau_nmda_rise_ms,
                                                 p.tau_nmda_decay_ms, p.tau_gaba_ms))

    def rhs(x):
        re, ri, sa, xn, sn, sg = x
        fe = 1 / (1 + np.exp(-(p.w_ee_ampa * sa + ue * p.w_ee_nmda * sn - p.w_ei * sg + p.drive_e)))
        fi = 1 / (1 + np.exp(-(p.w_ie_ampa * sa + ui * p.w_ie_nmda * sn - p.w_ii * sg + p.drive_i)))
        return np.array([(fe - re) / te, (fi - ri) / ti, (re - sa) / ta, (re - xn) / tnr, (xn - sn) / tnd, (ri - sg) / tg])

    x0 = np.array([r_e, r_i, r_e, r_e, r_e, r_i])
    assert np.max(np.abs(rhs(x0))) < 1e-6  # the fixed point of the full six-state system
    h = 1e-7
    J_fd = np.column_stack([(rhs(x0 + h * e) - rhs(x0 - h * e)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(ei.jacobian(ue, ui), J_fd, rtol=1e-5, atol=1e-3)


def test_baseline_is_stable_with_a_damped_gamma_resonance():
    s = ei.spectrum()
    assert s.stable
    assert np.all(s.eigenvalues.real < 0)
    assert 30.0 <= s.gamma_peak_hz <= 80.0
    assert 30.0 <= s.resonance_hz <= 80.0
    assert abs(s.resonance_hz - s.gamma_peak_hz) < 3.0
    # a true peak, not the edge of the band
    m = (s.freqs_hz > 20) & (s.freqs_hz < 100)
    i = np.argmax(np.where(m, s.power, -np.inf))
    assert s.freqs_hz[i] == pytest.approx(s.gamma_peak_hz)


def test_spectrum_is_the_exact_linear_response():
    """|H(f)|^2 from the formula equals the gain of a simulated sinusoidal response of the linear system."""
    J = ei.jacobian()
    tau_e = ei.default_parameters().tau_e_ms / 1e3
    f0 = 40.0
    b = np.zeros(6)
    b[0] = 1 / tau_e
    sol = solve_ivp(lambda t, x: J @ x + b * np.sin(2 * np.pi * f0 * t), (0, 1.0), np.zeros(6),
                    max_step=1e-4, rtol=1e-8, atol=1e-12, dense_output=True)
    t = np.linspace(0.8, 1.0, 4001)
    y = sol.sol(t)[0]
    amp = (y.max() - y.min()) / 2
    power = ei.spectrum(freqs_hz=[f0]).power[0]
    assert amp**2 == pytest.approx(power, rel=2e-3)


def test_spectrum_matches_welch_estimate_of_a_simulated_noise_driven_network():
    """Independent check: simulate the linear system with white noise (Euler–Maruyama) and compare the
    Welch periodogram's gamma peak frequency with the analytic spectrum's."""
    from scipy.signal import welch

    J = ei.jacobian()
    tau_e = ei.default_parameters().tau_e_ms / 1e3
    dt = 1e-4
    n = 200_000
    rng = np.random.default_rng(3)
    A = np.eye(6) + dt * J
    noise = rng.standard_normal(n) / np.sqrt(dt) / tau_e
    x = np.zeros(6)
    out = np.empty(n)
    for k in range(n):
        x = A @ x
        x[0] += dt * noise[k]
        out[k] = x[0]
    f, pxx = welch(out[5000:], fs=1 / dt, nperseg=8192)
    m = (f >= 30) & (f <= 80)
    assert f[m][np.argmax(pxx[m])] == pytest.approx(ei.spectrum().gamma_peak_hz, abs=4.0)
    # one-sided Welch density = 2 x the two-sided analytic density
    s = ei.spectrum(freqs_hz=f[m])
    ratio = np.median(pxx[m] / (2 * s.power))
    assert ratio == pytest.approx(1.0, rel=0.15)


# ----------------------------------------------------------------------------- published directions
def test_block_on_interneurons_raises_gamma():
    """Susin & Destexhe 2023: a partial NMDA block that acts on interneurons raises gamma power."""
    g = ei.gamma_sweep([1.0, 0.8, 0.6])
    assert g[0] == pytest.approx(1.0)
    assert g[1] > 1.0 and g[2] > g[1]


def test_gamma_against_interneuron_nmda_is_an_inverted_u():
    """Kirli 2014: gamma power against NMDA drive onto fast-spiking cells is an inverted U."""
    u = np.linspace(0.0, 2.0, 41)
    g = ei.gamma_sweep(u)
    assert np.all(np.isfinite(g))
    k = int(np.argmax(g))
    assert 0 < k < len(u) - 1, "the maximum lies inside the range"
    assert g[0] < g[k] and g[-1] < g[k]
    assert np.all(np.diff(g[: k + 1]) > 0) and np.all(np.diff(g[k:]) < 0), "one rise, one fall"
    assert u[k] < 1.0, "the baseline sits on the falling side, so block raises gamma"


def test_block_on_pyramidal_cells_alone_lowers_gamma_monotonically():
    u = np.linspace(0.0, 1.0, 11)
    g = ei.gamma_sweep(u, target="pyramidal")
    assert np.all(np.diff(g) > 0)
    assert g[0] < 1.0


def test_equal_block_of_both_populations_raises_gamma_less_than_interneuron_selective_block():
    conc = 100.0
    ue1, ui1 = ei.nmda_unblocked_fractions(conc, interneuron_selectivity=1.0)
    ue3, ui3 = ei.nmda_unblocked_fractions(conc, interneuron_selectivity=3.0)
    base = ei.spectrum().gamma_power
    assert ue1 == ui1 == ue3 and ui3 < ui1
    assert ei.spectrum(ue3, ui3).gamma_power / base > ei.spectrum(ue1, ui1).gamma_power / base


def test_disinhibition_interneurons_fall_first_then_pyramidal_cells_rise():
    """Homayoun & Moghaddam 2007: NMDA blockade first lowers interneuron firing and, after a delay,
    raises pyramidal firing. In the model the interneuron rate dips before the pyramidal rate rises."""
    t, r_e, r_i = ei.step_response(1.0, 0.6, duration_ms=400)
    r_e0, r_i0 = ei.fixed_point(1.0, 1.0)
    assert r_i.min() < r_i0 - 0.01
    t_i = t[np.argmax(r_i < r_i0 - 0.005)]
    t_e = t[np.argmax(r_e > r_e0 + 0.005)]
    assert t_i < t_e
    assert r_e[-1] == pytest.approx(ei.fixed_point(1.0, 0.6)[0], abs=2e-3)
    assert r_e[-1] > r_e0


def test_concentration_mapping_uses_chapter_1_occupancy():
    ue, ui = ei.nmda_unblocked_fractions(185.0, interneuron_selectivity=2.0)
    assert ue == pytest.approx(1 - receptor.occupancy_from_plasma(185.0))
    assert ui == pytest.approx(1 - receptor.occupancy_from_plasma(370.0))
    assert ei.nmda_unblocked_fractions(0.0) == (1.0, 1.0)


def test_unstable_parameters_are_reported():
    p = ei.default_parameters().with_(w_ee_nmda=8.0)
    s = ei.spectrum(params=p)
    assert not s.stable
    assert np.isnan(ei.gamma_sweep([1.0], params=p))[0]


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "msg"),
    [
        (lambda: ei.spectrum(u_e=-0.1), r"^u_e must be a finite number >= 0 and <= 2; got -0.1"),
        (lambda: ei.spectrum(u_i=math.nan), r"^u_i must be a finite number >= 0 and <= 2; got nan"),
        (lambda: ei.spectrum(freqs_hz=[10, 5]), r"^freqs_hz must be strictly increasing"),
        (lambda: ei.spectrum(freqs_hz=[0, 5]), r"^freqs_hz must be a finite number > 0 Hz; got 0 Hz"),
        (lambda: ei.gamma_sweep([0.5], target="both"), r"^target must be one of 'interneurons', 'pyramidal'; got 'both'"),
        (lambda: ei.gamma_sweep([2.5]), r"^u_values must be a finite number >= 0 and <= 2; got 2.5"),
        (lambda: ei.EIParameters(tau_e_ms=0.0), r"^tau_e_ms must be a finite number > 0 and <= 1000 ms; got 0 ms"),
        (lambda: ei.EIParameters(w_ei=-1.0), r"^w_ei must be a finite number >= 0 and <= 100; got -1"),
        (lambda: ei.nmda_unblocked_fractions(-5.0), r"^conc_ng_ml must be a finite number >= 0 and <= 5000 ng/mL; got -5"),
        (lambda: ei.nmda_unblocked_fractions(100.0, interneuron_selectivity=0.5),
         r"^interneuron_selectivity must be a finite number >= 1 and <= 10; got 0.5"),
        (lambda: ei.spectrum().band_power(80, 30), r"^high_hz must be a finite number > 80; got 30"),
    ],
)
def test_bad_input_raises_a_clear_error(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# ------------------------------------------------------------ against human EEG, by concentration
@pytest.mark.parametrize("conc", [50.0, 100.0])
def test_sub_anaesthetic_gamma_rises_only_with_interneuron_selectivity(conc):
    """Human EEG: gamma rises at sub-anaesthetic concentrations (de la Salle 2016). The model agrees at 50 and
    100 ng/mL only when interneurons are assumed 3x more sensitive; with equal block it is flat (within 0.5 dB)."""
    equal = ei.compare_with_human_eeg([conc], interneuron_selectivity=1.0)[0]
    selective = ei.compare_with_human_eeg([conc], interneuron_selectivity=3.0)[0]
    assert equal["human_direction"] == "up" and selective["human_direction"] == "up"
    assert equal["model_direction"] == "flat" and abs(equal["model_db"]) < 0.5
    assert selective["model_direction"] == "up" and selective["model_db"] > 1.0
    assert selective["agrees"] is True


def test_documented_miss_at_200_ng_ml_even_with_selectivity():
    """A documented miss: by 200 ng/mL (inside the dissociation band, where people still show more gamma) the
    3x-selective model has passed the top of its inverted U and is flat."""
    row = ei.compare_with_human_eeg([200.0], interneuron_selectivity=3.0)[0]
    assert row["human_direction"] == "up"
    assert row["model_direction"] == "flat" and row["agrees"] is False


@pytest.mark.parametrize("selectivity", [1.0, 3.0, 10.0])
@pytest.mark.parametrize("conc", [1000.0, 2000.0])
def test_documented_miss_gamma_falls_at_anaesthetic_concentrations(conc, selectivity):
    """A documented failure, asserted as a failure: during ketamine anaesthesia gamma power rises in people
    (Vlisides 2017; gamma bursts, Akeju 2016), but the model's gamma FALLS by more than 2 dB whatever the
    interneuron selectivity. If this test starts failing, the model changed: update the chapter's failure table."""
    row = ei.compare_with_human_eeg([conc], interneuron_selectivity=selectivity)[0]
    assert row["range"] == "anaesthetic" and row["human_direction"] == "up"
    assert row["model_db"] < -2.0 and row["agrees"] is False


def test_comparison_outside_the_tabulated_ranges_has_no_verdict():
    row = ei.compare_with_human_eeg([500.0])[0]
    assert row["range"] is None and row["agrees"] is None
