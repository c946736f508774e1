"""Chapter 6 widgets, headless: controls, validation, in-place updates, scrubber and alt text.

No timings are asserted here (speed is measured by benchmarks/bench_widgets.py).
"""

from __future__ import annotations


import pytest
from widget_contract import contract

from ketacourse import safety
from ketacourse.widgets import safety as ws


CASES = {
    ws.SessionSimulator: ({"session": "nasal_esketamine_84", "baseline_sbp_mmhg": 136.0}, [
        ({"weight_kg": 300.0}, r"^weight_kg must be a finite number >= 40 and <= 150 kg; got 300"),
        ({"session": "nope"}, r"^session must be one of"),
    ]),
    ws.RouteLogistics: ({"weight_kg": 90.0, "show_metabolite": True}, [
        ({"weight_kg": 10.0}, r"^weight_kg must be a finite number >= 40"),
        ({"show_metabolite": "yes"}, r"^show_metabolite must be True or False"),
    ]),
    ws.AdverseEventForest: ({"endpoint": "dizziness at double-blind, 4 weeks"}, [
        ({"endpoint": "nope"}, r"^endpoint must be one of"),
    ]),
}


(built, test_every_widget_is_covered, test_update_in_place_changes_the_figure, test_bad_values_raise_and_leave_state,
 test_scrubber_frames_have_alt_text_and_differ) = contract(ws, CASES)


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
