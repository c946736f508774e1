"""Interactive figures for the course, all built on :class:`~ketacourse.widgets.base.ModelWidget`.

:func:`registry` is the one list of the course's widgets: every ``ModelWidget`` subclass registers
itself when its module is imported, and ``registry()`` imports every module of this package first.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import ModelWidget, ScrubSpec, registered
from .style import CYCLE, OKABE_ITO

__all__ = ["ModelWidget", "ScrubSpec", "CYCLE", "OKABE_ITO", "registry"]


def registry() -> dict[str, type[ModelWidget]]:
    """Every widget class of the course, by class name (``{"ReceptorExplorer": ReceptorExplorer, ...}``).

    Imports each module of :mod:`ketacourse.widgets` (so a widget in a new module is found with no
    list to edit) and returns the classes that subclass :class:`ModelWidget` there, ordered by
    module name and then by their order in the module.
    """
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{info.name}")
    found = [cls for cls in registered().values() if cls.__module__.startswith(f"{__name__}.")]
    order = {name: i for i, name in enumerate(sorted({c.__module__ for c in found}))}
    return {cls.__name__: cls for cls in sorted(found, key=lambda c: order[c.__module__])}
