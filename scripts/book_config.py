"""Write a copy of _config.yml with a JupyterHub address for the launch button.

The book's launch buttons all derive from ``repository.url`` in ``_config.yml``; the JupyterHub
button also needs the address of *your* hub, which no public default can supply. ``make book
HUB_URL=https://hub.example.edu`` calls this script and builds with the copy, so the book gets a
JupyterHub button whose nbgitpuller link pulls this repository into that hub.

Usage: python scripts/book_config.py HUB_URL SOURCE_CONFIG OUTPUT_CONFIG
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    hub_url, source, output = argv
    parsed = urlparse(hub_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        print(f"HUB_URL must be an http(s) address such as https://hub.example.edu; got {hub_url!r}", file=sys.stderr)
        return 2
    config = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    config.setdefault("launch_buttons", {})["jupyterhub_url"] = hub_url.rstrip("/")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"Wrote {output} with launch_buttons.jupyterhub_url = {hub_url.rstrip('/')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
