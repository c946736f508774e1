"""Chapter 5 widgets, headless: the models they draw. The contract every widget keeps (controls,
validation, in-place updates, the offline scrubber) is in tests/test_widget_contract.py. No timings
here: speed is measured by benchmarks/bench_widgets.py."""

from __future__ import annotations

import numpy as np
import pytest

from ketacourse import translation
from ketacourse.circuits import ei_network as ei
from ketacourse.widgets import research


# ----------------------------------------------------------------------------- the models behind them
def test_ei_widget_reads_the_models_numbers():
    w = research.EINetworkExplorer(nmda_interneurons=0.6)
    alt = w.alt_text(**w.params)
    ratio = ei.spectrum(1.0, 0.6).gamma_power / ei.spectrum().gamma_power
    assert f"gamma power {ratio:.2f} times baseline" in alt and ratio > 1


def test_ei_widget_reports_an_unstable_network_instead_of_a_spectrum():
    w = research.EINetworkExplorer(nmda_pyramidal=2.0)
    assert "unstable" in w.alt_text(**w.params)


def test_tci_widget_replays_the_bowdle_targets_from_the_sourced_table():
    from ketacourse.data import load_table

    b = load_table("psychotomimetic")["bowdle1998"]
    assert b["targets_ng_ml"] == [50.0, 100.0, 150.0, 200.0] and b["step_duration_min"] == 30.0
    w = research.TCIChallengeExplorer(time_min=110.0)
    res, sim = w._compute("domino1982", "plasma")
    np.testing.assert_allclose(res.step_targets_ng_ml, [50, 100, 150, 200, 0])
    # plasma sits on target at each venous sampling time (28 min into each step)
    for k, target in enumerate(b["targets_ng_ml"]):
        t = k * 30.0 + b["sample_time_after_step_min"]
        assert np.interp(t, sim.times_min, sim.conc_ng_ml) == pytest.approx(target, rel=0.01)
    # the effect site lags: at the VAS time it is below the target but above 85% of it (t½ke0 6.1 min)
    _t, ce = w._vas_effect(res, sim)
    assert np.all(ce < np.array(b["targets_ng_ml"])) and np.all(ce > 0.85 * np.array(b["targets_ng_ml"]))


def test_translator_numbers_come_from_the_translation_module():
    w = research.SpeciesDoseTranslator()
    hed, naive, scaled = w._compute(10.0, "mouse", "iv_infusion_40")
    assert hed == pytest.approx(translation.human_equivalent_dose_mg_per_kg(10.0, "mouse"))
    assert scaled == pytest.approx(translation.human_peak_ng_ml(hed))
    assert "above the anaesthesia band" in w.alt_text(dose_mg_per_kg=10.0, species="mouse", human_route="iv_infusion_40")
