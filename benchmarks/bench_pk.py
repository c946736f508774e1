"""Benchmark of the exact PK engine against a per-patient solve_ivp loop.

Run:  /work/main/.venv/bin/python benchmarks/bench_pk.py [--patients 10000] [--subsample 40]

Scenario: Fanta 2015 S-ketamine (3 compartments) + Otto 2021 S-norketamine (2 compartments)
+ effect site, 0.5 mg/kg over 40 min IV, 70 kg, 24 h at 1-min resolution (1441 time points),
log-normal between-patient variability (Otto 2021). The engine returns 5/50/95 % bands and
per-patient Cmax/Tmax/AUC for plasma, effect site and metabolite.

Targets: <= 0.5 s for 10,000 patients on 2 cores; >= 50x faster than solve_ivp (LSODA with an
analytic Jacobian function, rtol 1e-8) looping over patients, timed on a subsample and scaled up.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

from ketacourse import pk
from ketacourse.pk.population import sample_parameters
from ketacourse.pk.system import build_schedule, build_system, collect_pathways

TARGET_S = 0.5
TARGET_RATIO = 50.0


def engine_time(n: int, t: np.ndarray, reg, repeats: int) -> tuple[list[float], pk.PopulationResult]:
    times = []
    res = None
    for i in range(repeats):
        t0 = time.perf_counter()
        res = pk.simulate_population("fanta2015", reg, 70, t, n_patients=n, seed=i, warn=False)
        times.append(time.perf_counter() - t0)
    return times, res


def core_time(n: int, t: np.ndarray, reg, repeats: int) -> list[float]:
    """Sampling + eigen-decomposition + every concentration for every patient and time, no bands."""
    from ketacourse.pk.solve import solve_linear

    m = pk.get_model("fanta2015")
    out = []
    for i in range(repeats):
        t0 = time.perf_counter()
        typ = m.typical_parameters(70)
        typ["ke0"] = pk.default_ke0_per_min()
        params, _, _ = sample_parameters(m, typ, n, np.random.default_rng(i))
        resolved, depots, _ = collect_pathways(m, pk.Regimen(reg), 70)
        system = build_system(m, params, depots)
        sched = build_schedule(system, resolved)
        rows = np.stack([system.observations[k] for k in ("plasma", "effect", "metabolite")], axis=1)
        solve_linear(system, sched, t, rows, sink=lambda sl, y: None)
        out.append(time.perf_counter() - t0)
    return out


def solve_ivp_loop(n_sub: int, t: np.ndarray, reg) -> tuple[float, float]:
    """Per-patient LSODA loop; returns (seconds per patient, max relative error vs the engine)."""
    m = pk.get_model("fanta2015")
    typ = m.typical_parameters(70)
    typ["ke0"] = pk.default_ke0_per_min()
    params, _, _ = sample_parameters(m, typ, n_sub, np.random.default_rng(123))
    resolved, depots, _ = collect_pathways(m, pk.Regimen(reg), 70)
    system = build_system(m, params, depots)
    sched = build_schedule(system, resolved)
    c = system.index("central")
    exact = pk.simulate_population("fanta2015", reg, 70, t, n_patients=n_sub, seed=None,
                                   rng=np.random.default_rng(123), keep_individuals=True, warn=False)
    worst = 0.0
    t0 = time.perf_counter()
    for i in range(n_sub):
        A = system.A[i]
        rate = sched.rates[0][2][i]
        t_end_inf = sched.rates[0][1]
        y = np.zeros(len(system.states))
        out = []
        for (a, b, u) in ((0.0, t_end_inf, rate), (t_end_inf, t[-1], np.zeros_like(rate))):
            te = t[(t >= a) & (t <= b)]
            sol = solve_ivp(lambda tt, x: A @ x + u, (a, b), y, method="LSODA", jac=lambda tt, x: A,
                            t_eval=te, rtol=1e-8, atol=1e-10)
            y = sol.y[:, -1]
            out.append(sol.y[c] if a == 0.0 else sol.y[c][1:])
        conc = 1000 * np.concatenate(out) / params["v1"][i]
        ref = exact.individuals["plasma"][i]
        worst = max(worst, float(np.max(np.abs(conc - ref)) / ref.max()))
    return (time.perf_counter() - t0) / n_sub, worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--subsample", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    t = np.arange(0.0, 24 * 60 + 1.0, 1.0)
    reg = pk.infusion(dose_mg_per_kg=0.5, duration_min=40)
    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"{os.cpu_count()} CPU(s) visible; engine threads: {min(2, os.cpu_count() or 1)}")
    print(f"scenario: fanta2015 (3-cpt S-ketamine + 2-cpt S-norketamine + effect site), 0.5 mg/kg over 40 min, "
          f"{len(t)} time points (24 h at 1 min)")
    pk.simulate_population("fanta2015", reg, 70, t, n_patients=200, seed=0, warn=False)  # warm-up
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"1-min load average before timing: {load:.2f}")
    core = core_time(args.patients, t, reg, args.repeats)
    print(f"engine core (sample, eigen-decompose, all {args.patients} x {len(t)} x 3 concentrations, no bands): "
          f"best {min(core):.3f} s, median {np.median(core):.3f} s over {args.repeats} runs")
    times, res = engine_time(args.patients, t, reg, args.repeats)
    eng = min(times)
    print(f"engine full (core + 5/50/95 % bands + per-patient Cmax/Tmax/AUC for 3 outputs): best {eng:.3f} s, "
          f"median {np.median(times):.3f} s over {args.repeats} runs")
    print(f"  median plasma Cmax {np.median(res.cmax_ng_ml['plasma']):.1f} ng/mL; 5-95% band at 40 min "
          f"{res.band(5.0)[40]:.1f}-{res.band(95.0)[40]:.1f} ng/mL")
    per_patient, err = solve_ivp_loop(args.subsample, t, reg)
    loop = per_patient * args.patients
    ratio = loop / eng
    print(f"solve_ivp loop (LSODA, jac function, rtol 1e-8): {per_patient * 1e3:.2f} ms/patient on {args.subsample} patients "
          f"-> {loop:.1f} s scaled to {args.patients}; max relative difference vs engine {err:.1e}")
    print(f"speed-up (full engine, best run): {ratio:.0f}x")
    ok_r = ratio >= TARGET_RATIO
    for label, val in (("engine core", min(core)), ("engine full, with bands and metrics", eng)):
        print(f"target time <= {TARGET_S} s ({label}): {'PASS' if val <= TARGET_S else 'FAIL'} ({val:.3f} s best run)")
    print(f"target speed-up >= {TARGET_RATIO:.0f}x: {'PASS' if ok_r else 'FAIL'} ({ratio:.0f}x)")


if __name__ == "__main__":
    main()
