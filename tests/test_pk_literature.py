"""Each model against published numbers. Misses are asserted explicitly, with the reason.

Tolerances are ours, not the sources'. Sources are bibtex keys in chapters/references.bib.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ketacourse import pk

RACEMIC = [k for k in pk.model_keys() if pk.get_model(k).enantiomer == "racemic"]
T24 = np.arange(0, 24 * 60 + 0.5, 0.5)


def _sim(*a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.ModelValidityWarning)
        return pk.simulate(*a, **k)


# ---- Perez-Ruixo 2021, intranasal esketamine ---------------------------------------------------
TABLE4 = {  # dose mg: (esk Cmax ng/mL, esk AUC0-24 ng*h/mL, noresk Cmax, noresk AUC0-24)
    28: (43.8, 147.3, 59.1, 274.4),
    56: (72.5, 254.7, 119.7, 516.3),
    84: (101.0, 362.2, 180.0, 758.0),
}


@pytest.mark.parametrize("dose", sorted(TABLE4))
def test_perezruixo_table4_esketamine(dose):
    """Perez-Ruixo 2021 (perezruixo2021) Table 4, typical Caucasian 18-60 y, model-based values.

    Whole dose as one event at t = 0 with FRn_eff for N devices (as in the nlmixr2lib vignette).
    Tolerance: 3 % on esketamine Cmax and AUC0-24 and on noresketamine Cmax.
    """
    cmax, auc, nk_cmax, nk_auc = TABLE4[dose]
    r = pk.simulate("perezruixo2021", pk.bolus(float(dose), route="intranasal"), 74, T24, age_years=45)
    assert r.cmax_ng_ml() == pytest.approx(cmax, rel=0.03)
    assert r.auc_ng_min_ml() / 60 == pytest.approx(auc, rel=0.03)
    assert r.cmax_ng_ml("metabolite") == pytest.approx(nk_cmax, rel=0.03)
    # KNOWN MISS: noresketamine AUC0-24 is over-predicted by ~1.4-1.5x. The same happens in the
    # nlmixr2lib implementation of Table 3 (its vignette reports x1.38-1.56); the paper's printed
    # equations contain typos and the apparent (Vcn/F) parameterisation is ambiguous.
    ratio = r.auc_ng_min_ml("metabolite") / 60 / nk_auc
    assert 1.3 < ratio < 1.6


@pytest.mark.parametrize("dose", [28.0, 56.0, 84.0])
def test_spravato_label_tmax_after_last_spray(dose):
    """SPRAVATO label (janssen2025): Tmax 20-40 min after the last spray.

    Devices 5 min apart (label administration instructions). Tolerance: inside 20-40 min.
    """
    reg = pk.nasal_session(dose, interval_min=5.0)
    last = 5.0 * (len(reg) - 1)
    r = pk.simulate("perezruixo2021", reg, 74, np.arange(0, 240, 0.25), age_years=45)
    assert 20.0 <= r.tmax_min() - last <= 40.0


def test_perezruixo_bioavailability_and_disposition():
    """Perez-Ruixo 2021 abstract: absolute F 54 % (56 mg) and 51 % (84 mg); Vss 752 L; CL 114 L/h.

    F from simulated AUC(IN) / AUC(IV) (dose-normalised, to 14 days). Tolerance 1.5 points.
    The SPRAVATO label gives mean F ~48 %: a KNOWN, sourced disagreement (label NCA vs popPK).
    """
    t = np.arange(0, 14 * 24 * 60 + 1, 2.0)
    iv = pk.simulate("perezruixo2021", pk.infusion(dose_mg=28.0, duration_min=40), 74, t, age_years=45)
    for dose, f_pub in ((56.0, 0.54), (84.0, 0.51)):
        nas = pk.simulate("perezruixo2021", pk.bolus(dose, route="intranasal"), 74, t, age_years=45)
        f = nas.auc_ng_min_ml() / iv.auc_ng_min_ml() * 28.0 / dose
        assert f == pytest.approx(f_pub, abs=0.015)
        assert f > 0.48  # label mean F: model value is above it (known disagreement)
    m = pk.get_model("perezruixo2021")
    p = m.typical_parameters(74)
    assert p["v1"] + p["v2"] + p["v3"] == pytest.approx(752.0, abs=0.5)
    # KNOWN MISS: the well-stirred clearance Qh*E from the Table 3 values is 109 L/h, 4.4 % below
    # the abstract's 114 L/h (the abstract's figure may be computed differently, e.g. as a
    # median of individual estimates). Asserted so a transcription change is noticed.
    assert m.clearance_l_per_h() == pytest.approx(109.0, abs=0.1)
    assert 0.94 < m.clearance_l_per_h() / 114.0 < 0.97


# ---- Zanos 2018: 0.5 mg/kg over 40 min --------------------------------------------------------
@pytest.mark.parametrize("key", RACEMIC)
def test_antidepressant_infusion_end_concentration(key):
    """Zanos 2018 (zanos2018) Table 1: 0.5 mg/kg over 40 min gives ~185 ng/mL (attributed to Zarate
    2006); dissociation range 100-250 ng/mL. Target band: 150-250 ng/mL at the end of infusion.

    Dose taken as 0.5 mg/kg of base as printed in Zanos' table (psychiatric papers often mean
    the hydrochloride: that reading gives 13 % lower values; see docs/pk-validation.md).
    """
    r = _sim(key, pk.infusion(dose_mg_per_kg=0.5, duration_min=40), 70, np.arange(0, 121.0), age_years=40)
    c_end = r.conc_ng_ml[40]
    if key == "sherwin2015":
        # KNOWN MISS: a paediatric model (children, small central volume 20.5 L/70 kg) scaled to a
        # 70-kg adult predicts ~320 ng/mL; it is outside its population (and warns).
        assert c_end > 250
    else:
        assert 150 <= c_end <= 250


# ---- Kamp 2020 meta-analysis --------------------------------------------------------------------
KAMP_CL = (69.0, 90.0)  # L/h/70 kg, 95 % CI, weighted mean 79
KAMP_VD = (200.0, 304.0)  # L/70 kg, 95 % CI, weighted mean 252


@pytest.mark.parametrize("key", RACEMIC)
def test_kamp2020_clearance_and_volume(key):
    """Kamp 2020 (kamp2020): CL 79 L/h/70 kg (95 % CI 69-90); Vd 252 L/70 kg (200-304).

    Model CL at 70 kg and Vss (sum of compartment volumes) must lie in the CIs, except the
    known misses asserted below.
    """
    m = pk.get_model(key)
    cl, vss = m.clearance_l_per_h(70), m.vss_l(70)
    if key == "domino1982":
        # KNOWN MISSES: the 1982 TCI set has CL 116 L/h (above the CI) and Vss 193 L (just below).
        # Era, assay and sampling (not recorded) differ from the studies pooled by Kamp.
        assert cl > KAMP_CL[1] and cl == pytest.approx(115.9, abs=0.1)
        assert vss < KAMP_VD[0] and vss == pytest.approx(193.2, abs=0.1)
    elif key == "hijazi2003":
        # KNOWN MISS: critically ill patients with brain/spinal injury have CL 36 mL/min/kg
        # (151 L/h/70 kg), well above healthy-volunteer values (Hijazi 2003 abstract says so).
        assert cl > KAMP_CL[1] and cl == pytest.approx(151.0, abs=0.1)
        assert KAMP_VD[0] <= vss <= KAMP_VD[1]
    else:
        assert KAMP_CL[0] <= cl <= KAMP_CL[1]
        assert KAMP_VD[0] <= vss <= KAMP_VD[1]


# ---- Fanta 2015 --------------------------------------------------------------------------------
def test_fanta_oral_norketamine_ratio_and_clearance():
    """Fanta 2015 (fanta2015) abstract: CL 95 L/h/70 kg; oral F 8 %; NK/K AUC 16.5 after oral dosing.

    The presystemic NK fraction was derived from the 16.5 ratio (flag D), so this checks the
    derivation and the solver, not an independent prediction. Tolerance 1 %.
    """
    m = pk.get_model("fanta2015")
    assert m.clearance_l_per_h(70) == pytest.approx(95.0, rel=0.01)
    t = np.arange(0, 20 * 24 * 60 + 1, 2.0)
    r = pk.simulate(m, pk.bolus(dose_mg_per_kg=0.25, route="oral"), 77, t, age_years=22)
    assert r.auc_ng_min_ml("metabolite") / r.auc_ng_min_ml() == pytest.approx(16.5, rel=0.01)
    iv = pk.simulate(m, pk.bolus(dose_mg_per_kg=0.125), 77, t, age_years=22)
    assert r.auc_ng_min_ml() / iv.auc_ng_min_ml() / 2 == pytest.approx(0.08, rel=1e-3)


def test_hijazi_clearance_matches_abstract():
    """Hijazi 2003 (hijazi2003) abstract: CL 36.0 mL/min/kg; opentiva V1*k10 reproduces it (0.1 %)."""
    m = pk.get_model("hijazi2003")
    assert m.typical_parameters(1.0)["cl"] * 1000 == pytest.approx(36.0, rel=1e-3)


def test_effect_site_default_is_olofsen():
    """Olofsen 2012 (olofsen2012): mean t1/2ke0 6.1 min across endpoints."""
    assert np.log(2) / pk.default_ke0_per_min() == pytest.approx(6.1, rel=1e-12)
