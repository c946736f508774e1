"""Sphinx extension: worked solutions that are not page text until the learner opens them, and
exercises numbered per chapter.

1. Solutions out of the page text.

sphinx-exercise writes each solution (``:::{solution-start}`` … ``:::{solution-end}``, or
``:::{solution}``) as ``<div class="solution dropdown admonition">``, and only the toggle-button
script hides it: a reader view, a printout, a text browser or find-in-page shows every worked
solution. This extension keeps each solution's title ("Solution to Exercise 3 (…)") and replaces
its content by

- a real ``<button>`` ("Open the worked solution", ``aria-expanded``, ``aria-controls``), so it can be
  opened by keyboard and by screen-reader users;
- an empty, hidden ``<div class="kc-solution-body">`` holding the rendered solution *encoded*
  (base64 of its HTML) in the attribute :data:`DATA_ATTR`: attributes are not page text, so
  ``innerText``, reader views and print show nothing of it. ``kc-solutions.js`` decodes it into the
  page when the button is pressed, and removes it again when it is pressed a second time;
- a ``<noscript>`` note saying where the solutions are without JavaScript (the chapter's notebook).

``kc-solutions.css`` keeps an opened solution out of print. The same is done for each self-check
option's feedback ("Correct. …"): decoded when the option is opened (:func:`encode_selfcheck_feedback`).

2. Exercises numbered per chapter.

Sphinx numbers enumerable nodes (figures, tables, sphinx-exercise's exercises) across the whole
book when the chapters are not section-numbered, so Chapter 3's first exercise was "Exercise 24"
while the notebook and the instructor's answer key count from 1 in every chapter. After Sphinx has
assigned the numbers, this extension renumbers the exercises of each page 1, 2, … in page order
(the order of the exercise directives in the notebook: :func:`ketacourse_tools.chapter_format.exercise_numbers`).

3. The page's notebook download without check verdicts.

The ".ipynb" download button serves ``_sources/<page>.ipynb``, a copy of the notebook the book was
built from, whose check cells may store the master's "✓ … correct" verdict with the expected value.
After the build, every check cell in those copies gets the neutral "no answer yet" output
(:func:`ketacourse_tools.student.neutral_check_outputs`).

4. One id per element.

sphinx-exercise gives the content section of every exercise the same id, ``exercise-content``
(and of every solution ``solution-content``), so a chapter page held that id up to 14 times
(invalid HTML; axe's ``duplicate-id`` rules). After the doctree is resolved, each such section takes
its exercise's (or solution's) own id plus ``-content`` (:func:`unique_content_ids`); nothing links
to or styles the fixed ids.

Enabled in ``_config.yml`` under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["DATA_ATTR", "FEEDBACK_ATTR", "encode_selfcheck_feedback", "BUTTON_OPEN", "BUTTON_CLOSE", "NOSCRIPT", "encode_solutions", "decode_solution",
           "renumber_exercises_per_page", "SHARED_CONTENT_IDS", "unique_content_ids"]

DATA_ATTR = "data-kc-solution"
"""The attribute that holds a solution's HTML, base64-encoded (UTF-8)."""
FEEDBACK_ATTR = "data-kc-feedback"
"""The attribute that holds a self-check option's feedback, base64-encoded (UTF-8)."""
BUTTON_OPEN = "Open the worked solution"
BUTTON_CLOSE = "Close the worked solution"
NOSCRIPT = ("The worked solution opens with JavaScript. Without it, read it in this chapter's notebook "
            "(the download button at the top of the page, or the chapters folder of the course repository).")
EXERCISE_FIGTYPE = "exercise"
"""sphinx-exercise's enumerable node type."""

_STATIC = Path(__file__).parent / "static"


