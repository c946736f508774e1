"""Fast raster output for widget figures: a glyph cache for Agg text and a light PNG encoder.

Measured (``benchmarks/bench_browser.py``, ``docs/benchmarks.md``): with matplotlib 3.11 Agg
renders every glyph of every text separately through FreeType, so a two-line readout costs more
than all the curves of a figure, and Pillow's PNG encoder (adaptive row filters) costs more than
the drawing. Both are pure overhead for a widget that redraws the same characters again and again.

- :class:`GlyphCacheCanvas` is an Agg canvas whose renderer keeps the layout of each string and
  each rendered glyph bitmap (keyed by font, size, glyph, sub-pixel offset and flags) and blits it
  again; the pixels are identical to matplotlib's (``tests/test_widgets.py`` checks this). Rotated
  text and mathtext boxes take matplotlib's own path.
- Fixed-width fonts (the course's numeric readouts) skip FreeType's per-string shaping, which
  costs about 10 µs a character and runs twice for every new string (once to measure, once to
  draw): with no kerning and one advance per glyph, a string's layout and its width, height and
  descent follow from per-character metrics, cached once per font, size and flags. The result is
  the same as FreeType's (``tests/test_widgets.py`` compares them over random strings).
- :func:`encode_png` writes an RGBA PNG straight from the canvas buffer with no row filter and a
  fast zlib level (figures are mostly flat colour, so this is as small and faster), the two halves
  of the image compressed on two threads.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.figure import Figure

try:  # matplotlib >= 3.10
    from matplotlib.ft2font import FaceFlags, RenderMode
except ImportError:  # pragma: no cover - older matplotlib has no per-glyph path to speed up
    FaceFlags = RenderMode = None

__all__ = ["GlyphCacheCanvas", "encode_png"]

_CACHE: dict = {}
_CACHE_MAX = 20_000  # glyph bitmaps (a few hundred bytes each)


_LAYOUTS: dict = {}
_LAYOUTS_MAX = 5_000  # laid-out strings

_FLAG_KEYS: dict = {}  # (load flags, render mode) -> a small int for glyph keys

_MONO_FONTS: dict = {}  # (font, size, dpi, flags) -> {char: (glyph index, advance, ascent, descent)}, 26.6
_MONO_STRINGS: dict = {}  # (font, size, dpi, flags, string) -> _mono_layout's result
_MONO_STRINGS_MAX = 2_000


def _mono_chars(font, size: float, dpi: float, flags):
    """The per-character metrics table of a fixed-width font without kerning, or None."""
    key = (font, size, dpi, flags)
    table = _MONO_FONTS.get(key)
    if table is None:
        fixed = FaceFlags is not None and bool(font.face_flags & FaceFlags.FIXED_WIDTH)
        table = {} if fixed and not (font.face_flags & FaceFlags.KERNING) else False
        if len(_MONO_FONTS) >= 64:
            _MONO_FONTS.clear()
        _MONO_FONTS[key] = table
    return None if table is False else table


def _mono_metrics(font, flags, table: dict, char: str):
    """A character's entry in ``table`` (measured once with FreeType), or None when the font lacks
    it (FreeType would take it from a fallback font)."""
    hit = table.get(char)
    if hit is None:
        index = font.get_char_index(ord(char))
        if not index:
            hit = False
        else:
            font.set_text(char, 0.0, flags=flags)
            width, height = font.get_width_height()
            descent = font.get_descent()
            hit = (index, width, height - descent, descent)
        table[char] = hit
    return hit or None


def _mono_layout(font, size: float, dpi: float, flags, s: str):
    """``(glyphs, width, height, descent)`` of one line ``s`` in a fixed-width font, from cached
    per-character metrics (glyphs as ``(glyph index, x)`` in pixels; sizes in 26.6 units); None
    when the fast path does not apply."""
    if not s or "\n" in s:
        return None
    key = (font, size, dpi, flags, s)
    done = _MONO_STRINGS.get(key)
    if done is not None:
        return done or None
    table = _mono_chars(font, size, dpi, flags)
    result = False
    if table is not None:
        glyphs, pen, ascent, descent = [], 0, None, None
        for char in s:
            m = table.get(char) or _mono_metrics(font, flags, table, char)
            if m is None:
                break
            index, advance, asc, desc = m
            glyphs.append((index, pen / 64))
            pen += advance
            ascent = asc if ascent is None or asc > ascent else ascent
            descent = desc if descent is None or desc > descent else descent
        else:
            result = (tuple(glyphs), pen, ascent + descent, descent)
    if len(_MONO_STRINGS) >= _MONO_STRINGS_MAX:
        _MONO_STRINGS.clear()
    _MONO_STRINGS[key] = result
    return result or None


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
        if angle == 0 and features is None and language is None and _draw_fixed_width(self, gc, x, y, s, font, size):
            return  # fixed-width text on the pixel grid: one blit of glyph cells, the same pixels
        flags = get_hinting_flag()
        try:
            key = (font, size, self.dpi, s, flags, None if features is None else tuple(features),
                   None if language is None else str(language))
            glyphs = _LAYOUTS.get(key)
        except TypeError:  # an unhashable option: no caching
            key, glyphs = None, None
        if glyphs is None and features is None and language is None:
            mono = _mono_layout(font, size, self.dpi, flags, s)
            if mono is not None:
                glyphs = tuple((font, index, x, 0.0) for index, x in mono[0])
        if glyphs is None:
            glyphs = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                           for item in font._layout(s, flags=flags, features=features, language=language))
            if key is not None:
                if len(_LAYOUTS) >= _LAYOUTS_MAX:
                    _LAYOUTS.clear()
                _LAYOUTS[key] = glyphs
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((ft, size, index, 0, 1, gx, gy) for ft, index, gx, gy in glyphs), [])

    def get_text_width_height_descent(self, s, prop, ismath):
        # As RendererAgg's, without FreeType's per-string pass for fixed-width fonts.
        if not ismath and RenderMode is not None:
            font = self._prepare_font(prop)
            mono = _mono_layout(font, prop.get_size_in_points(), self.dpi, get_hinting_flag(), s)
            if mono is not None:
                _glyphs, width, height, descent = mono
                return width / 64.0, height / 64.0, descent / 64.0
        return super().get_text_width_height_descent(s, prop, ismath)

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        if RenderMode is None or angle != 0 or boxes:
            return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
        load_flags = get_hinting_flag()
        mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
        # the flags enter each glyph's key as plain ints (hashing an enum costs more than the rest)
        flags_key = _FLAG_KEYS.setdefault((load_flags, mode), len(_FLAG_KEYS))
        dpi, height = self.dpi, self.height
        draw_image, lookup = self._renderer.draw_text_image, _CACHE.get
        for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
            px = round(0x40 * (x + dx))  # 26.6 fixed point, as matplotlib computes it
            py = round(0x40 * (height - y + dy))  # FreeType's y is upwards
            key = (font, size, dpi, glyph_index, slant, extend, px & 63, py & 63, flags_key)
            hit = lookup(key)
            if hit is None:
                hit = _render_glyph(key, load_flags, mode)
            buffer, left, top, empty = hit
            if empty:  # a space: nothing to blend
                continue
            draw_image(buffer, left + (px >> 6), int(height) - (top + (py >> 6)) + buffer.shape[0], 0, gc)


def _render_glyph(key: tuple, load_flags, mode):
    """Render (and cache) one glyph bitmap at a sub-pixel offset; an integer shift moves it exactly.
    ``key`` is ``(font, size, dpi, glyph index, slant, extend, x phase, y phase, flags key)``."""
    font, size, dpi, glyph_index, slant, extend, phase_x, phase_y, _flags = key
    font.set_size(size, dpi)
    font._set_transform((0x10000 * np.array([[extend, extend * slant], [0, 1]])).round().astype(int),
                        [phase_x, phase_y])
    bitmap = font._render_glyph(glyph_index, load_flags, mode)
    font.set_size(size, dpi)  # back to the size's own transform: later measurements see no offset
    buffer = np.array(bitmap.buffer, copy=True)
    if mode == RenderMode.MONO:
        buffer *= 0xff
    hit = (buffer, bitmap.left, bitmap.top, buffer.size == 0)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[key] = hit
    return hit


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


_ADLER_BASE = 65521


def _adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """The Adler-32 of two byte strings joined, from the checksum of each (zlib's adler32_combine)."""
    rem = len2 % _ADLER_BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 = (sum1 + (adler2 & 0xFFFF) + _ADLER_BASE - 1) % _ADLER_BASE
    sum2 = (sum2 + ((adler1 >> 16) & 0xFFFF) + ((adler2 >> 16) & 0xFFFF) + _ADLER_BASE - rem) % _ADLER_BASE
    return sum1 | (sum2 << 16)


def _deflate_rows(rgba: np.ndarray, level: int, last: bool) -> tuple[bytes, int, int]:
    """Raw deflate of PNG scanlines (filter byte 0, then the RGBA row) for a band of rows, with the
    Adler-32 and length of the uncompressed scanlines. NumPy's copy and zlib release the GIL, so
    two bands run in parallel on two threads."""
    rows = np.empty((rgba.shape[0], 1 + rgba.shape[1] * rgba.shape[2]), dtype=np.uint8)
    rows[:, 0] = 0  # filter type: none
    rows[:, 1:] = rgba.reshape(rgba.shape[0], -1)
    comp = zlib.compressobj(level, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY)
    data = comp.compress(rows) + comp.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
    return data, zlib.adler32(rows), rows.size


_POOL = None


def _pool():
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ketacourse-png")
    return _POOL


def encode_png(fig: Figure, *, level: int = 1, split: bool | None = None) -> bytes:
    """The canvas's current RGBA buffer as a PNG (no drawing happens here).

    Rows are written straight from the buffer with PNG filter 0 (none) and compressed with zlib at
    ``level``: for plots (large areas of one colour) as small as Pillow's adaptive filters, with no
    per-row search. With ``split`` (the default when the machine has more than one CPU)
    the top half is compressed on a helper thread while this one does the bottom half; the two
    deflate streams join into one (flushed to a byte boundary, checksums combined), as pigz does.
    """
    width, height = fig.canvas.get_width_height(physical=True)
    rgba = np.asarray(fig.canvas.buffer_rgba())
    if split is None:
        split = (os.cpu_count() or 1) > 1 and height >= 64
    if split:
        half = height // 2
        top = _pool().submit(_deflate_rows, rgba[:half], level, False)
        bottom, adler2, len2 = _deflate_rows(rgba[half:], level, True)
        head, adler1, _len1 = top.result()
        body = head + bottom
        adler = _adler32_combine(adler1, adler2, len2)
    else:
        body, adler, _len = _deflate_rows(rgba, level, True)
    idat = b"\x78\x01" + body + struct.pack(">I", adler)  # zlib header: deflate, 32 KiB window
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


# --------------------------------------------------------------------------- fixed-width strips
class _Strip:
    """Glyph cells of one fixed-width font at one size, flags and vertical sub-pixel phase: every
    character's bitmap placed in a cell one advance wide and as tall as the font's bounding box,
    so a string's image is its cells side by side (one array take, one blit)."""

    def __init__(self, font, size: float, dpi: float, load_flags, mode, flags_key: int, phase_y: int,
                 cell_px: int) -> None:
        self.font, self.size, self.dpi = font, size, dpi
        self.load_flags, self.mode, self.flags_key, self.phase_y = load_flags, mode, flags_key, phase_y
        self.cell = cell_px
        scale = size * dpi / 72 / font.units_per_EM
        x_min, y_min, x_max, y_max = font.bbox
        self.top = int(np.ceil(y_max * scale)) + 2  # rows above the baseline
        self.height = self.top + int(np.ceil(-y_min * scale)) + 2
        self.index: dict[str, int | None] = {}
        self.cells = np.zeros((0, self.height, cell_px), dtype=np.uint8)

    def indices(self, text: str):
        """Cell indices of ``text``'s characters, or None if one has no cell (missing from the font,
        or its glyph reaches outside its cell: such strings take the per-glyph path)."""
        index = self.index
        out = []
        for char in text:
            i = index.get(char, -1)
            if i == -1:
                i = index[char] = self._add(char)
            if i is None:
                return None
            out.append(i)
        return out

    def _add(self, char: str):
        table = _mono_chars(self.font, self.size, self.dpi, self.load_flags)
        metrics = table.get(char) or _mono_metrics(self.font, self.load_flags, table, char)
        if metrics is None or metrics[1] != 64 * self.cell:
            return None
        glyph_index = metrics[0]
        key = (self.font, self.size, self.dpi, glyph_index, 0, 1, 0, self.phase_y, self.flags_key)
        buffer, left, top, empty = _CACHE.get(key) or _render_glyph(key, self.load_flags, self.mode)
        cell = np.zeros((1, self.height, self.cell), dtype=np.uint8)
        if not empty:
            rows, cols = buffer.shape
            y0 = self.top - top
            if left < 0 or left + cols > self.cell or y0 < 0 or y0 + rows > self.height:
                return None
            cell[0, y0:y0 + rows, left:left + cols] = buffer
        self.cells = np.concatenate([self.cells, cell])
        return len(self.cells) - 1


_STRIPS: dict = {}


def _draw_fixed_width(renderer, gc, x: float, y: float, text: str, font, size: float) -> bool:
    """Draw one line of fixed-width ``text`` with its baseline start at (``x``, ``y``) (display
    coordinates, y downwards as :meth:`RendererAgg.draw_text` takes them) as a single blit of glyph
    cells; False (nothing drawn) when that would not give exactly the per-glyph pixels: another
    font that is not fixed-width or whose advance is not a whole pixel, a start off the pixel grid,
    or a character whose glyph leaves its cell or has another advance."""
    if not text:
        return False
    load_flags = get_hinting_flag()
    table = _mono_chars(font, size, renderer.dpi, load_flags)
    if table is None:
        return False
    first = table.get(text[0]) or _mono_metrics(font, load_flags, table, text[0])
    if first is None or first[1] & 63:  # the advance (26.6) is not a whole pixel
        return False
    px = round(0x40 * x)
    if px & 63:
        return False
    py = round(0x40 * (renderer.height - y))
    mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
    flags_key = _FLAG_KEYS.setdefault((load_flags, mode), len(_FLAG_KEYS))
    skey = (font, size, renderer.dpi, flags_key, py & 63)
    strip = _STRIPS.get(skey)
    if strip is None:
        if len(_STRIPS) >= 256:
            _STRIPS.clear()
        strip = _STRIPS[skey] = _Strip(font, size, renderer.dpi, load_flags, mode, flags_key, py & 63,
                                       first[1] >> 6)
    cells = strip.indices(text)
    if cells is None:
        return False
    image = strip.cells[cells].transpose(1, 0, 2).reshape(strip.height, strip.cell * len(cells))
    renderer._renderer.draw_text_image(np.ascontiguousarray(image), px >> 6,
                                       int(renderer.height) - (strip.top + (py >> 6)) + strip.height, 0, gc)
    return True
