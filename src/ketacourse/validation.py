"""Argument checks shared by every model and widget.

Every public function in :mod:`ketacourse` validates its inputs with these helpers, so a bad
value always raises a :class:`ValueError` that names the argument, shows the value and states
the allowed range. Nothing is silently clipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def _describe_range(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return "a finite number"
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return "a finite number " + " and ".join(parts)


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    unit: str = "",
) -> np.ndarray | float:
    """Check that ``value`` (a number or array) is finite and inside ``[low, high]``.

    Parameters
    ----------
    name : str
        The argument's name as the caller wrote it (for example ``"conc_ng_ml"``).
    value : float or array_like
        The value to check.
    low, high : float, optional
        Allowed bounds; ``None`` means unbounded on that side.
    low_open, high_open : bool
        Make a bound exclusive (``> low`` instead of ``>= low``).
    unit : str
        Unit shown in the error message (for example ``"ng/mL"``).

    Returns
    -------
    float or numpy.ndarray
        A float for scalar input, else a float array.

    Raises
    ------
    ValueError
        If any element is NaN, infinite, not numeric, or outside the range.
    """
    unit_txt = f" {unit}" if unit else ""
    allowed = _describe_range(low, high, low_open, high_open)
    allowed += unit_txt if (low is not None or high is not None) else (f" (in {unit})" if unit else "")
    try:
        # None, True/False and numeric strings would otherwise pass silently as nan, 1.0, 0.0 or 3.0.
        if value is None or isinstance(value, (bool, np.bool_, str, bytes)) or np.asarray(value).dtype.kind in "bUS":
            raise TypeError
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {allowed}; got {value!r}") from None
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; allowed: {allowed}")
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
    if high is not None:
        bad |= (arr >= high) if high_open else (arr > high)
    if np.any(bad):
        first = arr.flat[int(np.flatnonzero(bad)[0])]
        where = "" if arr.ndim == 0 else f" (element {int(np.flatnonzero(bad)[0])})"
        raise ValueError(f"{name} must be {allowed}; got {first:g}{unit_txt}{where}")
    return float(arr) if arr.ndim == 0 else arr


def check_choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    """Check that ``value`` is one of ``allowed`` (exact match) and return it.

    Raises
    ------
    ValueError
        Naming the argument, the value and the allowed choices.
    """
    options = list(allowed)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}; got {value!r}")
    return value


def check_increasing(name: str, values: Any, *, strictly: bool = True, unit: str = "") -> np.ndarray:
    """Check that a 1-D array is finite and (strictly) increasing; return it as floats."""
    arr = np.atleast_1d(check_real(name, values, unit=unit))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional sequence; got shape {arr.shape}")
    steps = np.diff(arr)
    bad = steps <= 0 if strictly else steps < 0
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        kind = "strictly increasing" if strictly else "non-decreasing"
        raise ValueError(f"{name} must be {kind}; element {i + 1} ({arr[i + 1]:g}) follows {arr[i]:g}")
    return arr
