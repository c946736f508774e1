"""Safety models for Chapter 6: one treatment session, and the logistics of each route.

- :mod:`.session`: a session on the PK engine (dissociation and blood-pressure time course from
  the effect-site S-ketamine concentration), the monitoring rule and the discharge logic;
- :mod:`.logistics`: a side-by-side comparison of routes (bioavailability, time to peak, time
  above the dissociation threshold, parent vs norketamine exposure, monitoring time).

Sourced data: ``data/safety.toml`` (findings, monitoring rules, session presets) and
``data/trials_safety.toml`` (adverse events in randomised trials, read by :mod:`ketacourse.evidence`).
Lower layer: never imports widgets. Model illustrations for a stated typical adult, not advice.
"""

from .logistics import route_comparison, ROUTE_SESSIONS
from .session import (DEFAULT_TIMES_MIN, SessionResult, bp_slope_mmhg_per_ng_ml, effect_parameters, finding,
                      monitoring_rule, session_names, session_preset, simulate_session, stability_and_discharge)

__all__ = ["DEFAULT_TIMES_MIN", "SessionResult", "bp_slope_mmhg_per_ng_ml", "effect_parameters", "finding",
           "monitoring_rule", "session_names", "session_preset", "simulate_session", "stability_and_discharge",
           "route_comparison", "ROUTE_SESSIONS"]
