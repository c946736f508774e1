"""The contract every course widget keeps, checked over the widget registry (``ketacourse.widgets.registry()``).

A widget added to any module of ``ketacourse.widgets`` is tested here with no list to edit. For
each widget:

- every control has a visible label; the repr is fixed, short and deterministic;
- a valid change (the offline scrubber's next value) updates the one persistent figure in place,
  and the blitted image equals a brand-new widget built for those values; moving the controls back
  by hand (the observer path) gives the first image again; the benchmark's ``recreate_png``
  leaves the live widget alone;
- bad values generated from each control's bounds (below the minimum, above the maximum, NaN, ±inf;
  a value that is not an option; a non-boolean for a checkbox; an unknown control name) raise a
  ``ValueError`` that names the argument (and, for a slider, its range), alone, next to a valid
  change, in ``frame_png`` and at construction, and change nothing;
- the stored HTML is one figure with alt text and a run prompt, and the offline scrubber has one
  frame per value, each different, each with its own alt text, self-contained.
- the live figure (``LiveFigure``) carries the current PNG, its alt text and its position as the
  page sees the controls; shown in a browser, it pushes the neighbouring positions (the moved
  control's next step first), each equal to what the live update then shows, drawn once; in plain
  Python nothing is drawn ahead.

Widget-specific messages (linked controls, types, the exact wording a learner reads) are listed in
``MESSAGES`` below; widget-specific behaviour is tested in each chapter's own test file. No timings
are asserted here: speed is measured by ``benchmarks/``.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import pytest
from scrub_html import ScrubParser

from ketacourse.widgets import registry
from ketacourse.widgets.base import ModelWidget, _option_labels, _typeset_minus

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WIDGETS = registry()
NAMES = list(WIDGETS)
EACH_WIDGET = [pytest.param(name, id=name, marks=pytest.mark.xdist_group(f"tests/test_widget_contract.py::{name}"))
               for name in NAMES]
"""The widgets as test parameters, each in a pytest-xdist work unit of its own (``make test`` and
``make test-fast`` run ``--dist loadgroup``, tests/conftest.py): a widget's tests share its built
widgets and stored HTML (``get_built``, ``get_bundle``), and different widgets share nothing, so
the workers share the contract instead of one worker running all of it."""
SELECTIONS = (W.Dropdown, W.ToggleButtons, W.RadioButtons, W.SelectionSlider)
SLIDERS = (W.FloatSlider, W.IntSlider, W.FloatLogSlider)

# Messages a learner reads, pinned per widget: (kwargs, message regex). Checked like the generated
# bad values (raise, change nothing), in addition to them.
MESSAGES: dict[str, list[tuple[dict[str, Any], str]]] = {
    "ReceptorExplorer": [
        ({"voltage_mv": 45.0}, r"^voltage_mv must be a finite number >= -100 and <= 40 mV; got 45 mV"),
        ({"voltage_mv": -101.0}, r"^voltage_mv must be a finite number >= -100 and <= 40 mV; got -101 mV"),
        ({"mg_mm": math.nan}, r"^mg_mm must be a finite number >= 0 and <= 2 mM; got nan"),
        ({"ketamine_um": "1"}, r"^ketamine_um must be a finite number >= 0 and <= 10 µM; got '1'"),
        ({"ketamine_um": None}, r"^ketamine_um must be a finite number >= 0 and <= 10 µM; got None"),
        ({"ketamine_um": [1.0, 2.0]}, r"^ketamine_um must be a single number from 0 to 10 µM, not a sequence"),
        ({"glutamate": 1}, r"^glutamate must be True or False; got 1"),
        ({"glycine": "yes"}, r"^glycine must be True or False; got 'yes'"),
        ({"voltage": -20.0}, r"^control name must be one of 'glutamate', 'glycine', 'voltage_mv', 'mg_mm', "
                             r"'ketamine_um'; got 'voltage'"),
    ],
    "OccupancyExplorer": [
        ({"conc_ng_ml": 20000.0}, r"^conc_ng_ml must be a finite number >= 1 and <= 10000 ng/mL; got 20000"),
        ({"conc_ng_ml": 0.5}, r"^conc_ng_ml must be a finite number >= 1 and <= 10000 ng/mL; got 0.5"),
        ({"conc_ng_ml": math.inf}, r"^conc_ng_ml must be a finite number >= 1 and <= 10000 ng/mL; got inf"),
        ({"fraction_unbound": 0.2}, r"^fraction_unbound must be a finite number >= 0.3 and <= 1; got 0.2"),
        ({"fraction_unbound": True}, r"^fraction_unbound must be a finite number >= 0.3 and <= 1; got True"),
        ({"ligand": "esketamine"}, r"^control name must be one of 'conc_ng_ml', 'fraction_unbound'; got 'ligand'"),
    ],
    "IVExplorer": [
        ({"ketamine_um": 51.0}, r"^ketamine_um must be a finite number >= 0 and <= 50 µM; got 51 µM"),
        ({"ketamine_um": -0.1}, r"^ketamine_um must be a finite number >= 0 and <= 50 µM; got -0.1 µM"),
        ({"mg_mm": math.nan}, r"^mg_mm must be a finite number >= 0 and <= 2 mM; got nan"),
        ({"mg_mm": [1.0]}, r"^mg_mm must be a single number from 0 to 2 mM, not a sequence; got \[1.0\]"),
        ({"Mg": 1.0}, r"^control name must be one of 'ketamine_um', 'mg_mm'; got 'Mg'"),
    ],
    "UseDependenceExplorer": [
        ({"rate_hz": 0.0}, r"^rate_hz must be a finite number >= 0.1 and <= 2 Hz; got 0 Hz"),
        ({"rate_hz": 2.5}, r"^rate_hz must be a finite number >= 0.1 and <= 2 Hz; got 2.5 Hz"),
        ({"ketamine_um": 0.01}, r"^ketamine_um must be a finite number >= 0.1 and <= 30 µM; got 0.01 µM"),
        ({"pulse_ms": 3000.0}, r"^pulse_ms must be a finite number >= 50 and <= 2000 ms; got 3000 ms"),
        ({"pulse_ms": math.nan}, r"^pulse_ms must be a finite number >= 50 and <= 2000 ms; got nan"),
        ({"pulse_ms": "500"}, r"^pulse_ms must be a finite number >= 50 and <= 2000 ms; got '500'"),
        ({"n_pulses": 3}, r"^control name must be one of 'rate_hz', 'ketamine_um', 'pulse_ms'; got 'n_pulses'"),
    ],
    "PKExplorer": [
        ({"dose_mg_per_kg": 3.5}, r"^dose_mg_per_kg must be a finite number >= 0.05 and <= 3 mg/kg; got 3.5"),
        ({"dose_mg_per_kg": -0.1}, r"^dose_mg_per_kg must be a finite number >= 0.05 and <= 3 mg/kg; got -0.1"),
        ({"dose_mg": math.nan}, r"^dose_mg must be a finite number >= 1 and <= 450 mg; got nan"),
        ({"weight_kg": 0.0}, r"^weight_kg must be a finite number >= 10 and <= 150 kg; got 0 kg"),
        # linked controls: a total dose that is out of the per-kg range is refused, not clipped
        ({"dose_mg": 400.0}, r"^dose_mg must give a dose from 0.05 to 3 mg/kg at 70 kg \(from 3.5 to 210 mg\); "
                             r"got 400 mg"),
        ({"dose_mg_per_kg": 0.05, "weight_kg": 10.0}, r"^dose_mg_per_kg and weight_kg must give a total dose from 1 "
                                                      r"to 450 mg; got 0.05 mg/kg x 10 kg = 0.5 mg"),
        ({"model": "unknown1999"}, r"^model must be one of 'domino1982', "),
        ({"route": "inhaled"}, r"^route must be one of 'iv_bolus', "),
        ({"population": 1}, r"^population must be True or False; got 1"),
    ],
    "RouteComparison": [
        ({"dose_mg": 0.0}, r"^dose_mg must be a finite number >= 5 and <= 100 mg; got 0 mg"),
        ({"dose_mg": math.inf}, r"^dose_mg must be a finite number >= 5 and <= 100 mg; got inf"),
        ({"weight_kg": 120.0}, r"^weight_kg must be a finite number >= 54 and <= 92 kg; got 120 kg"),
        ({"route": "oral"}, r"^control name must be one of 'dose_mg', 'weight_kg', 'highlight'; got 'route'"),
    ],
    "InfusionDesigner": [
        ({"bolus_mg_per_kg": -0.35}, r"^bolus_mg_per_kg must be a finite number >= 0 and <= 2 mg/kg; got -0.35"),
        ({"rate_mg_per_kg_per_h": math.nan}, r"^rate_mg_per_kg_per_h must be a finite number >= 0 and <= 2 mg/kg/h; "
                                             r"got nan"),
        ({"duration_min": 0.0}, r"^duration_min must be a finite number >= 10 and <= 300 min; got 0 min"),
        ({"band": "anaesthesia"}, r"^band must be one of 'analgesia', 'dissociation'; got 'anaesthesia'"),
    ],
    "DoseResponseExplorer": [
        # the log-scale controls step through round values (10, 12, 15, 20, ... ng/mL)
        ({"conc_ng_ml": 5.0}, r"^conc_ng_ml must be one of 10\.0, 12\.0, 15\.0, .*, 20000\.0; got 5\.0$"),
        ({"conc_ng_ml": math.nan}, r"^conc_ng_ml must be one of 10\.0, 12\.0, .*; got nan$"),
        ({"conc_ng_ml": 186.0}, r"^conc_ng_ml must be one of .*150\.0, 185\.0, 200\.0, .*; got 186\.0$"),
        ({"ec50_ng_ml": 0.0}, r"^ec50_ng_ml must be one of 10\.0, 12\.0, .*, 10000\.0; got 0\.0$"),
        ({"emax_hz": -1.0}, r"^emax_hz must be a finite number >= 0 and <= 10 Hz; got -1 Hz"),
        ({"hill": 6.0}, r"^hill must be a finite number >= 0.5 and <= 5; got 6"),
        ({"custom": "yes"}, r"^custom must be True or False; got 'yes'"),
        ({"ic50": 1.0}, r"^control name must be one of 'conc_ng_ml', 'custom', 'emax_hz', 'ec50_ng_ml', 'hill'; "
                        r"got 'ic50'"),
    ],
    "HysteresisExplorer": [
        ({"t_half_ke0_min": 0.0}, r"^t_half_ke0_min must be a finite number >= 0.2 and <= 15 min; got 0 min"),
        ({"t_half_ke0_min": math.inf}, r"^t_half_ke0_min must be a finite number >= 0.2 and <= 15 min; got inf"),
        ({"dose_mg_per_kg": 3.0}, r"^dose_mg_per_kg must be a finite number >= 0.25 and <= 2.5 mg/kg; got 3 mg/kg"),
        ({"ke0_per_min": 0.1}, r"^control name must be one of 't_half_ke0_min', 'dose_mg_per_kg'; "
                               r"got 'ke0_per_min'"),
    ],
    "EINetworkExplorer": [
        ({"nmda_interneurons": 2.5}, r"^nmda_interneurons must be a finite number >= 0 and <= 2; got 2.5"),
        ({"nmda_pyramidal": math.nan}, r"^nmda_pyramidal must be a finite number >= 0 and <= 2; got nan"),
        ({"conc_ng_ml": 100.0}, r"^control name must be one of 'nmda_interneurons', 'nmda_pyramidal'; "
                                r"got 'conc_ng_ml'"),
    ],
    "TCIChallengeExplorer": [
        ({"time_min": 151.0}, r"^time_min must be a finite number >= 0 and <= 150 min; got 151 min"),
        ({"mode": "brain"}, r"^mode must be one of 'plasma', 'effect'; got 'brain'"),
        ({"model": "fanta2015"}, r"^model must be one of 'domino1982', "),
    ],
    "SpeciesDoseTranslator": [
        ({"dose_mg_per_kg": 0.0}, r"^dose_mg_per_kg must be a finite number >= 0.5 and <= 100 mg/kg; got 0 mg/kg"),
        ({"species": "human"}, r"^species must be one of 'mouse', 'rat'; got 'human'"),
        ({"human_route": "oral"}, r"^human_route must be one of 'iv_infusion_40', 'im'; got 'oral'"),
    ],
    "ForestPlot": [
        ({"endpoint": "mood at day 1"}, r"^endpoint must be one of 'depression at day 1', "),
        ({"measure": "or"}, r"^measure must be one of 'rd' for Response \(≥ 50% fall on the depression scale\), "
                            r"day 28; got 'or'"),
        ({"incl_saline": 1}, r"^incl_saline must be True or False; got 1"),
        ({"level_pct": 100}, r"^level_pct must be a finite number >= 80 and <= 99; got 100"),
        ({"trials": "all"}, r"^control name must be one of 'endpoint', 'measure', 'incl_saline', "),
    ],
    "TrialSimulator": [
        ({"n_per_arm": 1}, r"^n_per_arm must be a finite number >= 5 and <= 200; got 1"),
        ({"true_effect_d": -0.5}, r"^true_effect_d must be a finite number >= 0 and <= 2 SD; got -0.5 SD"),
        ({"guess_correct": 0.3}, r"^guess_correct must be a finite number >= 0.5 and <= 1; got 0.3"),
        ({"expectancy_d": math.nan}, r"^expectancy_d must be a finite number >= 0 and <= 1 SD; got nan"),
    ],
    "ResponseTimeCourse": [
        ({"schedule": "daily"}, r"^schedule must be one of 'single', 'twice', 'thrice'; got 'daily'"),
        ({"dose_mg_per_kg": 2.0}, r"^dose_mg_per_kg must be a finite number >= 0.1 and <= 1 mg/kg; got 2 mg/kg"),
        ({"ceiling_g": -1.0}, r"^ceiling_g must be a finite number >= 0 and <= 3 SD; got -1 SD"),
        ({"relapse": "never"}, r"^relapse must be one of 'after_six_infusions', 'esketamine_stopped'; got 'never'"),
    ],
    "HypothesisDiagram": [
        ({"hypothesis": "serotonin"}, r"^hypothesis must be one of 'disinhibition', 'mtor', 'eef2', 'lhb', 'hnk', "
                                      r"'opioid'; got 'serotonin'"),
        ({"number": 7}, r"^number must be a finite number >= 1 and <= 6; got 7"),
        ({"number": 2, "hypothesis": "hnk"}, r"^number and hypothesis must agree: hypothesis 'hnk' is number 5; "
                                             r"got 2"),
    ],
    "WindupExplorer": [
        ({"ketamine_um": 3.0}, r"^ketamine_um must be one of"),
        ({"frequency_hz": 7.0}, r"^frequency_hz must be one of"),
    ],
    "CRPSInfusionExplorer": [
        ({"weight_kg": 300.0}, r"^weight_kg must be a finite number >= 50 and <= 110 kg; got 300"),
        ({"preset": "nope"}, r"^preset must be one of"),
    ],
    "AcutePainExplorer": [
        ({"dose_scale": 5.0}, r"^dose_scale must be a finite number >= 0.25 and <= 2"),
    ],
    "PainForestPlot": [
        ({"endpoint": "nope"}, r"^endpoint must be one of"),
    ],
    "EvidenceMap": [
        ({"drug": "ketamine"}, r"^drug must be one of 'all', 'racemic ketamine', "),
        ({"new_n": 5}, r"^new_n must be a finite number >= 10 and <= 600 patients; got 5 patients"),
        ({"new_indication": "migraine"}, r"^new_indication must be one of '\(none\)', 'PTSD', "),
    ],
    "MoleculeComparison": [
        ({"conc_ng_ml": 1e6}, r"^conc_ng_ml must be a finite number >= 1 and <= 100000 ng/mL; got 1e\+06 ng/mL"),
        ({"racemate_ki_um": 1.0}, r"^racemate_ki_um must be one of 0.5, 0.119, 3.1; got 1.0"),
    ],
    "SessionSimulator": [
        ({"weight_kg": 300.0}, r"^weight_kg must be a finite number >= 40 and <= 150 kg; got 300"),
        ({"session": "nope"}, r"^session must be one of"),
    ],
    "RouteLogistics": [
        ({"weight_kg": 10.0}, r"^weight_kg must be a finite number >= 40"),
        ({"show_metabolite": "yes"}, r"^show_metabolite must be True or False"),
    ],
    "AdverseEventForest": [
        ({"endpoint": "nope"}, r"^endpoint must be one of"),
    ],
}

# More valid changes per widget (several controls at once, controls other than the scrubbed one):
# each must update the figure in place exactly as a new widget built with it draws.
CHANGES: dict[str, list[dict[str, Any]]] = {
    "ReceptorExplorer": [{"voltage_mv": -20.0, "ketamine_um": 2.0}, {"mg_mm": 2.0}],
    "OccupancyExplorer": [{"conc_ng_ml": 1000.0}, {"fraction_unbound": 0.8}],
    "IVExplorer": [{"ketamine_um": 10.0, "mg_mm": 0.5}, {"mg_mm": 2.0}],
    "UseDependenceExplorer": [{"rate_hz": 1.5}, {"pulse_ms": 1000.0}],
    "PKExplorer": [{"dose_mg_per_kg": 1.5, "route": "iv_bolus"}, {"model": "clements1981"}],
    "RouteComparison": [{"dose_mg": 75.0}, {"weight_kg": 90.0}],
    "InfusionDesigner": [{"rate_mg_per_kg_per_h": 1.5}, {"band": "dissociation"}],
    "DoseResponseExplorer": [{"conc_ng_ml": 2000.0, "hill": 4.0}, {"emax_hz": 3.0}],
    "HysteresisExplorer": [{"t_half_ke0_min": 1.0}, {"dose_mg_per_kg": 2.0}],
    "EINetworkExplorer": [{"nmda_interneurons": 0.5}, {"nmda_pyramidal": 0.6}],
    "TCIChallengeExplorer": [{"time_min": 100.0, "mode": "effect"}, {"model": "clements1981"}],
    "SpeciesDoseTranslator": [{"dose_mg_per_kg": 25.0, "species": "rat"}, {"human_route": "im"}],
    "ForestPlot": [{"endpoint": "depression at day 1", "incl_midazolam": False}],
    "TrialSimulator": [{"n_per_arm": 100, "expectancy_d": 0.4, "guess_correct": 0.9}],
    "ResponseTimeCourse": [{"schedule": "twice", "weeks": 3}],
    "HypothesisDiagram": [{"hypothesis": "hnk"}],
    "WindupExplorer": [{"ketamine_um": 5.0, "frequency_hz": 2.0}],
    "CRPSInfusionExplorer": [{"preset": "schwartzman2009_outpatient", "dose_scale": 0.5}],
    "AcutePainExplorer": [{"preset": "schwenk2018_low", "weight_kg": 90.0}],
    "PainForestPlot": [{"endpoint": "pain_score at end of week 1"}],
    "EvidenceMap": [{"drug": "lanicemine", "new_indication": "opioid use disorder", "new_n": 300}],
    "MoleculeComparison": [{"conc_ng_ml": 1000.0, "racemate_ki_um": 3.1}],
    "SessionSimulator": [{"session": "nasal_esketamine_84", "baseline_sbp_mmhg": 136.0}],
    "RouteLogistics": [{"weight_kg": 90.0, "show_metabolite": True}],
    "AdverseEventForest": [{"endpoint": "dizziness at double-blind, 4 weeks"}],
}

# Scrubbers with fewer than five frames (every preset or end point a table has).
FEW_FRAMES = {"AcutePainExplorer": 3, "CRPSInfusionExplorer": 4, "PainForestPlot": 3, "RouteLogistics": 4,
              "SessionSimulator": 4}


# ----------------------------------------------------------------------------- generated cases
def _bounds(ctrl) -> tuple[float, float]:
    if isinstance(ctrl, W.FloatLogSlider):
        return float(ctrl.base ** ctrl.min), float(ctrl.base ** ctrl.max)
    return float(ctrl.min), float(ctrl.max)


def bad_values(name: str, ctrl) -> list[tuple[Any, str]]:
    """Values a control must refuse, with the start of the message (which names the control)."""
    head = rf"^{re.escape(name)} must be "
    if isinstance(ctrl, SELECTIONS):
        return [("no such option", head + "one of "), (math.nan, head + "one of ")]
    if isinstance(ctrl, (W.Checkbox, W.ToggleButton)):
        return [(1, head + "True or False"), ("yes", head + "True or False")]
    if isinstance(ctrl, SLIDERS):
        low, high = _bounds(ctrl)
        if isinstance(ctrl, W.FloatLogSlider):
            below, above = low / ctrl.base, high * ctrl.base
        else:
            span = high - low
            below, above = low - max(1.0, 0.1 * span), high + max(1.0, 0.1 * span)
        rng = head + rf"a finite number >= {re.escape(f'{low:g}')} and <= {re.escape(f'{high:g}')}\b"
        return [(below, rng), (above, rng), (math.nan, rng), (math.inf, rng), (-math.inf, rng)]
    raise AssertionError(f"{name}: a control of type {type(ctrl).__name__} has no generated bad values; "
                         "extend the contract test")


def valid_change(cls, w) -> dict[str, Any]:
    """A valid change of the scrubbed control: the first scrubber value that differs from now."""
    spec = cls.scrub
    current = w.params[spec.control]
    for value in spec.values:
        if value != current and not (isinstance(value, float) and math.isclose(value, current)):
            return {spec.control: value}
    raise AssertionError(f"{cls.__name__}: the scrubber has no value other than the current one")


@dataclass
class Built:
    cls: type
    widget: Any  # built with the defaults; tests leave it as it is
    png: bytes
    params: dict[str, Any]
    change: dict[str, Any]
    changed_png: bytes  # a brand-new widget built with the change
    changed_repr: str


_BUILT: dict[str, Built] = {}


def get_built(name: str) -> Built:
    if name not in _BUILT:
        cls = WIDGETS[name]
        w = cls()
        change = valid_change(cls, w)
        changed = cls(**change)
        _BUILT[name] = Built(cls, w, w.png(), dict(w.params), change, changed.png(), repr(changed))
    return _BUILT[name]


_UNTOUCHED: dict[str, Any] = {}
"""A new default widget per name that a test built and only read (its repr), never changed: the next
test that needs a brand-new default widget takes it (``new_default``) instead of building another."""


def new_default(name: str):
    """A brand-new widget with the default controls, never changed (built here if none is waiting)."""
    return _UNTOUCHED.pop(name, None) or WIDGETS[name]()


def assert_unchanged(b: Built) -> None:
    assert b.widget.params == b.params
    assert b.widget.png() == b.png


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a widget created a pyplot-managed figure"


# ----------------------------------------------------------------------------- the registry
def test_registry_lists_every_widget_class_of_every_widget_module():
    import importlib
    import inspect
    import pkgutil

    import ketacourse.widgets as pkg

    found = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, ModelWidget) and obj is not ModelWidget \
                    and obj.__module__ == module.__name__:
                found[obj.__name__] = obj
    assert WIDGETS == found
    assert len(WIDGETS) >= 25
    for name, cls in WIDGETS.items():
        assert cls.__name__ == name and cls.scrub is not None, f"{name} needs an offline scrubber (ScrubSpec)"


def test_every_pinned_case_belongs_to_a_registered_widget():
    assert set(MESSAGES) <= set(WIDGETS) and set(CHANGES) <= set(WIDGETS)


def test_widget_names_are_unique():
    with pytest.raises(TypeError, match=r"^two widget classes are named ReceptorExplorer"):
        type("ReceptorExplorer", (ModelWidget,), {"__module__": "elsewhere"})
    type("ThrowAway", (ModelWidget,), {"__module__": "tests.scratch"}, register=False)
    assert "ThrowAway" not in registry()


# ----------------------------------------------------------------------------- state and controls
@pytest.mark.parametrize("name", EACH_WIDGET)
def test_controls_have_labels_and_the_repr_is_fixed(name):
    b = get_built(name)
    w = b.widget
    assert set(w.controls) == set(w.params)
    for key, ctrl in w.controls.items():
        assert ctrl.description, f"control {key} needs a visible label"
    assert b.png.startswith(PNG_MAGIC) and b.changed_png.startswith(PNG_MAGIC)
    text = repr(w)
    assert text.startswith(f"<{name}: ") and text.endswith(">") and "\n" not in text
    for key in w.controls:
        assert f"{key}=" in text
    assert not re.search(r"0x[0-9a-fA-F]{4,}", text), "no memory address"
    assert "base64" not in text and "iVBOR" not in text and len(text) < 400
    second = b.cls()
    assert repr(second) == text, "two new instances have the same repr"
    assert b.changed_repr != text
    _UNTOUCHED[name] = second  # only read: still a brand-new widget for the next test


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_a_valid_change_updates_in_place_as_a_new_widget_would_draw_it(name):
    b = get_built(name)
    w = new_default(name)
    fig, image = w.fig, w.image
    assert w is not b.widget and w.png() == b.png, "rendering is deterministic"
    assert w.set(**b.change) is w
    assert w.fig is fig and w.image is image, "the figure is updated, never rebuilt"
    for key, value in b.change.items():
        assert w.params[key] == value
    assert w.png() != b.png
    assert w.png() == b.changed_png, "blitting over the cached background draws what a new widget draws"
    assert repr(w) == b.changed_repr
    assert w.recreate_png() == w.png(), "a rebuilt figure draws what the live figure draws"
    for key, value in b.params.items():  # the learner's path: controls moved back by hand
        w.controls[key].value = value
    assert w.params == b.params
    assert w.png() == b.png
    assert w.fig is fig


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_every_scrubber_value_and_listed_change_updates_in_place(name):
    """Each scrubber value set in turn gives its own image on the same figure; each listed change
    (several controls, other controls) draws exactly what a new widget built with it draws."""
    b = get_built(name)
    w = b.cls()
    fig, image = w.fig, w.image
    control = b.cls.scrub.control
    pngs = []
    for value in b.cls.scrub.values:
        w.set(**{control: value})
        assert w.fig is fig and w.image is image
        pngs.append(w.png())
    assert len(set(pngs)) == len(pngs), "every value of the main control draws a different figure"
    for change in CHANGES.get(name, []):
        fresh = b.cls(**change)
        w.set(**b.params)
        w.set(**change)
        for key, value in change.items():
            assert w.params[key] == pytest.approx(value) if isinstance(value, float) else w.params[key] == value
        assert w.fig is fig and w.png() != b.png
        assert w.png() == fresh.png(), f"{change}: blitting draws what a new widget draws"
    assert plt.get_fignums() == []


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_images_from_the_cache_equal_drawing_them(name):
    """A position drawn before (or precomputed for the book's scrubber) is answered from the image
    cache: the same image as drawing it again."""
    # The widget whose stored HTML the tests below read: drawing its static_html() (the scrubber's
    # frames, computed once per widget) also filled its live image cache. It is moved back to where it was.
    b, _bundle, _parser = get_bundle(name)
    w = b.widget
    control, values = b.cls.scrub.control, list(b.cls.scrub.values)
    states = [{**w.params, **w._checked_and_linked({control: value})} for value in values]
    if not all(w._image_key(state) in w._images for state in states):
        # its stored HTML was read from the run's disk cache (a chapter's kernel drew the same widget):
        # draw the scrubber's frames here as static_html draws them, which keeps their live images
        w._desktop_frames(states)
    assert all(w._image_key(state) in w._images for state in states)
    try:
        cached = {}  # by every control's value (a linked control may follow the path taken)
        for value in values:
            w.set(**{control: value})
            cached[tuple(sorted(w.params.items()))] = w.png()
        w.clear_image_cache()
        compared = 0
        for value in values[::-1]:
            w.set(**{control: value})
            key = tuple(sorted(w.params.items()))
            if key in cached:
                assert w.png() == cached[key], value
                compared += 1
        assert compared >= 2
    finally:
        w.set(**b.params)
    assert_unchanged(b)
    uncached = type(w)()
    uncached.image_cache_size = 0
    uncached.clear_image_cache()
    uncached.set(**b.change)
    assert uncached.png() == b.changed_png and not uncached._images


def _run_in_a_loop(w: ModelWidget, moves: list[dict], seconds: float = 1.5) -> list[dict]:
    """Show ``w`` to a pretend browser (its ``ready`` message), make ``moves`` as the browser would
    (control values), let the event loop prefetch, and return the frames pushed to the page.

    The loop ends as soon as the kernel's prefetch queue is empty (nothing scheduled, nothing left
    to draw: no further frame can be pushed), or after ``seconds`` at most (as before, when it always
    ran ``seconds``)."""
    import asyncio

    from ketacourse.widgets.live_view import _PREFETCHER

    pushed: list[dict] = []

    def send(content, buffers=None):
        if content.get("type") == "frames":
            for entry, png in zip(content["entries"], buffers or []):
                pushed.append({**entry, "png": bytes(png)})

    w.image.send = send

    async def main():
        w.image._on_message(w.image, {"type": "ready"}, [])
        for move in moves:
            for key, value in move.items():
                w.controls[key].value = value
            await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            await asyncio.sleep(0.01)
            if _PREFETCHER.handle is None and not _PREFETCHER.queue:
                break  # prefetching is over: what was pushed is all that will be pushed

    # A thread of its own: under pytest-xdist a worker that ran browser tests may have an event loop
    # running in the main thread, and asyncio.run() refuses to start inside it.
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return pushed


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_the_live_figure_prefetches_neighbours_that_equal_the_live_update(name):
    """Shown in a browser, after a move the kernel pushes the neighbouring positions (the moved
    control's next step first), each keyed as the page sees the controls, with its alt text; moving
    there draws nothing new (the image cache answers) and shows exactly the pushed image."""
    from ketacourse.widgets.live_view import neighbours, position_key

    b = get_built(name)
    w = b.cls()
    assert isinstance(w.image, W.DOMWidget) and w.image.value == w.png()
    assert w.image.frame_key == position_key(w.controls, w.params) and w.image.alt == w.alt_text(**w.params)
    assert [c.model_id for c in w.image.controls] == [c.model_id for c in w.controls.values()]
    control = b.cls.scrub.control
    around = neighbours(w, control, 1)
    assert around, "every widget has a position one step away"
    step = next((m[control] for m, _s in around if control in m), None)
    moves = [{control: step}] if step is not None else [dict(around[0][0])]
    pushed = _run_in_a_loop(w, moves, seconds=2.0 if name != "RouteLogistics" else 4.0)
    assert pushed, "neighbours are pushed once a browser shows the widget"
    ids = [p["id"] for p in pushed]
    assert len(ids) == len(set(ids)), "a frame is pushed once"
    home = dict(w.params)
    shown = {json_key(position_key(w.controls, b.params)), json_key(w.image.frame_key)}
    expect = [st for _m, st in neighbours(w, *w.image._last_move)
              if json_key(position_key(w.controls, st)) not in shown]
    assert pushed[0]["keys"][0] == position_key(w.controls, expect[0]), "the moved control's next step comes first"
    around = {json_key(position_key(w.controls, st)): (m, st) for m, st in neighbours(w)}
    checked = 0
    for frame in pushed[:3]:  # go there as the page would: the kernel answers from its cache, same image
        found = around.get(json_key(frame["keys"][0]))
        if found is None:
            continue
        moved, state = found
        assert frame["alt"] == w.alt_text(**state)
        drawn = len(w._images)
        for key, value in moved.items():
            w.controls[key].value = value
        assert len(w._images) == drawn, "the pushed position was drawn once, when it was pushed"
        assert w.png() == frame["png"] and w.image.frame == frame["id"]
        for key, value in home.items():
            w.controls[key].value = value
        checked += 1
    assert checked >= 1
    assert plt.get_fignums() == []


def json_key(key: list) -> str:
    import json

    return json.dumps(key)


def test_no_prefetch_without_a_browser_or_an_event_loop():
    """In plain Python (tests, scripts) nothing is drawn ahead, even once a browser has said it shows
    the widget: only the position set is drawn."""
    from ketacourse.widgets.live_view import neighbours

    w = WIDGETS[NAMES[0]]()
    w.image._on_message(w.image, {"type": "ready"}, [])  # a browser, but no running event loop
    control = w.scrub.control
    moved = next(m for m, _s in neighbours(w, control, 1) if control in m)
    before = len(w._images)
    w.set(**moved)
    assert len(w._images) == before + 1


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_recreate_png_leaves_the_live_widget_alone(name):
    b = get_built(name)
    assert b.widget.recreate_png(**b.change) == b.changed_png
    assert_unchanged(b)


def _bad_cases(name: str) -> list:
    controls = get_built(name).widget.controls  # some widgets build their controls from data
    cases = [(dict([(key, value)]), msg) for key, ctrl in controls.items() for value, msg in bad_values(key, ctrl)]
    cases.append(({"no_such_control": 1.0}, r"^control name must be one of "))
    return cases + MESSAGES.get(name, [])


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_bad_values_raise_naming_the_control_and_change_nothing(name):
    b = get_built(name)
    w = b.widget
    cases = _bad_cases(name)
    assert len(cases) > len(MESSAGES.get(name, [])) + 1
    for kwargs, msg in cases:
        with pytest.raises(ValueError, match=msg):
            w.set(**kwargs)
        assert_unchanged(b)
        # next to a valid change: everything is validated before anything moves (the message may
        # then describe the changed state, e.g. the measures of another end point: it names the
        # same control)
        good = {k: v for k, v in b.change.items() if k not in kwargs}
        if good:
            named = re.match(r"\^?(.+?) must ", msg)
            with pytest.raises(ValueError, match=f"^{named.group(1)} must " if named else msg):
                w.set(**good, **kwargs)
            assert_unchanged(b)
        with pytest.raises(ValueError, match=msg):
            w.frame_png(**kwargs)
        assert_unchanged(b)


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_bad_initial_values_raise(name):
    cls = WIDGETS[name]
    kwargs, msg = _bad_cases(name)[0]
    with pytest.raises(ValueError, match=msg):
        cls(**kwargs)
    for kwargs, msg in MESSAGES.get(name, [])[:1]:
        with pytest.raises(ValueError, match=msg):
            cls(**kwargs)


# ----------------------------------------------------------------------------- stored output
_BUNDLES: dict[str, tuple[dict, ScrubParser]] = {}


def get_bundle(name: str) -> tuple[Built, dict, ScrubParser]:
    b = get_built(name)
    if name not in _BUNDLES:
        bundle = b.widget._repr_mimebundle_()
        assert_unchanged(b)  # rendering the frames must not disturb the live widget
        parser = ScrubParser()
        parser.feed(bundle["text/html"])
        _BUNDLES[name] = (bundle, parser)
    return (b, *_BUNDLES[name])


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_mimebundle_has_the_four_representations(name):
    b, bundle, _parser = get_bundle(name)
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/html", "image/png", "text/plain"}
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == b.widget.view.model_id
    assert b.widget.image in b.widget.view.children
    assert base64.b64decode(bundle["image/png"]) == b.png
    assert bundle["text/plain"] == repr(b.widget)
    assert bundle["text/html"].startswith("<style>") and 'class="kc-scrub"' in bundle["text/html"]


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_stored_html_without_scripts_is_one_figure_and_a_run_prompt(name):
    """What JupyterLab's sanitiser leaves (no scripts, no styles): one image with alt text, no controls."""
    b, bundle, parser = get_bundle(name)
    html = bundle["text/html"]
    assert len(parser.imgs) == 1 and html.count("<img") == 1
    assert len((parser.imgs[0].get("alt") or "").strip()) > 40
    assert "hidden" not in parser.imgs[0]
    assert parser.inputs == [], "no form control before the cell runs (it could not work)"
    assert b.widget.run_prompt in html
    assert "Run the notebook from the top" in b.widget.run_prompt and "Run All Cells" in b.widget.run_prompt


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_scrubber_frames_have_their_own_alt_text_and_differ(name):
    b, bundle, parser = get_bundle(name)
    w, spec = b.widget, b.cls.scrub
    values = list(spec.values)
    frames = parser.frames
    assert len(values) >= FEW_FRAMES.get(name, 5) and len(frames) == len(values) == len(parser.data["labels"])
    for frame, value in zip(frames, values):
        assert frame["alt"] == w.alt_text(**{**b.params, spec.control: value})
        assert len(frame["alt"].strip()) > 40, "every frame needs a description"
        assert frame["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(frame["src"].split(",", 1)[1]).startswith(PNG_MAGIC)
    alts = [f["alt"] for f in frames]
    assert len(set(alts)) == len(alts), "each frame's alt text must describe that frame"
    srcs = [f["src"] for f in frames]
    assert len(set(srcs)) == len(srcs), "every precomputed frame must show something different"


@pytest.mark.parametrize("name", EACH_WIDGET)
def test_scrubber_starts_at_the_current_frame_and_is_self_contained(name):
    b, bundle, parser = get_bundle(name)
    spec, cur = b.cls.scrub, b.params[b.cls.scrub.control]
    values = list(spec.values)
    try:
        nearest = int(np.argmin([abs(float(v) - float(cur)) for v in values]))
    except (TypeError, ValueError):
        nearest = values.index(cur)
    d = parser.data
    assert d["start"] == nearest and d["frames"][nearest] is None  # the stored <img> is that frame
    # A choice control's frame is named by the label the learner sees, not its internal value.
    shown = _option_labels(b.widget.controls[spec.control])
    value = values[nearest]
    assert d["labels"][nearest] == _typeset_minus(spec.label.format(shown.get(value, value) if isinstance(value, str) else value))
    assert d["label"] == b.widget.controls[spec.control].description
    text = bundle["text/html"]
    assert "http://" not in text and "https://" not in text
    assert "<script src" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert all("src" not in s for s in parser.scripts)
    assert text.count("</script>") == 2  # the JSON cannot close its script early
