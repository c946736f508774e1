"""Peak heights after extravascular doses: every published Cmax in routes.toml against every model.

Published peaks (bibtex keys in chapters/references.bib; doses as printed, salt or base not stated in
any of these abstracts; all racemic unless marked S):
  oral 25 mg: 22.8 +/- 12.8 ng/mL at 0.96 h, 6 neuropathic-pain inpatients (chong2006; F from chong2009
  or chong2006); sublingual 25 mg: 28.6 +/- 6.6 ng/mL at 0.76 h, same patients (chong2006);
  intranasal 3 and 9 mg/kg: 496 ng/mL within 20 min and 2104 ng/mL within 21 min, rectal 9 mg/kg:
  632 ng/mL within 42 min, children 2-9 y under halothane, venous (malinovsky1996);
  S-ketamine intranasal 0.2 and 0.4 mg/kg: 27.7 +/- 5.9 and 34.3 +/- 22.2 ng/mL at 10 and 14 min,
  adults with neuropathic pain (huge2010); S-ketamine intranasal 2 mg/kg: 355 +/- 172 ng/mL at
  18 min, children 1-7 y under sevoflurane, venous (weber2004).
No citable peak was found for IM (clements1982 primary text not seen), for the rolan2014 sublingual
wafer or for the yanagihara2003 sets: their peak height is not validated (docs/pk-validation.md).

Tolerance (ours): model/published within +/- 25 % (``tolerance_rel`` in routes.toml), or a documented
miss asserted below with its reason and a band, so that a change is noticed.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from ketacourse import pk
from ketacourse.pk import routes as routes_mod
from ketacourse.pk.routes import fit_absorption_to_peak, peak_check, route_absorption, route_peaks

MAMMILLARY = [k for k in pk.model_keys() if pk.get_model(k).structure == "mammillary"]


def _cases():
    out = []
    for route in pk.ROUTES[1:]:
        for name in pk.route_set_names(route):
            for i, p in enumerate(route_peaks(route, name)):
                for key in MAMMILLARY:
                    m = pk.get_model(key)
                    if m.enantiomer == p["enantiomer"] and route not in m.entry.get("route_overrides", {}):
                        out.append((key, route, name, i))
    return out


CASES = _cases()

# (model, route, set, peak index): (low, high) band of model/published for the absorption the
# simulations use, and the reason it is outside +/- 25 %.
KNOWN_MISSES = {
    **{(k, "intranasal", "malinovsky1996", 1): (0.65, 0.78) for k in ("domino1982", "clements1981", "sherwin2015")},
    # 9 mg/kg nasal peak is 4.2 x the 3 mg/kg peak for 3 x the dose (the authors: the large volume was partly
    # swallowed, with unacceptably variable effect). A linear model calibrated at 3 mg/kg gives 3 x, i.e. ~0.71.
    ("fanta2015", "intranasal", "malinovsky1996", 2): (0.25, 0.40),
    # Weber 2004: S-ketamine 2 mg/kg nasally in children 1-7 y under sevoflurane. The adult Fanta model scaled
    # allometrically to 18 kg with the racemic children's F (0.50) and Tmax (20 min) under-predicts 3-fold;
    # the published SD is half the mean.
    ("fanta2015", "intranasal", "yanagihara2003", 1): (1.40, 1.65),
    # Huge 2010: 0.4 mg/kg gave only 1.24 x the 0.2 mg/kg peak (SD 65 % of the mean); a linear model doubles it.
    # The 0.2 mg/kg peak of the same study is matched (0.95).
}


def _sim(*a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.ModelValidityWarning)
        return pk.simulate(*a, **k)


def test_every_route_with_a_cmax_is_covered():
    """Oral, sublingual, intranasal and rectal each have at least one published peak checked against a
    racemic model; IM has none (documented: no citable human IM Cmax with a bibtex key)."""
    routes = {route for _, route, _, _ in CASES}
    assert routes == {"oral", "sublingual", "intranasal", "rectal"}
    assert all(not route_peaks("im", s) for s in pk.route_set_names("im"))
    assert len(CASES) >= 20


@pytest.mark.parametrize("route, set_name", [(r, s) for r in pk.ROUTES[1:] for s in pk.route_set_names(r)])
def test_peak_entries_record_study_conditions(route, set_name):
    """Each published peak says what was measured: dose and form, body weight (published or assumed),
    enantiomer, sampling site, population; at most one peak per set is used for calibration."""
    peaks = route_peaks(route, set_name)
    for p in peaks:
        for field in ("cmax_ng_ml", "statistic", "tmax_min", "weight_note", "dose_form", "sampling", "population",
                      "source", "flag"):
            assert p.get(field) not in (None, ""), (route, set_name, field)
        assert p["enantiomer"] in {"racemic", "S"}
        assert ("dose_mg" in p) and p["dose_mg"] > 0
        assert 0 < p["tolerance_rel"] < 1
    assert sum(p["calibrate"] for p in peaks) <= 1
    for p in peaks:
        if p["calibrate"]:
            assert p["enantiomer"] == "racemic"  # every route set holds racemic F and Tmax


@pytest.mark.parametrize("key, route, set_name, index", CASES)
def test_model_peak_against_published_peak(key, route, set_name, index):
    """The peak a simulation gives at the study's dose and weight is within the stated tolerance of the
    published Cmax, or is a documented miss inside its band (KNOWN_MISSES, with the reason)."""
    chk = peak_check(key, route, set_name, index)
    if (key, route, set_name, index) in KNOWN_MISSES:
        lo, hi = KNOWN_MISSES[(key, route, set_name, index)]
        assert not chk["within_tolerance"]
        assert lo <= chk["ratio"] <= hi, chk["ratio"]
    else:
        assert chk["within_tolerance"], (chk["ratio"], chk["method"])


CALIBRATED = [c for c in CASES if route_peaks(c[1], c[2])[c[3]]["calibrate"]]


@pytest.mark.parametrize("key, route, set_name, index", CALIBRATED)
def test_calibrated_peak_time_and_height(key, route, set_name, index):
    """Where the set's own study published a peak, the absorption shape is solved so that the model's
    peak has the published time and height (1e-3), unless first-order absorption already over-predicts
    it (then ka stays the Tmax-only fit, the miss is reported, and it is still inside the tolerance)."""
    fit = fit_absorption_to_peak(key, route, set_name)
    chk = peak_check(key, route, set_name, index)
    tmax = pk.route_set(route, set_name)["tmax_min"]
    if fit["status"] == "calibrated":
        assert chk["method"] == "fitted to model Tmax and Cmax"
        assert chk["ratio"] == pytest.approx(1.0, abs=1e-3)
        assert chk["tmax_model_min"] == pytest.approx(tmax, rel=1e-3)
        assert 0 < fit["zero_order_min"] < tmax
        assert fit["cmax_first_order_ng_ml"] < fit["cmax_published_ng_ml"]
    else:
        assert fit["status"] == "over-predicted" and "NOT calibrated" in fit["note"]
        assert chk["method"] == "fitted to model Tmax" and chk["zero_order_min"] == 0.0
        assert 1.0 < chk["ratio"] <= 1.0 + chk["tolerance_rel"]


def test_which_models_needed_the_calibration():
    """Before the peak height was used (ka fitted to Tmax only) the peaks after oral, sublingual and
    rectal doses were 22-81 % of the published ones in every racemic model; fast-distributing models
    (Domino, Sherwin) were lowest because a late Tmax forces slow absorption. Only Clements (1.01 x) and
    Hijazi (1.21 x) already reached the children's 3 mg/kg nasal peak; they are not calibrated."""
    for key in ("domino1982", "clements1981", "hijazi2003", "sherwin2015"):
        for route, s in (("oral", "chong2009"), ("sublingual", "chong2006"), ("rectal", "malinovsky1996")):
            r = peak_check(key, route, s, 0, calibrated=False)["ratio"]
            assert 0.2 < r < 0.85, (key, route, r)
    assert peak_check("domino1982", "oral", "chong2009", 0, calibrated=False)["ratio"] < 0.4
    assert fit_absorption_to_peak("clements1981", "intranasal", "malinovsky1996")["status"] == "over-predicted"
    assert fit_absorption_to_peak("hijazi2003", "intranasal", "malinovsky1996")["status"] == "over-predicted"
    for key in ("domino1982", "sherwin2015"):
        assert fit_absorption_to_peak(key, "intranasal", "malinovsky1996")["status"] == "calibrated"


