"""Chapter 7: the future-directions trial table, the derivatives table, the evidence-map logic,
the molecule comparison and the two widgets (headless). No timings here: see benchmarks/."""

from __future__ import annotations


import matplotlib.pyplot as plt
import pytest
from widget_contract import check_offline_scrubber

from ketacourse import derivatives as dv
from ketacourse import evidence as ev
from ketacourse import receptor
from ketacourse.data import load_table
from ketacourse.evidence import evidence_map as em
from ketacourse.widgets import future

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def entries():
    return em.load_map()


@pytest.fixture(scope="module")
def trials():
    return {c.id: c for c in ev.load_trials("trials_future")}


# ----------------------------------------------------------------------------- the trial table
def test_every_comparison_has_the_map_fields_and_a_known_result():
    for raw in load_table("trials_future")["comparisons"]:
        assert raw["indication"] and raw["blinding_kind"] in em.BLINDING_POINTS and raw["result"] in em.RESULTS
        assert raw.get("n_total") or (raw.get("n_treatment") and raw.get("n_control")), raw["id"]
        if raw["blinding_kind"] == "open":
            assert raw["blinding"] == "open", raw["id"]
        else:
            assert raw["blinding"] == "double-blind", raw["id"]


def test_derived_counts_reproduce_the_published_percentages(trials):
    v = trials["dakwar2019"].outcome("abstinence", "week 5").values
    assert round(100 * v["events_treatment"] / v["n_treatment"], 1) == 48.1  # published 48.2% (rounding)
    assert round(100 * v["events_control"] / v["n_control"], 1) == 10.7
    v = trials["feder2021"].outcome("ptsd_response", "week 2").values
    assert round(100 * v["events_treatment"] / v["n_treatment"]) == 67 and round(100 * v["events_control"] / 15) == 20


def test_published_effect_sizes_are_reproduced(trials):
    c = trials["reliance1"]
    g = ev.outcome_effect(c, c.outcome("depression", "day 28"), "g")
    assert abs(abs(g.value) - 0.21) < 0.015  # published Cohen effect size 0.21
    md = ev.outcome_effect(c, c.outcome("depression", "day 28"), "md")
    assert abs(md.value - (-2.2)) < 1e-9  # abstract: MD 2.3 (from unrounded means)
    c = trials["gemini2022"]
    assert c.n_treatment + c.n_control == 327
    assert sum(trials[k].n_treatment for k in ("abdallah2022_05", "abdallah2022_02")) + 54 == 158


def test_declared_results_agree_with_the_confidence_intervals(entries):
    by_id = {e.id: e for e in entries}
    assert by_id["feder2014"].result == "benefit" and by_id["reliance1"].result == "null"
    bad = load_table("trials_future")
    raw = {**bad, "comparisons": [dict(c) for c in bad["comparisons"]]}
    raw["comparisons"][0]["result"] = "null"
    from ketacourse.evidence import evidence_map as mod
    orig = mod.load_table
    try:
        mod.load_table = lambda name: raw
        with pytest.raises(ValueError, match=r"^feder2014: result 'null' disagrees with the CI of its primary row"):
            mod.load_map()
        raw["comparisons"][0] = {k: v for k, v in bad["comparisons"][0].items() if k != "indication"}
        with pytest.raises(ValueError, match=r"field 'indication' is required for the evidence map"):
            mod.load_map()
    finally:
        mod.load_table = orig


def test_evidence_that_is_not_a_controlled_trial_is_marked_and_scores_low(entries):
    others = [e for e in entries if e.id in {o["id"] for o in load_table("trials_future")["other_evidence"]}]
    assert {e.indication for e in others} >= {"Parkinson's disease (dyskinesia)", "ischaemic stroke",
                                             "acute brain injury (TBI, haemorrhage)"}
    s = em.scores(entries)
    for e in others:
        assert not e.randomised and e.effect_d is None and s[e.id].total <= 1
    assert all(s[e.id].size == 0 for e in others if e.result == "pending")


# ----------------------------------------------------------------------------- scoring
def test_criterion_tables_and_score_arithmetic(entries):
    assert em.MAX_SCORE == 10
    assert [em.size_points(n) for n in (0, 39, 40, 99, 100, 199, 200, 5000)] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert [em.replication_points(k) for k in (0, 1, 2, 7)] == [0, 1, 2, 2]
    assert em.blinding_points("active") > em.blinding_points("inert") > em.blinding_points("open")
    assert em.design_points("rct-parallel") > em.design_points("open-label") > em.design_points("case-series")
    for e in entries:
        s = em.score(e, entries)
        assert s.total == s.design + s.size + s.blinding + s.replication and 0 <= s.total <= em.MAX_SCORE


