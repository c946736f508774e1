"""The tests every chapter's widget module passes, shared by its test file.

``contract(module, cases)`` returns the ``built`` fixture and four tests; a test file binds them at
module level (pytest collects them there)::

    built, test_every_widget_is_covered, test_update_in_place_changes_the_figure, \\
        test_bad_values_raise_and_leave_state, test_scrubber_frames_have_alt_text_and_differ = contract(ws, CASES)

``cases`` maps each widget class to ``(change, bad)``: a valid change of its controls, and a list of
``(kwargs, message regex)`` that must raise ``ValueError`` and leave the controls as they were.
"""

from __future__ import annotations

import base64
import re

import pytest
from scrub_html import scrub_frames

from ketacourse.widgets.base import ModelWidget

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def contract(module, cases: dict):
    @pytest.fixture(scope="module", params=list(cases), ids=lambda c: c.__name__)
    def built(request):
        return request.param, request.param()

    def test_every_widget_is_covered():
        found = {obj for obj in vars(module).values()
                 if isinstance(obj, type) and issubclass(obj, ModelWidget) and obj.__module__ == module.__name__}
        assert found == set(cases)

    def test_update_in_place_changes_the_figure(built):
        cls, w = built
        fig_before = w.fig
        png0 = w.png()
        change, _ = cases[cls]
        w.set(**change)
        assert w.fig is fig_before, "the figure is updated, never rebuilt"
        assert w.png()[:8] == PNG_MAGIC and w.png() != png0
        for k, v in change.items():
            assert w.params[k] == v

    def test_bad_values_raise_and_leave_state(built):
        cls, w = built
        for kwargs, msg in cases[cls][1]:
            before = dict(w.params)
            with pytest.raises(ValueError, match=msg):
                w.set(**kwargs)
            assert w.params == before

    def test_scrubber_frames_have_alt_text_and_differ(built):
        cls, w = built
        html = w.static_html()
        frames = [(f["src"].split(",", 1)[1], f["alt"]) for f in scrub_frames(html)]
        assert len(frames) == len(cls.scrub.values) >= 2
        assert len({f for f, _ in frames}) == len(frames), "every frame differs"
        assert all(len(alt) > 40 for _, alt in frames)
        assert base64.b64decode(frames[0][0])[:8] == PNG_MAGIC
        assert re.search(r'<img class="kc-frame[^"]*" src="data:image/png;base64,[^"]+" alt="[^"]{40,}"', html)
        assert "http" not in html.split("data:image")[0], "self-contained"

    return (built, test_every_widget_is_covered, test_update_in_place_changes_the_figure,
            test_bad_values_raise_and_leave_state, test_scrubber_frames_have_alt_text_and_differ)


def check_offline_scrubber(w, png0: bytes, params0: dict) -> None:
    """The book's offline scrubber of widget ``w`` (built with image ``png0`` and controls
    ``params0``): at least five frames, each different, each with its own alt text, one stored
    ``<img>`` (the rest is data for the book's script), self-contained, and the live widget
    undisturbed."""
    html = w.static_html()
    assert w.png() == png0 and w.params == params0, "rendering the frames must not disturb the live widget"
    frames = scrub_frames(html)
    values = list(w.scrub.values)
    assert len(values) >= 5 and len(frames) == len(values)
    alts = [f["alt"] for f in frames]
    assert all(len(a) > 40 for a in alts) and len(set(alts)) == len(alts)
    assert len({f["src"] for f in frames}) == len(values)
    assert html.count("<img") == 1, "one stored frame; the others are data for the book's script"
    assert "http://" not in html and "https://" not in html
    assert base64.b64decode(w._repr_mimebundle_()["image/png"]) == png0