@pytest.mark.parametrize("key", ["domino1982", "sherwin2015"])
def test_simulation_reproduces_the_calibrated_peak(key):
    """simulate() with the default oral set gives the published Chong peak at 25 mg, 70 kg (0.05-min
    grid, 0.5 %), keeps the published F (AUC to infinity = F x dose / CL, 0.5 %), and its notes say how
    the absorption was fitted."""
    t = np.arange(0.0, 200.0, 0.05)
    r = _sim(key, pk.bolus(25.0, route="oral"), 70.0, t)
    assert r.cmax_ng_ml() == pytest.approx(22.8, rel=5e-3)
    assert r.tmax_min() == pytest.approx(57.6, abs=0.1)
    assert any("zero-order time" in n and "chong2006" in n for n in r.notes)
    long = np.concatenate([np.arange(0.0, 600.0, 0.5), np.arange(600.0, 30 * 1440.0, 10.0)])
    rl = _sim(key, pk.bolus(25.0, route="oral"), 70.0, long)
    cl_l_min = pk.get_model(key).clearance_l_per_h(70.0) / 60.0
    assert rl.auc_ng_min_ml() == pytest.approx(0.24 * 25.0 / cl_l_min * 1000.0, rel=5e-3)


def test_s_ketamine_models_are_not_calibrated_to_racemic_peaks():
    """Fanta (S-ketamine) keeps the Tmax-only ka for racemic route sets; its oral route uses its own F
    (8 %) and is not compared with the racemic Chong peak."""
    for route in ("sublingual", "intranasal", "rectal", "im"):
        assert route_absorption("fanta2015", route)["method"] == "fitted to model Tmax"
    assert routes_mod._calibration_peak(pk.get_model("fanta2015"), "oral", "chong2009") is None
    assert all(key != "fanta2015" or route != "oral" for key, route, _, _ in CASES)
    with pytest.raises(ValueError, match="has no calibration peak"):
        fit_absorption_to_peak("fanta2015", "oral", "chong2009")


