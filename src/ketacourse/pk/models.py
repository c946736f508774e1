"""Published parameter sets (``data/pk_models.toml``) loaded into model objects.

A :class:`PKModel` knows its metadata (source, enantiomer, sampling site, population, validity
ranges) and turns a body weight (and age) into *typical* primary parameters in litres and
litres per minute: ``v1, cl, q2, v2, q3, v3`` for the parent drug, ``nk_*`` for the metabolite
(norketamine), ``qh, vh, kel, kmet`` for the hepatic first-pass structure, and ``ke0`` for the
effect site. Between-patient variability (:meth:`PKModel.iiv_blocks`) is applied to those
primary parameters by :mod:`ketacourse.pk.population`.

Units: volumes L, clearances L/min, rate constants 1/min, weights kg, ages years.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from ..data import load_table
from ..validation import check_choice, check_real
from .regimen import ROUTES

__all__ = [
    "PKModel",
    "ModelValidityWarning",
    "IIVBlock",
    "get_model",
    "list_models",
    "model_keys",
    "default_ke0_per_min",
]

_PER_H = 1.0 / 60.0  # convert 1/h or L/h to 1/min or L/min


class ModelValidityWarning(UserWarning):
    """A simulation uses a model outside the age or weight range it was built from."""


@dataclass(frozen=True)
class IIVBlock:
    """One block of log-normal between-patient variability.

    Attributes
    ----------
    parameters : tuple of str
        Primary parameter names (for example ``("v1", "cl")``).
    omega2 : numpy.ndarray
        Covariance matrix of the log-scale random effects (unitless), shape ``(p, p)``.
    scale : str
        ``"log"`` (parameter = typical x exp(eta)) or ``"logit"`` (logit(parameter) + eta).
    source, flag, note : str
        Where the values come from.
    """

    parameters: tuple[str, ...]
    omega2: np.ndarray
    scale: str
    source: str
    flag: str
    note: str = ""


@dataclass(frozen=True)
class PKModel:
    """A published ketamine/esketamine parameter set.

    Use :func:`get_model` to obtain one; the raw TOML entry is kept in :attr:`entry`.
    """

    key: str
    entry: dict[str, Any] = field(repr=False)

    # -- metadata ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.entry["name"]

    @property
    def source(self) -> str:
        """Bibtex key of the primary reference."""
        return self.entry["source"]

    @property
    def flag(self) -> str:
        return self.entry["flag"]

    @property
    def enantiomer(self) -> str:
        """``"racemic"`` or ``"S"``."""
        return self.entry["enantiomer"]

    @property
    def sampling_site(self) -> str:
        """``"arterial"``, ``"venous"`` or ``"not recorded"``."""
        return self.entry["sampling_site"]

    @property
    def structure(self) -> str:
        """``"mammillary"`` or ``"hepatic"`` (hepato-portal first-pass compartment)."""
        return self.entry["structure"]

    @property
    def weight_scaling(self) -> str:
        """``"per_kg"``, ``"allometric"`` or ``"fixed"``."""
        return self.entry["weight_scaling"]

    @property
    def has_metabolite(self) -> bool:
        """Whether the set includes norketamine (noresketamine) parameters."""
        return "metabolite" in self.entry

    @property
    def metabolite_name(self) -> str | None:
        return self.entry["metabolite"]["name"] if self.has_metabolite else None

    @property
    def n_compartments(self) -> int:
        """Number of parent-drug disposition compartments (hepatic compartment not counted)."""
        p = self.entry["parameters"]
        if self.structure == "hepatic":
            return 3
        return 1 + sum(1 for k in ("k12_per_min", "v2_l") if k in p) + sum(
            1 for k in ("k13_per_min", "v3_l") if k in p
        )

    @property
    def supported_routes(self) -> tuple[str, ...]:
        """Routes this model can simulate."""
        return tuple(self.entry.get("supported_routes", ROUTES))

    @property
    def validity(self) -> dict[str, float]:
        """Age (years) and weight (kg) ranges of the source population, where known."""
        keys = ("age_min_years", "age_max_years", "weight_min_kg", "weight_max_kg")
        return {k: float(self.entry[k]) for k in keys if k in self.entry}

    def info(self) -> dict[str, Any]:
        """Metadata as a plain dict (used by :func:`list_models`)."""
        e = self.entry
        return {
            "key": self.key,
            "name": self.name,
            "enantiomer": self.enantiomer,
            "sampling_site": self.sampling_site,
            "population": e["population"],
            "compartments": self.n_compartments,
            "metabolite": self.metabolite_name,
            "weight_scaling": self.weight_scaling,
            "source": self.source,
            "doi": e.get("doi"),
            "pmid": e.get("pmid"),
            "flag": self.flag,
            "transcription": e.get("transcription"),
            "validity": self.validity,
            "routes": self.supported_routes,
        }

    # -- validity ------------------------------------------------------------------------------
    def warn_if_outside(self, weight_kg: float, age_years: float | None) -> list[str]:
        """Warn (``ModelValidityWarning``) when weight or age is outside the studied range.

        Returns the warning messages (also emitted with :func:`warnings.warn`).
        """
        v = self.validity
        msgs = []
        lo, hi = v.get("weight_min_kg"), v.get("weight_max_kg")
        if (lo is not None and weight_kg < lo) or (hi is not None and weight_kg > hi):
            msgs.append(
                f"weight_kg={weight_kg:g} is outside the range of the {self.key} population "
                f"({lo if lo is not None else '-'} to {hi if hi is not None else '-'} kg)"
            )
        if age_years is not None:
            lo, hi = v.get("age_min_years"), v.get("age_max_years")
            if (lo is not None and age_years < lo) or (hi is not None and age_years > hi):
                msgs.append(
                    f"age_years={age_years:g} is outside the range of the {self.key} population "
                    f"({lo if lo is not None else '-'} to {hi if hi is not None else '-'} years)"
                )
        for m in msgs:
            warnings.warn(m, ModelValidityWarning, stacklevel=3)
        return msgs

    # -- parameters ----------------------------------------------------------------------------
    def typical_parameters(self, weight_kg: float, age_years: float | None = None) -> dict[str, float]:
        """Typical-value primary parameters for one patient.

        Parameters
        ----------
        weight_kg : float
            Total body weight in kg (> 0).
        age_years : float, optional
            Age in years; only the Perez-Ruixo model uses it (hepatic blood flow falls after 60).
            ``None`` means "60 or younger" for that model.

        Returns
        -------
        dict
            Volumes in L (``v1``, ``v2``, ...), clearances in L/min (``cl``, ``q2``, ...),
            rate constants in 1/min (``kel``, ``kmet``), ``fm`` (unitless), and the same with an
            ``nk_`` prefix for the metabolite.
        """
        w = check_real("weight_kg", weight_kg, low=0, low_open=True, high=350, unit="kg")
        p = self.entry["parameters"]
        out: dict[str, float] = {}
        if self.structure == "hepatic":
            age = 0.0 if age_years is None else float(age_years)
            qh = p["qh_l_per_h"] - p["qh_age_slope_l_per_h_per_year"] * max(0.0, age - p["qh_age_threshold_years"])
            out.update(
                v1=p["vc_l"], q2=p["q1_l_per_h"] * _PER_H, v2=p["vp1_l"], q3=p["q2_l_per_h"] * _PER_H,
                v3=p["vp2_l"], qh=qh * _PER_H, vh=p["vh_l"], kel=p["kel_per_h"] * _PER_H,
                kmet=p["kmet_per_h"] * _PER_H,
            )
            m = self.entry["metabolite"]
            out.update(nk_v1=m["vc_l"], nk_cl=m["cl_l_per_h"] * _PER_H, nk_v2=m["vp_l"], nk_q2=m["q_l_per_h"] * _PER_H)
            return out
        if self.weight_scaling == "per_kg":
            v1 = p["v1_l_per_kg"] * w
            out["v1"] = v1
            out["cl"] = v1 * p["k10_per_min"]
            for i in (2, 3):
                if f"k1{i}_per_min" in p:
                    q = v1 * p[f"k1{i}_per_min"]
                    out[f"q{i}"] = q
                    out[f"v{i}"] = q / p[f"k{i}1_per_min"]
        else:
            for name in ("v1", "v2", "v3"):
                if f"{name}_l" in p:
                    out[name] = p[f"{name}_l"]
            out["cl"] = p["cl_l_per_h"] * _PER_H
            for i in (2, 3):
                if f"q{i}_l_per_h" in p:
                    out[f"q{i}"] = p[f"q{i}_l_per_h"] * _PER_H
        if self.has_metabolite:
            m = self.entry["metabolite"]
            out["fm"] = m.get("fm", 1.0)
            out["nk_v1"] = m["v1_l"]
            out["nk_cl"] = m["cl_l_per_h"] * _PER_H
            if "v2_l" in m:
                out["nk_v2"] = m["v2_l"]
                out["nk_q2"] = m["q2_l_per_h"] * _PER_H
        if self.weight_scaling == "allometric":
            a = self.entry["allometry"]
            ratio = w / a["reference_weight_kg"]
            for name in a["scaled"]:
                base = name.removeprefix("nk_")
                exponent = a["volume_exponent"] if base.startswith("v") else a["clearance_exponent"]
                out[name] = out[name] * ratio**exponent
        return out

    @property
    def presystemic_fm(self) -> float:
        """Fraction of the non-bioavailable part of an enteral/transmucosal dose that appears as
        metabolite during first pass (0 when the model has no such step)."""
        pre = self.entry.get("presystemic")
        return float(pre["fm_presystemic"]) if pre else 0.0

    def iiv_blocks(self) -> list[IIVBlock]:
        """Between-patient variability blocks, as published or as documented borrowings."""
        blocks = []
        for b in self.entry.get("iiv", []):
            params = tuple(b["parameters"])
            if "omega2" in b:
                om = np.asarray(b["omega2"], dtype=float)
            else:
                cv = np.asarray(b["cv_percent"], dtype=float) / 100.0
                om = np.diag(np.log1p(cv**2))
            blocks.append(IIVBlock(params, om, "log", b["source"], b["flag"], b.get("note", "")))
        lg = self.entry.get("iiv_logit")
        if lg:
            sd = np.asarray(lg["sd"], dtype=float)
            blocks.append(IIVBlock(tuple(lg["parameters"]), np.diag(sd**2), "logit", lg["source"], lg["flag"], lg.get("note", "")))
        return blocks

    def clearance_l_per_h(self, weight_kg: float = 70.0) -> float:
        """Total plasma clearance of the parent drug (L/h) at ``weight_kg``.

        For the hepatic structure this is the well-stirred ``Qh * E``.
        """
        p = self.typical_parameters(weight_kg)
        if self.structure == "hepatic":
            cl_int = p["vh"] * (p["kel"] + p["kmet"])
            return p["qh"] * cl_int / (p["qh"] + cl_int) * 60.0
        return p["cl"] * 60.0

    def vss_l(self, weight_kg: float = 70.0) -> float:
        """Steady-state volume of distribution of the parent drug (L) at ``weight_kg``.

        Sum of the compartment volumes; for the hepatic structure the liver volume is counted
        scaled by its steady-state concentration ratio to plasma ``Qh / (Qh + CLint)``.
        """
        p = self.typical_parameters(weight_kg)
        v = p["v1"] + p.get("v2", 0.0) + p.get("v3", 0.0)
        if self.structure == "hepatic":
            cl_int = p["vh"] * (p["kel"] + p["kmet"])
            v += p["vh"] * p["qh"] / (p["qh"] + cl_int)
        return v


@cache
def _table() -> dict[str, Any]:
    return load_table("pk_models")


def model_keys() -> tuple[str, ...]:
    """Keys of all shipped parameter sets (for example ``"domino1982"``)."""
    return tuple(_table()["models"])


@cache
def get_model(key: str) -> PKModel:
    """Return the parameter set ``key``.

    Raises
    ------
    ValueError
        If no model has that key (the message lists the allowed keys).
    """
    check_choice("model", key, model_keys())
    return PKModel(key, _table()["models"][key])


def list_models() -> list[dict[str, Any]]:
    """All shipped models with their sources, enantiomer, sampling site and validity range.

    Returns
    -------
    list of dict
        One dict per model (keys: ``key, name, enantiomer, sampling_site, population,
        compartments, metabolite, weight_scaling, source, doi, pmid, flag, transcription,
        validity, routes``).
    """
    return [get_model(k).info() for k in model_keys()]


def default_ke0_per_min() -> float:
    """Default effect-site rate constant (1/min): ln 2 / 6.1 min (Olofsen 2012)."""
    return math.log(2.0) / float(_table()["effect_site"]["t_half_ke0_min"])
