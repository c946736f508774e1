"""Phone-shaped frames for the book's offline scrubber: the same model, a narrow figure.

On a 390 px phone the book shows a figure about 332 CSS px wide. A desktop figure (7-8.6 in, 670-830
px at 96 dpi) shrinks to 40-50 % there and its text to 3-5 CSS px. So every widget can also draw a
*narrow* figure (:data:`PHONE_WIDTH_IN` wide, its panels stacked, no text under
:data:`PHONE_MIN_PT`): shown 332 px wide, its smallest text is at least 9 CSS px. The scrubber
carries these frames next to the desktop ones and picks a set with the media query
:data:`PHONE_MEDIA`, so a phone shows only phone frames and a desktop never loads them (the book
build moves them out of the page into image files, ``ketacourse_tools.sphinx_scrub``).

A widget opts into its narrow layout in its own ``_build_figure``: :func:`narrow` tells it which
figure it is drawing (``gs = fig.add_gridspec(2, 1) if narrow(fig) else fig.add_gridspec(1, 2)``)
and ``phone_figsize`` (a class attribute, inches) sets the narrow figure's size. Everything is
drawn by the widget's own ``_build_figure`` and ``_update`` on a fresh figure, as
:meth:`ModelWidget.recreate_png` does, so the phone frames show exactly the model of the desktop
ones.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text

from .style import DPI, RC, new_figure

__all__ = ["PHONE_WIDTH_IN", "PHONE_DPI", "PHONE_MIN_PT", "PHONE_MEDIA", "PHONE_SHOWN_PX", "PHONE_RC",
           "narrow", "panels", "legend_kwargs", "set_text", "overlapping", "separate_labels", "desktop_min_pt",
           "floor_desktop_fonts", "DESKTOP_SHOWN_PX", "phone_figsize", "smallest_text_px", "phone_figure", "phone_frames", "floor_fonts"]

PHONE_WIDTH_IN: float = 3.5
"""Width of a phone frame's figure (inches): 336 px at 96 dpi, about what a 390 px phone shows."""
PHONE_SHOWN_PX: int = 332
"""CSS px the book gives a figure on a 390 px phone (measured in the browser review of turn 3)."""
PHONE_MIN_PT: float = 7.5
"""Smallest font on a phone frame: 7.5 pt of a 3.5 in figure shown 332 px wide is 9.9 CSS px."""
PHONE_DPI: int = DPI * 3 // 2
"""Phone frames are drawn at 1.5 times the screen resolution: sharper on phones' 2x-3x screens than
1x, at about half the pixels (and drawing and encoding time) of 2x."""
PHONE_MEDIA: str = "(max-width: 600px)"
"""Where the scrubber shows the phone frames (CSS media query)."""
_NARROW_BELOW_IN = 5.0

PHONE_RC: dict[str, object] = {
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "lines.linewidth": 1.8,
}
"""rcParams of a phone frame, over the course style: a little smaller than the desktop's, as the
figure is shown at almost its natural size."""


def narrow(fig: Figure) -> bool:
    """True when ``fig`` is a phone frame's figure (narrower than 5 in): stack panels, shorten text."""
    return fig.get_figwidth() < _NARROW_BELOW_IN


def phone_figsize(widget: Any) -> tuple[float, float]:
    """The phone figure's size (inches): the widget's ``phone_figsize``, else 3.5 in by its height."""
    size = getattr(widget, "phone_figsize", None)
    if size is not None:
        return float(size[0]), float(size[1])
    return PHONE_WIDTH_IN, float(widget.figsize[1])


def _shown_texts(fig: Figure, *, animated_count: bool = False) -> list[Text]:
    """Texts a reader sees: visible, not empty (with ``animated_count``, an empty animated text
    counts too: it is filled in on other frames)."""
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible():
            continue
        if t.get_text().strip() or (animated_count and t.get_animated()):
            out.append(t)
    return out


def smallest_text_px(fig: Figure, *, animated_count: bool = False) -> float:
    """The smallest font among the figure's shown texts, in the image's pixels (pt x dpi / 72)."""
    sizes = [t.get_fontsize() for t in _shown_texts(fig, animated_count=animated_count)]
    return min(sizes, default=float("inf")) * fig.dpi / 72.0