class _DivScanner(HTMLParser):
    """Finds, in an HTML fragment, each ``<div>`` whose classes include ``solution`` and
    ``admonition`` (sphinx-exercise's solution box): its start tag span, the end of its title
    paragraph and the start of its closing ``</div>`` (character offsets)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._lines = [0]
        for m in re.finditer("\n", text):
            self._lines.append(m.end())
        self.found: list[dict] = []
        self._stack: list[tuple[str, dict | None]] = []  # open divs and p's: (tag, solution record or None)
        self._text = text

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._lines[line - 1] + col

    def handle_starttag(self, tag, attrs):
        if tag not in ("div", "p"):
            return
        start = self._offset()
        record = None
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "solution" in classes and "admonition" in classes:
            record = {"start": start, "start_end": start + len(self.get_starttag_text()),
                      "attrs": attrs, "title_end": None, "end": None}
        elif tag == "p" and "admonition-title" in classes:
            parent = next((r for t, r in reversed(self._stack) if t == "div"), None)
            if parent is not None and parent["title_end"] is None:
                record = {"title_of": parent}
        self._stack.append((tag, record))

    def handle_endtag(self, tag):
        if tag not in ("div", "p"):
            return
        while self._stack:
            open_tag, record = self._stack.pop()
            if open_tag == tag:
                break
        else:
            return
        if record is None:
            return
        end = self._offset()
        if "title_of" in record:
            record["title_of"]["title_end"] = end + len("</p>")
        else:
            record["end"] = end
            self.found.append(record)


def _solution_number(n: int) -> str:
    return f"kc-solution-{n}"


def encode_solutions(body: str) -> tuple[str, int]:
    """``body`` with each solution's content replaced by the button, the encoded content and the
    no-script note; returns the new HTML and the number of solutions encoded. Nested solutions are
    not expected (sphinx-exercise does not nest them); an inner one would be encoded with its parent."""
    scanner = _DivScanner(body)
    scanner.feed(body)
    scanner.close()
    found = sorted((r for r in scanner.found if r["end"] is not None), key=lambda r: r["start"])
    outer, last_end = [], -1
    for r in found:
        if r["start"] >= last_end:
            outer.append(r)
            last_end = r["end"]
    out, pos = [], 0
    for n, r in enumerate(outer, 1):
        content_start = r["title_end"] or r["start_end"]
        content = body[content_start:r["end"]]
        attrs = []
        for name, value in r["attrs"]:
            if name == "class":
                classes = [c for c in (value or "").split() if c not in ("dropdown", "toggle")]
                value = " ".join(classes + ["kc-solution"])
            attrs.append(f' {name}="{html.escape(value or "", quote=True)}"' if value is not None else f" {name}")
        ident = _solution_number(n)
        encoded = base64.b64encode(content.encode("utf-8")).decode("ascii")
        out += [body[pos:r["start"]], f"<div{''.join(attrs)}>", body[r["start_end"]:content_start],
                f'\n<button type="button" class="kc-solution-toggle" aria-expanded="false" aria-controls="{ident}">'
                f"{BUTTON_OPEN}</button>\n",
                f'<noscript><p class="kc-solution-noscript">{html.escape(NOSCRIPT)}</p></noscript>\n',
                f'<div class="kc-solution-body" id="{ident}" hidden {DATA_ATTR}="{encoded}"></div>\n']
        pos = r["end"]
    out.append(body[pos:])
    return "".join(out), len(outer)


_OPTION = re.compile(r'(<details class="kc-option"[^>]*>\s*<summary\b.*?</summary>)(.*?)(</details>)', re.DOTALL)


def encode_selfcheck_feedback(body: str) -> tuple[str, int]:
    """``body`` with each self-check option's feedback ("Correct. …", "Not quite. …", the
    ``<details class="kc-option">`` content after its ``<summary>``) kept only encoded in
    :data:`FEEDBACK_ATTR`; the script decodes it when the option is opened, so a closed option's verdict
    is not page text (find-in-page, reader views). Returns the new HTML and the number of options."""
    n = 0

    def encode(m: re.Match) -> str:
        nonlocal n
        n += 1
        encoded = base64.b64encode(m.group(2).encode("utf-8")).decode("ascii")
        return f'{m.group(1)}<div class="kc-option-feedback" {FEEDBACK_ATTR}="{encoded}"></div>{m.group(3)}'

    return _OPTION.sub(encode, body), n


def decode_solution(encoded: str) -> str:
    """The HTML a solution's :data:`DATA_ATTR` holds (what the script puts into the page)."""
    return base64.b64decode(encoded).decode("utf-8")


# ----------------------------------------------------------------------------- Sphinx hooks
def _encode(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if isinstance(body, str) and "solution" in body:
        body, _n = encode_solutions(body)
    if isinstance(body, str) and "kc-option" in body:
        body, _n = encode_selfcheck_feedback(body)
    if isinstance(body, str):
        context["body"] = body


def renumber_exercises_per_page(fignumbers: dict[str, dict[str, dict[str, tuple]]],
                                figtype: str = EXERCISE_FIGTYPE) -> list[str]:
    """Renumber, in place, the ``figtype`` entries of each page of Sphinx's ``env.toc_fignumbers``
    as 1, 2, … in their current (page) order; returns the pages whose numbers changed."""
    changed = []
    for docname, types in fignumbers.items():
        numbers = types.get(figtype)
        if not numbers:
            continue
        ordered = sorted(numbers, key=lambda ident: numbers[ident])
        new = {ident: (k,) for k, ident in enumerate(ordered, 1)}
        if new != numbers:
            types[figtype] = new
            changed.append(docname)
    return changed


def _renumber(app, env) -> list[str]:
    if not getattr(env.config, "numfig", False):
        return []
    return renumber_exercises_per_page(env.toc_fignumbers)


SHARED_CONTENT_IDS = ("exercise-content", "solution-content")
"""The ids sphinx-exercise gives every exercise's (solution's) content section."""


def unique_content_ids(doctree) -> int:
    """Give each section of ``doctree`` with one of :data:`SHARED_CONTENT_IDS` a page-unique id: its
    exercise's or solution's first id + ``-content`` (else the fixed id + a running number).
    Returns the number of sections renamed."""
    from docutils import nodes

    taken = set()
    for node in doctree.findall(nodes.Element):
        taken.update(node.get("ids", []))
    renamed = 0
    for section in doctree.findall(nodes.section):
        shared = [i for i in section["ids"] if i in SHARED_CONTENT_IDS]
        if not shared:
            continue
        owner = section.parent.get("ids", []) if isinstance(section.parent, nodes.Element) else []
        base = f"{owner[0]}-content" if owner else shared[0]
        new, k = base, 1
        while new in taken:
            k += 1
            new = f"{base}-{k}"
        taken.add(new)
        section["ids"] = [new if i in SHARED_CONTENT_IDS else i for i in section["ids"]]
        renamed += 1
    return renamed


def _unique_ids(app, doctree, docname) -> None:
    unique_content_ids(doctree)


def _clean_downloads(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    import nbformat

    from .student import neutral_check_outputs

    for path in sorted((Path(app.outdir) / "_sources").rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if neutral_check_outputs(nb):
            nbformat.write(nb, path)


def _static_path(app, config) -> None:
    config.html_static_path = [*config.html_static_path, str(_STATIC)]


def setup(app):
    app.connect("config-inited", _static_path)
    app.add_js_file("kc-solutions.js", defer="defer")
    app.add_css_file("kc-solutions.css")
    # after Sphinx's TocTreeCollector has assigned the numbers (priority 500)
    app.connect("env-get-updated", _renumber, priority=900)
    app.connect("doctree-resolved", _unique_ids)
    app.connect("html-page-context", _encode)
    app.connect("build-finished", _clean_downloads)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
