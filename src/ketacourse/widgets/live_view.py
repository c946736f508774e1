"""The live figure of a :class:`~ketacourse.widgets.base.ModelWidget`, answered in the browser.

A key press on a control must show the new figure within 50 ms; a round trip through the kernel
alone (websocket to the kernel, the update, the image back through the Jupyter server, decoding)
takes longer than that on a small machine. So the live figure is a small browser-side view
(:class:`LiveFigure`, an `anywidget <https://anywidget.dev>`_ widget with the ES module
``live_view.js``) that holds a cache ``{position of the controls -> PNG, alt text}``:

- it listens to the widget's controls *in the browser*; when a learner moves one to a cached
  position, it swaps to that image (decoded ahead of time) at once;
- the kernel still receives the move and stays the source of truth: its frame (``value``, ``alt``,
  ``frame``) replaces what the browser shows whenever they differ;
- after each update, when the kernel is idle, it draws the neighbouring positions (one step of
  each control either way; first up to ``STEPS_AHEAD`` steps of the moved control in the direction of
  the move) and pushes them to the browser,
  one per callback on the kernel's event loop (one queue for every widget, the last one moved
  first), spaced by at least as long as the last drawing took, so a message from the browser
  waits for at most one drawing; at most ``PREFETCH_PER_UPDATE`` drawings per update, and a newer
  update cancels the rest.

Prefetching starts only once a browser shows the view (it says so with a ``ready`` message): in
plain Python, tests and headless notebook runs nothing is drawn ahead and updates stay as they were.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as W
import traitlets as T

ModelWidget = Any  # a ketacourse.widgets.base.ModelWidget (not imported: base imports this module)
__all__ = ["LiveFigure", "position_key", "neighbours", "main_control"]

_ESM = Path(__file__).with_name("live_view.js")
PUSHED_MAX = 48  # positions the kernel believes the browser holds (the browser keeps up to 64)
PREFETCH_DELAY_S = 0.03  # at least this between two prefetched drawings (and as long as the last one took):
# messages from the browser get the kernel first, and prefetching uses at most half of a busy kernel
PREFETCH_PER_UPDATE = 8  # drawings ahead per update at most (CPU on a shared hub stays bounded)
STEPS_AHEAD = 3  # steps of the moved control drawn ahead in the direction of the move: a learner who
# presses faster than a busy kernel hears of the presses (ipywidgets sends the next change only once
# the kernel has answered the last) still finds the next positions in the page


def _decimals(step: float) -> int:
    """Decimal places that show every value on a slider's step grid (0.05 -> 2, 5 -> 0)."""
    for places in range(0, 7):
        if abs(round(step, places) - step) <= 1e-9 * max(1.0, abs(step)):
            return places
    return 6


def _snap(ctrl: W.Widget, value: Any) -> Any:
    """``value`` on ``ctrl``'s step grid (what the browser's slider would show), else unchanged."""
    step = getattr(ctrl, "step", None)
    if isinstance(ctrl, W.FloatLogSlider) or not isinstance(ctrl, (W.FloatSlider, W.IntSlider)) or not step:
        return value
    snapped = ctrl.min + round((float(value) - ctrl.min) / step) * step
    snapped = round(snapped, _decimals(step) + 1)
    return min(max(snapped, ctrl.min), ctrl.max) if isinstance(ctrl, W.FloatSlider) else int(snapped)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def _is_selection(ctrl: W.Widget) -> bool:
    return hasattr(ctrl, "options") and hasattr(ctrl, "index")


def _sync_value(ctrl: W.Widget, value: Any) -> Any:
    """What the browser's model of ``ctrl`` holds for ``value`` (selection widgets sync an index)."""
    if _is_selection(ctrl):
        options = [o[1] if isinstance(o, tuple) else o for o in ctrl.options]
        return options.index(value) if value in options else None
    value = _snap(ctrl, value)  # the browser's slider shows (and sends back) a value on its step grid
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def position_key(controls: dict[str, W.Widget], params: dict[str, Any]) -> list:
    """The controls' values as the browser sees them, in control order (the cache key in the page)."""
    return [_sync_value(ctrl, params[name]) for name, ctrl in controls.items()]


