"""Species dose translation: the published Km factors and divisors, the HED formula, the sourced
rodent doses, and where they land on the human concentration bands."""

from __future__ import annotations

import pytest

from ketacourse import translation as tr
from ketacourse.data import load_table


def test_km_factors_are_the_fda_table_values():
    # FDA 2005 Table 1 (via Nair & Jacob 2016): human 37, mouse 3, rat 6, rhesus monkey 12, dog 20
    assert {s: tr.km_factor(s) for s in ("human", "mouse", "rat", "rhesus_monkey", "dog")} == {
        "human": 37.0, "mouse": 3.0, "rat": 6.0, "rhesus_monkey": 12.0, "dog": 20.0}


@pytest.mark.parametrize("species", ["human", "mouse", "rat", "rhesus_monkey", "dog"])
def test_km_is_weight_over_surface_area(species):
    info = tr.species_info(species)
    assert info["reference_weight_kg"] / info["body_surface_area_m2"] == pytest.approx(info["km"], rel=0.15)


@pytest.mark.parametrize("species", ["mouse", "rat", "rhesus_monkey", "dog"])
def test_hed_equals_the_guidance_divisor(species):
    divisor = tr.species_info(species)["hed_divide_by"]
    hed = tr.human_equivalent_dose_mg_per_kg(10.0, species)
    assert hed == pytest.approx(10.0 / divisor, rel=0.03)  # the divisors are rounded to 2 significant digits


def test_mouse_10_mg_per_kg_is_about_0_8_mg_per_kg_in_humans():
    assert tr.human_equivalent_dose_mg_per_kg(10.0, "mouse") == pytest.approx(10.0 * 3 / 37)
    assert tr.human_equivalent_dose_mg_per_kg(10.0, "mouse") == pytest.approx(0.81, abs=0.005)


def test_rodent_doses_are_sourced_and_the_mouse_dose_is_10_mg_per_kg_ip():
    doses = tr.rodent_doses()
    m = doses["mouse_cms"]
    assert (m["species"], m["dose_mg_per_kg"], m["route"], m["source"]) == ("mouse", 10.0, "intraperitoneal", "ma2013")
    for d in doses.values():
        assert d["species"] in tr.species_names() and d["source"]


def test_half_lives_differ_by_more_than_tenfold():
    hl = tr.elimination_half_lives_min()
    assert hl == {"human": 180.0, "mouse": 13.0}
    assert hl["human"] / hl["mouse"] > 10


def test_human_peak_is_linear_in_dose_and_matches_a_direct_simulation():
    import numpy as np

    from ketacourse import pk

    t = np.concatenate([np.arange(0.0, 120.0, 0.25), np.arange(120.0, 481.0, 2.0)])
    direct = pk.simulate("domino1982", pk.infusion(dose_mg_per_kg=0.5, duration_min=40.0), 70.0, t, warn=False)
    assert tr.human_peak_ng_ml(0.5) == pytest.approx(direct.cmax_ng_ml(), rel=1e-9)
    assert tr.human_peak_ng_ml(1.0, "im") == pytest.approx(2 * tr.human_peak_ng_ml(0.5, "im"), rel=1e-12)


def test_naive_mg_per_kg_copy_lands_in_anaesthesia_but_bsa_scaling_does_not():
    bands = load_table("concentration_bands")["bands"]
    naive = tr.human_peak_ng_ml(10.0)
    hed = tr.human_peak_ng_ml(tr.human_equivalent_dose_mg_per_kg(10.0, "mouse"))
    assert naive > bands["anaesthesia"]["high_ng_ml"]
    assert bands["dissociation"]["low_ng_ml"] < hed < bands["anaesthesia"]["low_ng_ml"]


@pytest.mark.parametrize(
    ("call", "msg"),
    [
        (lambda: tr.human_equivalent_dose_mg_per_kg(10.0, "human"), r"^species must be one of 'mouse', 'rat', "),
        (lambda: tr.human_equivalent_dose_mg_per_kg(10.0, "cat"), r"^species must be one of "),
        (lambda: tr.human_equivalent_dose_mg_per_kg(-1.0, "mouse"), r"^dose_mg_per_kg must be a finite number >= 0 and <= 1000 mg/kg; got -1"),
        (lambda: tr.human_peak_ng_ml(1.0, "oral"), r"^route must be one of 'iv_infusion_40', 'im'; got 'oral'"),
        (lambda: tr.human_peak_ng_ml(200.0), r"^dose_mg_per_kg must be a finite number >= 0 and <= 100 mg/kg; got 200"),
        (lambda: tr.species_info("Mouse"), r"^species must be one of "),
    ],
)
def test_bad_input_raises(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
