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


def setup(app):
    app.connect("doctree-read", _drop_widget_state)
    app.connect("html-page-context", _plain_citation_list)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
