"""Chapter 3 widgets (forest plot, trial simulator, time course, hypothesis diagram), headless:
controls, validation, in-place updates, pixel-identical rebuilds and the offline scrubber.

Same checks as tests/test_widgets.py for Chapters 1–2, adapted to controls whose scrubbed values
are strings. No timings are asserted here: speed is measured by benchmarks/bench_widgets.py.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
from widget_contract import check_offline_scrubber

from ketacourse.widgets import depression, evidence

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

CASES = {
    evidence.ForestPlot: (
        {"endpoint": "depression at day 1", "incl_midazolam": False},
        [
            ({"endpoint": "mood at day 1"}, r"^endpoint must be one of 'depression at day 1', "),
            ({"measure": "or"}, r"^measure must be one of 'rd' for Response \(≥ 50% fall on the depression scale\), "
                                r"day 28; got 'or'"),
            ({"incl_saline": 1}, r"^incl_saline must be True or False; got 1"),
            ({"level_pct": 100}, r"^level_pct must be a finite number >= 80 and <= 99; got 100"),
            ({"trials": "all"}, r"^control name must be one of 'endpoint', 'measure', 'incl_saline', "),
        ],
    ),
    evidence.TrialSimulator: (
        {"n_per_arm": 100, "expectancy_d": 0.4, "guess_correct": 0.9},
        [
            ({"n_per_arm": 1}, r"^n_per_arm must be a finite number >= 5 and <= 200; got 1"),
            ({"true_effect_d": -0.5}, r"^true_effect_d must be a finite number >= 0 and <= 2 SD; got -0.5 SD"),
            ({"guess_correct": 0.3}, r"^guess_correct must be a finite number >= 0.5 and <= 1; got 0.3"),
            ({"expectancy_d": math.nan}, r"^expectancy_d must be a finite number >= 0 and <= 1 SD; got nan"),
        ],
    ),
    depression.ResponseTimeCourse: (
        {"schedule": "twice", "weeks": 3},
        [
            ({"schedule": "daily"}, r"^schedule must be one of 'single', 'twice', 'thrice'; got 'daily'"),
            ({"dose_mg_per_kg": 2.0}, r"^dose_mg_per_kg must be a finite number >= 0.1 and <= 1 mg/kg; got 2 mg/kg"),
            ({"ceiling_g": -1.0}, r"^ceiling_g must be a finite number >= 0 and <= 3 SD; got -1 SD"),
            ({"relapse": "never"}, r"^relapse must be one of 'after_six_infusions', 'esketamine_stopped'; got 'never'"),
        ],
    ),
    depression.HypothesisDiagram: (
        {"hypothesis": "hnk"},
        [
            ({"hypothesis": "serotonin"}, r"^hypothesis must be one of 'disinhibition', 'mtor', 'eef2', 'lhb', 'hnk', "
                                          r"'opioid'; got 'serotonin'"),
            ({"number": 7}, r"^number must be a finite number >= 1 and <= 6; got 7"),
            ({"number": 2, "hypothesis": "hnk"}, r"^number and hypothesis must agree: hypothesis 'hnk' is number 5; got 2"),
        ],
    ),
}
IDS = [c.__name__ for c in CASES]
BAD = [pytest.param(c, kw, msg, id=f"{c.__name__}-{next(iter(kw))}") for c, (_ch, bad) in CASES.items()
       for kw, msg in bad]
_CACHE: dict = {}


def built(cls):
    if cls not in _CACHE:
        w = cls()
        _CACHE[cls] = (w, w.png(), dict(w.params))
    return _CACHE[cls]


def test_every_chapter_3_widget_is_covered():
    assert sorted(evidence.__all__ + depression.__all__) == sorted(
        IDS + ["endpoint_key", "endpoint_scrub", "parse_endpoint"])


@pytest.mark.parametrize("cls", CASES, ids=IDS)
def test_live_updates_in_place_match_a_rebuilt_figure(cls):
    change, _bad = CASES[cls]
    w0, png0, params0 = built(cls)
    w = cls()
    fig, image = w.fig, w.image
    assert w.png() == png0 and w.png().startswith(PNG_MAGIC)
    for name, ctrl in w.controls.items():
        assert ctrl.description, f"control {name} needs a visible label"
    w.set(**change)
    assert w.fig is fig and w.image is image
    assert w.png() != png0
    assert w.recreate_png() == w.png(), "blitting over the cached background draws what a new figure draws"
    for key, value in params0.items():  # the learner's path: controls moved back by hand
        w.controls[key].value = value
    assert w.png() == png0
    assert plt.get_fignums() == []
    assert repr(w).startswith(f"<{cls.__name__}: ") and "\n" not in repr(w)


@pytest.mark.parametrize(("cls", "kwargs", "msg"), BAD)
def test_bad_values_raise_and_change_nothing(cls, kwargs, msg):
    w, png0, params0 = built(cls)
    with pytest.raises(ValueError, match=msg):
        w.set(**kwargs)
    assert w.png() == png0 and w.params == params0
    with pytest.raises(ValueError, match=msg):
        cls(**kwargs)



@pytest.mark.parametrize("cls", CASES, ids=IDS)
def test_offline_scrubber_frames_have_alt_text_and_differ(cls):
    w, png0, params0 = built(cls)
    check_offline_scrubber(w, png0, params0)


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
