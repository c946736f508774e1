"""Chapter 6 widgets, headless: the models they draw and their alt text.
The contract every widget keeps is in tests/test_widget_contract.py.

No timings are asserted here (speed is measured by benchmarks/bench_widgets.py).
"""

from __future__ import annotations


import pytest

from ketacourse import safety
from ketacourse.widgets import safety as ws


def test_session_alt_text_reports_the_model_and_the_rule():
    w = ws.SessionSimulator()
    text = w.alt_text(session="nasal_esketamine_84", weight_kg=70.0, baseline_sbp_mmhg=120.0)
    r = safety.simulate_session("nasal_esketamine_84")
    assert text.startswith("Model session")
    assert f"earliest discharge is {r.discharge_min:.0f} min" in text
    assert "Blood-pressure checks at 0, 40 min" in text


def test_session_summary_warns_on_high_predose_pressure():
    w = ws.SessionSimulator(baseline_sbp_mmhg=150.0)
    r = safety.simulate_session("iv_racemic", baseline_sbp_mmhg=150.0)
    assert "weigh delaying" in w._summary(r)


def test_adverse_event_forest_reads_harms():
    w = ws.AdverseEventForest()
    assert w.table_name == "trials_safety" and w.params["measure"] == "rd"
    s = w.summary(**w.params)  # dissociation, double-blind: ASPIRE pooled only
    assert s["k"] == 1 and s["pooled"].estimate == pytest.approx(77 / 227 - 13 / 225)
    s = w.summary(endpoint="dizziness at double-blind, 4 weeks")
    assert s["k"] == 2 and s["pooled"].estimate > 0
    assert "NNH" in w._summary_text(s) and "NNT" not in w._summary_text(s)