def _frame_id(key: list) -> str:
    return json.dumps(key, separators=(",", ":"))


def _steps(ctrl: W.Widget, value: Any) -> list[Any]:
    """The values one step below and above ``value`` (as the slider's arrow keys give them)."""
    if getattr(ctrl, "disabled", False):
        return []
    if _is_selection(ctrl):
        options = [o[1] if isinstance(o, tuple) else o for o in ctrl.options]
        i = options.index(value) if value in options else -1
        return [options[j] for j in (i - 1, i + 1) if 0 <= j < len(options) and i >= 0]
    if isinstance(ctrl, W.FloatLogSlider):
        import math

        exponent = math.log(float(value), ctrl.base)
        out = []
        for e in (exponent - ctrl.step, exponent + ctrl.step):
            if ctrl.min - 1e-9 <= e <= ctrl.max + 1e-9:
                out.append(float(f"{ctrl.base ** e:.12g}"))
        return out
    if isinstance(ctrl, (W.FloatSlider, W.IntSlider)):
        step = ctrl.step
        out = []
        for v in (value - step, value + step):
            if ctrl.min - 1e-9 <= v <= ctrl.max + 1e-9:
                out.append(int(round(v)) if isinstance(ctrl, W.IntSlider) else float(f"{v:.12g}"))
        return out
    if isinstance(ctrl, (W.Checkbox, W.ToggleButton)):
        return [not value]
    return []


_SLIDERS = (W.FloatSlider, W.IntSlider, W.FloatLogSlider, W.SelectionSlider)


def main_control(widget: ModelWidget) -> str | None:
    """The control a learner most likely steps first: the scrubber's control if it is a slider, else
    the first slider (arrow keys step a slider; a menu or a checkbox is a choice, not a step), else the
    scrubber's control."""
    scrub = getattr(widget, "scrub", None)
    sliders = [name for name, ctrl in widget.controls.items() if isinstance(ctrl, _SLIDERS)]
    if scrub is not None and scrub.control in sliders:
        return scrub.control
    if sliders:
        return sliders[0]
    return scrub.control if scrub is not None else None


def neighbours(widget: ModelWidget, moved: str | None = None, direction: int = 0) -> list[tuple[dict, dict]]:
    """Positions one step away from the widget's current one: ``[(moved controls, full params), ...]``.

    The moved control comes first (``STEPS_AHEAD`` steps in its direction, then one back), then
    every other control. ``moved controls`` is what the browser changes (one control); ``full
    params`` adds the controls that follow it (:meth:`ModelWidget._link`). Moves the widget would
    refuse are left out.
    """
    params = widget.params
    names = list(widget.controls)
    if moved in names:
        names.remove(moved)
        names.insert(0, moved)
    out: list[tuple[dict, dict]] = []
    for name in names:
        ctrl = widget.controls[name]
        values = _steps(ctrl, params[name])
        if name == moved and direction > 0 and len(values) == 2:
            values.reverse()  # the step in the direction of the last move first
        if name == moved and direction and values:
            chain, previous = values[:1], params[name]
            while len(chain) < STEPS_AHEAD:  # on in the same direction, then one step back
                on = [v for v in _steps(ctrl, chain[-1]) if not _same(v, previous)]
                if not on:
                    break
                previous = chain[-1]
                chain.append(on[0])
            values = chain + values[1:]
        for value in values:
            try:
                linked = widget._checked_and_linked({name: value})
            except ValueError:
                continue
            out.append(({name: value}, {**params, **linked}))
    return out


