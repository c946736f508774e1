"""The built book, read without a kernel, in headless Chromium.

The book is built once per session (``built_book``) and served from a local HTTP server thread
(``book_server``). Every request that leaves 127.0.0.1 is recorded and aborted, so each page is
read exactly as an offline reader (or a CI runner without network) gets it.

Checks: a build with zero warnings; every toc page loads without unexpected JavaScript errors
(short ALLOWLIST below, documented in README.md) and without failed local requests; no widget
JavaScript from any CDN; every widget output shows an image with alt text (the offline scrubber)
and no empty widget box; every offline scrubber changes frame and readout from the keyboard; no
broken internal link or fragment; every image has alt text.
"""

from __future__ import annotations

import html.parser
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from .conftest import REPO, scrubbed_widgets_in, settle_theme, toc_files

pytestmark = pytest.mark.browser

# -------------------------------------------------------------------------------- allowlist
# Console errors and page errors that are expected and harmless; see tests/browser/README.md.
# None: Jupyter Book 1's second copy of sphinx-thebe's `const THEBE_JS_URL` script is dropped by
# ketacourse_tools.sphinx_pages (unique_scripts).
ALLOWED_PAGE_ERRORS: list[re.Pattern] = []
# None. The theme starts in "auto" mode (_config.yml html_context.default_mode), and MathJax's
# MathJax_Blank font no longer points at about:blank (ketacourse_tools.sphinx_mathjax).
ALLOWED_CONSOLE_ERRORS: list[re.Pattern] = []
# External hosts the book may try to load from. None: MathJax is served from the book itself
# (ketacourse_tools.sphinx_mathjax) and widgets need no JavaScript, so a page that asks for anything
# outside 127.0.0.1 fails the test.
ALLOWED_EXTERNAL_HOSTS: set[str] = set()
# None: the book declares its favicon (_config.yml html.favicon), so Chromium asks for no /favicon.ico.
ALLOWED_MISSING_LOCAL: set[str] = set()
# Widget JavaScript that must never be requested (the book shows offline scrubbers instead).
WIDGET_JS_MARKERS = ("@jupyter-widgets", "require.js", "requirejs", "require.min.js", "embed-amd",
                     "html-manager")

SCREENSHOT_DIR = REPO / "_build" / "screenshots"


def toc_pages() -> list[str]:
    """Site-relative HTML paths of every toc entry, plus the root index."""
    return ["index.html", *(f"{entry}.html" for entry in toc_files())]


def chapter_notebooks() -> list[str]:
    """Toc entries that are notebooks (their pages carry widget outputs)."""
    return [e for e in toc_files() if (REPO / f"{e}.ipynb").is_file()]


# An empty list would make pytest *skip* the parametrised tests; a sentinel makes them fail instead.
CHAPTERS = chapter_notebooks() or [pytest.param(None, id="no-chapter-notebooks")]


@dataclass
class PageReport:
    path: str
    loaded: bool = False
    error: str = ""
    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (text, location url)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    bad_local: list[tuple[str, int]] = field(default_factory=list)  # (path, status)
    anchors: list[dict] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    widget_problems: list[str] = field(default_factory=list)
    scrubbers: int = 0
    script_srcs: list[str] = field(default_factory=list)
    theme: str = ""  # document.documentElement.dataset.theme
    mathjax: bool = False  # MathJax (with its Hub) loaded
    math_texts: list[str] = field(default_factory=list)  # innerText of each span/div.math once MathJax is done
    contrast: list[tuple[str, float]] = field(default_factory=list)  # (selector, ratio): _CONTRAST_JS


