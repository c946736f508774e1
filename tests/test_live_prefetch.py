"""The live figure draws ahead exactly what the page will ask for (issue 24: key press -> figure <= 50 ms).

The page (``live_view.js``) answers a key press from its cache when one of the cached entries is
keyed by the controls' values as the browser holds them right after the press. These tests play the
browser for every widget of the registry, without a browser: the values one arrow key gives (worked
out here the way the slider in the page computes them, not with the kernel's own step code), the
controls that follow a move (a dose in mg following a dose in mg/kg) first unchanged and then as the
kernel sets them, and they compare those positions, with the page's tolerance, with what the kernel
plans to draw ahead (:meth:`LiveFigure.plan`) or has already pushed.
"""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as W
import pytest

from ketacourse.widgets import registry
from ketacourse.widgets.live_view import PREFETCH_PER_UPDATE, _frame_id, position_key

WIDGETS = registry()
SLIDERS = (W.FloatSlider, W.IntSlider, W.FloatLogSlider, W.SelectionSlider)


def main_control(cls: type, controls: dict[str, W.Widget]) -> str:
    """The slider a learner (and benchmarks/bench_browser.py) steps: the scrubber's, else the first."""
    sliders = [k for k, c in controls.items() if isinstance(c, SLIDERS)]
    return cls.scrub.control if cls.scrub is not None and cls.scrub.control in sliders else sliders[0]


def arrow(ctrl: W.Widget, direction: int) -> Any:
    """The value the page's slider holds after one arrow key (None at the end of its range).

    ipywidgets' sliders (noUiSlider) step from the handle's position on the step grid; a log slider
    steps its exponent; a selection slider its index."""
    if isinstance(ctrl, W.SelectionSlider):
        i = ctrl.index + direction
        return None if not 0 <= i < len(ctrl.options) else [o[1] if isinstance(o, tuple) else o
                                                             for o in ctrl.options][i]
    if isinstance(ctrl, W.FloatLogSlider):
        exponent = math.log(ctrl.value) / math.log(ctrl.base) + direction * ctrl.step
        if not ctrl.min - 1e-9 <= exponent <= ctrl.max + 1e-9:
            return None
        return ctrl.base ** exponent
    k = round((ctrl.value - ctrl.min) / ctrl.step) + direction
    value = ctrl.min + k * ctrl.step  # JavaScript's double arithmetic, float noise included
    if not ctrl.min - 1e-9 <= value <= ctrl.max + 1e-9:
        return None
    return int(round(value)) if isinstance(ctrl, W.IntSlider) else value


def page_values(w, override: dict[str, Any]) -> list:
    """The controls' values in the page (selection widgets sync an index), with ``override`` applied."""
    out = []
    for name, ctrl in w.controls.items():
        value = override.get(name, ctrl.value)
        if hasattr(ctrl, "options") and hasattr(ctrl, "index"):
            options = [o[1] if isinstance(o, tuple) else o for o in ctrl.options]
            value = options.index(value)
        out.append(value)
    return out


def same(a: Any, b: Any) -> bool:
    """live_view.js's comparison of two keys' entries."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def covered(w, planned: list[tuple[dict, dict]], values: list) -> str | None:
    """Where the page finds ``values``: "pushed" (already in the page), "planned" (drawn ahead next),
    or None."""
    def hit(keys) -> bool:
        return any(len(k) == len(values) and all(same(x, y) for x, y in zip(k, values)) for k in keys)

    import json

    if any(hit(json.loads(k) for k in keys) for keys in w.image._pushed.values()):
        return "pushed"
    for moved, state in planned:
        if hit(w.image._keys(moved, state)[1]):
            return "planned"
    return None


def shown_in_a_browser(cls: type):
    w = cls()
    w.image._on_message(w.image, {"type": "ready"}, [])  # a browser shows it (no event loop: nothing drawn)
    return w


_UNMOVED: dict[str, Any] = {}
"""Per widget, the one that the first test only looked at (``plan()`` moves nothing and draws nothing):
the second test moves it instead of building another in the same default state."""


def unmoved(name: str):
    """A new widget of ``name``, shown in a browser, in its default state, never moved."""
    return _UNMOVED.pop(name, None) or shown_in_a_browser(WIDGETS[name])


@pytest.mark.parametrize("name", list(WIDGETS))
def test_the_first_arrow_key_either_way_is_drawn_ahead(name):
    """From the default state, ArrowRight and ArrowLeft on the main slider land on positions the
    kernel draws ahead (before any move it draws the main slider's neighbours first)."""
    cls = WIDGETS[name]
    w = shown_in_a_browser(cls)
    state = (dict(w.params), len(w._images), dict(w.image._pushed), w.image._last_move)
    control = main_control(cls, w.controls)
    plan = w.image.plan()
    assert 0 < len(plan) <= PREFETCH_PER_UPDATE
    for direction in (1, -1):
        value = arrow(w.controls[control], direction)
        if value is None:
            continue
        where = covered(w, plan, page_values(w, {control: value}))
        assert where, (f"{name}: {'ArrowRight' if direction > 0 else 'ArrowLeft'} on {control} gives "
                       f"{value!r}, which the kernel does not draw ahead: it plans "
                       f"{[m for m, _s in plan]}")
    if state == (dict(w.params), len(w._images), dict(w.image._pushed), w.image._last_move):
        _UNMOVED[name] = w  # as new: the next test moves this one


@pytest.mark.parametrize("name", list(WIDGETS))
def test_after_a_key_press_the_next_press_is_drawn_ahead_first(name):
    """The learner presses ArrowRight (ArrowLeft at the end) on the main slider: the kernel's next
    drawing is the position of the next press in the same direction, keyed as the page holds it
    right after the press (a linked control not yet updated by the kernel) and after it; the
    position just left is in the page or planned too."""
    cls = WIDGETS[name]
    w = unmoved(name)
    control = main_control(cls, w.controls)
    ctrl = w.controls[control]
    direction = 1 if arrow(ctrl, 1) is not None else -1
    for press in range(3):
        before = dict(w.params)
        value = arrow(ctrl, direction)
        if value is None:
            break
        ctrl.value = value  # the browser's move reaches the kernel: it links, draws and plans ahead
        assert w.image._last_move == (control, direction), (
            f"{name}: after the learner moved {control} the kernel takes {w.image._last_move} for the last move")
        plan = w.image.plan()
        nxt = arrow(ctrl, direction)
        if nxt is not None:
            assert plan, f"{name}: nothing drawn ahead after press {press + 1}"
            first = w.image._keys(*plan[0])[1]
            linked = position_key(w.controls, {**w.params, **w._checked_and_linked({control: nxt})})
            for values in (page_values(w, {control: nxt}), linked):  # right after the press; once the kernel
                # has set the controls that follow it (as the page's sliders hold them, on their step grid)
                assert any(all(same(x, y) for x, y in zip(k, values)) for k in first) or \
                    covered(w, [], values) == "pushed", (
                    f"{name}: press {press + 1} on {control}: the next press gives {values}, but the kernel draws "
                    f"{[_frame_id(k) for k in first]} first")
        back = page_values(w, {control: before[control]})  # the learner turns back: the page has the old frame
        assert covered(w, plan, back), f"{name}: the position just left, {back}, is neither in the page nor planned"