class LiveFigure(anywidget.AnyWidget):
    """The figure of a live widget: the kernel's PNG plus a browser-side cache of nearby positions.

    ``value`` is the current PNG (bytes, as :class:`ipywidgets.Image` had it), ``alt`` its alt
    text, ``frame``/``frame_key`` name its position. ``controls`` references the widget's controls
    so the page can follow them without the kernel.
    """

    _esm = _ESM
    value = T.Bytes(b"").tag(sync=True)
    alt = T.Unicode("").tag(sync=True)
    frame = T.Unicode("").tag(sync=True)
    frame_key = T.List().tag(sync=True)
    uid = T.Unicode("").tag(sync=True)
    controls = T.List(T.Instance(W.Widget)).tag(sync=True, **W.widget_serialization)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(uid=uuid.uuid4().hex, **kwargs)
        self._owner: ModelWidget = None
        self._frontend = False  # a browser has shown this view (then prefetching is on)
        self._pushed: OrderedDict[str, set[str]] = OrderedDict()  # frame -> the keys the page has for it
        self._generation = 0
        self._last_move: tuple[str | None, int] = (None, 0)
        self.prefetch_enabled = True
        self.on_msg(self._on_message)

    # ------------------------------------------------------------------ kernel -> browser
    def attach(self, widget: ModelWidget) -> None:
        """Follow ``widget``'s controls (in the browser and here, for the moved control's direction)."""
        self._owner = widget
        self.controls = list(widget.controls.values())
        for name, ctrl in widget.controls.items():
            ctrl.observe(lambda change, name=name: self._moved(name, change), names="value")

    def _moved(self, name: str, change: dict) -> None:
        owner = self._owner
        if owner is not None and (getattr(owner, "_muted", False) or name in getattr(owner, "_following", {})):
            # The widget set this control itself (a linked control that follows the learner's move,
            # its echo from the browser, or set()): not the learner's move. Taking it for one made
            # PKExplorer draw ahead the mg dose's steps (which the page never asks for) instead of
            # the mg/kg steps the learner was pressing.
            return
        try:
            direction = 1 if change["new"] > change["old"] else -1
        except TypeError:
            ctrl = self._owner.controls[name] if self._owner else None
            direction = 0
            if ctrl is not None and _is_selection(ctrl):
                options = [o[1] if isinstance(o, tuple) else o for o in ctrl.options]
                if change["new"] in options and change["old"] in options:
                    direction = 1 if options.index(change["new"]) > options.index(change["old"]) else -1
        self._last_move = (name, direction)

    def show(self, png: bytes, params: dict[str, Any], alt: str) -> None:
        """Show the kernel's frame for ``params`` (the source of truth), then prefetch when idle."""
        key = position_key(self._owner.controls, params) if self._owner else []
        frame = _frame_id(key)
        with self.hold_sync():
            self.value = png
            self.alt = alt
            self.frame_key = key
            self.frame = frame
        self._note_pushed(frame, [key])
        self._schedule_prefetch()

    def forget(self) -> None:
        """Empty the browser's cache (benchmarks measure a jump to a position the page lacks)."""
        self._pushed.clear()
        self._generation += 1
        self.send({"type": "forget"})

    def _note_pushed(self, frame: str, keys: list[list]) -> None:
        self._pushed.setdefault(frame, set()).update(_frame_id(k) for k in keys)
        self._pushed.move_to_end(frame)
        while len(self._pushed) > PUSHED_MAX:
            self._pushed.popitem(last=False)

    def _on_message(self, _widget: Any, content: dict, _buffers: list) -> None:
        if isinstance(content, dict) and content.get("type") == "ready":
            _hook_cells()
            self._frontend = True
            self._schedule_prefetch()

    # ------------------------------------------------------------------ prefetch
    def _schedule_prefetch(self) -> None:
        self._generation += 1
        if not (self._frontend and self.prefetch_enabled and self._owner is not None):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop running here (plain Python): nothing is drawn ahead
            return
        _PREFETCHER.submit(self, self._generation, self.plan(), loop)

    def plan(self) -> list[tuple[dict, dict]]:
        """The positions to draw ahead now, in order: ``[(moved controls, full params), ...]``.

        One step of every control either way, the learner's last moved control first (``STEPS_AHEAD``
        steps in the direction of the move, then one back; before any move the scrubber's control, upwards),
        leaving out what the page already holds under every key it may ask for; at most
        ``PREFETCH_PER_UPDATE``.
        """
        if self._owner is None:
            return []
        moved, direction = self._last_move
        if moved is None:  # before any move: the main slider first, upwards
            moved, direction = main_control(self._owner), 1
        todo = [(m, st) for m, st in neighbours(self._owner, moved, direction) if not self._known(m, st)]
        return todo[:PREFETCH_PER_UPDATE]

    def _keys(self, moved: dict, state: dict) -> tuple[str, list[list]]:
        """The frame id of ``state`` and the keys the page may see for it: the full position, and the
        position right after the browser's move, before the kernel has set the controls that follow."""
        key = position_key(self._owner.controls, state)
        unlinked = position_key(self._owner.controls, {**self._owner.params, **moved})
        return _frame_id(key), ([key] if unlinked == key else [key, unlinked])

    def _known(self, moved: dict, state: dict) -> bool:
        frame, keys = self._keys(moved, state)
        return frame in self._pushed and all(_frame_id(k) in self._pushed[frame] for k in keys)

    def _prefetch_step(self, todo: list) -> float | None:
        """Push the next position of ``todo`` the page lacks (drawing at most one); return how long to
        wait before the next drawing, or None if nothing was drawn (``todo`` is then empty)."""
        while todo and self._owner is not None:
            moved, state = todo.pop(0)
            frame, keys = self._keys(moved, state)
            if frame in self._pushed:  # the page has this image: tell it the other way to reach it
                new = [k for k in keys if _frame_id(k) not in self._pushed[frame]]
                if new:
                    self.send({"type": "keys", "id": frame, "keys": new})
                    self._note_pushed(frame, new)
                continue
            t0 = time.perf_counter()
            try:
                png = self._owner._png_for(state)
                alt = self._owner.alt_text(**state)
            except Exception:  # a position the model cannot draw is simply not prefetched
                continue
            self.send({"type": "frames", "entries": [{"id": frame, "keys": keys, "alt": alt}]}, buffers=[png])
            self._note_pushed(frame, keys)
            return max(PREFETCH_DELAY_S, time.perf_counter() - t0)
        return None


