"""Where the course lives: the repository URL from ``_config.yml`` and the address of the book.

``_config.yml``'s ``repository.url`` is the one setting that says where the course lives. The
published book's address is derived from it (GitHub Pages serves ``github.com/OWNER/REPO`` at
``https://OWNER.github.io/REPO/``), unless ``KETACOURSE_BOOK_URL`` names another host (for a
book published with ``make publish``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
"""The course checkout this package was installed from (``tools/`` sits at its top)."""

_GITHUB = re.compile(r"^https://github\.com/(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+?)/?$")


def repository_url(config_path: Path | None = None) -> str:
    """The repository URL set in ``_config.yml`` (``repository.url``)."""
    path = Path(config_path) if config_path is not None else REPO / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        url = str(config["repository"]["url"]).rstrip("/")
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: no repository.url set") from exc
    return url


def book_url(config_path: Path | None = None) -> str:
    """The address of the published book, ending in ``/``.

    ``KETACOURSE_BOOK_URL`` wins when set; otherwise the GitHub Pages address of
    :func:`repository_url`.
    """
    override = os.environ.get("KETACOURSE_BOOK_URL", "").strip()
    if override:
        if not re.match(r"^https?://", override):
            raise ValueError(f"KETACOURSE_BOOK_URL must start with http:// or https://, got {override!r}")
        return override.rstrip("/") + "/"
    url = repository_url(config_path)
    match = _GITHUB.match(url)
    if match is None:
        raise ValueError(
            f"repository.url {url!r} is not a github.com repository, so the book's address cannot be "
            "derived: set KETACOURSE_BOOK_URL")
    owner, name = match["owner"], match["name"]
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{name.lower()}/"
    return f"https://{owner.lower()}.github.io/{name}/"