def test_size_is_scored_from_patients_randomised_per_trial_not_per_arm_comparison(entries):
    by_id = {e.id: e for e in entries}
    s = em.scores(entries)
    # Abdallah 2022: 158 randomised to placebo (54), 0.2 mg/kg (53) and 0.5 mg/kg (51); each dose-vs-placebo
    # comparison holds 105 or 107 patients, but the trial is scored once, on its 158.
    a5, a2 = by_id["abdallah2022_05"], by_id["abdallah2022_02"]
    assert (a5.n_compared, a2.n_compared) == (51 + 54, 53 + 54)
    assert a5.n_total == a2.n_total == 158 == 51 + 53 + 54
    assert s["abdallah2022_05"].size == s["abdallah2022_02"].size == em.size_points(158)
    # Krupitsky 2007: 59 randomised, 26 + 27 analysed at one year
    assert by_id["krupitsky2007"].n_total == 59 and by_id["krupitsky2007"].n_compared == 53
    for e in entries:
        assert e.n_total >= e.n_compared, e.id
    same_trial: dict[str, set[int]] = {}
    for e in entries:
        same_trial.setdefault(e.source, set()).add(e.n_total)
    assert all(len(v) == 1 for v in same_trial.values())


def _planted(edit):
    """load_map on a copy of trials_future whose comparisons were changed by ``edit``."""
    from ketacourse.evidence import evidence_map as mod
    raw = load_table("trials_future")
    raw = {**raw, "comparisons": [dict(c) for c in raw["comparisons"]]}
    edit({c["id"]: c for c in raw["comparisons"]})
    orig = mod.load_table
    try:
        mod.load_table = lambda name: raw
        return mod.load_map()
    finally:
        mod.load_table = orig


def test_a_trial_counted_with_two_different_sizes_is_refused():
    def drop_one(by_id):
        by_id["abdallah2022_02"].pop("n_randomised")
    with pytest.raises(ValueError, match=r"entries of one trial \(same source\) must give the same patients "
                                         r"randomised \(n_randomised\); they differ for \['abdallah2022'\]"):
        _planted(drop_one)

    def too_small(by_id):
        by_id["krupitsky2007"]["n_randomised"] = 40
    with pytest.raises(ValueError, match=r"^krupitsky2007: n_randomised \(40\) is smaller than the patients in its arms \(53\)"):
        _planted(too_small)


def test_a_dose_comparison_patients_can_tell_apart_gets_no_blinding_credit(entries):
    by_id = {e.id: e for e in entries}
    s = em.scores(entries)
    assert em.BLINDING_POINTS["dose-contrast"] == 0 == em.blinding_points("open")
    k = by_id["krupitsky2002"]  # 2.0 mg/kg ("full psychedelic experience") vs 0.2 mg/kg, labelled double blind
    assert k.blinding == "dose-contrast" and s[k.id].blinding == 0
    assert s[k.id].total == 5 < s["dakwar2020"].total  # no longer the highest-scoring ketamine trial
    # the same design with a true active placebo would score two points more
    as_active = em.score(em.hypothetical_entry("opioid use disorder", blinding="active", n_total=70), entries)
    as_contrast = em.score(em.hypothetical_entry("opioid use disorder", blinding="dose-contrast", n_total=70), entries)
    assert as_active.total - as_contrast.total == 2 and as_contrast.blinding == 0
    ketamine_trials = [e for e in entries if e.drug == "racemic ketamine" and e.randomised]
    assert max(s[e.id].total for e in ketamine_trials) == s["dakwar2020"].total == 7


def test_brain_injury_has_one_controlled_surrogate_trial_and_dyskinesia_is_its_own_indication(entries):
    by_id = {e.id: e for e in entries}
    c = by_id["carlson2018"]
    assert c.randomised and c.indication == "acute brain injury (TBI, haemorrhage)" and c.n_total == 10
    assert "SURROGATE" in c.note and c.blinding == "open"
    assert not any(e.randomised for e in entries if e.indication == "ischaemic stroke")
    dysk = {e.indication for e in entries if e.id in {"sherman2016", "falk2022"}}
    assert dysk == {"Parkinson's disease (dyskinesia)"}


def test_derivative_trials_that_read_out_are_on_the_map(entries):
    by_id = {e.id: e for e in entries}
    assert {by_id[k].drug for k in ("pcn101_2a", "arketamine_pilot")} == {"arketamine"}
    assert all(by_id[k].result == "null" for k in ("pcn101_2a", "arketamine_pilot", "reliance1", "reliance3"))
    assert by_id["pcn101_2a"].n_total == 102 and by_id["hnk_phase2"].result == "pending"
    assert dv.molecule_info("esmethadone")["status"] == "failed" and "2025" in dv.molecule_info("esmethadone")["stage"]
    assert dv.molecule_info("arketamine")["status"] == "failed"


