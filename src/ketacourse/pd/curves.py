"""Concentration-effect curves: linear, Emax and sigmoid Emax (stimulatory and inhibitory).

All functions are vectorised over ``conc`` and return a float for scalar input. Concentrations
and EC50 share one unit (the package uses ng/mL); effects carry the unit of ``emax``/``e0``.

    linear:         E = E0 + slope * C
    Emax:           E = E0 + Emax * C / (EC50 + C)
    sigmoid Emax:   E = E0 + Emax * C^n / (EC50^n + C^n)            (stimulatory)
                    E = E0 - Emax * C^n / (EC50^n + C^n)            (inhibitory)

``EC50`` (for an inhibitory effect often called IC50) measures **potency**, ``Emax`` **efficacy**
and the Hill coefficient ``n`` **steepness**: the concentration must rise by the factor
``81**(1/n)`` to go from 10% to 90% of the maximal effect.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..validation import check_real

__all__ = [
    "linear",
    "emax_model",
    "sigmoid_emax",
    "fraction_of_max",
    "concentration_for_fraction",
    "window_ratio",
]

HILL_RANGE = (0.1, 20.0)
"""Allowed Hill coefficients (unitless). Outside this, the curve is a ramp or a step, not a model."""


def _conc(conc):
    return check_real("conc", conc, low=0)


def _hill(hill):
    return check_real("hill", hill, low=HILL_RANGE[0], high=HILL_RANGE[1])


def fraction_of_max(conc, ec50: float, hill: float = 1.0):
    """Fraction of the maximal effect, ``C^n / (EC50^n + C^n)`` (0 to 1).

    Parameters
    ----------
    conc : float or array_like
        Concentration (>= 0, same unit as ``ec50``).
    ec50 : float
        Concentration giving half the maximal effect (> 0).
    hill : float
        Hill coefficient (0.1 to 20).

    Raises
    ------
    ValueError
        If ``conc`` is negative or not finite, ``ec50`` is not positive, or ``hill`` is outside
        0.1 to 20.
    """
    c = _conc(conc)
    k = check_real("ec50", ec50, low=0, low_open=True)
    n = _hill(hill)
    # (C/EC50)^n / (1 + (C/EC50)^n) = expit(n ln(C/EC50)): no overflow for large C or n
    with np.errstate(divide="ignore", over="ignore"):
        out = expit(n * (np.log(np.asarray(c, dtype=float)) - np.log(k)))
    return float(out) if np.ndim(out) == 0 else out


def sigmoid_emax(conc, emax: float, ec50: float, hill: float = 1.0, *, e0: float = 0.0,
                 inhibitory: bool = False):
    """Sigmoid Emax (Hill) model.

    Parameters
    ----------
    conc : float or array_like
        Concentration (>= 0).
    emax : float
        Maximal change from baseline (>= 0, unit of the effect).
    ec50 : float
        Concentration of half-maximal effect (> 0; IC50 for an inhibitory effect).
    hill : float
        Hill coefficient (0.1 to 20); 1 gives the plain Emax model.
    e0 : float
        Baseline effect (any finite value).
    inhibitory : bool
        ``True``: the effect falls from ``e0`` by up to ``emax``; ``False``: it rises.

    Returns
    -------
    float or numpy.ndarray
        The effect, in the unit of ``emax``.

    Raises
    ------
    ValueError
        For a negative or non-finite concentration, a negative ``emax``, a non-positive ``ec50``
        or a Hill coefficient outside 0.1 to 20.
    """
    m = check_real("emax", emax, low=0)
    b = check_real("e0", e0)
    if not isinstance(inhibitory, (bool, np.bool_)):
        raise ValueError(f"inhibitory must be True or False; got {inhibitory!r}")
    f = fraction_of_max(conc, ec50, hill)
    return b - m * f if inhibitory else b + m * f


def emax_model(conc, emax: float, ec50: float, *, e0: float = 0.0, inhibitory: bool = False):
    """Hyperbolic Emax model, the sigmoid model with ``hill = 1`` (see :func:`sigmoid_emax`)."""
    return sigmoid_emax(conc, emax, ec50, 1.0, e0=e0, inhibitory=inhibitory)


def linear(conc, slope: float, *, intercept: float = 0.0):
    """Linear model ``E = intercept + slope * C``.

    Valid only over the concentration range in which it was fitted: a linear relation has no
    maximum, so it cannot be extrapolated.

    Raises
    ------
    ValueError
        For a negative or non-finite concentration, or a non-finite slope or intercept.
    """
    c = _conc(conc)
    s = check_real("slope", slope)
    b = check_real("intercept", intercept)
    return b + s * c


def concentration_for_fraction(fraction, ec50: float, hill: float = 1.0):
    """Concentration giving ``fraction`` of the maximal effect: ``EC50 * (f / (1 - f))^(1/n)``.

    Raises
    ------
    ValueError
        If ``fraction`` is not strictly between 0 and 1, ``ec50`` is not positive or ``hill`` is
        outside 0.1 to 20.
    """
    f = check_real("fraction", fraction, low=0, high=1, low_open=True, high_open=True)
    k = check_real("ec50", ec50, low=0, low_open=True)
    n = _hill(hill)
    return k * np.power(f / (1.0 - f), 1.0 / n)


def window_ratio(hill: float, low_fraction: float = 0.1, high_fraction: float = 0.9) -> float:
    """Factor by which the concentration must rise to go from ``low_fraction`` to ``high_fraction``
    of the maximal effect (81 for n = 1, 9 for n = 2 with the default 10% and 90%).

    Raises
    ------
    ValueError
        If the fractions are not strictly between 0 and 1 with ``low_fraction < high_fraction``.
    """
    lo = check_real("low_fraction", low_fraction, low=0, high=1, low_open=True, high_open=True)
    hi = check_real("high_fraction", high_fraction, low=0, high=1, low_open=True, high_open=True)
    if not lo < hi:
        raise ValueError(f"low_fraction must be below high_fraction; got {lo:g} and {hi:g}")
    return float(concentration_for_fraction(hi, 1.0, hill) / concentration_for_fraction(lo, 1.0, hill))
