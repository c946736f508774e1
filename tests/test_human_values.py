"""Slider values a learner reads are the numbers the course text uses (issue 23, browser review).

DoseResponseExplorer's concentration slider was a log slider with a 0.01 exponent step: the page
snapped 185 ng/mL to 10**2.27 and showed (and read out to screen readers) "186 ng/mL" while the
chapter discusses 185. Its log-scale controls now step through round values.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ketacourse.widgets.pd import DoseResponseExplorer, round_ladder


def _significant(label: str) -> int:
    return len(label.replace(".", "").strip("0"))


def test_round_ladder_is_log_spaced_and_round():
    values = round_ladder(10.0, 20000.0)
    assert values[0] == 10.0 and values[-1] == 20000.0
    assert all(_significant(f"{v:g}") <= 2 for v in values)
    ratios = np.diff(np.log10(values))
    assert ratios.min() > 0.07 and ratios.max() < 0.16  # no two values close, no big jump on the log axis
    assert round_ladder(10.0, 1000.0, also=(185.0,)).count(185.0) == 1


def test_dose_response_sliders_show_and_read_out_the_values_the_text_uses():
    w = DoseResponseExplorer()
    for name, default in (("conc_ng_ml", 185.0), ("ec50_ng_ml", 300.0)):
        ctrl = w.controls[name]
        # the page shows (and _ARIA_JS reads out, with the unit) the option's label: the value itself
        assert isinstance(ctrl, W.SelectionSlider) and ctrl.value == default and ctrl.label == f"{default:g}"
        labels = [label for label, _v in ctrl.options]
        assert all(label == f"{v:g}" and _significant(label) <= 3 for label, v in ctrl.options), labels
        assert w._unit(name) == "ng/mL"
        view = w.view  # noqa: F841  (the view adds the unit classes)
        assert "kc-unit=ng/mL" in ctrl._dom_classes
    conc = w.controls["conc_ng_ml"]
    options = [v for _l, v in conc.options]
    assert set(DoseResponseExplorer.scrub.values) <= set(options)  # every scrubber frame is a slider position
    assert options[0] == 10.0 and options[-1] == 20000.0  # the range the figure's axis spans
    # an arrow key steps to the next round value, and the figure says that value
    conc.index = conc.index + 1
    assert conc.label == "200" and "200 ng/mL" in w.alt_text(**w.params)
