"""The widget pattern every chapter reuses.

A :class:`ModelWidget` couples keyboard-usable ipywidgets controls (labels carry units) to one
persistent matplotlib figure. Moving a control recomputes the model and updates the existing
artists (``set_data``), redraws once with Agg and swaps the PNG shown in an
:class:`ipywidgets.Image`; the figure is never rebuilt.

Displayed in a notebook, a widget offers four representations:

``application/vnd.jupyter.widget-view+json``
    the live widget (JupyterLab, Notebook 7, VS Code, Colab);
``text/html``
    a self-contained *offline scrubber*. Without JavaScript (JupyterLab's sanitiser, which
    shows this representation when a stored notebook is opened before it is run) it is one
    static figure with alt text and a one-line prompt to run the cell; with JavaScript (the
    book) a few lines of inline script turn it into a native range input that swaps frames
    precomputed from the same model for the main control, each with its own alt text, with
    no external resources;
``image/png``
    the current figure, for builders that cannot show HTML;
``text/plain``
    a fixed, deterministic repr (so nbval output comparison stays stable).
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from .. import diskcache
from ..validation import check_choice, check_real
from .live_view import LiveFigure, _decimals
from .png import _animated_artists, _encode_png, png_bytes, quantize_keeping_solid_colours  # noqa: F401 (re-exported)
from .phone_layout import PHONE_MEDIA, floor_desktop_fonts, phone_frames, smallest_text_px
from .style import RC, new_figure

__all__ = ["ScrubSpec", "ModelWidget", "png_bytes", "registered"]

_WIDGETS: dict[str, type] = {}


def registered() -> dict[str, type]:
    """The :class:`ModelWidget` subclasses defined so far, by class name, in definition order.

    Every subclass registers itself when its class statement runs (``__init_subclass__``); a base
    class meant only for subclassing passes ``register=False``. :func:`ketacourse.widgets.registry`
    imports every widget module first, so it lists every widget of the course.
    """
    return dict(_WIDGETS)


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
    "border-radius:6px;border:1px solid #d0d4da;box-sizing:border-box}"
    ".kc-scrub .kc-title{display:block;font-weight:600;color:#1a1a1a;margin-bottom:0.25em}"
    ".kc-scrub .kc-frames{position:relative}"
    ".kc-scrub img{max-width:100%;height:auto;border-radius:4px;display:block}"
    ".kc-scrub img[hidden]{display:none!important}"
    ".kc-scrub figcaption{color:#1a1a1a;display:flex;flex-wrap:wrap;gap:0.4em 1em;align-items:center;"
    "font-size:0.9em;font-weight:400}"
    ".kc-scrub label{color:#1a1a1a;opacity:1;font-weight:500;display:flex;flex-wrap:wrap;align-items:center;"
    "gap:0.3em 0.6em;flex:1 1 20em}"
    ".kc-scrub output{font-weight:600;color:#1a1a1a;min-width:6em}"
    ".kc-scrub input[type=range]{flex:1 1 12em;min-width:10em;accent-color:#0072B2}"
    ".kc-scrub .kc-note,.kc-scrub .kc-run{flex-basis:100%;font-size:0.85em;font-style:italic;color:#333333;"
    "margin:0.2em 0 0}"
    # the book's dark mode dims and frames every image and greys every HTML output: not these
    "html[data-theme=dark] .bd-content div.cell_output .text_html:has(>figure.kc-scrub),"
    "html[data-theme=dark] .bd-content div.cell_output .text_html:has(>style+figure.kc-scrub)"
    "{background:transparent!important;padding:0!important}"
    "html[data-theme=dark] .bd-content figure.kc-scrub img.kc-frame{filter:none;padding:0;background:#fff}"
    # the "Enlarge the figure" button (or a click or tap on the figure): the figure at its natural
    # size over the page, panned inside; the button stays on top to close it (as does Escape)
    ".kc-scrub .kc-frames{cursor:zoom-in}"
    ".kc-scrub.kc-zoom .kc-frames{position:fixed;inset:0;z-index:10000;background:#ffffff;overflow:auto;"
    "padding:0.5em;cursor:zoom-out}"
    ".kc-scrub.kc-zoom img{max-width:none;width:auto}"
    ".kc-scrub .kc-zoombtn{font:inherit;font-size:0.85em;line-height:1.3;padding:0.25em 0.7em;min-height:24px;"
    "border:1px solid #0072B2;border-radius:4px;background:#ffffff;color:#00507d;cursor:pointer}"
    ".kc-scrub .kc-zoombtn:hover{background:#e8f2f9}"
    ".kc-scrub .kc-zoombtn:focus-visible{outline:3px solid #0072B2;outline-offset:2px}"
    ".kc-scrub.kc-zoom .kc-zoombtn{position:fixed;top:0.5em;right:0.5em;z-index:10001;"
    "box-shadow:0 1px 4px rgba(0,0,0,0.35)}"
    ".kc-scrub .kc-zoomhint{display:none}"
    "@media (max-width:700px){.kc-scrub .kc-zoomhint{display:block}}"
)

_SCRUB_JS = (
    # Runs where inline scripts run (the book; a trusted notebook). Builds the scrubber from the
    # JSON next to it: the other frames (hidden), a range input, its readout and the note.
    "(function(s){var f=s&&s.closest('figure.kc-scrub');if(!f||f.dataset.kcReady)return;f.dataset.kcReady='1';"
    "var d=JSON.parse(f.querySelector('script.kc-data').textContent),box=f.querySelector('.kc-frames'),"
    "first=box.querySelector('img'),cap=f.querySelector('figcaption');"
    "var imgs=d.frames.map(function(src,j){if(j===d.start)return first;var m=document.createElement('img');"
    "m.className=first.className;m.src='data:image/png;base64,'+src;m.alt=d.alts[j];m.hidden=true;return m;});"
    # Phone frames (phone_layout): narrow figures with larger text, shown where the media query
    # matches. The book build moved them into image files; each is requested when it is shown
    # (and its neighbours), so a desktop never loads one and a phone loads what the reader sees.
    "var desk=imgs.map(function(m){return m.src;}),P=d.phone,mq=P&&window.matchMedia?window.matchMedia(P.media):null,"
    "ph=P?P.frames.map(function(s){return /[.]png$/.test(s)?s:'data:image/png;base64,'+s;}):null;"
    "function load(j){var m=imgs[j];if(m&&m.dataset.src&&m.getAttribute('src')!==m.dataset.src)m.src=m.dataset.src;}"
    "function pick(){var on=!!(mq&&mq.matches),set=on?ph:desk;imgs.forEach(function(m,j){m.dataset.src=set[j];"
    "m.dataset.textPx=String(on?P.text_px:d.text_px);m.classList.toggle('kc-phone',on);if(!on)m.src=set[j];});"
    "imgs.forEach(function(m,j){if(!m.hidden){load(j);load(j-1);load(j+1);}});}"
    "pick();if(mq){if(mq.addEventListener)mq.addEventListener('change',pick);else if(mq.addListener)mq.addListener(pick);}"
    "box.textContent='';imgs.forEach(function(m){box.appendChild(m);});cap.textContent='';"
    "if(imgs.length>1){var lab=document.createElement('label'),r=document.createElement('input'),"
    "o=document.createElement('output');lab.appendChild(document.createTextNode(d.label));"
    "r.type='range';r.min='0';r.max=String(imgs.length-1);r.step='1';r.value=String(d.start);"
    "r.setAttribute('aria-label',d.label);r.setAttribute('aria-valuetext',d.labels[d.start]);"
    "o.textContent=d.labels[d.start];r.addEventListener('input',function(){var i=+r.value;"
    "load(i);load(i-1);load(i+1);imgs.forEach(function(m,j){m.hidden=(j!==i);});o.textContent=d.labels[i];"
    "r.setAttribute('aria-valuetext',d.labels[i]);});lab.appendChild(r);lab.appendChild(o);cap.appendChild(lab);}"
    "var n=document.createElement('p');n.className='kc-note';n.textContent=d.note;cap.appendChild(n);"
    "var h=document.createElement('p');h.className='kc-note kc-zoomhint';h.textContent=d.zoom;cap.appendChild(h);"
    # Enlarging is a real button (keyboard, screen readers: its name says what it does, aria-expanded
    # its state); a click or tap on the figure does the same for a pointer, Escape closes.
    "var b=document.createElement('button');b.type='button';b.className='kc-zoombtn';"
    "if(!box.id)box.id='kc-frames-'+Math.random().toString(36).slice(2,10);b.setAttribute('aria-controls',box.id);"
    "function z(on){f.classList.toggle('kc-zoom',on);b.setAttribute('aria-expanded',on?'true':'false');"
    "b.textContent=on?'Close the enlarged figure':'Enlarge the figure';}z(false);cap.insertBefore(b,n);"
    "function flip(){z(!f.classList.contains('kc-zoom'));}b.addEventListener('click',flip);"
    "box.addEventListener('click',flip);"
    "f.addEventListener('keydown',function(e){if(e.key==='Escape'&&f.classList.contains('kc-zoom')){"
    "e.preventDefault();z(false);b.focus();}});"
    "})(document.currentScript);"
)

# The live view's style: controls in a grid of columns at least _COLUMN wide, each label above its
# control (so a long label never eats a slider's track), wrapping instead of being cut, units
# after the readouts. Delivered in an HTML widget, so it reaches every front end ipywidgets runs in.
_COLUMN = "19.5em"
_WIDE_OPTION_CHARS = 30  # about what one column shows of a dropdown option
_VIEW_CSS = (
    ".kc-widget .kc-controls>.widget-inline-hbox{width:100%!important;max-width:none;height:auto!important;"
    "flex-wrap:wrap;margin:0.15em 0!important;box-sizing:border-box}"
    ".kc-widget .kc-controls>.widget-inline-hbox>.widget-label{width:100%!important;max-width:100%;"
    "white-space:normal!important;overflow:visible;text-overflow:clip;line-height:1.25;height:auto;"
    "text-align:left;margin:0.1em 0}"
    ".kc-widget .kc-controls>.widget-checkbox>.widget-label{width:auto!important}"
    ".kc-widget .kc-controls>.widget-checkbox{flex-wrap:nowrap;align-self:end}"
    ".kc-widget .kc-controls .widget-hslider .slider-container{flex:1 1 12em;min-width:12.5em}"
    ".kc-widget .kc-controls .widget-readout{min-width:5.5em;width:auto;text-align:left;overflow:visible}"
    ".kc-widget .kc-controls>.widget-dropdown>select{flex:1 1 auto;min-width:0;max-width:100%}"
    ".kc-widget img.widget-image{max-width:100%;height:auto}"
    ".kc-widget .kc-controls>.kc-wide{grid-column:1/-1}"
    # toggle buttons as wide as their label (wrapping inside a narrow row), never cut with an ellipsis
    ".kc-widget .widget-toggle-buttons>div{display:flex;flex-wrap:wrap;gap:0.25em;max-width:100%}"
    ".kc-widget .widget-toggle-button{width:auto!important;max-width:100%;height:auto;min-height:28px;"
    "white-space:normal;overflow:visible;text-overflow:clip;margin:0}"
)

_ARIA_JS = (
    # noUiSlider reads its raw float to screen readers ("0.7999999999999999"): mirror the
    # formatted readout and its unit into aria-valuetext instead.
    # The header may run before its view carries the kc-widget class (a busy front end): retry.
    # Each slider handle is named by its label (ipywidgets does not associate them; the figure's alt
    # text comes with each frame, live_view.js), and keys pressed on a control
    # stop at the widget: JupyterLab (bubbling keydown) never sees them as command-mode shortcuts
    # (ArrowDown on a dropdown changes the option, not the cell; "d d" deletes nothing). Escape,
    # Shift+Enter and Ctrl/Cmd shortcuts still reach JupyterLab.
    "var self=this,tries=0;(function go(){var v=self.closest('.kc-widget');"
    "if(!v){if(tries++<100)setTimeout(go,100);return;}if(v.dataset.kcAria)return;v.dataset.kcAria='1';"
    "v.addEventListener('keydown',function(e){var t=e.target;if(t&&t.matches&&t.matches("
    "'select,input,textarea,button,[role=slider]')&&!e.ctrlKey&&!e.metaKey&&e.key!=='Escape'&&"
    "!(e.key==='Enter'&&e.shiftKey))e.stopPropagation();});"
    "var fix=function(){v.querySelectorAll('.widget-slider').forEach(function(s){var h=s.querySelector('.noUi-handle'),"
    "r=s.querySelector('.widget-readout'),l=s.querySelector('.widget-label');if(!h||!r)return;"
    "var n=l?l.textContent.trim():'';if(n&&h.getAttribute('aria-label')!==n)h.setAttribute('aria-label',n);"
    "var u=[].filter.call(s.classList,function(c){"
    "return c.indexOf('kc-unit=')===0;})[0];var t=(r.textContent+' '+(u?u.slice(8):'')).replace(/\\s+/g,' ').trim();"
    "if(h.getAttribute('aria-valuetext')!==t)h.setAttribute('aria-valuetext',t);});"
    "};"
    "new MutationObserver(fix).observe(v,{subtree:true,childList:true,characterData:true,attributes:true,"
    "attributeFilter:['aria-valuetext']});fix();})();"
)


def _option_labels(ctrl: W.Widget) -> dict[Any, str]:
    """``{value: label shown to the learner}`` of a choice control (dropdown, toggle buttons); else ``{}``."""
    options = getattr(ctrl, "options", None)  # public: (label, value) pairs, or plain values (label = str(value))
    if not options or isinstance(options, (str, bytes)):
        return {}
    if isinstance(options, dict):
        options = list(options.items())
    out = {}
    for opt in options:
        label, value = opt if isinstance(opt, tuple) and len(opt) == 2 else (opt, opt)
        out[value] = str(label)
    return out


def _rc_snapshot() -> str:
    """The rc parameters a figure drawn now is drawn under (:func:`ketacourse.diskcache.matplotlib_rc`)."""
    return diskcache.matplotlib_rc()


def _font_files() -> list[tuple[str, str, int, float]]:
    """The font files a figure drawn now is drawn with (:func:`ketacourse.diskcache.matplotlib_fonts`)."""
    return diskcache.matplotlib_fonts()


def _figure_part(value: Any) -> bool:
    """True for a Matplotlib artist or a sequence of them (built with the figure, not a setting)."""
    from matplotlib.artist import Artist

    if isinstance(value, Artist):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, Artist) for v in value)


def _typeset_minus(text: str) -> str:
    """A hyphen before a digit printed as a minus sign ("-60 mV" -> "−60 mV"), as in the figures."""
    return re.sub(r"(?<![\w-])-(?=\d)", "\u2212", text)


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

    Optional: :attr:`units` (``{control name: unit}``, used in error messages, after the
    readouts and in what screen readers hear), :attr:`run_prompt` and :attr:`static_note`.
    The base class lays the controls out (label above each control, a grid of columns wide
    enough for a usable slider track), sets each float slider's readout precision from its
    step (unless the subclass chose a ``readout_format``) and builds the stored representations.
    """

    title: ClassVar[str] = ""
    figsize: ClassVar[tuple[float, float]] = (7.0, 3.6)
    scrub: ClassVar[ScrubSpec | None] = None
    units: ClassVar[dict[str, str]] = {}
    static_note: ClassVar[str] = (
        "Precomputed frames from the course model; run the notebook to use every control."
    )
    run_prompt: ClassVar[str] = (
        "Static figure. Run the notebook from the top (Run \u2192 Run All Cells) for the live controls."
    )
    zoom_hint: ClassVar[str] = ("\u201cEnlarge the figure\u201d (or the figure itself) shows it at full size; "
                                "the same button, or Escape, closes it.")
    static_texts: Sequence = ()
    """Texts that change rarely (labels that follow a menu, not a slider): not animated, drawn into
    the cached background, which is drawn again when one of them changes. Set in :meth:`_build_figure`."""
    image_cache_size: ClassVar[int] = 96
    """Live images kept per widget, by control values (about 20-80 KiB each); 0 turns the cache off."""

    def __init_subclass__(cls, *, register: bool = True, **kwargs: Any) -> None:
        """Register the subclass (see :func:`ketacourse.widgets.registry`) unless ``register=False``."""
        super().__init_subclass__(**kwargs)
        if not register:
            return
        other = _WIDGETS.get(cls.__name__)
        if other is not None and (other.__module__, other.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"two widget classes are named {cls.__name__}: {other.__module__}.{other.__qualname__} "
                            f"and {cls.__module__}.{cls.__qualname__}; widget names must be unique")
        _WIDGETS[cls.__name__] = cls  # a reloaded module replaces its own class

    def __new__(cls, *args: Any, **kwargs: Any) -> "ModelWidget":
        self = super().__new__(cls)
        # how the widget was made (a subclass may take arguments, e.g. a trial table): part of the
        # stored figure's key (static_html), with the rc parameters the figure was built under
        self._made_with = (args, kwargs)
        with mpl.rc_context(RC):
            self._built_rc = _rc_snapshot()
        return self

    def __init__(self, **initial: Any) -> None:
        self.controls: dict[str, W.Widget] = self._make_controls()
        for ctrl in self.controls.values():
            ctrl.style = {"description_width": "initial"}
            if hasattr(ctrl, "continuous_update"):
                ctrl.continuous_update = True
            if type(ctrl) is W.FloatSlider and ctrl.readout_format == ".2f":  # the ipywidgets default
                ctrl.readout_format = f".{_decimals(float(ctrl.step))}f"
        self._following: dict[str, Any] = {}  # linked values sent to the browser, not yet echoed
        # The initial values are checked (and linked) before anything is built or drawn: a bad
        # argument raises its ValueError at once, without the cost of a figure.
        checked = self._checked_and_linked(initial) if initial else {}
        with mpl.rc_context(RC):
            self._fig = self._live_fig = new_figure(*self.figsize)
            self._build_figure(self._fig)
            self._figure_built(self._fig)
            self._prepare_live_figure(self._fig)
        self._first_draw_pending = False  # True while a first frame read back from the disk cache stands in for drawing
        self._background = None
        self._dynamic: list = []
        self._background_signature: tuple = ()
        self._images: OrderedDict[tuple, bytes] = OrderedDict()  # control values -> live PNG (LRU)
        # the live figure: the kernel's PNG and alt text, and a cache of nearby positions in the
        # browser that answers a key press without the kernel (live_view.py)
        self.image = LiveFigure(layout=W.Layout(max_width="100%", height="auto"))
        self.image.attach(self)
        self.status = W.HTML(value="")
        self.last_update_ms: float = float("nan")
        self._muted = False
        if checked:
            self._set_checked(checked)
        self._show_first_frame()
        for ctrl in self.controls.values():
            ctrl.observe(self._on_change, names="value")
        self._view: W.Box | None = None
        self.precompute_thread: threading.Thread | None = None  # joined by benchmarks before timing
        if type(self)._precompute is not ModelWidget._precompute:
            self.precompute_thread = threading.Thread(target=self._precompute, daemon=True,
                                                      name=f"{type(self).__name__}-precompute")
            self.precompute_thread.start()

    # ----------------------------------------------------------------- subclass hooks
    def _make_controls(self) -> dict[str, W.Widget]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _build_figure(self, fig: Figure) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _update(self, **params: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _inactive(self, **params: Any) -> dict[str, str]:
        """Controls that have no effect for ``params``: ``{name: why}`` (e.g. "no effect while ...").

        The base class disables them and adds the reason to their label, so a learner never moves
        a control that silently does nothing. Default: none.
        """
        return {}

    def _apply_inactive(self, inactive: dict[str, str]) -> None:
        labels = self.__dict__.setdefault(
            "_control_labels", {k: getattr(c, "description", "") for k, c in self.controls.items()})
        for name, ctrl in self.controls.items():
            why = inactive.get(name, "")
            desc = f"{labels[name]} ({why})" if why else labels[name]
            if getattr(ctrl, "disabled", False) != bool(why):
                ctrl.disabled = bool(why)
            if hasattr(ctrl, "description") and ctrl.description != desc:
                ctrl.description = desc

    def alt_text(self, **params: Any) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _precompute(self) -> None:
        """Optional hook, run once in a background thread after the widget is built: fill the
        model's caches for the positions a learner is likely to visit (a slow model answers from
        them later). It must not touch the figure or the controls; the default does nothing."""

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
        self._set_checked(self._checked_and_linked(params))

    def _set_checked(self, checked: dict[str, Any]) -> None:
        """Set controls to values :meth:`_checked_and_linked` returned (no redraw, no observers)."""
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
        if name in self._following:
            # The browser's slider snapped a value we set for a linked control to its step grid and
            # sent it back: keep it, but it is not a move by the learner (no second redraw, no
            # re-linking that would overwrite the control the learner is moving).
            sent = self._following.pop(name)
            step = float(getattr(change["owner"], "step", 0) or 0)
            if isinstance(sent, (int, float)) and isinstance(change["new"], (int, float)) and \
                    abs(float(change["new"]) - float(sent)) <= step / 2 + 1e-9 * max(1.0, abs(float(sent))):
                return
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
                if key != name and self.controls[key].value != value:
                    self.controls[key].value = value
                    self._following[key] = value
        finally:
            self._muted = False
        try:
            self.refresh()
        except Exception as exc:  # show it where the learner is looking, then re-raise
            self.status.value = f"<span style='color:#D55E00'>Could not update: {html.escape(str(exc))}</span>"
            raise

    def refresh(self) -> None:
        """Recompute the model for the current controls and update the figure in place.

        A position drawn before (the same value of every control) is answered from the widget's
        image cache: the image is a function of the control values only (the widget contract test
        checks that a live update draws exactly what a new widget draws), so it is not drawn again.
        """
        t0 = time.perf_counter()
        params = self.params
        self._show(params, self._png_for(params), t0)

    def _show_first_frame(self) -> None:
        """A new widget's first frame, as :meth:`refresh` shows it, but not drawn again when a widget
        made the same way drew it before: the live PNG is kept in the disk cache
        (:mod:`ketacourse.diskcache`, kind ``"live-figure"``) under everything :meth:`static_html`
        depends on (:meth:`_stored_figure_inputs`, which holds every control's value).

        The model is updated for the controls either way (the figure's artists show them); read back,
        the figure is drawn for the first time by the first update, drawing ahead or stored frame that
        needs it, which is the first draw of a brand-new widget for those values (the widget contract
        compares the two). A chapter run again (a new kernel, the student version, Run All again)
        builds its widgets without drawing them: about 1 CPU-s each.
        """
        t0 = time.perf_counter()
        params = self.params
        inputs = self._stored_figure_inputs()
        drawn: list[bool] = []

        def draw() -> bytes:
            drawn.append(True)
            return self._render()

        with mpl.rc_context(RC):
            self._update(**params)
            png = draw() if inputs is None else diskcache.cached("live-figure", inputs, draw, dump=bytes, load=bytes,
                                                                   suffix=".png")
        self._first_draw_pending = not drawn
        self._remember(self._image_key(params), png)
        self._show(params, png, t0)

    @property
    def fig(self) -> Figure:
        """The live figure, as the widget last drew it. A widget whose first frame was read back from
        the disk cache (:meth:`_show_first_frame`) and has not drawn since is drawn here, the first
        time anything outside the widget asks for its figure, as it would have been when built."""
        if self.__dict__.get("_first_draw_pending") and self._fig is self.__dict__.get("_live_fig"):
            self._draw_first()
        return self._fig

    @fig.setter
    def fig(self, figure: Figure) -> None:  # phone_layout draws the phone frames on a figure of their own
        self._fig = figure

    def _draw_first(self) -> None:
        """The live figure's first draw, for the controls its first frame shows (a full draw: :meth:`_blit`)."""
        with mpl.rc_context(RC):
            self._blit()

    def _show(self, params: dict[str, Any], png: bytes, t0: float) -> None:
        """Show ``png``, the live figure for ``params``, with its alt text and the controls' states."""
        self.image.show(png, params, self.alt_text(**params))  # the live figure, its alt text
        self._apply_inactive(self._inactive(**params))
        self.last_update_ms = (time.perf_counter() - t0) * 1e3
        self.status.value = ""

    def _png_for(self, params: dict[str, Any]) -> bytes:
        """The live PNG for ``params``: from the image cache, else drawn (and remembered)."""
        key = self._image_key(params)
        png = self._images.get(key) if key is not None else None
        if png is None:
            with mpl.rc_context(RC):
                self._update(**params)
                png = self._render()
            self._remember(key, png)
        else:
            self._images.move_to_end(key)
        return png

    def _image_key(self, params: dict[str, Any]) -> tuple | None:
        if self.image_cache_size <= 0:
            return None
        try:  # a float from the browser (0.30000000000000004) is the position 0.3
            key = tuple(sorted((k, float(f"{v:.12g}") if isinstance(v, float) else v) for k, v in params.items()))
            hash(key)
        except TypeError:  # an unhashable control value: no caching
            return None
        return key

    def _remember(self, key: tuple | None, png: bytes) -> None:
        if key is None:
            return
        self._images[key] = png
        self._images.move_to_end(key)
        while len(self._images) > self.image_cache_size:
            self._images.popitem(last=False)

    def clear_image_cache(self) -> None:
        """Forget the images of positions drawn before (benchmarks time first visits this way)."""
        self._images.clear()

    def _render(self, *, quantize: bool = False) -> bytes:
        """Blit (:meth:`_blit`) and encode the figure as PNG (a palette with ``quantize``)."""
        self._blit()
        return _encode_png(self._fig, quantize=quantize)

    def _blit(self) -> None:
        """Blit: restore the cached static background, draw only the animated artists.

        The first call draws everything once (running the layout engine), freezes the layout
        and caches the background; artists that the subclass marked ``animated`` (those that
        change with the controls) are redrawn on every update. The same code draws the phone
        frames on their own figure (:func:`~ketacourse.widgets.phone_layout.phone_frames`).
        """
        fig = self._fig
        signature = self._static_signature()
        if signature != self._background_signature:  # a static text changed: draw the background again
            self._background = None
        if self._background is None:
            engine = self.__dict__.get("_layout_engine")
            if engine is not None:  # static content changed (limits, legend): lay out again
                fig.set_layout_engine(engine)
            dynamic = _animated_artists(fig)
            for artist in dynamic:
                artist.set_in_layout(False)  # changing text must not move the axes
            # One draw lays the figure out and draws it; the layout is then frozen. (A second draw
            # with the layout frozen gives the same pixels: compared for every registry widget,
            # desktop and phone figure.)
            fig.canvas.draw()
            self._first_draw_pending = False  # (phone_layout puts the live figure's state back afterwards)
            self._layout_engine = fig.get_layout_engine()
            fig.set_layout_engine("none")
            self._background = fig.canvas.copy_from_bbox(fig.bbox)
            self._background_signature = signature
            self._dynamic = dynamic
        else:
            fig.canvas.restore_region(self._background)
        for artist in self._dynamic:
            fig.draw_artist(artist)

    def _static_signature(self) -> tuple:
        """What the cached background shows of :attr:`static_texts` (texts, visibility, place)."""
        return tuple((t.get_text(), t.get_visible(), t.get_position()) for t in self.static_texts)

    def invalidate_background(self) -> None:
        """Call from :meth:`_update` when something *static* changed (for example axis limits).

        The next render lays the figure out again (as a new widget for these values would be) and
        caches a new background; keep it rare (round axis limits), as it costs a full draw.
        """
        self._background = None

    # ----------------------------------------------------------------- rendering
    def png(self) -> bytes:
        """PNG of the figure for the current controls."""
        return bytes(self.image.value)

    def frame_png(self, **params: Any) -> bytes:
        """PNG for ``params`` (merged into the current ones) without changing the controls."""
        state = {**self.params, **self._checked_and_linked(params)}
        return self._desktop_frames([state])[0]

    def _desktop_frames(self, states: Sequence[dict[str, Any]]) -> list[bytes]:
        """Palette PNGs of the live figure for complete control states (the book's scrubber frames),
        drawn by blitting; the live images of these states go to the image cache too, and the
        figure is back at the current controls afterwards (drawn once, at the end)."""
        frames = []
        with mpl.rc_context(RC):
            for state in states:
                self._update(**state)
                frames.append(self._render(quantize=True))
                key = self._image_key(state)
                if key is not None and key not in self._images:  # the live image too, for a learner who goes there
                    self._remember(key, _encode_png(self._fig))
            self._update(**self.params)
            self._blit()
        return frames

    def _figure_built(self, fig: Figure) -> None:
        """Hook run after :meth:`_build_figure` on every figure the widget builds (the live one
        and :meth:`recreate_png`'s). The default raises text too small to read where the book
        shows the figure (:func:`~ketacourse.widgets.phone_layout.floor_desktop_fonts`); a
        subclass that overrides it calls ``super()._figure_built(fig)``."""
        floor_desktop_fonts(fig)

    def _prepare_live_figure(self, fig: Figure) -> None:
        """Hook for the live widget's own figure only, after :meth:`_build_figure` and before the
        first draw (``recreate_png`` builds its figures without it)."""

    def recreate_png(self, **params: Any) -> bytes:
        """Baseline for benchmarks: build a brand-new figure for ``params`` and render it.

        This is what a naive widget does on every slider move; the live widget never does it.
        """
        state = {**self.params, **self._checked_and_linked(params)}
        saved = dict(self.__dict__)  # _build_figure stores artist handles on self
        try:
            with mpl.rc_context(RC):
                fig = new_figure(*self.figsize)
                self._build_figure(fig)
                self._figure_built(fig)
                self._update(**state)
                for artist in _animated_artists(fig):
                    artist.set_in_layout(False)  # laid out as the live figure is
                data = png_bytes(fig)
        finally:
            self.__dict__.clear()
            self.__dict__.update(saved)
        return data

    def _unit(self, name: str) -> str:
        """The unit of control ``name``: :attr:`units`, else a short parenthesis ending its label."""
        if name in self.units:
            return self.units[name]
        desc = self.__dict__.get("_control_labels", {}).get(name) or getattr(self.controls[name], "description", "") or ""
        if desc.endswith(")") and "(" in desc:
            inner = desc[desc.rindex("(") + 1:-1]
            if len(inner) <= 8 and " " not in inner:
                return inner
        return ""

    @property
    def view(self) -> W.Box:
        """The live widget: title, controls, figure and a status line.

        Controls sit in a grid of columns (each at least about 20 em, so every slider keeps a
        track of 200 px or more), each label above its control and wrapping if long; slider
        readouts show the unit, and screen readers hear the formatted value with its unit.
        """
        if self._view is None:
            css = [_VIEW_CSS]
            for name, ctrl in self.controls.items():
                unit = self._unit(name)
                if isinstance(ctrl, (W.FloatSlider, W.IntSlider, W.FloatLogSlider, W.SelectionSlider)) and unit:
                    cls = "kc-u-" + "".join(ch if ch.isalnum() else "_" for ch in name)
                    ctrl.add_class(cls)
                    ctrl.add_class("kc-unit=" + unit.replace(" ", "\u00a0"))
                    css.append(f'.kc-widget .{cls} .widget-readout::after{{content:"\\00a0{unit}"}}')
                ctrl.layout.margin = "0"
                labels = getattr(ctrl, "_options_labels", ()) if isinstance(ctrl, W.Dropdown) else ()
                if max((len(str(label)) for label in labels), default=0) > _WIDE_OPTION_CHARS:
                    ctrl.add_class("kc-wide")  # a long option gets the whole row of the grid, never cut
            title = f"<b>{html.escape(self.title)}</b>" if self.title else ""
            aria = f'<img alt="" src="data:," style="display:none" onerror="{html.escape(_ARIA_JS)}">'
            header = W.HTML(f"<style>{''.join(css)}</style>{title}{aria}")
            controls = W.GridBox(list(self.controls.values()), layout=W.Layout(
                grid_template_columns=f"repeat(auto-fill, minmax(min({_COLUMN}, 100%), 1fr))",
                grid_gap="0.3em 1.5em", align_items="flex-end", width="100%"))
            controls.add_class("kc-controls")
            width_px = self._fig.canvas.get_width_height()[0]  # (its size only: not drawn for this)
            self.image.layout.width = f"{width_px}px"  # natural size (no blurry upscaling), shrinks to fit
            self._view = W.VBox([header, controls, self.image, self.status])
            self._view.add_class("kc-widget")
        return self._view

    def static_html(self) -> str:
        """The stored figure: one static frame and a run prompt; an offline scrubber where scripts run.

        Drawing and compressing its 10-40 frames costs seconds, and every run of a chapter shows the
        same widgets in the same states: the HTML is kept in the disk cache (:mod:`ketacourse.diskcache`)
        under everything it depends on (:meth:`_stored_figure_inputs`) and read back as it was written.

        The HTML holds exactly one ``<img>`` (the current frame, with alt text), a one-line
        prompt to run the cell, the other precomputed frames of :attr:`scrub` as JSON in a
        ``<script type="application/json">`` and a small inline script. Where HTML is sanitised
        (JupyterLab showing a stored, untrusted notebook) the scripts and styles are dropped and a
        reader sees one clean figure and the prompt: no stacked frames, no inert controls. Where
        scripts run (the book) the script builds the range input, its readout and the note, and
        the figure enlarges on tap.
        """
        inputs = self._stored_figure_inputs()
        if inputs is None:
            return self._draw_static_html()
        return diskcache.cached("scrubber", inputs, self._draw_static_html, dump=lambda text: text.encode("utf-8"),
                                load=lambda data: data.decode("utf-8"), suffix=".html")

    def _stored_figure_inputs(self) -> dict[str, Any] | None:
        """Everything :meth:`static_html` reads, besides the package's code and data and the library
        versions (:mod:`ketacourse.diskcache` puts those in every key); None if the widget's class is not
        the package's own (a class written in a notebook: its code is in no key) or an input has no
        canonical form.

        The HTML is drawn from: the widget's class and how it was made (constructor arguments); every
        control (value, label, options, bounds: the scrubber's states, its readout and the links
        between controls follow from them); the class settings an instance may override (``scrub``,
        ``title``, ``figsize``, the notes, ``seed``...: every public attribute of the instance that
        shadows one of its class); the rc parameters the figure was built and is drawn under; and the
        font files Matplotlib picks for them.
        """
        cls = type(self)
        if any(not k.__module__.startswith("ketacourse.") for k in cls.__mro__[: cls.__mro__.index(ModelWidget)]):
            return None
        controls = {}
        for name, ctrl in self.controls.items():
            controls[name] = {"type": f"{type(ctrl).__module__}.{type(ctrl).__qualname__}"} | {
                attr: getattr(ctrl, attr) for attr in ("value", "description", "options", "min", "max", "step", "base",
                                                       "disabled", "readout_format") if hasattr(ctrl, attr)}
            if "options" in controls[name]:
                controls[name]["labels"] = list(_option_labels(ctrl).items())
        overridden = {name: value for name, value in vars(self).items()
                      if not name.startswith("_") and hasattr(cls, name) and not _figure_part(value)}
        settings = {name: getattr(self, name) for name in ("title", "figsize", "scrub", "units", "static_note",
                                                            "run_prompt", "zoom_hint")}
        with mpl.rc_context(RC):
            drawn_rc = _rc_snapshot()
            fonts = _font_files()
        inputs = {"class": f"{cls.__module__}.{cls.__qualname__}", "made_with": self.__dict__.get("_made_with"),
                  "controls": controls, "overridden": overridden, "settings": settings,
                  "built_rc": self.__dict__.get("_built_rc"), "drawn_rc": drawn_rc, "fonts": fonts}
        try:
            diskcache.canonical(inputs)
        except TypeError:
            return None
        return inputs

    def _draw_static_html(self) -> str:
        """:meth:`static_html`, drawn."""
        spec = self.scrub
        current = self.params
        values = [None] if spec is None else list(spec.values)
        shown = {} if spec is None else _option_labels(self.controls[spec.control])
        alts, labels = [], []
        states = [{**current, **({} if v is None else self._checked_and_linked({spec.control: v}))} for v in values]
        frames = [base64.b64encode(png).decode() for png in self._desktop_frames(states)]
        for value in values:
            change = {} if value is None else {spec.control: value}
            alts.append(self.alt_text(**{**current, **change}))
            label = shown.get(value, value) if isinstance(value, str) else value  # a choice's label, not its id
            labels.append("" if value is None else _typeset_minus(spec.label.format(label)))
        start = 0
        desc = ""
        if spec is not None:
            desc = getattr(self.controls[spec.control], "description", spec.control)
            cur = current[spec.control]
            try:
                start = int(np.argmin([abs(float(v) - float(cur)) for v in values]))
            except (TypeError, ValueError):
                start = values.index(cur) if cur in values else 0
        phone, phone_px, phone_w = phone_frames(self, states)
        with mpl.rc_context(RC):  # the live figure's texts at their current state (animated ones count: they change)
            text_px = smallest_text_px(self.fig, animated_count=True)
        data = {"frames": [None if i == start else f for i, f in enumerate(frames)], "alts": alts,
                "labels": labels, "start": start, "label": desc, "note": self.static_note, "zoom": self.zoom_hint,
                "text_px": round(text_px, 2),
                "phone": {"frames": [base64.b64encode(f).decode() for f in phone], "text_px": round(phone_px, 2),
                          "width": phone_w, "media": PHONE_MEDIA}}
        payload = json.dumps(data, ensure_ascii=True).replace("</", "<\\/")
        title = f'<strong class="kc-title">{html.escape(self.title)}</strong>' if self.title else ""
        img = (f'<img class="kc-frame dark-light" src="data:image/png;base64,{frames[start]}"'
               f' alt="{html.escape(alts[start])}" data-text-px="{round(text_px, 2)}">')
        return (
            f"<style>{_SCRUB_CSS}</style>"
            f'<figure class="kc-scrub" data-widget="{type(self).__name__}">{title}'
            f'<div class="kc-frames">{img}</div>'
            f'<figcaption><p class="kc-run">{html.escape(self.run_prompt)}</p></figcaption>'
            f'<script type="application/json" class="kc-data">{payload}</script>'
            f"<script>{_SCRUB_JS}</script></figure>"
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
