"""Sphinx extension: lighter, more accessible book pages.

1. No ipywidgets state in the pages.

myst-nb copies a notebook's saved widget state (``metadata.widgets``, every model's state,
including each live figure's PNG) into the page as a ``<script type="application/vnd.jupyter.
widget-state+json">``. The book never renders widget views (it loads no widget JavaScript:
``nb_ipywidgets_js: {}``; readers get the offline scrubbers), so that script is dead weight:
0.3-0.7 MB per chapter page. This extension drops it after each notebook is read.

2. The References list is not an ARIA list. docutils writes ``<div role="list"
class="citation-list">`` around entries whose role is ``doc-biblioentry``, not ``listitem``: a
list without list items (axe-core ``aria-required-children``, critical). The role is dropped.

3. Each inline script once. Jupyter Book 1 registers sphinx-thebe's and sphinx-togglebutton's
inline settings scripts (``const THEBE_JS_URL = …``, ``var togglebuttonSelector = …``) twice: once
through the builder, once again from Sphinx's registry, where the file name ``None`` became ``""``, so
Sphinx's own de-duplication misses them and the second ``const`` threw "Identifier 'THEBE_JS_URL'
has already been declared" on every page. Each page's ``script_files`` keeps the first of equal
scripts (same file, attributes and body) (:func:`unique_scripts`).

Enabled in ``_config.yml`` under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

STATE_KEY = "ipywidgets_state"  # myst_nb.core.render.NbElementRenderer.render_nb_finalise


def _drop_widget_state(app, doctree) -> None:
    pages = getattr(app.env, "nb_metadata", None) or {}
    js_files = pages.get(app.env.docname, {}).get("js_files", {})
    js_files.pop(STATE_KEY, None)


def _plain_citation_list(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if isinstance(body, str) and 'role="list" class="citation-list"' in body:
        context["body"] = body.replace('<div role="list" class="citation-list">', '<div class="citation-list">')


def unique_scripts(scripts: list) -> list:
    """``scripts`` (Sphinx's ``script_files``: ``_JavaScript`` objects or plain file names) without
    repeats: a script equal to an earlier one in its file name (``None`` and ``""`` both meaning an
    inline script) and attributes, its inline body included, is dropped."""
    seen, out = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", {}) or {}
        key = (getattr(js, "filename", js) or "", tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        out.append(js)
    return out


def _unique_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = unique_scripts(scripts)


def setup(app):
    app.connect("doctree-read", _drop_widget_state)
    app.connect("html-page-context", _plain_citation_list)
    app.connect("html-page-context", _unique_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
