"""Routes of administration: how a dose reaches the body (``data/routes.toml``).

A dose given by an extravascular route is split into *absorption pathways*: a fraction of the
dose is put into a depot compartment and absorbed (first order, rate ``ka``) into its target
(the central compartment, the liver compartment of the hepatic first-pass model, or the
metabolite's central compartment for presystemic norketamine formation). The rest is never
absorbed. Optionally the dose enters the depot at a constant rate over a time (zero-order
input, as in the Perez-Ruixo model's swallowed portion).

Absorption rate constants (ka) are almost never published for ketamine; a published time of peak
plasma concentration (Tmax) is. For every model without its own absorption model, ka is chosen
**at run time** so that *that model's* simulated plasma Tmax after a single dose equals the
published Tmax of the route data set (:func:`fit_ka_to_tmax`, flag D in ``routes.toml``): the exact
peak time of the model's own disposition (central and peripheral compartments) is found for a
given ka, and ka is solved for with Brent's method. The result is cached per (model disposition
parameters, Tmax), so a model at a given weight is fitted once per route data set. If no ka in
the searched range reproduces the Tmax, the one-compartment value :func:`ka_from_tmax` (stored as
``ka_per_min`` in ``routes.toml``) is used and a note says so.

Peak height (flag D, "calibrated to Cmax"). A route data set may also list the published peak
concentrations (``peaks`` in ``routes.toml``) with the dose, form, enantiomer, sampling site and
population they were measured in. One of them (``calibrate = true``: same study as the set's F and
Tmax, same enantiomer as the model) fixes the *shape* of absorption with F unchanged: the dose enters
the depot at a constant rate over ``zero_order_min`` minutes and leaves it with rate ``ka``, and the two
are solved so that the model's own peak has the published time **and** height
(:func:`fit_absorption_to_peak`). F stays the published AUC-based value, so exposure (AUC) is not
changed by the calibration. The fit is made once per model, at the study's body weight, and cached.
When even first-order absorption (zero_order_min = 0) puts the peak too high, no shape fix can lower
it without changing F: the Tmax-only ka is kept and the miss is reported. :func:`peak_check` compares
every published peak with the model's (``docs/pk-validation.md``).

Time unit: minutes. Fractions are unitless.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
from scipy.optimize import brentq

from .. import diskcache
from ..data import load_table
from ..validation import check_choice, check_real
from .compartments import build_system
from .models import get_model, model_keys
from .regimen import ROUTES

__all__ = ["ROUTES", "Pathway", "route_set", "route_set_names", "ka_from_tmax", "pathways_for",
           "model_tmax_min", "fit_ka_to_tmax", "route_absorption", "route_peaks", "fit_absorption_to_peak",
           "peak_check", "peak_validation"]


_FIRST_PASS_ROUTES = ("intranasal", "oral", "sublingual", "rectal")


@dataclass(frozen=True)
class Pathway:
    """One absorption pathway of a dose.

    Attributes
    ----------
    fraction : float or numpy.ndarray
        Fraction of the dose that enters this pathway (per patient if an array).
    depot : str or None
        Depot compartment name; ``None`` means the dose goes straight into ``target``.
    target : str
        Compartment the absorbed drug enters (``"central"``, ``"liver"`` or ``"nk_central"``).
    ka_per_min : float or numpy.ndarray
        First-order absorption rate constant (1/min); unused when ``depot`` is ``None``.
    zero_order_min : float
        Duration (min) over which the dose enters the depot at a constant rate; 0 = at once.
    note : str
        Where the numbers come from.
    """

    fraction: Any
    depot: str | None
    target: str
    ka_per_min: Any = 0.0
    zero_order_min: float = 0.0
    note: str = ""


@cache
def _routes_table() -> dict[str, Any]:
    return load_table("routes")


def route_set_names(route: str) -> tuple[str, ...]:
    """Names of the published data sets for an extravascular ``route``."""
    check_choice("route", route, ROUTES[1:])
    return tuple(_routes_table()["routes"][route]["sets"])


def route_set(route: str, set_name: str | None = None) -> dict[str, Any]:
    """Bioavailability and absorption data for ``route`` (default set unless ``set_name``).

    Returns
    -------
    dict
        ``{"name", "bioavailability", "ka_per_min", "tmax_min", "source", "flag", "note",
        "absorption_source", "absorption_flag", "absorption_note"}``. ``tmax_min`` is the
        published Tmax (the data); ``ka_per_min`` is its **one-compartment** conversion
        (:func:`ka_from_tmax`), used only as the fallback. The ka a simulation actually uses is
        fitted to each model: see :func:`route_absorption`.
    """
    check_choice("route", route, ROUTES[1:])
    table = _routes_table()["routes"][route]
    name = table["default"] if set_name is None else check_choice(f"route_sets[{route!r}]", set_name, tuple(table["sets"]))
    s = table["sets"][name]
    a = s["absorption"]
    return {
        "name": name,
        "bioavailability": float(s["bioavailability"]),
        "ka_per_min": float(a["ka_per_min"]),
        "tmax_min": float(a["tmax_min"]),
        "source": s["source"],
        "flag": s["flag"],
        "note": s.get("note", ""),
        "absorption_source": a["source"],
        "absorption_flag": a["flag"],
        "absorption_note": a.get("note", ""),
    }


def ka_from_tmax(tmax_min: float, k_per_min: float | None = None) -> float:
    """Absorption rate constant (1/min) that gives ``tmax_min`` in a one-compartment model.

    Solves ``tmax = ln(ka / k) / (ka - k)`` for ``ka > k`` (the Bateman function's peak time).
    This is the method behind every stored ``ka_per_min`` in ``routes.toml``. Simulations use it
    only as a fallback: for multi-compartment models it gives a peak far earlier than ``tmax_min``,
    so ka is fitted to each model instead (:func:`fit_ka_to_tmax`).

    Parameters
    ----------
    tmax_min : float
        Published time of peak plasma concentration (min), > 0.
    k_per_min : float, optional
        Elimination rate constant (1/min). Default: CL/Vd of the Kamp 2020 meta-analysis
        (79 L/h / 252 L = 0.0052249 /min), as stored in ``routes.toml`` ``[ka_from_tmax]``.

    Returns
    -------
    float
        ka in 1/min.
    """
    t = check_real("tmax_min", tmax_min, low=0, low_open=True, unit="min")
    if k_per_min is None:
        m = _routes_table()["ka_from_tmax"]
        k = m["clearance_l_per_h"] / m["volume_l"] / 60.0
    else:
        k = check_real("k_per_min", k_per_min, low=0, low_open=True, unit="1/min")
    t_limit = 1.0 / k  # tmax -> 1/k as ka -> k
    if t >= t_limit:
        raise ValueError(f"tmax_min must be < 1/k_per_min = {t_limit:g} min for a solution with ka > k; got {t:g}")
    f = lambda ka: math.log(ka / k) / (ka - k) - t  # noqa: E731
    hi = k * 2.0
    while f(hi) > 0:
        hi *= 2.0
    return float(brentq(f, k * (1 + 1e-12), hi, xtol=1e-14, rtol=1e-12))


# ---- ka fitted to each model's own Tmax --------------------------------------------------------
_PARENT_STATES = ("central", "periph2", "periph3")
_KA_SCAN = np.geomspace(1e-5, 50.0, 57)  # 1/min: searched range for the fitted ka (8 per decade)


def _phi(x: np.ndarray) -> np.ndarray:
    """``(exp(x) - 1) / x`` with the limit 1 at ``x = 0`` (``x <= 0`` here)."""
    out = np.ones_like(x)
    nz = x != 0.0
    out[nz] = np.expm1(x[nz]) / x[nz]
    return out


def _disposition_key(model, weight_kg: float) -> tuple:
    """Rate constants (1/min) of the parent-drug disposition matrix, rounded for caching.

    Only the central and peripheral compartments matter for the plasma Tmax after a dose absorbed
    into the central compartment (metabolite and effect-site states do not feed back).
    """
    p = dict(model.typical_parameters(weight_kg))
    p.setdefault("ke0", 1.0)
    sys_ = build_system(model, p, {})
    keep = [sys_.index(s) for s in _PARENT_STATES if s in sys_.states]
    sub = sys_.A[0][np.ix_(keep, keep)]
    return tuple(float(f"{v:.12g}") for v in sub.ravel())


@lru_cache(maxsize=256)
def _modes(key: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Disposition rates ``mu`` (1/min, > 0) and central-amount weights ``a`` of the unit impulse
    response ``h(t) = sum a_i exp(-mu_i t)`` into and out of the central compartment."""
    n = int(round(math.sqrt(len(key))))
    A = np.asarray(key, dtype=float).reshape(n, n)
    lam, V = np.linalg.eig(A)
    if np.max(np.abs(lam.imag)) > 1e-12 * np.max(np.abs(lam.real)):
        raise ValueError("disposition matrix has complex eigenvalues")
    Vinv = np.linalg.inv(V)
    a = (V[0, :] * Vinv[:, 0]).real
    return -lam.real, a


def _conc_and_slope(t: np.ndarray, ka: float, mu: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central amount (up to a constant) and its time derivative after a unit dose into a depot
    absorbed at rate ``ka``: ``sum a_i ka (exp(-mu_i t) - exp(-ka t)) / (ka - mu_i)``, written in a
    form that is stable when ``ka`` is close to some ``mu_i``."""
    t = np.asarray(t, dtype=float)[..., None]
    lo, hi = np.minimum(mu, ka), np.maximum(mu, ka)
    e = np.exp(-lo * t)
    ph = _phi(-(hi - lo) * t)
    c = (a * ka * e * t * ph).sum(axis=-1)
    dc = (a * ka * e * (1.0 - hi * t * ph)).sum(axis=-1)
    return c, dc


def _tmax_for_ka(ka: float, mu: np.ndarray, a: np.ndarray) -> float:
    """Exact time (min) of the highest plasma concentration for absorption rate ``ka``."""
    horizon = 30.0 / min(ka, float(mu.min()))
    t = np.concatenate([[0.0], np.geomspace(1e-4, horizon, 1500)])
    c, dc = _conc_and_slope(t, ka, mu, a)
    j = int(np.argmax(c))
    if j == 0 or j == len(t) - 1:
        return float(t[j])
    f = lambda x: float(_conc_and_slope(np.array([x]), ka, mu, a)[1][0])  # noqa: E731
    lo, hi = t[j - 1], t[j + 1]
    if f(lo) <= 0.0 or f(hi) >= 0.0:  # should not happen for a grid maximum; keep the grid point
        return float(t[j])
    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-13))


def _kept(kind: str, args: dict[str, Any], compute: Callable[[], tuple]) -> tuple:
    """``compute()`` (a tuple of floats, None and strings), kept in the disk cache
    (:mod:`ketacourse.diskcache`) as JSON, which gives every float back exactly; a result computed
    here goes through JSON too, so it is the same tuple of the same types as one read back."""
    def load(data: bytes) -> tuple:
        return tuple(json.loads(data.decode("utf-8")))

    def dump(result: tuple) -> bytes:
        return json.dumps(list(result)).encode("utf-8")

    return diskcache.cached(kind, args, lambda: load(dump(compute())), dump=dump, load=load)


@lru_cache(maxsize=1024)
def _fit_cached(key: tuple, tmax_min: float, ka_lo: float, ka_hi: float) -> tuple[float | None, float, str]:
    """:func:`_fit`, kept per process and on disk (:func:`_kept`): a Chapter 2 kernel fits about 20
    absorption rates (1.7 CPU-s), and each new kernel or process would fit them again."""
    return _kept("ka-fit", {"disposition": key, "tmax_min": tmax_min, "ka_lo": ka_lo, "ka_hi": ka_hi},
                 lambda: _fit(key, tmax_min, ka_lo, ka_hi))


def _fit(key: tuple, tmax_min: float, ka_lo: float, ka_hi: float) -> tuple[float | None, float, str]:
    """The largest ka in [ka_lo, ka_hi] whose model Tmax is ``tmax_min`` (see :func:`fit_ka_to_tmax`):
    ``(ka, model Tmax, note)``, or ``(None, nan, why)``."""
    mu, a = _modes(key)
    scan = _KA_SCAN[(_KA_SCAN >= ka_lo) & (_KA_SCAN <= ka_hi)]
    scan = np.unique(np.concatenate([[ka_lo], scan, [ka_hi]]))
    g = np.array([_tmax_for_ka(float(k), mu, a) for k in scan]) - tmax_min
    roots = [i for i in range(len(scan) - 1) if g[i] * g[i + 1] <= 0.0]
    if not roots:
        lo_t, hi_t = g.min() + tmax_min, g.max() + tmax_min
        return None, float("nan"), (f"no ka in [{ka_lo:g}, {ka_hi:g}]/min gives Tmax {tmax_min:g} min "
                                    f"(reachable {lo_t:.3g}-{hi_t:.3g} min)")
    note = ""
    if len(roots) > 1:
        note = f"{len(roots)} ka values reproduce the Tmax; the largest (fastest absorption) is used"
    i = roots[-1]  # largest ka: fastest absorption that reproduces the Tmax (ka > k convention)
    if g[i + 1] == 0.0:
        ka = float(scan[i + 1])
    elif g[i] == 0.0:
        ka = float(scan[i])
    else:
        ka = float(brentq(lambda k: _tmax_for_ka(k, mu, a) - tmax_min, scan[i], scan[i + 1], xtol=1e-14, rtol=1e-11))
    return ka, _tmax_for_ka(ka, mu, a), note


def model_tmax_min(model, ka_per_min: float, weight_kg: float = 70.0) -> float:
    """Exact time (min) of the peak plasma concentration of ``model`` after one dose absorbed
    first-order at ``ka_per_min`` into the central compartment (bioavailability does not matter).

    Parameters
    ----------
    model : PKModel or str
        A mammillary parameter set (the hepatic Perez-Ruixo model has its own absorption).
    ka_per_min : float
        Absorption rate constant (1/min), > 0.
    weight_kg : float
        Body weight (kg); matters for allometric models only.
    """
    m = _as_model(model)
    ka = check_real("ka_per_min", ka_per_min, low=0, low_open=True, unit="1/min")
    _check_mammillary(m)
    mu, a = _modes(_disposition_key(m, weight_kg))
    return _tmax_for_ka(float(ka), mu, a)


def fit_ka_to_tmax(model, tmax_min: float, weight_kg: float = 70.0, *,
                   ka_bounds_per_min: tuple[float, float] = (1e-5, 50.0)) -> dict[str, Any]:
    """Absorption rate constant that makes ``model``'s own simulated plasma Tmax equal ``tmax_min``.

    Method (flag D in ``routes.toml``): for a trial ka, the peak time of the model's plasma curve
    after a single dose into an absorption depot is found exactly (sum of exponentials of the
    model's disposition matrix; Brent's method on its derivative). ka is scanned on a log grid
    over ``ka_bounds_per_min`` (8 points per decade) and every interval where the peak time
    crosses ``tmax_min`` is a solution; Brent's method refines the one with the **largest** ka
    (fastest absorption; the same choice as ``ka > k`` in :func:`ka_from_tmax`). Results are cached
    per (disposition rate constants, Tmax, bounds).

    Returns
    -------
    dict
        ``{"ka_per_min": float or None, "tmax_model_min": float, "note": str}``; ``ka_per_min`` is
        ``None`` (and the note explains why) when no ka in the bounds reproduces the Tmax.
    """
    m = _as_model(model)
    t = check_real("tmax_min", tmax_min, low=0, low_open=True, unit="min")
    _check_mammillary(m)
    lo, hi = (float(x) for x in ka_bounds_per_min)
    if not 0 < lo < hi:
        raise ValueError(f"ka_bounds_per_min must be (low, high) with 0 < low < high; got {ka_bounds_per_min!r}")
    ka, tm, note = _fit_cached(_disposition_key(m, float(weight_kg)), float(t), lo, hi)
    return {"ka_per_min": ka, "tmax_model_min": tm, "note": note}


def route_absorption(model, route: str, weight_kg: float = 70.0, set_name: str | None = None) -> dict[str, Any]:
    """The absorption (ka and zero-order time) that a simulation of ``model`` by ``route`` uses.

    Order of preference: (1) calibrated to the set's published peak (time **and** height; the set
    has a ``peaks`` entry with ``calibrate = true`` in the model's enantiomer and the model does not
    override the route's F); (2) ka fitted to the published Tmax at ``weight_kg``; (3) the
    one-compartment fallback ka stored in ``routes.toml``.

    Returns
    -------
    dict
        ``{"set", "tmax_published_min", "ka_per_min", "zero_order_min", "tmax_model_min", "method",
        "note"}`` with ``method`` one of ``"fitted to model Tmax and Cmax"``, ``"fitted to model
        Tmax"`` or ``"one-compartment fallback"``. ``tmax_model_min`` is the model's peak time at the
        weight the absorption was fitted at (the study weight for a peak calibration).
    """
    m = _as_model(model)
    rs = route_set(route, set_name)
    base = {"set": rs["name"], "tmax_published_min": rs["tmax_min"], "zero_order_min": 0.0}
    cal = _calibration_peak(m, route, rs["name"])
    if cal is not None:
        fit = fit_absorption_to_peak(m, route, rs["name"])
        if fit["status"] == "calibrated":
            return {**base, "ka_per_min": fit["ka_per_min"], "zero_order_min": fit["zero_order_min"],
                    "tmax_model_min": fit["tmax_model_min"], "method": "fitted to model Tmax and Cmax",
                    "note": fit["note"]}
        cal_note = fit["note"]
    else:
        cal_note = ""
    fit = fit_ka_to_tmax(m, rs["tmax_min"], weight_kg)
    if fit["ka_per_min"] is not None:
        note = "; ".join(x for x in (fit["note"], cal_note) if x)
        return {**base, "ka_per_min": fit["ka_per_min"], "tmax_model_min": fit["tmax_model_min"],
                "method": "fitted to model Tmax", "note": note}
    ka = rs["ka_per_min"]
    return {**base, "ka_per_min": ka, "tmax_model_min": model_tmax_min(m, ka, weight_kg),
            "method": "one-compartment fallback",
            "note": fit["note"] + "; one-compartment ka from routes.toml used instead"}


# ---- peak height: published Cmax per route data set ------------------------------------------
_PEAK_DEFAULTS = {"calibrate": False, "tolerance_rel": 0.25, "note": ""}


def route_peaks(route: str, set_name: str | None = None) -> list[dict[str, Any]]:
    """Published peak plasma concentrations recorded for a route data set (``peaks`` in routes.toml).

    Each dict has ``cmax_ng_ml`` (the published central value), ``statistic``, ``tmax_min`` (the
    study's own peak time at that dose), ``dose_mg`` (mg of the stated form, per patient at
    ``weight_kg``), ``dose_label``, ``weight_kg`` (study weight; ``weight_note`` says whether it was
    published or assumed), ``enantiomer``, ``dose_form``, ``sampling``, ``population``, ``calibrate``
    (True for the one peak used to fix the absorption shape), ``tolerance_rel`` (our tolerance for the
    model/published ratio), ``source``, ``flag`` and ``note``. Empty list: no published Cmax is known
    for the set at a dose we could match.
    """
    check_choice("route", route, ROUTES[1:])
    table = _routes_table()["routes"][route]
    name = table["default"] if set_name is None else check_choice(f"route_sets[{route!r}]", set_name, tuple(table["sets"]))
    return [dict(p) for p in _peaks_cached(route, name)]


@cache
def _peaks_cached(route: str, name: str) -> tuple[dict[str, Any], ...]:
    table = _routes_table()["routes"][route]
    out = []
    for p in table["sets"][name].get("peaks", []):
        d = {**_PEAK_DEFAULTS, **p}
        w = float(d["weight_kg"])
        if "dose_mg_per_kg" in d:
            d["dose_mg"] = float(d["dose_mg_per_kg"]) * w
            d["dose_label"] = f"{d['dose_mg_per_kg']:g} mg/kg"
        else:
            d["dose_mg"] = float(d["dose_mg"])
            d["dose_label"] = f"{d['dose_mg']:g} mg"
        d["weight_kg"] = w
        d["set"] = name
        d["route"] = route
        out.append(d)
    return tuple(out)


def _calibration_peak(model, route: str, set_name: str) -> dict[str, Any] | None:
    """The peak a model's absorption is calibrated to, or ``None``."""
    if model.structure != "mammillary":
        return None
    if route in model.entry.get("route_overrides", {}):
        return None  # the model's own F replaces the set's F: the set's peak does not apply
    for p in _peaks_cached(route, set_name):
        if p["calibrate"] and p["enantiomer"] == model.enantiomer:
            return p
    return None


def _unit_curve(t: np.ndarray, ka: float, d_min: float, mu: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central amount per unit absorbed dose, and its slope, when the dose enters the depot at a
    constant rate over ``d_min`` minutes (0: all at once) and leaves it at rate ``ka``."""
    if d_min <= 0.0:
        return _conc_and_slope(t, ka, mu, a)
    t = np.asarray(t, dtype=float)
    k = ka if np.all(np.abs(ka - mu) > 1e-9 * ka) else ka * (1.0 + 1e-7)

    def integral(x):  # integral over (0, x) of the depot -> central unit response
        x = np.asarray(x, dtype=float)[..., None]
        f = lambda r: -np.expm1(-r * x) / r  # noqa: E731
        return (a * k * (f(mu) - f(k)) / (k - mu)).sum(axis=-1)

    lo = np.maximum(t - d_min, 0.0)
    amount = (integral(t) - integral(lo)) / d_min
    slope = (_conc_and_slope(t, ka, mu, a)[0] - np.where(t > d_min, _conc_and_slope(lo, ka, mu, a)[0], 0.0)) / d_min
    return amount, slope


def _peak_of(ka: float, d_min: float, mu: np.ndarray, a: np.ndarray) -> tuple[float, float]:
    """Exact (time in min, unit central amount) of the peak for absorption ``(ka, d_min)``."""
    horizon = d_min + 30.0 / min(ka, float(mu.min()))
    t = np.concatenate([[0.0], np.geomspace(1e-3, horizon, 400)])  # brackets the peak; Brent refines it
    c, _ = _unit_curve(t, ka, d_min, mu, a)
    j = int(np.argmax(c))
    if 0 < j < len(t) - 1:
        f = lambda x: float(_unit_curve(np.array([x]), ka, d_min, mu, a)[1][0])  # noqa: E731
        lo, hi = t[j - 1], t[j + 1]
        if f(lo) > 0.0 > f(hi):
            tp = float(brentq(f, lo, hi, xtol=1e-8, rtol=1e-10))
            return tp, float(_unit_curve(np.array([tp]), ka, d_min, mu, a)[0][0])
    return float(t[j]), float(c[j])


def _ka_for_tmax_with_spread(tmax: float, d_min: float, ka_floor: float, mu, a) -> float | None:
    """Largest ka whose curve has zero slope at ``tmax`` for a zero-order time ``d_min``.

    Bracketed above the first-order solution ``ka_floor`` (spreading the input delays the peak, so
    the slope at ``tmax`` is still positive there) and below 50/min (close to a zero-order input that
    ends before ``tmax``: the slope is negative). The caller checks that this is the global peak.
    """
    slope = lambda k: float(_unit_curve(np.array([tmax]), k, d_min, mu, a)[1][0])  # noqa: E731
    lo, hi = ka_floor, 50.0
    if slope(lo) <= 0.0 or slope(hi) >= 0.0:
        return None
    return float(brentq(slope, lo, hi, xtol=1e-12, rtol=1e-10))


@lru_cache(maxsize=256)
def _fit_peak_cached(key: tuple, tmax_min: float, unit_target: float) -> tuple:
    """:func:`_fit_peak`, kept per process and on disk (:func:`_kept`)."""
    return _kept("peak-fit", {"disposition": key, "tmax_min": tmax_min, "unit_target": unit_target},
                 lambda: _fit_peak(key, tmax_min, unit_target))


def _fit_peak(key: tuple, tmax_min: float, unit_target: float) -> tuple:
    """Solve (ka, zero-order time) for a peak at ``tmax_min`` of height ``unit_target`` (central
    amount per unit absorbed dose). Returns ``(status, ka, d_min, tmax, unit_peak, unit_at_d0)``."""
    mu, a = _modes(key)
    ka0, _tm, _note = _fit_cached(key, tmax_min, 1e-5, 50.0)
    if ka0 is None:
        return ("no tmax fit", None, 0.0, float("nan"), float("nan"), float("nan"))
    u0 = _peak_of(ka0, 0.0, mu, a)[1]
    if unit_target <= u0:
        return ("over-predicted", ka0, 0.0, tmax_min, u0, u0)
    cache: dict[float, float] = {}

    def height(d):
        if d <= 0.0:
            cache[d] = ka0
            return u0
        ka = _ka_for_tmax_with_spread(tmax_min, d, ka0, mu, a)
        if ka is None:
            return float("nan")
        cache[d] = ka
        return float(_unit_curve(np.array([tmax_min]), ka, d, mu, a)[0][0])

    d_hi = tmax_min * 0.995
    u_hi = height(d_hi)
    if not np.isfinite(u_hi) or unit_target > u_hi:
        ka = cache.get(d_hi, ka0)
        return ("under-predicted", ka, d_hi, _peak_of(ka, d_hi, mu, a)[0], u_hi, u0)
    d = float(brentq(lambda x: height(x) - unit_target, 0.0, d_hi, xtol=1e-6, rtol=1e-9))
    ka = cache.get(d) or _ka_for_tmax_with_spread(tmax_min, d, ka0, mu, a)
    tp, up = _peak_of(ka, d, mu, a)
    return ("calibrated", ka, d, tp, up, u0)


def fit_absorption_to_peak(model, route: str, set_name: str | None = None) -> dict[str, Any]:
    """Absorption shape that gives ``model`` the published peak time and height of a route data set.

    Method (flag D): F is the set's published (AUC-based) bioavailability and is not changed. The
    dose enters the depot at a constant rate over ``zero_order_min`` (D) and leaves it first-order
    (``ka``). For a trial D, ka is solved (Brent) so that the model's exact plasma peak time equals
    the published Tmax; D is then solved (Brent) so that the peak height equals the set's calibration
    Cmax at the study's dose and body weight. Spreading the input (larger D, with the faster ka that
    keeps the Tmax) raises the peak monotonically from the first-order value (D = 0) towards a
    zero-order infusion ending at Tmax; so a published peak inside that range has exactly one
    solution. Outside it the result is reported, not forced: ``status`` "over-predicted" (the peak is
    already too high with D = 0; only a lower F could lower it) or "under-predicted" (too low even
    when D is close to Tmax). Cached per (model disposition at the study weight, Tmax, target).

    Returns
    -------
    dict
        ``{"status", "ka_per_min", "zero_order_min", "tmax_model_min", "cmax_model_ng_ml",
        "cmax_first_order_ng_ml", "cmax_published_ng_ml", "weight_kg", "dose_mg", "note"}``.
        ``cmax_first_order_ng_ml`` is the peak with the Tmax-only ka (D = 0).

    Raises
    ------
    ValueError
        If the set has no peak to calibrate to for this model.
    """
    m = _as_model(model)
    _check_mammillary(m)
    rs = route_set(route, set_name)
    p = _calibration_peak(m, route, rs["name"])
    if p is None:
        raise ValueError(f"route set {route}/{rs['name']!r} has no calibration peak for model {m.key!r} "
                         f"({m.enantiomer} ketamine)")
    w = p["weight_kg"]
    v1 = m.typical_parameters(w)["v1"]
    to_ng_ml = rs["bioavailability"] * p["dose_mg"] / v1 * 1000.0  # unit central amount -> ng/mL
    status, ka, d, tp, up, u0 = _fit_peak_cached(_disposition_key(m, w), float(rs["tmax_min"]),
                                                 float(p["cmax_ng_ml"] / to_ng_ml))
    notes = {
        "calibrated": (f"ka = {ka:.4g}/min and zero-order time {d:.3g} min fitted so that {m.key}'s plasma peak = "
                       f"{p['cmax_ng_ml']:g} ng/mL at {rs['tmax_min']:g} min after {p['dose_label']} "
                       f"({p['source']}, flag {p['flag']}; fitted at {w:g} kg, F {rs['bioavailability']:g} unchanged)"),
        "over-predicted": (f"Cmax NOT calibrated: first-order absorption already gives {u0 * to_ng_ml:.3g} ng/mL "
                           f"> published {p['cmax_ng_ml']:g} ng/mL ({p['source']}); only a lower F could lower it"),
        "under-predicted": (f"Cmax NOT calibrated: even a {d:.3g}-min zero-order input gives only "
                            f"{up * to_ng_ml:.3g} ng/mL < published {p['cmax_ng_ml']:g} ng/mL ({p['source']})"),
        "no tmax fit": "Cmax NOT calibrated: no ka reproduces the Tmax",
    }
    return {"status": status, "ka_per_min": ka, "zero_order_min": d, "tmax_model_min": tp,
            "cmax_model_ng_ml": up * to_ng_ml, "cmax_first_order_ng_ml": u0 * to_ng_ml,
            "cmax_published_ng_ml": float(p["cmax_ng_ml"]), "weight_kg": w, "dose_mg": p["dose_mg"],
            "note": notes[status]}


def peak_check(model, route: str, set_name: str | None = None, index: int = 0,
               calibrated: bool = True) -> dict[str, Any]:
    """Model peak vs one published peak of a route data set, at the study's dose and weight.

    Parameters
    ----------
    model : PKModel or str
        A mammillary parameter set.
    route, set_name : str
        The route data set (default set if ``set_name`` is None).
    index : int
        Which of the set's ``peaks`` (:func:`route_peaks`).
    calibrated : bool
        True: the absorption a simulation uses (:func:`route_absorption`, calibrated where the data
        allow). False: ka fitted to the published Tmax only, first-order (the method before peak
        heights were checked).

    Returns
    -------
    dict
        The published peak (``cmax_published_ng_ml``, ``tmax_published_min``, and the study's
        ``dose_label``, ``weight_kg``, ``enantiomer``, ``dose_form``, ``sampling``, ``population``,
        ``source``), the model's exact peak (``cmax_model_ng_ml``, ``tmax_model_min``), ``ratio``
        (model / published), ``tolerance_rel``, ``within_tolerance``, ``method`` and
        ``enantiomer_match``. Exact: sum of exponentials of the model's disposition, no grid.
    """
    m = _as_model(model)
    _check_mammillary(m)
    peaks = route_peaks(route, set_name)
    if not 0 <= index < len(peaks):
        raise ValueError(f"index must be in 0..{len(peaks) - 1} for route set {route}/{set_name}; got {index}")
    p = peaks[index]
    rs = route_set(route, p["set"])
    w = p["weight_kg"]
    f = float(m.entry.get("route_overrides", {}).get(route, {}).get("bioavailability", rs["bioavailability"]))
    if calibrated:
        ab = route_absorption(m, route, w, p["set"])
        ka, d, method = ab["ka_per_min"], ab["zero_order_min"], ab["method"]
    else:
        ka, d, method = fit_ka_to_tmax(m, rs["tmax_min"], w)["ka_per_min"], 0.0, "fitted to model Tmax"
    mu, a = _modes(_disposition_key(m, w))
    tp, up = _peak_of(ka, d, mu, a)
    cmax = f * p["dose_mg"] * up / m.typical_parameters(w)["v1"] * 1000.0
    ratio = cmax / p["cmax_ng_ml"]
    return {
        "model": m.key, "route": route, "set": p["set"], "index": index,
        "cmax_published_ng_ml": float(p["cmax_ng_ml"]), "tmax_published_min": float(p["tmax_min"]),
        "cmax_model_ng_ml": cmax, "tmax_model_min": tp, "ratio": ratio,
        "tolerance_rel": float(p["tolerance_rel"]), "within_tolerance": abs(ratio - 1.0) <= p["tolerance_rel"],
        "bioavailability": f, "ka_per_min": ka, "zero_order_min": d, "method": method,
        "calibration_peak": bool(p["calibrate"]),
        "enantiomer_match": p["enantiomer"] == m.enantiomer,
        **{k: p[k] for k in ("dose_label", "dose_mg", "weight_kg", "enantiomer", "dose_form", "sampling",
                             "population", "statistic", "source", "flag")},
    }


def peak_validation(models: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Every published peak in ``routes.toml`` against every matching model (docs/pk-validation.md).

    Parameters
    ----------
    models : tuple of str, optional
        Model keys to check (default: every mammillary model). A peak is checked only against
        models of its enantiomer (racemic data against racemic models, S-ketamine data against
        S-ketamine models).

    Returns
    -------
    list of dict
        One row per (route, set, peak): the published peak (as :func:`route_peaks`) plus
        ``"models"``: ``{key: {"tmax_only": peak_check(..., calibrated=False),
        "used": peak_check(...)}}``.
    """
    keys = models if models is not None else tuple(k for k in model_keys() if get_model(k).structure == "mammillary")
    rows = []
    for route in ROUTES[1:]:
        for name in route_set_names(route):
            for i, p in enumerate(route_peaks(route, name)):
                res = {}
                for k in keys:
                    m = get_model(k)
                    if m.enantiomer != p["enantiomer"] or route not in m.supported_routes:
                        continue
                    if route in m.entry.get("route_overrides", {}):
                        continue  # the model's own F replaces this set's F
                    res[k] = {"tmax_only": peak_check(m, route, name, i, calibrated=False),
                              "used": peak_check(m, route, name, i)}
                if res:
                    rows.append({**p, "index": i, "models": res})
    return rows


def _as_model(model):
    if isinstance(model, str):
        return get_model(model)
    return model


def _check_mammillary(model) -> None:
    if model.structure != "mammillary":
        raise ValueError(f"model {model.key!r} has its own absorption model (structure {model.structure!r}); "
                         "ka is not fitted for it")


def _frn_for_event(absorption: dict[str, Any], dose_mg: float, device_index: int) -> float:
    """Nasal fraction FRn of the Perez-Ruixo model for one intranasal event.

    A single event of N devices (N = dose / 28 mg, at least 1) gets the session average
    ``FRn (1 + (N - 1) r) / N``; an event flagged as a later device of a session
    (``device_index >= 1``) gets ``FRn r``. ``r`` = 0.62.
    """
    frn = absorption["frn"]
    r = absorption["frn_later_device_factor"]
    if device_index >= 1:
        return frn * r
    n = max(dose_mg / absorption["device_dose_mg"], 1.0)
    return frn * (1.0 + (n - 1.0) * r) / n


def pathways_for(model, route: str, dose_mg: float, device_index: int = 0,
                 route_sets: dict[str, str] | None = None, frn=None,
                 weight_kg: float = 70.0) -> tuple[list[Pathway], list[str]]:
    """Absorption pathways of one dose given by ``route`` to ``model``.

    Parameters
    ----------
    model : PKModel
        The parameter set.
    route : str
        One of :data:`ROUTES`.
    dose_mg : float
        Dose in mg of base (needed for the Perez-Ruixo per-device nasal fraction).
    device_index : int
        For intranasal esketamine sessions: 0 for the first device, >= 1 for later devices.
    route_sets : dict, optional
        ``{route: set_name}`` to choose a published route data set other than the default.
    frn : float or numpy.ndarray, optional
        Per-patient nasal fraction FRn (Perez-Ruixo, before the device effect); default typical.
    weight_kg : float
        Body weight (kg) of the typical patient whose disposition the ka is fitted to
        (:func:`route_absorption`); only allometric models depend on it. Population simulations
        pass the common weight, so every virtual patient shares the typical-patient ka.

    Returns
    -------
    (list of Pathway, list of str)
        The pathways and human-readable notes about borrowed values.
    """
    check_choice("route", route, model.supported_routes)
    notes: list[str] = []
    if route == "iv":
        return [Pathway(1.0, None, "central", note="IV: F = 1")], notes
    if model.structure == "hepatic":
        a = model.entry["absorption"]
        fgut = a["fgut"]
        if route == "intranasal":
            base = a["frn"] if frn is None else frn
            ab = dict(a, frn=base)
            f_n = _frn_for_event(ab, dose_mg, device_index)
            return [
                Pathway(f_n, "depot_nasal", "central", a["ka_nasal_per_h"] / 60.0, 0.0, "nasal absorption (FRn)"),
                Pathway((1.0 - f_n) * fgut, "depot_swallowed", "liver", a["ka_swallowed_per_h"] / 60.0,
                        a["swallowed_zero_order_h"] * 60.0, "swallowed portion (1 - FRn) Fgut"),
            ], notes
        # oral
        return [Pathway(fgut, "depot_oral", "liver", a["ka_oral_per_h"] / 60.0, a["oral_zero_order_h"] * 60.0, "oral solution Fgut")], notes

    chosen = None if route_sets is None else route_sets.get(route)
    rs = route_set(route, chosen)
    f = rs["bioavailability"]
    ab = route_absorption(model, route, weight_kg, chosen)
    ka = ab["ka_per_min"]
    d_min = ab["zero_order_min"]
    if ab["method"] == "fitted to model Tmax and Cmax":
        how = ab["note"]
    elif ab["method"] == "fitted to model Tmax":
        how = (f"ka = {ka:.4g}/min fitted so that {model.key}'s plasma Tmax = {rs['tmax_min']:g} min "
               f"(Tmax {rs['absorption_source']}, flag {rs['absorption_flag']})")
    else:
        how = (f"ka = {ka:.4g}/min one-compartment FALLBACK ({ab['note']}; model Tmax "
               f"{ab['tmax_model_min']:.3g} min vs published {rs['tmax_min']:g} min)")
    if ab["note"] and ab["method"] == "fitted to model Tmax":
        how += f"; {ab['note']}"
    own = model.entry.get("route_overrides", {}).get(route)
    if own is not None and chosen is None:
        f = float(own["bioavailability"])
        notes.append(f"{route}: F = {f:g} from {own['source']}; {how}, Tmax borrowed from routes.toml set {rs['name']!r}")
    else:
        notes.append(f"{route}: F = {f:g} from routes.toml set {rs['name']!r} ({rs['source']}); {how}")
        if model.enantiomer != "racemic":
            notes.append(f"{route}: racemic route data applied to an {model.enantiomer}-ketamine model")
    paths = [Pathway(f, f"depot_{route}", "central", ka, d_min, f"{route} absorption")]
    fm = model.presystemic_fm
    if model.has_metabolite and fm > 0 and route in _FIRST_PASS_ROUTES:
        paths.append(Pathway((1.0 - f) * fm, f"depot_{route}_met", "nk_central", ka, d_min,
                             "presystemic metabolite formation"))
        notes.append(f"{route}: presystemic metabolite fraction (1 - F) x {fm:g} ({model.entry['presystemic']['source']}, flag {model.entry['presystemic']['flag']})")
    return paths, notes
