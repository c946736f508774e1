"""Sphinx extension: the book's own address, derived from ``_config.yml``'s repository URL.

Sets ``html_baseurl`` (canonical links) and two MyST substitutions the pages can use:
``{{ book_url }}`` (the address as text) and ``{{ book_link }}`` (the same as a link). So the
landing page says where the book lives without a second copy of the address.

Enabled in ``_config.yml`` under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

from pathlib import Path

from .site import book_url


def _set_address(app, config) -> None:
    url = book_url(Path(app.confdir) / "_config.yml") if (Path(app.confdir) / "_config.yml").exists() else book_url()
    if not config.html_baseurl:
        config.html_baseurl = url
    subs = dict(getattr(config, "myst_substitutions", None) or {})
    subs.setdefault("book_url", url)
    subs.setdefault("book_link", f"[{url}]({url})")
    config.myst_substitutions = subs


def setup(app):
    app.connect("config-inited", _set_address, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
