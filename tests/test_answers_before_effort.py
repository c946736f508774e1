"""Effort before answers (issue 22): what a learner can read before trying an exercise.

- The notebooks behind the book's launch buttons (``chapters/*.ipynb``, opened from the repository
  with their stored outputs) and the book's ".ipynb" download hold no check verdict and no expected
  value: each check cell stores the neutral "no answer yet" output.
- Worked solutions are not page text until opened: :func:`encode_solutions` keeps only an encoded
  copy in an attribute (the built pages are tested in ``tests/browser/test_answers.py``).
- Exercises are numbered per chapter, alike in the notebook, the book and the instructor's answer key.
- No multiple-choice item is answered by the text above it: no phrase of its right option that the
  wrong options and the question do not share appears earlier in the chapter.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nbformat
import pytest

from ketacourse import exercises
from ketacourse_tools import course
from ketacourse_tools.assignments.build import questions_from_notebook
from ketacourse_tools.assignments.pack import answer_key_md
from ketacourse_tools.chapter_format import CHECK_TAG, SOLUTION_TAG, check_call, exercise_numbers, exercises as ex_of
from ketacourse_tools.chapter_format import tags
from ketacourse_tools.sphinx_solutions import (BUTTON_OPEN, DATA_ATTR, decode_solution, encode_solutions,
                                               renumber_exercises_per_page)
from ketacourse_tools.student import check_verdict_problems, neutral_check_outputs

CHAPTERS = [pytest.param(c.path, id=c.path.stem) for c in course.chapters()]


def load(path):
    return nbformat.read(path, as_version=4)


# ----------------------------------------------------------------------------- stored outputs
@pytest.mark.parametrize("path", CHAPTERS)
def test_launch_button_notebooks_store_no_verdict(path):
    """The notebook Binder, Colab or a hub opens from the repository shows no verdict or expected value
    (``python -m ketacourse_tools.student --clean-checks`` after executing a chapter)."""
    problems = check_verdict_problems(load(path))
    assert not problems, "\n".join(problems)


def _verdict_notebook():
    key = next(k for k in exercises.registered() if isinstance(exercises.get(k), exercises.NumericCheck))
    value = float(exercises.get(key).expected())
    cell = nbformat.v4.new_code_cell(f'check("{key}", answer_x)', execution_count=3)
    cell.metadata["tags"] = [CHECK_TAG, "remove-output"]
    text = f"✓ {key}: correct. About {value:.3g} in this model."
    cell.outputs = [nbformat.v4.new_output("execute_result", execution_count=3,
                                           data={"text/plain": text, "text/html": f"<div>{text}</div>"})]
    return nbformat.v4.new_notebook(cells=[cell]), key, value


def test_neutral_check_outputs_removes_the_verdict_and_keeps_its_status():
    nb, key, value = _verdict_notebook()
    assert any("verdict" in p for p in check_verdict_problems(nb))
    assert any("expected value" in p for p in check_verdict_problems(nb))
    assert neutral_check_outputs(nb) == 1
    cell = nb.cells[0]
    text = str(cell.outputs[0]["data"])
    assert "no answer yet" in text and "✓" not in text and f"{value:.3g}" not in text
    assert cell.metadata["ketacourse"]["master_check"] == "correct"
    assert cell.outputs[0]["execution_count"] == 3
    assert check_verdict_problems(nb) == []
    assert neutral_check_outputs(nb) == 0  # idempotent: a second run changes nothing
    assert cell.metadata["ketacourse"]["master_check"] == "correct"


def test_neutral_check_outputs_records_a_failing_master():
    nb, key, _ = _verdict_notebook()
    nb.cells[0].outputs[0]["data"] = {"text/plain": f"✗ {key}: not yet. Hint 1 of 3"}
    neutral_check_outputs(nb)
    assert nb.cells[0].metadata["ketacourse"]["master_check"] == "incorrect"


# ----------------------------------------------------------------------------- solutions in the page
SOLUTION_HTML = """<p>Before.</p>
<div class="solution dropdown admonition" id="solution-ex-1">
<p class="admonition-title">Solution to<a class="reference internal" href="#ex-1"> Exercise 1 (Title)</a></p>
<section id="solution-content">
<div class="cell"><pre>answer_x = 0.447</pre></div>
<div class="cell_output"><div>nested <div>deeper</div></div><script>var s = "</div>";</script></div>
<p>Because 100 ng/mL is 0.447 µmol/L.</p>
</section>
</div>
<p>After.</p>
<div class="solution dropdown admonition" id="solution-ex-2">
<p class="admonition-title">Solution to<a class="reference internal" href="#ex-2"> Exercise 2 (Essay)</a></p>
<section id="solution-content"><p>Trapping needs open channels.</p></section>
</div>
"""


class _Text(HTMLParser):
    """Page text: character data outside scripts (attributes never count)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def test_encode_solutions_keeps_only_title_button_and_encoded_copy():
    out, n = encode_solutions(SOLUTION_HTML)
    assert n == 2
    text = page_text(out)
    for secret in ("0.447", "answer_x", "Because", "Trapping needs", "nested", "deeper"):
        assert secret not in text, secret
    for kept in ("Before.", "After.", "Solution to Exercise 1 (Title)", "Solution to Exercise 2 (Essay)"):
        assert kept in text, kept
    assert text.count(BUTTON_OPEN) == 2
    assert 'class="solution dropdown' not in out and "kc-solution" in out  # the toggle script leaves it alone
    encoded = re.findall(DATA_ATTR + r'="([^"]+)"', out)
    assert len(encoded) == 2
    first = decode_solution(encoded[0])
    assert "0.447" in first and "deeper" in first and first.count("<div") == first.count("</div>") - 1
    assert "Trapping needs open channels." in decode_solution(encoded[1])
    buttons = re.findall(r'<button type="button" class="kc-solution-toggle" aria-expanded="false" '
                         r'aria-controls="([^"]+)">', out)
    assert buttons == ["kc-solution-1", "kc-solution-2"]
    assert all(f'id="{b}" hidden' in out for b in buttons)
    assert encode_solutions("<p>No solutions here.</p>") == ("<p>No solutions here.</p>", 0)