JS_COLLECT = """() => {
  const anchors = [...document.querySelectorAll('a[href]')].map(a => ({raw: a.getAttribute('href'), abs: a.href}));
  const images = [...document.images].map(i => ({
      alt: (i.getAttribute('alt') || '').trim(), role: i.getAttribute('role') || '',
      hidden: i.getAttribute('aria-hidden') === 'true', cls: i.className, src: (i.getAttribute('src') || '').slice(0, 80)}));
  const problems = [];
  document.querySelectorAll('figure.kc-scrub').forEach((f, k) => {
    const frames = [...f.querySelectorAll('img.kc-frame')];
    const visible = frames.filter(m => !m.hidden && getComputedStyle(m).display !== 'none');
    if (frames.length === 0) problems.push(`scrubber ${k}: no img.kc-frame`);
    if (visible.length !== 1) problems.push(`scrubber ${k} (${f.dataset.widget}): ${visible.length} visible frames`);
    frames.forEach((m, j) => { if (!(m.getAttribute('alt') || '').trim()) problems.push(`scrubber ${k}: frame ${j} has no alt`); });
    if (visible.length === 1 && visible[0].naturalWidth === 0) problems.push(`scrubber ${k}: visible frame did not decode`);
  });
  document.querySelectorAll('.jupyter-widgets').forEach((w, k) => {
    if (!w.innerText.trim() && !w.querySelector('img, canvas, svg')) problems.push(`empty widget box ${k}: ${w.outerHTML.slice(0, 160)}`);
  });
  document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').forEach((s, k) => {
    const out = s.closest('.cell_output, .output') || s.parentElement;
    const other = [...out.querySelectorAll('img, figure, pre, p, table, svg, canvas')].filter(e => e.getBoundingClientRect().height > 0);
    if (!other.length) problems.push(`widget-view script ${k} is the only output of its cell`);
  });
  return {anchors, images, problems, scrubbers: document.querySelectorAll('figure.kc-scrub').length,
          scripts: [...document.querySelectorAll('script[src]')].map(s => s.src)};
}"""


JS_SCRUB_STATE = """(f) => {
  const v = [...f.querySelectorAll('img.kc-frame')].filter(m => !m.hidden && getComputedStyle(m).display !== 'none');
  return {src: v.map(m => m.src.slice(-200)), n: v.length, out: f.querySelector('output').textContent};
}"""


@pytest.fixture(scope="module")
def book_context(browser, book_server):
    ctx = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    local = book_server.rstrip("/")

    def route(r):  # an offline reader: nothing leaves 127.0.0.1
        if r.request.url.startswith(local) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            r.abort("internetdisconnected")

    ctx.route("**/*", route)
    yield ctx
    ctx.close()


JS_MATHJAX_LOADED = "typeof MathJax !== 'undefined' && !!MathJax.Hub"
JS_MATHJAX_DONE = "() => new Promise(done => MathJax.Hub.Queue(() => done(true)))"
# Sphinx writes each equation as a span/div.math holding \\( ... \\) or \\[ ... \\]; MathJax
# replaces that text with its rendering (whose visible and assistive text has no backslash;
# the TeX source moves into a math/tex script, whose text is not part of innerText).
JS_MATH_TEXTS = "[...document.querySelectorAll('span.math, div.math')].map(e => e.innerText)"


