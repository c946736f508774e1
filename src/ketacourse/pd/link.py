"""From concentration to effect over time: the effect-site link and hysteresis loops.

The effect site is the PK engine's own effect compartment (:mod:`ketacourse.pk`:
``dCe/dt = ke0 (Cp - Ce)``, default ``ke0 = ln 2 / 6.1 min`` from Olofsen 2012). A published
concentration-effect model is applied to the effect-site concentration, so the effect lags the
plasma curve; plotted against plasma concentration the effect traces a loop (hysteresis), which
collapses onto one curve when plotted against the effect-site concentration.

Units: time min, concentrations ng/mL, effects in the PD model's unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import pk
from ..validation import check_increasing, check_real
from .published import PDModel, get_pd_model

__all__ = ["EffectResult", "effect_time_course", "simulate_effect", "effect_site_concentration",
           "loop_area", "normalised_loop_area"]


@dataclass
class EffectResult:
    """Concentrations and effects over time.

    Attributes
    ----------
    times_min : numpy.ndarray
    plasma_ng_ml, effect_site_ng_ml : numpy.ndarray
        Plasma (per the PK model's sampling site) and effect-site concentrations (ng/mL).
    effect : numpy.ndarray
        The PD model applied to the effect-site concentration (the model's prediction).
    effect_if_plasma : numpy.ndarray
        The PD model applied to the plasma concentration (what ignoring the lag would predict).
    pd_model : PDModel
    pk_result : PKResult or None
    """

    times_min: np.ndarray
    plasma_ng_ml: np.ndarray
    effect_site_ng_ml: np.ndarray
    effect: np.ndarray
    effect_if_plasma: np.ndarray
    pd_model: PDModel
    pk_result: object = field(default=None, repr=False)

    def loop_area(self, axis: str = "plasma") -> float:
        """Normalised area of the effect-versus-concentration loop on the ``"plasma"`` or
        ``"effect"`` (effect-site) axis (see :func:`normalised_loop_area`)."""
        if axis not in ("plasma", "effect"):
            raise ValueError(f"axis must be one of 'plasma', 'effect'; got {axis!r}")
        conc = self.plasma_ng_ml if axis == "plasma" else self.effect_site_ng_ml
        return normalised_loop_area(conc, self.effect)


def _resolve(pd_model: str | PDModel) -> PDModel:
    return pd_model if isinstance(pd_model, PDModel) else get_pd_model(pd_model)


def effect_time_course(pd_model: str | PDModel, pk_result) -> EffectResult:
    """Apply ``pd_model`` to a :class:`ketacourse.pk.PKResult` (its plasma and effect-site curves).

    Raises
    ------
    ValueError
        If ``pd_model`` is not a known key.
    """
    m = _resolve(pd_model)
    cp = np.asarray(pk_result.conc_ng_ml, dtype=float)
    ce = np.asarray(pk_result.effect_ng_ml, dtype=float)
    return EffectResult(times_min=np.asarray(pk_result.times_min, dtype=float), plasma_ng_ml=cp,
                        effect_site_ng_ml=ce, effect=m.effect(np.maximum(ce, 0.0)),
                        effect_if_plasma=m.effect(np.maximum(cp, 0.0)), pd_model=m, pk_result=pk_result)


def simulate_effect(pd_model: str | PDModel, pk_model: str, regimen, weight_kg: float, times_min, *,
                    ke0_per_min: float | None = None, **pk_options) -> EffectResult:
    """Simulate a dose with the PK engine and the effect with a published PD model.

    Parameters
    ----------
    pd_model : str or PDModel
        For example ``"schuttler1987_racemic"``.
    pk_model : str
        A key of :func:`ketacourse.pk.list_models` (for example ``"domino1982"``).
    regimen, weight_kg, times_min
        As for :func:`ketacourse.pk.simulate` (doses in mg of base, times in min).
    ke0_per_min : float, optional
        Effect-site rate constant (1/min); default the package's sourced value
        (:func:`ketacourse.pk.default_ke0_per_min`).
    **pk_options
        Passed to :func:`ketacourse.pk.simulate` (for example ``warn=False``).

    Raises
    ------
    ValueError
        From either model (unknown key, bad dose, weight, times or ke0).
    """
    m = _resolve(pd_model)
    res = pk.simulate(pk_model, regimen, weight_kg, times_min, ke0_per_min=ke0_per_min, **pk_options)
    return effect_time_course(m, res)


def effect_site_concentration(times_min, plasma_ng_ml, ke0_per_min: float | None = None,
                              ce0_ng_ml: float = 0.0) -> np.ndarray:
    """Effect-site concentration for any plasma curve, taken as linear between samples.

    Solves ``dCe/dt = ke0 (Cp - Ce)`` exactly for a piecewise-linear ``Cp`` (no ODE solver):
    over a step ``h`` with plasma slope ``s``,
    ``Ce1 = Ce0 e^(-k h) + Cp0 (1 - e^(-k h)) + s (h - (1 - e^(-k h)) / k)``.

    Raises
    ------
    ValueError
        If the times are not strictly increasing, the arrays differ in length, a concentration is
        negative or not finite, or ``ke0_per_min`` is not positive.
    """
    t = check_increasing("times_min", times_min, unit="min")
    cp = np.atleast_1d(check_real("plasma_ng_ml", plasma_ng_ml, low=0, unit="ng/mL"))
    if cp.shape != t.shape:
        raise ValueError(f"plasma_ng_ml must have one value per time ({t.size}); got {cp.size}")
    k = pk.default_ke0_per_min() if ke0_per_min is None else float(
        check_real("ke0_per_min", ke0_per_min, low=0, low_open=True, unit="1/min"))
    ce = np.empty_like(cp)
    ce[0] = check_real("ce0_ng_ml", ce0_ng_ml, low=0, unit="ng/mL")
    h = np.diff(t)
    decay = np.exp(-k * h)
    slope = np.diff(cp) / h
    gain = cp[:-1] * (1.0 - decay) + slope * (h - (1.0 - decay) / k)
    for i in range(h.size):  # a short recurrence; each step is exact
        ce[i + 1] = ce[i] * decay[i] + gain[i]
    return ce


def loop_area(conc, effect) -> float:
    """Absolute area enclosed by the path (conc, effect), closed from the last point to the first
    (shoelace formula), in concentration x effect units.

    Raises
    ------
    ValueError
        If the arrays differ in length, have fewer than three points or are not finite.
    """
    x = np.atleast_1d(check_real("conc", conc))
    y = np.atleast_1d(check_real("effect", effect))
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"conc and effect must be one-dimensional and of equal length; got {x.shape} and {y.shape}")
    if x.size < 3:
        raise ValueError(f"conc must hold at least 3 points to enclose an area; got {x.size}")
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def normalised_loop_area(conc, effect) -> float:
    """:func:`loop_area` divided by the bounding box (range of conc x range of effect): 0 for a
    path that retraces one curve, up to 1 for a loop that fills its box."""
    x = np.atleast_1d(check_real("conc", conc))
    y = np.atleast_1d(check_real("effect", effect))
    box = float(np.ptp(x) * np.ptp(y)) if x.size else 0.0
    area = loop_area(x, y)
    return 0.0 if box == 0.0 else area / box
