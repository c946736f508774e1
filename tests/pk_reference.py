"""Independent reference solutions for the PK tests (not part of the package).

The right-hand side is written out by hand from the primary parameters (it does not use
``ketacourse.pk.system``) and integrated with ``scipy.integrate.solve_ivp`` between input
changes, at tight tolerance.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ketacourse.pk.regimen import Bolus, Infusion
from ketacourse.pk.routes import pathways_for


def reference_solution(model, regimen, weight_kg, times_min, *, ke0_per_min, age_years=None,
                       rtol=1e-10, atol=1e-12, method="Radau"):
    """Return ``{"plasma", "effect", "metabolite"}`` concentrations (ng/mL) at ``times_min``."""
    p = model.typical_parameters(weight_kg, age_years)
    names = ["central", "periph2", "periph3", "liver", "nk_central", "nk_periph2", "effect"]
    depots: dict[str, tuple[float, str]] = {}
    boluses = []  # (t, state, amount)
    rates = []  # (t0, t1, state, rate)
    for ev in regimen.events:
        if isinstance(ev, Infusion):
            rates.append((ev.start_min, ev.end_min, "central", ev.rate_for(weight_kg)))
            continue
        assert isinstance(ev, Bolus)
        dose = ev.amount_mg(weight_kg)
        paths, _ = pathways_for(model, ev.route, dose, ev.device_index)
        for path in paths:
            where = path.depot or path.target
            if path.depot:
                depots[path.depot] = (float(path.ka_per_min), path.target)
            if path.zero_order_min > 0:
                rates.append((ev.time_min, ev.time_min + path.zero_order_min, where, path.fraction * dose / path.zero_order_min))
            else:
                boluses.append((ev.time_min, where, path.fraction * dose))
    names = list(depots) + names
    ix = {s: i for i, s in enumerate(names)}
    n = len(names)
    hepatic = model.structure == "hepatic"
    has_nk = model.has_metabolite
    v1 = p["v1"]

    def rhs_matrix() -> np.ndarray:
        # d/dt written term by term from the model equations
        J = np.zeros((n, n))
        c, p2, p3 = ix["central"], ix["periph2"], ix["periph3"]
        for dep, (ka, tgt) in depots.items():
            J[ix[dep], ix[dep]] = -ka
            J[ix[tgt], ix[dep]] += ka
        if "v2" in p:
            J[c, c] -= p["q2"] / v1
            J[p2, c] += p["q2"] / v1
            J[c, p2] += p["q2"] / p["v2"]
            J[p2, p2] -= p["q2"] / p["v2"]
        if "v3" in p:
            J[c, c] -= p["q3"] / v1
            J[p3, c] += p["q3"] / v1
            J[c, p3] += p["q3"] / p["v3"]
            J[p3, p3] -= p["q3"] / p["v3"]
        if hepatic:
            li, nk = ix["liver"], ix["nk_central"]
            J[c, c] -= p["qh"] / v1
            J[li, c] += p["qh"] / v1
            J[c, li] += p["qh"] / p["vh"]
            J[li, li] -= p["qh"] / p["vh"] + p["kel"] + p["kmet"]
            J[nk, li] += p["kmet"]
        else:
            J[c, c] -= p["cl"] / v1
            if has_nk:
                J[ix["nk_central"], c] += p.get("fm", 1.0) * p["cl"] / v1
        if has_nk:
            nk, nkp = ix["nk_central"], ix["nk_periph2"]
            J[nk, nk] -= p["nk_cl"] / p["nk_v1"]
            if "nk_v2" in p:
                J[nk, nk] -= p["nk_q2"] / p["nk_v1"]
                J[nkp, nk] += p["nk_q2"] / p["nk_v1"]
                J[nk, nkp] += p["nk_q2"] / p["nk_v2"]
                J[nkp, nkp] -= p["nk_q2"] / p["nk_v2"]
        e = ix["effect"]
        J[e, c] += ke0_per_min / v1
        J[e, e] -= ke0_per_min
        return J

    J = rhs_matrix()
    times = np.asarray(times_min, dtype=float)
    events = sorted({t for t, _, _ in boluses} | {t for r in rates for t in r[:2]})
    out = np.zeros((len(times), n))
    x = np.zeros(n)

    def kick(t_now: float) -> None:
        for t0, where, amt in boluses:
            if t0 == t_now:
                x[ix[where]] += amt

    def record(t_now: float) -> None:
        hit = np.flatnonzero(times == t_now)
        if hit.size:
            out[hit[0]] = x

    t_cur = events[0]
    kick(t_cur)
    record(t_cur)
    for nxt in events[1:] + [np.inf]:
        end = min(nxt, times[-1])
        if end > t_cur:
            u = np.zeros(n)
            for t0, t1, where, rate in rates:
                if t0 <= t_cur < t1:
                    u[ix[where]] += rate
            te = times[(times > t_cur) & (times < end)]
            sol = solve_ivp(lambda t, y: J @ y + u, (t_cur, end), x, method=method,
                            jac=lambda t, y: J, t_eval=np.append(te, end), rtol=rtol, atol=atol)
            assert sol.success, sol.message
            for k, tt in enumerate(te):
                out[np.searchsorted(times, tt)] = sol.y[:, k]
            x[:] = sol.y[:, -1]
            t_cur = end
        if np.isfinite(nxt) and nxt <= times[-1]:
            kick(nxt)
        record(t_cur)
        if nxt >= times[-1]:
            break
    res = {
        "plasma": 1000.0 * out[:, ix["central"]] / v1,
        "effect": 1000.0 * out[:, ix["effect"]],
    }
    if has_nk:
        res["metabolite"] = 1000.0 * out[:, ix["nk_central"]] / p["nk_v1"]
    return res