def test_replication_counts_independent_trials_of_the_same_molecule(entries):
    s = em.scores(entries)
    assert s["abdallah2022_05"].replication == 0  # its other arm is the same trial
    assert s["feder2014"].replication == 1 and s["feder2021"].replication == 1
    assert s["sanacora2017"].replication == 0  # other failed molecules do not replicate lanicemine
    assert s["grabski2022"].replication == 1 and s["dakwar2020"].replication == 1


def test_a_hypothetical_trial_is_placed_and_changes_replication(entries):
    new = em.hypothetical_entry("alcohol use disorder", kind="rct-parallel", blinding="active", n_total=250)
    placed = em.place(entries, new)
    assert placed["score"] == em.Score(3, 3, 2, 2) and placed["rank"] == 1
    assert set(placed["changed"]) == {"dakwar2020", "grabski2022"}
    assert all(after == before + 1 for before, after in placed["changed"].values())
    weak = em.place(entries, em.hypothetical_entry("stroke", kind="open-label", blinding="open", n_total=12))
    assert weak["score"].total == 1 and weak["n_in_indication"] == 1 and weak["strongest"] is None


@pytest.mark.parametrize(("kwargs", "msg"), [
    ({"kind": "meta-analysis"}, r"^kind must be one of 'rct-parallel', "),
    ({"blinding": "single"}, r"^blinding must be one of 'active', 'inert', 'dose-contrast', 'open'; got 'single'"),
    ({"result": "cure"}, r"^result must be one of 'benefit', 'null', 'harm', 'pending'; got 'cure'"),
    ({"n_total": 0}, r"^n_total must be at least 1 patient; got 0"),
    ({"n_total": 12.5}, r"^n_total must be a whole number of patients >= 0; got 12.5"),
    ({"kind": "open-label", "blinding": "active"}, r"^blinding must be 'open' for a 'open-label' study"),
    ({"effect_d": 9.0}, r"^effect_d must be a finite number >= -5 and <= 5 SD; got 9 SD"),
])
def test_hypothetical_trial_bad_inputs(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        em.hypothetical_entry("PTSD", **kwargs)
    with pytest.raises(ValueError, match=r"^indication must be a non-empty string; got ' '"):
        em.hypothetical_entry(" ")


def test_filters(entries):
    assert {e.drug for e in em.filter_entries(entries, drug="lanicemine")} == {"lanicemine"}
    assert all(e.outcome == "abstinence" for e in em.filter_entries(entries, outcome="abstinence"))
    assert all(e.randomised for e in em.filter_entries(entries, controlled_only=True))
    with pytest.raises(ValueError, match=r"^drug must be one of 'racemic ketamine', "):
        em.filter_entries(entries, drug="ketamine")


def test_effects_on_the_common_scale_are_signed_to_favour_the_drug(entries):
    by_id = {e.id: e for e in entries}
    assert by_id["feder2021"].effect_d == pytest.approx(1.13)
    assert by_id["dakwar2019"].effect_d == pytest.approx(float(ev.log_or_to_d(ev.odds_ratio(13, 27, 3, 28).estimate)))
    assert by_id["reliance1"].effect_d > 0 and by_id["reliance1"].ci_d[0] < 0
    assert by_id["feder2014"].effect_d is None and "MD -12.70" in by_id["feder2014"].effect_text


# ----------------------------------------------------------------------------- derivatives
def test_derivatives_table_is_complete_and_sourced():
    assert {"esketamine", "arketamine", "hnk", "dextromethorphan_bupropion", "esmethadone", "lanicemine",
            "rapastinel"} <= set(dv.MOLECULES)
    for m in dv.MOLECULES:
        info = dv.molecule_info(m)
        assert info["status"] in dv.STATUSES and info["source"] and info["flag"] and info["stage"] and info["outcome"]
        if "nmda_ligand" in info:
            assert info["nmda_ligand"] in receptor.LIGANDS
    for c in load_table("derivatives")["concentrations"]:
        assert c["molecule"] in dv.MOLECULES and 0 < c["low_ng_ml"] <= c["high_ng_ml"]
    assert {m for m in dv.MOLECULES if dv.molecule_info(m)["status"] == "failed"} >= {"lanicemine", "rapastinel",
                                                                                      "esmethadone"}


def test_occupancy_comes_from_the_receptor_module():
    assert dv.occupancy_at("esketamine", 100.0) == pytest.approx(receptor.occupancy_from_plasma(100.0, "esketamine"))
    assert dv.occupancy_at("esketamine", 100.0) > dv.occupancy_at("ketamine", 100.0) > dv.occupancy_at("arketamine", 100.0)
    assert dv.occupancy_at("hnk", 185.0) < 0.02  # (2R,6R)-HNK barely touches the receptor at these levels
    assert dv.occupancy_at("ketamine", 185.0, ki_um=0.119) > dv.occupancy_at("ketamine", 185.0, ki_um=3.1)
    with pytest.raises(ValueError, match=r"^molecule 'lanicemine' has no sourced NMDA affinity"):
        dv.occupancy_at("lanicemine", 100.0)
    with pytest.raises(ValueError, match=r"^molecule must be one of 'ketamine', "):
        dv.molecule_info("ketamine_hcl")
    rows = dv.comparison_rows()
    assert [r for r in rows if r["molecule"] == "lanicemine"][0]["occupancy"] is None
    assert dv.racemate_ki_range_um() == (0.119, 3.1)


# ----------------------------------------------------------------------------- widgets
CASES = {
    future.EvidenceMap: (
        {"drug": "lanicemine", "new_indication": "opioid use disorder", "new_n": 300},
        [({"drug": "ketamine"}, r"^drug must be one of 'all', 'racemic ketamine', "),
         ({"new_n": 5}, r"^new_n must be a finite number >= 10 and <= 600 patients; got 5 patients"),
         ({"new_indication": "migraine"}, r"^new_indication must be one of '\(none\)', 'PTSD', ")],
    ),
    future.MoleculeComparison: (
        {"conc_ng_ml": 1000.0, "racemate_ki_um": 3.1},
        [({"conc_ng_ml": 1e6}, r"^conc_ng_ml must be a finite number >= 1 and <= 100000 ng/mL; got 1e\+06 ng/mL"),
         ({"racemate_ki_um": 1.0}, r"^racemate_ki_um must be one of 0.5, 0.119, 3.1; got 1.0")],
    ),
}
IDS = [c.__name__ for c in CASES]
BAD = [pytest.param(c, kw, msg, id=f"{c.__name__}-{next(iter(kw))}") for c, (_ch, bad) in CASES.items()
       for kw, msg in bad]


def test_every_chapter_7_widget_is_covered():
    assert sorted(c for c in future.__all__ if c[0].isupper() and c != "RESULT_COLOURS") == sorted(IDS)


@pytest.mark.parametrize("cls", CASES, ids=IDS)
def test_live_updates_in_place_match_a_rebuilt_figure(cls):
    change, _bad = CASES[cls]
    w = cls()
    png0, params0 = w.png(), dict(w.params)
    fig, image = w.fig, w.image
    assert png0.startswith(PNG_MAGIC)
    for name, ctrl in w.controls.items():
        assert ctrl.description, f"control {name} needs a visible label"
    w.set(**change)
    assert w.fig is fig and w.image is image and w.png() != png0
    assert w.recreate_png() == w.png(), "blitting over the cached background draws what a new figure draws"
    for key, value in params0.items():
        w.controls[key].value = value
    assert w.png() == png0
    assert plt.get_fignums() == []


@pytest.mark.parametrize(("cls", "kwargs", "msg"), BAD)
def test_bad_values_raise_and_change_nothing(cls, kwargs, msg):
    w = cls()
    png0, params0 = w.png(), dict(w.params)
    with pytest.raises(ValueError, match=msg):
        w.set(**kwargs)
    assert w.png() == png0 and w.params == params0



@pytest.mark.parametrize("cls", CASES, ids=IDS)
def test_offline_scrubber_frames_have_alt_text_and_differ(cls):
    w = cls()
    check_offline_scrubber(w, w.png(), dict(w.params))


def test_evidence_map_reports_the_placed_trial():
    w = future.EvidenceMap(new_indication="alcohol use disorder", new_n=250, new_blinding="active")
    alt = w.alt_text(**w.params)
    assert "A hypothetical trial in alcohol use disorder scores 10." in alt
    w.set(new_kind="open-label")  # an uncontrolled study cannot be blinded: scored as open
    assert w.hypothetical(**{k: v for k, v in w.params.items() if k.startswith("new_")}).blinding == "open"
    assert int(w.shown("lanicemine", "all").sum()) == 1


def test_molecule_comparison_readout_uses_the_chosen_ki():
    w = future.MoleculeComparison()
    a = w.occupancies(185.0, 0.119)["ketamine"]
    b = w.occupancies(185.0, 3.1)["ketamine"]
    assert a > b and w.occupancies(185.0, 0.5)["ketamine"] == pytest.approx(float(dv.occupancy_at("ketamine", 185.0)))
    assert "no curve" in w.alt_text(**w.params)