class _Prefetcher:
    """One queue of drawings ahead for the whole kernel: the most recently updated widget first, one
    drawing per event-loop callback, spaced by at least as long as the last one took. (Many widgets
    in a notebook never draw ahead at the same time, and a message from the browser waits for at
    most one drawing.)"""

    def __init__(self) -> None:
        self.queue: OrderedDict[int, tuple[LiveFigure, int, list]] = OrderedDict()
        self.handle: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def submit(self, figure: LiveFigure, generation: int, todo: list, loop: asyncio.AbstractEventLoop) -> None:
        self.queue.pop(id(figure), None)
        self.queue[id(figure)] = (figure, generation, todo)
        if self.handle is None or self.loop is not loop:  # (a new loop: tests run one per case)
            self.loop = loop
            self.handle = loop.call_later(PREFETCH_DELAY_S, self.run, loop)

    def run(self, loop: asyncio.AbstractEventLoop) -> None:
        self.handle = None
        quiet = time.monotonic() - _CELLS["last"]
        if quiet < CELL_QUIET_S:  # cells are running (Run All): draw ahead once they are done
            self.handle = loop.call_later(CELL_QUIET_S - quiet, self.run, loop)
            return
        while self.queue:
            key, (figure, generation, todo) = next(reversed(self.queue.items()))
            if generation != figure._generation or not todo:
                del self.queue[key]
                continue
            delay = figure._prefetch_step(todo)
            if not todo:
                del self.queue[key]
            if delay is not None:
                if self.queue:
                    self.handle = loop.call_later(delay, self.run, loop)
                return


_PREFETCHER = _Prefetcher()
CELL_QUIET_S = 0.5  # no drawing ahead until this long after the last cell ran
_CELLS = {"last": 0.0, "hooked": False}


def _note_cell(*_args: Any) -> None:
    _CELLS["last"] = time.monotonic()


def _hook_cells() -> None:
    """Note when notebook cells run (IPython's public ``pre_run_cell``/``post_run_cell`` events)."""
    if _CELLS["hooked"]:
        return
    _CELLS["hooked"] = True
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets depends on IPython
        return
    shell = get_ipython()
    if shell is not None:
        shell.events.register("pre_run_cell", _note_cell)
        shell.events.register("post_run_cell", _note_cell)
