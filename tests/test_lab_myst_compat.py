"""``jupyter labextension list`` flags jupyterlab-myst as incompatible (issue 23): docs/jupyterlab-myst.md
says this is version metadata only (the extension declares ``@jupyter/ydoc`` ^3, JupyterLab 4.6 ^4,
but the extension never loads ``@jupyter/ydoc`` at run time). This test keeps that statement true for
the installed versions: the ranges conflict as documented, and no file the extension ships names
``@jupyter/ydoc``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAB_EXT = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-myst"
LAB_CORE = Path(sys.prefix) / "share" / "jupyter" / "lab" / "static" / "package.json"
DOC = REPO / "docs" / "jupyterlab-myst.md"


def _major(spec: str) -> int:
    return int(spec.lstrip("^~>=<").split(".")[0])


def test_ydoc_conflict_is_metadata_only():
    ext = json.loads((LAB_EXT / "package.json").read_text(encoding="utf-8"))
    core = json.loads(LAB_CORE.read_text(encoding="utf-8"))
    ext_range = ext["dependencies"]["@jupyter/ydoc"]
    core_range = core["resolutions"].get("@jupyter/ydoc") or core["dependencies"]["@jupyter/ydoc"]
    assert _major(ext_range) != _major(core_range), (
        f"jupyterlab-myst {ext['version']} now declares @jupyter/ydoc {ext_range}, matching JupyterLab's "
        f"{core_range}: the 'X' in `jupyter labextension list` should be gone; update {DOC.name}")
    scripts = sorted((LAB_EXT / "static").glob("*.js"))
    assert len(scripts) >= 5, f"expected the extension's bundle in {LAB_EXT / 'static'}"
    naming = [p.name for p in scripts if "@jupyter/ydoc" in p.read_text(encoding="utf-8", errors="replace")]
    assert not naming, (f"jupyterlab-myst {ext['version']} loads @jupyter/ydoc at run time ({naming}); "
                        f"the range conflict with JupyterLab ({core_range} vs {ext_range}) may be real")
    doc = DOC.read_text(encoding="utf-8")
    assert f"jupyterlab-myst {ext['version']}" in doc and "@jupyter/ydoc" in doc
