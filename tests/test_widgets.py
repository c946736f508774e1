"""Chapter 1 and Chapter 2 widgets, headless: behaviour specific to these widgets (linked controls,
presets, readouts, the book's palette frames).

The contract every widget keeps (controls, validation, in-place updates, the offline scrubber) is
tested over the widget registry in ``tests/test_widget_contract.py``. ipywidgets objects work without
a kernel (their comms are inert), and every figure is an Agg-backed matplotlib Figure that pyplot
does not manage. No timings are asserted here: speed is measured by ``benchmarks/``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from ketacourse import pk as pkmod
from ketacourse.widgets import nmda, pk


def test_pk_explorer_dose_controls_are_linked():
    """dose_mg = dose_mg_per_kg x weight_kg; the control that is set wins; weight keeps mg/kg."""
    w = pk.PKExplorer()
    w.set(dose_mg=56.0)
    assert w.params["dose_mg_per_kg"] == pytest.approx(56.0 / 70.0)
    w.set(weight_kg=80.0)
    assert w.params["dose_mg"] == pytest.approx(0.8 * 80.0)
    # from the keyboard/mouse: the other control follows, or the move is refused with a message
    w.controls["dose_mg"].value = 40.0
    assert w.params["dose_mg_per_kg"] == pytest.approx(0.5)
    w.controls["weight_kg"].value = 10.0
    assert w.params["dose_mg"] == pytest.approx(5.0)
    before = dict(w.params)
    w.controls["dose_mg"].value = 200.0  # 20 mg/kg at 10 kg: outside 0.05-3 mg/kg
    assert w.params == before
    assert "dose_mg must give a dose from 0.05 to 3 mg/kg at 10 kg" in w.status.value


def test_pk_explorer_gives_nasal_esketamine_as_labelled_devices():
    """Perez-Ruixo intranasal doses are 28 mg devices 5 min apart (janssen2025), as in pk.nasal_session."""
    w = pk.PKExplorer(model="perezruixo2021", route="intranasal", dose_mg=56.0, population=False)
    times = pk.PKExplorer.times_min
    direct = pkmod.simulate("perezruixo2021", pkmod.nasal_session(56.0), 70.0, times, warn=False)
    res, _ = w._compute(**{k: v for k, v in w.params.items() if k != "dose_mg"})
    np.testing.assert_allclose(res.conc_ng_ml, direct.conc_ng_ml, rtol=1e-12)


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a widget created a pyplot-managed figure"


def test_infusion_designer_presets_come_from_the_regimens_table():
    """A preset sets the schedule from data/regimens.toml; a hand-made change returns to 'custom'."""
    from ketacourse.data import load_table

    reg = load_table("regimens")["regimens"]
    w = pk.InfusionDesigner()
    w.set(preset="depression_infusion")
    d = reg["depression_infusion"]
    assert (w.params["bolus_mg_per_kg"], w.params["rate_mg_per_kg_per_h"], w.params["duration_min"]) == (
        d["bolus_mg_per_kg"], d["rate_mg_per_kg_per_h"], d["duration_min"])
    # 0.75 mg/kg/h for 40 min is the published 0.5 mg/kg over 40 min (zarate2006)
    assert d["rate_mg_per_kg_per_h"] * d["duration_min"] / 60.0 == pytest.approx(0.5)
    w.controls["rate_mg_per_kg_per_h"].value = 1.0  # the learner moves a slider
    assert w.params["preset"] == "custom" and w.params["duration_min"] == d["duration_min"]
    w.controls["preset"].value = "acute_pain_limits"  # schwenk2018 ceilings
    assert (w.params["bolus_mg_per_kg"], w.params["rate_mg_per_kg_per_h"]) == (0.35, 1.0)
    before = dict(w.params)
    with pytest.raises(ValueError, match=r"^duration_min must match the preset 'depression_infusion' \(40\)"):
        w.set(preset="depression_infusion", duration_min=60.0)
    assert w.params == before


def test_readouts_get_precision_from_the_step_and_units_in_the_view():
    w = nmda.ReceptorExplorer()
    assert w.controls["voltage_mv"].readout_format == ".0f"  # step 5 mV
    assert w.controls["mg_mm"].readout_format == ".1f"  # step 0.1 mM
    view = w.view
    assert "kc-widget" in view._dom_classes
    assert "kc-unit=mV" in w.controls["voltage_mv"]._dom_classes
    style = view.children[0].value
    assert '.widget-readout::after{content:"\\00a0mV"}' in style and "aria-valuetext" in style


def test_a_linked_value_snapped_by_the_browser_does_not_redraw_twice():
    """The browser snaps a linked control to its step and sends it back: accepted, not a second move."""
    w = pk.PKExplorer()
    renders = []
    original = w.refresh
    w.refresh = lambda: (renders.append(1), original())[1]
    w.controls["dose_mg_per_kg"].value = 0.65  # the learner's move: dose_mg follows (45.5 mg at 70 kg)
    assert len(renders) == 1 and w.params["dose_mg"] == pytest.approx(45.5)
    w.controls["dose_mg"].value = 45.5  # the browser echoes the followed value: nothing happens
    assert len(renders) == 1 and w.params["dose_mg_per_kg"] == 0.65
    w.controls["dose_mg"].value = 50.0  # a real move of the other control redraws and re-links
    assert len(renders) == 2 and w.params["dose_mg_per_kg"] == pytest.approx(50 / 70)


def test_scrubber_frames_keep_every_drawn_colour():
    """The book's frames use a palette: small legend keys must keep their colour exactly (median cut
    alone once drew the saline key in the placebo-spray green), and white stays white."""
    import io

    from PIL import Image

    from ketacourse.widgets.evidence import ForestPlot

    w = ForestPlot()
    frame = np.asarray(Image.open(io.BytesIO(w.frame_png(**w.params))).convert("RGB"))
    live = np.asarray(Image.open(io.BytesIO(w.image.value)).convert("RGB"))
    for colour in [*w.colours.values(), "#ffffff", "#000000"]:
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        in_live = (live == rgb).all(axis=-1)
        assert in_live.sum() > 0, colour
        assert ((frame == rgb).all(axis=-1) >= in_live).all(), colour  # every such pixel kept
