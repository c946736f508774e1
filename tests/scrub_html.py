"""Read a ModelWidget's stored HTML (the offline scrubber) as the book's script and JupyterLab see it.

Shared by the widget tests of every chapter: the stored HTML holds one ``<img>`` (the current frame)
and the other frames as JSON in ``<script type="application/json" class="kc-data">``.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser


class ScrubParser(HTMLParser):
    """The stored HTML: its one ``<img>``, its scripts and the JSON of the precomputed frames."""

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.inputs: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.texts: dict[int, str] = {}
        self._in_script: int | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        elif tag in ("input", "select", "button"):
            self.inputs.append(a)
        elif tag == "script":
            self.scripts.append(a)
            self._in_script = len(self.scripts) - 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self.texts[self._in_script] = self.texts.get(self._in_script, "") + data

    @property
    def data(self) -> dict:
        (k,) = [i for i, s in enumerate(self.scripts) if s.get("type") == "application/json"]
        return json.loads(self.texts[k])

    @property
    def frames(self) -> list[dict[str, str]]:
        """Every frame as the book's script builds it: src and alt, the stored one in its place."""
        d = self.data
        out = []
        for j, (src, alt) in enumerate(zip(d["frames"], d["alts"])):
            if j == d["start"]:
                out.append({"src": self.imgs[0]["src"], "alt": self.imgs[0]["alt"]})
            else:
                out.append({"src": "data:image/png;base64," + src, "alt": alt})
        return out


def scrub_frames(html: str) -> list[dict[str, str]]:
    """Every frame of a stored scrubber (src and alt), in the order of ``scrub.values``."""
    p = ScrubParser()
    p.feed(html)
    return p.frames
