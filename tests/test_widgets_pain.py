"""Chapter 4 widgets, headless: the models they draw and their alt text.
The contract every widget keeps is in tests/test_widget_contract.py.

No timings are asserted here (speed is measured by benchmarks/bench_widgets.py). The wind-up grid
is simulated once per session (or loaded from the disk cache).
"""

from __future__ import annotations


import numpy as np

from ketacourse.widgets import pain


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

    monkeypatch.setenv("KETACOURSE_CACHE_DIR", str(tmp_path))
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
