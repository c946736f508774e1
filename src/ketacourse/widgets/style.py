"""One plotting style for every figure in the course.

Colours are the Okabe–Ito palette (safe for the common forms of colour-vision deficiency).
Figures have an opaque white background so they stay readable in the book's dark mode.
"""

from __future__ import annotations

from matplotlib.figure import Figure

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
"""Okabe & Ito (2008) colour-universal-design palette."""

CYCLE: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["green"],
    OKABE_ITO["orange"],
    OKABE_ITO["purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
)
"""Default order of line colours."""

RC: dict[str, object] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.0,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
}
"""Matplotlib rcParams applied to every course figure."""

DPI: int = 96
"""Screen resolution of widget figures (pixels per inch)."""


def new_figure(width_in: float = 7.0, height_in: float = 3.6) -> Figure:
    """Create a white, Agg-backed figure in the course style (no pyplot state involved).

    Parameters
    ----------
    width_in, height_in : float
        Figure size in inches.
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with mpl.rc_context(RC):
        fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
    fig.set_facecolor("white")
    return fig


def style_axes(ax) -> None:
    """Apply the course style to an Axes created outside :func:`new_figure`'s rc context."""
    ax.set_prop_cycle(color=list(CYCLE))
    ax.grid(True, alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
