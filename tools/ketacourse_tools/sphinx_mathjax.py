"""Sphinx extension: serve MathJax from the built book itself, not from a CDN.

Readers of a downloaded or offline copy of the book (and the CI, which has no network) would
otherwise see raw TeX such as ``\\(t_{1/2}\\)``. MathJax 2.7 ships in the PyPI package
``jupyter-server-mathjax``; this extension copies its files to ``_static/mathjax/`` of the HTML
output and points Sphinx's ``mathjax_path`` at them, using the configuration that package ships (TeX input, HTML-CSS output with the STIX-Web fonts it bundles).

Enabled in ``_config.yml`` under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MATHJAX_PATH = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
"""Relative to the output's ``_static`` folder, as Sphinx expects."""


def _mathjax_source() -> Path:
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static"


MATHJAX2_CONFIG = {
    # Sphinx writes inline math as \( \) and display math as \[ \]; MyST marks the page body
    # "tex2jax_ignore" and the math elements with these classes, so only they are processed.
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processClass": "tex2jax_process|mathjax_process|math|output_area",
        "processEscapes": True,
    },
    # The package ships STIX-Web fonts (not MathJax's TeX fonts), as the classic Jupyter
    # Notebook configured it.
    # MathJax_Blank is the fallback font of MathJax's web-font load test; HTML-CSS declares it with
    # src url('about:blank'), which Chromium blocks (a CORS console error and a failed request on
    # every page with math) and so never loads. A local() source that names no installed font
    # fails the same way, silently and without a request.
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None,
                 "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}}},
    "showMathMenu": False,
    "messageStyle": "none",
}


def _configure(app, config) -> None:
    config.mathjax_path = MATHJAX_PATH
    config.mathjax2_config = MATHJAX2_CONFIG


def _copy(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(_mathjax_source(), target, dirs_exist_ok=True)


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("build-finished", _copy)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