def _texts(artist: Any) -> Iterator[Text]:
    """Every text of ``artist`` and its children, as ``findobj(Text)`` finds them, except that an axis
    gives the labels of the ticks it has made so far (``Axis.majorTicks``, ``Axis.minorTicks``), not of
    one tick per tick location: asking an axis for its children makes all those ticks, which cost
    0.1-0.3 s per figure (most of it log axes' minor ticks) and were made again at every widget build.
    A tick the axis makes later copies its text properties from its first tick, which is here."""
    if isinstance(artist, Text):
        yield artist
    if isinstance(artist, Axis):
        yield artist.label
        yield artist.offsetText
        for tick in (*artist.majorTicks, *artist.minorTicks):
            yield from _texts(tick)
        return
    for child in artist.get_children():
        yield from _texts(child)


def floor_fonts(fig: Figure, min_pt: float = PHONE_MIN_PT) -> None:
    """Raise every text under ``min_pt`` to ``min_pt`` (tick labels, legends and annotations too;
    ticks made later take their first tick's size)."""
    for t in _texts(fig):
        if t.get_fontsize() < min_pt:
            t.set_fontsize(min_pt)


@contextmanager
def phone_figure(widget: Any) -> Iterator[Figure]:
    """The widget's narrow figure, built by its own ``_build_figure`` (fonts floored at
    :data:`PHONE_MIN_PT`), with the widget's artist handles pointing at it inside the block;
    the widget's attributes (its live figure's handles) are restored on exit.

    Inside the block, ``widget._update(**state)`` draws a state on it (as on the live figure).
    """
    saved = dict(widget.__dict__)  # _build_figure stores artist handles on the widget
    try:
        with mpl.rc_context(RC), mpl.rc_context(PHONE_RC), mpl.rc_context(getattr(widget, "phone_rc", {})):
            fig = new_figure(*phone_figsize(widget))
            fig.set_dpi(PHONE_DPI)
            widget._build_figure(fig)
            floor_fonts(fig)
            widget._figure_built(fig)
            yield fig
    finally:
        widget.__dict__.clear()
        widget.__dict__.update(saved)


def phone_frames(widget: Any, states: Sequence[dict[str, Any]], *,
                 encode: Callable[[Figure], bytes] | None = None) -> tuple[list[bytes], float, int]:
    """Draw the widget's narrow figure (:func:`phone_figure`) once for each complete control state.

    The narrow figure is drawn as the live one is (``ModelWidget._blit``): laid out and drawn
    completely once, its layout then frozen and its static part kept as a background; each
    further state redraws only the animated artists over it (and everything again, laid out anew,
    where the widget's ``_update`` calls ``invalidate_background``: new axis limits, a new
    legend). So each frame is what a new narrow figure for its state draws (the widget contract
    test checks the same of the live figure), at the cost of one draw instead of one per state.

    Parameters
    ----------
    widget : ModelWidget
        The widget (its live figure and controls are untouched).
    states : sequence of dict
        Full control values, one dict per frame.
    encode : callable, optional
        Returns the figure's PNG after each state is drawn (for example ``png.png_bytes``, which
        draws it completely again); by default the blitted figure is encoded with a palette.

    Returns
    -------
    frames : list of bytes
        Palette PNGs, one per state.
    text_px : float
        The smallest font shown in any frame, in image pixels.
    width_px : int
        The frames' width in image pixels.
    """
    frames: list[bytes] = []
    smallest = float("inf")
    with phone_figure(widget) as fig:
        # the widget's blitting state, for this figure (phone_figure restores the live one on exit)
        widget.fig = fig
        widget._background = None
        widget._background_signature = ()
        widget._dynamic = []
        widget.__dict__.pop("_layout_engine", None)
        for state in states:
            widget._update(**state)
            if encode is not None:
                floor_fonts(fig)
                for artist in fig.findobj(lambda a: a is not fig and a.get_animated()):
                    artist.set_in_layout(False)  # laid out as the live figure is
                frames.append(encode(fig))
                smallest = min(smallest, smallest_text_px(fig))
                continue
            if widget._background is None or widget._static_signature() != widget._background_signature:
                # the whole figure is drawn again: every text floored, measured once drawn
                floor_fonts(fig)
                frames.append(widget._render(quantize=True))
                static_px = smallest_text_px(fig)
            else:
                # only the animated artists are drawn: the static texts were floored and measured
                # with the background (a change to them would have called invalidate_background)
                texts = [t for a in widget._dynamic for t in a.findobj(Text)]
                for t in texts:
                    if t.get_fontsize() < PHONE_MIN_PT:
                        t.set_fontsize(PHONE_MIN_PT)
                frames.append(widget._render(quantize=True))
            shown = [t.get_fontsize() for a in widget._dynamic for t in a.findobj(Text)
                     if t.get_visible() and t.get_text().strip()]
            smallest = min(smallest, static_px, min(shown, default=float("inf")) * fig.dpi / 72.0)
        width_px = fig.canvas.get_width_height(physical=True)[0]
    return frames, smallest, width_px


