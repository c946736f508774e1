"""Chapter 1 and Chapter 2 widgets, headless: controls, validation, in-place updates and the offline scrubber.

ipywidgets objects work without a kernel (their comms are inert), and every figure is an
Agg-backed matplotlib Figure that pyplot does not manage. No timings are asserted here: speed is
measured by ``benchmarks/``.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest

from ketacourse import pk as pkmod
from scrub_html import ScrubParser
from ketacourse.widgets import nmda, pk
from ketacourse.widgets import pd as pdw

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Case:
    cls: type
    change: dict[str, Any]  # a valid change that visibly alters the figure
    bad: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (kwargs, message regex)
    alt: dict[str, Any] = field(default_factory=dict)  # another valid change, on a different control


CASES = [
    Case(
        nmda.ReceptorExplorer,
        {"voltage_mv": -20.0, "ketamine_um": 2.0},
        alt={"mg_mm": 2.0},
        bad=[
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
    ),
    Case(
        nmda.OccupancyExplorer,
        {"conc_ng_ml": 1000.0},
        alt={"fraction_unbound": 0.8},
        bad=[
            ({"conc_ng_ml": 20000.0}, r"^conc_ng_ml must be a finite number >= 1 and <= 10000 ng/mL; got 20000"),
            ({"conc_ng_ml": 0.5}, r"^conc_ng_ml must be a finite number >= 1 and <= 10000 ng/mL; got 0.5"),
            ({"conc_ng_ml": math.inf}, r"^conc_ng_ml must be a finite number >= 1 and <= 10000 ng/mL; got inf"),
            ({"fraction_unbound": 0.2}, r"^fraction_unbound must be a finite number >= 0.3 and <= 1; got 0.2"),
            ({"fraction_unbound": True}, r"^fraction_unbound must be a finite number >= 0.3 and <= 1; got True"),
            ({"ligand": "esketamine"}, r"^control name must be one of 'conc_ng_ml', 'fraction_unbound'; got 'ligand'"),
        ],
    ),
    Case(
        nmda.IVExplorer,
        {"ketamine_um": 10.0, "mg_mm": 0.5},
        alt={"mg_mm": 2.0},
        bad=[
            ({"ketamine_um": 51.0}, r"^ketamine_um must be a finite number >= 0 and <= 50 µM; got 51 µM"),
            ({"ketamine_um": -0.1}, r"^ketamine_um must be a finite number >= 0 and <= 50 µM; got -0.1 µM"),
            ({"mg_mm": math.nan}, r"^mg_mm must be a finite number >= 0 and <= 2 mM; got nan"),
            ({"mg_mm": [1.0]}, r"^mg_mm must be a single number from 0 to 2 mM, not a sequence; got \[1.0\]"),
            ({"Mg": 1.0}, r"^control name must be one of 'ketamine_um', 'mg_mm'; got 'Mg'"),
        ],
    ),
    Case(
        nmda.UseDependenceExplorer,
        {"rate_hz": 1.5},
        alt={"pulse_ms": 1000.0},
        bad=[
            ({"rate_hz": 0.0}, r"^rate_hz must be a finite number >= 0.1 and <= 2 Hz; got 0 Hz"),
            ({"rate_hz": 2.5}, r"^rate_hz must be a finite number >= 0.1 and <= 2 Hz; got 2.5 Hz"),
            ({"ketamine_um": 0.01}, r"^ketamine_um must be a finite number >= 0.1 and <= 30 µM; got 0.01 µM"),
            ({"pulse_ms": 3000.0}, r"^pulse_ms must be a finite number >= 50 and <= 2000 ms; got 3000 ms"),
            ({"pulse_ms": math.nan}, r"^pulse_ms must be a finite number >= 50 and <= 2000 ms; got nan"),
            ({"pulse_ms": "500"}, r"^pulse_ms must be a finite number >= 50 and <= 2000 ms; got '500'"),
            ({"n_pulses": 3}, r"^control name must be one of 'rate_hz', 'ketamine_um', 'pulse_ms'; got 'n_pulses'"),
        ],
    ),
]
CASES += [
    Case(
        pk.PKExplorer,
        {"dose_mg_per_kg": 1.5, "route": "iv_bolus"},
        alt={"model": "clements1981"},
        bad=[
            ({"dose_mg_per_kg": 3.5}, r"^dose_mg_per_kg must be a finite number >= 0.05 and <= 3 mg/kg; got 3.5"),
            ({"dose_mg_per_kg": -0.1}, r"^dose_mg_per_kg must be a finite number >= 0.05 and <= 3 mg/kg; got -0.1"),
            ({"dose_mg": math.nan}, r"^dose_mg must be a finite number >= 1 and <= 450 mg; got nan"),
            ({"weight_kg": 0.0}, r"^weight_kg must be a finite number >= 10 and <= 150 kg; got 0 kg"),
            # linked controls: a total dose that is out of the per-kg range is refused, not clipped
            ({"dose_mg": 400.0}, r"^dose_mg must give a dose from 0.05 to 3 mg/kg at 70 kg \(from 3.5 to 210 mg\); got 400 mg"),
            ({"dose_mg_per_kg": 0.05, "weight_kg": 10.0}, r"^dose_mg_per_kg and weight_kg must give a total dose from 1 to 450 mg; got 0.05 mg/kg x 10 kg = 0.5 mg"),
            ({"model": "unknown1999"}, r"^model must be one of 'domino1982', "),
            ({"route": "inhaled"}, r"^route must be one of 'iv_bolus', "),
            ({"population": 1}, r"^population must be True or False; got 1"),
        ],
    ),
    Case(
        pk.RouteComparison,
        {"dose_mg": 75.0},
        alt={"weight_kg": 90.0},
        bad=[
            ({"dose_mg": 0.0}, r"^dose_mg must be a finite number >= 5 and <= 100 mg; got 0 mg"),
            ({"dose_mg": math.inf}, r"^dose_mg must be a finite number >= 5 and <= 100 mg; got inf"),
            ({"weight_kg": 120.0}, r"^weight_kg must be a finite number >= 54 and <= 92 kg; got 120 kg"),
            ({"route": "oral"}, r"^control name must be one of 'dose_mg', 'weight_kg', 'highlight'; got 'route'"),
        ],
    ),
    Case(
        pk.InfusionDesigner,
        {"rate_mg_per_kg_per_h": 1.5},
        alt={"band": "dissociation"},
        bad=[
            ({"bolus_mg_per_kg": -0.35}, r"^bolus_mg_per_kg must be a finite number >= 0 and <= 2 mg/kg; got -0.35"),
            ({"rate_mg_per_kg_per_h": math.nan}, r"^rate_mg_per_kg_per_h must be a finite number >= 0 and <= 2 mg/kg/h; got nan"),
            ({"duration_min": 0.0}, r"^duration_min must be a finite number >= 10 and <= 300 min; got 0 min"),
            ({"band": "anaesthesia"}, r"^band must be one of 'analgesia', 'dissociation'; got 'anaesthesia'"),
        ],
    ),
]
CASES += [
    Case(
        pdw.DoseResponseExplorer,
        {"conc_ng_ml": 2000.0, "hill": 4.0},
        alt={"emax_hz": 3.0},
        bad=[
            ({"conc_ng_ml": 5.0}, r"^conc_ng_ml must be a finite number >= 10 and <= 20000 ng/mL; got 5 ng/mL"),
            ({"conc_ng_ml": math.nan}, r"^conc_ng_ml must be a finite number >= 10 and <= 20000 ng/mL; got nan"),
            ({"ec50_ng_ml": 0.0}, r"^ec50_ng_ml must be a finite number >= 10 and <= 10000 ng/mL; got 0 ng/mL"),
            ({"emax_hz": -1.0}, r"^emax_hz must be a finite number >= 0 and <= 10 Hz; got -1 Hz"),
            ({"hill": 6.0}, r"^hill must be a finite number >= 0.5 and <= 5; got 6"),
            ({"custom": "yes"}, r"^custom must be True or False; got 'yes'"),
            ({"ic50": 1.0}, r"^control name must be one of 'conc_ng_ml', 'custom', 'emax_hz', 'ec50_ng_ml', 'hill'; got 'ic50'"),
        ],
    ),
    Case(
        pdw.HysteresisExplorer,
        {"t_half_ke0_min": 1.0},
        alt={"dose_mg_per_kg": 2.0},
        bad=[
            ({"t_half_ke0_min": 0.0}, r"^t_half_ke0_min must be a finite number >= 0.2 and <= 15 min; got 0 min"),
            ({"t_half_ke0_min": math.inf}, r"^t_half_ke0_min must be a finite number >= 0.2 and <= 15 min; got inf"),
            ({"dose_mg_per_kg": 3.0}, r"^dose_mg_per_kg must be a finite number >= 0.25 and <= 2.5 mg/kg; got 3 mg/kg"),
            ({"ke0_per_min": 0.1}, r"^control name must be one of 't_half_ke0_min', 'dose_mg_per_kg'; got 'ke0_per_min'"),
        ],
    ),
]
IDS = [c.cls.__name__ for c in CASES]
BAD = [pytest.param(c, kw, msg, id=f"{c.cls.__name__}-{next(iter(kw))}-{i}") for c in CASES for i, (kw, msg) in enumerate(c.bad)]


def test_all_chapter_widgets_are_covered():
    assert sorted(nmda.__all__ + pk.__all__ + pdw.__all__) == sorted(IDS)


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
    """Perez-Ruixo intranasal doses are 28 mg devices 5 min apart (spravato_label), as in pk.nasal_session."""
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


# Building a widget renders a figure; each widget is built as few times as possible.
@dataclass
class Built:
    case: Case
    widget: Any  # default controls; tests must leave it unchanged (several assert exactly that)
    png: bytes
    params: dict[str, Any]
    changed_png: bytes  # a brand-new widget built with case.change
    changed_repr: str


_BUILT: dict[type, Built] = {}


def get_built(case: Case) -> Built:
    if case.cls not in _BUILT:
        w = case.cls()
        changed = case.cls(**case.change)
        _BUILT[case.cls] = Built(case, w, w.png(), dict(w.params), changed.png(), repr(changed))
    return _BUILT[case.cls]


@pytest.fixture(params=CASES, ids=IDS)
def built(request) -> Built:
    return get_built(request.param)


def assert_unchanged(b: Built) -> None:
    assert b.widget.png() == b.png
    assert b.widget.params == b.params


# ----------------------------------------------------------------------------- state and controls
def test_construct_with_defaults_and_with_initial_values(built):
    w, case = built.widget, built.case
    assert set(w.controls) == set(w.params)
    assert built.png.startswith(PNG_MAGIC)
    for name, ctrl in w.controls.items():
        assert ctrl.description, f"control {name} needs a visible label"
    assert built.changed_png.startswith(PNG_MAGIC)
    assert built.changed_png != built.png
    for name, value in {**case.change, **case.alt}.items():
        assert built.params[name] != pytest.approx(value), "the test changes must change something"


def test_live_update_path(built):
    """set() and moving a control update the one persistent figure in place, and blitting over the
    cached background gives exactly the pixels of a widget built for those values."""
    case = built.case
    w = case.cls()
    fig, image = w.fig, w.image
    assert repr(w) == repr(built.widget), "two new instances have the same repr"
    assert w.png() == built.png, "rendering is deterministic"
    # set() changes the controls and the PNG
    assert w.set(**case.change) is w
    for name, value in case.change.items():
        assert w.params[name] == pytest.approx(value)
        assert w.controls[name].value == pytest.approx(value)
    assert w.png().startswith(PNG_MAGIC)
    assert w.png() != built.png
    assert w.png() == built.changed_png
    assert repr(w) == built.changed_repr != repr(built.widget)
    # five more updates across the first control's range: still the same Figure, no pyplot figure
    name = next(iter(case.change))
    ctrl = w.controls[name]
    low, high = (ctrl.base**ctrl.min, ctrl.base**ctrl.max) if hasattr(ctrl, "base") else (ctrl.min, ctrl.max)
    pngs = set()
    for x in np.linspace(low, high, 5):
        w.set(**{name: float(x)})
        assert w.fig is fig and w.image is image
        pngs.add(w.png())
    assert len(pngs) == 5
    assert plt.get_fignums() == []
    # the learner's path: a slider's value changes and the observer redraws
    for key, value in built.params.items():
        w.controls[key].value = value
    assert w.png() == built.png
    w.controls[name].value = case.change[name]
    assert w.png() != built.png
    assert w.fig is fig


@pytest.mark.parametrize(("case", "kwargs", "msg"), BAD)
def test_bad_set_raises_and_leaves_state_unchanged(case, kwargs, msg):
    b = get_built(case)
    with pytest.raises(ValueError, match=msg):
        b.widget.set(**kwargs)
    assert_unchanged(b)
    # a bad value next to a good one changes nothing either: everything is validated first
    good = {k: v for k, v in case.change.items() if k not in kwargs} or case.alt
    assert good and not set(good) & set(kwargs)
    with pytest.raises(ValueError, match=msg):
        b.widget.set(**good, **kwargs)
    assert_unchanged(b)
    with pytest.raises(ValueError, match=msg):
        b.widget.frame_png(**kwargs)
    assert_unchanged(b)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_bad_initial_values_raise(case):
    kwargs, msg = case.bad[0]
    with pytest.raises(ValueError, match=msg):
        case.cls(**kwargs)


def test_repr_is_fixed_and_deterministic(built):
    text = repr(built.widget)
    assert text.startswith(f"<{built.case.cls.__name__}: ") and text.endswith(">")
    for name in built.widget.controls:
        assert f"{name}=" in text
    assert not re.search(r"0x[0-9a-fA-F]{4,}", text), "no memory address"
    assert "base64" not in text and "iVBOR" not in text and len(text) < 300
    assert "\n" not in text
    assert built.changed_repr != text


# ----------------------------------------------------------------------------- the offline scrubber
_BUNDLES: dict[type, tuple[dict, ScrubParser]] = {}


@pytest.fixture(params=CASES, ids=IDS)
def scrubber(request):
    b = get_built(request.param)
    if b.case.cls not in _BUNDLES:
        bundle = b.widget._repr_mimebundle_()
        assert_unchanged(b)  # rendering the frames must not disturb the live widget
        parser = ScrubParser()
        parser.feed(bundle["text/html"])
        _BUNDLES[b.case.cls] = (bundle, parser)
    bundle, parser = _BUNDLES[b.case.cls]
    return b, bundle, parser


def test_mimebundle_has_the_four_representations(scrubber):
    b, bundle, parser = scrubber
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/html", "image/png", "text/plain"}
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == b.widget.view.model_id
    assert b.widget.image in b.widget.view.children
    assert base64.b64decode(bundle["image/png"]) == b.png
    assert bundle["text/plain"] == repr(b.widget)
    assert bundle["text/html"].startswith("<style>") and 'class="kc-scrub"' in bundle["text/html"]


def test_stored_html_without_scripts_is_one_figure_and_a_run_prompt(scrubber):
    """What JupyterLab's sanitiser leaves (no scripts, no styles): one image with alt text, no controls."""
    b, bundle, parser = scrubber
    assert len(parser.imgs) == 1 and bundle["text/html"].count("<img") == 1
    assert len((parser.imgs[0].get("alt") or "").strip()) > 20
    assert "hidden" not in parser.imgs[0]
    assert parser.inputs == [], "no form control before the cell runs (it could not work)"
    assert b.widget.run_prompt in bundle["text/html"]
    assert "Run the notebook from the top" in b.widget.run_prompt and "Run All Cells" in b.widget.run_prompt


