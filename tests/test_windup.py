"""Wind-up in the dorsal-horn WDR neuron (ketacourse.circuits.windup).

Validation targets (issue #7; models.md §1.1):
1. spikes per stimulus rise over a 1 Hz train and not over a 0.1 Hz train;
2. removing NMDA conductance abolishes wind-up while the first response persists
   (Aguiar et al. 2010, abstract; Dickenson & Sullivan 1987 with AP5);
3. ketamine reduces wind-up in a concentration-dependent way;
4. the shape of the published wind-up curve. Aguiar 2010 Fig. 2C (15 stimuli at 1 Hz) could
   not be read numerically (paper figures not seen; clinical-evidence.md "Gaps" 8), so the
   test checks the shape the abstract describes: a rise that builds over the first stimuli
   and then levels off into a plateau. Tolerances: last response >= 3x the first; the last
   five stimuli add <= 25% of the total rise; no stimulus more than 1 spike below the one
   before it.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from ketacourse.circuits import windup
from ketacourse.circuits.windup import WindupGrid, simulate_train, windup_count

XDIST_UNITS = {"fresh_runs": "reference runs", "one_hz": "1 Hz train"}
"""Two pytest-xdist work units besides the rest of the file (tests/conftest.py): each long simulation
runs once, on either worker."""

KET = np.array([0.0, 0.0, 0.5, 2.0, 10.0, 0.0, 0.0])
MG = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 2.0])
SCALE = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0])


@pytest.fixture(scope="module")
def one_hz():
    return simulate_train(1.0, ketamine_um=KET, mg_mm=MG, nmda_scale=SCALE)


@pytest.fixture(scope="module")
def slow():
    return simulate_train(0.1, ketamine_um=[0.0], mg_mm=1.0)


def test_windup_at_1hz_not_at_0_1hz(one_hz, slow):
    control = one_hz.spikes_per_stimulus[0]
    assert control[0] >= 1, "the first C-fibre stimulus evokes a response"
    assert control[-1] >= 3 * control[0]
    flat = slow.spikes_per_stimulus[0]
    assert flat.max() - flat.min() <= 1, f"no wind-up at 0.1 Hz: {flat}"
    assert windup_count(flat) <= 0.1 * windup_count(control)


def test_removing_nmda_abolishes_windup_but_not_the_first_response(one_hz):
    control, no_nmda = one_hz.spikes_per_stimulus[0], one_hz.spikes_per_stimulus[1]
    assert no_nmda[0] >= 1, "the AMPA-driven first response persists"
    assert windup_count(no_nmda) <= 0.15 * windup_count(control)


def test_ketamine_reduces_windup_concentration_dependently(one_hz):
    w = windup_count(one_hz.spikes_per_stimulus[[0, 2, 3, 4]])  # 0, 0.5, 2, 10 µM
    assert np.all(np.diff(w) <= 0), w
    assert w[-1] < 0.75 * w[0]
    # "not a full knock-out" is judged on the whole response (total spikes over the train): wind-up counts are
    # relative to each cell's own first response, which NMDA removal lowers more than 10 µM ketamine does
    total = one_hz.spikes_per_stimulus.sum(axis=1)
    assert total[4] > total[1], "10 µM is not a full NMDA knock-out"


def test_ketamine_reduces_windup_more_than_the_first_response(one_hz):
    """As in the cited experiments (AP5: 'minor changes in A and C fibre inputs' but wind-up 'reliably reduced',
    Dickenson & Sullivan 1987; ketamine in volunteers reduced temporal summation, not the single response,
    Guirimand 2000): at 2 µM wind-up falls by at least a third while the first response falls by at most one
    spike."""
    s = one_hz.spikes_per_stimulus
    assert s[3, 0] >= s[0, 0] - 1
    assert windup_count(s[3]) <= 0.67 * windup_count(s[0])


def test_magnesium_opposes_windup(one_hz):
    w = windup_count(one_hz.spikes_per_stimulus[[5, 0, 6]])  # 0.5, 1, 2 mM
    assert w[0] > w[1] > w[2]


def test_shape_of_published_curve(one_hz):
    s = one_hz.spikes_per_stimulus[0].astype(float)
    rise = s[-1] - s[0]
    assert s[-1] >= 3 * s[0]
    assert s[-1] - s[-5] <= 0.25 * rise, f"plateau expected: {s}"
    assert np.all(np.diff(s) >= -1), s


def test_rest_before_stimulation_is_steady_near_leak_reversal(one_hz):
    t, v = one_hz.t_ms, one_hz.v_mv[0]
    before = v[(t > 500) & (t < 990)]
    assert np.ptp(before) < 0.05
    assert abs(before.mean() - windup.parameters()["membrane"]["leak_reversal_mv"]) < 1.0
    assert all(len(s) == 0 or s.min() > 1000 for s in one_hz.spike_times_ms), "no spikes before the first stimulus"


@pytest.fixture(scope="module")
def fresh_runs(tmp_path_factory):
    """windup.reference_runs() simulated here (no packaged runs, an empty disk cache), and the folder it
    was then written to. The one simulation of the reference runs in a test run: the tests below compare
    the disk cache and the packaged runs (data/windup_reference_runs.toml) with it."""
    folder = tmp_path_factory.mktemp("windup-cache")
    windup.reference_runs.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KETACOURSE_CACHE_DIR", str(folder))
        mp.setattr(windup, "packaged_reference_runs", lambda: None)
        try:
            runs = windup.reference_runs()
        finally:
            windup.reference_runs.cache_clear()
    return runs, folder


def _assert_same_runs(got: dict, want: dict) -> None:
    assert got["by_frequency"].keys() == want["by_frequency"].keys()
    for f, v in want["by_frequency"].items():
        assert got["by_frequency"][f].dtype.kind == "i" and np.array_equal(got["by_frequency"][f], v), f
    assert got["knockouts"].keys() == want["knockouts"].keys()
    for k, v in want["knockouts"].items():
        assert got["knockouts"][k].dtype.kind == "i" and np.array_equal(got["knockouts"][k], v), k


def test_reference_runs_read_from_the_disk_cache_equal_the_simulation(fresh_runs, monkeypatch):
    """Where the packaged runs do not apply (changed tables), the chapter, the validation page and the
    Lab tests read the runs the first process simulated: what they read is exactly what was simulated
    (a change to the code or the tables changes the key)."""
    runs, folder = fresh_runs
    assert len(list(folder.glob("reference-runs-*.json"))) == 1
    monkeypatch.setenv("KETACOURSE_CACHE_DIR", str(folder))
    monkeypatch.setattr(windup, "packaged_reference_runs", lambda: None)
    monkeypatch.setattr(windup, "simulate_train", _no_simulation)
    windup.reference_runs.cache_clear()
    try:
        read = windup.reference_runs()
    finally:
        windup.reference_runs.cache_clear()
    _assert_same_runs(read, runs)


def _no_simulation(*args, **kwargs):
    raise AssertionError("stored runs were not used: reference_runs simulated")


def test_packaged_reference_runs_equal_a_fresh_simulation(fresh_runs):
    """``data/windup_reference_runs.toml`` holds exactly what today's code and tables simulate (else run
    ``python -m ketacourse.circuits.windup``), and its key is today's tables and conditions."""
    packaged = windup.packaged_reference_runs()
    assert packaged is not None, ("data/windup.toml, data/channel.toml or the runs' conditions changed since the "
                                  "packaged reference runs were computed: run `python -m ketacourse.circuits.windup`")
    _assert_same_runs(packaged, fresh_runs[0])
    info = windup._packaged_runs_table()
    assert info["flag"] == "D" and info["source"] and "computed" in info and info.get("note")


