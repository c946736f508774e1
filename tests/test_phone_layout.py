"""Phone frames and readable figure text (issue 23, item 4), without a browser.

- Every widget's phone frames: smallest text >= 9 CSS px when shown 332 px wide (a 390 px phone),
  and its desktop figure: smallest text >= 9 CSS px when the book shrinks it to its column.
- The evidence map's study labels never overlap (matplotlib's ``get_window_extent``), on the
  desktop figure and on the phone figure, for every molecule filter.
- The stored HTML carries the phone frames and both text sizes; the book build's extension
  moves the phone frames into files and leaves valid JSON.
"""

from __future__ import annotations

import base64
import json
import re

import matplotlib as mpl
import pytest

from ketacourse.widgets import registry
from ketacourse.widgets.future import EvidenceMap
from ketacourse.widgets.base import png_bytes
from ketacourse.widgets.phone_layout import (DESKTOP_SHOWN_PX, PHONE_SHOWN_PX, overlapping, phone_figure,
                                             phone_frames, smallest_text_px)
from ketacourse.widgets.style import RC
from ketacourse_tools.sphinx_scrub import externalise

WIDGETS = registry()
MIN_CSS_PX = 9.0


@pytest.fixture(scope="module")
def widgets():
    """Each widget built once, on first use, and shared by this module's tests (``dict.setdefault`` would
    build a new one on every call and throw it away: the same widget back, 61 builds instead of 25)."""
    built = {}

    def get(name):
        if name not in built:
            built[name] = WIDGETS[name]()
        return built[name]

    yield get


@pytest.mark.parametrize("name", list(WIDGETS))
def test_phone_frame_text_is_at_least_9_css_px_on_a_390_px_phone(name, widgets):
    w = widgets(name)
    frames, text_px, width_px = phone_frames(w, [w.params], encode=lambda f: png_bytes(f, quantize=True))
    css_px = text_px * PHONE_SHOWN_PX / width_px
    assert frames[0].startswith(b"\x89PNG") and css_px >= MIN_CSS_PX, (
        f"{name}: smallest phone-frame text {css_px:.1f} CSS px at {PHONE_SHOWN_PX} px")


@pytest.mark.parametrize("name", list(WIDGETS))
def test_desktop_figure_text_is_at_least_9_css_px_in_the_book_column(name, widgets):
    w = widgets(name)
    with mpl.rc_context(RC):
        text_px = smallest_text_px(w.fig, animated_count=True)
    natural = w.fig.canvas.get_width_height()[0]
    css_px = text_px * min(1.0, DESKTOP_SHOWN_PX / natural)
    assert css_px >= MIN_CSS_PX, f"{name}: smallest desktop text {css_px:.1f} CSS px ({natural} px shown {DESKTOP_SHOWN_PX})"


@pytest.mark.parametrize("drug", EvidenceMap.scrub.values)
def test_evidence_map_labels_do_not_overlap_on_desktop_or_phone(drug, widgets):
    w = widgets("EvidenceMap")
    state = {**w.params, "drug": drug}
    with mpl.rc_context(RC):
        w._update(**state)
        desktop = overlapping([*w._labels, w._readout], w.fig)
        w._update(**w.params)
    with phone_figure(w) as fig:
        w._update(**state)
        phone = overlapping([*w._labels, w._readout], fig)
    assert not desktop, f"desktop labels overlap: {desktop}"
    assert not phone, f"phone labels overlap: {phone}"


def test_overlap_check_finds_overlapping_labels(widgets):
    """The check is real: two labels put on the same spot are reported."""
    w = widgets("EvidenceMap")
    a, b = w._labels[0], w._labels[1]
    saved = b.get_position()
    try:
        b.set_position(a.get_position())
        b.set_va(a.get_va())
        assert overlapping([a, b], w.fig)
    finally:
        b.set_position(saved)


@pytest.fixture(scope="module")
def iv_html(widgets):
    """The stored HTML of an IVExplorer (every desktop and phone frame of its scrubber), made once for
    the two tests that read it."""
    return widgets("IVExplorer").static_html()


def test_stored_html_carries_phone_frames_and_text_sizes(widgets, iv_html):
    w = widgets("IVExplorer")
    html = iv_html
    data = json.loads(re.search(r'class="kc-data">(.*?)</script>', html, re.S).group(1))
    phone = data["phone"]
    assert len(phone["frames"]) == len(data["frames"]) == len(w.scrub.values)
    assert all(base64.b64decode(f).startswith(b"\x89PNG") for f in phone["frames"])
    assert phone["media"] == "(max-width: 600px)" and phone["text_px"] * PHONE_SHOWN_PX / phone["width"] >= 9
    assert 'data-text-px="' in html and data["text_px"] > 0


def test_book_extension_moves_phone_frames_into_files(iv_html):
    html = iv_html
    written = {}
    out = externalise(html, lambda name, data: written.__setitem__(name, data), "../_images/kc-phone/")
    data = json.loads(re.search(r'class="kc-data">(.*?)</script>', out, re.S).group(1))
    assert all(u.startswith("../_images/kc-phone/") and u.endswith(".png") for u in data["phone"]["frames"])
    assert {u.rsplit("/", 1)[1] for u in data["phone"]["frames"]} == set(written)
    assert all(png.startswith(b"\x89PNG") for png in written.values())
    assert len(out) < len(html) / 1.5, "the phone frames left the page"
    assert externalise(out, lambda *_: pytest.fail("nothing left to write"), "x/") == out


def test_floored_fonts_hold_for_ticks_made_later_and_every_kind_of_text():
    """floor_fonts raises tick labels (major and minor, of a log axis too), axis labels, titles,
    legends, annotations and figure texts; ticks an axis makes after it (new limits) are as large."""
    from ketacourse.widgets.phone_layout import floor_fonts
    from ketacourse.widgets.style import new_figure

    fig = new_figure(4, 3)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_xlim(1, 10)
    ax.plot([1, 10], [0, 1], label="line")
    ax.set_xlabel("x", fontsize=5)
    ax.set_title("t", fontsize=5)
    ax.legend(fontsize=5)
    ax.annotate("a", (2, 0.5), fontsize=5)
    fig.text(0.1, 0.1, "f", fontsize=5)
    ax.tick_params(labelsize=5, which="both")
    floor_fonts(fig, 9.0)
    ax.set_xlim(0.01, 1000)  # more decades: the axis makes new major and minor ticks when drawn
    ax.set_ylim(-5, 5)
    fig.canvas.draw()
    texts = fig.findobj(mpl.text.Text)
    ticks = [t for t in texts if t.get_text() and any(t in (k.label1, k.label2) for a in (ax.xaxis, ax.yaxis)
                                                       for k in (*a.get_major_ticks(), *a.get_minor_ticks()))]
    assert len(ticks) > 8, "the new limits show more tick labels"
    small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 9.0]
    assert not small, f"texts under the floor: {small[:5]}"
