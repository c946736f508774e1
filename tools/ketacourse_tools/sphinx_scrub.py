"""Sphinx extension: the offline scrubbers' phone frames become image files, loaded only on phones.

A widget's stored figure (``ModelWidget.static_html``) carries two sets of precomputed frames: the
desktop frames (embedded, as the page needs them) and the narrow phone frames
(``ketacourse.widgets.phone_layout``), base64 in the ``phone`` entry of its JSON. Embedded, the
phone frames would double the weight of every chapter page on a desktop that never shows them.
This extension writes each phone frame to ``_images/kc-phone/<hash>.png`` and leaves its
address in the JSON; the scrubber's script requests a phone frame only when a phone shows it.

Enabled in ``_config.yml`` under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from docutils import nodes

FOLDER = "kc-phone"
_DATA = re.compile(r'(<script type="application/json" class="kc-data">)(.*?)(</script>)', re.S)


def externalise(html: str, write_png, prefix: str) -> str:
    """``html`` with every scrubber's phone frames replaced by ``prefix + <name>.png`` addresses.

    Parameters
    ----------
    html : str
        A cell output's HTML.
    write_png : callable
        ``write_png(name, data)`` stores one frame's PNG bytes under ``name``.
    prefix : str
        The folder's address relative to the page (``"../_images/kc-phone/"``).
    """
    def one(m: re.Match) -> str:
        data = json.loads(m.group(2))
        phone = data.get("phone")
        if not phone:
            return m.group(0)
        urls = []
        for frame in phone["frames"]:
            if frame.endswith(".png"):  # already a file
                urls.append(frame)
                continue
            png = base64.b64decode(frame)
            name = hashlib.sha256(png).hexdigest()[:20] + ".png"
            write_png(name, png)
            urls.append(prefix + name)
        phone["frames"] = urls
        payload = json.dumps(data, ensure_ascii=True).replace("</", "<\\/")
        return m.group(1) + payload + m.group(3)

    return _DATA.sub(one, html)


def _externalise_doctree(app, doctree, docname: str) -> None:
    if app.builder.format != "html":
        return
    folder = Path(app.outdir) / "_images" / FOLDER
    prefix = "../" * docname.count("/") + f"_images/{FOLDER}/"

    def write_png(name: str, data: bytes) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if not path.is_file():
            path.write_bytes(data)

    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split() or 'class="kc-data"' not in node.astext():
            continue
        text = node.astext()
        new = externalise(text, write_png, prefix)
        if new != text:
            node.replace(node[0], nodes.Text(new))


def setup(app):
    app.connect("doctree-resolved", _externalise_doctree)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