def test_exercises_are_renumbered_per_page():
    fig = {"ch1": {"exercise": {"a": (1,), "b": (2,)}, "figure": {"f": (1,)}},
           "ch2": {"exercise": {"d": (4,), "c": (3,)}, "figure": {"g": (2,)}}}
    assert renumber_exercises_per_page(fig) == ["ch2"]
    assert fig["ch2"]["exercise"] == {"c": (1,), "d": (2,)} and fig["ch2"]["figure"] == {"g": (2,)}
    assert fig["ch1"]["exercise"] == {"a": (1,), "b": (2,)}


# ----------------------------------------------------------------------------- numbering
@pytest.mark.parametrize("path", CHAPTERS)
def test_answer_key_numbers_exercises_as_the_notebook_does(path):
    nb = load(path)
    numbers = exercise_numbers(nb)
    labels = [label for c in nb.cells if c.cell_type == "markdown" and SOLUTION_TAG not in tags(c)
              for _t, label in ex_of(c.source)]
    assert list(numbers) == labels and list(numbers.values()) == list(range(1, len(labels) + 1))
    questions = questions_from_notebook(nb)
    key = answer_key_md("T", questions, [], numbers)
    headings = re.findall(r"^## Exercise (\d+)\. .*\((\S+)\) —", key, re.MULTILINE)
    assert len(headings) == len(questions)
    for (number, name), q in zip(headings, questions):
        assert name == q.name and int(number) == numbers[q.exercise], (name, number)


# ----------------------------------------------------------------------------- MC items answered above
STOP = set("a an the of to in and or is are be by for on at with as it its this that from than not no into only "
           "their his her was were has have had which who what when how does do can may will would each one two "
           "per so but if then there these those they them you your more most less".split())


