"""Chapter 6 widgets, headless: controls, validation, in-place updates, scrubber and alt text.

No timings are asserted here (speed is measured by benchmarks/bench_widgets.py).
"""

from __future__ import annotations

import base64
import re

import pytest

from ketacourse import safety
from ketacourse.widgets import safety as ws
from ketacourse.widgets.base import ModelWidget

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

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


@pytest.fixture(scope="module", params=list(CASES), ids=lambda c: c.__name__)
def built(request):
    return request.param, request.param()


def test_every_safety_widget_is_covered():
    found = {obj for obj in vars(ws).values()
             if isinstance(obj, type) and issubclass(obj, ModelWidget) and obj.__module__ == ws.__name__}
    assert found == set(CASES)


def test_update_in_place_changes_the_figure(built):
    cls, w = built
    fig_before = w.fig
    png0 = w.png()
    change, _ = CASES[cls]
    w.set(**change)
    assert w.fig is fig_before, "the figure is updated, never rebuilt"
    assert w.png()[:8] == PNG_MAGIC and w.png() != png0
    for k, v in change.items():
        assert w.params[k] == v


def test_bad_values_raise_and_leave_state(built):
    cls, w = built
    for kwargs, msg in CASES[cls][1]:
        before = dict(w.params)
        with pytest.raises(ValueError, match=msg):
            w.set(**kwargs)
        assert w.params == before


def test_scrubber_frames_have_alt_text_and_differ(built):
    import json

    cls, w = built
    html = w.static_html()
    m = re.search(r'<script type="application/json" class="kc-data">(.*?)</script>', html, re.S)
    assert m, "the scrubber stores its frames as JSON"
    data = json.loads(m.group(1))
    frames, alts = data["frames"], data["alts"]
    assert len(frames) == len(alts) == len(cls.scrub.values) >= 2
    assert len(set(frames)) == len(frames), "every frame differs"
    assert all(len(alt) > 40 for alt in alts)
    assert base64.b64decode(frames[0])[:8] == PNG_MAGIC
    assert re.search(r'<img class="kc-frame[^"]*" src="data:image/png;base64,[^"]+" alt="[^"]{40,}"', html)
    assert "http" not in html.split("data:image")[0], "self-contained"


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
