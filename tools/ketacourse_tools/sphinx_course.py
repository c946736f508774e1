"""Sphinx extension: what the book's pages take from ``_toc.yml`` and ``_config.yml`` at build time.

**The repository URL.** ``{{ repository_url }}`` anywhere in a Markdown page (code blocks and link
targets included) becomes ``repository.url`` of ``_config.yml``, so the pages never hard-code it.

**The landing page's chapter list.**

``chapters/index.md`` holds a fenced block of one-line summaries keyed by notebook stem::

    ```{chapter-list}
    01-nmda-receptor: the receptor, its magnesium block, ...
    ```

Before the page is parsed, this extension replaces the block with the list the reader sees: one
``### caption`` per toc part that holds chapters, and under it ``N. [title](stem.ipynb): summary``
for each chapter, in toc order, numbered and titled from the notebooks themselves
(:func:`ketacourse_tools.course.chapters`). A chapter added to ``_toc.yml`` appears on the landing
page with no edit here (with its title only until it has a summary); a summary for a stem that is
not a chapter in ``_toc.yml`` is a build warning (an error under ``-W``).

Enabled in ``_config.yml`` under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

from .course import chapters, repository_url

logger = logging.getLogger(__name__)

BLOCK = re.compile(r"^(?P<fence>`{3,}|:{3,})\{chapter-list\}[ \t]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)


def parse_summaries(body: str) -> dict[str, str]:
    """``{stem: summary}`` from the block's lines ``stem: summary`` (continuation lines indented)."""
    out: dict[str, str] = {}
    key = None
    for line in body.splitlines():
        if not line.strip():
            continue
        m = re.match(r"^(\S+):\s*(.*)$", line)
        if m and not line[0].isspace():
            key = m.group(1)
            out[key] = m.group(2).strip()
        elif key is not None:
            out[key] = f"{out[key]} {line.strip()}".strip()
        else:
            raise ValueError(f"chapter-list line must read 'stem: summary'; got {line!r}")
    return out


def chapter_list(root: Path, summaries: dict[str, str], page_dir: Path) -> tuple[str, list[str]]:
    """The Markdown of the chapter list and the summary keys that name no chapter of ``_toc.yml``."""
    lines: list[str] = []
    part = None
    found = chapters(root)
    for c in found:
        if c.part != part:
            part = c.part
            lines += [f"### {part}", ""] if part else []
        link = Path(c.rel).relative_to(page_dir.relative_to(root)) if c.path.is_relative_to(page_dir) else c.rel
        summary = summaries.get(c.stem, "")
        lines.append(f"{c.number}. [{c.title or c.stem}]({link}){': ' + summary if summary else ''}")
        # a new part starts a new list: a blank line after the last item of each part
        nxt = found[found.index(c) + 1] if found.index(c) + 1 < len(found) else None
        if nxt is None or nxt.part != part:
            lines.append("")
    unknown = sorted(set(summaries) - {c.stem for c in found})
    return "\n".join(lines), unknown


URL_PLACEHOLDER = "{{ repository_url }}"


def _source_read(app, docname: str, source: list[str]) -> None:
    text = source[0]
    if URL_PLACEHOLDER in text:
        text = source[0] = text.replace(URL_PLACEHOLDER, repository_url(app.srcdir))
    m = BLOCK.search(text)
    if m is None:
        return
    root = Path(app.srcdir)
    page_dir = (root / docname).parent
    try:
        summaries = parse_summaries(m.group("body"))
    except ValueError as exc:
        logger.warning(str(exc), location=docname)
        summaries = {}
    generated, unknown = chapter_list(root, summaries, page_dir)
    for stem in unknown:
        logger.warning(f"chapter-list: a summary for {stem!r}, which is not a chapter in _toc.yml", location=docname)
    source[0] = text[:m.start()] + generated + text[m.end():]


def setup(app):
    app.connect("source-read", _source_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