@pytest.fixture(scope="module")
def site(desktop_pages, book_server, built_book) -> dict[str, PageReport]:
    """Load every toc page once, in light mode on a 1280-px desktop, offline (``desktop_pages``, whose
    chapter pages later tests read again), and collect what the checks need: console and page errors,
    requests, links, images, widget outputs, the theme, the math once MathJax has typeset it, and the
    contrast of the course's own text (the light half of
    :func:`test_course_outputs_are_readable_in_light_and_dark_mode`)."""
    reports: dict[str, PageReport] = {}
    shown = {}
    for path in toc_pages():
        rep = PageReport(path)
        reports[path] = rep
        if not (built_book.html / path).is_file():
            rep.error = "page missing from the built site"
            continue
        try:
            # the root index.html is a redirect page (meta refresh): follow it as a reader does
            m = re.search(r'http-equiv="refresh"[^>]*url=([^"\'>\s]+)',
                          (built_book.html / path).read_text(encoding="utf-8", errors="replace"), re.I)
            shown[path] = desktop_pages.get(path.removesuffix(".html"))
            page = shown[path].page
            if m:
                target = urljoin(book_server + path, m.group(1))
                page.wait_for_url(target, wait_until="load", timeout=10_000)
            page.wait_for_timeout(200)
            data = page.evaluate(JS_COLLECT)
            rep.theme = page.evaluate("document.documentElement.dataset.theme")
            rep.mathjax = page.evaluate(JS_MATHJAX_LOADED)
            if rep.mathjax:
                page.evaluate(JS_MATHJAX_DONE)
                rep.math_texts = page.evaluate(JS_MATH_TEXTS)
            rep.contrast = [(sel, r) for sel, r in page.evaluate(_CONTRAST_JS)]
        except Exception as exc:  # reported by the test, not here
            rep.error = f"could not load: {exc}"
            continue
        rep.loaded = True
        rep.anchors, rep.images = data["anchors"], data["images"]
        rep.widget_problems, rep.scrubbers = data["problems"], data["scrubbers"]
        rep.script_srcs = data["scripts"]
    if shown:
        next(reversed(shown.values())).page.wait_for_timeout(100)  # late console messages (still delivered)
    for path, one in shown.items():
        rep = reports[path]
        rep.console_errors, rep.page_errors = list(one.console_errors), list(one.page_errors)
        rep.requests = list(one.requests)
        rep.external = [u for u in one.requests if not u.startswith(book_server) and not u.startswith("data:")]
        rep.bad_local = [(urlsplit(u).path, status) for u, status in one.failed if u.startswith(book_server)]
    return reports


# ------------------------------------------------------------------------------------ tests
def test_book_builds_with_zero_warnings(built_book):
    warnings = built_book.warnings
    assert built_book.returncode == 0 and not warnings, (
        f"`{' '.join(built_book.command)}` exited {built_book.returncode} with {len(warnings)} warning line(s) "
        f"in {built_book.seconds:.0f} s:\n" + "\n".join(warnings) + "\n--- last lines of the log ---\n"
        + "\n".join(built_book.log.splitlines()[-25:]))
    print(f"\nbook built in {built_book.seconds:.0f} s; "
          + (f"{len(built_book.reused)} chapters rendered from this run's nbval execution" if built_book.reused
             else "every chapter executed by the build"))



def test_pages_without_stored_outputs_are_executed_by_the_build(built_book):
    """The chapters come with outputs (nbval's, in `make test`); a MyST page with code cells and no
    stored outputs, the validation page, is executed by the build as in `make book`, so its tables
    and figures are what the browser tests read."""
    built_book.require_ok()
    page = (built_book.html / "chapters" / "model-validation.html").read_text(encoding="utf-8")
    assert page.count('class="kc-agreement') >= 2, "the validation page's tables were not computed"
    assert "data:image/png;base64," in page, "the validation page's figures were not drawn"

def test_every_toc_page_loads_without_unexpected_js_errors(site):
    problems = []
    for path, rep in site.items():
        if not rep.loaded:
            problems.append(f"{path}: {rep.error}")
            continue
        for err in rep.page_errors:
            if not any(rx.search(err) for rx in ALLOWED_PAGE_ERRORS):
                problems.append(f"{path}: page error: {err}")
        for text, url in rep.console_errors:
            host = urlsplit(url).hostname or ""
            if text.startswith("Failed to load resource") and (
                    host in ALLOWED_EXTERNAL_HOSTS or urlsplit(url).path in ALLOWED_MISSING_LOCAL):
                continue
            if any(rx.search(text) for rx in ALLOWED_CONSOLE_ERRORS):
                continue
            problems.append(f"{path}: console error: {text} ({url})")
        for url in rep.external:
            if urlsplit(url).scheme != "about" and urlsplit(url).hostname not in ALLOWED_EXTERNAL_HOSTS:
                problems.append(f"{path}: request to an external host not in the allowlist: {url}")
        for p, status in rep.bad_local:
            if p not in ALLOWED_MISSING_LOCAL:
                problems.append(f"{path}: local resource {p} answered {status}")
    assert not problems, "\n".join(problems)


