"""PNG encoding of a widget's Agg figure: live images (RGB, fastest zlib level) and the book's
scrubber frames (palette, every solid colour kept). Shared by :mod:`.base` and :mod:`.phone_layout`,
so neither imports the other for it.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image as PILImage

__all__ = ["png_bytes", "quantize_keeping_solid_colours", "FRAME_COMPRESS_LEVEL"]


FRAME_COMPRESS_LEVEL: int = 8
"""zlib level of the book's palette frames. Level 9 (what ``optimize=True`` gave) took about 2.7
times as long for files about 1 % smaller (a phone frame of the dose-response explorer: 66 vs 24 ms,
35.1 vs 35.4 kB; level 7: 11 ms but 37.3 kB), and every widget shown in a notebook encodes its 10-40
frames; the chapters' page weight is bounded (1.5 MB), so no lower level."""


def _encode_png(fig: Figure, *, quantize: bool = False) -> bytes:
    """Encode the figure's current Agg buffer as PNG (no drawing happens here).

    The figures are opaque (white background), so the alpha channel carries nothing: the PNG is
    RGB, a quarter fewer bytes to compress, send and decode. Live updates use zlib's fastest level
    (``compress_level=1``: plots are mostly flat colour, so it costs little in size); the book's
    frames are reduced to a palette and compressed harder (:data:`FRAME_COMPRESS_LEVEL`).
    """
    width, height = fig.canvas.get_width_height(physical=True)
    img = PILImage.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    if quantize:
        quantize_keeping_solid_colours(img.convert("RGB")).save(buf, format="png", compress_level=FRAME_COMPRESS_LEVEL)
    else:
        img.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()


_SOLID_MIN_PX = 24  # a colour covering this many pixels is a drawn colour (legend key, line, patch)
_PALETTE_SIZE = 128


def quantize_keeping_solid_colours(img: PILImage.Image) -> PILImage.Image:
    """An RGB image reduced to a palette of at most 128 colours, every solid colour kept exactly.

    Median cut alone gives its few slots to the commonest colours and merges rare ones: a small
    legend key or a thin line can come out in another series' colour. Here every colour that
    covers at least ``_SOLID_MIN_PX`` pixels is in the palette as it is, and median cut over the
    other pixels (the anti-aliasing shades, a few percent of the image) fills the remaining slots;
    each pixel then takes its nearest entry. The background colour (the first pixel's, most of a
    plot) is set aside first, so the sort that finds the distinct colours sees only the rest.
    """
    rgb = np.asarray(img, dtype=np.uint8)
    keys = ((rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]).ravel()
    background = keys[0]
    drawn = keys != background
    distinct, inverse, n_px = np.unique(keys[drawn], return_inverse=True, return_counts=True)
    distinct = np.append(distinct, background)
    n_px = np.append(n_px, keys.size - len(inverse))
    colours = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1)
    if len(distinct) <= _PALETTE_SIZE:  # few colours: the palette is exact
        palette = colours
    else:
        by_count = np.lexsort((-distinct, -n_px))  # commonest first (ties: the larger RGB value first)
        solid = by_count[n_px[by_count] >= _SOLID_MIN_PX][:_PALETTE_SIZE - 16]
        spare = _PALETTE_SIZE - len(solid)
        is_shade = np.ones(len(distinct), dtype=bool)
        is_shade[solid] = False
        shade_px = np.repeat(colours[is_shade], n_px[is_shade], axis=0).astype(np.uint8)
        shades = PILImage.fromarray(shade_px.reshape(1, -1, 3), mode="RGB").quantize(
            colors=spare, method=PILImage.Quantize.MEDIANCUT)
        flat = np.array(shades.getpalette()[: 3 * spare], dtype=np.int32).reshape(-1, 3)
        palette = np.concatenate([colours[solid], flat])
        palette = palette[np.sort(np.unique(palette, axis=0, return_index=True)[1])]  # first of each entry
    # nearest palette entry for each distinct colour (Pillow's own palette mapping is approximate:
    # it turned white into (252, 252, 252))
    nearest = _nearest(colours, palette)
    index = np.full(keys.size, nearest[-1], dtype=np.uint8)
    index[drawn] = nearest[inverse]
    out = PILImage.fromarray(index.reshape(rgb.shape[:2]), mode="P")
    out.putpalette(palette.astype(np.uint8).ravel().tolist())
    return out


def _nearest(colours: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest ``palette`` entry (squared RGB distance; the first one on a tie) for each
    colour, as ``uint8``.

    The same integers as ``((colours[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)``, summed
    one channel at a time into one colours x palette array (int32: at most 3 x 255² = 195075), which
    is about ten times faster than reducing the colours x palette x 3 array over its short last axis.
    """
    c = colours.astype(np.int32, copy=False)
    p = palette.astype(np.int32, copy=False)
    dist = np.subtract.outer(c[:, 0], p[:, 0])
    dist *= dist
    for channel in (1, 2):
        d = np.subtract.outer(c[:, channel], p[:, channel])
        d *= d
        dist += d
    return dist.argmin(axis=1).astype(np.uint8)


def png_bytes(fig: Figure, *, quantize: bool = False) -> bytes:
    """Draw ``fig`` completely with Agg (animated artists included) and return PNG bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        An Agg-backed figure.
    quantize : bool
        Reduce to a 64-colour palette (used for the precomputed scrubber frames, about 4x
        smaller with no visible loss for line plots).
    """
    fig.canvas.draw()
    for artist in _animated_artists(fig):
        fig.draw_artist(artist)
    return _encode_png(fig, quantize=quantize)


def _animated_artists(fig: Figure) -> list:
    found = fig.findobj(lambda a: a is not fig and a.get_animated())
    return sorted(found, key=lambda a: a.get_zorder())
