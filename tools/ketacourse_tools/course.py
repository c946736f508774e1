"""The course as the book defines it: ``_toc.yml`` (chapters) and ``_config.yml`` (repository URL).

This is the one reader of ``_toc.yml``. Tests, tools and benchmarks ask it which pages and which
chapter notebooks exist, in book order, instead of keeping lists of their own; adding a chapter
therefore means adding one ``- file:`` line to ``_toc.yml`` (and the chapter's own new files).

>>> [c.stem for c in chapters()][:2]
['01-nmda-receptor', '02-pharmacokinetics']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["Page", "Chapter", "REPO", "pages", "chapters", "chapter", "config", "repository_url", "toc_parts"]

REPO = Path(__file__).resolve().parents[2]
"""The repository checkout this tools package was installed from (editable install, ``make venv``)."""

_NUMBERED = re.compile(r"^(\d\d)-")


@dataclass(frozen=True)
class Page:
    """One ``file:`` (or the ``root:``) entry of ``_toc.yml``.

    Attributes
    ----------
    entry
        The toc entry as written, without suffix (``chapters/02-pharmacokinetics``).
    path
        The source file: the ``.ipynb`` or ``.md`` that exists, else the ``.ipynb`` the entry
        names (so a missing chapter shows up as a path that does not exist).
    part
        The caption of the toc part the entry sits in (``""`` for the root).
    """

    entry: str
    path: Path
    part: str

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def rel(self) -> str:
        """Repository-relative path with suffix (``chapters/02-pharmacokinetics.ipynb``)."""
        return f"{self.entry}{self.path.suffix}"

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix == ".ipynb"

    @property
    def html(self) -> str:
        """Site-relative path of the built page (``chapters/02-pharmacokinetics.html``)."""
        return f"{self.entry}.html"


@dataclass(frozen=True)
class Chapter(Page):
    """A numbered chapter notebook (``chapters/NN-slug.ipynb``) listed in ``_toc.yml``."""

    number: int = 0

    @property
    def title(self) -> str:
        """The chapter's h1 as the book shows it (read from the notebook)."""
        return _title(self.path)


def _root(root: Path | str | None) -> Path:
    return Path(root).resolve() if root is not None else REPO


def _load_toc(root: Path) -> dict:
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    if not isinstance(toc, dict) or "root" not in toc:
        raise ValueError(f"{root / '_toc.yml'} must be a jb-book toc with a 'root:' entry")
    return toc


def _resolve(root: Path, entry: str) -> Path:
    stem = root / re.sub(r"\.(ipynb|md)$", "", entry)
    if entry.endswith((".ipynb", ".md")):
        return root / entry
    for suffix in (".ipynb", ".md"):
        if stem.with_suffix(suffix).exists():
            return stem.with_suffix(suffix)
    return stem.with_suffix(".ipynb")


def pages(root: Path | str | None = None) -> list[Page]:
    """Every page of the book in toc order: the root first, then each ``file:`` entry (nested
    ``sections:`` included)."""
    root = _root(root)
    toc = _load_toc(root)
    out = [Page(re.sub(r"\.(ipynb|md)$", "", str(toc["root"])), _resolve(root, str(toc["root"])), "")]

    def walk(node, part: str) -> None:
        if isinstance(node, dict):
            part = str(node.get("caption", part))
            if "file" in node:
                entry = str(node["file"])
                out.append(Page(re.sub(r"\.(ipynb|md)$", "", entry), _resolve(root, entry), part))
            for key, value in node.items():
                if key not in ("file", "caption"):
                    walk(value, part)
        elif isinstance(node, list):
            for value in node:
                walk(value, part)

    walk({k: v for k, v in toc.items() if k != "root"}, "")
    return out


def chapters(root: Path | str | None = None) -> list[Chapter]:
    """The numbered chapter notebooks (``NN-slug``) of ``_toc.yml``, in book order.

    A toc entry ``chapters/NN-slug`` with no ``.md`` page is a chapter notebook even if the file is
    missing (``path.exists()`` is then False, which the notebook guard reports).
    """
    out = []
    for page in pages(root):
        m = _NUMBERED.match(page.path.name)
        if m and page.path.suffix == ".ipynb":
            out.append(Chapter(page.entry, page.path, page.part, number=int(m.group(1))))
    return out


def chapter(number: int | str, root: Path | str | None = None) -> Chapter:
    """Chapter ``number`` (2 or "2" -> ``chapters/02-pharmacokinetics.ipynb``).

    Raises
    ------
    ValueError
        If no chapter with that number is listed in ``_toc.yml``.
    """
    found = chapters(root)
    try:
        n = int(number)
    except (TypeError, ValueError):
        n = -1
    for c in found:
        if c.number == n:
            return c
    raise ValueError(f"chapter must be one of {', '.join(str(c.number) for c in found)} (the written "
                     f"chapters in _toc.yml); got {number!r}")


def toc_parts(root: Path | str | None = None) -> list[tuple[str, list[Page]]]:
    """``[(caption, pages)]`` in toc order (the root page left out)."""
    parts: dict[str, list[Page]] = {}
    for page in pages(root)[1:]:
        parts.setdefault(page.part, []).append(page)
    return list(parts.items())


def config(root: Path | str | None = None) -> dict:
    """The book's ``_config.yml``."""
    return yaml.safe_load((_root(root) / "_config.yml").read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def _repository_url(root: Path) -> str:
    from .site import repository_url as read_url

    return read_url(root / "_config.yml")


def repository_url(root: Path | str | None = None) -> str:
    """``repository.url`` of ``_config.yml`` (no trailing slash): the one place the URL is set."""
    return _repository_url(_root(root))


def _title(path: Path) -> str:
    """The h1 of the first markdown cell the book shows (cells tagged ``remove-cell`` are skipped)."""
    import nbformat

    if not path.exists():
        return ""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "remove-cell" not in cell.get("metadata", {}).get("tags", []):
            m = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if m:
                return m.group(1).strip()
    return ""