def test_no_widget_javascript_from_any_cdn(site):
    bad = [f"{path}: {url}" for path, rep in site.items() for url in (*rep.requests, *rep.script_srcs)
           if any(m in url for m in WIDGET_JS_MARKERS)]
    assert not bad, "widget JavaScript requested (the book must not need it):\n" + "\n".join(bad)


@pytest.mark.parametrize("entry", CHAPTERS)
def test_widget_outputs_show_an_image_with_alt_text(site, entry):
    assert entry, "no chapter notebook listed in _toc.yml exists"
    rep = site[f"{entry}.html"]
    assert rep.loaded, f"{entry}: {rep.error}"
    assert not rep.widget_problems, f"{entry}:\n" + "\n".join(rep.widget_problems)
    need = len(scrubbed_widgets_in(f"{entry}.ipynb"))  # one per widget with a scrubber in the chapter's code
    assert rep.scrubbers >= need, f"{entry}: {rep.scrubbers} offline scrubbers (figure.kc-scrub), expected ≥ {need}"


@pytest.mark.parametrize("entry", CHAPTERS)
def test_offline_scrubbers_change_frame_from_the_keyboard(desktop_pages, built_book, entry):
    """Each offline scrubber: a key press on its range shows exactly one other frame and a new
    ``<output>`` text; the opposite key brings back the first frame and text. Read on the chapter's
    desktop page (light, 1280 px, offline: ``conftest.BookPages``), already loaded for the other
    desktop tests, and left showing the frames it showed before."""
    assert entry, "no chapter notebook listed in _toc.yml exists"
    built_book.require_ok()
    page = desktop_pages.get(entry).page
    figures = page.locator("figure.kc-scrub")
    if figures.count() and entry == chapter_notebooks()[0]:  # for humans, not asserted
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        figures.first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOT_DIR / f"{Path(entry).name}.png"))
    failures = []
    for k in range(figures.count()):
        fig = figures.nth(k)
        rng = fig.locator('input[type="range"]')
        if rng.count() == 0:  # a widget without a scrub control: one still frame, nothing to move
            continue
        before = fig.evaluate(JS_SCRUB_STATE)
        at_max = rng.evaluate("(r) => +r.value >= +r.max")
        rng.focus()
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        after = fig.evaluate(JS_SCRUB_STATE)
        name = fig.get_attribute("data-widget")
        if after["n"] != 1:
            failures.append(f"scrubber {k} ({name}): {after['n']} visible frames after a key press")
        elif after["src"] == before["src"]:
            failures.append(f"scrubber {k} ({name}): the visible frame did not change")
        if after["out"] == before["out"]:
            failures.append(f"scrubber {k} ({name}): the <output> text stayed {before['out']!r}")
        page.keyboard.press("ArrowRight" if at_max else "ArrowLeft")  # and back, as a reader would
        back = fig.evaluate(JS_SCRUB_STATE)
        if back != before:
            failures.append(f"scrubber {k} ({name}): the opposite key shows {back}, not the first frame {before}")
        rng.blur()
    assert not failures, f"{entry}:\n" + "\n".join(failures)


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "id" or (k == "name" and tag == "a"):
                self.ids.add(v or "")


