"""scripts/install_lab_settings.py: the course's Lab settings reach every `jupyter lab` of an environment."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install_lab_settings.py"


def _load():
    spec = importlib.util.spec_from_file_location("install_lab_settings", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_install_merges_is_idempotent_and_quiets_the_notebook(tmp_path):
    mod = _load()
    settings = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"other-extension:plugin": {"keep": True}}))
    written = mod.install(prefix=tmp_path, static_dir=tmp_path / "static")
    assert len(written) == 3
    got = json.loads(settings.read_text())
    assert got["other-extension:plugin"] == {"keep": True}  # a site's own settings survive
    assert got["@jupyterlab/notebook-extension:tracker"]["windowingMode"] == "none"
    assert (tmp_path / "static" / "custom" / "custom.css").read_text() == mod.CUSTOM_CSS.read_text()
    conf = json.loads((tmp_path / "etc" / "jupyter" / "jupyter_lab_config.json").read_text())
    assert conf["LabApp"]["custom_css"] is True
    assert mod.install(prefix=tmp_path, static_dir=tmp_path / "static") == []


def test_make_venv_and_binder_install_them():
    assert "scripts/install_lab_settings.py" in (ROOT / "Makefile").read_text()
    assert "python scripts/install_lab_settings.py" in (ROOT / "binder" / "postBuild").read_text()
