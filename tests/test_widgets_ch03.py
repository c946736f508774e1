"""Chapter 3 widgets (forest plot, trial simulator, time course, hypothesis diagram), headless:
behaviour specific to these widgets. The contract every widget keeps (controls, validation,
in-place updates, the offline scrubber) is in tests/test_widget_contract.py. No timings are
asserted here: speed is measured by benchmarks/bench_widgets.py.
"""

from __future__ import annotations

import pytest

from ketacourse.widgets import depression, evidence


def test_forest_plot_switches_measure_with_the_outcome_and_reports_pooled_numbers():
    w = evidence.ForestPlot()
    assert w.params["measure"] == "rd"
    w.set(endpoint="depression at day 1")
    assert w.params["measure"] == "g"  # the measure follows what the trials report
    s = w.summary()
    assert s["k"] == 2 and s["pooled"] is not None and s["nnt"] is None
    w.set(incl_saline=False)
    assert w.summary()["k"] == 1
    w.set(incl_midazolam=False)
    assert w.summary()["pooled"] is None  # an empty selection shows a message, not an error
    assert "no trials are selected" in w.alt_text(**w.params)
    w2 = evidence.ForestPlot(endpoint="response at day 28")
    s2 = w2.summary()
    assert s2["k"] == 4 and s2["nnt"]["kind"] == "benefit" and 4 < s2["nnt"]["nnt"] < 10


def test_forest_plot_is_generic_over_trial_tables():
    w = evidence.ForestPlot(table="trials_depression", endpoint="relapse at maintenance", measure="rr")
    assert w.table_name == "trials_depression" and w.summary()["k"] == 2
    with pytest.raises(ValueError, match=r"^name must be one of 'trials_depression'"):
        evidence.ForestPlot(table="trials_nope")


def test_hypothesis_slider_and_buttons_are_linked():
    w = depression.HypothesisDiagram()
    w.set(number=3)
    assert w.params["hypothesis"] == "eef2"
    w.controls["hypothesis"].value = "opioid"  # the learner clicks a button
    assert w.params["number"] == 6


def test_forest_plot_confidence_level_changes_the_intervals():
    w = evidence.ForestPlot()
    wide, narrow = w.summary(level_pct=99)["pooled"], w.summary(level_pct=80)["pooled"]
    assert wide.ci_high - wide.ci_low > narrow.ci_high - narrow.ci_low
    assert wide.estimate == narrow.estimate


def test_trial_simulator_readout_follows_the_seed():
    a, b = evidence.TrialSimulator(), evidence.TrialSimulator()
    assert a.png() == b.png()
    assert "power" in a.alt_text(**a.params)
