"""NMDA receptor occupancy: Hill–Langmuir, competing ligands, free vs total concentration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse import receptor
from ketacourse.data import load_table

KETAMINE_MW = 13 * 12.011 + 16 * 1.008 + 35.45 + 14.007 + 15.999  # 237.727 g/mol, by hand


# ----------------------------------------------------------------------------- Hill–Langmuir
@pytest.mark.parametrize("ki", [0.05, 0.3, 1.4, 46.0])
@pytest.mark.parametrize("hill", [0.5, 1.0, 2.0])
def test_half_occupancy_at_ki(ki, hill):
    assert receptor.occupancy(ki, ki, hill) == pytest.approx(0.5, abs=1e-15)


@pytest.mark.parametrize("hill", [0.7, 1.0, 1.8, 3.0])
def test_hill_langmuir_closed_form(hill):
    ki = 0.5
    c = np.array([0.0, 0.01, 0.1, 0.5, 1.0, 5.0, 100.0])
    expected = c**hill / (c**hill + ki**hill)
    got = receptor.occupancy(c, ki, hill)
    assert isinstance(got, np.ndarray) and got.shape == c.shape
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)
    assert receptor.occupancy(0.0, ki, hill) == 0.0


def test_occupancy_is_monotonic_and_bounded():
    c = np.logspace(-4, 4, 400)
    occ = receptor.occupancy(c, 0.5)
    assert np.all(np.diff(occ) > 0)
    assert np.all((occ > 0) & (occ < 1))
    # steeper Hill slope: lower occupancy below Ki, higher above
    assert receptor.occupancy(0.25, 0.5, 2.0) < receptor.occupancy(0.25, 0.5, 1.0)
    assert receptor.occupancy(1.0, 0.5, 2.0) > receptor.occupancy(1.0, 0.5, 1.0)


@pytest.mark.parametrize("hill", [0.6, 1.0, 2.5])
def test_concentration_for_occupancy_inverts_occupancy(hill):
    occ = np.array([0.0, 0.1, 0.5, 0.9, 0.99])
    c = receptor.concentration_for_occupancy(occ, 0.3, hill)
    np.testing.assert_allclose(receptor.occupancy(c, 0.3, hill), occ, rtol=1e-12, atol=1e-15)
    # and the other way round
    conc = np.array([0.01, 0.3, 7.0])
    np.testing.assert_allclose(
        receptor.concentration_for_occupancy(receptor.occupancy(conc, 0.3, hill), 0.3, hill), conc, rtol=1e-10
    )
    # 90% occupancy needs 9 x Ki for simple binding
    assert receptor.concentration_for_occupancy(0.9, 0.3) == pytest.approx(2.7, rel=1e-12)


# ----------------------------------------------------------------------------- mixtures
def test_racemate_of_ebert_enantiomers_behaves_as_single_ligand_ki_0_49():
    """Ebert 1997: S-ketamine Ki 0.3 µM, R-ketamine Ki 1.4 µM (ebert1997); a 1:1 mixture of two competing
    ligands acts like one ligand with Ki = 1/(0.5/0.3 + 0.5/1.4) = 0.494 µM (derived, docs/source-checks.md)."""
    ki_eff = 1.0 / (0.5 / 0.3 + 0.5 / 1.4)
    assert ki_eff == pytest.approx(0.49, abs=0.005)
    total = np.array([0.0, 0.05, 0.2, 0.494, 1.0, 10.0])
    mix = receptor.mixture_occupancy([total / 2, total / 2], [0.3, 1.4])
    np.testing.assert_allclose(mix, receptor.occupancy(total, ki_eff), rtol=1e-13)
    # the table's enantiomer values are Ebert's
    assert receptor.ligand_info("esketamine")["ki_um"] == 0.3
    assert receptor.ligand_info("arketamine")["ki_um"] == 1.4
    # and the table's racemic Ki (kapur2002, 0.5 µM) agrees with the derived 0.494 within 2%
    assert receptor.ligand_info("ketamine")["ki_um"] == pytest.approx(ki_eff, rel=0.02)


def test_racemic_norketamine_ki_is_the_mixture_of_ebert_enantiomers():
    """Table racemic norketamine Ki 3.0 µM (flag D) = 1/(0.5/1.7 + 0.5/13) from ebert1997, within 1%."""
    s, r = receptor.ligand_info("s_norketamine")["ki_um"], receptor.ligand_info("r_norketamine")["ki_um"]
    assert (s, r) == (1.7, 13.0)
    derived = 1.0 / (0.5 / s + 0.5 / r)
    info = receptor.ligand_info("norketamine")
    assert info["flag"] == "D"
    assert info["ki_um"] == pytest.approx(derived, rel=0.01)


def test_mixture_of_one_ligand_equals_occupancy_and_adds_competitors():
    c = np.linspace(0, 5, 11)
    np.testing.assert_allclose(receptor.mixture_occupancy([c], [0.7]), receptor.occupancy(c, 0.7), rtol=1e-14)
    # two identical ligands at c/2 each are the same as one at c
    np.testing.assert_allclose(receptor.mixture_occupancy([c / 2, c / 2], [0.7, 0.7]), receptor.occupancy(c, 0.7))
    # a competitor only ever adds occupancy
    assert receptor.mixture_occupancy([1.0, 1.0], [1.0, 13.0]) > receptor.occupancy(1.0, 1.0)


# ----------------------------------------------------------------------------- plasma → occupancy
def test_fraction_unbound_default_is_one_minus_dayton_binding():
    """Dayton 1983: bound 'as much as 47%' → free fraction 0.53 (dayton1983)."""
    assert load_table("affinities")["plasma_binding"]["ketamine"]["fraction_bound"] == 0.47
    assert receptor.fraction_unbound() == pytest.approx(0.53, abs=1e-12)


def test_free_concentration():
    assert receptor.free_concentration(100.0) == pytest.approx(53.0)
    assert receptor.free_concentration(100.0, 1.0) == 100.0
    np.testing.assert_allclose(receptor.free_concentration([10.0, 20.0], 0.5), [5.0, 10.0])


@pytest.mark.parametrize("conc", [10.0, 185.0, 1200.0])
def test_occupancy_from_plasma_equals_hand_computation(conc):
    """ng/mL → µM via the molar mass → × free fraction 0.53 → Hill–Langmuir with the table Ki."""
    free_um = conc / KETAMINE_MW * 0.53
    expected = free_um / (free_um + 0.5)
    assert receptor.occupancy_from_plasma(conc) == pytest.approx(expected, rel=1e-9)
    free_es = conc / KETAMINE_MW * 0.6
    assert receptor.occupancy_from_plasma(conc, "esketamine", fraction_unbound_=0.6) == pytest.approx(
        free_es / (free_es + 0.3), rel=1e-9
    )


def test_occupancy_from_plasma_uses_each_ligands_molar_mass():
    nk_mw = 12 * 12.011 + 14 * 1.008 + 35.45 + 14.007 + 15.999
    hnk_mw = nk_mw + 15.999
    free = 500.0 / nk_mw * 0.53
    assert receptor.occupancy_from_plasma(500.0, "norketamine") == pytest.approx(free / (free + 3.0), rel=1e-9)
    free = 500.0 / hnk_mw * 0.53
    assert receptor.occupancy_from_plasma(500.0, "hnk_2r6r") == pytest.approx(free / (free + 46.0), rel=1e-9)


def test_antidepressant_peak_occupancy_is_about_half():
    """Zanos 2018 Table 1: 185 ng/mL after 0.5 mg/kg over 40 min (zanos2018); with Ki 0.5 µM (kapur2002)
    and fu 0.53 about 45% of receptors are occupied (hand computation: 0.4125/(0.4125+0.5))."""
    assert receptor.occupancy_from_plasma(185.0) == pytest.approx(0.452, abs=0.002)


def test_ligand_ordering_at_any_concentration():
    order = ["esketamine", "ketamine", "arketamine", "norketamine", "hnk_2r6r"]
    conc = np.logspace(-1, 4, 60)
    curves = np.array([receptor.occupancy_from_plasma(conc, lig) for lig in order])
    assert np.all(np.diff(curves, axis=0) < 0), "occupancy order must be es > racemic > ar > norketamine > HNK"


def test_ligand_info_has_sourced_positive_ki():
    for lig in receptor.LIGANDS:
        info = receptor.ligand_info(lig)
        assert info["ki_um"] > 0 and info["source"] and info["flag"] in "PLSD"
        assert info["molecule"] in ("ketamine", "norketamine", "hnk")
    # a copy: changing it does not change the table
    receptor.ligand_info("ketamine")["ki_um"] = 99.0
    assert receptor.ligand_info("ketamine")["ki_um"] == 0.5


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, "1", None, [0.1, -1.0]])
def test_bad_concentration(bad):
    with pytest.raises(ValueError, match=r"^conc_um must be a finite number >= 0 µmol/L; got "):
        receptor.occupancy(bad, 0.5)
    with pytest.raises(ValueError, match=r"^conc_ng_ml must be a finite number >= 0 ng/mL; got "):
        receptor.occupancy_from_plasma(bad)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_bad_ki_and_hill(bad):
    with pytest.raises(ValueError, match=r"^ki_um must be a finite number > 0 µmol/L; got "):
        receptor.occupancy(1.0, bad)
    with pytest.raises(ValueError, match=r"^ki_um must be a finite number > 0 µmol/L; got "):
        receptor.concentration_for_occupancy(0.5, bad)
    with pytest.raises(ValueError, match=r"^hill must be a finite number > 0; got "):
        receptor.occupancy(1.0, 0.5, bad)
    with pytest.raises(ValueError, match=r"^kis_um\[1\] must be a finite number > 0 µmol/L; got "):
        receptor.mixture_occupancy([1.0, 1.0], [0.3, bad])


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, math.nan])
def test_bad_occupancy_target(bad):
    with pytest.raises(ValueError, match=r"^occ must be a finite number >= 0 and < 1; got "):
        receptor.concentration_for_occupancy(bad, 0.5)


@pytest.mark.parametrize("bad", ["Ketamine", "s-ketamine", "", None])
def test_unknown_ligand_lists_allowed_ligands(bad):
    allowed = ", ".join(repr(x) for x in receptor.LIGANDS)
    with pytest.raises(ValueError, match=r"^ligand must be one of ") as err:
        receptor.occupancy_from_plasma(100.0, bad)
    assert allowed in str(err.value)
    for lig in ("ketamine", "esketamine", "arketamine", "norketamine", "hnk_2r6r"):
        assert repr(lig) in str(err.value)
    with pytest.raises(ValueError, match=r"^ligand must be one of 'ketamine'"):
        receptor.ligand_info(bad)


@pytest.mark.parametrize("bad", [0.0, -0.2, 1.01, math.nan])
def test_bad_fraction_unbound(bad):
    with pytest.raises(ValueError, match=r"^fraction_unbound must be a finite number > 0 and <= 1; got "):
        receptor.occupancy_from_plasma(100.0, fraction_unbound_=bad)
    with pytest.raises(ValueError, match=r"^fraction_unbound must be a finite number > 0 and <= 1; got "):
        receptor.free_concentration(100.0, bad)


def test_mixture_mismatched_lengths_and_bad_concentration():
    with pytest.raises(ValueError, match=r"^concs_um and kis_um must have the same length; got 2 and 3"):
        receptor.mixture_occupancy([1.0, 2.0], [0.3, 1.4, 2.0])
    with pytest.raises(ValueError, match=r"^concs_um\[0\] must be a finite number >= 0 µmol/L; got -1"):
        receptor.mixture_occupancy([-1.0, 2.0], [0.3, 1.4])


# ----------------------------------------------------------------------------- published alternatives
def test_racemate_effective_ki_matches_mixture_formula():
    """1/(0.5/0.3 + 0.5/1.4) = 0.494 µM (ebert1997, derived) and 1/(0.5/1.7 + 0.5/13) = 3.007 µM."""
    assert receptor.racemate_effective_ki_um(0.3, 1.4) == pytest.approx(0.49412, rel=1e-4)
    assert receptor.racemate_effective_ki_um(1.7, 13.0) == pytest.approx(3.0068, rel=1e-4)
    assert receptor.racemate_effective_ki_um(0.7, 0.7) == pytest.approx(0.7)
    k = receptor.racemate_effective_ki_um(0.3, 1.4)
    c = np.array([0.1, 1.0, 10.0])
    np.testing.assert_allclose(receptor.occupancy(c, k), receptor.mixture_occupancy([c / 2, c / 2], [0.3, 1.4]))
    with pytest.raises(ValueError, match=r"^ki_a_um must be a finite number > 0 µmol/L; got 0"):
        receptor.racemate_effective_ki_um(0.0, 1.4)
    with pytest.raises(ValueError, match=r"^ki_b_um must be a finite number > 0 µmol/L; got nan"):
        receptor.racemate_effective_ki_um(0.3, math.nan)


def test_alternative_racemic_ketamine_kis_span_the_published_range():
    """0.119 µM (salat2015, primary abstract), 0.5 µM (kapur2002), 3.1 µM (seeman2005): a 26-fold spread."""
    alts = receptor.alternative_kis("ketamine")
    by_source = {a["source"]: a["ki_um"] for a in alts}
    assert by_source == {"salat2015": 0.119, "kapur2002": 0.5, "seeman2005": 3.1}
    assert {a["source"]: a["flag"] for a in alts}["salat2015"] == "P"
    assert by_source["kapur2002"] == receptor.ligand_info("ketamine")["ki_um"]
    assert receptor.alternative_kis("hnk_2r6r") == []
    alts[0]["ki_um"] = -1.0
    assert all(a["ki_um"] > 0 for a in receptor.alternative_kis("ketamine")), "returns copies"
    with pytest.raises(ValueError, match=r"^ligand must be one of 'ketamine'"):
        receptor.alternative_kis("racemic")


def test_other_target_affinities_are_the_published_values():
    """hirota1999 µ pKi 4.38 (41.7 µM), κ 4.55 (28.2 µM); nishimura1998 NET 66.8, DAT 62.9 µM;
    coates2001 α7 IC50 20 µM; kapur2002 D2High 0.5 µM (contested, can2016)."""
    kis = receptor.other_target_kis_um()
    values = sorted(kis.values())
    expected = sorted([10 ** (6 - 4.38), 10 ** (6 - 4.55), 66.8, 62.9, 20.0, 0.5])
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    for label in kis:
        assert isinstance(label, str) and label
    # all but the contested D2 value are far above the NMDA receptor Ki
    nmda = receptor.ligand_info("ketamine")["ki_um"]
    assert sum(k > 30 * nmda for k in kis.values()) == len(kis) - 1
