"""The built book shows learners no source marker: every page of ``_toc.yml`` except the instructors'
page, as HTML text (tags, scripts and comments removed, folds included, since a reader can open
them), contains no "(computed" (the prose-source checker reads hidden ``<!-- computed ... -->``
markers instead; ``docs/prose-sources.md``). Reuses the session's one book build."""

from __future__ import annotations

import html
import re

import pytest

from .conftest import toc_files

pytestmark = pytest.mark.browser


def visible_text(page_html: str) -> str:
    """The text of an HTML page without scripts, styles, comments and tags (folded content kept)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page_html, flags=re.S | re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def test_visible_text_drops_comments_and_keeps_folds():
    page = "<p>A<!-- computed above --> value</p><details><summary>S</summary>(computed) B</details><script>x='(computed'</script>"
    assert "(computed" in visible_text(page) and visible_text(page).count("(computed") == 1
    assert "computed above" not in visible_text(page)


def test_no_book_page_shows_a_computed_marker(built_book):
    built_book.require_ok()
    leaks = []
    entries = [e for e in toc_files() if not e.endswith("instructors")]
    assert any(e.startswith("chapters/0") for e in entries)
    for entry in entries:
        text = visible_text((built_book.html / f"{entry}.html").read_text(encoding="utf-8", errors="replace"))
        leaks += [f"{entry}: ...{' '.join(text[m.start():m.start() + 70].split())}" for m in re.finditer(r"\(\s*computed", text, re.I)]
    assert not leaks, "\n".join(leaks)
