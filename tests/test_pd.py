"""Pharmacodynamics (ketacourse.pd): closed forms, published values, the effect-site link and
hysteresis, and clear errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse import pd, pk
from ketacourse.data import load_table


# ----------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("hill", [0.5, 1.0, 2.0, 4.7])
@pytest.mark.parametrize("inhibitory", [False, True])
def test_half_effect_at_ec50(hill, inhibitory):
    e = pd.sigmoid_emax(250.0, 8.0, 250.0, hill, e0=10.0, inhibitory=inhibitory)
    assert e == pytest.approx(10.0 - 4.0 if inhibitory else 10.0 + 4.0, rel=1e-12)
    assert pd.fraction_of_max(250.0, 250.0, hill) == pytest.approx(0.5, rel=1e-12)


def test_limits_baseline_and_plateau():
    assert pd.sigmoid_emax(0.0, 8.0, 250.0, 2.0, e0=3.0) == 3.0
    assert pd.sigmoid_emax(1e12, 8.0, 250.0, 2.0, e0=3.0) == pytest.approx(11.0, rel=1e-12)
    assert pd.sigmoid_emax(1e12, 8.0, 250.0, 2.0, e0=3.0, inhibitory=True) == pytest.approx(-5.0, rel=1e-12)
    # a huge Hill coefficient (20) is a step at EC50, with no overflow warnings
    with np.errstate(all="raise"):
        step = pd.fraction_of_max(np.array([0.0, 240.0, 250.0, 260.0, 1e300]), 250.0, 20.0)
    np.testing.assert_allclose(step, [0.0, 0.3, 0.5, 0.7, 1.0], atol=0.05)


def test_hill_one_is_the_emax_model_and_limits_of_steepness():
    c = np.geomspace(1, 1e5, 50)
    np.testing.assert_allclose(pd.emax_model(c, 5.0, 300.0), 5.0 * c / (300.0 + c), rtol=1e-12)
    np.testing.assert_allclose(pd.sigmoid_emax(c, 5.0, 300.0, 1.0), pd.emax_model(c, 5.0, 300.0), rtol=1e-12)
    # the steeper the curve, the narrower the window from 10% to 90%: 81^(1/n)
    for n in (0.5, 1.0, 2.0, 3.0):
        assert pd.window_ratio(n) == pytest.approx(81.0 ** (1.0 / n), rel=1e-12)
    # far below EC50 the Hill curve is a power law of slope n on log-log axes
    lo = np.array([1e-4, 1e-3]) * 300.0
    for n in (1.0, 2.0, 3.0):
        f = pd.fraction_of_max(lo, 300.0, n)
        assert np.log10(f[1] / f[0]) == pytest.approx(n, rel=1e-3)


@pytest.mark.parametrize("hill", [0.5, 1.0, 3.0])
def test_monotonic_and_inverse(hill):
    c = np.geomspace(1e-2, 1e6, 400)
    up = pd.sigmoid_emax(c, 5.0, 300.0, hill)
    down = pd.sigmoid_emax(c, 5.0, 300.0, hill, e0=10.0, inhibitory=True)
    assert np.all(np.diff(up) > 0) and np.all(np.diff(down) < 0)
    f = np.array([0.01, 0.1, 0.5, 0.9, 0.99])
    np.testing.assert_allclose(pd.fraction_of_max(pd.concentration_for_fraction(f, 300.0, hill), 300.0, hill), f,
                               rtol=1e-12)


def test_linear():
    np.testing.assert_allclose(pd.linear([0.0, 50.0, 200.0], 0.02, intercept=1.0), [1.0, 2.0, 5.0])


# ----------------------------------------------------------------------------- published values
@pytest.mark.parametrize(("compound", "emax_hz", "ic50_ug_ml"), [("racemic", 7.6, 2.0), ("S", 8.3, 0.8), ("R", 4.4, 1.8)])
def test_schuttler_1987_values_are_reproduced_from_the_data(compound, emax_hz, ic50_ug_ml):
    """Schüttler 1987 abstract: Emax R 4.4, racemic 7.6, S 8.3 Hz; IC50 R 1.8, racemic 2.0, S 0.8 µg/mL."""
    m = pd.schuttler_eeg(compound)
    assert m.emax == emax_hz and m.ec50_ng_ml == pytest.approx(1000.0 * ic50_ug_ml)
    assert m.source == "schuttler1987" and m.flag == "P" and m.sampling_site == "serum" and m.inhibitory
    assert m.effect_unit == "Hz"
    assert m.effect(m.ec50_ng_ml) == pytest.approx(emax_hz / 2.0)
    assert m.effect(1e12) == pytest.approx(emax_hz, rel=1e-6)
    # the Hill coefficient is not in the abstract: the documented assumption, flagged as such
    assert not m.hill_reported and m.hill == pd.HILL_WHEN_UNREPORTED == 1.0


def test_potency_ordering_of_the_enantiomers():
    s, rac, r = (pd.schuttler_eeg(c) for c in ("S", "racemic", "R"))
    assert s.ec50_ng_ml < r.ec50_ng_ml <= rac.ec50_ng_ml
    assert 2.0 <= r.ec50_ng_ml / s.ec50_ng_ml <= 4.0  # "roughly two to four times"
    assert r.emax < rac.emax < s.emax  # R is less efficacious: its potency cannot be compared directly
    # R-ketamine cannot produce more slowing than its Emax, however high the concentration
    assert np.all(r.effect(np.geomspace(1, 1e7, 100)) < r.emax)
    white = pd.equianaesthetic_doses()
    assert white["dose_mg_per_kg"] == {"racemic": 2.0, "S": 1.0, "R": 3.0}
    assert white["end_conc_ng_ml"]["R"] / white["end_conc_ng_ml"]["S"] == pytest.approx(3.4, rel=0.01)
    assert white["s_to_r_potency"] == 3.4


def test_bowdle_range_is_data_with_no_invented_slope():
    b = pd.linear_range()
    assert (b["low_ng_ml"], b["high_ng_ml"], b["r_min"], b["r_max"]) == (50.0, 200.0, 0.93, 0.99)
    assert "slope" not in b and b["source"] == "bowdle1998"


def test_pd_table_keys():
    table = load_table("pd_models")
    assert set(pd.pd_model_keys()) == set(table["models"]) == {
        "schuttler1987_racemic", "schuttler1987_s", "schuttler1987_r"}


# ----------------------------------------------------------------------------- effect site and hysteresis
def _bolus_effect(t_half_min=6.1, hours=8.0):
    t = np.concatenate([np.arange(0.0, 30.0, 0.05), np.arange(30.0, 60.0 * hours + 0.01, 1.0)])
    # an IV bolus injected over 1 min, as the Ketalar label advises
    return pd.simulate_effect("schuttler1987_racemic", "domino1982", pk.infusion(dose_mg_per_kg=1.0, duration_min=1.0), 70.0, t,
                              ke0_per_min=math.log(2) / t_half_min, warn=False)


def test_effect_uses_the_pk_engines_effect_site_and_sourced_ke0():
    t = np.arange(0.0, 121.0)
    reg = pk.infusion(dose_mg_per_kg=0.5, duration_min=40.0)
    res = pk.simulate("domino1982", reg, 70.0, t, warn=False)
    r = pd.effect_time_course("schuttler1987_racemic", res)
    np.testing.assert_array_equal(r.effect_site_ng_ml, res.effect_ng_ml)
    np.testing.assert_allclose(r.effect, pd.schuttler_eeg("racemic").effect(res.effect_ng_ml), rtol=1e-12)
    default = pd.simulate_effect("schuttler1987_racemic", "domino1982", reg, 70.0, t, warn=False)
    np.testing.assert_allclose(default.effect_site_ng_ml, res.effect_ng_ml, rtol=1e-12)
    assert pk.default_ke0_per_min() == pytest.approx(math.log(2) / 6.1)  # Olofsen 2012 mean t½ke0
    olofsen = load_table("pd_models")["effect_site"]["olofsen2012"]
    assert olofsen["t_half_ke0_min_mean"] == pytest.approx(math.log(2) / pk.default_ke0_per_min())
    assert olofsen["t_half_ke0_min_low"] < olofsen["t_half_ke0_min_mean"] < olofsen["t_half_ke0_min_high"] == 11.8


def test_effect_site_concentration_for_any_plasma_curve_matches_the_engine():
    t = np.arange(0.0, 180.0, 0.1)
    res = pk.simulate("domino1982", pk.infusion(dose_mg_per_kg=0.5, duration_min=40.0), 70.0, t, warn=False)
    ce = pd.effect_site_concentration(t, res.conc_ng_ml)
    np.testing.assert_allclose(ce, res.effect_ng_ml, atol=1e-3 * res.effect_ng_ml.max())
    # exact for a linear ramp: Ce(t) = s (t - (1 - exp(-k t)) / k)
    k, s = 0.2, 3.0
    tt = np.array([0.0, 0.5, 2.0, 7.0])
    np.testing.assert_allclose(pd.effect_site_concentration(tt, s * tt, k),
                               s * (tt - (1 - np.exp(-k * tt)) / k), rtol=1e-12, atol=1e-12)


def test_hysteresis_loop_collapses_on_the_effect_site_axis():
    r = _bolus_effect()
    on_plasma, on_effect = r.loop_area("plasma"), r.loop_area("effect")
    assert on_plasma > 0.3  # a wide anticlockwise loop against plasma concentration
    assert on_effect < 1e-3  # one curve against the effect-site concentration
    assert on_effect < on_plasma / 500
    # the effect peaks after the plasma peak (at the end of the 1-min injection)
    assert r.times_min[np.argmax(r.plasma_ng_ml)] == pytest.approx(1.0)
    assert r.times_min[np.argmax(r.effect)] > 2.0


def test_a_faster_effect_site_gives_a_smaller_loop():
    areas = [_bolus_effect(th, hours=4.0).loop_area("plasma") for th in (0.05, 0.5, 2.0, 6.1)]
    assert all(np.diff(areas) > 0), areas
    assert areas[0] < areas[-1] / 5


def test_loop_area_closed_forms():
    theta = np.linspace(0, 2 * np.pi, 2001)[:-1]
    assert pd.loop_area(np.cos(theta), np.sin(theta)) == pytest.approx(np.pi, rel=1e-5)
    x = np.linspace(0, 1, 50)
    path = np.concatenate([x, x[::-1]])
    assert pd.loop_area(path, path**2) == pytest.approx(0.0, abs=1e-15)  # retracing one curve
    assert pd.normalised_loop_area([0, 1, 1, 0], [0, 0, 1, 1]) == pytest.approx(1.0)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "msg"),
    [
        (lambda: pd.sigmoid_emax(-1.0, 1.0, 10.0), r"^conc must be a finite number >= 0; got -1"),
        (lambda: pd.sigmoid_emax([1.0, math.nan], 1.0, 10.0), r"^conc must be a finite number >= 0; got nan \(element 1\)"),
        (lambda: pd.sigmoid_emax(1.0, -2.0, 10.0), r"^emax must be a finite number >= 0; got -2"),
        (lambda: pd.sigmoid_emax(1.0, 2.0, 0.0), r"^ec50 must be a finite number > 0; got 0"),
        (lambda: pd.sigmoid_emax(1.0, 2.0, 10.0, 0.0), r"^hill must be a finite number >= 0.1 and <= 20; got 0"),
        (lambda: pd.sigmoid_emax(1.0, 2.0, 10.0, 25.0), r"^hill must be a finite number >= 0.1 and <= 20; got 25"),
        (lambda: pd.sigmoid_emax(1.0, 2.0, 10.0, e0=math.inf), r"^e0 must be a finite number; got inf"),
        (lambda: pd.sigmoid_emax(1.0, 2.0, 10.0, inhibitory="yes"), r"^inhibitory must be True or False; got 'yes'"),
        (lambda: pd.linear("5", 1.0), r"^conc must be a finite number >= 0; got '5'"),
        (lambda: pd.concentration_for_fraction(1.0, 10.0), r"^fraction must be a finite number > 0 and < 1; got 1"),
        (lambda: pd.window_ratio(2.0, 0.9, 0.1), r"^low_fraction must be below high_fraction; got 0.9 and 0.1"),
        (lambda: pd.get_pd_model("schuttler1987"), r"^key must be one of 'schuttler1987_racemic', "),
        (lambda: pd.schuttler_eeg("esketamine"), r"^compound must be one of 'racemic', 'S', 'R'; got 'esketamine'"),
        (lambda: pd.schuttler_eeg("S").effect(-5.0), r"^conc_ng_ml must be a finite number >= 0; got -5"),
        (lambda: pd.linear_range("krystal1994"), r"^key must be one of 'bowdle1998'; got 'krystal1994'"),
        (lambda: pd.effect_site_concentration([0, 1, 1], [0, 1, 2]), r"^times_min must be strictly increasing"),
        (lambda: pd.effect_site_concentration([0, 1, 2], [0, 1]), r"^plasma_ng_ml must have one value per time \(3\); got 2"),
        (lambda: pd.effect_site_concentration([0, 1], [0, 1], ke0_per_min=0.0),
         r"^ke0_per_min must be a finite number > 0 1/min; got 0 1/min"),
        (lambda: pd.loop_area([0, 1], [0, 1]), r"^conc must hold at least 3 points to enclose an area; got 2"),
        (lambda: pd.simulate_effect("schuttler1987_s", "domino1982", pk.bolus(10.0), 70.0, [0, 1], ke0_per_min=-1.0),
         r"^ke0_per_min must be a finite number > 0 1/min; got -1 1/min"),
        (lambda: _bolus_effect().loop_area("site"), r"^axis must be one of 'plasma', 'effect'; got 'site'"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# ----------------------------------------------------------------------------- the chapter's checks
def test_dose_response_checks_accept_the_model_answer_and_name_each_mistake():
    from ketacourse.checks import ch02_dose_response as ch
    from ketacourse.exercises import check, get

    s_conc = ch._equal_effect_conc("S")
    assert 300 < s_conc < 400  # less than half the racemic 1000 ng/mL
    assert check("ch2-eeg-equal-effect", s_conc).correct
    eq = get("ch2-eeg-equal-effect")
    messages = set()
    for m in eq.mistakes:
        fb = check("ch2-eeg-equal-effect", m.value())
        assert not fb.correct and fb.mistake == m.name, (m.name, fb)
        messages.add(fb.message)
    assert len(messages) == len(eq.mistakes)  # every named mistake has its own message
    assert check("ch2-eeg-equal-effect", 900.0).mistake is None
    assert check("ch2-eeg-equal-effect", None).status == "missing"
    # R-ketamine cannot reach 5 Hz: the choice check
    assert pd.schuttler_eeg("R").emax < 5.0
    assert check("ch2-r-ceiling", "B").correct
    for wrong in "acd":
        fb = check("ch2-r-ceiling", wrong)
        assert not fb.correct and fb.mistake == wrong
    # the slower effect site: peak between the plasma peak (1 min) and t½ke0 (11.8 min)
    peak = ch._effect_peak_min(11.8)
    assert 1.0 < ch._effect_peak_min(6.1) < peak < 11.8
    assert check("ch2-effect-peak", peak).correct
    for m in get("ch2-effect-peak").mistakes:
        assert check("ch2-effect-peak", m.value()).mistake == m.name