def test_scrubber_has_one_frame_per_value_with_alt_text(scrubber):
    b, bundle, parser = scrubber
    w = b.widget
    values = list(w.scrub.values)
    assert len(values) >= 5
    frames = parser.frames
    assert len(frames) == len(values) == len(parser.data["labels"])
    for frame, value in zip(frames, values):
        alt = frame.get("alt")
        assert alt and len(alt.strip()) > 20, "every frame needs a description"
        assert alt == w.alt_text(**{**w.params, w.scrub.control: value})
        assert frame["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(frame["src"].split(",", 1)[1]).startswith(PNG_MAGIC)
    alts = [f["alt"] for f in frames]
    assert len(set(alts)) == len(alts), "each frame's alt text must describe that frame"


def test_scrubber_shows_exactly_the_current_frame(scrubber):
    b, bundle, parser = scrubber
    w = b.widget
    cur = w.params[w.scrub.control]
    if isinstance(cur, str):  # a choice (for example the route to highlight)
        nearest = list(w.scrub.values).index(cur)
    else:
        nearest = int(np.argmin([abs(float(v) - float(cur)) for v in w.scrub.values]))
    d = parser.data
    assert d["start"] == nearest and d["frames"][nearest] is None  # the stored <img> is that frame
    assert d["labels"][nearest] == w.scrub.label.format(w.scrub.values[nearest]).replace("-", "\u2212")
    assert d["label"] == w.controls[w.scrub.control].description


def test_scrubber_frames_differ(scrubber):
    b, bundle, parser = scrubber
    srcs = [f["src"] for f in parser.frames]
    assert len(set(srcs)) == len(srcs), "every precomputed frame must show something different"


def test_scrubber_is_self_contained(scrubber):
    b, bundle, parser = scrubber
    text = bundle["text/html"]
    assert "http://" not in text and "https://" not in text
    assert "<script src" not in text.lower()
    assert all("src" not in s for s in parser.scripts)
    assert "<link" not in text.lower() and "@import" not in text
    assert text.count("</script>") == 2  # the JSON cannot close its script early


# ----------------------------------------------------------------------------- benchmark baseline
def test_recreate_png_leaves_the_live_widget_alone(built):
    w, case = built.widget, built.case
    fig, image = w.fig, w.image
    other = w.recreate_png(**case.change)
    assert other.startswith(PNG_MAGIC)
    assert other == built.changed_png, "a rebuilt figure draws what the live figure draws"
    assert w.fig is fig and w.image is image
    assert_unchanged(built)
    assert w.recreate_png() == built.png
    assert_unchanged(built)


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


# ----------------------------------------------------------------------------- fast raster path
def test_glyph_cache_canvas_draws_the_same_pixels_as_agg():
    """The glyph cache is an optimisation only: every pixel equals plain Agg's, text included."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from ketacourse.widgets.render import GlyphCacheCanvas, encode_png

    def draw(canvas_cls):
        fig = Figure(figsize=(6, 3), dpi=96, layout="constrained")
        canvas_cls(fig)
        ax = fig.add_subplot()
        ax.plot([1, 2, 3], [1, 4, 9])
        ax.set_yscale("log")
        ax.set_title("Mg²⁺ at −60 mV, 3 µM")
        ax.text(0.05, 0.6, "two lines of text\nwith a box: 12.5%", transform=ax.transAxes, bbox=dict(fc="w"))
        ax.text(1.5, 2, "rotated", rotation=30)
        ax.text(2, 5, r"$\alpha^{2}$ mathtext", fontweight="bold")
        for _ in range(3):  # the second and third draws come from the cache
            fig.canvas.draw()
        return fig, np.asarray(fig.canvas.buffer_rgba()).copy()

    _, plain = draw(FigureCanvasAgg)
    fig, cached = draw(GlyphCacheCanvas)
    assert np.array_equal(plain, cached)
    png = encode_png(fig)
    assert png.startswith(PNG_MAGIC)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), plain[:, :, :3])


@pytest.mark.parametrize("hinting", ["no_hinting", "auto"])
def test_fixed_width_text_fast_path_matches_freetype(hinting):
    """Monospace strings are measured and laid out from per-character metrics: the sizes, glyph
    positions and pixels must equal FreeType's own, for any mix of the readouts' characters."""
    import random

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    from ketacourse.widgets import render

    chars = "0123456789 .,-+−–[]()%=<>:;/²τ∞→←NTIkpdnabcxyz'"
    rng = random.Random(7)
    strings = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 45))) for _ in range(400)]
    strings += ["--", " ", "²", "  0.52 [ 0.12,  0.91]   23%", "Ωμ≈ 1e-3"]
    with mpl.rc_context({"text.hinting": hinting}):
        plain, fast = RendererAgg(400, 200, 96), render._GlyphCacheRenderer(400, 200, 96)
        for weight in ("normal", "bold"):
            prop = FontProperties(family="monospace", size=7.5, weight=weight)
            for s in strings:
                assert fast.get_text_width_height_descent(s, prop, False) == \
                    plain.get_text_width_height_descent(s, prop, False), s
                font = plain._prepare_font(prop)
                mono = render._mono_layout(font, 7.5, 96, get_hinting_flag(), s)
                if mono is not None:
                    items = font._layout(s, flags=get_hinting_flag())
                    assert [(i.glyph_index, i.x, i.y) for i in items] == [(g, x, 0.0) for g, x in mono[0]], s
        assert render._mono_layout(plain._prepare_font(FontProperties(family=["sans-serif"])), 10, 96,
                                   get_hinting_flag(), "AV") is None  # kerned: FreeType's path

        def draw(canvas_cls):
            fig = Figure(figsize=(5, 3), dpi=96)
            canvas_cls(fig)
            for i, s in enumerate(strings[:40]):
                fig.text(0.013 + 0.0071 * (i % 7), 0.02 + i * 0.0243, s, family="monospace", fontsize=7.5,
                         weight="bold" if i % 3 == 0 else "normal", va="center", ha=("left", "center", "right")[i % 3])
            fig.canvas.draw()
            fig.canvas.draw()  # the second from the caches
            return np.asarray(fig.canvas.buffer_rgba()).copy()

        assert np.array_equal(draw(FigureCanvasAgg), draw(render.GlyphCacheCanvas))


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


def test_reused_text_pixels_equal_drawing_the_text(monkeypatch):
    """The forest plot's texts reuse their pixels when a string comes back (at any row, since the
    anchors snap to whole pixels): every image must equal the one drawn without that reuse."""
    import io

    from PIL import Image

    from ketacourse.widgets import evidence

    def pixels(png: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(png)))

    values = list(evidence.ForestPlot.scrub.values)[:8]
    w = evidence.ForestPlot()
    for v in values + values[::-1]:  # every string seen before, many at another row or place
        w.set(endpoint=v)
    sprites = w.fig.__dict__.get("_kc_text_sprites", {})
    assert len(sprites) > 20
    reused = {v: (w.set(endpoint=v), (dict(w.params), w.image.value))[1] for v in values}
    monkeypatch.setattr(evidence._CachedText, "_anchor_and_key", lambda self, renderer: None)
    plain = evidence.ForestPlot()
    for v in values:
        params, png = reused[v]
        plain.set(**params)
        assert plain.params == params
        assert np.array_equal(pixels(plain.image.value), pixels(png)), v


def test_mono_readout_size_gives_whole_pixel_character_cells():
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    from ketacourse.widgets.style import DPI, MONO_PT

    for hinting in ("no_hinting", "auto"):
        with mpl.rc_context({"text.hinting": hinting}):
            renderer = RendererAgg(100, 100, DPI)
            for weight in ("normal", "bold"):
                width, _h, _d = renderer.get_text_width_height_descent(
                    "0123456789", FontProperties(family="monospace", size=MONO_PT, weight=weight), False)
                assert width == 60.0, (hinting, weight, width)


@pytest.mark.parametrize("hinting", ["no_hinting", "auto"])
def test_fixed_width_strips_draw_the_same_pixels_as_agg(hinting, monkeypatch):
    """Fixed-width text on the pixel grid is drawn as one blit of glyph cells: the pixels must equal
    plain Agg's per-glyph drawing, and the strip path must really be taken."""
    import random

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.transforms import IdentityTransform

    from ketacourse.widgets import render
    from ketacourse.widgets.style import MONO_PT

    rng = random.Random(11)
    chars = "0123456789 .,-+−[]()%=:NTIkpn²τ∞"
    strings = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 40))) for _ in range(45)]
    used = []
    original = render._draw_fixed_width
    monkeypatch.setattr(render, "_draw_fixed_width", lambda *a: used.append(original(*a)) or used[-1])

    def draw(canvas_cls):
        with mpl.rc_context({"text.hinting": hinting}):
            fig = Figure(figsize=(5, 3.2), dpi=96)
            canvas_cls(fig)
            for i, s in enumerate(strings):
                fig.text(7 + 150 * (i % 3) + (i % 3 == 1) * 70, 6 + 6.5 * i + (i % 4) * 0.25, s, transform=IdentityTransform(),
                         family="monospace", fontsize=MONO_PT, weight="bold" if i % 5 == 0 else "normal",
                         ha=("left", "center", "right")[i % 3], va=("center", "bottom", "baseline", "top")[i % 4],
                         color=("#000000", "#0072B2", "#D55E00")[i % 3], alpha=(None, 0.6)[i % 2])
            fig.canvas.draw()
            return np.asarray(fig.canvas.buffer_rgba()).copy()

    plain = draw(FigureCanvasAgg)
    strips = draw(render.GlyphCacheCanvas)
    assert sum(used) >= 10  # many lines took the strip path (not those with a glyph wider than its cell)
    assert np.array_equal(plain, strips)