def test_fit_is_cached_and_fast_after_the_first_call():
    """The peak fit is solved once per (model disposition at the study weight, Tmax, target) and cached:
    a second call is a dictionary look-up (< 5 ms), so widgets and populations stay fast."""
    fit_absorption_to_peak("hijazi2003", "rectal", "malinovsky1996")
    before = routes_mod._fit_peak_cached.cache_info()
    t0 = time.perf_counter()
    for _ in range(20):
        route_absorption("hijazi2003", "rectal", 70.0, "malinovsky1996")
    elapsed = (time.perf_counter() - t0) / 20
    after = routes_mod._fit_peak_cached.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    assert elapsed < 5e-3


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"index must be in 0\.\.0"):
        peak_check("domino1982", "oral", "chong2009", 3)
    with pytest.raises(ValueError, match="has no calibration peak"):
        fit_absorption_to_peak("domino1982", "sublingual", "rolan2014")
    with pytest.raises(ValueError, match="has its own absorption model"):
        peak_check("perezruixo2021", "oral", "chong2009")
    with pytest.raises(ValueError, match=r"route must be one of"):
        route_peaks("iv")


def test_peak_validation_rows_match_peak_check():
    rows = pk.peak_validation(("domino1982", "fanta2015"))
    assert {(r["route"], r["set"], r["index"]) for r in rows} >= {("oral", "chong2009", 0), ("rectal", "malinovsky1996", 0)}
    for r in rows:
        for key, res in r["models"].items():
            assert res["used"] == peak_check(key, r["route"], r["set"], r["index"])
            assert pk.get_model(key).enantiomer == r["enantiomer"]
