"""The learner's package uses matplotlib's public API only.

Private matplotlib (modules or names starting with ``_``, ``ft2font`` internals, the C++ renderer
object ``renderer._renderer``, overriding private methods such as ``Text._get_layout``) changes
without notice between releases: such code once made four widgets crash under matplotlib 3.10. These
checks read every module of ``src/ketacourse`` (source and, for subclasses, the classes themselves).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import matplotlib
import pytest

import ketacourse

SRC = Path(ketacourse.__file__).resolve().parent
FILES = sorted(SRC.rglob("*.py"))


def _matplotlib_private_names() -> set[str]:
    """Private attribute names of the matplotlib classes a widget touches (``_get_layout``, ...)."""
    from matplotlib import artist, axes, backend_bases, figure, lines, patches, text, transforms
    from matplotlib.backends import backend_agg

    names: set[str] = set()
    for module in (artist, axes, backend_bases, figure, lines, patches, text, transforms, backend_agg):
        for _n, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__.startswith("matplotlib"):
                names |= {n for n in dir(cls) if n.startswith("_") and not n.startswith("__")
                          and not n.startswith(("_repr_", "_ipython_"))}  # Jupyter's display protocol is public
    # instance attributes set in __init__ are not in dir(cls): the ones such code reads
    names |= {"_renderer", "_fontproperties", "_horizontalalignment", "_verticalalignment", "_multialignment",
              "_linespacing", "_bbox_patch", "_clippath", "_x", "_y", "_antialiased", "_url", "_lastKey"}
    return names


MPL_PRIVATE = _matplotlib_private_names()


def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_matplotlib_imports(path):
    bad = []
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import):
            bad += [a.name for a in node.names if a.name.startswith("matplotlib") and
                    (any(part.startswith("_") for part in a.name.split(".")) or "ft2font" in a.name)]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("matplotlib"):
            parts = node.module.split(".")
            if any(part.startswith("_") for part in parts) or "ft2font" in parts:
                bad.append(node.module)
            bad += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not bad, f"{path.name} imports private matplotlib: {bad}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_matplotlib_attributes(path):
    """No ``something._name`` where ``_name`` is private to matplotlib (``renderer._renderer``,
    ``text._get_layout``, ``font._layout``...), other than the module's own ``self._...`` state."""
    bad = []
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            own = isinstance(owner, ast.Name) and owner.id in ("self", "cls", "w", "widget")
            if not own and node.attr in MPL_PRIVATE:
                bad.append(f"line {node.lineno}: .{node.attr}")
            if isinstance(owner, ast.Name) and owner.id in ("mpl", "matplotlib", "plt"):
                bad.append(f"line {node.lineno}: {owner.id}.{node.attr}")
    assert not bad, f"{path.name} reads private matplotlib attributes: {bad}"


def _package_modules():
    for info in pkgutil.walk_packages(ketacourse.__path__, prefix="ketacourse."):
        try:
            yield importlib.import_module(info.name)
        except ImportError:  # pragma: no cover - an optional tool missing here
            continue


def test_no_subclass_overrides_a_private_matplotlib_method():
    bad = []
    for module in _package_modules():
        for _n, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            mpl_bases = [b for b in cls.__mro__[1:] if b.__module__.startswith("matplotlib")]
            for name in vars(cls):
                if name.startswith("_") and not name.startswith("__") and any(hasattr(b, name) for b in mpl_bases):
                    bad.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert not bad, f"private matplotlib methods overridden: {bad}"


def test_the_check_would_catch_the_old_glyph_cache(tmp_path):
    """The attribute check flags what the removed fast-raster code did."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f(renderer, text, font):\n    renderer._renderer.draw_text_image(1)\n"
                      "    text._get_layout(renderer)\n    font._layout('x')\n", encoding="utf-8")
    found = [n.attr for n in ast.walk(_parse(sample)) if isinstance(n, ast.Attribute) and n.attr in MPL_PRIVATE]
    assert {"_renderer", "_get_layout"} <= set(found)
    assert matplotlib.__version__  # the names above come from the installed matplotlib
