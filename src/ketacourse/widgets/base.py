"""The widget pattern every chapter reuses.

A :class:`ModelWidget` couples keyboard-usable ipywidgets controls (labels carry units) to one
persistent matplotlib figure. Moving a control recomputes the model and updates the existing
artists (``set_data``), redraws once with Agg and swaps the PNG shown in an
:class:`ipywidgets.Image`; the figure is never rebuilt.

Displayed in a notebook, a widget offers four representations:

``application/vnd.jupyter.widget-view+json``
    the live widget (JupyterLab, Notebook 7, VS Code, Colab);
``text/html``
    a self-contained *offline scrubber*: frames precomputed from the same model and the same
    style for the main control, swapped by a native range input with a few lines of inline
    JavaScript and no external resources, each frame with its own alt text. The book prefers
    this representation, so readers can explore without a kernel;
``image/png``
    the current figure, for builders that cannot show HTML;
``text/plain``
    a fixed, deterministic repr (so nbval output comparison stays stable).
"""

from __future__ import annotations

import base64
import html
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from PIL import Image as PILImage

from ..validation import check_choice, check_real
from .style import RC, new_figure

__all__ = ["ScrubSpec", "ModelWidget", "png_bytes"]


@dataclass(frozen=True)
class ScrubSpec:
    """Which control the offline scrubber varies, and at which values.

    Attributes
    ----------
    control : str
        Name of the control (a key of :attr:`ModelWidget.controls`).
    values : sequence
        The control values to precompute, in order.
    label : str
        A format string for the value shown beside the slider, e.g. ``"{:.0f} mV"``.
    """

    control: str
    values: Sequence[Any]
    label: str = "{}"


def _encode_png(fig: Figure, *, quantize: bool = False) -> bytes:
    """Encode the figure's current Agg buffer as PNG (no drawing happens here)."""
    width, height = fig.canvas.get_width_height(physical=True)
    img = PILImage.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    if quantize:
        img = img.convert("RGB").quantize(colors=64, method=PILImage.Quantize.MEDIANCUT)
        img.save(buf, format="png", optimize=True)
    else:
        img.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()


def png_bytes(fig: Figure, *, quantize: bool = False) -> bytes:
    """Draw ``fig`` completely with Agg (animated artists included) and return PNG bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        An Agg-backed figure.
    quantize : bool
        Reduce to a 64-colour palette (used for the precomputed scrubber frames, about 4x
        smaller with no visible loss for line plots).
    """
    fig.canvas.draw()
    for artist in _animated_artists(fig):
        fig.draw_artist(artist)
    return _encode_png(fig, quantize=quantize)


def _animated_artists(fig: Figure) -> list:
    found = fig.findobj(lambda a: a is not fig and a.get_animated())
    return sorted(found, key=lambda a: a.get_zorder())


def _control_bounds(ctrl: W.Widget) -> tuple[float | None, float | None]:
    if isinstance(ctrl, W.FloatLogSlider):
        return float(ctrl.base**ctrl.min), float(ctrl.base**ctrl.max)
    if hasattr(ctrl, "min") and hasattr(ctrl, "max"):
        return float(ctrl.min), float(ctrl.max)
    return None, None


_SCRUB_CSS = (
    # A self-contained white card with dark text, like the figures themselves: readable in the
    # book's light and dark modes whatever colours the theme gives the output area.
    ".kc-scrub{margin:0.5em 0;max-width:100%;background:#ffffff;color:#1a1a1a;padding:0.5em 0.75em;"
    "border-radius:6px;border:1px solid #d0d4da}"
    ".kc-scrub img{max-width:100%;height:auto;border-radius:4px}"
    ".kc-scrub img[hidden]{display:none!important}"
    ".kc-scrub figcaption{color:#1a1a1a;display:flex;flex-wrap:wrap;gap:0.4em 1em;align-items:center;"
    "font-size:0.9em}"
    ".kc-scrub label{color:#1a1a1a;opacity:1}"
    ".kc-scrub output{font-weight:600;color:#1a1a1a}"
    ".kc-scrub input[type=range]{flex:1 1 14em;min-width:10em;accent-color:#0072B2}"
    ".kc-scrub .kc-note{flex-basis:100%;font-size:0.85em;font-style:italic;color:#333333}"
)

_SCRUB_JS = (
    "var f=this.closest('figure'),i=+this.value;"
    "f.querySelectorAll('img.kc-frame').forEach(function(m,j){m.hidden=(j!==i);});"
    "f.querySelector('output').textContent=JSON.parse(this.dataset.labels)[i];"
)