def panels(fig: Figure, n: int = 2, *, width_ratios: Sequence[float] | None = None,
           height_ratios: Sequence[float] | None = None, **kwargs: Any):
    """A grid of ``n`` panels: side by side on a desktop figure, stacked on a narrow one.

    ``width_ratios`` apply to the row, ``height_ratios`` to the column; other keywords go to
    :meth:`~matplotlib.figure.Figure.add_gridspec` in both cases.
    """
    if narrow(fig):
        return fig.add_gridspec(n, 1, height_ratios=height_ratios, **kwargs)
    return fig.add_gridspec(1, n, width_ratios=width_ratios, **kwargs)


def legend_kwargs(fig: Figure, desktop: dict[str, Any], *, ncol: int = 1, below: float = -0.22) -> dict[str, Any]:
    """Legend placement: ``desktop`` on a desktop figure; under the axes (``ncol`` columns) on a
    narrow one, where a legend inside the axes would cover the data."""
    if not narrow(fig):
        return dict(desktop)
    return {"loc": "upper center", "bbox_to_anchor": (0.5, below), "ncol": ncol, "frameon": False}


def set_text(artist: Text, text: str, *, chars: int = 46, wide_chars: int | None = None) -> None:
    """Set ``text`` on ``artist``; on a narrow figure every line wraps at ``chars`` characters
    (about a 3.5 in figure's width at 7.5-8 pt), on a desktop one at ``wide_chars`` (if given)."""
    if not narrow(artist.get_figure()):
        chars = wide_chars
    if chars:
        text = "\n".join(textwrap.fill(line, chars, break_on_hyphens=False) if line else line
                         for line in text.split("\n"))
    artist.set_text(text)


def overlapping(texts: Sequence[Text], fig: Figure) -> list[tuple[str, str]]:
    """Pairs of shown texts whose drawn boxes overlap (``get_window_extent`` after a draw)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    shown = [t for t in texts if t.get_visible() and t.get_text().strip()]
    boxes = [t.get_window_extent(renderer) for t in shown]
    return [(shown[i].get_text(), shown[j].get_text()) for i in range(len(shown)) for j in range(i + 1, len(shown))
            if boxes[i].overlaps(boxes[j])]


def separate_labels(texts: Sequence[Text], fig: Figure, *, step_pt: float = 2.0, tries: int = 40,
                    pad_pt: float = 2.0) -> None:
    """Move labels apart where their boxes overlap: each label, in turn, steps away from the labels
    placed before it (up if it sits above its point, ``va="bottom"``, else down) until it is clear
    by ``pad_pt``. Repeated after a new layout (moved labels can move the axes) until none overlap."""
    for _ in range(4):
        # lay the figure out and place every text as a draw does, without rasterising anything (the
        # labels' boxes are all that is read; the next real draw paints the figure from scratch)
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        pad = pad_pt * fig.dpi / 72
        placed = []
        moved = False
        for t in texts:
            direction = -1.0 if t.get_va() == "top" else 1.0
            for _ in range(tries):
                box = t.get_window_extent(renderer).padded(pad)
                if not any(box.overlaps(other) for other in placed):
                    break
                x, y = t.get_transform().transform(t.get_position())
                new = t.get_transform().inverted().transform((x, y + direction * step_pt * fig.dpi / 72))
                t.set_position((t.get_position()[0], new[1]))
                moved = True
            placed.append(t.get_window_extent(renderer))
        if not moved:
            return


DESKTOP_SHOWN_PX: int = 662
"""CSS px the book gives a scrubber's figure at 1280 px on a desktop (measured: its content column
less the card's padding); a wider figure is shrunk to it."""
_MIN_CSS_PX = 9.2  # a little over the 9 CSS px aimed at, for rounding


def desktop_min_pt(fig: Figure) -> float:
    """The smallest font (pt) that stays at 9 CSS px or more when the book shrinks ``fig`` (a
    desktop figure, drawn at :data:`~ketacourse.widgets.style.DPI`) to :data:`DESKTOP_SHOWN_PX`."""
    natural_px = fig.get_figwidth() * DPI
    return _MIN_CSS_PX * 72.0 / DPI * max(1.0, natural_px / DESKTOP_SHOWN_PX)


def floor_desktop_fonts(fig: Figure) -> None:
    """Raise the desktop figure's small texts to :func:`desktop_min_pt` (a phone figure: untouched,
    :func:`phone_figure` floors it at :data:`PHONE_MIN_PT`)."""
    if not narrow(fig):
        floor_fonts(fig, desktop_min_pt(fig))
