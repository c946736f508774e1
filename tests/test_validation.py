"""Argument checks: every bad value raises a ValueError naming the argument, value and range."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse.validation import check_choice, check_increasing, check_real


# ----------------------------------------------------------------------------- check_real
def test_check_real_returns_float_for_scalars_and_array_for_arrays():
    out = check_real("x", 3)
    assert isinstance(out, float) and out == 3.0
    out = check_real("x", np.float32(2.5))
    assert isinstance(out, float) and out == 2.5
    arr = check_real("x", [1, 2, 3])
    assert isinstance(arr, np.ndarray) and arr.dtype == float
    np.testing.assert_array_equal(arr, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.nan])
def test_check_real_rejects_non_finite(bad):
    with pytest.raises(ValueError, match=r"^dose_mg must be a finite number; got (nan|inf|-inf)"):
        check_real("dose_mg", bad)


@pytest.mark.parametrize("bad", [True, False, np.True_, [True, False], np.array([1.0, 2.0]) > 1])
def test_check_real_rejects_bools(bad):
    with pytest.raises(ValueError, match=r"^flag_value must be a finite number"):
        check_real("flag_value", bad)


@pytest.mark.parametrize("bad", ["3", "abc", b"3", ["1", "2"], None, object(), {"a": 1}, [[1.0], [1.0, 2.0]]])
def test_check_real_rejects_non_numbers(bad):
    with pytest.raises(ValueError, match=r"^conc_um must be a finite number >= 0 µM; got "):
        check_real("conc_um", bad, low=0, unit="µM")


def test_check_real_array_reports_first_bad_element_and_its_index():
    with pytest.raises(ValueError, match=r"conc_um must be a finite number >= 0 µM; got -2 µM \(element 2\)"):
        check_real("conc_um", [0.0, 1.0, -2.0, -3.0], low=0, unit="µM")
    with pytest.raises(ValueError, match=r"got nan \(element 1\)"):
        check_real("conc_um", [1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match=r"got inf mV \(element 3\)"):
        check_real("v", np.array([[0.0, 1.0], [2.0, np.inf]]), unit="mV")


def test_check_real_rejects_empty():
    with pytest.raises(ValueError, match=r"^times must not be empty; allowed: a finite number >= 0"):
        check_real("times", [], low=0)


def test_check_real_closed_bounds_accept_the_bound():
    assert check_real("p", 0.0, low=0, high=1) == 0.0
    assert check_real("p", 1.0, low=0, high=1) == 1.0
    with pytest.raises(ValueError, match=r"^p must be a finite number >= 0 and <= 1; got -0\.01"):
        check_real("p", -0.01, low=0, high=1)
    with pytest.raises(ValueError, match=r"^p must be a finite number >= 0 and <= 1; got 1\.01"):
        check_real("p", 1.01, low=0, high=1)


def test_check_real_open_bounds_reject_the_bound():
    with pytest.raises(ValueError, match=r"^ki_um must be a finite number > 0 µmol/L; got 0 µmol/L"):
        check_real("ki_um", 0.0, low=0, low_open=True, unit="µmol/L")
    with pytest.raises(ValueError, match=r"^occ must be a finite number >= 0 and < 1; got 1"):
        check_real("occ", 1.0, low=0, high=1, high_open=True)
    assert check_real("ki_um", 1e-12, low=0, low_open=True) == 1e-12
    assert check_real("occ", 0.999999, low=0, high=1, high_open=True) == 0.999999


def test_check_real_only_upper_bound_and_unit_in_message():
    with pytest.raises(ValueError, match=r"^voltage_mv must be a finite number <= 60 mV; got 61 mV$"):
        check_real("voltage_mv", 61, high=60, unit="mV")


# ----------------------------------------------------------------------------- check_choice
def test_check_choice_accepts_members_and_returns_them():
    assert check_choice("route", "iv", ["iv", "oral"]) == "iv"
    assert check_choice("route", "oral", ("iv", "oral")) == "oral"


@pytest.mark.parametrize("bad", ["IV", "nasal", "", None, 1, ["iv"]])
def test_check_choice_lists_allowed_values(bad):
    with pytest.raises(ValueError, match=r"^route must be one of 'iv', 'oral'; got "):
        check_choice("route", bad, ["iv", "oral"])


def test_check_choice_accepts_a_generator_of_choices():
    assert check_choice("ligand", "b", (x for x in "abc")) == "b"


# ----------------------------------------------------------------------------- check_increasing
def test_check_increasing_returns_float_array():
    out = check_increasing("times_ms", [0, 1, 2.5])
    assert out.dtype == float
    np.testing.assert_array_equal(out, [0.0, 1.0, 2.5])
    # a scalar is a one-element sequence
    np.testing.assert_array_equal(check_increasing("times_ms", 3), [3.0])


def test_check_increasing_reports_the_offending_step():
    with pytest.raises(ValueError, match=r"^times_ms must be strictly increasing; element 2 \(1\) follows 2$"):
        check_increasing("times_ms", [0, 2, 1, 3])
    with pytest.raises(ValueError, match=r"^times_ms must be strictly increasing; element 1 \(0\) follows 0$"):
        check_increasing("times_ms", [0, 0, 1])


def test_check_increasing_non_strict_allows_ties_not_decreases():
    np.testing.assert_array_equal(check_increasing("t", [0, 0, 1], strictly=False), [0, 0, 1])
    with pytest.raises(ValueError, match=r"^t must be non-decreasing; element 2 \(0\) follows 1$"):
        check_increasing("t", [0, 1, 0], strictly=False)


def test_check_increasing_rejects_two_dimensional_and_non_finite():
    with pytest.raises(ValueError, match=r"^t must be a one-dimensional sequence; got shape \(2, 2\)"):
        check_increasing("t", [[0, 1], [2, 3]])
    with pytest.raises(ValueError, match=r"^t must be a finite number.*; got nan ms \(element 1\)"):
        check_increasing("t", [0, np.nan, 2], unit="ms")
