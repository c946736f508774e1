"""The disk cache (ketacourse.diskcache) and its users: the widgets' stored figures
(ModelWidget.static_html) and first live frames, the wind-up trains (windup.simulate_train), the
absorption fits and the validation page's figures.

What is read back equals what is computed, byte for byte; a changed input is another key (every state
input of every registry widget, the rc parameters, the fonts, the package's files); ``off`` turns it
off; an unusable folder or a damaged entry falls back to computing.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import shutil
import threading
from pathlib import Path

import ipywidgets as W
import matplotlib as mpl
import numpy as np
import pytest

from ketacourse import diskcache
from ketacourse.circuits import windup
from ketacourse.widgets import registry
from ketacourse.widgets.base import ModelWidget

WIDGETS = registry()
CHEAP = ("IVExplorer", "TrialSimulator")  # one plain widget, one with its own text rc (LightTextMixin)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(diskcache.ENV, str(folder))
    return folder


def entries(folder: Path, kind: str) -> list[Path]:
    return sorted(folder.glob(f"{kind}-*")) if folder.exists() else []


def _refuse(*args, **kwargs):
    raise AssertionError("computed again: the stored entry was not used")


# ----------------------------------------------------------------------------- the folder and the key
def test_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(diskcache.ENV, str(tmp_path / "here"))
    assert diskcache.folder() == tmp_path / "here"
    monkeypatch.setenv(diskcache.ENV, "off")
    assert diskcache.folder() is None and diskcache.entry("x", 1) is None
    monkeypatch.delenv(diskcache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert diskcache.folder() == tmp_path / "xdg" / "ketacourse"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert diskcache.folder() == Path.home() / ".cache" / "ketacourse"


def test_the_test_run_shares_one_folder_with_its_subprocesses():
    """tests/conftest.py sets the folder (a fresh one, unless the caller chose one) before any worker,
    kernel or other subprocess starts: they all inherit it."""
    import subprocess
    import sys

    chosen = os.environ.get(diskcache.ENV)
    assert chosen
    code = "from ketacourse import diskcache; print(diskcache.folder())"
    seen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert seen == str(diskcache.folder())


@pytest.mark.parametrize("a, b", [
    (1, 1.0), (1.0, 1.0000000000000002), (0.0, -0.0), ("1", 1), (True, 1), ((1, 2), [1, 2]), ((1, 2), (2, 1)),
    ({"a": 1}, {"a": 2}), (np.array([1.0, 2.0]), np.array([1.0, 2.5])), (np.array([1, 2]), np.array([1.0, 2.0])),
    (np.array([1.0, 2.0]), np.array([[1.0, 2.0]])), (None, "None"), (b"x", "x"),
])
def test_different_arguments_have_different_keys(a, b):
    assert diskcache.key("k", a) != diskcache.key("k", b)
    assert diskcache.key("k", a) == diskcache.key("k", a) and diskcache.key("k", a) != diskcache.key("j", a)


def test_equal_arguments_have_one_key_whatever_the_dict_order():
    assert diskcache.key("k", {"a": 1, "b": (2.5, None)}) == diskcache.key("k", {"b": (2.5, None), "a": 1})
    assert diskcache.key("k", np.arange(3.0)) == diskcache.key("k", np.arange(3.0).copy())


def test_an_argument_without_a_canonical_form_is_not_cached(cache):
    calls = []
    for _ in range(2):
        assert diskcache.cached("k", object(), lambda: calls.append(1) or "v", dump=str.encode, load=bytes.decode) == "v"
    assert len(calls) == 2 and not entries(cache, "k")


def test_the_key_holds_every_file_of_the_package(monkeypatch, tmp_path):
    """An edited source or data file of the installed package is another key (a copy of the package
    stands in for it here)."""
    root = Path(diskcache.__file__).resolve().parent
    copy = tmp_path / "ketacourse"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(diskcache, "__file__", str(copy / "diskcache.py"))

    def keys():
        diskcache.package_hash.cache_clear()
        diskcache._environment.cache_clear()
        return diskcache.package_hash(), diskcache.key("k", 1)

    try:
        first = keys()
        assert keys() == first
        with open(copy / "data" / "windup.toml", "a", encoding="utf-8") as f:
            f.write("\n")
        data_edit = keys()
        (copy / "widgets" / "style.py").write_text((copy / "widgets" / "style.py").read_text() + "\n# an edit\n")
        code_edit = keys()
        assert len({first, data_edit, code_edit}) == 3
    finally:
        monkeypatch.undo()
        diskcache.package_hash.cache_clear()
        diskcache._environment.cache_clear()


# ----------------------------------------------------------------------------- reading and writing
def test_off_computes_every_time_and_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv(diskcache.ENV, "off")
    calls = []
    for _ in range(2):
        assert diskcache.cached("k", 1, lambda: calls.append(1) or "v", dump=str.encode, load=bytes.decode) == "v"
    assert len(calls) == 2
    assert windup.simulate_train(2.0, 2).spikes_per_stimulus.shape == (1, 2)
    assert not any(tmp_path.iterdir())


def test_an_entry_is_written_once_and_read_back(cache):
    calls = []
    got = [diskcache.cached("k", (1, "a"), lambda: calls.append(1) or "välue", dump=str.encode, load=bytes.decode)
           for _ in range(3)]
    assert got == ["välue"] * 3 and len(calls) == 1 and len(entries(cache, "k")) == 1


@pytest.mark.parametrize("damage", ["truncated", "flipped", "foreign", "empty", "undecodable"])
def test_a_damaged_entry_is_computed_again_and_replaced(cache, damage):
    assert diskcache.cached("k", 1, lambda: "value", dump=str.encode, load=bytes.decode) == "value"
    (path,) = entries(cache, "k")
    blob = path.read_bytes()
    path.write_bytes({"truncated": blob[:-2], "flipped": blob[:-1] + b"X", "foreign": b"PK\x03\x04 anything",
                      "empty": b""}.get(damage, blob))
    load = bytes.decode if damage != "undecodable" else (lambda data: int(data))  # a payload that does not decode
    calls = []
    assert diskcache.cached("k", 1, lambda: calls.append(1) or "value", dump=str.encode, load=load) == "value"
    assert calls == [1]
    assert diskcache.read(path) == b"value", "the damaged entry was written again"


def test_an_unusable_folder_falls_back_to_computing(monkeypatch, tmp_path):
    """A cache folder that cannot be made (a file is in the way), an entry that cannot be read or
    replaced (a folder in its place), a folder where nothing can be written (as on a read-only home):
    the result is computed, every time, and nothing fails."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(diskcache.ENV, str(blocker / "cache"))
    assert diskcache.entry("k", 1) is None
    assert diskcache.cached("k", 1, lambda: "v", dump=str.encode, load=bytes.decode) == "v"

    folder = tmp_path / "cache"
    monkeypatch.setenv(diskcache.ENV, str(folder))
    path = diskcache.entry("k", 1)
    path.mkdir()  # open() and os.replace() fail on it
    calls = []
    for _ in range(2):
        assert diskcache.cached("k", 1, lambda: calls.append(1) or "v", dump=str.encode, load=bytes.decode) == "v"
    assert len(calls) == 2 and path.is_dir() and not list(folder.glob(".*.tmp"))

    def read_only(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(diskcache.os, "replace", read_only)
    assert diskcache.cached("k", 2, lambda: "w", dump=str.encode, load=bytes.decode) == "w"
    assert not list(folder.glob(".*.tmp")), "the temporary file is removed"
    w = WIDGETS["IVExplorer"]()
    assert w.static_html().startswith("<style>")
    if os.geteuid() != 0:  # a folder without write permission (root may write anyway)
        monkeypatch.undo()
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        monkeypatch.setenv(diskcache.ENV, str(locked))
        assert diskcache.cached("k", 3, lambda: "x", dump=str.encode, load=bytes.decode) == "x"


def test_writers_in_parallel_never_show_half_an_entry(cache):
    """Entries are written to a temporary file and renamed: a reader sees nothing or a whole entry."""
    path = diskcache.entry("k", "shared")
    payloads = [bytes([i]) * 200_000 for i in range(4)]
    seen, stop = [], threading.Event()

    def write(p):
        while not stop.is_set():
            diskcache.write(path, p)

    def read():
        for _ in range(300):
            seen.append(diskcache.read(path))

    writers = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in writers:
        t.start()
    try:
        read()
    finally:
        stop.set()
        for t in writers:
            t.join()
    assert {s for s in seen if s is not None} <= set(payloads) and any(s is not None for s in seen)


def test_the_folder_is_trimmed_oldest_first(cache):
    for i in range(6):
        path = diskcache.entry("k", i)
        diskcache.write(path, b"x" * 1000)
        os.utime(path, (1000 + i, 1000 + i))  # used in this order
    size = path.stat().st_size
    diskcache._trim(cache, limit=4 * size)  # over the limit: down to 3/4 of it
    left = {p.name for p in entries(cache, "k")}
    assert left == {diskcache.entry("k", i).name for i in (3, 4, 5)}


# ----------------------------------------------------------------------------- the widgets' stored figures
@pytest.mark.parametrize("name", CHEAP)
def test_a_stored_figure_from_the_cache_equals_drawing_it(name, cache, monkeypatch):
    cls = WIDGETS[name]
    drawn = cls().static_html()  # drawn and stored
    assert len(entries(cache, "scrubber")) == 1
    monkeypatch.setattr(cls, "_draw_static_html", _refuse)
    assert cls().static_html() == drawn, "read back byte for byte"
    monkeypatch.undo()
    monkeypatch.setenv(diskcache.ENV, "off")
    assert cls().static_html() == drawn, "the same as drawing it with no cache"


@pytest.mark.parametrize("name", CHEAP)
def test_a_first_frame_from_the_cache_equals_drawing_it(name, cache, monkeypatch):
    """A new widget made as one before (the inputs of its stored figure, whose completeness
    test_every_input_of_a_stored_figure_is_in_its_key checks) shows the live PNG that one drew, without
    drawing; it equals drawing it with no cache, and its first update draws what a brand-new widget
    for the new values draws."""
    cls = WIDGETS[name]
    drawn = cls().png()  # drawn and stored
    assert len(entries(cache, "live-figure")) == 1
    monkeypatch.setattr(cls, "_render", _refuse)
    again = cls()
    assert again.png() == drawn, "read back byte for byte"
    monkeypatch.undo()
    monkeypatch.setenv(diskcache.ENV, "off")
    assert cls().png() == drawn, "the same as drawing it with no cache"
    control = again.scrub.control
    value = next(v for v in again.scrub.values if v != again.params[control])
    again.set(**{control: value})  # the figure's first draw, at the new values
    assert again.png() == cls(**{control: value}).png(), "the first update equals a new widget's frame"


def test_a_changed_control_is_another_stored_figure(cache):
    w = WIDGETS["IVExplorer"]()
    default = w.params[w.scrub.control]  # as a new widget has it (was read from a second widget built here)
    first = w.static_html()
    value = next(v for v in w.scrub.values if v != default)
    w.set(**{w.scrub.control: value})
    second = w.static_html()
    assert second != first and len(entries(cache, "scrubber")) == 2
    w.set(**{w.scrub.control: default})
    assert w.static_html() == first


def _control_values(ctrl: W.Widget) -> list:
    """Values to try for a control: every option, or points across its range and one step either side
    of its value (a linked control may refuse some)."""
    if isinstance(ctrl, (W.Dropdown, W.ToggleButtons, W.RadioButtons, W.SelectionSlider)):
        return [o[1] if isinstance(o, tuple) else o for o in ctrl.options]
    if isinstance(ctrl, (W.Checkbox, W.ToggleButton)):
        return [False, True]
    if isinstance(ctrl, W.FloatLogSlider):
        return [float(ctrl.base ** e) for e in np.linspace(ctrl.min, ctrl.max, 5)]
    near = [ctrl.value - ctrl.step, ctrl.value + ctrl.step]
    values = [*np.linspace(ctrl.min, ctrl.max, 5), *near]
    values = [v for v in values if ctrl.min <= v <= ctrl.max]
    return [int(round(v)) for v in values] if isinstance(ctrl, W.IntSlider) else [float(v) for v in values]


def _settings(cls: type) -> dict:
    """The class settings a widget instance may override: public class attributes that are data."""
    out = {}
    for klass in reversed(cls.__mro__[: cls.__mro__.index(ModelWidget) + 1]):
        for name, value in vars(klass).items():
            if name.startswith("_") or callable(value) or isinstance(value, (property, classmethod, staticmethod)):
                continue
            out[name] = getattr(cls, name)
    return out


def _changed(value):
    """Another value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + " (changed)"
    if isinstance(value, tuple):
        return value[:-1] if value else ("x",)
    if isinstance(value, dict):
        return {**value, "changed": "x"}
    if isinstance(value, np.ndarray):
        return value + 1
    if dataclasses.is_dataclass(value):
        first = dataclasses.fields(value)[0].name
        return dataclasses.replace(value, **{first: _changed(getattr(value, first))})
    if value is None:
        return 1
    raise AssertionError(f"a setting of an unforeseen kind: {value!r}")


@pytest.mark.parametrize("name", list(WIDGETS))
def test_every_input_of_a_stored_figure_is_in_its_key(name):
    """Two values of any input give two keys: each control, each class setting an instance may
    override, the constructor's arguments, the rc parameters and the fonts. (The package's code and
    data and the library versions are in every key: test_the_key_holds_every_file_of_the_package.)
    Only keys are computed: the widget is built with the run's shared cache folder (tests/conftest.py),
    so a widget another test of the run drew is not drawn again for this."""
    cls = WIDGETS[name]
    w = cls()

    def key():
        inputs = w._stored_figure_inputs()
        assert inputs is not None, f"{name}: its stored figure is not cached"
        return diskcache.key("scrubber", inputs)

    base = key()
    start = dict(w.params)
    states = {repr(sorted(start.items())): (start, base)}  # every state of the controls tried: (values, key)
    for control, ctrl in w.controls.items():
        for value in _control_values(ctrl):
            try:
                w._assign({control: value})
            except ValueError:  # a linked control refuses this value here
                continue
            states[repr(sorted(w.params.items()))] = (dict(w.params), key())
            w._assign(start)
    assert len({k for _, k in states.values()}) == len(states), f"{name}: two states of the controls, one key"
    for control in w.controls:  # every control took two values or more (moved, or following another)
        assert len({repr(p[control]) for p, _ in states.values()}) >= 2, f"{name}.{control}: fewer than two values"
    assert key() == base
    for setting, value in _settings(cls).items():
        setattr(w, setting, _changed(value))
        try:
            assert key() != base, f"{name}.{setting} is not in the key"
        finally:
            delattr(w, setting)
    assert key() == base
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    made_with = w._made_with
    w._made_with = ((), {**made_with[1], **{p.name: "another" for p in params}, "initial": 1})
    assert key() != base, f"{name}: the constructor's arguments are not in the key"
    w._made_with = made_with
    with mpl.rc_context({"axes.linewidth": mpl.rcParams["axes.linewidth"] + 1}):  # one the course style leaves
        assert key() != base, "the rc parameters are not in the key"


def test_the_fonts_are_in_the_key(monkeypatch):
    w = WIDGETS["IVExplorer"]()
    base = diskcache.key("scrubber", w._stored_figure_inputs())
    from matplotlib import font_manager

    real = font_manager.findfont
    monkeypatch.setattr(font_manager, "findfont", lambda prop, **kw: real(prop, **kw) + ".another")
    assert diskcache.key("scrubber", w._stored_figure_inputs()) != base


def test_the_key_does_not_choose_a_backend():
    """The rc parameters in the key leave out ``backend``: reading it before a backend is chosen would
    import pyplot (a process with no MPLBACKEND, as a plain script)."""
    import subprocess
    import sys

    code = ("import sys\nfrom ketacourse.widgets import registry\nw = registry()['IVExplorer']()\n"
            "assert w._stored_figure_inputs() is not None\nprint('matplotlib.pyplot' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "False"


def test_the_key_leaves_out_how_the_backend_is_chosen():
    """A chapter's kernel (``backend_fallback`` on) and a process that chose Agg (pytest, a script:
    off) key a widget's stored figure alike: the widgets draw on their own Agg canvas, so the tests
    read what the chapters' kernels drew in the same run (tests/conftest.py). (Drawn in a kernel and
    in this process on 2026-12-08, all 25 widgets had the same keys and the same HTML, byte for byte.)"""
    w = WIDGETS["IVExplorer"]()
    keys = set()
    for fallback in (True, False):
        with mpl.rc_context({"backend_fallback": fallback}):
            keys.add(diskcache.key("scrubber", w._stored_figure_inputs()))
    assert len(keys) == 1


def test_a_widget_class_written_outside_the_package_is_not_cached(cache):
    class Mine(WIDGETS["IVExplorer"], register=False):
        pass

    assert Mine()._stored_figure_inputs() is None


# ----------------------------------------------------------------------------- absorption fits
def test_a_ka_fit_read_back_equals_fitting_it(cache, monkeypatch):
    """Each absorption-rate fit is stored once (one file per disposition, Tmax and bounds) and read
    back as fitted, the one that finds no ka too (None, nan, its reason); a damaged entry is fitted
    again. (The peak fits, ``_fit_peak_cached``, are kept the same way: test_a_peak_fit_read_back...)"""
    from ketacourse.pk import get_model, routes

    key = routes._disposition_key(get_model(routes.model_keys()[0]), 70.0)
    cases = [(key, 20.0, 1e-5, 50.0), (key, 1e6, 1e-5, 50.0)]  # a Tmax no ka in the bounds reaches
    fitted = [routes._fit(*case) for case in cases]
    assert fitted[0][0] is not None and fitted[1][0] is None and fitted[1][2]
    routes._fit_cached.cache_clear()
    try:
        assert [repr(routes._fit_cached(*case)) for case in cases] == [repr(f) for f in fitted]
        files = [diskcache.entry("ka-fit", {"disposition": k, "tmax_min": t, "ka_lo": lo, "ka_hi": hi})
                 for k, t, lo, hi in cases]
        assert all(f.is_file() for f in files) and len(set(files)) == 2
        routes._fit_cached.cache_clear()
        with monkeypatch.context() as mp:
            mp.setattr(routes, "_fit", lambda *a: pytest.fail("read back, not fitted"))
            assert [repr(routes._fit_cached(*case)) for case in cases] == [repr(f) for f in fitted]
        files[0].write_bytes(files[0].read_bytes()[:-3])  # damaged: fitted again
        routes._fit_cached.cache_clear()
        assert [repr(routes._fit_cached(*case)) for case in cases] == [repr(f) for f in fitted]
        assert diskcache.read(files[0]) is not None  # stored again, whole
    finally:
        routes._fit_cached.cache_clear()  # no fit of this folder stays in the process


def test_a_peak_fit_read_back_equals_fitting_it(cache, monkeypatch):
    """The (ka, zero-order time) fits to a published peak are stored and read back as fitted, with
    the same types (every route set's calibration peak of the default model)."""
    from ketacourse.pk import routes

    calls = []
    real = routes._fit_peak
    monkeypatch.setattr(routes, "_fit_peak", lambda *a: calls.append(a) or real(*a))
    routes._fit_cached.cache_clear()
    routes._fit_peak_cached.cache_clear()
    try:
        first = routes.peak_validation()
        assert calls and all(diskcache.entry("peak-fit", {"disposition": k, "tmax_min": t, "unit_target": u}).is_file()
                             for k, t, u in calls)
        fitted = {a: real(*a) for a in set(calls)}
        routes._fit_cached.cache_clear()
        routes._fit_peak_cached.cache_clear()
        with monkeypatch.context() as mp:
            mp.setattr(routes, "_fit_peak", lambda *a: pytest.fail("read back, not fitted"))
            mp.setattr(routes, "_fit", lambda *a: pytest.fail("read back, not fitted"))
            assert repr(routes.peak_validation()) == repr(first)
            for args, result in fitted.items():
                back = routes._fit_peak_cached(*args)
                assert repr(back) == repr(result) and [type(x) for x in back] == [type(x) for x in result]
    finally:
        routes._fit_cached.cache_clear()
        routes._fit_peak_cached.cache_clear()


# ----------------------------------------------------------------------------- validation figures
def test_a_validation_figure_read_back_equals_drawing_it(cache, monkeypatch):
    """A report of the validation page keeps its figure on disk (under its key, the rc parameters and
    the fonts) and reads it back byte for byte; a report made elsewhere (its figure function in no
    key) is drawn and never stored."""
    from ketacourse import agreement

    rep = agreement.get_report(agreement.report_keys()[0])
    made_elsewhere = dataclasses.replace(rep)  # the same report, not from get_report
    monkeypatch.setattr(rep, "_png_kept", None, raising=False)
    drawn = rep.png()
    assert len(entries(cache, "agreement-figure")) == 1
    assert made_elsewhere.png() == drawn and len(entries(cache, "agreement-figure")) == 1
    rep._png_kept = None
    with monkeypatch.context() as mp:
        mp.setattr(rep, "figure", lambda: pytest.fail("read back, not drawn"))
        assert rep.png() == drawn


# ----------------------------------------------------------------------------- wind-up trains
def _assert_same_result(a: windup.WindupResult, b: windup.WindupResult) -> None:
    for field in dataclasses.fields(windup.WindupResult):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if field.name == "spike_times_ms":
            assert len(x) == len(y)
            for u, v in zip(x, y):
                assert u.dtype == v.dtype and u.tobytes() == v.tobytes()
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), field.name
        else:
            assert type(x) is type(y) and x == y, field.name


def test_a_train_from_the_cache_equals_simulating_it(cache, monkeypatch):
    args = dict(frequency_hz=2.0, n_stimuli=3, ketamine_um=[0.0, 2.0], mg_mm=1.0, nmda_scale=[1.0, 0.5])
    fresh = windup.simulate_train(**args, cache=False)
    assert not entries(cache, "simulate-train")
    stored = windup.simulate_train(**args)
    assert len(entries(cache, "simulate-train")) == 1
    monkeypatch.setattr(windup, "_simulate", _refuse)
    read = windup.simulate_train(**args)
    for got in (stored, read):
        _assert_same_result(got, fresh)


def test_a_changed_train_argument_is_another_entry(cache):
    windup.simulate_train(2.0, 2)
    windup.simulate_train(2.0, 2, ketamine_um=1.0)
    windup.simulate_train(2.0, 2, overrides={"can": {"tau_factor": 4.0}})
    windup.simulate_train(2.0, 2, tail_ms=600.0)
    assert len(entries(cache, "simulate-train")) == 4


def test_bad_train_arguments_raise_and_store_nothing(cache):
    with pytest.raises(ValueError, match="frequency_hz"):
        windup.simulate_train(50.0)
    assert not entries(cache, "simulate-train")
