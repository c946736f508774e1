"""Interactive figures for the course, all built on :class:`~ketacourse.widgets.base.ModelWidget`."""

from .base import ModelWidget, ScrubSpec
from .style import CYCLE, OKABE_ITO

__all__ = ["ModelWidget", "ScrubSpec", "CYCLE", "OKABE_ITO"]
