"""Chapter 4 widgets, headless: controls, validation, in-place updates, scrubber and alt text.

No timings are asserted here (speed is measured by benchmarks/bench_widgets.py). The wind-up grid
is simulated once per session (or loaded from the disk cache).
"""

from __future__ import annotations


import numpy as np
from widget_contract import contract

from ketacourse.widgets import pain


CASES = {
    pain.WindupExplorer: ({"ketamine_um": 5.0, "frequency_hz": 2.0}, [
        ({"ketamine_um": 3.0}, r"^ketamine_um must be one of"),
        ({"frequency_hz": 7.0}, r"^frequency_hz must be one of"),
    ]),
    pain.CRPSInfusionExplorer: ({"preset": "schwartzman2009_outpatient", "dose_scale": 0.5}, [
        ({"weight_kg": 300.0}, r"^weight_kg must be a finite number >= 50 and <= 110 kg; got 300"),
        ({"preset": "nope"}, r"^preset must be one of"),
    ]),
    pain.AcutePainExplorer: ({"preset": "schwenk2018_low", "weight_kg": 90.0}, [
        ({"dose_scale": 5.0}, r"^dose_scale must be a finite number >= 0.25 and <= 2"),
    ]),
    pain.PainForestPlot: ({"endpoint": "pain_score at end of week 1"}, [
        ({"endpoint": "nope"}, r"^endpoint must be one of"),
    ]),
}


(built, test_every_widget_is_covered, test_update_in_place_changes_the_figure, test_bad_values_raise_and_leave_state,
 test_scrubber_frames_have_alt_text_and_differ) = contract(pain, CASES)


def test_windup_alt_text_reports_the_model():
    w = pain.WindupExplorer()
    text = w.alt_text(frequency_hz=1.0, ketamine_um=0.0, mg_mm=1.0)
    assert "15 C-fibre stimuli at 1 Hz" in text and "wind-up" in text
    r = pain.windup_grid().lookup(1.0, 0.0, 1.0)
    assert f"rise from {r['spikes_per_stimulus'][0]} to {r['spikes_per_stimulus'][-1]}" in text


def test_windup_grid_matches_the_model_and_covers_the_sliders():
    g = pain.windup_grid()
    assert g.frequencies_hz == pain.GRID_FREQUENCIES_HZ and g.ketamine_um == pain.GRID_KETAMINE_UM
    from ketacourse.circuits import windup

    direct = windup.simulate_train(0.5, ketamine_um=2.0, mg_mm=2.0)
    np.testing.assert_array_equal(g.lookup(0.5, 2.0, 2.0)["spikes_per_stimulus"], direct.spikes_per_stimulus[0])


def test_windup_grid_disk_cache_round_trip(tmp_path, monkeypatch):
    from ketacourse.circuits.windup import WindupGrid

    monkeypatch.setenv("KETACOURSE_CACHE", str(tmp_path))
    a = WindupGrid((1.0,), (0.0, 2.0), (1.0,), 4, cache=True)
    files = list(tmp_path.glob("windup-*.npz"))
    assert len(files) == 1
    b = WindupGrid((1.0,), (0.0, 2.0), (1.0,), 4, cache=True)
    for k in (0.0, 2.0):
        ra, rb = a.lookup(1.0, k, 1.0), b.lookup(1.0, k, 1.0)
        np.testing.assert_array_equal(ra["spikes_per_stimulus"], rb["spikes_per_stimulus"])
        np.testing.assert_allclose(ra["v_mv"], rb["v_mv"], atol=1e-4)
        np.testing.assert_allclose(ra["spike_times_ms"], rb["spike_times_ms"])


def test_crps_alt_text_says_model_illustration():
    w = pain.CRPSInfusionExplorer()
    assert w.alt_text(**w.params).startswith("Model illustration, 70 kg adult")


def test_pain_forest_plot_uses_the_pain_table():
    w = pain.PainForestPlot()
    assert w.table_name == "trials_pain"
    s = w.summary(**w.params)
    # 4 rows since issue 20: Collins 2010's CRPS pool (not significant) joined its post-amputation pool
    assert s["k"] == 4


def test_crps_explorer_draws_no_relief_for_the_cancer_pain_regimen():
    """Issue 20: the CRPS PD model is not applied to the cancer-pain preset; the panel names the null trial."""
    from ketacourse.widgets.pain import CRPSInfusionExplorer

    alt = CRPSInfusionExplorer().alt_text("hardy2012_sc", 70.0, 1.0)
    assert "No relief drawn" in alt and "null" in alt
    assert "biophase" not in alt
