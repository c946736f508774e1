"""Every page of the built book has unique element ids (issue 23).

sphinx-exercise gave every exercise's content section the id ``exercise-content`` (and every
solution's ``solution-content``): up to 14 copies on one chapter page, invalid HTML that axe's
duplicate-id rules (deprecated in recent axe-core, so not reported by ``test_book_a11y``) flag and
that breaks ``#fragment`` links and ``aria-*`` references. ``ketacourse_tools.sphinx_solutions``
gives each its exercise's own id plus ``-content``. This reads every HTML page of the build, not only
the toc pages, and needs no browser.
"""

from __future__ import annotations

import collections
import html.parser

import pytest

pytestmark = pytest.mark.browser


class _Ids(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        ident = dict(attrs).get("id")
        if ident is not None:
            self.ids.append(ident)


def duplicate_ids(text: str) -> dict[str, int]:
    """Ids that occur more than once in the HTML ``text``, with their counts."""
    parser = _Ids()
    parser.feed(text)
    parser.close()
    return {i: n for i, n in collections.Counter(parser.ids).items() if n > 1}


def test_duplicate_ids_detects_a_repeat():
    assert duplicate_ids('<div id="a"><p id="b"></p><section id=a></section></div>') == {"a": 2}
    assert duplicate_ids('<div id="a-content"></div><div id="b-content"></div>') == {}


def test_every_built_page_has_unique_ids(built_book):
    built_book.require_ok()
    pages = [p for p in sorted(built_book.html.rglob("*.html")) if "_static" not in p.parts]
    assert len(pages) >= 10, f"expected the book's pages, found {len(pages)}"
    exercises = 0
    problems = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        exercises += text.count('class="exercise admonition"')
        dup = duplicate_ids(text)
        if dup:
            problems.append(f"{page.relative_to(built_book.html)}: {dup}")
    assert exercises >= 10, f"expected sphinx-exercise boxes in the book, found {exercises}"
    assert not problems, "pages with repeated element ids:\n" + "\n".join(problems)
