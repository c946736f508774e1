"""Fast raster output for widget figures: a glyph cache for Agg text and a light PNG encoder.

Measured (``benchmarks/bench_browser.py``, ``docs/benchmarks.md``): with matplotlib 3.11 Agg
renders every glyph of every text separately through FreeType, so a two-line readout costs more
than all the curves of a figure, and Pillow's PNG encoder (adaptive row filters) costs more than
the drawing. Both are pure overhead for a widget that redraws the same characters again and again.

- :class:`GlyphCacheCanvas` is an Agg canvas whose renderer keeps the layout of each string and
  each rendered glyph bitmap (keyed by font, size, glyph, sub-pixel offset and flags) and blits it
  again; the pixels are identical to matplotlib's (``tests/test_widgets.py`` checks this). Rotated
  text and mathtext boxes take matplotlib's own path.
- :func:`encode_png` writes an RGB PNG straight from the canvas buffer with no row filter and a
  fast zlib level: figures are mostly flat colour, so this is as small and faster.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.figure import Figure

try:  # matplotlib >= 3.10
    from matplotlib.ft2font import RenderMode
except ImportError:  # pragma: no cover - older matplotlib has no per-glyph path to speed up
    RenderMode = None

__all__ = ["GlyphCacheCanvas", "encode_png"]

_CACHE: dict = {}
_CACHE_MAX = 20_000  # glyph bitmaps (a few hundred bytes each)


_LAYOUTS: dict = {}
_LAYOUTS_MAX = 5_000  # laid-out strings


class _GlyphCacheRenderer(RendererAgg):
    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        # As RendererAgg.draw_text, with the text layout (shaping, FreeType's slowest step here)
        # cached by font, size, string and options: a widget redraws the same strings often.
        if ismath or RenderMode is None:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        font = self._prepare_font(prop)
        size = prop.get_size_in_points()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        flags = get_hinting_flag()
        try:
            key = (font, size, self.dpi, s, flags, None if features is None else tuple(features),
                   None if language is None else str(language))
            glyphs = _LAYOUTS.get(key)
        except TypeError:  # an unhashable option: no caching
            key, glyphs = None, None
        if glyphs is None:
            glyphs = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                           for item in font._layout(s, flags=flags, features=features, language=language))
            if key is not None:
                if len(_LAYOUTS) >= _LAYOUTS_MAX:
                    _LAYOUTS.clear()
                _LAYOUTS[key] = glyphs
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((ft, size, index, 0, 1, gx, gy) for ft, index, gx, gy in glyphs), [])

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        if RenderMode is None or angle != 0 or boxes:
            return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
        load_flags = get_hinting_flag()
        mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
        height = self.height
        for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
            px = round(0x40 * (x + dx))  # 26.6 fixed point, as matplotlib computes it
            py = round(0x40 * (height - y + dy))  # FreeType's y is upwards
            key = (font, size, self.dpi, glyph_index, slant, extend, px & 63, py & 63, load_flags, mode)
            hit = _CACHE.get(key)
            if hit is None:
                # Render at the sub-pixel offset only; an integer shift moves the bitmap exactly.
                font.set_size(size, self.dpi)
                font._set_transform((0x10000 * np.array([[extend, extend * slant], [0, 1]])).round().astype(int),
                                    [px & 63, py & 63])
                bitmap = font._render_glyph(glyph_index, load_flags, mode)
                buffer = np.array(bitmap.buffer, copy=True)
                if mode == RenderMode.MONO:
                    buffer *= 0xff
                hit = (buffer, bitmap.left, bitmap.top)
                if len(_CACHE) >= _CACHE_MAX:
                    _CACHE.clear()
                _CACHE[key] = hit
            buffer, left, top = hit
            self._renderer.draw_text_image(buffer, left + (px >> 6),
                                           int(height) - (top + (py >> 6)) + buffer.shape[0], 0, gc)


class GlyphCacheCanvas(FigureCanvasAgg):
    """An Agg canvas drawing text from a glyph-bitmap cache (same pixels as plain Agg)."""

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = _GlyphCacheRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(fig: Figure, *, level: int = 1) -> bytes:
    """The canvas's current RGBA buffer as an RGB PNG (no drawing happens here).

    Rows are written with PNG filter 0 (none) and compressed with zlib at ``level``: for plots
    (large areas of one colour) as small as Pillow's adaptive filters, with no per-row search.
    """
    width, height = fig.canvas.get_width_height(physical=True)
    rgba = np.asarray(fig.canvas.buffer_rgba())
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type: none
    rows[:, 1:].reshape(height, width, 3)[...] = rgba[:, :, :3]
    comp = zlib.compressobj(level, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY)
    idat = comp.compress(rows.tobytes()) + comp.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
