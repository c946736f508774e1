"""Make every widget cell of a chapter runnable as the first cell a learner runs.

A chapter's widget cells are bare calls (``ForestPlot()``) that rely on an import cell at the top.
A learner who runs only the widget cell (as a stored figure used to suggest) gets ``NameError``.
This tool adds, as the first line of each widget cell, the import of the widget class it calls
(``from ketacourse.widgets.evidence import ForestPlot``). Idempotent: a cell that already imports
its class is left alone; cell ids, metadata and outputs are kept.

    python -m ketacourse_tools.widget_imports chapters/0*.ipynb          # rewrite in place
    python -m ketacourse_tools.widget_imports --check chapters/0*.ipynb  # exit 1 if any cell lacks it

Widget classes are found by walking ``ketacourse.widgets`` for subclasses of ``ModelWidget``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import nbformat


def widget_classes() -> dict[str, str]:
    """``{class name: defining module}`` of every concrete ModelWidget in ``ketacourse.widgets``."""
    import ketacourse.widgets as pkg
    from ketacourse.widgets.base import ModelWidget

    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for name, obj in vars(mod).items():
            if isinstance(obj, type) and issubclass(obj, ModelWidget) and obj is not ModelWidget \
                    and obj.__module__ == mod.__name__:
                found[name] = mod.__name__
    return found


def called_widgets(source: str, classes: dict[str, str]) -> list[str]:
    """Names of widget classes called in ``source`` (in order, once each); [] if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in classes \
                and node.func.id not in names:
            names.append(node.func.id)
    return names


def imported_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            for alias in node.names}


def with_imports(source: str, classes: dict[str, str]) -> str:
    """``source`` with an import line for each widget class it calls and does not import yet."""
    have = imported_names(source)
    missing = [n for n in called_widgets(source, classes) if n not in have]
    if not missing:
        return source
    by_module: dict[str, list[str]] = {}
    for name in missing:
        by_module.setdefault(classes[name], []).append(name)
    lines = [f"from {mod} import {', '.join(sorted(names))}" for mod, names in by_module.items()]
    return "\n".join(lines) + "\n" + source


def widget_cells(nb, classes: dict[str, str]) -> list[int]:
    """Indices of code cells that build a model widget."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and called_widgets(c.source, classes)]


def fix_notebook(path: Path, classes: dict[str, str], *, write: bool = True) -> list[int]:
    """Add the missing imports to ``path``'s widget cells; return the indices of cells changed."""
    nb = nbformat.read(path, as_version=4)
    changed = []
    for i in widget_cells(nb, classes):
        new = with_imports(nb.cells[i].source, classes)
        if new != nb.cells[i].source:
            nb.cells[i].source = new
            changed.append(i)
    if changed and write:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a cell lacks its import")
    args = ap.parse_args(argv)
    classes = widget_classes()
    missing = 0
    for path in args.notebooks:
        cells = fix_notebook(path, classes, write=not args.check)
        missing += len(cells)
        if cells:
            print(f"{path}: {'needs' if args.check else 'added'} imports in cells {cells}")
    return 1 if (args.check and missing) else 0


if __name__ == "__main__":
    sys.exit(main())
