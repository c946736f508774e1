"""Molar masses and salt/base conversions against the product labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketacourse import units
from ketacourse.data import load_table


def test_molecules_are_the_table_entries():
    assert set(units.MOLECULES) == set(load_table("molecules")["molecules"])
    assert {"ketamine", "ketamine_hcl", "norketamine", "hnk"} <= set(units.MOLECULES)


def test_ketamine_hcl_molar_mass_matches_labels():
    """Esketamine/ketamine hydrochloride C13H16ClNO·HCl, MW 274.2 g/mol (janssen2025, parnd)."""
    assert units.molar_mass_g_mol("ketamine_hcl") == pytest.approx(274.2, abs=0.05)
    label = load_table("molecules")["molecules"]["ketamine_hcl"]["label_molar_mass_g_mol"]
    assert units.molar_mass_g_mol("ketamine_hcl") == pytest.approx(label, abs=0.05)


def test_ketamine_base_molar_mass_matches_monograph():
    """Free base C13H16ClNO, 237.73 g/mol (parnd entry; GSRS 237.725)."""
    assert units.molar_mass_g_mol("ketamine") == pytest.approx(237.73, abs=0.01)
    label = load_table("molecules")["molecules"]["ketamine"]["label_molar_mass_g_mol"]
    assert units.molar_mass_g_mol("ketamine") == pytest.approx(label, abs=0.01)


def test_molar_masses_equal_hand_sums_of_atomic_weights():
    """Conventional atomic weights C 12.011, H 1.008, Cl 35.45, N 14.007, O 15.999 (prohaska2022)."""
    c, h, cl, n, o = 12.011, 1.008, 35.45, 14.007, 15.999
    expected = {
        "ketamine": 13 * c + 16 * h + cl + n + o,
        "ketamine_hcl": 13 * c + 17 * h + 2 * cl + n + o,
        "norketamine": 12 * c + 14 * h + cl + n + o,
        "hnk": 12 * c + 14 * h + cl + n + 2 * o,
    }
    for molecule, mw in expected.items():
        assert units.molar_mass_g_mol(molecule) == pytest.approx(mw, rel=1e-12), molecule
    # the salt is the base plus exactly one HCl
    assert units.molar_mass_g_mol("ketamine_hcl") - units.molar_mass_g_mol("ketamine") == pytest.approx(h + cl)


def test_one_micromolar_ketamine_is_237_7_ng_per_ml():
    assert units.umol_l_to_ng_ml(1.0) == pytest.approx(237.7, abs=0.05)
    assert units.ng_ml_to_umol_l(237.727) == pytest.approx(1.0, rel=1e-5)
    # zero stays zero
    assert units.ng_ml_to_umol_l(0.0) == 0.0


def test_molar_conversion_round_trip_for_every_molecule():
    for molecule in units.MOLECULES:
        for c in (0.1, 185.0, 2400.0):
            back = units.umol_l_to_ng_ml(units.ng_ml_to_umol_l(c, molecule), molecule)
            assert back == pytest.approx(c, rel=1e-12), molecule


def test_salt_to_base_factor():
    assert units.SALT_TO_BASE == pytest.approx(237.727 / 274.185, rel=1e-5)
    assert units.salt_to_base_mg(274.185) == pytest.approx(237.727, rel=1e-5)


def test_salt_base_salt_round_trip():
    for dose in (0.0, 0.5, 35.0, 500.0):
        assert units.base_to_salt_mg(units.salt_to_base_mg(dose)) == pytest.approx(dose, rel=1e-12)
        assert units.salt_to_base_mg(units.base_to_salt_mg(dose)) == pytest.approx(dose, rel=1e-12)


def test_ten_mg_base_is_11_53_mg_hydrochloride():
    """Ketalar labels doses as base: 10 mg base = 11.53 mg ketamine HCl (parnd, dossier)."""
    assert units.base_to_salt_mg(10.0) == pytest.approx(11.53, abs=0.01)


def test_spravato_device_28_mg_base_is_32_3_mg_hydrochloride():
    """One Spravato device: 32.3 mg esketamine HCl equivalent to 28 mg esketamine (janssen2025)."""
    assert units.base_to_salt_mg(28.0) == pytest.approx(32.3, abs=0.05)
    assert units.salt_to_base_mg(32.3) == pytest.approx(28.0, abs=0.05)


def test_conversions_are_vectorised_elementwise():
    doses = np.array([0.0, 10.0, 28.0, 56.0, 84.0])
    salt = units.base_to_salt_mg(doses)
    assert isinstance(salt, np.ndarray) and salt.shape == doses.shape
    np.testing.assert_allclose(salt, [units.base_to_salt_mg(float(d)) for d in doses], rtol=1e-15)
    base = units.salt_to_base_mg(list(salt))
    assert isinstance(base, np.ndarray)
    np.testing.assert_allclose(base, doses, rtol=1e-12, atol=1e-12)
    conc = np.array([[70.0, 160.0], [1200.0, 2400.0]])
    um = units.ng_ml_to_umol_l(conc)
    assert um.shape == (2, 2)
    np.testing.assert_allclose(um, conc / 237.727, rtol=1e-6)
    np.testing.assert_allclose(units.umol_l_to_ng_ml(um), conc, rtol=1e-12)


@pytest.mark.parametrize(
    ("func", "arg", "unit"),
    [
        (units.ng_ml_to_umol_l, "conc_ng_ml", "ng/mL"),
        (units.umol_l_to_ng_ml, "conc_umol_l", "µmol/L"),
        (units.salt_to_base_mg, "dose_salt_mg", "mg"),
        (units.base_to_salt_mg, "dose_base_mg", "mg"),
    ],
)
@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "ten", True, [1.0, -0.5]])
def test_bad_amounts_raise_naming_argument_and_bound(func, arg, unit, bad):
    with pytest.raises(ValueError, match=rf"^{arg} must be a finite number >= 0 {unit}; got "):
        func(bad)


@pytest.mark.parametrize("bad", ["Ketamine", "esketamine", "", None, 3])
def test_unknown_molecule_lists_allowed(bad):
    with pytest.raises(ValueError, match=r"^molecule must be one of 'ketamine', 'ketamine_hcl', .*'norketamine'"):
        units.molar_mass_g_mol(bad)
    with pytest.raises(ValueError, match=r"^molecule must be one of"):
        units.ng_ml_to_umol_l(100.0, bad)


def test_pki_to_ki():
    """Hirota 1999: µ pKi 4.38, κ 4.55, δ 3.57 → Ki ≈ 42, 28, 270 µM (hirota1999; docs/source-checks.md §6)."""
    np.testing.assert_allclose(units.pki_to_ki_um([4.38, 4.55, 3.57]), [41.7, 28.2, 269.2], rtol=2e-3)
    assert units.pki_to_ki_um(6.0) == pytest.approx(1.0, rel=1e-15)
    assert units.pki_to_ki_um(9.0) == pytest.approx(1e-3, rel=1e-12)


@pytest.mark.parametrize("bad", [-0.1, 14.5, math.nan, "7"])
def test_bad_pki(bad):
    with pytest.raises(ValueError, match=r"^pki must be a finite number >= 0 and <= 14; got "):
        units.pki_to_ki_um(bad)
