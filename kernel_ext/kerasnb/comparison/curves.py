"""Training curves of every backend overlaid, as a static matplotlib PNG.

A PNG goes everywhere a notebook goes (GitHub, nbviewer, nbval), so the
overlaid curves need no running kernel and no JavaScript. Drawn on a bare
`Figure` (no pyplot), so it neither touches nor needs the notebook's
matplotlib backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kerasnb.comparison.results import Curve
from kerasnb.shared import png
from kerasnb.shared.metrics import panel_names

COLORS = {"jax": "#1f77b4", "torch": "#d62728", "tensorflow": "#ff7f0e"}
_OTHER_COLORS = ("#2ca02c", "#9467bd", "#8c564b")
# Backends at parity draw the same line: wide-to-narrow lines and distinct
# markers keep every backend visible on top of the others.
_WIDTHS = (4.0, 2.4, 1.2)
_MARKERS = ("o", "s", "^")
_MAX_PANELS = 4


def panels(curves: Mapping[str, Sequence[Curve]]) -> list[str]:
    """Metric names to draw, one panel each (see kerasnb.shared.metrics)."""
    return panel_names(c.metric for cs in curves.values() for c in cs)[:_MAX_PANELS]


def render_png(curves: Mapping[str, Sequence[Curve]]) -> bytes | None:
    """PNG bytes of the curves (backend -> its curves), or None if there are none."""
    names = panels(curves)
    if not names:
        return None
    figure = png.new_figure(4.2 * len(names), 3.0, dpi=90)
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for i, backend in enumerate(curves):
        color = COLORS.get(backend, _OTHER_COLORS[i % len(_OTHER_COLORS)])
        width, marker = _WIDTHS[i % len(_WIDTHS)], _MARKERS[i % len(_MARKERS)]
        fits = {c.fit for c in curves[backend]}
        for curve in curves[backend]:
            base = curve.metric.removeprefix("val_")
            if base not in names:
                continue
            label = backend if len(fits) == 1 else f"{backend} (fit {curve.fit + 1})"
            validation = curve.metric.startswith("val_")
            epochs = range(1, len(curve.values) + 1)
            axes[names.index(base)].plot(
                epochs, curve.values, color=color, linewidth=width, alpha=0.85,
                marker=marker, markersize=2 + width,
                linestyle="--" if validation else "-",
                label=f"_{label}" if validation else label,  # "_": not in the legend
            )  # fmt: skip
    dashed = {c.metric.removeprefix("val_") for cs in curves.values() for c in cs
              if c.metric.startswith("val_")}  # fmt: skip
    for ax, name in zip(axes, names, strict=True):
        ax.set_title(f"{name} (dashed: validation)" if name in dashed else name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize="small")
    return png.small_png(figure, colors=128)
