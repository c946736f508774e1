"""PNG encoding of a widget's Agg figure: live images (RGB, fastest zlib level) and the book's
scrubber frames (palette, every solid colour kept). Shared by :mod:`.base` and :mod:`.phone_layout`,
so neither imports the other for it.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image as PILImage

__all__ = ["png_bytes", "quantize_keeping_solid_colours"]


def _encode_png(fig: Figure, *, quantize: bool = False) -> bytes:
    """Encode the figure's current Agg buffer as PNG (no drawing happens here).

    The figures are opaque (white background), so the alpha channel carries nothing: the PNG is
    RGB, a quarter fewer bytes to compress, send and decode. Live updates use zlib's fastest level
    (``compress_level=1``: plots are mostly flat colour, so it costs little in size); the book's
    frames are reduced to a palette and compressed harder, as they are encoded only once.
    """
    width, height = fig.canvas.get_width_height(physical=True)
    img = PILImage.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    if quantize:
        quantize_keeping_solid_colours(img.convert("RGB")).save(buf, format="png", optimize=True)
    else:
        img.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()


_SOLID_MIN_PX = 24  # a colour covering this many pixels is a drawn colour (legend key, line, patch)
_PALETTE_SIZE = 128


def quantize_keeping_solid_colours(img: PILImage.Image) -> PILImage.Image:
    """An RGB image reduced to a palette of at most 128 colours, every solid colour kept exactly.

    Median cut alone gives its few slots to the commonest colours and merges rare ones: a small
    legend key or a thin line can come out in another series' colour. Here every colour that
    covers at least ``_SOLID_MIN_PX`` pixels is in the palette as it is, and median cut fills the
    remaining slots with the anti-aliasing shades; each pixel then takes its nearest entry.
    """
    counts = img.getcolors(maxcolors=img.width * img.height) or []
    solid = [rgb for n, rgb in sorted(counts, reverse=True) if n >= _SOLID_MIN_PX][:_PALETTE_SIZE - 16]
    if len(counts) <= _PALETTE_SIZE:  # few colours: the palette is exact
        solid = [rgb for _n, rgb in counts]
    spare = _PALETTE_SIZE - len(solid)
    shades = []
    if spare > 0 and len(counts) > len(solid):
        adaptive = img.quantize(colors=spare, method=PILImage.Quantize.MEDIANCUT)
        flat = adaptive.getpalette()[: 3 * spare]
        shades = [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]
    palette = np.array(list(dict.fromkeys(solid + shades))[:256], dtype=np.int32).reshape(-1, 3)
    # nearest palette entry for each distinct colour (Pillow's own palette mapping is approximate:
    # it turned white into (252, 252, 252))
    rgb = np.asarray(img, dtype=np.int32)
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    distinct, inverse = np.unique(keys.ravel(), return_inverse=True)
    colours = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1)
    nearest = ((colours[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    out = PILImage.fromarray(nearest[inverse].reshape(keys.shape).astype(np.uint8), mode="P")
    out.putpalette(palette.astype(np.uint8).ravel().tolist())
    return out


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
