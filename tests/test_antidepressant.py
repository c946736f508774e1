"""The descriptive antidepressant time course (ketacourse.pd.antidepressant) against its sourced
calibration points, the points it was not fitted to, and bad inputs.

Tolerances: the fit is exact (three parameters through three points), so the calibration points
are matched within 0.01 SD (interpolation on a 10-min grid). Check points must fall inside their
published 95% CIs: this is a real test, since they were not used in the fit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse.pd import antidepressant as ad


def test_fit_points_are_reproduced():
    for p in ad.calibration_points("fit"):
        assert ad.effect_g(p["time_days"])[0] == pytest.approx(p["g"], abs=0.01), p["key"]


def test_stored_parameters_follow_from_the_sourced_points():
    fitted, stored = ad.fit_parameters(), ad.parameters()
    for name in ("acute_g", "delayed_g", "ka_per_day", "ke_per_day"):
        assert getattr(fitted, name) == pytest.approx(getattr(stored, name), rel=0.01), name


def test_time_course_shape_matches_the_meta_analysis_window():
    t = np.linspace(0, 20, 2001)
    g = ad.effect_g(t)
    assert t[np.argmax(g[t > 0.5]) + np.sum(t <= 0.5)] == pytest.approx(1.0, abs=0.05)  # peak at day 1
    thr = next(p["g"] for p in ad.calibration_points("fit") if p["key"] == "offset")
    assert ad.effect_g(7.0)[0] > thr          # still detectable at day 7 (Kishimoto 2016)
    assert ad.effect_g(10.0)[0] < thr         # gone by days 10-12
    assert ad.effect_g(-1.0)[0] == 0.0        # nothing before the dose
    p = ad.parameters()
    assert 3 < p.rise_half_life_h < 8 and 2 < p.decay_half_life_days < 7


def test_check_points_not_used_in_the_fit():
    day2 = next(p for p in ad.calibration_points("check") if p["key"] == "day2_bipolar")
    assert day2["lower"] <= ad.effect_g(2.0)[0] <= day2["upper"]


def test_repeated_dosing_superposes_and_over_predicts_without_a_ceiling():
    single = ad.effect_g([3.5])[0]
    two = ad.effect_g([3.5], [0.0, 3.5])[0]
    assert two == pytest.approx(single + ad.effect_g([0.0])[0], abs=1e-9)
    rep = next(p for p in ad.calibration_points("check") if p["key"] == "repeated_2to3_weeks")
    peak = ad.effect_g(np.linspace(0, 21, 841), ad.twice_weekly(3)).max()
    assert peak > rep["upper"]  # the linear model over-predicts repeated courses: the chapter's point
    capped = ad.effect_g(np.linspace(0, 21, 841), ad.twice_weekly(3), ceiling_g=1.0).max()
    assert capped < 1.0


def test_dose_scales_linearly_and_schedules():
    assert ad.effect_g([1.0], dose_mg_per_kg=0.25)[0] == pytest.approx(0.5 * ad.effect_g([1.0])[0])
    assert ad.twice_weekly(2) == [0.0, 3.5, 7.0, 10.5]
    assert ad.thrice_weekly(1) == [0.0, 2.0, 4.0]


def test_relapse_curves():
    m = ad.relapse_median_days("after_six_infusions")
    assert m == 18.0
    assert ad.relapse_free(m, m)[0] == pytest.approx(0.5)
    assert ad.relapse_free(28, m)[0] == pytest.approx(math.exp(-math.log(2) * 28 / 18))
    assert ad.relapse_median_days("esketamine_stopped") == 273.0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ad.effect_g([1.0], dose_mg_per_kg=1.5), r"^dose_mg_per_kg must be a finite number >= 0 and <= 1; got 1.5"),
    (lambda: ad.effect_g([1.0], []), r"^dose_days must hold at least one dose day"),
    (lambda: ad.effect_g([1.0], [-1.0]), r"^dose_days must be a finite number >= 0 and <= 120; got -1"),
    (lambda: ad.effect_g([500.0]), r"^t_days must be a finite number >= -120 and <= 120; got 500"),
    (lambda: ad.effect_g([1.0], ceiling_g=0.0), r"^ceiling_g must be a finite number >= 0.2 and <= 5; got 0"),
    (lambda: ad.relapse_free(10, 0), r"^median_days must be a finite number > 0 and <= 3650; got 0"),
    (lambda: ad.relapse_median_days("forever"), r"^which must be one of 'after_six_infusions', 'esketamine_stopped'"),
])
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()