def _content_words(text: str) -> list[str]:
    text = re.sub(r"\{[\w:]+\}`([^`<]*?)(?:\s*<[^>]+>)?`", r"\1", text)
    out = []
    for w in re.findall(r"[a-z0-9²⁺µ_]+(?:[-'][a-z0-9]+)*", text.lower()):
        if w in STOP or len(w) < 3:
            continue
        for suffix in ("ing", "es", "s", "ed"):
            if len(w) > 4 and w.endswith(suffix):
                w = w[: -len(suffix)]
                break
        out.append(w)
    return out


def _phrases(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _content_words(text)
    return {tuple(words[k:k + n]) for k in range(len(words) - n + 1)}


def _options(source: str) -> dict[str, str]:
    return {k: " ".join(v.split()) for k, v in re.findall(r"^- \(([a-h])\) (.*(?:\n  .*)*)", source, re.MULTILINE)}


def _earlier_text(nb, index: int) -> str:
    """What a reader has seen before cell ``index``: markdown and code outside the solutions, and the
    stored outputs shown in the book."""
    parts = []
    for cell in nb.cells[:index]:
        if SOLUTION_TAG in tags(cell) or "remove-cell" in tags(cell):
            continue
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        if "remove-output" not in tags(cell):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                text = out.get("text", "") if out.get("output_type") == "stream" else data.get("text/plain", "")
                parts.append(text if isinstance(text, str) else "".join(text))
    return "\n".join(parts)


def choice_items(nb):
    """``(label, question stem, options, right letter, cell index)`` of each multiple-choice exercise."""
    found = []
    checks = {}
    current = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and SOLUTION_TAG not in tags(cell) and ex_of(cell.source):
            current = (ex_of(cell.source)[-1][1], cell.source, i)
        elif cell.cell_type == "code" and CHECK_TAG in tags(cell) and current:
            call = check_call(cell.source)
            item = exercises.get(call[0], None) if call else None
            if isinstance(item, exercises.ChoiceCheck):
                checks[current[0]] = (current, item.answer.lower())
    for label, ((_l, source, i), answer) in checks.items():
        options = _options(source)
        if options:
            stem = source[: source.find("- (a)")] if "- (a)" in source else source
            found.append((label, stem, options, answer, i))
    return found


MIN_OWN_WORDS, SENTENCE_SHARE = 3, 0.5
"""A sentence above an item gives it away when it holds at least half of the words only the right
option uses (counted when the right option has at least three such words)."""


def leaked_phrases(nb) -> dict[str, list[str]]:
    """For each MC item, what in the chapter before it restates its right option: phrases of the right
    option (three content words in a row that neither the question nor a wrong option contains), and
    any one sentence holding at least :data:`SENTENCE_SHARE` of the words only the right option uses."""
    out = {}
    for label, stem, options, answer, i in choice_items(nb):
        own = _phrases(options[answer]) - _phrases(stem)
        own_words = set(_content_words(options[answer])) - set(_content_words(stem))
        for letter, text in options.items():
            if letter != answer:
                own -= _phrases(text)
                own_words -= set(_content_words(text))
        earlier = _earlier_text(nb, i)
        hits = sorted(" ".join(p) for p in own & _phrases(earlier))
        if len(own_words) >= MIN_OWN_WORDS:
            for sentence in re.split(r"(?<=[.!?;:])\s+|\n\s*\n", earlier):
                shared = own_words & set(_content_words(sentence))
                if len(shared) >= SENTENCE_SHARE * len(own_words):
                    hits.append(f"sentence {' '.join(sentence.split())[:100]!r} holds {sorted(shared)}")
        if hits:
            out[label] = hits
    return out


@pytest.mark.parametrize("path", CHAPTERS)
def test_no_choice_item_is_answered_by_the_text_above_it(path):
    nb = load(path)
    assert leaked_phrases(nb) == {}


def test_the_phrase_check_catches_an_item_answered_above():
    """The Chapter 4 item as it was: its right option restated the mechanism paragraph above it."""
    cells = [nbformat.v4.new_markdown_cell(
        "Calcium entering through NMDA and L-type channels opens I_CAN, whose gate closes only over seconds, "
        "so its depolarisation carries over to the next stimulus."),
        nbformat.v4.new_markdown_cell(
            ":::{exercise} Which ingredient makes wind-up?\n:label: ch4-ex-mechanism\n\nWhich statement?\n\n"
            "- (a) AMPA currents add up.\n- (b) The NK1 current builds up.\n"
            "- (c) Calcium entering through NMDA and L-type channels opens a cation current (I_CAN) that closes\n"
            "  only over seconds, so its depolarisation carries over to the next stimulus.\n"
            "- (d) More glutamate is released.\n:::"),
        nbformat.v4.new_code_cell('check("ch4-wind-up-mechanism", answer_mechanism)')]
    cells[-1].metadata["tags"] = [CHECK_TAG]
    nb = nbformat.v4.new_notebook(cells=cells)
    hits = leaked_phrases(nb)
    assert "ch4-ex-mechanism" in hits and any("carri over" in h for h in hits["ch4-ex-mechanism"])
    cells[0].source = "Wind-up was first described in the 1960s."
    assert leaked_phrases(nb) == {}


def test_the_sentence_check_catches_a_paraphrased_answer():
    """The Chapter 5 item as it was: a sentence above said what the test was built for."""
    cells = [nbformat.v4.new_markdown_cell(
        "Animal models are judged by three kinds of validity. The forced swim test was built for predictive "
        "validity, by selecting a behaviour that known antidepressants change."),
        nbformat.v4.new_markdown_cell(
            ":::{exercise} What kind of validity?\n:label: ch5-ex-fst\n\nThe forced swim test was chosen because "
            "known antidepressants shorten immobility in it. Which kind of validity does that give it?\n\n"
            "- (a) face validity: floating looks like human depression;\n"
            "- (b) construct validity: it shares the cause and mechanism of depression;\n"
            "- (c) predictive validity, for drugs similar to those it was built on;\n"
            "- (d) validity as a model of depression, proven by ketamine's effect in it.\n:::"),
        nbformat.v4.new_code_cell('check("ch5-fst-validity", answer_fst)')]
    cells[-1].metadata["tags"] = [CHECK_TAG]
    nb = nbformat.v4.new_notebook(cells=cells)
    assert any("built for predictive" in h for h in leaked_phrases(nb).get("ch5-ex-fst", []))
    cells[0].source = "Animal models are judged by three kinds of validity."
    assert leaked_phrases(nb) == {}


def test_the_book_build_cleans_its_notebook_downloads(tmp_path):
    """``sphinx_solutions`` rewrites the ``_sources`` copies after the build (the download button's file),
    so a book built from freshly executed chapters still offers notebooks without verdicts."""
    from types import SimpleNamespace

    from ketacourse_tools import sphinx_solutions

    nb, _key, _value = _verdict_notebook()
    target = tmp_path / "_sources" / "chapters" / "01-x.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    sphinx_solutions._clean_downloads(app, None)
    assert check_verdict_problems(nbformat.read(target, as_version=4)) == []


def test_selfcheck_feedback_is_encoded_until_opened():
    from ketacourse_tools.sphinx_solutions import FEEDBACK_ATTR, encode_selfcheck_feedback

    option = ('<li><details class="kc-option"><summary>(a) {s}</summary><p style="margin:0">{f}</p></details></li>')
    body = ('<div class="kc-selfcheck"><p>Q?</p><ul>' + option.format(s="One", f="Correct. Because.")
            + option.format(s="Two", f="Not quite. Look again.") + "</ul></div>")
    out, n = encode_selfcheck_feedback(body)
    assert n == 2
    text = page_text(out)
    assert "(a) One" in text and "(a) Two" in text and "Correct" not in text and "Not quite" not in text
    encoded = re.findall(FEEDBACK_ATTR + r'="([^"]+)"', out)
    assert [decode_solution(e) for e in encoded] == ['<p style="margin:0">Correct. Because.</p>',
                                                      '<p style="margin:0">Not quite. Look again.</p>']