class ModelWidget:
    """Base class: controls + one persistent figure, updated in place.

    Subclasses set :attr:`title`, :attr:`scrub`, optionally :attr:`figsize`, and implement
    the four hooks below. Every artist that changes with the controls must be created with
    ``animated=True``: updates redraw only those over a cached background (blitting).

    - :meth:`_make_controls` returning ``{name: ipywidgets control}`` (names carry units,
      e.g. ``voltage_mv``; descriptions show them, e.g. ``"Voltage (mV)"``);
    - :meth:`_build_figure` creating axes and artists once and keeping handles;
    - :meth:`_update` computing the model for the given parameters and updating artists;
    - :meth:`alt_text` describing what the figure shows for given parameters.
    """

    title: ClassVar[str] = ""
    figsize: ClassVar[tuple[float, float]] = (7.0, 3.6)
    scrub: ClassVar[ScrubSpec | None] = None
    static_note: ClassVar[str] = (
        "Precomputed frames from the course model; run the notebook to use every control."
    )

    def __init__(self, **initial: Any) -> None:
        self.controls: dict[str, W.Widget] = self._make_controls()
        for ctrl in self.controls.values():
            ctrl.style = {"description_width": "initial"}
            if hasattr(ctrl, "continuous_update"):
                ctrl.continuous_update = True
        with mpl.rc_context(RC):
            self.fig = new_figure(*self.figsize)
            self._build_figure(self.fig)
        self._background = None
        self._dynamic: list = []
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        self.status = W.HTML(value="")
        self.last_update_ms: float = float("nan")
        self._muted = False
        if initial:
            self._assign(initial)
        self.refresh()
        for ctrl in self.controls.values():
            ctrl.observe(self._on_change, names="value")
        self._view: W.Box | None = None

    # ----------------------------------------------------------------- subclass hooks
    def _make_controls(self) -> dict[str, W.Widget]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _build_figure(self, fig: Figure) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _update(self, **params: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def alt_text(self, **params: Any) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    # ----------------------------------------------------------------- state
    @property
    def params(self) -> dict[str, Any]:
        """Current control values by name."""
        return {name: ctrl.value for name, ctrl in self.controls.items()}

    def validate(self, name: str, value: Any) -> Any:
        """Check one control value; raise ValueError naming it and its allowed range."""
        if name not in self.controls:
            check_choice("control name", name, list(self.controls))
        ctrl = self.controls[name]
        if isinstance(ctrl, (W.Dropdown, W.ToggleButtons, W.RadioButtons, W.SelectionSlider)):
            options = [o[1] if isinstance(o, tuple) else o for o in ctrl.options]
            if value not in options:
                raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
            return value
        if isinstance(ctrl, (W.Checkbox, W.ToggleButton)):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False; got {value!r}")
            return value
        low, high = _control_bounds(ctrl)
        unit = getattr(self, "units", {}).get(name, "")
        checked = check_real(name, value, low=low, high=high, unit=unit)
        if not isinstance(checked, float):  # a control holds one number, not an array
            span = "" if low is None or high is None else f" from {low:g} to {high:g}{' ' + unit if unit else ''}"
            raise ValueError(f"{name} must be a single number{span}, not a sequence; got {value!r}")
        return checked

    def _link(self, given: dict[str, Any]) -> dict[str, Any]:
        """Hook for linked controls: return ``given`` plus the controls that follow from it.

        ``given`` holds validated values about to be set (from :meth:`set`, :meth:`frame_png` or
        one control moved by the learner). A subclass whose controls depend on each other (a
        dose in mg and in mg/kg; a preset and the schedule it sets) adds the values of the
        controls that follow, or raises ``ValueError`` to refuse the change. The default links
        nothing.
        """
        return given

    def _checked_and_linked(self, params: dict[str, Any]) -> dict[str, Any]:
        checked = {name: self.validate(name, value) for name, value in params.items()}
        linked = self._link(checked)
        return {name: self.validate(name, value) for name, value in linked.items()}

    def _assign(self, params: dict[str, Any]) -> None:
        checked = self._checked_and_linked(params)
        self._muted = True
        try:
            for name, value in checked.items():
                self.controls[name].value = value
        finally:
            self._muted = False

    def set(self, **params: Any) -> "ModelWidget":
        """Set one or more controls (validated; out-of-range values raise, never clip) and redraw once.

        Raises
        ------
        ValueError
            If a name is not a control, or a value is NaN, infinite, of the wrong kind or
            outside the control's range.
        """
        self._assign(params)
        self.refresh()
        return self

    def _on_change(self, change: dict) -> None:
        if self._muted:
            return
        name = next((k for k, c in self.controls.items() if c is change["owner"]), None)
        try:
            linked = self._link({name: change["new"]})
        except ValueError as exc:  # refuse the move (never clip), say why, restore the control
            self._muted = True
            try:
                change["owner"].value = change["old"]
            finally:
                self._muted = False
            self.status.value = f"<span style='color:#D55E00'>{html.escape(str(exc))}</span>"
            return
        self._muted = True
        try:
            for key, value in linked.items():
                if key != name:
                    self.controls[key].value = value
        finally:
            self._muted = False
        try:
            self.refresh()
        except Exception as exc:  # show it where the learner is looking, then re-raise
            self.status.value = f"<span style='color:#D55E00'>Could not update: {html.escape(str(exc))}</span>"
            raise

    def refresh(self) -> None:
        """Recompute the model for the current controls and update the figure in place."""
        t0 = time.perf_counter()
        with mpl.rc_context(RC):
            self._update(**self.params)
            self.image.value = self._render()
        self.last_update_ms = (time.perf_counter() - t0) * 1e3
        self.status.value = ""

    def _render(self, *, quantize: bool = False) -> bytes:
        """Blit: restore the cached static background, draw only the animated artists, encode.

        The first call draws everything once (running the layout engine), freezes the layout
        and caches the background; artists that the subclass marked ``animated`` (those that
        change with the controls) are redrawn on every update.
        """
        fig = self.fig
        if self._background is None:
            for artist in _animated_artists(fig):
                artist.set_in_layout(False)  # changing text must not move the axes
            fig.canvas.draw()
            fig.set_layout_engine("none")
            fig.canvas.draw()
            self._background = fig.canvas.copy_from_bbox(fig.bbox)
            self._dynamic = _animated_artists(fig)
        else:
            fig.canvas.restore_region(self._background)
        for artist in self._dynamic:
            fig.draw_artist(artist)
        return _encode_png(fig, quantize=quantize)

    def invalidate_background(self) -> None:
        """Call from :meth:`_update` when something *static* changed (for example axis limits)."""
        self._background = None

    # ----------------------------------------------------------------- rendering
    def png(self) -> bytes:
        """PNG of the figure for the current controls."""
        return bytes(self.image.value)

    def frame_png(self, **params: Any) -> bytes:
        """PNG for ``params`` (merged into the current ones) without changing the controls."""
        state = {**self.params, **self._checked_and_linked(params)}
        with mpl.rc_context(RC):
            self._update(**state)
            data = self._render(quantize=True)
            self._update(**self.params)
            self._render()
        return data

    def recreate_png(self, **params: Any) -> bytes:
        """Baseline for benchmarks: build a brand-new figure for ``params`` and render it.

        This is what a naive widget does on every slider move; the live widget never does it.
        """
        state = {**self.params, **params}
        saved = dict(self.__dict__)  # _build_figure stores artist handles on self
        try:
            with mpl.rc_context(RC):
                fig = new_figure(*self.figsize)
                self._build_figure(fig)
                self._update(**state)
                data = png_bytes(fig)
        finally:
            self.__dict__.clear()
            self.__dict__.update(saved)
        return data

    @property
    def view(self) -> W.Box:
        """The live widget: title, controls, figure and a status line."""
        if self._view is None:
            header = [W.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
            for ctrl in self.controls.values():
                ctrl.layout.margin = "0.1em 1.5em 0.2em 0"
            controls = W.Box(list(self.controls.values()), layout=W.Layout(display="flex", flex_flow="row wrap"))
            self._view = W.VBox([*header, controls, self.image, self.status])
        return self._view

    def static_html(self) -> str:
        """The offline scrubber: precomputed frames for :attr:`scrub` in one HTML fragment."""
        spec = self.scrub
        current = self.params
        if spec is None:
            values = [None]
        else:
            values = list(spec.values)
        frames, labels = [], []
        for value in values:
            change = {} if value is None else {spec.control: value}
            png = self.frame_png(**change)
            frames.append((png, self.alt_text(**{**current, **change})))
            labels.append("" if value is None else spec.label.format(value))
        start = 0
        if spec is not None:
            cur = current[spec.control]
            try:
                start = int(np.argmin([abs(float(v) - float(cur)) for v in values]))
            except (TypeError, ValueError):
                start = values.index(cur) if cur in values else 0
        imgs = "".join(
            f'<img class="kc-frame" src="data:image/png;base64,{base64.b64encode(png).decode()}"'
            f' alt="{html.escape(alt)}"{"" if i == start else " hidden"}>'
            for i, (png, alt) in enumerate(frames)
        )
        if spec is None:
            caption = f'<div class="kc-note">{html.escape(self.static_note)}</div>'
        else:
            desc = getattr(self.controls[spec.control], "description", spec.control)
            caption = (
                f'<label>{html.escape(desc)} <input type="range" min="0" max="{len(values) - 1}" step="1"'
                f' value="{start}" aria-label="{html.escape(desc)}"'
                f" data-labels='{html.escape(json.dumps(labels), quote=True)}'"
                f' oninput="{_SCRUB_JS}"></label> <output>{html.escape(labels[start])}</output>'
                f'<div class="kc-note">{html.escape(self.static_note)}</div>'
            )
        title = f"<strong>{html.escape(self.title)}</strong>" if self.title else ""
        return (
            f"<style>{_SCRUB_CSS}</style>"
            f'<figure class="kc-scrub" data-widget="{type(self).__name__}">{title}'
            f"<div>{imgs}</div><figcaption>{caption}</figcaption></figure>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle = dict(self.view._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = repr(self)
        bundle["image/png"] = base64.b64encode(self.png()).decode()
        bundle["text/html"] = self.static_html()
        return bundle

    def __repr__(self) -> str:
        def fmt(v: Any) -> str:
            return f"{v:.4g}" if isinstance(v, float) else repr(v)

        inner = ", ".join(f"{k}={fmt(v)}" for k, v in self.params.items())
        return f"<{type(self).__name__}: {inner}>"