def _ids(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        parser = _Ids()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = parser.ids
    return cache[path]


def test_no_broken_internal_links(site, book_server, built_book):
    root = built_book.html.resolve()
    cache: dict[Path, set[str]] = {}
    broken = []
    for path, rep in site.items():
        for a in rep.anchors:
            raw = (a["raw"] or "").strip()
            if raw in ("", "#") or re.match(r"^(mailto|tel|javascript|data):", raw, re.I):
                continue
            if not a["abs"].startswith(book_server):
                continue  # another host
            parts = urlsplit(a["abs"])
            target = (root / unquote(parts.path).lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(root) or not target.is_file():
                broken.append(f"{path}: {raw} -> missing {target.relative_to(root) if target.is_relative_to(root) else target}")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html" and frag not in _ids(target, cache):
                broken.append(f"{path}: {raw} -> no element with id {frag!r} in {target.relative_to(root)}")
    assert not broken, f"{len(broken)} broken internal link(s):\n" + "\n".join(sorted(set(broken)))


def test_every_image_has_alt_text(site):
    missing = [f"{path}: <img class={img['cls']!r} src={img['src']!r}>" for path, rep in site.items()
               for img in rep.images
               if not img["alt"] and img["role"] != "presentation" and not img["hidden"]]
    assert not missing, "images without alt text:\n" + "\n".join(missing)


def _repository() -> tuple[str, str, str]:
    """(owner, name, branch) from the one repository setting in _config.yml."""
    import yaml

    cfg = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    parts = urlsplit(cfg["repository"]["url"]).path.strip("/").split("/")
    return parts[0], parts[1], cfg["repository"].get("branch", "main")


@pytest.mark.parametrize("entry", CHAPTERS)
def test_launch_buttons_derive_from_the_repository_setting(built_book, entry):
    """Binder, Colab and JupyterHub (nbgitpuller) buttons point to this chapter's notebook.

    All three come from ``repository.url`` in ``_config.yml``; the JupyterHub one also from the
    ``HUB_URL`` the test build passes (as ``make book HUB_URL=...`` does).
    """
    from .conftest import TEST_HUB_URL

    built_book.require_ok()
    owner, name, branch = _repository()
    nb = f"{entry}.ipynb"
    page = (built_book.html / f"{entry}.html").read_text(encoding="utf-8")
    hrefs = {h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', page)}
    expected = {
        "Binder": f"https://mybinder.org/v2/gh/{owner}/{name}/{branch}?urlpath=lab/tree/{nb}",
        "Colab": f"https://colab.research.google.com/github/{owner}/{name}/blob/{branch}/{nb}",
        "JupyterHub": (f"{TEST_HUB_URL}/hub/user-redirect/git-pull?repo=https%3A//github.com/{owner}/{name}"
                       f"&urlpath=lab/tree/{name}/{nb}&branch={branch}"),
    }
    missing = {k: v for k, v in expected.items() if v not in hrefs}
    assert not missing, f"{entry}: launch buttons missing or wrong: {missing}"


def _pages_with_math() -> list[str]:
    """Toc pages whose Markdown holds dollar math (code blocks and inline code, where a shell's ``$p``
    is not math, left out)."""
    out = []
    for entry in toc_files():
        nb, md = REPO / f"{entry}.ipynb", REPO / f"{entry}.md"
        if nb.is_file():
            cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
            text = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        else:
            text = md.read_text(encoding="utf-8") if md.is_file() else ""
        text = re.sub(r"^(`{3,}|:{3,})[^\n]*\{?code[^\n]*\n.*?^\1\s*$", "", text, flags=re.M | re.S)
        text = re.sub(r"^```.*?^```\s*$", "", text, flags=re.M | re.S)
        text = re.sub(r"`[^`\n]*`", "", text)
        if re.search(r"\$\$|\$[^$\s][^$\n]*\$", text):
            out.append(entry)
    return out


MATH_PAGES = _pages_with_math() or [pytest.param(None, id="no-math-pages")]


@pytest.mark.parametrize("entry", MATH_PAGES)
def test_math_renders_offline(site, entry):
    """Equations are typeset by the MathJax copied into the book, with no network at all (the page as
    :func:`site` loaded it, offline, once MathJax's queue is empty)."""
    assert entry, "no toc page contains math"
    rep = site[f"{entry}.html"]
    assert rep.loaded, f"{entry}: {rep.error}"
    assert rep.mathjax, f"{entry}: MathJax did not load"
    texts = rep.math_texts
    assert texts, f"{entry}: no math elements found"
    raw = [t for t in texts if "\\" in t]
    assert not raw, f"{entry}: {len(raw)} of {len(texts)} equations left as raw TeX, e.g. {raw[:2]}"


_CONTRAST_JS = """
() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const selectors = ['figure.kc-scrub label', 'figure.kc-scrub output', 'figure.kc-scrub .kc-note',
                     '.kc-selfcheck p', '.kc-selfcheck li', '.kc-selfcheck summary',
                     'div[role=note]', 'div[role=status]'];
  const out = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      const fg = rgb(getComputedStyle(el).color).slice(0, 3), bg = background(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      out.push([sel, (a + 0.05) / (b + 0.05)]);
    }
  }
  return out;
}
"""


# ------------------------------------------------------------------ dark mode, phone, references
_DARK_JS = """() => [...document.querySelectorAll('figure.kc-scrub')].map(f => {
  const img = [...f.querySelectorAll('img.kc-frame')].find(m => !m.hidden);
  const box = f.closest('.text_html') || f.parentElement;
  const bg = getComputedStyle(box).backgroundColor, pad = getComputedStyle(box).paddingTop;
  return {widget: f.dataset.widget, filter: img ? getComputedStyle(img).filter : 'no image',
          imgPad: img ? getComputedStyle(img).paddingTop : '', boxBg: bg, boxPad: pad};
})"""


@pytest.fixture(scope="module")
def dark_site(desktop_pages, built_book) -> dict[str, dict]:
    """Every chapter page as a reader whose system is set to dark mode sees it: the theme (its "auto"
    mode follows the system's colour scheme), the contrast of the course's own text
    (:data:`_CONTRAST_JS`) and the look of its scrubber cards (:data:`_DARK_JS`). Read on the
    chapter's desktop page (``conftest.BookPages``, loaded once for all the desktop tests) with the
    system preference switched to dark (Playwright's ``emulate_media``; the course's dark styles are
    CSS on ``html[data-theme=dark]``, the same whether the page was loaded in dark mode or switched),
    then switched back to light, as the later tests expect it."""
    built_book.require_ok()
    out: dict[str, dict] = {}
    for entry in [c for c in CHAPTERS if isinstance(c, str)]:
        page = desktop_pages.get(entry).page
        page.emulate_media(color_scheme="dark")
        try:
            out[entry] = {"theme": settle_theme(page, "dark"), "contrast": page.evaluate(_CONTRAST_JS),
                          "scrubbers": page.evaluate(_DARK_JS)}
        finally:
            page.emulate_media(color_scheme="light")
            settle_theme(page, "light")
    return out


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("entry", CHAPTERS)
def test_course_outputs_are_readable_in_light_and_dark_mode(site, dark_site, entry, scheme):
    """Text in the scrubbers, self-checks, feedback and disclaimer has WCAG AA contrast (>= 4.5:1)."""
    assert entry, "no chapter notebook listed in _toc.yml exists"
    if scheme == "light":
        rep = site[f"{entry}.html"]
        assert rep.loaded, f"{entry}: {rep.error}"
        theme, ratios = rep.theme, rep.contrast
    else:
        theme, ratios = dark_site[entry]["theme"], dark_site[entry]["contrast"]
    assert theme == scheme
    assert any(sel.startswith("figure.kc-scrub") for sel, _ in ratios), f"{entry}: no scrubber text found"
    low = [(sel, round(r, 2)) for sel, r in ratios if r < 4.5]
    assert not low, f"{entry} ({scheme} mode): text below 4.5:1 contrast: {low[:6]}"


@pytest.mark.parametrize("entry", CHAPTERS)
def test_scrubbers_are_not_dimmed_or_double_framed_in_dark_mode(dark_site, entry):
    """The theme's dark-mode image filter and grey output box do not apply to the scrubber cards."""
    assert entry, "no chapter notebook listed in _toc.yml exists"
    assert dark_site[entry]["theme"] == "dark"
    found = dark_site[entry]["scrubbers"]
    assert found, f"{entry}: no scrubber"
    bad = [f for f in found if f["filter"] != "none" or f["imgPad"] not in ("0px", "")
           or f["boxPad"] != "0px" or not re.search(r"rgba\(0, 0, 0, 0\)|transparent", f["boxBg"])]
    assert not bad, f"{entry} (dark mode): scrubbers dimmed or framed by the theme: {bad[:3]}"


_PHONE_JS = """() => { window.scrollBy(60, 0); const pan = window.scrollX; window.scrollTo(0, window.scrollY);
  return {page: document.documentElement.scrollWidth, pan, viewport: window.innerWidth,
          figures: [...document.querySelectorAll('figure.kc-scrub')].map(f => f.getBoundingClientRect().right)}; }"""


@pytest.mark.parametrize("entry", CHAPTERS)
def test_phone_has_no_sideways_pan_and_figures_enlarge_on_tap(phone_pages, built_book, entry):
    """At 390 px: the page is no wider than the screen; tapping a figure shows it at full size."""
    assert entry, "no chapter notebook listed in _toc.yml exists"
    built_book.require_ok()
    page = phone_pages.get(entry).page
    m = page.evaluate(_PHONE_JS)
    assert m["page"] <= m["viewport"] + 1 and m["pan"] == 0, (
        f"{entry} at 390 px: the page is {m['page']} px wide and pans {m['pan']} px sideways")
    assert all(r <= m["viewport"] + 1 for r in m["figures"]), f"{entry}: a scrubber overflows: {m['figures']}"
    fig = page.locator("figure.kc-scrub").first
    frames = fig.locator(".kc-frames")
    frames.scroll_into_view_if_needed()
    small = fig.evaluate("f => [...f.querySelectorAll('img.kc-frame')].find(m => !m.hidden).getBoundingClientRect().width")
    frames.tap()
    zoom = fig.evaluate("""f => { const m = [...f.querySelectorAll('img.kc-frame')].find(m => !m.hidden);
        return {on: f.classList.contains('kc-zoom'), width: m.getBoundingClientRect().width, natural: m.naturalWidth}; }""")
    assert zoom["on"] and zoom["width"] >= zoom["natural"] - 1 > small, (
        f"{entry}: tapping the figure did not enlarge it to full size ({small:.0f} px -> {zoom})")
    frames.tap()
    assert not fig.evaluate("f => f.classList.contains('kc-zoom')"), f"{entry}: a second tap did not close it"


INTERNAL_NOTES = re.compile(r"NOT VERIFIED|not seen|not verified|placeholder|believed|not retrieved|"
                            r"DESCRIPTIVE|SECONDARY ONLY|to verify|\$\^|\$_", re.I)


def test_references_page_has_no_internal_notes_and_renders_tex(book_context, book_server, built_book):
    """Provenance notes stay in references.bib (and docs/); readers see clean entries, Mg²⁺ not Mg$^2+$."""
    built_book.require_ok()
    page = book_context.new_page()
    try:
        page.goto(book_server + "chapters/bibliography.html", wait_until="load")
        text = page.locator("main").inner_text()
        entries = page.locator("main .citation, main dl.citation > dt, main [role=doc-biblioentry]").count()
        assert len(text) > 2000, "the References page looks empty"
        hits = sorted({m.group(0) for m in INTERNAL_NOTES.finditer(text)})
        assert not hits, f"internal verification notes or raw TeX on the References page: {hits}"
        bib = (REPO / "chapters" / "references.bib").read_text(encoding="utf-8")
        if "Mg$^{2+}$" in bib:
            assert "Mg²⁺" in text, "Mg$^{2+}$ in a title must render as Mg²⁺"
        assert entries >= 0
    finally:
        page.close()