def test_reference_runs_come_from_the_package_without_simulating(monkeypatch, tmp_path):
    """A learner's first run of Chapter 4 (an empty disk cache) reads the packaged runs: nothing is
    simulated and nothing is written to the disk cache."""
    monkeypatch.setenv("KETACOURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(windup, "simulate_train", _no_simulation)
    windup.reference_runs.cache_clear()
    try:
        runs = windup.reference_runs()
    finally:
        windup.reference_runs.cache_clear()
    assert set(runs["knockouts"]) == set(windup.KNOCKOUTS)
    assert sorted(runs["by_frequency"]) == sorted(windup.REFERENCE_FREQUENCIES_HZ)
    assert not list(tmp_path.iterdir())


def test_packaged_reference_runs_are_ignored_for_other_tables(monkeypatch):
    """Changed parameter tables (another key) make the packaged runs stale: they are not used."""
    monkeypatch.setattr(windup, "_packaged_runs_key", lambda: "another-key")
    assert windup.packaged_reference_runs() is None


@pytest.fixture(scope="module")
def by_frequency(fresh_runs):
    """Rows 0 and 1 of windup.reference_runs() (control and no NMDA), the runs the validation page also shows."""
    return {f: s[:2] for f, s in fresh_runs[0]["by_frequency"].items()}


def test_windup_at_0_5_1_and_2_hz_and_none_at_0_1_hz(by_frequency):
    """Experiments wind up at 0.5 Hz (Dickenson & Sullivan 1987: 16 stimuli) and 1 Hz (Guirimand 2000 in people)
    and not at 0.1 Hz (wind-up is a frequency-dependent increase). Tolerances: the last response at least 1.5x the
    first at 0.5 Hz and 3x at 1 and 2 Hz; at 0.1 Hz no stimulus differs from the first by more than one spike."""
    s01 = by_frequency[0.1][0]
    assert np.abs(s01 - s01[0]).max() <= 1, s01
    for f, ratio in ((0.5, 1.5), (1.0, 3.0), (2.0, 3.0)):
        s = by_frequency[f][0]
        assert s[0] >= 3, f"first C-fibre response at {f} Hz: {s}"
        assert s[-1] >= ratio * s[0], f"wind-up at {f} Hz: {s}"
    w = {f: windup_count(v[0]) for f, v in by_frequency.items()}
    assert w[0.1] < w[0.5] < w[1.0], w


@pytest.mark.parametrize("f", [0.5, 1.0, 2.0])
def test_nmda_removal_abolishes_windup_at_every_frequency(by_frequency, f):
    control, no_nmda = (windup_count(x) for x in by_frequency[f])
    assert no_nmda <= 0.15 * control, (f, control, no_nmda)


@pytest.fixture(scope="module")
def knockouts(fresh_runs):
    runs = fresh_runs[0]
    out = {}
    control = windup_count(runs["by_frequency"][1.0][0])
    out[1.0] = {name: windup_count(s) / control for name, s in runs["knockouts"].items()}
    control = windup_count(runs["by_frequency"][0.5][0])
    out[0.5] = {name: windup_count(simulate_train(0.5, overrides=o).spikes_per_stimulus[0]) / control
                for name, o in windup.KNOCKOUTS.items()}
    return out


def test_knockouts_identify_the_mechanism_the_chapter_teaches(knockouts):
    """Which mechanism does the model need? Removing NMDA receptors, I_CAN, the calcium NMDA channels let in, or
    the L-type calcium entry each removes at least 70 % of the wind-up at 0.5 and 1 Hz; removing the NK1
    (substance P) current leaves at least 70 % of it. (This is the mechanism of Aguiar 2010's title and what
    Chapter 4 teaches.)"""
    for f, frac in knockouts.items():
        for name in ("NMDA receptors", "I_CAN", "calcium entry through NMDA", "L-type calcium entry"):
            assert frac[name] <= 0.3, (f, name, frac)
        assert frac["NK1 (substance P)"] >= 0.7, (f, frac)


def test_float_loop_and_numpy_batch_loop_give_the_same_bits():
    """The cells are stepped one at a time in Python floats (gate power 2, the tables' value) or as one
    NumPy batch (any other gate power): the same operations in the same order, so the same bits. Both
    paths on the same cells, and the batch path's other gate powers run and respond."""
    p = windup._merged(windup.parameters(), {})
    args = (1.0, 3, np.array([0.0, 2.0]), np.array([1.0, 0.5]), np.array([1.0, 1.0]), 0.5, 2.0, 2.0, 1000.0)
    cells, batch = windup._simulate(p, *args), windup._simulate(p, *args, batch=True)
    assert np.array_equal(cells.t_ms, batch.t_ms) and np.array_equal(cells.v_mv, batch.v_mv)
    assert np.array_equal(cells.spikes_per_stimulus, batch.spikes_per_stimulus)
    assert all(np.array_equal(a, b) for a, b in zip(cells.spike_times_ms, batch.spike_times_ms))
    assert cells.spikes_per_stimulus.sum() > 0
    cubic = windup._simulate(windup._merged(p, {"can": {"gate_power": 3.0}}), *args)
    assert np.isfinite(cubic.v_mv).all() and not np.array_equal(cubic.v_mv, cells.v_mv)


def test_last_window_is_one_period_at_2_hz():
    r = simulate_train(2.0, 4, tail_ms=1000.0)
    st, stim = r.spike_times_ms[0], r.stimulus_times_ms
    assert r.spikes_per_stimulus[0, -1] == np.count_nonzero((st >= stim[-1] + 100) & (st < stim[-1] + 500))


def test_time_step_convergence():
    a = simulate_train(1.0, 8).spikes_per_stimulus[0]
    b = simulate_train(1.0, 8, dt_fine_ms=0.1, dt_coarse_ms=0.5).spikes_per_stimulus[0]
    assert np.abs(a - b).max() <= 1


def test_counts_only_c_fibre_window(one_hz):
    stim = one_hz.stimulus_times_ms
    st = one_hz.spike_times_ms[0]
    k = 3
    manual = np.count_nonzero((st >= stim[k] + 100) & (st < stim[k + 1]))
    assert one_hz.spikes_per_stimulus[0, k] == manual


def test_grid_lookup_matches_direct_simulation():
    grid = WindupGrid(frequencies_hz=(1.0,), ketamine_um=(0.0, 2.0), mg_mm=(1.0,), n_stimuli=6)
    direct = simulate_train(1.0, 6, ketamine_um=2.0, mg_mm=1.0)
    got = grid.lookup(1.0, 2.0, 1.0)
    np.testing.assert_array_equal(got["spikes_per_stimulus"], direct.spikes_per_stimulus[0])
    with pytest.raises(ValueError, match=r"^ketamine_um must be one of the grid values 0, 2; got 1"):
        grid.lookup(1.0, 1.0, 1.0)


def test_nmda_uses_course_channel_module(monkeypatch):
    """The NMDA conductance is gated by ketacourse.channel.pore_states, not a private constant."""
    calls = []
    real = windup.channel.pore_states

    def spy(v, mg, ket):
        calls.append((mg, ket))
        return real(v, mg, ket)

    windup._conducting_table.cache_clear()
    monkeypatch.setattr(windup.channel, "pore_states", spy)
    monkeypatch.setenv("KETACOURSE_CACHE_DIR", "off")  # simulated here, not read from the disk cache
    simulate_train(1.0, 1, ketamine_um=0.37, mg_mm=1.3)
    windup._conducting_table.cache_clear()
    assert (1.3, 0.37) in calls


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"frequency_hz": 0.0}, r"^frequency_hz must be a finite number >= 0.05 and <= 5 Hz; got 0"),
        ({"ketamine_um": -1.0}, r"^ketamine_um must be a finite number >= 0 and <= 100 µM; got -1"),
        ({"mg_mm": float("nan")}, r"^mg_mm must be a finite number"),
        ({"n_stimuli": 0}, r"^n_stimuli must be a whole number from 1 to 60; got 0"),
        ({"ketamine_um": [0.0, 1.0], "mg_mm": [1.0, 1.0, 2.0]}, r"^ketamine_um, mg_mm and nmda_scale must broadcast"),
        ({"overrides": {"can": {"nonsense": 1}}}, r"^overrides: 'can.nonsense' is not a parameter"),
    ],
)
def test_bad_input_raises(kwargs, message):
    args = {"frequency_hz": 1.0, "n_stimuli": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        simulate_train(**args)


def test_windup_count_definition():
    assert windup_count([2, 3, 5]) == 10 - 6
    with pytest.raises(ValueError):
        windup_count(3)


def test_saturating_ketamine_approaches_the_no_nmda_limit():
    """At 100 µM free ketamine nearly every open NMDA channel holds ketamine: the neuron behaves almost as
    if it had no NMDA receptors (limit check of the channel link). Not exactly: ketamine's own block is
    voltage-dependent (Gilling et al. 2009, δ 0.79), so at the depolarised potentials of a wind-up
    response a few per cent of channels stay open; allow 5 % of the NMDA-dependent wind-up."""
    r = simulate_train(1.0, ketamine_um=[100.0, 0.0, 0.0], nmda_scale=[1.0, 0.0, 1.0])
    saturated, no_nmda, control = (windup_count(s) for s in r.spikes_per_stimulus)
    assert control - no_nmda > 50, "the control train must show NMDA-dependent wind-up"
    # wind-up counts are relative to each cell's own first response, so the saturated cell may sit a little on
    # either side of the no-NMDA cell (whose calcium from spikes alone still charges I_CAN slightly)
    assert abs(saturated - no_nmda) <= 0.05 * (control - no_nmda)


# ----------------------------------------------------------------------------- the packaged grid
def test_packaged_grid_is_the_widgets_grid_for_the_current_tables():
    """``data/windup_grid.npz`` holds the WindupExplorer's grid, computed for today's parameter tables
    (else ``python -m ketacourse.circuits.windup`` must be run), and the widget loads it without simulating."""
    from types import SimpleNamespace

    from ketacourse.widgets import pain

    info = windup.packaged_grid_info()
    assert info, "data/windup_grid.toml is missing"
    assert (tuple(info["frequencies_hz"]), tuple(info["ketamine_um"]), tuple(info["mg_mm"])) == (
        pain.GRID_FREQUENCIES_HZ, pain.GRID_KETAMINE_UM, pain.GRID_MG_MM), "the packaged grid is not the widget's"
    want = windup._packaged_key(SimpleNamespace(frequencies_hz=pain.GRID_FREQUENCIES_HZ, ketamine_um=pain.GRID_KETAMINE_UM,
                                                mg_mm=pain.GRID_MG_MM, n_stimuli=None))
    assert info["key"] == want, ("data/windup.toml or data/channel.toml changed since the packaged grid was computed: "
                                 "run `python -m ketacourse.circuits.windup`")
    assert info.get("note") and "computed" in info


def test_widget_grid_comes_from_the_packaged_file_without_simulating(monkeypatch, tmp_path):
    from ketacourse.widgets import pain

    monkeypatch.setenv("KETACOURSE_CACHE_DIR", str(tmp_path))  # an empty disk cache

    def no_simulation(*args, **kwargs):
        raise AssertionError("the packaged grid was not used: WindupGrid simulated")

    monkeypatch.setattr(windup, "simulate_train", no_simulation)
    grid = WindupGrid(pain.GRID_FREQUENCIES_HZ, pain.GRID_KETAMINE_UM, pain.GRID_MG_MM, cache=True)
    assert grid.lookup(1.0, 0.0, 1.0)["spikes_per_stimulus"].shape == (15,)
    assert not list(tmp_path.iterdir()), "nothing is written to the disk cache when the packaged grid is used"


# A sample that covers both time grids (0.5 Hz: fine after each stimulus, coarse between; 2 Hz: fine
# throughout), the corners and inner points of the ketamine x Mg grid. The slow frequencies (0.1, 0.2 Hz:
# 150 and 75 s of neuron time) would cost as much as the whole grid, so they are not re-simulated here.
SAMPLE = [(f, k, m) for f, pts in {0.5: [(0.0, 0.5), (2.0, 1.0), (20.0, 2.0)],
                                    2.0: [(0.0, 1.0), (0.5, 2.0), (10.0, 0.5), (20.0, 1.0)]}.items() for k, m in pts]


@pytest.mark.parametrize("frequency_hz", sorted({f for f, _, _ in SAMPLE}))
def test_packaged_grid_equals_a_fresh_simulation_of_a_sample(frequency_hz):
    """Re-simulate a sample of the packaged grid with today's code: same spikes, same traces (float32)."""
    from ketacourse.widgets import pain

    grid = WindupGrid(pain.GRID_FREQUENCIES_HZ, pain.GRID_KETAMINE_UM, pain.GRID_MG_MM, cache=True)
    points = [(k, m) for f, k, m in SAMPLE if f == frequency_hz]
    fresh = simulate_train(frequency_hz, ketamine_um=[k for k, _ in points], mg_mm=[m for _, m in points],
                           record_every_ms=max(0.5, 4.0 / frequency_hz))
    for c, (k, m) in enumerate(points):
        stored = grid.lookup(frequency_hz, k, m)
        where = f"{frequency_hz} Hz, {k} µM ketamine, {m} mM Mg"
        np.testing.assert_array_equal(stored["spikes_per_stimulus"], fresh.spikes_per_stimulus[c], err_msg=where)
        np.testing.assert_allclose(stored["spike_times_ms"], fresh.spike_times_ms[c], rtol=0, atol=1e-9, err_msg=where)
        np.testing.assert_array_equal(stored["t_ms"], fresh.t_ms, err_msg=where)
        np.testing.assert_allclose(stored["v_mv"], fresh.v_mv[c], rtol=0, atol=1e-3, err_msg=where)