def test_fixed_width_metrics_are_not_skewed_by_a_glyph_just_rendered():
    """Rendering a glyph at a sub-pixel offset moves the font's transform; a character measured
    right after (a strip adding its cells one by one) must still get FreeType's clean metrics."""
    from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
    from matplotlib.font_manager import FontProperties

    from ketacourse.widgets import render
    from ketacourse.widgets.style import MONO_PT

    prop = FontProperties(family="monospace", size=MONO_PT)
    plain = RendererAgg(100, 100, 96)
    expected = plain.get_text_width_height_descent("q", prop, False)
    fast = render._GlyphCacheRenderer(100, 100, 96)
    font = fast._prepare_font(prop)
    flags = get_hinting_flag()
    render._MONO_FONTS.clear()
    render._MONO_STRINGS.clear()
    index = font.get_char_index(ord("8"))
    render._CACHE.pop((font, MONO_PT, 96, index, 0, 1, 0, 37, 0), None)
    render._render_glyph((font, MONO_PT, 96, index, 0, 1, 0, 37, 0), flags, render.RenderMode.NORMAL)
    table = render._mono_chars(font, MONO_PT, 96, flags)
    _index, advance, ascent, descent = render._mono_metrics(font, flags, table, "q")
    assert (advance / 64, (ascent + descent) / 64, descent / 64) == expected
