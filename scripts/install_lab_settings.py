"""Install the course's JupyterLab settings into the Python environment that runs JupyterLab.

Run by ``make venv`` and by ``binder/postBuild`` (so Binder and a JupyterHub image built from
``binder/`` get them too), or by hand for any environment::

    python scripts/install_lab_settings.py          # into sys.prefix of this Python

What it installs, so that a plain ``jupyter lab`` from that environment behaves like ``make lab``:

- ``<prefix>/share/jupyter/lab/settings/overrides.json`` (JupyterLab's default settings folder):
  the keys of ``scripts/lab-settings/overrides.json`` merged into what is already there. Among
  them ``windowingMode: "none"``: with JupyterLab's default windowed notebook, jupyterlab-myst
  2.7 re-renders every markdown cell of a chapter with math tens of times a second while the
  learner only reads (the rendered height changes, the window is laid out again, the cells are
  re-rendered: a loop; jupyterlab-myst issues 96 and 243), which starves the page and eats clicks.
- ``<jupyter_server>/static/custom/custom.css`` (the environment's own ``custom`` folder, which
  jupyter_server serves after the user's ``~/.jupyter/custom``): ``scripts/lab-custom/custom.css``.
- ``<prefix>/etc/jupyter/jupyter_lab_config.json`` (merged): ``LabApp.custom_css = true`` so that
  JupyterLab loads that stylesheet (JupyterLab reads no ``jupyter_lab_config.d`` folder).

Idempotent: running it again changes nothing. Nothing is written outside the environment.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OVERRIDES = HERE / "lab-settings" / "overrides.json"
CUSTOM_CSS = HERE / "lab-custom" / "custom.css"


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def install(prefix: Path | None = None, static_dir: Path | None = None) -> list[Path]:
    """Install into ``prefix`` (default ``sys.prefix``); return the files written or changed.

    ``static_dir`` is jupyter_server's static folder (default: the installed package's).
    """
    prefix = Path(sys.prefix if prefix is None else prefix)
    if static_dir is None:
        import jupyter_server  # the server that will serve the stylesheet

        static_dir = Path(jupyter_server.__file__).parent / "static"
    changed = []
    settings = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    current = json.loads(settings.read_text()) if settings.exists() else {}
    merged = _merge(current, json.loads(OVERRIDES.read_text()))
    if _write_if_changed(settings, json.dumps(merged, indent=2, sort_keys=True) + "\n"):
        changed.append(settings)
    css = Path(static_dir) / "custom" / "custom.css"
    if _write_if_changed(css, CUSTOM_CSS.read_text()):
        changed.append(css)
    conf = prefix / "etc" / "jupyter" / "jupyter_lab_config.json"
    current = json.loads(conf.read_text()) if conf.exists() else {}
    merged = _merge(current, {"LabApp": {"custom_css": True}})
    if _write_if_changed(conf, json.dumps(merged, indent=2, sort_keys=True) + "\n"):
        changed.append(conf)
    return changed


if __name__ == "__main__":
    for path in install():
        print(f"installed {path}")
