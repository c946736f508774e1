"""Every bad input raises ValueError naming the argument (and the allowed range)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse import pk
from ketacourse.pk.routes import fit_ka_to_tmax, model_tmax_min

T = np.arange(0, 60.0)
OK = pk.bolus(10.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: pk.bolus(-1.0), r"dose_mg must be a finite number >= 0"),
        (lambda: pk.bolus(math.nan), r"dose_mg must be .*got nan"),
        (lambda: pk.bolus(math.inf), r"dose_mg"),
        (lambda: pk.bolus(dose_mg_per_kg=-0.5), r"dose_mg_per_kg must be a finite number >= 0"),
        (lambda: pk.bolus(), r"exactly one of dose_mg and dose_mg_per_kg"),
        (lambda: pk.bolus(1.0, dose_mg_per_kg=1.0), r"exactly one of dose_mg and dose_mg_per_kg"),
        (lambda: pk.bolus(1.0, route="transdermal"), r"route must be one of 'iv', 'im'.*got 'transdermal'"),
        (lambda: pk.bolus(1.0, time_min=-5), r"time_min must be a finite number >= 0"),
        (lambda: pk.bolus(1.0, form="sulfate"), r"form must be one of 'base', 'hcl'"),
        (lambda: pk.bolus(1.0, device_index=-1), r"device_index must be an integer >= 0"),
        (lambda: pk.infusion(rate_mg_per_min=1.0, duration_min=0.0), r"duration_min must be a finite number > 0"),
        (lambda: pk.infusion(rate_mg_per_min=1.0, duration_min=-3.0), r"duration_min must be a finite number > 0"),
        (lambda: pk.infusion(rate_mg_per_min=-1.0, duration_min=10.0), r"rate_mg_per_min must be a finite number >= 0"),
        (lambda: pk.infusion(dose_mg=math.nan, duration_min=10.0), r"dose_mg must be"),
        (lambda: pk.infusion(duration_min=10.0), r"give exactly one of rate_mg_per_min"),
        (lambda: pk.infusion(dose_mg=1, rate_mg_per_min=1, duration_min=10.0), r"give exactly one of"),
        (lambda: pk.infusion(dose_mg=1, duration_min=10.0, start_min=-1), r"start_min must be a finite number >= 0"),
        (lambda: pk.stepped_infusion([1, 2], [10]), r"same length"),
        (lambda: pk.stepped_infusion([1, 2], [10, 0]), r"durations_min must be a finite number > 0"),
        (lambda: pk.repeat(OK, every_min=0, times=2), r"every_min must be a finite number > 0"),
        (lambda: pk.repeat(OK, every_min=10, times=0), r"times must be an integer >= 1"),
        (lambda: pk.nasal_session(30.0), r"total_dose_mg must be a whole number of devices"),
        (lambda: pk.Regimen("10 mg"), r"regimen events must be Bolus or Infusion"),
        (lambda: pk.simulate("nosuchmodel", OK, 70, T), r"model must be one of 'domino1982'.*got 'nosuchmodel'"),
        (lambda: pk.simulate("domino1982", OK, 0, T), r"weight_kg must be a finite number > 0 and <= 350 kg; got 0"),
        (lambda: pk.simulate("domino1982", OK, -70, T), r"weight_kg must be a finite number > 0"),
        (lambda: pk.simulate("domino1982", OK, math.nan, T), r"weight_kg"),
        (lambda: pk.simulate("domino1982", OK, 70, [0, 10, 5]), r"times_min must be strictly increasing; element 2 \(5\) follows 10"),
        (lambda: pk.simulate("domino1982", OK, 70, [0, 10, 10]), r"times_min must be strictly increasing"),
        (lambda: pk.simulate("domino1982", OK, 70, [-1, 10]), r"times_min must be a finite number >= 0"),
        (lambda: pk.simulate("domino1982", OK, 70, []), r"times_min must not be empty"),
        (lambda: pk.simulate("domino1982", OK, 70, T, age_years=-1), r"age_years must be a finite number >= 0 and <= 120"),
        (lambda: pk.simulate("domino1982", OK, 70, T, ke0_per_min=0), r"ke0_per_min must be a finite number > 0"),
        (lambda: pk.simulate("domino1982", OK, 70, T, method="rk45"), r"method must be one of 'eig', 'expm'"),
        (lambda: pk.simulate("domino1982", "10 mg", 70, T), r"regimen must be a Regimen"),
        (lambda: pk.simulate("perezruixo2021", pk.bolus(10.0, route="im"), 70, T), r"route must be one of 'iv', 'intranasal', 'oral'; got 'im'"),
        (lambda: pk.simulate("domino1982", pk.bolus(10.0, route="oral"), 70, T, route_sets={"oral": "x"}), r"route_sets\['oral'\] must be one of 'chong2006'"),
        (lambda: pk.simulate("domino1982", OK, 70, T).cmax_ng_ml("metabolite"), r"which='metabolite' is not available"),
        (lambda: pk.simulate("domino1982", OK, 70, T).cmax_ng_ml("brain"), r"which must be one of"),
        (lambda: pk.simulate("domino1982", OK, 70, T).time_above_min(-1), r"threshold_ng_ml must be a finite number >= 0"),
        (lambda: pk.simulate_population("domino1982", OK, 70, T, n_patients=0), r"n_patients must be an integer from 1"),
        (lambda: pk.simulate_population("domino1982", OK, 70, T, n_patients=10, seed=-1), r"seed must be a non-negative integer"),
        (lambda: pk.simulate_population("domino1982", OK, 70, T, n_patients=10, seed=1, rng=np.random.default_rng()), r"give seed or rng"),
        (lambda: pk.simulate_population("domino1982", OK, 70, T, n_patients=10, percentiles=[5, 101]), r"percentiles must be a finite number >= 0 and <= 100"),
        (lambda: pk.simulate_population("domino1982", OK, 70, T, n_patients=10, rng=42), r"rng must be a numpy.random.Generator"),
        (lambda: pk.context_sensitive_half_time_min("domino1982", 70, [0, 10]), r"infusion_durations_min must be a finite number > 0"),
        (lambda: pk.context_sensitive_half_time_min("domino1982", 70, [10], decrement_percent=100), r"decrement_percent must be a finite number > 0 and < 100"),
        (lambda: pk.ka_from_tmax(0), r"tmax_min must be a finite number > 0"),
        (lambda: pk.ka_from_tmax(500, k_per_min=0.01), r"tmax_min must be < 1/k_per_min"),
        (lambda: pk.tmax([0, 1], [1, 2, 3]), r"conc_ng_ml must have 2 values"),
        (lambda: pk.terminal_half_life_from_curve([0, 1, 2], [1, 2, 3], 2), r"not falling"),
        (lambda: pk.route_set("oral", "nonexistent"), r"route_sets\['oral'\] must be one of"),
        (lambda: fit_ka_to_tmax("domino1982", 0.0), r"tmax_min must be a finite number > 0"),
        (lambda: fit_ka_to_tmax("domino1982", 30.0, ka_bounds_per_min=(1.0, 0.1)), r"ka_bounds_per_min must be \(low, high\)"),
        (lambda: model_tmax_min("domino1982", 0.0), r"ka_per_min must be a finite number > 0"),
        (lambda: model_tmax_min("perezruixo2021", 0.1), r"has its own absorption model"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_validity_warning_outside_population():
    """simulate() warns (not raises) when weight or age is outside the source population."""
    with pytest.warns(pk.ModelValidityWarning, match=r"weight_kg=120 is outside the range of the fanta2015"):
        pk.simulate("fanta2015", OK, 120, T, age_years=25)
    with pytest.warns(pk.ModelValidityWarning, match=r"age_years=40 is outside the range of the sherwin2015"):
        pk.simulate("sherwin2015", OK, 30, T, age_years=40)
    with pytest.warns(pk.ModelValidityWarning, match=r"age_years=10"):
        pk.simulate("domino1982", OK, 30, T, age_years=10)
