"""Measure: how large each widget figure's text is on a 390 px phone (issue 23, item 4).

    .venv/bin/python scripts/figure_text_on_phone.py

For every ModelWidget, the figure's natural width (px at style.DPI), its smallest font (pt) and
what that and 10 pt text become in CSS px when the book shows the figure 332 px wide (a 390 px
phone's content width, measured in the browser review), and how many texts fall under 9 px.
The last two columns are what the book shows now: the phone frame's smallest text at 332 px
(phone_layout) and the desktop figure's at the book's 662 px column.
"""
import matplotlib; matplotlib.use("Agg")
from ketacourse_tools.widget_imports import widget_classes
import importlib
from matplotlib.text import Text
from ketacourse.widgets.style import DPI
from ketacourse.widgets.base import png_bytes
from ketacourse.widgets.phone_layout import DESKTOP_SHOWN_PX, phone_frames
PHONE_W = 332  # CSS px a figure gets in the book on a 390 px phone (measured in review-browser-turn3)
rows = []
for name, mod in sorted(widget_classes().items(), key=lambda x: x[1]):
    try:
        w = getattr(importlib.import_module(mod), name)()
    except Exception as e:
        print(name, "ERR", e); continue
    fig = w.fig; fig.canvas.draw()
    wpx = fig.canvas.get_width_height()[0]
    sizes = sorted({round(t.get_fontsize(), 1) for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()})
    scale = min(1.0, PHONE_W / wpx)
    px = lambda pt: pt * DPI / 72 * scale
    small = sum(1 for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and px(t.get_fontsize()) < 9)
    total = sum(1 for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip())
    _frames, phone_text_px, phone_w = phone_frames(w, [w.params], encode=lambda f: png_bytes(f, quantize=True))
    rows.append((name, mod.rsplit('.',1)[-1], wpx, sizes[0], round(px(sizes[0]),1), round(px(10),1), small, total,
                 round(sizes[0]*DPI/72,1), round(phone_text_px * PHONE_W / phone_w, 1),
                 round(sizes[0] * DPI / 72 * min(1.0, DESKTOP_SHOWN_PX / wpx), 1)))
print("DPI", DPI)
print("widget module natural_px min_pt phone_px_min phone_px_10pt texts<9px total desktop_px_min "
      "phone_frame_px_min desktop_in_book_px_min")
for r in rows: print(*r)
