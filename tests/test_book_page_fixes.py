"""Unit tests of the book's page fixes (issue 23): unique content ids for sphinx-exercise boxes,
each inline script once, MathJax's probe font without about:blank, and the config that declares a
favicon and the theme's starting mode. The built pages are checked in ``tests/browser``."""

from __future__ import annotations

from pathlib import Path

import yaml
from docutils import nodes
from sphinx.builders.html._assets import _JavaScript

from ketacourse_tools.sphinx_mathjax import MATHJAX2_CONFIG
from ketacourse_tools.sphinx_pages import unique_scripts
from ketacourse_tools.sphinx_solutions import SHARED_CONTENT_IDS, unique_content_ids

REPO = Path(__file__).resolve().parents[1]


def _exercise(ident: str, content_id: str = "exercise-content") -> nodes.container:
    box = nodes.container(ids=[ident])
    box += nodes.section(ids=[content_id])
    return box


def test_exercise_content_ids_become_unique():
    doc = nodes.container()
    doc += _exercise("ch3-ex-nnt")
    doc += _exercise("ch3-ex-masked")
    doc += _exercise("ch3-ex-masked-content")  # an id that already exists is not reused
    doc += _exercise("sol-1", "solution-content")
    orphan = nodes.section(ids=["exercise-content"])
    doc += orphan
    assert unique_content_ids(doc) == 5
    ids = [i for node in doc.findall(nodes.section) for i in node["ids"]]
    assert ids == ["ch3-ex-nnt-content", "ch3-ex-masked-content-2", "ch3-ex-masked-content-content",
                   "sol-1-content", "exercise-content-2"]
    assert not set(ids) & set(SHARED_CONTENT_IDS)
    assert unique_content_ids(doc) == 0  # idempotent


def test_repeated_inline_scripts_are_dropped():
    thebe = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript("_static/a.js"), _JavaScript(None, body=thebe), _JavaScript("_static/b.js", defer="defer"),
               _JavaScript("", body=thebe), _JavaScript(None, body="var other = 1"), "_static/a.js"]
    kept = unique_scripts(scripts)
    assert [getattr(s, "attributes", {}).get("body") for s in kept].count(thebe) == 1
    assert len(kept) == 4  # a.js, thebe, b.js, other (the plain "a.js" string repeats the first)


def test_mathjax_probe_font_makes_no_request():
    font = MATHJAX2_CONFIG["HTML-CSS"]["styles"]["@font-face"]
    assert font["font-family"] == "MathJax_Blank"
    assert "about:" not in font["src"] and "url(" not in font["src"]


def test_book_declares_favicon_and_theme_mode():
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    favicon = config["html"]["favicon"]
    assert (REPO / favicon).is_file(), favicon
    assert config["sphinx"]["config"]["html_context"]["default_mode"] in ("auto", "light", "dark")
