"""Static images: matplotlib figures as small PNGs, and PNGs inside HTML.

A saved notebook keeps every static twin (GitHub, nbviewer and nbval show
them), so images are drawn on a bare `Figure` (no pyplot: the notebook's
matplotlib state stays untouched) and saved with a small palette.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from kerasnb.shared.html import esc


def new_figure(width: float, height: float, dpi: int) -> Any:
    """A matplotlib Figure with its own Agg canvas, outside pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def small_png(figure: Any, colors: int = 64) -> bytes:
    """PNG bytes with a `colors`-colour palette: a third of the size, same look for line plots."""
    from PIL import Image

    canvas = figure.canvas
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buffer = io.BytesIO()
    image.convert("RGB").quantize(colors=colors).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def base64_text(png: bytes) -> str:
    """The PNG as a mime bundle's image/png value."""
    return base64.b64encode(png).decode("ascii")


def img_tag(png: bytes, alt: str, css_class: str = "") -> str:
    """An <img> holding the PNG as a data URI, for an HTML twin."""
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f'<img{cls} alt="{esc(alt)}" src="data:image/png;base64,{base64_text(png)}">'
