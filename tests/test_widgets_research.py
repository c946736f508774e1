"""Chapter 5 widgets, headless: controls, validation, in-place updates, the offline scrubber and the
models they draw. No timings here: speed is measured by benchmarks/bench_widgets.py."""

from __future__ import annotations

import base64
import math
import re
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import numpy as np
import pytest

from ketacourse import translation
from ketacourse.circuits import ei_network as ei
from ketacourse.widgets import research

PNG = b"\x89PNG\r\n\x1a\n"

CASES = {
    research.EINetworkExplorer: dict(
        change={"nmda_interneurons": 0.5}, alt={"nmda_pyramidal": 0.6},
        bad=[({"nmda_interneurons": 2.5}, r"^nmda_interneurons must be a finite number >= 0 and <= 2; got 2.5"),
             ({"nmda_pyramidal": math.nan}, r"^nmda_pyramidal must be a finite number >= 0 and <= 2; got nan"),
             ({"conc_ng_ml": 100.0}, r"^control name must be one of 'nmda_interneurons', 'nmda_pyramidal'; got 'conc_ng_ml'")]),
    research.TCIChallengeExplorer: dict(
        change={"time_min": 100.0, "mode": "effect"}, alt={"model": "clements1981"},
        bad=[({"time_min": 151.0}, r"^time_min must be a finite number >= 0 and <= 150 min; got 151 min"),
             ({"mode": "brain"}, r"^mode must be one of 'plasma', 'effect'; got 'brain'"),
             ({"model": "fanta2015"}, r"^model must be one of 'domino1982', ")]),
    research.SpeciesDoseTranslator: dict(
        change={"dose_mg_per_kg": 25.0, "species": "rat"}, alt={"human_route": "im"},
        bad=[({"dose_mg_per_kg": 0.0}, r"^dose_mg_per_kg must be a finite number >= 0.5 and <= 100 mg/kg; got 0 mg/kg"),
             ({"species": "human"}, r"^species must be one of 'mouse', 'rat'; got 'human'"),
             ({"human_route": "oral"}, r"^human_route must be one of 'iv_infusion_40', 'im'; got 'oral'")]),
}
IDS = [c.__name__ for c in CASES]
_BUILT: dict = {}


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a widget created a pyplot-managed figure"


def built(cls):
    if cls not in _BUILT:
        w = cls()
        changed = cls(**CASES[cls]["change"])
        _BUILT[cls] = (w, w.png(), dict(w.params), changed.png())
    return _BUILT[cls]


def test_every_research_widget_is_covered():
    assert sorted(research.__all__) == sorted(IDS)


@pytest.mark.parametrize("cls", CASES, ids=IDS)
def test_controls_have_labels_and_defaults_render(cls):
    w, png, params, changed = built(cls)
    assert png.startswith(PNG) and changed.startswith(PNG) and png != changed
    for name, ctrl in w.controls.items():
        assert ctrl.description, name


@pytest.mark.parametrize("cls", CASES, ids=IDS)
def test_live_update_is_in_place_and_pixel_identical_to_a_fresh_build(cls):
    w0, png0, params0, changed = built(cls)
    w = cls()
    fig, image = w.fig, w.image
    assert w.png() == png0
    w.set(**CASES[cls]["change"])
    assert w.png() == changed and w.fig is fig and w.image is image
    w.set(**CASES[cls]["alt"])
    assert w.png() not in (png0, changed)
    for k, v in params0.items():  # the learner's path: controls move, observers redraw
        w.controls[k].value = v
    assert w.png() == png0
    other = w.recreate_png(**CASES[cls]["change"])
    assert other == changed and w.fig is fig
    assert w.png() == png0


@pytest.mark.parametrize(("cls", "kwargs", "msg"),
                         [pytest.param(c, kw, m, id=f"{c.__name__}-{next(iter(kw))}") for c in CASES for kw, m in CASES[c]["bad"]])
def test_bad_values_raise_and_change_nothing(cls, kwargs, msg):
    w, png, params, _ = built(cls)
    with pytest.raises(ValueError, match=msg):
        w.set(**kwargs)
    good = {k: v for k, v in {**CASES[cls]["change"], **CASES[cls]["alt"]}.items() if k not in kwargs}
    with pytest.raises(ValueError, match=msg):
        w.set(**good, **kwargs)
    assert w.png() == png and w.params == params


class _Imgs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.frames, self.ranges = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.frames.append(a)
        elif tag == "input" and a.get("type") == "range":
            self.ranges.append(a)


@pytest.mark.parametrize("cls", CASES, ids=IDS)
def test_offline_scrubber_frames_with_their_own_alt_text(cls):
    w, png, params, _ = built(cls)
    bundle = w._repr_mimebundle_()
    assert w.png() == png and w.params == params
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/html", "image/png", "text/plain"}
    html = bundle["text/html"]
    assert "http://" not in html and "https://" not in html and "<script src" not in html.lower()
    p = _Imgs()
    p.feed(html)
    values = list(cls.scrub.values)
    assert len(values) >= 5 and len(p.frames) == len(values)
    alts = [f["alt"] for f in p.frames]
    assert len(set(alts)) == len(alts) and all(len(a) > 40 for a in alts)
    for f, v in zip(p.frames, values):
        assert f["alt"] == w.alt_text(**{**params, cls.scrub.control: v})
        assert base64.b64decode(f["src"].split(",", 1)[1]).startswith(PNG)
    assert len({f["src"] for f in p.frames}) == len(values)
    assert sum("hidden" not in f for f in p.frames) == 1
    (rng,) = p.ranges
    assert rng["max"] == str(len(values) - 1) and rng.get("aria-label")
    assert not re.search(r"0x[0-9a-f]{6,}", bundle["text/plain"])


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
