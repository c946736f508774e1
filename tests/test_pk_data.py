"""The PK data tables: provenance on every number, derivations reproducible, API listing."""

from __future__ import annotations

import numpy as np
import pytest

from ketacourse import pk
from ketacourse.data import iter_sourced_entries, load_table



@pytest.mark.parametrize("table", ["pk_models", "routes"])
def test_source_keys_follow_the_bibtex_key_convention(table):
    """Provenance of every number is checked for all tables in test_data_sources.py; PK keys
    also follow the lowercase surname+year convention."""
    keys = {e["source"] for _, e in iter_sourced_entries(load_table(table))}
    assert keys and all(k == k.lower() and k[-4:].isdigit() for k in keys), keys


def test_models_have_required_metadata():
    required = {"name", "enantiomer", "sampling_site", "population", "structure", "weight_scaling", "source", "flag"}
    for info in pk.list_models():
        entry = pk.get_model(info["key"]).entry
        assert required <= set(entry), info["key"]
        assert info["enantiomer"] in {"racemic", "S"}
        assert info["sampling_site"] in {"arterial", "venous", "not recorded"}
        assert info["weight_scaling"] in {"per_kg", "allometric", "fixed"}
        assert info["doi"] or info["pmid"], info["key"]
        if entry["flag"] == "S":
            assert entry.get("transcription"), f"{info['key']}: secondary transcription not named"
    keys = [m["key"] for m in pk.list_models()]
    for k in ("domino1982", "clements1981", "hijazi2003", "fanta2015", "perezruixo2021", "sherwin2015"):
        assert k in keys


def test_stored_ka_values_follow_the_documented_tmax_method():
    """Every stored ka in routes.toml equals ka_from_tmax(its Tmax) with Kamp 2020's k (flag D).

    These one-compartment values are only the documented fallback; simulations fit ka to each
    model's own Tmax at run time (tests/test_pk_routes.py).
    """
    table = load_table("routes")
    k = table["ka_from_tmax"]["clearance_l_per_h"] / table["ka_from_tmax"]["volume_l"] / 60
    assert table["ka_from_tmax"]["k_per_min"] == pytest.approx(k, rel=1e-4)
    for route, spec in table["routes"].items():
        for name, s in spec["sets"].items():
            a = s["absorption"]
            assert a["flag"] == "D"
            assert a["ka_per_min"] == pytest.approx(pk.ka_from_tmax(a["tmax_min"]), rel=1e-4), (route, name)
            t = a["tmax_min"]
            ka = a["ka_per_min"]
            assert np.log(ka / k) / (ka - k) == pytest.approx(t, rel=1e-4)


def test_route_defaults_exist_and_bioavailability_in_range():
    for route in pk.ROUTES[1:]:
        rs = pk.route_set(route)
        assert 0 < rs["bioavailability"] <= 1
        assert rs["name"] in pk.route_set_names(route)


def test_clements_v1_check_recorded():
    """The dossier flagged Clements V1 1.7522 L/kg: the data must say what was found."""
    note = pk.get_model("clements1981").entry["note"]
    assert "1.7522" in note and "could not be retrieved" in note
